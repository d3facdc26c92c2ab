/*
 * cli.c — plumbing commands for scripts and for checking ceramicfs against
 * other Ceramic implementations. Every command reads its input from
 * arguments, stdin or a file, prints machine-readable output (JSON or one
 * value per line) on stdout, and on bad input prints one line
 * "ceramicfs <cmd>: <reason>" on stderr and exits 1 (2 for usage errors).
 */
#include "cli.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *hex_string(const uint8_t *p, size_t n)
{
    size_t cap = cer_base_encoded_max(CER_BASE16, n);
    char *s = malloc(cap);

    if (s && cer_base_encode(s, cap, CER_BASE16, p, n) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

static bool add_hex(cJSON *o, const char *key, const uint8_t *p, size_t n)
{
    char *h = hex_string(p, n);
    bool ok = h && cJSON_AddStringToObject(o, key, h);

    free(h);
    return ok;
}

static bool add_b64u(cJSON *o, const char *key, const uint8_t *p, size_t n)
{
    size_t cap = cer_base_encoded_max(CER_BASE64URL, n);
    char *s = malloc(cap);
    bool ok = s && cer_base_encode(s, cap, CER_BASE64URL, p, n) >= 0 && cJSON_AddStringToObject(o, key, s);

    free(s);
    return ok;
}

/* {"cid": ..., "hex": ...} of a block */
static bool add_block(cJSON *o, const char *key, const cer_block *b)
{
    cJSON *j = cJSON_AddObjectToObject(o, key);

    return j && cli_add_cid(j, "cid", &b->cid) && add_hex(j, "hex", b->bytes.data, b->bytes.len);
}

/* The JWS parts of signature 0 as js-dag-jose presents them. */
static bool add_jws(cJSON *o, const char *key, const cer_jws *jws)
{
    cJSON *j = cJSON_AddObjectToObject(o, key);
    char *compact = NULL;
    bool ok = j && jws->nsigs > 0 && add_b64u(j, "payload", jws->payload, jws->payload_len) &&
              add_b64u(j, "protected", jws->sigs[0].protected_hdr, jws->sigs[0].protected_len) &&
              add_b64u(j, "signature", jws->sigs[0].signature, jws->sigs[0].signature_len) &&
              (!jws->has_link || cli_add_cid(j, "link", &jws->link)) && cer_jws_compact(&compact, jws, 0) >= 0 &&
              cJSON_AddStringToObject(j, "compact", compact);

    free(compact);
    return ok;
}

/* Everything about a built commit, for genesis and commit. */
static int print_commit(const cer_commit_blocks *c, const cer_streamref *sid, const cer_streamref *cmt)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cli_add_ref(o, "streamId", sid) && cli_add_ref(o, "commitId", cmt) &&
              cli_add_cid(o, "cid", cer_commit_cid(c)) && cJSON_AddBoolToObject(o, "signed", c->is_signed) &&
              add_block(o, "payload", &c->payload) &&
              (!c->is_signed || (add_block(o, "envelope", &c->envelope) && add_jws(o, "jws", &c->jws)));

    if (!ok) {
        cJSON_Delete(o);
        return cli_fail("cannot format output");
    }
    return cli_print_json(o);
}

/* ---- commands ---- */

#define KEY_OPTIONS                                                                                \
    {"seed-hex", required_argument, NULL, 's'}, {"key", required_argument, NULL, 'K'},             \
    {"state", required_argument, NULL, 'S'}, {"key-type", required_argument, NULL, 'T'}

int cfs_cmd_did(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS, {"kid", no_argument, NULL, 'k'}, {0}};
    const char *seed = NULL, *kfile = NULL, *state = NULL, *ktype = NULL;
    bool kid = false;
    cer_key key;
    char s[CER_KID_MAX];
    int c;

    cli_set_command("did");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = optarg; break;
        case 'K': kfile = optarg; break;
        case 'T': ktype = optarg; break;
        case 'S': state = optarg; break;
        case 'k': kid = true; break;
        default: return cli_usage("did [--seed-hex HEX | --key FILE] [--key-type TYPE] [--state DIR] [--kid]");
        }
    }
    if (optind != argc)
        return cli_usage("did [--seed-hex HEX | --key FILE] [--key-type TYPE] [--state DIR] [--kid]");
    if (cli_get_key(&key, seed, ktype, kfile, state, true))
        return EXIT_BAD;
    if (kid)
        cer_key_kid(s, sizeof s, &key);
    else
        snprintf(s, sizeof s, "%s", key.did);
    cer_key_wipe(&key);
    puts(s);
    return 0;
}

