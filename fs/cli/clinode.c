/*
 * clinode.c — the scripting commands over the embedded node: create, show,
 * update, log, list, pin, unpin, alias and verify. Each opens the node on
 * the state directory (--state DIR, default ~/.local/share/ceramicfs),
 * does one thing, prints JSON (log, list, verify: JSON Lines; pin, unpin,
 * alias: the record as list prints it) and exits with the codes of
 * cliutil.h.
 */
#include "cli.h"
#include "cliutil.h"
#include "clisync.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NODE_OPTIONS {"state", required_argument, NULL, 'S'}, {"key", required_argument, NULL, 'K'}

/* Options every node command takes. */
typedef struct node_args {
    const char *state;
    const char *key_file;
    const char *network;    /* --network (show): which anchor chains count */
} node_args;

/* Exit code for a failed node call. */
static int node_fail(int rc, const char *what)
{
    cli_fail_rc(rc, what);
    return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_BAD;
}

/* Exit code for a failed call on stream id: "no such document" only when
 * the node does not keep it (a missing block of a kept one is a failure). */
static int stream_fail(cer_node *node, const cer_streamref *id, int rc, const char *what)
{
    cer_stream_info info;

    cli_fail_rc(rc, what);
    if (rc == -ENOENT && cer_node_info(node, id, &info) < 0)
        rc = EXIT_NOTFOUND;
    else
        rc = EXIT_BAD;
    cer_errclear();
    return rc;
}

static int resolve(cer_node *node, cer_streamref *id, const char *name)
{
    int rc = cer_node_resolve(node, id, name);

    return rc < 0 ? node_fail(rc, name) : 0;
}

/* Parse the options of a node command: NODE_OPTIONS plus extra ones,
 * handled by fn (which returns non-zero for an unknown option). Returns
 * 0, or an exit code. */
static int node_getopt(int argc, char **argv, node_args *a, const struct option *extra, size_t nextra,
                       int (*fn)(int c, void *arg), void *arg, const char *use)
{
    struct option opts[16] = {NODE_OPTIONS};
    int c;

    if (nextra)
        memcpy(opts + 2, extra, nextra * sizeof *extra);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'S')
            a->state = optarg;
        else if (c == 'K')
            a->key_file = optarg;
        else if (!fn || fn(c, arg))
            return cli_usage(use);
    }
    return 0;
}

static cJSON *stream_summary(const cer_state *st)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !cli_add_ref(o, "streamId", &st->id) || !cli_add_cid(o, "tip", cer_state_tip(st)) ||
        !cJSON_AddNumberToObject(o, "logLength", (double)st->log_len)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- create ---- */

typedef struct create_args {
    const char *header, *content, *alias;
    const char *model_def;  /* --model-def: make a Model */
    const char *model;      /* --model: make a document of that Model */
    bool deterministic;
} create_args;

static int create_opt(int c, void *arg)
{
    create_args *ca = arg;

    switch (c) {
    case 'h': ca->header = optarg; return 0;
    case 'c': ca->content = optarg; return 0;
    case 'a': ca->alias = optarg; return 0;
    case 'd': ca->deterministic = true; return 0;
    case 'M': ca->model_def = optarg; return 0;
    case 'm': ca->model = optarg; return 0;
    default: return 1;
    }
}

