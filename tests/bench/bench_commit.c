/*
 * bench_commit.c — commit creation and verification throughput against the
 * libsodium floors, all measured in one run (`make bench`), each floor in
 * slices interleaved with the work it is compared to.
 *
 *   (a) floors: crypto_sign_detached / crypto_sign_verify_detached of a
 *       221-byte message (the size of a Ceramic JWS signing input);
 *   (b) cer_tile_update (small patch, chained prev) + cer_store_put_commit
 *       into a memory store: ratio to the sign floor, goal >= 0.7;
 *   (c) the same into a flatfs store, with fsync and with NOSYNC (no goal:
 *       fsync is ~0.6 ms on the build VM);
 *   (d) get + DAG-JOSE decode + cer_jws_verify of the 10,000 envelopes
 *       stored in (b): time per verify over the floor's, goal <= 1.25;
 *   (e) a save of a MID of a 100-field Model (one field changed: the
 *       JSON Patch diff, cer_mid_update, put into a memory store) with the
 *       node's validation (cer_mid_check: size, the Model's schema compiled
 *       once, relations) against the same save without it, in interleaved
 *       slices: goal <= 2.0 (validation must not double a save's cost).
 */
#include "bench.h"
#include "state.h"

#include <errno.h>

#define NCOMMITS 10000
#define ROUNDS 20
#define DISK_SECS 1.0

typedef struct chain {
    cer_key key;
    cer_cid genesis, prev;
    cJSON *patch, *value;   /* [{"op":"replace","path":"/n","value":N}] */
    long n;
} chain;

static void chain_init(chain *c)
{
    cJSON *op;

    memset(c, 0, sizeof *c);
    bench_key(&c->key);
    bench_ok(cer_cid_of_block(&c->genesis, CER_CODEC_DAG_CBOR, (const uint8_t *)"genesis", 7), "cid");
    c->prev = c->genesis;
    if (!(c->patch = cJSON_CreateArray()) || !(op = cJSON_CreateObject()) ||
        !cJSON_AddItemToArray(c->patch, op) || !cJSON_AddStringToObject(op, "op", "replace") ||
        !cJSON_AddStringToObject(op, "path", "/n") || !(c->value = cJSON_AddNumberToObject(op, "value", 0)))
        bench_ok(-ENOMEM, "patch");
}

/* Builds the next signed commit of the chain, stores it, returns its CID. */
static cer_cid chain_next(chain *c, cer_store *s)
{
    cer_commit_blocks cb;
    cer_cid cid;

    cJSON_SetNumberValue(c->value, (double)c->n++);
    bench_ok(cer_tile_update(&cb, &c->key, &c->genesis, &c->prev, NULL, c->patch), "cer_tile_update");
    bench_ok(cer_store_put_commit(s, &cb), "cer_store_put_commit");
    cid = *cer_commit_cid(&cb);
    c->prev = cid;
    cer_commit_blocks_free(&cb);
    return cid;
}

/* A measured rate and the floor's rate over the same rounds. */
typedef struct rate {
    double ops, floor;
} rate;

/* (b): NCOMMITS commits into s, in ROUNDS slices alternating with slices of
 * signatures; their envelope CIDs go to cids. */
static rate bench_create_mem(chain *c, cer_store *s, cer_cid *cids)
{
    double t_floor = 0, t_work = 0, t0;
    long per = NCOMMITS / ROUNDS;

    for (int r = 0; r < ROUNDS; r++) {
        t_floor += bench_sign_n(&c->key, per);
        t0 = bench_now();
        for (long i = r * per; i < (r + 1) * per; i++)
            cids[i] = chain_next(c, s);
        t_work += bench_now() - t0;
    }
    return (rate){NCOMMITS / t_work, NCOMMITS / t_floor};
}

/* (c): commits into a fresh flatfs store for about secs, in slices of 16
 * alternating with slices of 16 signatures. */
static rate bench_create_dir(chain *c, unsigned flags, double secs)
{
    char dir[256];
    cer_store *s;
    double t_floor = 0, t_work = 0, t0;
    long n = 0;

    bench_tmpdir(dir);
    bench_ok(cer_store_open_dir(&s, dir, flags), "cer_store_open_dir");
    while (t_work < secs) {
        t_floor += bench_sign_n(&c->key, 16);
        t0 = bench_now();
        for (int i = 0; i < 16; i++, n++)
            chain_next(c, s);
        t_work += bench_now() - t0;
    }
    cer_store_close(s);
    bench_rm_rf(dir);
    return (rate){n / t_work, n / t_floor};
}