static int write_file(const char *path, const cer_buf *b)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        return cli_fail("%s: %s", path, strerror(errno));
    if (fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
        return cli_fail("%s: write error", path);
    return 0;
}

static int parse_codec(uint64_t *codec, const char *s)
{
    if (strcmp(s, "dag-cbor") == 0)
        *codec = CER_CODEC_DAG_CBOR;
    else if (strcmp(s, "dag-jose") == 0)
        *codec = CER_CODEC_DAG_JOSE;
    else
        return cli_fail("unknown codec '%s' (dag-cbor or dag-jose)", s);
    return 0;
}

static int dag_encode(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {0}};
    const char *outp = NULL;
    cer_buf in = CER_BUF_INIT, block = CER_BUF_INIT;
    cJSON *j = NULL;
    cer_cid cid;
    char s[CER_CID_STR_MAX];
    int c, rc = EXIT_BAD;

    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c != 'o')
            return cli_usage("dag encode [-o|--output FILE] < dag-json");
        outp = optarg;
    }
    if (optind != argc)
        return cli_usage("dag encode [-o|--output FILE] < dag-json");
    if (cli_read_input(&in, "-") || !(j = cli_parse_json((char *)in.data, in.len, CER_JSON_EXACT_INTS, "stdin")))
        goto out;
    if ((rc = cer_dagcbor_encode(&block, j, CER_DAGJSON)) < 0) {
        rc = cli_fail_rc(rc, "encode");
        goto out;
    }
    rc = EXIT_BAD;
    if (block.len > CER_BLOCK_MAX) {
        cli_fail("block of %zu bytes is over the %d byte limit", block.len, CER_BLOCK_MAX);
        goto out;
    }
    cer_cid_of_block(&cid, CER_CODEC_DAG_CBOR, block.data, block.len);
    cer_cid_to_string(s, sizeof s, &cid);
    if (outp && write_file(outp, &block))
        goto out;
    puts(s);
    rc = 0;
out:
    cJSON_Delete(j);
    cer_buf_free(&in);
    cer_buf_free(&block);
    return rc;
}