int cfs_cmd_create(int argc, char **argv)
{
    static const struct option extra[] = {{"header", required_argument, NULL, 'h'},
                                          {"content", required_argument, NULL, 'c'},
                                          {"alias", required_argument, NULL, 'a'},
                                          {"deterministic", no_argument, NULL, 'd'},
                                          {"model-def", required_argument, NULL, 'M'},
                                          {"model", required_argument, NULL, 'm'}};
    static const char use[] = "create [--content JSON|@FILE] [--header JSON] [--alias NAME] [--deterministic] "
                              "[--state DIR] [--key FILE]\n"
                              "       create --model-def JSON|@FILE [--alias NAME]   (a Model)\n"
                              "       create --model MODEL --content JSON|@FILE [--alias NAME]   (a document of MODEL)";
    node_args a = {0};
    create_args ca = {0};
    cer_node *node = NULL;
    cJSON *hdr = NULL, *content = NULL, *def = NULL, *o = NULL;
    cer_streamref id, model;
    cer_state *st = NULL;
    int rc;

    cli_set_command("create");
    if ((rc = node_getopt(argc, argv, &a, extra, 6, create_opt, &ca, use)) || optind != argc)
        return rc ? rc : cli_usage(use);
    /* a Model takes its definition only; a MID its model and content */
    if (ca.model_def && (ca.model || ca.content || ca.header || ca.deterministic))
        return cli_fail("--model-def: a Model takes no --model, --content, --header or --deterministic");
    if (ca.model && (ca.header || ca.deterministic))
        return cli_fail("--model: a document of a Model takes no --header or --deterministic");
    rc = EXIT_BAD;
    if ((ca.header && !(hdr = cli_json_arg(ca.header, "--header"))) ||
        (ca.content && !(content = cli_json_arg(ca.content, "--content"))) ||
        (ca.model_def && !(def = cli_json_arg(ca.model_def, "--model-def"))))
        goto out;
    if (content && !cJSON_IsObject(content) && !cJSON_IsNull(content)) {
        rc = cli_fail("--content: a document's content must be a JSON object");
        goto out;
    }
    if (ca.alias && (rc = cer_node_alias_check(ca.alias)) < 0) {
        rc = cli_fail_rc(rc, "--alias");
        goto out;
    }
    if ((rc = cli_open_node(&node, a.state, a.key_file, a.network, 0)))
        goto out;
    /* a name another document holds: refused before anything is made (a
     * deterministic document may be the holder itself) */
    if (ca.alias && !ca.deterministic && !ca.model && cer_node_resolve(node, &id, ca.alias) == 0) {
        char sid[CER_STREAMID_STR_MAX];
        cer_streamref_to_string(sid, sizeof sid, &id);
        rc = cli_fail("--alias: \"%s\" is already the alias of %s", ca.alias, sid);
        goto out;
    }
    cer_errclear();
    if (ca.model && (rc = resolve(node, &model, ca.model)))
        goto out;
    rc = def        ? cer_node_create_model(node, &id, def)
         : ca.model ? cer_node_create_mid(node, &id, &model, content)
                    : cer_node_create(node, &id, hdr, content, ca.deterministic ? CER_CREATE_DETERMINISTIC : 0);
    if (rc < 0) {
        rc = node_fail(rc, "cannot create");
        goto out;
    }
    if (ca.alias && (rc = cer_node_alias(node, &id, ca.alias)) < 0) {
        rc = node_fail(rc, "created, but cannot set the alias");
        goto out;
    }
    if ((rc = cer_node_state(node, &st, &id)) < 0) {
        rc = node_fail(rc, "created, but cannot read it back");
        goto out;
    }
    if (!(o = stream_summary(st)) || (ca.alias && !cJSON_AddStringToObject(o, "alias", ca.alias))) {
        rc = cli_fail("out of memory");
        goto out;
    }
    rc = cli_print_json(o);
    o = NULL;
out:
    cJSON_Delete(o);
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    cJSON_Delete(def);
    cer_state_free(st);
    cer_node_close(node);
    return rc;
}

/* ---- commands on one stream: show, update, log, pin, unpin, alias ---- */

/* Open the node (how: CLI_NODE_*) and resolve argv[optind] (after the
 * options) to a stream. The commands on a stream need a node that exists
 * (show --ipfs fetches into one, and may make it); those that only read
 * open it read-only. */
