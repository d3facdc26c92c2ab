/*
 * fakehttp.h — a small fake HTTP/1.1 server for the Check programs: one
 * thread on a loopback port, one request per connection (Connection:
 * close), each answered by a handler the test supplies. Used by
 * test_anchor and test_eth (fake Ethereum JSON-RPC, fake CAS), test_http,
 * test_ipfs and test_sync (fake daemon).
 */
#ifndef CER_FAKEHTTP_H
#define CER_FAKEHTTP_H

#include "buf.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* One request as received (valid during the handler call only). body is
 * NUL-terminated after body_len bytes, so JSON bodies read as strings. */
typedef struct fakehttp_req {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* with the query string */
    const char *content_type;   /* "" when absent */
    const char *head;           /* the request line and the headers */
    const char *body;
    size_t body_len;
} fakehttp_req;

/* Fill reply (empty on entry) and return the HTTP status; 0 sends nothing
 * and closes the connection (the client sees it drop). Runs on the
 * server thread. */
typedef int (*fakehttp_fn)(void *arg, const fakehttp_req *req, cer_buf *reply);

typedef struct fakehttp {
    int fd, port;
    pthread_t thread;
    fakehttp_fn fn;
    void *arg;
    volatile int stop;
    int requests;               /* answered so far */
    char last_path[1024];       /* of the last request */
} fakehttp;

/* Listen on 127.0.0.1 (a free port, in f->port) and serve with fn(arg). */
void fakehttp_start(fakehttp *f, fakehttp_fn fn, void *arg);
void fakehttp_stop(fakehttp *f);

#endif