/* dag-json view of a JWS, as js-dag-jose decodes it. */
static cJSON *jws_json(const cer_jws *jws)
{
    cJSON *o = cJSON_CreateObject(), *sigs = cJSON_AddArrayToObject(o, "signatures");
    bool ok = o && sigs && add_b64u(o, "payload", jws->payload, jws->payload_len);

    for (size_t i = 0; ok && i < jws->nsigs; i++) {
        cJSON *s = cJSON_CreateObject();
        ok = s && cJSON_AddItemToArray(sigs, s) &&
             add_b64u(s, "protected", jws->sigs[i].protected_hdr, jws->sigs[i].protected_len) &&
             add_b64u(s, "signature", jws->sigs[i].signature, jws->sigs[i].signature_len);
    }
    if (ok && jws->has_link)
        ok = cli_add_cid(o, "link", &jws->link);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int dag_decode(int argc, char **argv)
{
    static const struct option opts[] = {{"codec", required_argument, NULL, 'c'},
                                         {"cid", required_argument, NULL, 'C'},
                                         {"pretty", no_argument, NULL, 'p'},
                                         {0}};
    const char *cid_s = NULL;
    unsigned pflags = CER_JSON_DAGJSON;
    uint64_t codec = 0;
    cer_buf in = CER_BUF_INIT;
    cer_cid cid;
    cer_jws jws = {0};
    cJSON *j = NULL;
    int c, rc = EXIT_BAD;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c' && !parse_codec(&codec, optarg))
            continue;
        if (c == 'C') {
            cid_s = optarg;
            continue;
        }
        if (c == 'p') {
            pflags |= CER_JSON_PRETTY;
            continue;
        }
        return c == 'c' ? EXIT_BAD : cli_usage("dag decode FILE [--codec dag-cbor|dag-jose] [--cid CID] [--pretty]");
    }
    if (optind + 1 != argc)
        return cli_usage("dag decode FILE [--codec dag-cbor|dag-jose] [--cid CID] [--pretty]");
    if (cli_read_input(&in, argv[optind]))
        goto out;
    if (cid_s) {
        if ((rc = cer_cid_parse(&cid, cid_s)) < 0 || (rc = cer_cid_check_block(&cid, in.data, in.len)) < 0) {
            rc = cli_fail_rc(rc, "--cid");
            goto out;
        }
        if (!codec)
            codec = cid.codec;
        else if (codec != cid.codec) {
            rc = cli_fail("--codec does not match the codec of --cid");
            goto out;
        }
    }
    if (!codec)
        codec = CER_CODEC_DAG_CBOR;
    if (codec == CER_CODEC_DAG_JOSE) {
        if ((rc = cer_dagjose_decode(&jws, in.data, in.len)) < 0) {
            rc = cli_fail_rc(rc, argv[optind]);
            goto out;
        }
        j = jws_json(&jws);
    } else if (codec == CER_CODEC_DAG_CBOR) {
        if ((rc = cer_dagcbor_decode(&j, in.data, in.len)) < 0) {
            rc = cli_fail_rc(rc, argv[optind]);
            goto out;
        }
    } else {
        rc = cli_fail("cannot decode codec 0x%llx", (unsigned long long)codec);
        goto out;
    }
    rc = cli_print_json_flags(j, pflags);
    j = NULL;
out:
    cJSON_Delete(j);
    cer_jws_free(&jws);
    cer_buf_free(&in);
    return rc;
}

int cfs_cmd_dag(int argc, char **argv)
{
    cli_set_command("dag");
    if (argc >= 2 && strcmp(argv[1], "encode") == 0)
        return dag_encode(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "decode") == 0)
        return dag_decode(argc - 1, argv + 1);
    return cli_usage("dag encode [-o|--output FILE] < dag-json\n"
                     "       ceramicfs dag decode FILE [--codec dag-cbor|dag-jose] [--cid CID] [--pretty]");
}

static int parse_type(uint64_t *type, const char *s)
{
    char *end;
    unsigned long v;

    for (uint64_t t = 0; t < 8; t++) {
        const char *name = cer_stream_type_name(t);
        if (name && strcmp(name, s) == 0) {
            *type = t;
            return 0;
        }
    }
    errno = 0;
    v = strtoul(s, &end, 0);
    if (!*s || *end || errno || v > 0xffffffffUL)
        return cli_fail("unknown stream type '%s' (a number or tile, caip10-link, model, MID, UNLOADABLE)", s);
    *type = v;
    return 0;
}

