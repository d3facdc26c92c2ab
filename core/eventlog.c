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
#include <sys/stat.h>
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
    struct stat sb;
    char **out = NULL;
    size_t got = 0, start;
    int rc = 0;

    *lines = NULL;
    *n = 0;
    if (fd < 0)
        return errno == ENOENT ? 0 : cer_err(-errno, "events: %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        rc = cer_err(-EINVAL, "events: %s is not a regular file", path);
        goto out;
    }
    /* the tail: an event log only ever needs its last lines */
    start = (size_t)sb.st_size > READ_MAX ? (size_t)sb.st_size - READ_MAX : 0;
    if ((rc = cer_buf_reserve(&b, (size_t)sb.st_size - start + 1)) < 0)
        goto out;
    for (;;) {
        ssize_t r = pread(fd, b.data + b.len, (size_t)sb.st_size - start - b.len, (off_t)(start + b.len));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = cer_err(-errno, "events: %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    if (!(out = calloc(max ? max : 1, sizeof *out))) {
        rc = -ENOMEM;
        goto out;
    }
    /* each whole line (a cut first line is skipped), the newest max kept
     * in a ring, in one pass */
    {
        const char *p = (const char *)b.data, *end = p + b.len;
        size_t next = 0;
        if (start > 0) {
            const char *nl = memchr(p, '\n', b.len);
            p = nl ? nl + 1 : end;
        }
        while (p < end && max) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (good_line(p, len)) {
                char *l = malloc(len + 1);
                if (!l) {
                    rc = -ENOMEM;
                    break;
                }
                memcpy(l, p, len);
                l[len] = '\0';
                free(out[next]);
                out[next] = l;
                next = (next + 1) % max;
                got += got < max;
            }
            p = nl ? nl + 1 : end;
        }
        if (rc == 0 && got == max && next) {  /* oldest first */
            char **sorted = malloc(max * sizeof *sorted);
            if (!sorted) {
                rc = -ENOMEM;
            } else {
                for (size_t i = 0; i < max; i++)
                    sorted[i] = out[(next + i) % max];
                free(out);
                out = sorted;
            }
        }
    }
out:
    close(fd);
    cer_buf_free(&b);
    if (rc < 0) {
        for (size_t i = 0; out && i < max; i++)
            free(out[i]);
        free(out);
        return rc;
    }
    *lines = out;
    *n = got;
    return 0;
}

/* Rewrite the file with its last max lines (lock held). */
static int compact(cer_evlog *l)
{
    cer_buf b = CER_BUF_INIT;
    char **lines;
    size_t n;
    int rc;

    if ((rc = cer_evlog_load(l->path, l->max, &lines, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && (rc = cer_buf_puts(&b, lines[i])) == 0)
            rc = cer_buf_putc(&b, '\n');
        free(lines[i]);
    }
    free(lines);
    if (rc == 0)
        rc = cer_file_replace(l->path, b.data ? b.data : (const uint8_t *)"", b.len, 0600, true);
    cer_buf_free(&b);
    if (rc < 0)
        return rc;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    l->count = n;
    return l->fd < 0 ? -errno : 0;
}

int cer_evlog_open(cer_evlog **out, const char *path, size_t max)
{
    cer_evlog *l = calloc(1, sizeof *l);
    int rc;

    *out = NULL;
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
        rc = compact(l);
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
        (void)compact(l);  /* on failure the file only grows until the next try */
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
