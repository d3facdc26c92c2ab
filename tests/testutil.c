/*
 * testutil.c — shared helpers for the Check test programs.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/vectors"
#endif

const char *tu_data_dir(void)
{
    return TEST_DATA_DIR;
}

uint8_t *tu_load_file(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    uint8_t *data;
    long n;

    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return data;
}

cJSON *tu_load_json(const char *name)
{
    size_t len;
    uint8_t *data = tu_load_file(name, &len);
    cJSON *j = NULL;
    int rc = cer_json_parse(&j, (const char *)data, len, 0);

    ck_assert_msg(rc == 0, "bad JSON in %s: %s", name, cer_errmsg());
    free(data);
    return j;
}

uint8_t *tu_unhex(const char *hex, size_t *len)
{
    size_t n = 0, cap = strlen(hex) / 2 + 1;
    uint8_t *out = malloc(cap);
    int hi = -1;

    ck_assert_ptr_nonnull(out);
    for (const char *p = hex; *p; p++) {
        int v;
        if (isspace((unsigned char)*p))
            continue;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            ck_abort_msg("bad hex digit '%c'", *p);
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    ck_assert_msg(hi < 0, "odd number of hex digits");
    *len = n;
    return out;
}

char *tu_hex(const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(len * 2 + 1);

    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[data[i] >> 4];
        s[2 * i + 1] = digits[data[i] & 15];
    }
    s[len * 2] = 0;
    return s;
}

const cJSON *tu_get(const cJSON *root, const char *path)
{
    char buf[256], *save = NULL;
    const cJSON *cur = root;

    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (cJSON_IsArray(cur))
            cur = cJSON_GetArrayItem(cur, atoi(tok));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        ck_assert_msg(cur != NULL, "vector path %s: no '%s'", path, tok);
    }
    return cur;
}

const char *tu_str(const cJSON *root, const char *path)
{
    const cJSON *v = tu_get(root, path);

    ck_assert_msg(cJSON_IsString(v), "vector path %s is not a string", path);
    return v->valuestring;
}

uint64_t tu_fnv1a(uint64_t basis, const char *s)
{
    for (; *s; s++)
        basis = (basis ^ (uint8_t)*s) * 1099511628211ull;
    return basis;
}

/* Low bits of an FNV-1a state depend only on the low bits before it (a
 * byte touches 8 bits, the product carries upwards), so blocks that
 * collide on them can be chained: BRANCH choices at each of k stages give
 * BRANCH^k keys of one bucket. */
#define BLOCK 3
#define BRANCH 8
#define STAGES_MAX 16

char *tu_fnv_colliding_keys(size_t n, uint64_t basis, int bits, size_t *keylen)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    char block[STAGES_MAX][BRANCH][BLOCK];
    size_t width[STAGES_MAX], stages = 0, total = 1, nblocks = 64 * 64 * 64;
    uint64_t mask = (1ull << bits) - 1, state = basis;
    uint8_t *count = malloc(mask + 1);
    char *keys;

    ck_assert(bits >= 8 && bits <= 20 && count);
    while (total < n) {
        uint64_t best = 0, next = 0;

        ck_assert_uint_lt(stages, STAGES_MAX);
        memset(count, 0, mask + 1);
        for (int pass = 0; pass < 2; pass++) {
            width[stages] = 0;
            for (size_t b = 0; b < nblocks; b++) {
                uint64_t h = state;
                char c[BLOCK];

                for (int k = 0; k < BLOCK; k++) {
                    c[k] = digits[b >> (6 * k) & 63];
                    h = (h ^ (uint8_t)c[k]) * 1099511628211ull;
                }
                if (pass == 0 && count[h & mask] < 255 && ++count[h & mask] > count[best])
                    best = h & mask;  /* first pass: the fullest bucket */
                if (pass == 1 && (h & mask) == best && width[stages] < BRANCH) {
                    memcpy(block[stages][width[stages]++], c, BLOCK);
                    next = h;  /* second pass: its blocks */
                }
            }
        }
        ck_assert_uint_ge(width[stages], 2);
        total *= width[stages++];
        state = next;
    }
    free(count);
    *keylen = stages * BLOCK;
    ck_assert_ptr_nonnull(keys = malloc(n * (*keylen + 1)));
    for (size_t i = 0; i < n; i++) {
        char *k = keys + i * (*keylen + 1);
        size_t rest = i;

        for (size_t st = 0; st < stages; st++) {
            memcpy(k + st * BLOCK, block[st][rest % width[st]], BLOCK);
            rest /= width[st];
        }
        k[*keylen] = '\0';
    }
    return keys;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_dial(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void tu_send_all(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;  /* the server may close early (413, 431) */
        p = (const char *)p + w, n -= (size_t)w;
    }
}

char *tu_read_all(int fd)
{
    cer_buf b = CER_BUF_INIT;
    char tmp[4096];
    ssize_t r;

    while ((r = recv(fd, tmp, sizeof tmp, 0)) > 0)
        ck_assert_int_eq(cer_buf_append(&b, tmp, (size_t)r), 0);
    close(fd);
    if (!b.data)
        return strdup("");
    return (char *)b.data;
}

char *tu_xfer(int port, const void *raw, size_t n)
{
    int fd = tu_dial(port);
    tu_send_all(fd, raw, n);
    return tu_read_all(fd);
}

char *tu_xfer_s(int port, const char *raw)
{
    return tu_xfer(port, raw, strlen(raw));
}

int tu_http_status(const char *text)
{
    int s = 0;
    return sscanf(text, "HTTP/1.%*d %d", &s) == 1 ? s : -1;
}

const char *tu_http_body(const char *text)
{
    const char *b = strstr(text, "\r\n\r\n");
    return b ? b + 4 : "";
}
