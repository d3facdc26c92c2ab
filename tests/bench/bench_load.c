/*
 * bench_load.c — load-and-verify of a 10,000-commit stream through
 * cer_state_load, against the ed25519 verify floor of the same run.
 *
 * Built by `make bench` only once core/state.c exists (the Makefile filters
 * this file out before that). The estimate for the full per-commit
 * check (2 CID checks, 2 decodes, verify, prev link) is 54–58 µs against a
 * 43 µs verify, i.e. about 1.3× the floor; 0.55 s in memory and 0.7 s from
 * ext4 files for the whole log.
 */
#include "bench.h"

#define NCOMMITS 10000
#define FLOOR_N 2000

/* Writes a genesis ({"n": 0}) and NCOMMITS updates into s; the StreamID
 * goes to id and the last commit to tip. */
static void build_stream(cer_store *s, const cer_key *key, cer_streamref *id, cer_cid *tip)
{
    cJSON *hdr = cJSON_Parse("{\"family\":\"bench\",\"unique\":\"YmVuY2hsb2Fk\"}");
    cJSON *content = cJSON_Parse("{\"n\":0}");
    cJSON *patch = cJSON_Parse("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":0}]");
    cJSON *value = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(patch, 0), "value");
    cer_commit_blocks c;

    bench_ok(cer_tile_genesis(&c, key, hdr, content), "cer_tile_genesis");
    bench_ok(cer_store_put_commit(s, &c), "cer_store_put_commit");
    *id = (cer_streamref){.type = CER_STREAM_TILE, .genesis = *cer_commit_cid(&c)};
    *tip = id->genesis;
    cer_commit_blocks_free(&c);
    for (long i = 1; i <= NCOMMITS; i++) {
        cJSON_SetNumberValue(value, (double)i);
        bench_ok(cer_tile_update(&c, key, &id->genesis, tip, NULL, patch), "cer_tile_update");
        bench_ok(cer_store_put_commit(s, &c), "cer_store_put_commit");
        *tip = *cer_commit_cid(&c);
        cer_commit_blocks_free(&c);
    }
    cJSON_Delete(hdr);
    cJSON_Delete(content);
    cJSON_Delete(patch);
}

/* Seconds for one cer_state_load of the whole stream from s; *floor gets
 * the verify floor's rate, measured just before and just after. */
static double time_load(cer_store *s, const cer_key *key, const cer_streamref *id, const cer_cid *tip,
                        double *floor)
{
    cer_state *st = NULL;
    double f = bench_verify_n(key, FLOOR_N), t0 = bench_now(), t;

    bench_ok(cer_state_load(&st, s, id, tip), "cer_state_load");
    t = bench_now() - t0;
    *floor = 2 * FLOOR_N / (f + bench_verify_n(key, FLOOR_N));
    if (!st || st->log_len != NCOMMITS + 1) {
        fprintf(stderr, "bench: loaded %zu commits, expected %d\n", st ? st->log_len : 0, NCOMMITS + 1);
        exit(1);
    }
    cer_state_free(st);
    return t;
}

/* with_goal: the goal, log verification <= 1.25 x the verify
 * floor (blocks in memory); the flatfs row adds reading 20,000 files. */
static void row(const char *what, double secs, double verify, bool with_goal)
{
    char goal[96];
    double ratio = (secs / NCOMMITS) / (1.0 / verify);

    if (with_goal)
        snprintf(goal, sizeof goal, "<= 1.25 x verify time: %s (%.2f s)", ratio <= 1.25 ? "met" : "MISSED",
                 secs);
    else
        snprintf(goal, sizeof goal, "(info) %.2f s; estimate ~1.3x", secs);
    bench_row(what, NCOMMITS / secs, ratio, goal);
}

int main(void)
{
    cer_key key;
    cer_store *mem, *dir;
    cer_streamref id;
    cer_cid tip;
    char path[256];
    double f_mem, f_dir, t_mem, t_dir;

    if (sodium_init() < 0)
        return 1;
    bench_key(&key);
    bench_tmpdir(path);
    bench_ok(cer_store_open_mem(&mem), "cer_store_open_mem");
    bench_ok(cer_store_open_dir(&dir, path, CER_STORE_NOSYNC), "cer_store_open_dir");
    build_stream(mem, &key, &id, &tip);
    build_stream(dir, &key, &id, &tip);
    t_mem = time_load(mem, &key, &id, &tip, &f_mem);
    t_dir = time_load(dir, &key, &id, &tip, &f_dir);

    printf("bench_load: cer_state_load of a %d-commit stream; ratio = time per commit / verify floor\n",
           NCOMMITS);
    bench_header();
    bench_row("floor: ed25519 verify, 221 B", f_mem, 1.0, "");
    row("cer_state_load, memory store (commits/s)", t_mem, f_mem, true);
    row("cer_state_load, flatfs (page cache)", t_dir, f_dir, false);

    cer_store_close(mem);
    cer_store_close(dir);
    bench_rm_rf(path);
    cer_key_wipe(&key);
    return 0;
}