static int open_stream(cer_node **node, cer_streamref *id, const node_args *a, int argc, char **argv,
                       int extra_args, unsigned how, const char *use)
{
    int rc;

    if (argc - optind != 1 + extra_args)
        return cli_usage(use);
    if ((rc = cli_open_node(node, a->state, a->key_file, a->network, how)))
        return rc;
    return resolve(*node, id, argv[optind]);
}

static int show_opt(int c, void *arg)
{
    if (c != 'm')
        return 1;
    *(bool *)arg = true;
    return 0;
}

/* The state as JSON for --meta: js-ceramic's shape, plus streamId. */
static cJSON *state_json(const cer_state *st)
{
    cJSON *o = cJSON_CreateObject(), *log;
    const char *name = cer_stream_type_name(st->id.type);

    if (!o || !cli_add_ref(o, "streamId", &st->id) || !cJSON_AddNumberToObject(o, "type", (double)st->id.type) ||
        !cJSON_AddStringToObject(o, "doctype", name ? name : "unknown") ||
        !cJSON_AddItemToObject(o, "content", cJSON_Duplicate(st->content, 1)) ||
        !cJSON_AddItemToObject(o, "metadata", cJSON_Duplicate(st->metadata, 1)) ||
        !cJSON_AddNumberToObject(o, "signature", st->signature) ||
        !cJSON_AddStringToObject(o, "anchorStatus", cer_anchor_status_name(st->anchor_status)) ||
        !cli_add_cid(o, "tip", cer_state_tip(st)) || !(log = cJSON_AddArrayToObject(o, "log")))
        goto fail;
    for (size_t i = 0; i < st->log_len; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(log, e) || !cli_add_cid(e, "cid", &st->log[i].cid) ||
            !cJSON_AddNumberToObject(e, "type", st->log[i].type) ||
            (st->log[i].timestamp && !cJSON_AddNumberToObject(e, "timestamp", (double)st->log[i].timestamp)))
            goto fail;
    }
    if (st->has_proof) {  /* the newest anchor's proof, as js-ceramic's anchorProof */
        cJSON *p = cJSON_AddObjectToObject(o, "anchorProof");
        if (!p || !cJSON_AddStringToObject(p, "chainId", st->proof.chain_id) || !cli_add_cid(p, "root", &st->proof.root) ||
            !cli_add_cid(p, "txHash", &st->proof.tx_hash) ||
            (st->proof.tx_type[0] && !cJSON_AddStringToObject(p, "txType", st->proof.tx_type)) ||
            (st->proof.has_block_number && !cJSON_AddNumberToObject(p, "blockNumber", (double)st->proof.block_number)) ||
            (st->proof.has_block_timestamp &&
             !cJSON_AddNumberToObject(p, "blockTimestamp", (double)st->proof.block_timestamp)))
            goto fail;
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

int cfs_cmd_show(int argc, char **argv)
{
    static const struct option extra[] = {{"meta", no_argument, NULL, 'm'}};
    static const char use[] = "show STREAM|ALIAS [--meta] [--state DIR] [--key FILE] [--ipfs URL [--network N] "
                              "[--pubsub-topic T] [--query-timeout MS] [--query-quiet MS]]";
    node_args a = {0};
    bool meta = false;
    cer_node *node = NULL;
    cer_sync *sync = NULL;
    cfs_net_opts net;
    cer_streamref id;
    cer_state *st = NULL;
    int rc;

    cli_set_command("show");
    if ((rc = cfs_net_extract(&net, &argc, argv)) ||
        (rc = node_getopt(argc, argv, &a, extra, 1, show_opt, &meta, use)) ||
        (a.network = net.network,
         rc = open_stream(&node, &id, &a, argc, argv, 0, net.ipfs ? 0 : CLI_NODE_RDONLY, use)) ||
        (rc = cfs_net_start(&sync, node, &net)) ||
        (rc = cfs_net_load(sync, &id, &net)))
        goto out;
    if ((rc = cer_node_state(node, &st, &id)) < 0) {
        rc = stream_fail(node, &id, rc, argv[optind]);
        goto out;
    }
    rc = meta ? cli_print_json(state_json(st)) : cli_print_json(cJSON_Duplicate(st->content, 1));
out:
    cer_state_free(st);
    cer_sync_close(sync);
    cer_node_close(node);
    return rc;
}

int cfs_cmd_update(int argc, char **argv)
{
    static const char use[] = "update STREAM|ALIAS [FILE|-] [--state DIR] [--key FILE]   (new content; stdin by default)";
    node_args a = {0};
    cer_node *node = NULL;
    cer_streamref id;
    cer_buf in = CER_BUF_INIT;
    cer_save_result r;
    cJSON *o = NULL;
    cer_state *after = NULL;
    const char *src;
    int rc;

    cli_set_command("update");
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)))
        return rc;
    if (argc - optind != 1 && argc - optind != 2)
        return cli_usage(use);
    src = argc - optind == 2 ? argv[optind + 1] : "-";
    if ((rc = cli_read_input(&in, src)) ||
        (rc = open_stream(&node, &id, &a, argc, argv, argc - optind - 1, CLI_NODE_EXISTING, use)))
        goto out;
    /* a save as the mount's: the node checks the content (one JSON
     * object), diffs and commits; nothing changes when it refuses */
    if ((rc = cer_node_save(node, &id, (const char *)in.data, in.len, NULL, &r)) < 0) {
        rc = rc == -EINVAL || rc == -EFBIG ? cli_fail("%s: %s", src, r.reason)
             : rc == -EPERM               ? cli_fail("refused: %s", r.reason)
                                          : stream_fail(node, &id, rc, argv[optind]);
        goto out;
    }
    if ((rc = cer_node_state(node, &after, &id)) < 0) {
        rc = stream_fail(node, &id, rc, argv[optind]);
        goto out;
    }
    if (!(o = stream_summary(after)) || !cJSON_AddBoolToObject(o, "changed", r.status != CER_SAVE_UNCHANGED)) {
        rc = cli_fail("out of memory");
        goto out;
    }
    rc = cli_print_json(o);
    o = NULL;