/* (d): get + decode + verify of every envelope, in ROUNDS slices
 * alternating with slices of plain verifications. */
static rate bench_verify(const cer_key *key, cer_store *s, const cer_cid *cids)
{
    cer_buf block = CER_BUF_INIT;
    char kid[CER_KID_MAX];
    double t_floor = 0, t_work = 0, t0;
    long per = NCOMMITS / ROUNDS;

    for (int r = 0; r < ROUNDS; r++) {
        t_floor += bench_verify_n(key, per);
        t0 = bench_now();
        for (long i = r * per; i < (r + 1) * per; i++) {
            cer_jws jws;

            bench_ok(cer_store_get(s, &cids[i], &block), "cer_store_get");
            bench_ok(cer_dagjose_decode(&jws, block.data, block.len), "cer_dagjose_decode");
            bench_ok(cer_jws_verify(&jws, 0, kid, sizeof kid), "cer_jws_verify");
            cer_jws_free(&jws);
        }
        t_work += bench_now() - t0;
    }
    cer_buf_free(&block);
    return (rate){NCOMMITS / t_work, NCOMMITS / t_floor};
}

#define NFIELDS 100
#define NSAVES 4000

/* A 2.0 list Model of NFIELDS required properties of mixed kinds (strings
 * with lengths and a format, bounded integers, booleans, string arrays,
 * closed objects), and a content that fits it. */
static void model_100(cJSON **def, cJSON **content)
{
    char *t = malloc(64 * 1024), *c = malloc(64 * 1024);
    size_t n = 0, m = 0;

    if (!t || !c)
        bench_ok(-ENOMEM, "model_100");
    n += (size_t)sprintf(t + n, "{\"version\":\"2.0\",\"name\":\"Wide\",\"interface\":false,\"implements\":[],"
                         "\"accountRelation\":{\"type\":\"list\"},\"schema\":{\"$schema\":"
                         "\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
                         "\"additionalProperties\":false,\"properties\":{");
    m += (size_t)sprintf(c + m, "{");
    for (int i = 0; i < NFIELDS; i++) {
        static const char *const kinds[][2] = {
            {"{\"type\":\"string\",\"minLength\":1,\"maxLength\":200}", "\"some text of a field\""},
            {"{\"type\":\"integer\",\"minimum\":0,\"maximum\":1000000}", "12345"},
            {"{\"type\":\"boolean\"}", "true"},
            {"{\"type\":\"array\",\"maxItems\":10,\"items\":{\"type\":\"string\",\"maxLength\":50}}",
             "[\"a\",\"b\",\"c\"]"},
            {"{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"x\"],\"properties\":"
             "{\"x\":{\"type\":\"number\"},\"y\":{\"type\":\"string\"}}}", "{\"x\":1.5,\"y\":\"z\"}"},
            {"{\"type\":\"string\",\"format\":\"date-time\"}", "\"2026-12-07T21:00:00Z\""},
        };
        int k = i % 6;
        n += (size_t)sprintf(t + n, "%s\"f%d\":%s", i ? "," : "", i, kinds[k][0]);
        m += (size_t)sprintf(c + m, "%s\"f%d\":%s", i ? "," : "", i, kinds[k][1]);
    }
    n += (size_t)sprintf(t + n, "},\"required\":[");
    for (int i = 0; i < NFIELDS; i++)
        n += (size_t)sprintf(t + n, "%s\"f%d\"", i ? "," : "", i);
    sprintf(t + n, "]}}");
    sprintf(c + m, "}");
    bench_ok(cer_json_parse(def, t, strlen(t), 0), "model_100 definition");
    bench_ok(cer_json_parse(content, c, strlen(c), 0), "model_100 content");
    bench_ok(cer_model_check(*def), "cer_model_check");
    free(t);
    free(c);
}

/* One save of content (f1 set to n) on the chain: the diff from old,
 * validated first when def is given, the commit, the put; old becomes
 * the new content. */
static void mid_save(chain *c, cer_store *s, cJSON **old, const cJSON *def, const char *model_id, long n)
{
    cer_commit_blocks cb;
    cJSON *next = cJSON_Duplicate(*old, 1), *patch = NULL;

    if (!next)
        bench_ok(-ENOMEM, "mid_save");
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(next, "f1"), (double)(n % 1000000));
    if (def)
        bench_ok(cer_mid_check(model_id, def, next, NULL, s, NULL, NULL, NULL), "cer_mid_check");
    bench_ok(cer_patch_diff(&patch, *old, next), "cer_patch_diff");
    bench_ok(cer_mid_update(&cb, &c->key, &c->genesis, &c->prev, patch), "cer_mid_update");
    bench_ok(cer_store_put_commit(s, &cb), "cer_store_put_commit");
    c->prev = *cer_commit_cid(&cb);
    cer_commit_blocks_free(&cb);
    cJSON_Delete(patch);
    cJSON_Delete(*old);
    *old = next;
}

