/*
 * cliaccount.c — the account command: which DID the node (its commands and
 * its mounts) writes as. Its did:key by default; an Ethereum account
 * (did:pkh) through CACAO sessions with --eth-key, or through a session a
 * wallet made (--session, or --cacao and --session-key), used as given.
 * Exit codes of cliutil.h.
 */
#include "cli.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOURCES_MAX 64

/* "3600", "90m", "12h", "7d": seconds; -1 when not that. */
static int64_t duration(const char *s)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno || end == s || n <= 0 || n > 400LL * 86400)
        return -1;
    if (!*end)
        return n;
    if (end[1])
        return -1;
    switch (*end) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86400;
    default: return -1;
    }
}

int cfs_cmd_account(int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                         {"eth-key", required_argument, NULL, 'e'},
                                         {"chain-id", required_argument, NULL, 'c'},
                                         {"lifetime", required_argument, NULL, 'l'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"clear", no_argument, NULL, 'x'},
                                         {"session", required_argument, NULL, 's'},
                                         {"cacao", required_argument, NULL, 'C'},
                                         {"session-key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    static const char use[] =
        "account [--state DIR]   (print the DID this node writes as)\n"
        "       account --eth-key FILE [--chain-id ID] [--lifetime 7d] [--resource URI]... [--state DIR]\n"
        "       account --session FILE [--state DIR]   (a wallet's serialized DIDSession, used as given)\n"
        "       account --cacao FILE --session-key FILE [--state DIR]\n"
        "       account --clear [--state DIR]   (write as the node's did:key again)";
    const char *state = NULL, *resources[RESOURCES_MAX];
    cer_account_opts o = {0};
    bool clear = false, set, given;
    cer_node *node = NULL;
    cJSON *j = NULL;
    int c, rc;

    cli_set_command("account");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S': state = optarg; break;
        case 'e': o.eth_key_file = optarg; break;
        case 'c': o.chain = optarg; break;
        case 'l':
            if ((o.lifetime_s = duration(optarg)) < 0)
                return cli_fail("--lifetime '%s': a number of seconds, or with s, m, h or d", optarg);
            break;
        case 'r':
            if (o.nresources == RESOURCES_MAX)
                return cli_fail("more than %d --resource", RESOURCES_MAX);
            resources[o.nresources++] = optarg;
            o.resources = resources;
            break;
        case 'x': clear = true; break;
        case 's': o.session_file = optarg; break;
        case 'C': o.cacao_file = optarg; break;
        case 'k': o.session_key_file = optarg; break;
        default: return cli_usage(use);
        }
    }
    given = o.session_file || o.cacao_file || o.session_key_file;
    set = given || o.eth_key_file || o.chain || o.lifetime_s || o.resources;
    if (optind != argc || (clear && set) || (set && !given && !o.eth_key_file) ||
        (given && (o.eth_key_file || o.chain || o.lifetime_s || o.resources || !(o.session_file || o.cacao_file))))
        return cli_usage(use);
    if ((rc = cli_open_node(&node, state, NULL, NULL, set || clear ? 0 : CLI_NODE_RDONLY)))
        return rc;
    if ((set || clear) && (rc = cer_node_set_account(node, clear ? NULL : &o)) < 0)
        rc = cli_fail_rc(rc, clear ? "--clear" : given ? "wallet session" : o.eth_key_file);
    else if ((rc = cer_node_account(node, &j)) < 0)
        rc = cli_fail_rc(rc, "account");
    else {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "warning");
        if (cJSON_IsString(w))
            fprintf(stderr, "ceramicfs account: warning: %s\n", w->valuestring);
        rc = cli_print_json(j);
    }
    cer_node_close(node);
    return rc;
}
