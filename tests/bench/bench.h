/*
 * bench.h — small helpers shared by the benchmarks of `make bench`
 * (tests/bench/bench_*.c, each its own program).
 *
 * Timings on the build VM drift by ±30% from minute to minute (measured), so
 * every benchmark measures its libsodium floor in the same run, in slices
 * interleaved with the measured work, and reports ratios to it. Everything here is static inline: each bench is one file.
 */
#ifndef CER_BENCH_H
#define CER_BENCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ceramic.h"

/* The size of the input every Ceramic commit signature covers with a
 * did:key signer: b64u of the 129-byte protected header (172 characters),
 * ".", b64u of the 36-byte payload CID (48 characters). */
#define BENCH_MSG_LEN 221

static inline double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Dies with the library's message: a benchmark has nothing to recover. */
static inline void bench_ok(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench: %s failed: %d %s\n", what, rc, cer_errmsg());
        exit(1);
    }
}

static inline void bench_key(cer_key *key)
{
    uint8_t seed[32];

    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    bench_ok(cer_key_from_seed(key, seed), "key");
}

/* Seconds for n ed25519 signatures of a BENCH_MSG_LEN message. Benchmarks
 * call this in slices interleaved with what they measure, so that the floor
 * and the measurement see the same machine (VM drift, other jobs). */
static inline double bench_sign_n(const cer_key *key, long n)
{
    uint8_t msg[BENCH_MSG_LEN], sig[crypto_sign_BYTES];
    double t0 = bench_now();

    memset(msg, 'a', sizeof msg);
    for (long i = 0; i < n; i++) {
        msg[i % sizeof msg] ^= (uint8_t)i;
        crypto_sign_detached(sig, NULL, msg, sizeof msg, key->sk);
    }
    return bench_now() - t0;
}

/* Seconds for n ed25519 verifications of a BENCH_MSG_LEN message. */
static inline double bench_verify_n(const cer_key *key, long n)
{
    uint8_t msg[BENCH_MSG_LEN], sig[crypto_sign_BYTES];
    double t0;
    int bad = 0;

    memset(msg, 'b', sizeof msg);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, key->sk);
    t0 = bench_now();
    for (long i = 0; i < n; i++)
        bad |= crypto_sign_verify_detached(sig, msg, sizeof msg, key->pub.bytes);
    if (bad) {
        fprintf(stderr, "bench: floor signature did not verify\n");
        exit(1);
    }
    return bench_now() - t0;
}

static inline int bench_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void bench_rm_rf(const char *dir)
{
    nftw(dir, bench_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh scratch directory under $BENCH_DIR (default /tmp: ext4 here). */
static inline void bench_tmpdir(char out[256])
{
    const char *parent = getenv("BENCH_DIR");

    snprintf(out, 256, "%s/cer-bench-XXXXXX", parent && *parent ? parent : "/tmp");
    if (!mkdtemp(out)) {
        perror("bench: mkdtemp");
        exit(1);
    }
}

static inline void bench_header(void)
{
    printf("%-44s %12s %8s  %s\n", "what", "ops/s", "ratio", "goal");
}

static inline void bench_row(const char *what, double ops, double ratio, const char *goal)
{
    printf("%-44s %12.0f %8.3f  %s\n", what, ops, ratio, goal);
    fflush(stdout);
}

#endif