out:
    cJSON_Delete(o);
    cer_buf_free(&in);
    cer_state_free(after);
    cer_node_close(node);
    return rc;
}

static const char *commit_type_name(int type)
{
    return type == CER_COMMIT_GENESIS ? "genesis" : type == CER_COMMIT_SIGNED ? "signed" : "anchor";
}

int cfs_cmd_log(int argc, char **argv)
{
    static const char use[] = "log STREAM|ALIAS [--state DIR] [--key FILE]   (JSON Lines, oldest first)";
    node_args a = {0};
    cer_node *node = NULL;
    cer_streamref id;
    cer_state *st = NULL;
    int rc;

    cli_set_command("log");
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)) ||
        (rc = open_stream(&node, &id, &a, argc, argv, 0, CLI_NODE_RDONLY, use)))
        goto out;
    if ((rc = cer_node_state(node, &st, &id)) < 0) {
        rc = stream_fail(node, &id, rc, argv[optind]);
        goto out;
    }
    for (size_t i = 0; i < st->log_len && rc == 0; i++) {
        const cer_log_entry *e = &st->log[i];
        cJSON *o = cJSON_CreateObject();
        bool ok = o && cli_add_cid(o, "cid", &e->cid) &&
                  cJSON_AddStringToObject(o, "type", commit_type_name(e->type)) &&
                  (i == 0 || cli_add_cid(o, "prev", &st->log[i - 1].cid)) &&
                  (!e->author[0] || cJSON_AddStringToObject(o, "author", e->author)) &&
                  (!e->has_cap || cli_add_cid(o, "capability", &e->cap)) &&
                  (!e->timestamp || cJSON_AddNumberToObject(o, "timestamp", (double)e->timestamp));
        rc = ok ? cli_print_json_flags(o, 0) : (cJSON_Delete(o), cli_fail("out of memory"));
    }