/* (e): NSAVES saves each way, in ROUNDS slices alternating; ops the
 * validated saves' rate, floor the plain ones'. */
static rate bench_mid_save(chain *c, cer_store *s)
{
    const char *model_id = "kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9";
    double t_plain = 0, t_valid = 0, t0;
    long per = NSAVES / ROUNDS, n = 0;
    cJSON *def, *content;

    model_100(&def, &content);
    mid_save(c, s, &content, def, model_id, n++);  /* the schema compiled and cached */
    for (int r = 0; r < ROUNDS; r++) {
        t0 = bench_now();
        for (long i = 0; i < per; i++)
            mid_save(c, s, &content, NULL, model_id, n++);
        t_plain += bench_now() - t0;
        t0 = bench_now();
        for (long i = 0; i < per; i++)
            mid_save(c, s, &content, def, model_id, n++);
        t_valid += bench_now() - t0;
    }
    cJSON_Delete(def);
    cJSON_Delete(content);
    return (rate){NSAVES / t_valid, NSAVES / t_plain};
}

static const char *verdict(bool met)
{
    return met ? "met" : "MISSED";
}

int main(void)
{
    static cer_cid cids[NCOMMITS];
    chain c;
    cer_store *mem;
    rate create, sync, nosync, ver, mid;
    char goal[3][64];

    if (sodium_init() < 0)
        return 1;
    chain_init(&c);
    bench_ok(cer_store_open_mem(&mem), "cer_store_open_mem");
    create = bench_create_mem(&c, mem, cids);
    ver = bench_verify(&c.key, mem, cids);
    nosync = bench_create_dir(&c, CER_STORE_NOSYNC, DISK_SECS);
    sync = bench_create_dir(&c, 0, DISK_SECS);
    mid = bench_mid_save(&c, mem);

    printf("bench_commit: %d commits; each ratio is to the libsodium floor measured in slices\n"
           "interleaved with that row's work (the floor rows show the first two)\n", NCOMMITS);
    bench_header();
    bench_row("floor: ed25519 sign, 221 B", create.floor, 1.0, "");
    bench_row("floor: ed25519 verify, 221 B", ver.floor, 1.0, "");
    snprintf(goal[0], sizeof goal[0], ">= 0.70 x sign/s: %s", verdict(create.ops / create.floor >= 0.7));
    bench_row("commit create + put, memory store", create.ops, create.ops / create.floor, goal[0]);
    bench_row("commit create + put, flatfs NOSYNC", nosync.ops, nosync.ops / nosync.floor, "(info) x sign/s");
    bench_row("commit create + put, flatfs fsync", sync.ops, sync.ops / sync.floor, "(info) x sign/s");
    snprintf(goal[1], sizeof goal[1], "<= 1.25 x verify time: %s", verdict(ver.floor / ver.ops <= 1.25));
    bench_row("get + decode + verify envelope (time/op)", ver.ops, ver.floor / ver.ops, goal[1]);
    bench_row("MID save, 100 fields, no validation", mid.floor, 1.0, "");
    snprintf(goal[2], sizeof goal[2], "<= 2.0 x unvalidated time: %s", verdict(mid.floor / mid.ops <= 2.0));
    bench_row("MID save, 100 fields, validated (time/op)", mid.ops, mid.floor / mid.ops, goal[2]);
    printf("per op: sign %.1f us, commit %.1f us; verify floor %.1f us, verify %.1f us; "
           "flatfs commit %.0f us NOSYNC, %.0f us fsync; MID save %.1f us, validated %.1f us "
           "(validation %.1f us)\n",
           1e6 / create.floor, 1e6 / create.ops, 1e6 / ver.floor, 1e6 / ver.ops, 1e6 / nosync.ops,
           1e6 / sync.ops, 1e6 / mid.floor, 1e6 / mid.ops, 1e6 / mid.ops - 1e6 / mid.floor);

    cer_store_close(mem);
    cJSON_Delete(c.patch);
    cer_key_wipe(&c.key);
    return 0;
}
