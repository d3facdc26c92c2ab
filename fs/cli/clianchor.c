/*
 * clianchor.c — `ceramicfs anchor`: anchor documents' tips now, through the
 * built-in anchor service (in-memory or an Ethereum chain) or a CAS, wait
 * for the result and print one JSON line per document; with --verify,
 * check the anchors the documents already have against their chain.
 * Also the shared parser of the anchoring options (clianchor.h).
 */
#include "clianchor.h"
#include "cliutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cfs_anchor_opt(cer_anchor_opts *o, int c, const char *arg)
{
    switch (c) {
    case 0x100:
        if (strcmp(arg, "local") != 0 && strcmp(arg, "none") != 0) {
            cli_fail("--anchor takes local or none, not '%s'", arg);
            return -1;
        }
        o->mode = arg;
        return 0;
    case 0x101: o->service_url = arg; return 0;
    case 0x102:
        if (strcmp(arg, "inmemory") != 0 && strcmp(arg, "eth") != 0) {
            cli_fail("--chain takes inmemory or eth, not '%s'", arg);
            return -1;
        }
        o->chain = arg;
        return 0;
    case 0x103: o->eth_rpc = arg; return 0;
    case 0x104: o->eth_from = arg; return 0;
    case 0x105: return cli_seconds(&o->interval, arg, "--anchor-interval", 86400) ? -1 : 0;
    case 0x106: o->eth_raw = true; return 0;
    case 0x107: return cli_seconds(&o->timeout, arg, "--anchor-timeout", 86400) ? -1 : 0;
    case 0x108:
        if (strcmp(arg, "did") != 0 && strcmp(arg, "none") != 0) {
            cli_fail("--anchor-auth takes did or none, not '%s'", arg);
            return -1;
        }
        o->auth_did = arg[0] == 'd';
        return 0;
    default: return 1;
    }
}

static int collect(const cer_stream_info *info, void *arg)
{
    cer_buf *b = arg;

    return info->pinned ? cer_buf_append(b, &info->id, sizeof info->id) : 0;
}

/* One JSON line for a stream's anchor state; *ok false unless ANCHORED. */
static int print_stream(cer_node *node, const cer_streamref *id, bool *ok)
{
    cer_state *st;
    cJSON *o;
    char tag[32];
    int rc = cer_node_state(node, &st, id);

    if (rc < 0)
        return cli_fail_rc(rc, "state");
    o = cJSON_CreateObject();
    snprintf(tag, sizeof tag, "%s", cer_anchor_status_name(st->anchor_status));
    if (!o || !cli_add_ref(o, "streamId", &st->id) || !cli_add_cid(o, "tip", cer_state_tip(st)) ||
        !cJSON_AddStringToObject(o, "anchorStatus", tag)) {
        cJSON_Delete(o);
        cer_state_free(st);
        return cli_fail("out of memory");
    }
    if (st->has_proof) {
        cJSON_AddStringToObject(o, "chainId", st->proof.chain_id);
        cli_add_cid(o, "root", &st->proof.root);
        cli_add_cid(o, "txHash", &st->proof.tx_hash);
        if (st->log[st->log_len - 1].timestamp)
            cJSON_AddNumberToObject(o, "timestamp", (double)st->log[st->log_len - 1].timestamp);
    }
    if (st->log[st->log_len - 1].type == CER_COMMIT_ANCHOR)  /* what the chain said when it was applied */
        cJSON_AddStringToObject(o, "verification", cer_anchor_check_name(st->log[st->log_len - 1].check));
    if (st->anchor_status != CER_ANCHOR_ANCHORED)
        *ok = false;
    cer_state_free(st);
    return cli_print_json_flags(o, 0);
}

static int verify_stream(cer_node *node, const cer_anchor_opts *o, const cer_streamref *id, int *worst)
{
    cer_state *st;
    cJSON *j;
    char why[512];
    int64_t ts = 0;
    int rc = cer_node_state(node, &st, id), v;

    if (rc < 0)
        return cli_fail_rc(rc, "state");
    if (!st->has_proof) {
        cer_state_free(st);
        return 0;
    }
    v = cer_anchor_verify(o, &st->proof, &ts, why, sizeof why);
    if ((j = cJSON_CreateObject())) {
        cli_add_ref(j, "streamId", &st->id);
        cJSON_AddStringToObject(j, "chainId", st->proof.chain_id);
        cli_add_cid(j, "txHash", &st->proof.tx_hash);
        cJSON_AddStringToObject(j, "verification", v > 0 ? "verified" : v == 0 ? "unverified" : "rejected");
        cJSON_AddStringToObject(j, "reason", why);
        if (ts)
            cJSON_AddNumberToObject(j, "timestamp", (double)ts);
    }
    cer_state_free(st);
    if (v < 0)
        *worst = EXIT_UNVERIFIED;
    return cli_print_json_flags(j, 0);
}

