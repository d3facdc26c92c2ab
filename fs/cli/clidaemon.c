/*
 * clidaemon.c — `ceramicfs daemon --api HOST:PORT`: a node without a
 * mount serving js-ceramic's HTTP API (core/api.c) to apps, with the
 * sync (--ipfs) and anchoring of a mount, in the foreground until SIGINT
 * or SIGTERM. The mount serves the same API with --api.
 */
#include "cli.h"
#include "clianchor.h"
#include "clisync.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void on_event(void *arg, const char *kind, const char *line)
{
    (void)arg, (void)kind;
    fprintf(stderr, "ceramicfs daemon: event %s\n", line);
}

static void on_log(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "ceramicfs daemon: %s\n", line);
}

int cfs_cmd_daemon(int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                         {"key", required_argument, NULL, 'K'},
                                         {"api", required_argument, NULL, 'A'},
                                         CFS_ANCHOR_OPTIONS,
                                         {0}};
    static const char use[] =
        "daemon --api HOST:PORT [--state DIR] [--key FILE] [--ipfs URL] [--network NAME]\n"
        "       [--pubsub-topic T] [--query-timeout MS] [--query-quiet MS] [anchoring options]\n"
        "  serves js-ceramic's HTTP API (/api/v0) for apps on this node, without a mount, until\n"
        "  SIGINT/SIGTERM; HOST is loopback unless you mean otherwise (a warning says so)";
    cfs_net_opts net;
    cer_anchor_opts anchor = {0};
    const char *state = NULL, *key_file = NULL, *listen = NULL;
    char dir[4096];
    cer_node_opts no = {0};
    cer_node *node = NULL;
    cer_sync *sync = NULL;
    cer_anchorer *anchorer = NULL;
    cer_api *api = NULL;
    cer_api_opts ao = {0};
    struct sigaction sa = {0};
    int c, rc;

    cli_set_command("daemon");
    if ((rc = cfs_net_extract(&net, &argc, argv)))
        return rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S': state = optarg; break;
        case 'K': key_file = optarg; break;
        case 'A': listen = optarg; break;
        default:
            if ((rc = cfs_anchor_opt(&anchor, c, optarg)) == 0)
                break;
            return rc < 0 ? EXIT_USAGE : cli_usage(use);
        }
    }
    if (optind != argc || !listen)
        return cli_usage(use);
    if (cli_state_dir(dir, sizeof dir, state))
        return EXIT_BAD;
    no.state_dir = dir;
    no.network = net.network;
    if ((rc = cli_open_node_opts(&node, &no, key_file)))
        return rc;
    cer_node_on_event(node, on_event, NULL);
    if ((rc = cer_node_set_anchor_check(node, &anchor)) < 0) {
        rc = cli_fail_rc(rc, "--eth-rpc");
        goto out;
    }
    if ((rc = cfs_net_start(&sync, node, &net)))
        goto out;
    if ((!anchor.mode || strcmp(anchor.mode, "none") != 0) &&
        (rc = cer_anchorer_start(&anchorer, node, &anchor)) < 0) {
        rc = cli_fail_rc(rc, "cannot start anchoring");
        goto out;
    }
    ao = (cer_api_opts){.listen = listen, .sync = sync, .anchorer = anchorer, .log = on_log};
    if ((rc = cer_api_start(&api, node, &ao)) < 0) {
        rc = cli_fail_rc(rc, listen);
        goto out;
    }
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "ceramicfs daemon: serving the HTTP API on %.*s:%d (DID %s)\n",
            (int)(strrchr(listen, ':') - listen), listen, cer_api_port(api), cer_node_did(node));
    while (!stopping) {
        struct timespec nap = {0, 50 * 1000000};
        nanosleep(&nap, NULL);
    }
    rc = 0;
out:
    cer_api_stop(api);  /* before what it borrows */
    cer_anchorer_stop(anchorer);
    cer_sync_close(sync);
    cer_node_close(node);
    return rc;
}
