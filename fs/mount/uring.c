/*
 * uring.c — FUSE over io_uring: the kernel queues each request on the ring
 * of the CPU its caller runs on, and a thread pinned to that CPU answers it,
 * so a round trip (the FLUSH of every close) wakes no other CPU, and the
 * answer and the wait for the next request are one system call.
 * Kernel side: Linux's Documentation/filesystems/fuse-io-uring.rst.
 *
 * libfuse 3.14 has no support for it, so this module sits under the session
 * as its custom I/O (fuse_session_custom_io):
 *  - the read hook sees the kernel's INIT and whether it offers
 *    FUSE_OVER_IO_URING (it does only when the fuse module's enable_uring
 *    parameter is on);
 *  - the writev hook first sets up the queues: for every possible CPU QDEPTH
 *    threads pinned to it, each with its own io_uring and one entry (a
 *    header buffer and a payload buffer); only then does it add the flag to
 *    libfuse's INIT reply (with the flag the kernel holds every request
 *    until each CPU has an entry, so it is promised only when nothing but
 *    the kernel's own registration can fail); once the kernel has the
 *    reply, each thread registers its entry (FUSE_IO_URING_CMD_REGISTER);
 *  - a completion on an entry is a request: the thread lays it out as
 *    /dev/fuse would have (fuse_in_header, the operation's header, the
 *    payload) by copying the two headers in front of the payload, and gives
 *    it to fuse_session_process_buf;
 *  - the reply comes back through the writev hook, which finds the entry by
 *    the reply's unique, copies the reply into the entry's buffers and queues
 *    FUSE_IO_URING_CMD_COMMIT_AND_FETCH, which delivers the reply and waits
 *    for the next request; a reply made on the entry's own thread (the
 *    usual case) is submitted with that wait, others at once.
 * /dev/fuse stays served by the session loop: INIT, FORGET, INTERRUPT, the
 * notifications (unique 0) and whatever comes before the rings are ready.
 * Several threads per CPU, because an operation may block (a lookup that
 * asks the network waits up to its timeout) and the kernel never moves a
 * request to another CPU's queue. A request's payload is overwritten by its
 * reply: the operations in fsops.c do not read their arguments after
 * replying.
 */
#include "uring.h"

#include <errno.h>
#include <linux/fuse.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* The kernel's interface (include/uapi/linux/fuse.h 7.42), for system
 * headers older than that. */
#ifndef FUSE_URING_IN_OUT_HEADER_SZ
#define FUSE_URING_IN_OUT_HEADER_SZ 128
#define FUSE_URING_OP_IN_OUT_SZ 128
struct fuse_uring_ent_in_out {
    uint64_t flags;
    uint64_t commit_id;     /* the request's unique */
    uint32_t payload_sz;    /* bytes used in the payload buffer */
    uint32_t padding;
    uint64_t reserved;
};
struct fuse_uring_req_header {
    char in_out[FUSE_URING_IN_OUT_HEADER_SZ];  /* fuse_in_header / fuse_out_header */
    char op_in[FUSE_URING_OP_IN_OUT_SZ];       /* the operation's first argument */
    struct fuse_uring_ent_in_out ring_ent_in_out;
};
enum { FUSE_IO_URING_CMD_REGISTER = 1, FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2 };
struct fuse_uring_cmd_req {
    uint64_t flags;
    uint64_t commit_id;
    uint16_t qid;
    uint8_t padding[6];
};
#endif
#define OVER_IO_URING_FLAGS2 (1u << (41 - 32))  /* FUSE_OVER_IO_URING, in flags2 */
#ifndef FUSE_MAX_PAGES
#define FUSE_MAX_PAGES (1 << 22)
#endif

#define QDEPTH 4            /* threads (entries) per CPU */
#define SLACK 256           /* room before the payload for the two headers */
#define SQE_SIZE 128        /* IORING_SETUP_SQE128 */
#define TAG_STOP 1          /* user_data of the stop poll; entries use their address */

typedef struct qthread qthread;

