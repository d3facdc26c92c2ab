/*
 * eventlog.c — the node's events in a bounded file (see eventlog.h).
 */
#include "eventlog.h"
#include "ceramic.h"
#include "buf.h"
#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_MAX (4u << 20)
#define LINE_MAX_BYTES 8192

struct cer_evlog {
    pthread_mutex_t lock;  /* held across the file's I/O */
    char *path;
    int fd;
    size_t max, count;     /* count: lines in the file */
};

static bool good_line(const char *s, size_t len)
{
    cJSON *v = NULL;
    bool ok;

    if (len == 0 || len > LINE_MAX_BYTES || s[0] != '{')
        return false;
    ok = cer_json_parse(&v, s, len, 0) == 0 && cJSON_IsObject(v) &&
         cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "message"));
    cJSON_Delete(v);
    return ok;
}

int cer_evlog_load(const char *path, size_t max, char ***lines, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cer_buf b = CER_BUF_INIT;
    char **out = NULL;
    size_t got = 0, skipped = 0, next = 0;
    const char *p, *end;
    int rc;

    *lines = NULL;
    *n = 0;
    if (fd < 0)
        return errno == ENOENT ? 0 : cer_err(-errno, "events: %s: %s", path, strerror(errno));
    /* the tail: an event log only ever needs its last lines */
    rc = cer_read_fd(fd, path, READ_MAX, true, &b, &skipped);
    close(fd);
    if (rc < 0 || !(out = calloc(max ? max : 1, sizeof *out))) {
        cer_buf_free(&b);
        return rc < 0 ? cer_err_wrap(rc, "events") : cer_err(-ENOMEM, "events: out of memory");
    }
    /* each whole line (a cut first line is skipped), the newest max kept
     * in a ring, in one pass */
    p = (const char *)b.data;
    end = p + b.len;
    if (skipped > 0) {
        const char *nl = memchr(p, '\n', b.len);
        p = nl ? nl + 1 : end;
    }
    while (p < end && max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (good_line(p, len)) {
            char *l = strndup(p, len);
            if (!l) {
                rc = cer_err(-ENOMEM, "events: out of memory");
                break;
            }
            free(out[next]);
            out[next] = l;
            next = (next + 1) % max;
            got += got < max;
        }
        p = nl ? nl + 1 : end;
    }
    cer_buf_free(&b);
    if (rc == 0 && got == max && next) {  /* oldest first */
        char **sorted = malloc(max * sizeof *sorted);
        if (!sorted) {
            rc = cer_err(-ENOMEM, "events: out of memory");
        } else {
            for (size_t i = 0; i < max; i++)
                sorted[i] = out[(next + i) % max];
            free(out);
            out = sorted;
        }
    }
    if (rc < 0) {
        for (size_t i = 0; i < max; i++)
            free(out[i]);
        free(out);
        return rc;
    }
    *lines = out;
    *n = got;
    return 0;
}

/* Rewrite the file with its last max lines (lock held); the lines go to
 * *lines and *n when asked for (the caller frees them), else are freed. */
static int compact(cer_evlog *l, char ***lines, size_t *n)
{
    cer_buf b = CER_BUF_INIT;
    char **kept;
    size_t nk;
    int rc;

    if ((rc = cer_evlog_load(l->path, l->max, &kept, &nk)) < 0)
        return rc;
    for (size_t i = 0; i < nk && rc == 0; i++)
        if ((rc = cer_buf_puts(&b, kept[i])) == 0)
            rc = cer_buf_putc(&b, '\n');
    if (rc == 0)
        rc = cer_file_replace(l->path, b.data ? b.data : (const uint8_t *)"", b.len, 0600, true);
    cer_buf_free(&b);
    if (rc == 0) {
        if (l->fd >= 0)
            close(l->fd);
        l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        l->count = nk;
        rc = l->fd < 0 ? cer_err(-errno, "events: %s: %s", l->path, strerror(errno)) : 0;
    }
    if (rc == 0 && lines) {
        *lines = kept;
        *n = nk;
        return 0;
    }
    for (size_t i = 0; i < nk; i++)
        free(kept[i]);
    free(kept);
    return rc;
}

int cer_evlog_open(cer_evlog **out, const char *path, size_t max, char ***lines, size_t *n)
{
    cer_evlog *l = calloc(1, sizeof *l);
    int rc;

    *out = NULL;
    *lines = NULL;
    *n = 0;
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return cer_err(-ENOMEM, "events: out of memory");
    }
    pthread_mutex_init(&l->lock, NULL);
    l->fd = -1;
    l->max = max ? max : 1;
    if (access(path, F_OK) < 0 && errno == ENOENT) {
        l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        rc = l->fd < 0 ? cer_err(-errno, "events: %s: %s", path, strerror(errno)) : 0;
    } else {
        rc = compact(l, lines, n);
    }
    if (rc < 0) {
        cer_evlog_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

void cer_evlog_add(cer_evlog *l, const char *line)
{
    size_t n = strlen(line);
    char *copy;

    if (!l || !(copy = malloc(n + 1)))
        return;
    memcpy(copy, line, n);
    copy[n] = '\n';  /* one write: the line and its newline together */
    pthread_mutex_lock(&l->lock);
    if (l->fd >= 0 && cer_write_all(l->fd, copy, n + 1) == 0 && ++l->count >= 2 * l->max)
        (void)compact(l, NULL, NULL);  /* on failure the file only grows until the next try */
    pthread_mutex_unlock(&l->lock);
    free(copy);
}

void cer_evlog_close(cer_evlog *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    pthread_mutex_destroy(&l->lock);
    free(l->path);
    free(l);
}
