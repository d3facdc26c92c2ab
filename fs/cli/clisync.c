/*
 * clisync.c — the network options of ceramicfs (--ipfs, --network,
 * --pubsub-topic, --query-timeout; reused by show and, later, the mount)
 * and the `sync` command, which runs a node with libceramic's sync in the
 * foreground: it publishes the node's journal, answers queries, learns
 * remote tips, and prints each tip change as a JSON line on stdout and the
 * node's status as JSON when it stops. Protocol logic lives in core/sync.c.
 */
#include "clisync.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cfs_parse_ms(int *out, const char *s, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 3600 * 1000) {
        fprintf(stderr, "ceramicfs: %s must be a number of milliseconds\n", what);
        return EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

int cfs_net_extract(cfs_net_opts *o, int *argc, char **argv)
{
    static const char *names[] = {"--ipfs", "--network", "--pubsub-topic", "--query-timeout", "--query-quiet"};
    int out = 1;

    memset(o, 0, sizeof *o);
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *val = NULL;
        size_t k, n = sizeof names / sizeof names[0];

        if (strcmp(a, "--") == 0) {  /* the rest is not ours */
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        for (k = 0; k < n; k++) {
            size_t l = strlen(names[k]);
            if (strncmp(a, names[k], l) == 0 && (a[l] == '\0' || a[l] == '=')) {
                if (a[l] == '=')
                    val = a + l + 1;
                else if (i + 1 < *argc)
                    val = argv[++i];
                else {
                    fprintf(stderr, "ceramicfs: %s needs a value\n", names[k]);
                    return EXIT_USAGE;
                }
                break;
            }
        }
        if (k == n) {
            argv[out++] = argv[i];
            continue;
        }
        switch (k) {
        case 0: o->ipfs = val; break;
        case 1: o->network = val; break;
        case 2: o->topic = val; break;
        case 3:
            if (cfs_parse_ms(&o->query_timeout_ms, val, "--query-timeout"))
                return EXIT_USAGE;
            break;
        default:
            if (cfs_parse_ms(&o->query_quiet_ms, val, "--query-quiet"))
                return EXIT_USAGE;
        }
    }
    argv[out] = NULL;
    *argc = out;
    if (!o->ipfs && (o->network || o->topic || o->query_timeout_ms || o->query_quiet_ms)) {
        fprintf(stderr, "ceramicfs: --network, --pubsub-topic, --query-timeout and --query-quiet need --ipfs URL\n");
        return EXIT_USAGE;
    }
    return 0;
}

int cfs_net_start(cer_sync **out, cer_node *node, const cfs_net_opts *o)
{
    cer_sync_opts so = {0};
    int rc;

    *out = NULL;
    if (!o->ipfs)
        return 0;
    so.ipfs.url = o->ipfs;
    so.network = o->network;
    so.pubsub_topic = o->topic;
    so.query_timeout_ms = o->query_timeout_ms;
    so.query_quiet_ms = o->query_quiet_ms;
    if ((rc = cer_node_attach_ipfs(node, &so.ipfs)) < 0)
        return cli_fail_rc(rc, "--ipfs");
    if ((rc = cer_sync_open(out, node, &so)) < 0)
        return cli_fail_rc(rc, "cannot start sync");
    return 0;
}

int cfs_net_load(cer_sync *sync, const cer_streamref *id, const cfs_net_opts *o)
{
    int rc;

    if (!sync)
        return 0;
    if ((rc = cer_sync_load(sync, id, o->query_timeout_ms)) < 0) {
        cli_fail_rc(rc, "cannot load from the network");
        return rc == -ENOENT || rc == -ETIMEDOUT ? EXIT_NOTFOUND : EXIT_BAD;
    }
    return 0;
}

/* ---- the sync command ---- */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void print_change(void *arg, const cer_streamref *id, const cer_cid *tip, unsigned flags)
{
    char sid[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX];

    (void)arg;
    if (cer_streamref_to_string(sid, sizeof sid, id) < 0 || cer_cid_to_string(cid, sizeof cid, tip) < 0)
        return;
    printf("{\"stream\":\"%s\",\"tip\":\"%s\",\"local\":%s}\n", sid, cid,
           (flags & CER_CHANGE_LOCAL) ? "true" : "false");
    fflush(stdout);
}

static void print_event(void *arg, const char *kind, const char *line)
{
    (void)arg, (void)kind;
    fprintf(stderr, "ceramicfs sync: event %s\n", line);
}

int cfs_cmd_sync(int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                         {"key", required_argument, NULL, 'K'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"load", required_argument, NULL, 'l'},
                                         {0}};
    static const char use[] =
        "sync --ipfs URL [--network inmemory|local|dev-unstable|testnet-clay|mainnet] [--pubsub-topic T]\n"
        "       [--query-timeout MS] [--query-quiet MS] [--state DIR] [--key FILE] [--seconds N] [--load STREAM]...\n"
        "  runs this node's sync in the foreground until SIGINT/SIGTERM or N seconds: publishes its\n"
        "  unpublished commits, answers queries, learns remote tips (one JSON line per tip change),\n"
        "  then prints the node's status";
    cfs_net_opts net;
    const char *state = NULL, *key_file = NULL;
    const char *loads[16];
    size_t nloads = 0;
    double seconds = 0;
    char dir[4096];
    cer_node_opts no = {0};
    cer_node *node = NULL;
    cer_sync *sync = NULL;
    cJSON *status = NULL;
    struct sigaction sa = {0};
    int c, rc;

    cli_set_command("sync");
    if ((rc = cfs_net_extract(&net, &argc, argv)))
        return rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S': state = optarg; break;
        case 'K': key_file = optarg; break;
        case 's': {
            char *end;
            seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(seconds > 0) || seconds > 1e7)
                return cli_usage(use);
            break;
        }
        case 'l':
            if (nloads == sizeof loads / sizeof loads[0])
                return cli_usage(use);
            loads[nloads++] = optarg;
            break;
        default: return cli_usage(use);
        }
    }
    if (optind != argc || !net.ipfs)
        return cli_usage(use);
    if (cli_state_dir(dir, sizeof dir, state))
        return EXIT_BAD;
    no.state_dir = dir;
    no.network = net.network;
    if ((rc = cli_open_node_opts(&node, &no, key_file)))
        return rc;
    cer_node_on_event(node, print_event, NULL);
    if ((rc = cer_node_listen(node, print_change, NULL)) < 0) {
        rc = cli_fail_rc(rc, "listen");
        goto out;
    }
    if ((rc = cfs_net_start(&sync, node, &net)))
        goto out;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (cer_sync_wait_ready(sync, 10000) < 0)
        fprintf(stderr, "ceramicfs sync: %s (retrying in the background)\n", cer_errmsg());
    else
        fprintf(stderr, "ceramicfs sync: subscribed\n");
    for (size_t i = 0; i < nloads && !stopping; i++) {
        cer_streamref id;
        if ((rc = cer_node_resolve(node, &id, loads[i])) < 0) {
            rc = cli_fail_rc(rc, loads[i]);
            goto out;
        }
        if ((rc = cfs_net_load(sync, &id, &net)))
            goto out;
    }
    {
        struct timespec t0, now, nap = {0, 50 * 1000000};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (stopping ||
                (seconds > 0 && (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= seconds))
                break;
            nanosleep(&nap, NULL);
        }
    }
    rc = 0;
out:
    if (node && cer_node_status(node, &status) == 0)
        cli_print_json(status);
    cer_sync_close(sync);
    cer_node_close(node);
    return rc;
}