out:
    cer_state_free(st);
    cer_node_close(node);
    return rc;
}

static int list_one(const cer_stream_info *info, void *arg)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cli_add_ref(o, "streamId", &info->id) && cli_add_cid(o, "tip", &info->tip) &&
              cJSON_AddBoolToObject(o, "pinned", info->pinned) &&
              (info->alias[0] ? cJSON_AddStringToObject(o, "alias", info->alias) != NULL
                              : cJSON_AddNullToObject(o, "alias") != NULL);

    (void)arg;
    return ok ? cli_print_json_flags(o, 0) : (cJSON_Delete(o), cli_fail("out of memory"));
}

/* The record after a change (pin, unpin, alias), as list prints it. */
static int print_record(cer_node *node, const cer_streamref *id, const char *name)
{
    cer_stream_info info;
    int rc = cer_node_info(node, id, &info);

    return rc < 0 ? stream_fail(node, id, rc, name) : list_one(&info, NULL);
}

static int pin_cmd(int argc, char **argv, bool pin)
{
    const char *use = pin ? "pin STREAM|ALIAS [--state DIR] [--key FILE]" : "unpin STREAM|ALIAS [--state DIR] [--key FILE]";
    node_args a = {0};
    cer_node *node = NULL;
    cer_streamref id;
    int rc;

    cli_set_command(pin ? "pin" : "unpin");
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)) ||
        (rc = open_stream(&node, &id, &a, argc, argv, 0, CLI_NODE_EXISTING, use)))
        goto out;
    if ((rc = cer_node_pin(node, &id, pin)) < 0)
        rc = stream_fail(node, &id, rc, argv[optind]);
    else
        rc = print_record(node, &id, argv[optind]);
out:
    cer_node_close(node);
    return rc;
}

int cfs_cmd_pin(int argc, char **argv)
{
    return pin_cmd(argc, argv, true);
}

int cfs_cmd_unpin(int argc, char **argv)
{
    return pin_cmd(argc, argv, false);
}

int cfs_cmd_alias(int argc, char **argv)
{
    static const char use[] = "alias STREAM|ALIAS NAME|--clear [--state DIR] [--key FILE]";
    node_args a = {0};
    cer_node *node = NULL;
    cer_streamref id;
    const char *name;
    bool clear = false;
    int rc;

    cli_set_command("alias");
    /* --clear is a value here, not an option: stop getopt from taking it */
    if (argc >= 3 && strcmp(argv[argc - 1], "--clear") == 0) {
        argv[argc - 1] = (char *)"";
        clear = true;
    }
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)))
        goto out;
    if (argc - optind != 2)
        return cli_usage(use);
    name = argv[optind + 1];
    if (!clear && (rc = cer_node_alias_check(name)) < 0) {
        rc = cli_fail("%s", cer_errmsg());
        goto out;
    }
    if ((rc = open_stream(&node, &id, &a, argc, argv, 1, CLI_NODE_EXISTING, use)))
        goto out;
    if ((rc = cer_node_alias(node, &id, clear ? NULL : name)) < 0)
        rc = stream_fail(node, &id, rc, argv[optind]);
    else
        rc = print_record(node, &id, argv[optind]);
out:
    cer_node_close(node);
    return rc;
}

/* ---- list, verify ---- */

int cfs_cmd_list(int argc, char **argv)
{
    static const char use[] = "list [--state DIR] [--key FILE]   (JSON Lines)";
    node_args a = {0};
    cer_node *node = NULL;
    int rc;

    cli_set_command("list");
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)))
        return rc;
    if (optind != argc)
        return cli_usage(use);
    if ((rc = cli_open_node(&node, a.state, a.key_file, a.network, CLI_NODE_RDONLY)))
        return rc;
    rc = cer_node_list(node, list_one, NULL);
    if (rc < 0)
        rc = cli_fail_rc(rc, "list");
    cer_node_close(node);
    return rc;
}

