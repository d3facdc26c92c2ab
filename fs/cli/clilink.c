/*
 * clilink.c — the link command: link an Ethereum account to a DID with a
 * Caip10Link (account-link stream), or clear the link, from the account's
 * key. The commits are core/caip10.c's (as js-ceramic's stream-caip10-link
 * makes them); the node verifies and records them as any commit it learns.
 * Exit codes of cliutil.h.
 */
#include "cli.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Put block (its CID cid) in the node's store and learn it as id's tip:
 * 0, a negative errno, or 1 when the node kept another tip. */
static int learn(cer_node *node, const cer_streamref *id, const cer_buf *block, const cer_cid *cid)
{
    cer_state *st = NULL;
    int rc;

    if ((rc = cer_store_put(cer_node_store(node), cid, block->data, block->len)) < 0 ||
        (rc = cer_node_learn_tip(node, id, cid)) < 0)
        return rc;
    if ((rc = cer_node_state(node, &st, id)) == 0 && !cer_cid_equal(cer_state_tip(st), cid))
        rc = 1;
    cer_state_free(st);
    return rc;
}

int cfs_cmd_link(int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                         {"eth-key", required_argument, NULL, 'e'},
                                         {"chain-id", required_argument, NULL, 'c'},
                                         {"did", required_argument, NULL, 'd'},
                                         {"clear", no_argument, NULL, 'x'},
                                         {NULL, 0, NULL, 0}};
    static const char use[] = "link --eth-key FILE (--did DID | --clear) [--chain-id ID] [--state DIR]";
    const char *state = NULL, *key_file = NULL, *did = NULL;
    char sid[CER_STREAMID_STR_MAX];
    uint64_t chain = 1;
    bool clear = false;
    cer_buf block = CER_BUF_INIT;
    cer_node *node = NULL;
    cer_state *st = NULL;
    cer_streamref id = {.type = CER_STREAM_CAIP10_LINK};
    cer_key key;
    cer_cid cid;
    cJSON *out;
    char *end;
    int c, rc;

    cli_set_command("link");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S': state = optarg; break;
        case 'e': key_file = optarg; break;
        case 'c':
            errno = 0;
            chain = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || chain == 0 || optarg[0] == '-')
                return cli_fail("--chain-id '%s': an EIP-155 chain number", optarg);
            break;
        case 'd': did = optarg; break;
        case 'x': clear = true; break;
        default: return cli_usage(use);
        }
    }
    if (optind != argc || !key_file || clear == (did != NULL))
        return cli_usage(use);
    if (did && strncmp(did, "did:", 4) != 0)
        return cli_fail("--did '%s': not a DID", did);
    if ((rc = cer_key_load_file(&key, key_file)) < 0)
        return cli_fail_rc(rc, key_file);
    if (key.type != CER_KEY_SECP256K1) {
        cer_key_wipe(&key);
        return cli_fail("%s: not an Ethereum (secp256k1) key", key_file);
    }
    if ((rc = cli_open_node(&node, state, NULL, NULL, 0))) {
        cer_key_wipe(&key);
        return rc;
    }
    /* the account's deterministic genesis, then a proof on its tip */
    if ((rc = cer_caip10_make_genesis(&block, &id.genesis, key.seed, chain)) < 0 ||
        (rc = learn(node, &id, &block, &id.genesis)) < 0 || (rc = cer_node_state(node, &st, &id)) < 0 ||
        (rc = cer_caip10_make_link(&block, &cid, &id.genesis, cer_state_tip(st), key.seed, chain, did,
                                   (int64_t)time(NULL))) < 0 ||
        (rc = learn(node, &id, &block, &cid)) != 0) {
        rc = rc > 0 ? cli_fail("the node kept another tip than the link's commit") : cli_fail_rc(rc, "link");
    } else {
        cer_state_free(st);
        st = NULL;
        cer_streamref_to_string(sid, sizeof sid, &id);
        if ((rc = cer_node_state(node, &st, &id)) < 0) {
            rc = cli_fail_rc(rc, "link");
        } else if (!(out = cJSON_CreateObject()) || !cJSON_AddStringToObject(out, "streamId", sid) ||
                   !cJSON_AddItemToObject(out, "did", cJSON_Duplicate(st->content, 1)) ||
                   !cli_add_cid(out, "tip", &cid)) {
            cJSON_Delete(out);
            rc = cli_fail("out of memory");
        } else {
            rc = cli_print_json(out);
        }
    }
    cer_state_free(st);
    cer_buf_free(&block);
    cer_key_wipe(&key);
    cer_node_close(node);
    return rc;
}