static int streamid_parse(const char *s)
{
    cer_streamref ref;
    cJSON *o;
    const char *name;
    int rc = cer_streamref_parse(&ref, s);
    bool ok;

    if (rc < 0)
        return cli_fail_rc(rc, s);
    name = cer_stream_type_name(ref.type);
    o = cJSON_CreateObject();
    ok = o && cJSON_AddNumberToObject(o, "type", (double)ref.type) &&
         (name ? cJSON_AddStringToObject(o, "typeName", name) != NULL
               : cJSON_AddNullToObject(o, "typeName") != NULL) &&
         cli_add_cid(o, "genesis", &ref.genesis) &&
         (ref.is_commit ? cli_add_cid(o, "commit", &ref.commit) : cJSON_AddNullToObject(o, "commit") != NULL);
    if (ok) {
        cer_streamref sid = ref;
        sid.is_commit = false;
        ok = cli_add_ref(o, "streamId", &sid) &&
             (ref.is_commit ? cli_add_ref(o, "commitId", &ref) : cJSON_AddNullToObject(o, "commitId") != NULL);
    }
    if (!ok) {
        cJSON_Delete(o);
        return cli_fail("cannot format output");
    }
    return cli_print_json(o);
}

int cfs_cmd_streamid(int argc, char **argv)
{
    cer_streamref ref = {0};
    char s[CER_STREAMID_STR_MAX];
    int rc;

    cli_set_command("streamid");
    if (argc == 3 && strcmp(argv[1], "parse") == 0 && argv[2][0] != '-')  /* no StreamID starts with '-' */
        return streamid_parse(argv[2]);
    if ((argc != 3 && argc != 4) || argv[argc - 1][0] == '-')
        return cli_usage("streamid TYPE GENESIS-CID [COMMIT-CID]\n       ceramicfs streamid parse STRING");
    if (parse_type(&ref.type, argv[1]))
        return EXIT_BAD;
    if ((rc = cer_cid_parse(&ref.genesis, argv[2])) < 0)
        return cli_fail_rc(rc, "genesis CID");
    if (argc == 4) {
        ref.is_commit = true;
        if (strcmp(argv[3], "0") == 0)
            ref.commit = ref.genesis;
        else if ((rc = cer_cid_parse(&ref.commit, argv[3])) < 0)
            return cli_fail_rc(rc, "commit CID");
    }
    if ((rc = cer_streamref_to_string(s, sizeof s, &ref)) < 0)
        return cli_fail_rc(rc, "streamid");
    puts(s);
    return 0;
}

int cfs_cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS, {0}};
    const char *seed = NULL, *kfile = NULL, *ktype = NULL;
    cer_buf in = CER_BUF_INIT;
    cer_commit_blocks cb = {0};
    cer_key key;
    cJSON *payload = NULL, *o = NULL;
    char kid[CER_KID_MAX];
    int c, rc = EXIT_BAD;

    cli_set_command("sign");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = optarg; break;
        case 'K': kfile = optarg; break;
        case 'T': ktype = optarg; break;
        default: return cli_usage("sign (--seed-hex HEX [--key-type TYPE] | --key FILE) < dag-json");
        }
    }
    if (optind != argc)
        return cli_usage("sign (--seed-hex HEX [--key-type TYPE] | --key FILE) < dag-json");
    if (cli_get_key(&key, seed, ktype, kfile, NULL, false))
        return EXIT_BAD;
    if (cli_read_input(&in, "-") || !(payload = cli_parse_json((char *)in.data, in.len, CER_JSON_EXACT_INTS, "stdin")))
        goto out;
    if ((rc = cer_dagcbor_encode(&cb.payload.bytes, payload, CER_DAGJSON)) < 0) {
        rc = cli_fail_rc(rc, "payload");
        goto out;
    }
    cer_cid_of_block(&cb.payload.cid, CER_CODEC_DAG_CBOR, cb.payload.bytes.data, cb.payload.bytes.len);
    cb.is_signed = true;
    if ((rc = cer_jws_sign(&cb.jws, &key, &cb.payload.cid)) < 0 ||
        (rc = cer_dagjose_encode(&cb.envelope.bytes, &cb.jws)) < 0) {
        rc = cli_fail_rc(rc, "sign");
        goto out;
    }
    cer_cid_of_block(&cb.envelope.cid, CER_CODEC_DAG_JOSE, cb.envelope.bytes.data, cb.envelope.bytes.len);
    cer_key_kid(kid, sizeof kid, &key);
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "did", key.did) || !cJSON_AddStringToObject(o, "kid", kid) ||
        !add_block(o, "payload", &cb.payload) || !add_block(o, "envelope", &cb.envelope) ||
        !add_jws(o, "jws", &cb.jws)) {
        rc = cli_fail("cannot format output");
        goto out;
    }
    rc = cli_print_json(o);
    o = NULL;