typedef struct verify_ctx {
    cer_node *node;
    int checked, failed;
} verify_ctx;

static int verify_one(const cer_stream_info *info, void *arg)
{
    verify_ctx *v = arg;
    char sid[CER_STREAMID_STR_MAX];
    int rc = cer_node_verify(v->node, &info->id);

    cer_streamref_to_string(sid, sizeof sid, &info->id);
    v->checked++;
    if (rc < 0) {
        v->failed++;
        printf("{\"streamId\":\"%s\",\"ok\":false}\n", sid);
        cli_fail_rc(rc, sid);
    } else {
        printf("{\"streamId\":\"%s\",\"ok\":true}\n", sid);
    }
    return 0;
}

static void bad_block(const cer_cid *cid, int err, void *arg)
{
    char name[CER_CID_STR_MAX];

    (void)err;
    cer_cid_to_string(name, sizeof name, cid);
    printf("{\"block\":\"%s\",\"ok\":false}\n", name);
    cli_fail_rc(err, name);
    ++*(int *)arg;
}

/* What the node left aside at open (a damaged record or journal line):
 * each is a failure of the whole-node verify. */
static void verify_warnings(verify_ctx *v)
{
    size_t n;
    const char *const *w = cer_node_warnings(v->node, &n);

    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o && cJSON_AddStringToObject(o, "registry", w[i]) && cJSON_AddFalseToObject(o, "ok"))
            cli_print_json_flags(o, 0);
        else
            cJSON_Delete(o);
        cli_fail("%s", w[i]);
        v->failed++;
    }
}

/* verify: with a file argument, a DAG-JOSE block (cfs_cmd_verify_block);
 * with a stream or alias, that stream; with none, what the node left aside
 * at open, every stream and then every block in the store. */
int cfs_cmd_verify(int argc, char **argv)
{
    static const char use[] = "verify [STREAM|ALIAS|FILE] [--state DIR] [--key FILE]";
    node_args a = {0};
    verify_ctx v = {0};
    cer_streamref id;
    struct stat sb;
    int rc;

    cli_set_command("verify");
    if ((rc = node_getopt(argc, argv, &a, NULL, 0, NULL, NULL, use)))
        return rc;
    if (argc - optind > 1)
        return cli_usage(use);
    /* a file (or - for stdin) is a DAG-JOSE block, whatever the options */
    if (argc - optind == 1 && (strcmp(argv[optind], "-") == 0 || stat(argv[optind], &sb) == 0))
        return cfs_cmd_verify_block(2, (char *[]){argv[0], argv[optind], NULL});
    /* a missing path: no alias has a '/', no StreamID form but these two */
    if (argc - optind == 1 && strchr(argv[optind], '/') && strncmp(argv[optind], "ceramic://", 10) != 0 &&
        strncmp(argv[optind], "/ceramic/", 9) != 0)
        return cli_fail("%s: %s", argv[optind], strerror(errno));
    if ((rc = cli_open_node(&v.node, a.state, a.key_file, a.network, CLI_NODE_RDONLY)))
        return rc;
    if (argc - optind == 1) {
        cer_stream_info info;
        if (!(rc = resolve(v.node, &id, argv[optind]))) {
            if ((rc = cer_node_info(v.node, &id, &info)) < 0)  /* a StreamID not kept here */
                rc = node_fail(rc, argv[optind]);
            else
                verify_one(&info, &v);
        }
    } else {
        verify_warnings(&v);
        if ((rc = cer_node_list(v.node, verify_one, &v)) < 0)
            rc = cli_fail_rc(rc, "verify");
        else if ((rc = cer_node_verify_blocks(v.node, bad_block, &v.failed)) < 0)
            rc = cli_fail_rc(rc, "verify blocks");
        else
            rc = 0;
    }
    cer_node_close(v.node);
    if (rc)
        return rc;
    return v.failed ? EXIT_UNVERIFIED : 0;
}