int cfs_cmd_anchor(int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                          {"key", required_argument, NULL, 'K'},
                                          {"wait", required_argument, NULL, 'w'},
                                          {"verify", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'H'},
                                          CFS_ANCHOR_OPTIONS,
                                          {NULL, 0, NULL, 0}};
    static const char use[] =
        "anchor [STREAM|ALIAS...] [--wait SECONDS] [--verify] [--state DIR] [--key FILE]\n"
        "         [--anchor-service URL | --chain inmemory|eth [--eth-rpc URL] [--eth-from ADDR] [--eth-raw]]\n"
        "         [--anchor-timeout S] [--anchor-auth did|none]\n"
        "Anchors the tips of the named documents (default: every pinned document this node\n"
        "controls whose tip is not anchored) in one batch and waits up to --wait seconds\n"
        "(default 60); prints one JSON line per document. --verify checks the anchors they\n"
        "have against their chain instead (exit 4 when one is contradicted). --anchor-auth did\n"
        "signs each request to the --anchor-service with this node's key (as js-ceramic's\n"
        "anchor auth-method did).";
    cer_anchor_opts ao = {0};
    const char *state = NULL, *key = NULL;
    double wait = 60;
    bool verify = false, ok = true;
    cer_node *node = NULL;
    cer_anchorer *a = NULL;
    cer_buf ids = CER_BUF_INIT;
    cer_streamref *list;
    size_t n = 0;
    int c, rc, exit_code = 0;

    cli_set_command("anchor");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'S')
            state = optarg;
        else if (c == 'K')
            key = optarg;
        else if (c == 'w') {
            if (cli_seconds(&wait, optarg, "--wait", 86400))
                return EXIT_USAGE;
        } else if (c == 'v')
            verify = true;
        else if (c == 'H') {
            printf("usage: ceramicfs %s\n", use);
            return 0;
        } else if ((rc = cfs_anchor_opt(&ao, c, optarg)) != 0)
            return rc < 0 ? EXIT_USAGE : cli_usage(use);
    }
    ao.interval = -1;  /* this command drives the batches itself */
    /* --verify only reads, but may take a contradicted anchor out of a log */
    if ((rc = cli_open_node(&node, state, key, NULL, verify ? CLI_NODE_EXISTING : 0)))
        return rc;
    for (int i = optind; i < argc; i++) {
        cer_streamref id;
        if ((rc = cer_node_resolve(node, &id, argv[i])) < 0) {
            cli_fail_rc(rc, argv[i]);
            exit_code = rc == -ENOENT ? EXIT_NOTFOUND : EXIT_BAD;
            goto out;
        }
        if (cer_buf_append(&ids, &id, sizeof id) < 0) {
            exit_code = cli_fail("out of memory");
            goto out;
        }
    }
    if (optind == argc && cer_node_list(node, collect, &ids) < 0) {
        exit_code = cli_fail("cannot list the documents");
        goto out;
    }
    list = (cer_streamref *)ids.data;
    n = ids.len / sizeof *list;
    if (verify) {
        for (size_t i = 0; i < n; i++)
            if ((rc = verify_stream(node, &ao, &list[i], &exit_code)) != 0)
                exit_code = rc;
        goto out;
    }
    if ((rc = cer_anchorer_start(&a, node, &ao)) < 0) {
        exit_code = cli_fail_rc(rc, "cannot start anchoring");
        goto out;
    }
    if (optind == argc) {
        if ((rc = cer_anchorer_request_all(a)) < 0) {
            exit_code = cli_fail_rc(rc, "anchor");
            goto out;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if ((rc = cer_anchorer_request(a, &list[i])) < 0) {
                exit_code = cli_fail_rc(rc, "anchor");
                goto out;
            }
    }
    {
        time_t end = time(NULL) + (time_t)wait;
        for (;;) {
            rc = cer_anchorer_flush(a);
            if (rc < 0)
                fprintf(stderr, "ceramicfs anchor: %s\n", cer_errmsg());
            if (cer_anchorer_pending(a) == 0 || time(NULL) >= end)
                break;
            usleep(ao.service_url ? 2000000 : 250000);  /* a CAS is polled gently */
        }
    }
    for (size_t i = 0; i < n; i++) {
        cer_state *st;
        /* streams that were already anchored are reported too */
        if (cer_node_state(node, &st, &list[i]) < 0)
            continue;
        cer_state_free(st);
        if ((rc = print_stream(node, &list[i], &ok)) != 0)
            exit_code = rc;
    }
    if (!ok && !exit_code)
        exit_code = EXIT_BAD;
out:
    cer_anchorer_stop(a);
    cer_node_close(node);
    cer_buf_free(&ids);
    return exit_code;
}