out:
    cJSON_Delete(o);
    cJSON_Delete(payload);
    cer_commit_blocks_free(&cb);
    cer_buf_free(&in);
    cer_key_wipe(&key);
    return rc;
}

int cfs_cmd_verify_block(int argc, char **argv)
{
    cer_buf in = CER_BUF_INIT;
    cer_jws jws;
    char kid[CER_KID_MAX];
    int rc;

    cli_set_command("verify");
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
        return cli_usage("verify FILE   (a DAG-JOSE block; - for stdin)");
    if (cli_read_input(&in, argv[1]))
        return EXIT_BAD;
    rc = cer_dagjose_decode(&jws, in.data, in.len);
    cer_buf_free(&in);
    if (rc < 0)
        return cli_fail_rc(rc, argv[1]);
    for (size_t i = 0; i < jws.nsigs; i++) {
        if ((rc = cer_jws_verify(&jws, i, kid, sizeof kid)) < 0) {
            cer_jws_free(&jws);
            return cli_fail_rc(rc, argv[1]);
        }
        puts(kid);
    }
    cer_jws_free(&jws);
    return 0;
}

int cfs_cmd_genesis(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"header", required_argument, NULL, 'h'},
                                         {"content", required_argument, NULL, 'c'},
                                         {"unsigned", no_argument, NULL, 'u'},
                                         {"unique", no_argument, NULL, 'q'},
                                         {0}};
    static const char use[] =
        "genesis (--seed-hex HEX [--key-type TYPE] | --key FILE) [--header JSON] [--content JSON] [--unsigned] [--unique]\n"
        "       (JSON values may be @FILE, @- for stdin; --unsigned needs no key when --header names the controllers)";
    const char *seed = NULL, *kfile = NULL, *ktype = NULL, *hdr_s = "{}", *content_s = NULL;
    bool unsig = false, unique = false;
    cJSON *hdr = NULL, *content = NULL;
    cer_commit_blocks cb = {0};
    cer_streamref sid = {0}, cmt;
    cer_key key = {0}, *signer = &key;
    int c, rc = EXIT_BAD;

    cli_set_command("genesis");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = optarg; break;
        case 'K': kfile = optarg; break;
        case 'T': ktype = optarg; break;
        case 'h': hdr_s = optarg; break;
        case 'c': content_s = optarg; break;
        case 'u': unsig = true; break;
        case 'q': unique = true; break;
        default: return cli_usage(use);
        }
    }
    if (optind != argc)
        return cli_usage(use);
    /* an unsigned genesis signs nothing: the key only names the default
     * controller, which the header can name instead */
    if (unsig && !seed && !kfile)
        signer = NULL;
    else if (cli_get_key(&key, seed, ktype, kfile, NULL, false))
        return EXIT_BAD;
    if (!(hdr = cli_json_arg(hdr_s, "--header")) || (content_s && !(content = cli_json_arg(content_s, "--content"))))
        goto out;
    if (unsig && content && !cJSON_IsNull(content)) {
        cli_fail("an unsigned genesis cannot have content (js-ceramic: genesis with contents must be signed)");
        goto out;
    }
    /* TileMetadataArgs' "deterministic" is accepted too: true means no
     * unique (as here by default), false asks for a random one. */
    {
        cJSON *det = cJSON_DetachItemFromObjectCaseSensitive(hdr, "deterministic");
        if (det && !cJSON_IsBool(det)) {
            cJSON_Delete(det);
            cli_fail("--header: 'deterministic' must be true or false");
            goto out;
        }
        if (cJSON_IsFalse(det))
            unique = true;
        cJSON_Delete(det);
    }
    if (unique) {
        char u[17];
        if (cJSON_GetObjectItemCaseSensitive(hdr, "unique")) {
            cli_fail("--unique given but the header already has 'unique'");
            goto out;
        }
        if (cer_tile_unique(u) < 0 || !cJSON_AddStringToObject(hdr, "unique", u)) {
            cli_fail("cannot make a unique value");
            goto out;
        }
    }
    if ((rc = cer_tile_genesis(&cb, signer, hdr, content)) < 0) {
        rc = cli_fail_rc(rc, "cannot build genesis");
        goto out;
    }
    sid.type = CER_STREAM_TILE;
    sid.genesis = *cer_commit_cid(&cb);
    cmt = sid;
    cmt.is_commit = true;
    cmt.commit = sid.genesis;
    rc = print_commit(&cb, &sid, &cmt);