/* One io_uring, mapped by hand (no liburing): written by its thread, and
 * under lock by a thread answering one of its requests from elsewhere. */
typedef struct ring {
    int fd;
    void *sq_map, *cq_map, *sqe_map;
    size_t sq_len, cq_len, sqe_len;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_cqe *cqes;
    unsigned sq_entries;
    unsigned unsubmitted;           /* queued since the last io_uring_enter */
    bool live;                      /* lock initialised */
    pthread_mutex_t lock;
} ring;

struct qthread {
    cfs_uring *u;
    unsigned qid;                   /* the CPU */
    pthread_t tid;
    bool started;
    ring r;
    struct iovec iov[2];            /* REGISTER's buffers: hdr, and buf's payload */
    bool registering;               /* REGISTER sent, no request yet */
    struct fuse_uring_req_header *hdr;  /* owned */
    uint8_t *buf;                   /* owned: SLACK bytes, then the payload */
    _Atomic uint64_t unique;        /* the request being answered (0: none) */
};

struct cfs_uring {
    cfs_fs *fs;
    int devfd;                      /* the session's /dev/fuse (not owned) */
    int stopfd;                     /* eventfd, owned */
    _Atomic bool offered;           /* INIT offered FUSE_OVER_IO_URING */
    _Atomic uint64_t init_unique;   /* INIT's unique (0: not seen) */
    size_t payload;                 /* bytes per payload buffer */
    qthread *t;                     /* nt threads, owned; set before any starts */
    _Atomic size_t nt;
    pthread_mutex_t go_lock;
    pthread_cond_t go_cond;
    int go;                         /* threads wait while 0; 1: register; -1: quit */
    _Atomic bool served;            /* a request came through a ring */
};

static _Thread_local qthread *self;

/* ---- io_uring by system call ---- */

static int ring_init(ring *r, unsigned entries)
{
    struct io_uring_params p = {.flags = IORING_SETUP_SQE128 | IORING_SETUP_COOP_TASKRUN};

    memset(r, 0, sizeof *r);
    r->sq_map = r->cq_map = r->sqe_map = MAP_FAILED;
    pthread_mutex_init(&r->lock, NULL);
    r->live = true;
    if ((r->fd = (int)syscall(__NR_io_uring_setup, entries, &p)) < 0)
        return -errno;
    r->sq_entries = p.sq_entries;
    r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP)
        r->sq_len = r->cq_len = r->sq_len > r->cq_len ? r->sq_len : r->cq_len;
    r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                     IORING_OFF_SQ_RING);
    if (r->sq_map == MAP_FAILED)
        return -errno;
    if (p.features & IORING_FEAT_SINGLE_MMAP)
        r->cq_map = r->sq_map;
    else if ((r->cq_map = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                               r->fd, IORING_OFF_CQ_RING)) == MAP_FAILED)
        return -errno;
    r->sqe_len = (size_t)p.sq_entries * SQE_SIZE;
    r->sqe_map = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                      IORING_OFF_SQES);
    if (r->sqe_map == MAP_FAILED)
        return -errno;
    r->sq_head = (unsigned *)((char *)r->sq_map + p.sq_off.head);
    r->sq_tail = (unsigned *)((char *)r->sq_map + p.sq_off.tail);
    r->sq_mask = (unsigned *)((char *)r->sq_map + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)((char *)r->sq_map + p.sq_off.array);
    r->cq_head = (unsigned *)((char *)r->cq_map + p.cq_off.head);
    r->cq_tail = (unsigned *)((char *)r->cq_map + p.cq_off.tail);
    r->cq_mask = (unsigned *)((char *)r->cq_map + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)((char *)r->cq_map + p.cq_off.cqes);
    return 0;
}

static void ring_fini(ring *r)
{
    if (!r->live)
        return;
    if (r->sqe_map != MAP_FAILED)
        munmap(r->sqe_map, r->sqe_len);
    if (r->cq_map != MAP_FAILED && r->cq_map != r->sq_map)
        munmap(r->cq_map, r->cq_len);
    if (r->sq_map != MAP_FAILED)
        munmap(r->sq_map, r->sq_len);
    if (r->fd >= 0)
        close(r->fd);
    pthread_mutex_destroy(&r->lock);
    r->live = false;
}

