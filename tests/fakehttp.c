/*
 * fakehttp.c — the fake HTTP server of fakehttp.h: reads the request line,
 * the headers and a Content-Length body (binary safe, bounded), calls the
 * handler, writes its reply.
 */
#include "fakehttp.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define BODY_MAX (16 * 1024 * 1024)

/* Read one request from c into *req (the strings point into raw). */
static int read_request(int c, cer_buf *raw, fakehttp_req *req, char *method, char *path, size_t path_cap,
                        char *ctype, size_t ctype_cap)
{
    size_t head_len = 0;
    long want = 0;
    char *end = NULL, *h;

    for (;;) {
        char chunk[8192];
        ssize_t r = read(c, chunk, sizeof chunk);
        if (r <= 0 || cer_buf_append(raw, chunk, (size_t)r) < 0)
            return -1;
        /* cer_buf keeps a NUL after the data */
        if (!head_len && (end = strstr((char *)raw->data, "\r\n\r\n"))) {
            head_len = (size_t)(end + 4 - (char *)raw->data);
            h = strcasestr((char *)raw->data, "\r\nContent-Length:");
            want = h && h < end ? strtol(h + 17, NULL, 10) : 0;
            if (want < 0 || want > BODY_MAX)
                return -1;
        }
        if (!head_len && raw->len > HEAD_MAX)
            return -1;
        if (head_len && raw->len - head_len >= (size_t)want)
            break;
    }
    end = (char *)raw->data + head_len - 4;
    *end = '\0';
    method[0] = path[0] = ctype[0] = '\0';
    {
        char fmt[32];
        snprintf(fmt, sizeof fmt, "%%15s %%%zus", path_cap - 1);
        sscanf((char *)raw->data, fmt, method, path);
    }
    if ((h = strcasestr((char *)raw->data, "\r\nContent-Type:"))) {
        h += 15;
        while (*h == ' ')
            h++;
        snprintf(ctype, ctype_cap, "%.*s", (int)strcspn(h, "\r;"), h);
    }
    req->method = method;
    req->path = path;
    req->content_type = ctype;
    req->head = (char *)raw->data;
    req->body = (char *)raw->data + head_len;
    req->body_len = (size_t)want;
    ((char *)raw->data)[head_len + (size_t)want] = '\0';
    return 0;
}

static void *serve(void *arg)
{
    fakehttp *f = arg;

    for (;;) {
        int c = accept(f->fd, NULL, NULL), status;
        char method[16], path[1024], ctype[128], head[256];
        cer_buf raw = CER_BUF_INIT, reply = CER_BUF_INIT;
        fakehttp_req req;

        if (c < 0) {
            if (f->stop)
                break;
            continue;
        }
        if (read_request(c, &raw, &req, method, path, sizeof path, ctype, sizeof ctype) == 0) {
            snprintf(f->last_path, sizeof f->last_path, "%s", path);
            status = f->fn(f->arg, &req, &reply);
            f->requests++;
            if (status > 0) {
                snprintf(head, sizeof head,
                         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n",
                         status, reply.len);
                (void)!send(c, head, strlen(head), MSG_NOSIGNAL);
                if (reply.len)
                    (void)!send(c, reply.data, reply.len, MSG_NOSIGNAL);
            }
        }
        close(c);
        cer_buf_free(&raw);
        cer_buf_free(&reply);
    }
    return NULL;
}

void fakehttp_start(fakehttp *f, fakehttp_fn fn, void *arg)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;

    memset(f, 0, sizeof *f);
    f->fn = fn;
    f->arg = arg;
    ck_assert_int_ge(f->fd = socket(AF_INET, SOCK_STREAM, 0), 0);
    ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(f->fd, 16), 0);
    ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, serve, f), 0);
}

void fakehttp_stop(fakehttp *f)
{
    f->stop = 1;
    shutdown(f->fd, SHUT_RDWR);  /* wakes accept */
    pthread_join(f->thread, NULL);
    close(f->fd);
}