out:
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    cer_commit_blocks_free(&cb);
    cer_key_wipe(&key);
    return rc;
}

int cfs_cmd_commit(int argc, char **argv)
{
    static const struct option opts[] = {KEY_OPTIONS,
                                         {"genesis", required_argument, NULL, 'g'},
                                         {"prev", required_argument, NULL, 'p'},
                                         {"patch", required_argument, NULL, 'P'},
                                         {"header", required_argument, NULL, 'h'},
                                         {"type", required_argument, NULL, 't'},
                                         {0}};
    static const char use[] = "commit (--seed-hex HEX [--key-type TYPE] | --key FILE) --genesis CID --prev CID --patch JSON "
                              "[--header JSON] [--type TYPE]";
    const char *seed = NULL, *kfile = NULL, *ktype = NULL, *gen_s = NULL, *prev_s = NULL, *patch_s = NULL, *hdr_s = NULL;
    cJSON *patch = NULL, *hdr = NULL;
    cer_commit_blocks cb = {0};
    cer_streamref sid = {0}, cmt;
    cer_cid prev;
    cer_key key;
    int c, rc = EXIT_BAD;

    cli_set_command("commit");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = optarg; break;
        case 'K': kfile = optarg; break;
        case 'T': ktype = optarg; break;
        case 'g': gen_s = optarg; break;
        case 'p': prev_s = optarg; break;
        case 'P': patch_s = optarg; break;
        case 'h': hdr_s = optarg; break;
        case 't':
            if (parse_type(&sid.type, optarg))
                return EXIT_BAD;
            break;
        default: return cli_usage(use);
        }
    }
    if (optind != argc || !gen_s || !prev_s || !patch_s)
        return cli_usage(use);
    if ((rc = cer_cid_parse(&sid.genesis, gen_s)) < 0)
        return cli_fail_rc(rc, "--genesis");
    if ((rc = cer_cid_parse(&prev, prev_s)) < 0)
        return cli_fail_rc(rc, "--prev");
    rc = EXIT_BAD;
    if (cli_get_key(&key, seed, ktype, kfile, NULL, false))
        return EXIT_BAD;
    if (!(patch = cli_json_arg(patch_s, "--patch")) || (hdr_s && !(hdr = cli_json_arg(hdr_s, "--header"))))
        goto out;
    if ((rc = cer_tile_update(&cb, &key, &sid.genesis, &prev, hdr, patch)) < 0) {
        rc = cli_fail_rc(rc, "cannot build commit");
        goto out;
    }
    cmt = sid;
    cmt.is_commit = true;
    cmt.commit = *cer_commit_cid(&cb);
    rc = print_commit(&cb, &sid, &cmt);
out:
    cJSON_Delete(patch);
    cJSON_Delete(hdr);
    cer_commit_blocks_free(&cb);
    cer_key_wipe(&key);
    return rc;
}