/* A zeroed SQE at the tail, or NULL when the queue is full. Under r->lock;
 * ring_push publishes it. */
static struct io_uring_sqe *ring_sqe(ring *r)
{
    unsigned tail = *r->sq_tail;

    if (tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) >= r->sq_entries)
        return NULL;
    unsigned i = tail & *r->sq_mask;
    struct io_uring_sqe *s = (struct io_uring_sqe *)((char *)r->sqe_map + (size_t)i * SQE_SIZE);
    memset(s, 0, SQE_SIZE);
    r->sq_array[i] = i;
    return s;
}

static void ring_push(ring *r)
{
    __atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
    r->unsubmitted++;
}

static int ring_enter(ring *r, unsigned submit, unsigned wait)
{
    long n = syscall(__NR_io_uring_enter, r->fd, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
    return n < 0 ? -errno : (int)n;
}

/* Queue a FUSE command for t's entry (REGISTER, or COMMIT_AND_FETCH of
 * `unique`); from another thread than t's, submit it at once. */
static int queue_cmd(qthread *t, uint32_t op, uint64_t unique)
{
    ring *r = &t->r;
    int rc = 0;

    pthread_mutex_lock(&r->lock);
    struct io_uring_sqe *s = ring_sqe(r);
    if (!s) {
        pthread_mutex_unlock(&r->lock);
        return -EBUSY;
    }
    s->opcode = IORING_OP_URING_CMD;
    s->fd = t->u->devfd;
    s->cmd_op = op;
    s->user_data = (uint64_t)(uintptr_t)t;
    if (op == FUSE_IO_URING_CMD_REGISTER) {
        t->registering = true;
        t->iov[0] = (struct iovec){t->hdr, sizeof *t->hdr};
        t->iov[1] = (struct iovec){t->buf + SLACK, t->u->payload};
        s->addr = (uint64_t)(uintptr_t)t->iov;
        s->len = 2;
    }
    struct fuse_uring_cmd_req *c = (struct fuse_uring_cmd_req *)s->cmd;
    c->commit_id = unique;
    c->qid = (uint16_t)t->qid;
    ring_push(r);
    if (self != t || op == FUSE_IO_URING_CMD_REGISTER) {
        unsigned n = r->unsubmitted;
        r->unsubmitted = 0;
        if ((rc = ring_enter(r, n, 0)) > 0)
            rc = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- the queue threads ---- */

/* Lay the request of t's entry out as /dev/fuse would have and run it. */
static void serve(qthread *t)
{
    const struct fuse_in_header *in = (const struct fuse_in_header *)t->hdr->in_out;
    uint32_t psz = t->hdr->ring_ent_in_out.payload_sz;
    size_t op = in->len >= sizeof *in + (size_t)psz ? in->len - sizeof *in - psz : SIZE_MAX;

    if (psz > t->u->payload || op > FUSE_URING_OP_IN_OUT_SZ) {
        /* the kernel broke its own layout: answer EIO rather than guess */
        syslog(LOG_ERR, "io_uring: request %llu has a bad layout (len %u, payload %u): EIO",
               (unsigned long long)in->unique, in->len, psz);
        struct fuse_out_header *oh = (struct fuse_out_header *)t->hdr->in_out;
        uint64_t unique = in->unique;
        *oh = (struct fuse_out_header){.len = sizeof *oh, .error = -EIO, .unique = unique};
        t->hdr->ring_ent_in_out.payload_sz = 0;
        queue_cmd(t, FUSE_IO_URING_CMD_COMMIT_AND_FETCH, unique);
        return;
    }
    uint8_t *start = t->buf + SLACK - op - sizeof *in;
    memcpy(start, in, sizeof *in);
    memcpy(start + sizeof *in, t->hdr->op_in, op);
    atomic_store(&t->unique, in->unique);
    if (!atomic_load_explicit(&t->u->served, memory_order_relaxed))
        atomic_store(&t->u->served, true);
    struct fuse_buf fb = {.size = in->len, .mem = start};
    fuse_session_process_buf(t->u->fs->se, &fb);
}

static bool gone(int res)
{
    return res == -ENOTCONN || res == -ECONNABORTED || res == -ECANCELED || res == -ENODEV;
}

/* Wait until the kernel has INIT's reply (go 1) or the start is called
 * off (go -1). */
static bool wait_go(cfs_uring *u)
{
    pthread_mutex_lock(&u->go_lock);
    while (u->go == 0)
        pthread_cond_wait(&u->go_cond, &u->go_lock);
    int go = u->go;
    pthread_mutex_unlock(&u->go_lock);
    return go > 0;
}

static void set_go(cfs_uring *u, int go)
{
    pthread_mutex_lock(&u->go_lock);
    u->go = go;
    pthread_cond_broadcast(&u->go_cond);
    pthread_mutex_unlock(&u->go_lock);
}

static void *qthread_main(void *arg)
{
    qthread *t = arg;
    ring *r = &t->r;
    int rc;

    self = t;
    if (!wait_go(t->u))
        return NULL;
    pthread_mutex_lock(&r->lock);
    struct io_uring_sqe *s = ring_sqe(r);
    s->opcode = IORING_OP_POLL_ADD;
    s->fd = t->u->stopfd;
    s->poll32_events = POLLIN;
    s->user_data = TAG_STOP;
    ring_push(r);
    pthread_mutex_unlock(&r->lock);
    if ((rc = queue_cmd(t, FUSE_IO_URING_CMD_REGISTER, 0)) < 0) {
        syslog(LOG_ERR, "io_uring: cannot register queue %u: %s", t->qid, strerror(-rc));
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&r->lock);
        unsigned n = r->unsubmitted;
        r->unsubmitted = 0;
        pthread_mutex_unlock(&r->lock);
        if ((rc = ring_enter(r, n, 1)) < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            syslog(LOG_ERR, "io_uring: queue %u: %s", t->qid, strerror(-rc));
            return NULL;
        }
        unsigned head = *r->cq_head;
        while (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
            struct io_uring_cqe c = r->cqes[head & *r->cq_mask];
            __atomic_store_n(r->cq_head, ++head, __ATOMIC_RELEASE);
            if (c.user_data == TAG_STOP)
                return NULL;
            if (c.res == 0) {
                t->registering = false;
                serve(t);
                continue;
            }
            if (gone(c.res))  /* unmounted, or the connection aborted */
                return NULL;
            if (t->registering) {
                /* the kernel refused the entry; it then turns the
                 * connection back to /dev/fuse */
                syslog(LOG_ERR, "io_uring: queue %u: the kernel refuses the ring: %s", t->qid,
                       strerror(-c.res));
                return NULL;
            }
            /* a commit the kernel refused (its request was ended by an
             * abort): the entry is lost to it; register the buffers afresh */
            syslog(LOG_WARNING, "io_uring: queue %u: %s; registering again", t->qid, strerror(-c.res));
            atomic_store(&t->unique, 0);
            if (queue_cmd(t, FUSE_IO_URING_CMD_REGISTER, 0) < 0)
                return NULL;
        }
    }
}

static unsigned possible_cpus(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
    unsigned n = 0, a, b;
    int c;

    if (f) {
        /* "0-3,5,8-9" */
        while (fscanf(f, "%u", &a) == 1) {
            b = a;
            if ((c = fgetc(f)) == '-' && fscanf(f, "%u", &b) == 1)
                c = fgetc(f);
            if (b + 1 > n)
                n = b + 1;
            if (c != ',')
                break;
        }
        fclose(f);
    }
    if (n == 0) {
        long k = sysconf(_SC_NPROCESSORS_CONF);
        n = k > 0 ? (unsigned)k : 1;
    }
    return n;
}

/* Stop the threads (any that started) and close their rings. The array
 * stays, with every entry idle, for the writev hook until cfs_uring_free. */
static void stop_threads(cfs_uring *u)
{
    size_t nt = atomic_load(&u->nt);

    set_go(u, -1);  /* those still waiting for INIT's reply */
    (void)!write(u->stopfd, &(uint64_t){1}, sizeof(uint64_t));
    for (size_t i = 0; i < nt; i++) {
        if (u->t[i].started)
            pthread_join(u->t[i].tid, NULL);
        u->t[i].started = false;
        atomic_store(&u->t[i].unique, 0);
        ring_fini(&u->t[i].r);
    }
}

/* Every thread and ring, before INIT's reply goes out: once the kernel has
 * FUSE_OVER_IO_URING it holds every request until each CPU has an entry,
 * so the flag is promised only when nothing can fail but the kernel's own
 * registration (whose failure turns the connection back to /dev/fuse).
 * The threads wait for set_go. All or nothing. */
static int prepare(cfs_uring *u)
{
    unsigned nq = possible_cpus();  /* one queue per CPU */
    size_t nt = (size_t)nq * QDEPTH;
    sigset_t all, old;
    int rc = 0;

    if (!(u->t = calloc(nt, sizeof *u->t)))
        return -ENOMEM;
    atomic_store(&u->nt, nt);
    for (size_t i = 0; i < nt && rc == 0; i++) {
        qthread *t = &u->t[i];
        t->u = u;
        t->qid = (unsigned)(i % nq);
        if (!(t->hdr = malloc(sizeof *t->hdr)) || !(t->buf = malloc(SLACK + u->payload)))
            rc = -ENOMEM;
        else
            rc = ring_init(&t->r, 4);
    }
    /* the signals stay with the session's threads */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < nt && rc == 0; i++) {
        qthread *t = &u->t[i];
        pthread_attr_t at;
        cpu_set_t cpu;
        pthread_attr_init(&at);
        CPU_ZERO(&cpu);
        if (t->qid < CPU_SETSIZE) {
            CPU_SET(t->qid, &cpu);
            pthread_attr_setaffinity_np(&at, sizeof cpu, &cpu);
        }
        rc = -pthread_create(&t->tid, &at, qthread_main, t);
        if (rc == -EINVAL)  /* a CPU that is not online: run unpinned */
            rc = -pthread_create(&t->tid, NULL, qthread_main, t);
        t->started = rc == 0;
        pthread_attr_destroy(&at);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        syslog(LOG_WARNING, "io_uring: cannot set up the rings (%s): staying on /dev/fuse", strerror(-rc));
        stop_threads(u);
    }
    return rc;
}

/* ---- the session's I/O ---- */

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
    cfs_uring *u = ((cfs_fs *)userdata)->uring;
    ssize_t n = read(fd, buf, len);

    if (n >= (ssize_t)(sizeof(struct fuse_in_header) + offsetof(struct fuse_init_in, flags2) + 4)) {
        const struct fuse_in_header *in = buf;
        const struct fuse_init_in *ii = (const void *)(in + 1);
        if (in->opcode == FUSE_INIT && !atomic_load(&u->init_unique)) {
            atomic_store(&u->offered, (ii->flags & FUSE_INIT_EXT) && (ii->flags2 & OVER_IO_URING_FLAGS2));
            atomic_store(&u->init_unique, in->unique);
        }
    }
    return n;
}

