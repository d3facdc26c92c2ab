/*
 * testutil.h — shared helpers for the Check test programs.
 *
 * Each tests/test_<module>.c builds one Suite and ends with
 * CER_TEST_MAIN(<module>_suite). Vectors live in tests/vectors/ (copied
 * from the real JavaScript libraries' output; see tests/vectors/README.md).
 */
#ifndef CER_TESTUTIL_H
#define CER_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "ceramic.h"

/* The tests/vectors directory (absolute in the build). */
const char *tu_data_dir(void);
/* Load tests/vectors/<name> as JSON; aborts the test on failure. Caller frees. */
cJSON *tu_load_json(const char *name);
/* Read a whole file from tests/vectors/; caller frees; *len set. */
uint8_t *tu_load_file(const char *name, size_t *len);
/* Decode hex (spaces allowed) into a new buffer; caller frees. */
uint8_t *tu_unhex(const char *hex, size_t *len);
/* Lower-case hex of data; caller frees. */
char *tu_hex(const uint8_t *data, size_t len);
/* A string member of a vectors object by slash path ("signed/genesis/cid"). */
const char *tu_str(const cJSON *root, const char *path);
const cJSON *tu_get(const cJSON *root, const char *path);

/* Remove dir and everything under it (a test's temp directory). */
void tu_rm_tree(const char *dir);

/* Assert that buf equals the hex string (spaces ignored). */
#define tu_assert_hex(data, len, hex)                                              \
    do {                                                                           \
        char *h_ = tu_hex((data), (len));                                          \
        size_t n_;                                                                 \
        uint8_t *w_ = tu_unhex((hex), &n_);                                        \
        char *e_ = tu_hex(w_, n_);                                                 \
        ck_assert_str_eq(h_, e_);                                                  \
        free(h_);                                                                  \
        free(e_);                                                                  \
        free(w_);                                                                  \
    } while (0)

/* 64-bit FNV-1a of s from the given offset basis: the hash the tables
 * used before they were keyed. */
uint64_t tu_fnv1a(uint64_t basis, const char *s);

/* n distinct keys whose FNV-1a hashes (from basis) agree in their low
 * `bits` bits (8..20): they fill one bucket of any FNV-1a table of up to
 * 2^bits slots, the attack on the old tables. Built by chaining blocks
 * that collide on the low bits; deterministic. Returns n keys of *keylen
 * characters each, NUL-terminated, at stride *keylen + 1; caller frees. */
char *tu_fnv_colliding_keys(size_t n, uint64_t basis, int bits, size_t *keylen);

/* A raw HTTP client for the servers under test. tu_dial: a socket
 * connected to 127.0.0.1:port (10 s receive timeout); tu_send_all: stops
 * early when the server closes; tu_read_all: everything the server sends
 * until it closes, then closes fd (caller frees); tu_xfer: the three. */
int tu_dial(int port);
void tu_send_all(int fd, const void *p, size_t n);
char *tu_read_all(int fd);
char *tu_xfer(int port, const void *raw, size_t n);
char *tu_xfer_s(int port, const char *raw);
/* The status code of the first answer in text (-1: none); its body. */
int tu_http_status(const char *text);
const char *tu_http_body(const char *text);

int tu_run(Suite *s);

#define CER_TEST_MAIN(suite_fn)                                                    \
    int main(void)                                                                 \
    {                                                                              \
        return tu_run(suite_fn());                                                 \
    }

#endif
