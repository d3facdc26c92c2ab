/*
 * clicas.c — `ceramicfs cas serve`: run ceramicfs as the Ceramic Anchor
 * Service of a network (cer_casd), in the foreground until SIGINT/SIGTERM
 * (SIGUSR1: a batch now); one log line per request and batch on stderr.
 */
#include "clicas.h"
#include "clianchor.h"
#include "cliutil.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static cer_casd *running;
static volatile int quitting;

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        cer_casd_stop(running);
}

static void log_line(void *arg, const char *line)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;

    (void)arg;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    fprintf(stderr, "[cas %s] %s\n", when, line);
}

/* SIGUSR1 runs a batch now (blocked in every thread but this one). */
static void *on_usr1(void *arg)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    while (sigwait(&set, &sig) == 0 && !quitting) {
        if (cer_casd_flush(arg) == 0)
            log_line(NULL, "SIGUSR1: nothing to anchor");
    }
    return NULL;
}

static int seconds(double *out, const char *arg, const char *what)
{
    char *end;

    errno = 0;
    *out = strtod(arg, &end);
    if (errno || end == arg || *end || *out < 0 || *out > 3600)
        return cli_fail("%s: '%s' is not a number of seconds (0..3600)", what, arg);
    return 0;
}

int cfs_cmd_cas(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                          {"ipfs", required_argument, NULL, 'i'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"poll-wait", required_argument, NULL, 'w'},
                                          {"max-requests", required_argument, NULL, 'm'},
                                          {"help", no_argument, NULL, 'H'},
                                          CFS_ANCHOR_OPTIONS,
                                          {NULL, 0, NULL, 0}};
    static const char use[] =
        "cas serve [--listen HOST:PORT] [--ipfs URL] [--state DIR] [--chain inmemory|eth [--eth-rpc URL]\n"
        "         [--eth-from ADDR] [--eth-raw]] [--anchor-interval S] [--anchor-timeout S]\n"
        "         [--poll-wait S] [--max-requests N]\n"
        "Serves the Ceramic Anchor Service API (what js-ceramic's anchor-service-url and\n"
        "ceramicfs's own CAS client use) on HOST:PORT (default 127.0.0.1:8081): requests\n"
        "are anchored in batches every --anchor-interval seconds (default 60) on the chain\n"
        "(default inmemory); the blocks of each batch go to the IPFS daemon at --ipfs.\n"
        "--poll-wait S lets a poll of an unfinished request wait up to S seconds for it.\n"
        "--state DIR keeps the requests in DIR/requests.jsonl across restarts (else in memory).\n"
        "SIGUSR1 runs a batch now. Runs until SIGINT or SIGTERM.";
    cer_casd_opts co = {.log = log_line};
    cer_casd *d = NULL;
    struct sigaction sa = {0};
    sigset_t usr1;
    pthread_t kicker;
    char *end;
    int c, rc;

    cli_set_command("cas");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': co.listen = optarg; break;
        case 'i': co.ipfs = optarg; break;
        case 'S': co.state = optarg; break;
        case 'w':
            if (seconds(&co.poll_wait, optarg, "--poll-wait"))
                return EXIT_USAGE;
            break;
        case 'm':
            errno = 0;
            co.max_requests = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || co.max_requests == 0 || co.max_requests > 10000000) {
                cli_fail("--max-requests: '%s' is not 1..10000000", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'H': printf("usage: ceramicfs %s\n", use); return 0;
        default:
            if (c == 0x100 || c == 0x101) {
                cli_fail("--anchor and --anchor-service are node options, not the service's");
                return EXIT_USAGE;
            }
            if ((rc = cfs_anchor_opt(&co.anchor, c, optarg)) != 0)
                return rc < 0 ? EXIT_USAGE : cli_usage(use);
        }
    }
    if (optind != argc - 1 || strcmp(argv[optind], "serve") != 0)
        return cli_usage(use);
    if (co.anchor.interval == 0)
        co.anchor.interval = 60;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);  /* before any thread starts */
    if ((rc = cer_casd_open(&d, &co)) < 0)
        return cli_fail_rc(rc, "cannot start the anchor service");
    if (pthread_create(&kicker, NULL, on_usr1, d) != 0) {
        cer_casd_close(d);
        return cli_fail("cannot start the SIGUSR1 thread");
    }
    running = d;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = cer_casd_run(d, NULL);
    running = NULL;
    quitting = 1;
    pthread_kill(kicker, SIGUSR1);
    pthread_join(kicker, NULL);
    log_line(NULL, "stopped");
    cer_casd_close(d);
    return rc < 0 ? cli_fail_rc(rc, "anchor service") : 0;
}