/* The reply to t's request: into its buffers, then commit. */
static ssize_t reply_ring(qthread *t, const struct iovec *iov, int count)
{
    struct fuse_out_header oh;
    size_t len = 0;

    if (iov[0].iov_len != sizeof oh)
        return errno = EINVAL, -1;
    memcpy(&oh, iov[0].iov_base, sizeof oh);
    for (int i = 1; i < count; i++) {
        if (iov[i].iov_len > t->u->payload - len) {
            /* cannot happen (the payload holds the largest read): fail
             * the request rather than truncate it */
            oh.error = -EIO;
            len = 0;
            break;
        }
        memcpy(t->buf + SLACK + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    memcpy(t->hdr->in_out, &oh, sizeof oh);
    t->hdr->ring_ent_in_out.payload_sz = (uint32_t)len;
    atomic_store(&t->unique, 0);
    int rc = queue_cmd(t, FUSE_IO_URING_CMD_COMMIT_AND_FETCH, oh.unique);
    if (rc < 0)
        return errno = -rc, -1;
    return (ssize_t)(sizeof oh + len);
}

/* libfuse's INIT reply, with FUSE_OVER_IO_URING added when the rings are
 * ready to register; they do once the kernel has the reply. */
static ssize_t reply_init(cfs_uring *u, int fd, struct iovec *iov, int count)
{
    struct fuse_init_out *io = count == 2 && iov[1].iov_len >= offsetof(struct fuse_init_out, unused)
                                   ? iov[1].iov_base : NULL;
    bool on = io && ((struct fuse_out_header *)iov[0].iov_base)->error == 0 && !u->fs->no_uring;

    if (on) {
        /* the kernel refuses payload buffers smaller than this */
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t pages = (io->flags & FUSE_MAX_PAGES) && io->max_pages ? io->max_pages : 32;
        u->payload = io->max_write > 8192 ? io->max_write : 8192;
        if (pages * page > u->payload)
            u->payload = pages * page;
        on = prepare(u) == 0;
    }
    if (on) {
        io->flags |= FUSE_INIT_EXT;
        io->flags2 |= OVER_IO_URING_FLAGS2;
    }
    ssize_t n = writev(fd, iov, count);
    if (on)
        set_go(u, n >= 0 ? 1 : -1);
    return n;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
    cfs_uring *u = ((cfs_fs *)userdata)->uring;
    uint64_t unique = count > 0 && iov[0].iov_len >= sizeof(struct fuse_out_header)
                          ? ((struct fuse_out_header *)iov[0].iov_base)->unique
                          : 0;

    if (unique != 0 && self && atomic_load(&self->unique) == unique)
        return reply_ring(self, iov, count);
    size_t nt = atomic_load(&u->nt);
    /* answered on another thread than the one it came to */
    for (size_t i = 0; unique != 0 && i < nt; i++)
        if (atomic_load(&u->t[i].unique) == unique)
            return reply_ring(&u->t[i], iov, count);
    if (unique != 0 && unique == atomic_load(&u->init_unique) && atomic_load(&u->offered))
        return reply_init(u, fd, iov, count);
    return writev(fd, iov, count);
}

int cfs_uring_attach(cfs_fs *fs)
{
    static const struct fuse_custom_io io = {.read = io_read, .writev = io_writev};
    cfs_uring *u = calloc(1, sizeof *u);

    if (!u)
        return -ENOMEM;
    if ((u->stopfd = eventfd(0, EFD_CLOEXEC)) < 0) {
        free(u);
        return -errno;
    }
    u->fs = fs;
    u->devfd = fuse_session_fd(fs->se);
    pthread_mutex_init(&u->go_lock, NULL);
    pthread_cond_init(&u->go_cond, NULL);
    fs->uring = u;
    if (fuse_session_custom_io(fs->se, &io, u->devfd) != 0) {
        fs->uring = NULL;
        cfs_uring_free(u);
        return -EIO;
    }
    return 0;
}

void cfs_uring_stop(cfs_uring *u)
{
    if (u)
        stop_threads(u);
}

void cfs_uring_free(cfs_uring *u)
{
    if (!u)
        return;
    stop_threads(u);
    for (size_t i = 0; i < atomic_load(&u->nt); i++) {
        free(u->t[i].hdr);
        free(u->t[i].buf);
    }
    free(u->t);
    close(u->stopfd);
    pthread_cond_destroy(&u->go_cond);
    pthread_mutex_destroy(&u->go_lock);
    free(u);
}

const char *cfs_uring_transport(const cfs_uring *u)
{
    return u && atomic_load(&((cfs_uring *)u)->served) ? "io_uring" : "/dev/fuse";
}
