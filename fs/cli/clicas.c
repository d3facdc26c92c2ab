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

static int count(size_t *out, const char *arg, const char *what)
{
    char *end;

    errno = 0;
    *out = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || *out == 0 || *out > 10000000)
        return cli_fail("%s: '%s' is not 1..10000000", what, arg);
    return 0;
}

/* An HTTP connection count or timeout: 1..100000. */
static int limit(unsigned *out, const char *arg, const char *what)
{
    size_t n;

    if (count(&n, arg, what))
        return EXIT_USAGE;
    if (n > 100000)
        return cli_fail("%s: '%s' is over 100000", what, arg);
    *out = (unsigned)n;
    return 0;
}

/* The allowed DIDs: --allow values (pointing into argv) and the lines of
 * --allow-file files (in b, NUL-terminated in place; '#' starts a comment). */
typedef struct allow_list {
    const char **v;
    size_t n;
    cer_buf files[8];
    size_t nfiles;
} allow_list;

static int allow_add(allow_list *a, const char *did)
{
    const char **n = realloc(a->v, (a->n + 1) * sizeof *n);

    if (!n)
        return cli_fail("out of memory");
    a->v = n;
    a->v[a->n++] = did;
    return 0;
}

static int allow_file(allow_list *a, const char *path)
{
    cer_buf *b;
    char *p, *save = NULL;

    if (a->nfiles == sizeof a->files / sizeof a->files[0])
        return cli_fail("--allow-file: at most %zu files", sizeof a->files / sizeof a->files[0]);
    b = &a->files[a->nfiles++];
    if (cli_read_input(b, path) || cer_buf_append(b, "", 1) < 0)
        return EXIT_BAD;
    for (p = strtok_r((char *)b->data, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
        char *e;
        p[strcspn(p, "#")] = '\0';
        p += strspn(p, " \t\r");
        for (e = p + strlen(p); e > p && strchr(" \t\r", e[-1]); e--)
            ;
        *e = '\0';
        if (*p && allow_add(a, p))
            return EXIT_BAD;
    }
    return 0;
}

static void allow_free(allow_list *a)
{
    free(a->v);
    for (size_t i = 0; i < a->nfiles; i++)
        cer_buf_free(&a->files[i]);
}

int cfs_cmd_cas(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                          {"ipfs", required_argument, NULL, 'i'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"poll-wait", required_argument, NULL, 'w'},
                                          {"max-requests", required_argument, NULL, 'm'},
                                          {"allow", required_argument, NULL, 'a'},
                                          {"allow-file", required_argument, NULL, 'A'},
                                          {"max-pending", required_argument, NULL, 'p'},
                                          {"pending-ttl", required_argument, NULL, 't'},
                                          {"max-conns", required_argument, NULL, 'C'},
                                          {"max-per-ip", required_argument, NULL, 'P'},
                                          {"conn-timeout", required_argument, NULL, 'T'},
                                          {"max-body", required_argument, NULL, 'B'},
                                          {"help", no_argument, NULL, 'H'},
                                          CFS_ANCHOR_OPTIONS,
                                          {NULL, 0, NULL, 0}};
    static const char use[] =
        "cas serve [--listen HOST:PORT] [--ipfs URL] [--state DIR] [--chain inmemory|eth [--eth-rpc URL]\n"
        "         [--eth-from ADDR] [--eth-raw]] [--anchor-interval S] [--anchor-timeout S]\n"
        "         [--poll-wait S] [--max-requests N] [--allow DID]... [--allow-file FILE]\n"
        "         [--max-pending N] [--pending-ttl S] [--max-conns N] [--max-per-ip N]\n"
        "         [--conn-timeout S] [--max-body BYTES]\n"
        "Serves the Ceramic Anchor Service API (what js-ceramic's anchor-service-url and\n"
        "ceramicfs's own CAS client use) on HOST:PORT (default 127.0.0.1:8081): requests\n"
        "are anchored in batches every --anchor-interval seconds (default 60) on the chain\n"
        "(default inmemory); the blocks of each batch go to the IPFS daemon at --ipfs.\n"
        "--poll-wait S lets a poll of an unfinished request wait up to S seconds for it.\n"
        "--state DIR keeps the requests in DIR/requests.jsonl across restarts (else in memory).\n"
        "--allow DID (repeatable) and --allow-file FILE (one did:key a line) serve only requests\n"
        "signed by those DIDs (as js-ceramic and ceramicfs nodes sign them with auth method did);\n"
        "without them the service takes any request and listens on loopback only.\n"
        "--max-pending N: unfinished requests per requester (DID, else address; default 1000);\n"
        "--pending-ttl S: a request not anchored within S seconds fails (default 86400).\n"
        "HTTP limits: --max-conns N connections at once (default 64; more get 503), --max-per-ip N\n"
        "from one address (default 32; more are closed), --conn-timeout S idle seconds before a\n"
        "connection is closed (default 10), --max-body BYTES per request (default 1048576; 413).\n"
        "SIGUSR1 runs a batch now. Runs until SIGINT or SIGTERM.";
    cer_casd_opts co = {.log = log_line};
    allow_list allow = {0};
    cer_casd *d = NULL;
    struct sigaction sa = {0};
    sigset_t usr1;
    pthread_t kicker;
    int c, rc;

    cli_set_command("cas");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': co.listen = optarg; break;
        case 'i': co.ipfs = optarg; break;
        case 'S': co.state = optarg; break;
        case 'w':
            if (cli_seconds(&co.poll_wait, optarg, "--poll-wait", 3600))
                goto usage_error;
            break;
        case 't':
            if (cli_seconds(&co.pending_ttl, optarg, "--pending-ttl", 365 * 86400.0) || co.pending_ttl == 0)
                goto usage_error;
            break;
        case 'm':
            if (count(&co.max_requests, optarg, "--max-requests"))
                goto usage_error;
            break;
        case 'p':
            if (count(&co.max_pending, optarg, "--max-pending"))
                goto usage_error;
            break;
        case 'C':
            if (limit(&co.max_conns, optarg, "--max-conns"))
                goto usage_error;
            break;
        case 'P':
            if (limit(&co.max_per_ip, optarg, "--max-per-ip"))
                goto usage_error;
            break;
        case 'T':
            if (limit(&co.conn_timeout, optarg, "--conn-timeout"))
                goto usage_error;
            break;
        case 'B':
            if (count(&co.max_body, optarg, "--max-body"))
                goto usage_error;
            break;
        case 'a':
            if (allow_add(&allow, optarg))
                goto usage_error;
            break;
        case 'A':
            if (allow_file(&allow, optarg))
                goto usage_error;
            break;
        case 'H': printf("usage: ceramicfs %s\n", use); allow_free(&allow); return 0;
        default:
            if (c == 0x100 || c == 0x101 || c == 0x108) {
                cli_fail("--anchor, --anchor-service and --anchor-auth are node options, not the service's");
                goto usage_error;
            }
            if ((rc = cfs_anchor_opt(&co.anchor, c, optarg)) != 0) {
                allow_free(&allow);
                return rc < 0 ? EXIT_USAGE : cli_usage(use);
            }
        }
    }
    if (optind != argc - 1 || strcmp(argv[optind], "serve") != 0) {
        allow_free(&allow);
        return cli_usage(use);
    }
    if (allow.nfiles && !allow.n) {
        cli_fail("--allow-file: no DID in the file(s)");
        goto usage_error;
    }
    co.allow = allow.v, co.nallow = allow.n;
    if (co.anchor.interval == 0)
        co.anchor.interval = 60;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);  /* before any thread starts */
    rc = cer_casd_open(&d, &co);
    allow_free(&allow);  /* the service keeps its own copies */
    if (rc < 0)
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
usage_error:
    allow_free(&allow);
    return EXIT_USAGE;
}
