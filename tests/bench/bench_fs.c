/*
 * bench_fs.c — file operations on a ceramicfs mount against the same
 * operations on tmpfs, in interleaved slices of the same run (PERF.md: the
 * VM drifts): stat of content.json, cached open+read+close, readdir of the
 * root (N documents), and a save (open O_TRUNC + write + close = one
 * commit), plus the in-process commit cost (cer_node_update, no fsync) to
 * compare the save against.
 *
 *   usage: bench_fs MOUNT TMPFS N STATE_FOR_COMMITS [open]
 * MOUNT and TMPFS each hold d0..d{N-1}/content.json (bench_mount.sh makes
 * them). "open": the mount has file handles (-o open), so a cached read is
 * two round trips (OPEN, RELEASE) and a save four (OPEN, WRITE, FLUSH,
 * RELEASE); in the default no-open mode they are one (FLUSH) and three
 * (SETATTR, WRITE, FLUSH). Prints one line per operation and the goals of
 * issue 4.
 */
#include "bench.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root[2];
static long ndocs;
static unsigned seed = 12345;

static void path_of(char *out, size_t cap, int which, long k)
{
    snprintf(out, cap, "%s/d%ld/content.json", root[which], k);
}

static long pick(void)
{
    seed = seed * 1103515245u + 12345u;
    return (long)((seed >> 8) % (unsigned long)ndocs);
}

static void op_stat(int which)
{
    char p[4096];
    struct stat sb;

    path_of(p, sizeof p, which, pick());
    if (stat(p, &sb) < 0) {
        perror(p);
        exit(1);
    }
}

static void op_read(int which)
{
    char p[4096], buf[4096];
    int fd;

    path_of(p, sizeof p, which, pick() % 64);  /* a working set that stays cached */
    if ((fd = open(p, O_RDONLY)) < 0 || read(fd, buf, sizeof buf) <= 0) {
        perror(p);
        exit(1);
    }
    close(fd);
}

static void op_readdir(int which)
{
    DIR *d = opendir(root[which]);
    long n = 0;

    if (!d) {
        perror(root[which]);
        exit(1);
    }
    while (readdir(d))
        n++;
    closedir(d);
    if (n < ndocs) {
        fprintf(stderr, "bench: %s lists %ld entries\n", root[which], n);
        exit(1);
    }
}

static long saves;

static void op_save(int which)
{
    char p[4096], buf[64];
    int fd, n;

    snprintf(p, sizeof p, "%s/d0/content.json", root[which]);
    n = snprintf(buf, sizeof buf, "{\"i\":%ld}\n", ++saves);
    if ((fd = open(p, O_WRONLY | O_TRUNC)) < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0) {
        perror(p);
        exit(1);
    }
}

/* ops/s of op on tree 0 (the mount) and tree 1 (tmpfs), interleaved in
 * slices of ~slice seconds. */
static void measure(const char *name, void (*op)(int), double slice, int slices, double rate[2])
{
    double t[2] = {0, 0};
    long n[2] = {0, 0};

    for (int s = 0; s < slices; s++) {
        for (int w = 0; w < 2; w++) {
            double t0 = bench_now(), el;
            long k = 0;
            do {
                for (int i = 0; i < 8; i++, k++)
                    op(w);
                el = bench_now() - t0;
            } while (el < slice);
            t[w] += el;
            n[w] += k;
        }
    }
    rate[0] = (double)n[0] / t[0];
    rate[1] = (double)n[1] / t[1];
    printf("%-28s %12.0f/s %12.0f/s %8.3f x tmpfs  (%.1f vs %.1f us)\n", name, rate[0], rate[1], rate[0] / rate[1],
           1e6 / rate[0], 1e6 / rate[1]);
}

/* Microseconds per in-process commit (cer_node_update, no fsync). */
static double commit_us(const char *state)
{
    cer_node_opts o = {.state_dir = state, .store_flags = CER_STORE_NOSYNC};
    cer_node *node;
    cer_streamref id;
    cJSON *c = cJSON_CreateObject(), *n = cJSON_AddNumberToObject(c, "i", 0);
    double t0;
    long k;

    bench_ok(cer_node_open(&node, &o), "node");
    bench_ok(cer_node_create(node, &id, NULL, c, 0), "create");
    t0 = bench_now();
    for (k = 1; bench_now() - t0 < 1.0; k++) {
        cJSON_SetNumberValue(n, (double)k);
        bench_ok(cer_node_update(node, &id, c), "update");
    }
    t0 = (bench_now() - t0) / (double)(k - 1);
    cer_node_close(node);
    cJSON_Delete(c);
    return t0 * 1e6;
}

int main(int argc, char **argv)
{
    double st[2], rd[2], ls[2], sv[2], cu, rt;
    bool handles = argc == 6 && strcmp(argv[5], "open") == 0;
    int rd_trips = handles ? 2 : 1, sv_trips = handles ? 4 : 3;

    if (argc != 5 && !handles) {
        fprintf(stderr, "usage: bench_fs MOUNT TMPFS N STATE_FOR_COMMITS [open]\n");
        return 2;
    }
    root[0] = argv[1];
    root[1] = argv[2];
    ndocs = atol(argv[3]);
    if (sodium_init() < 0 || ndocs <= 0)
        return 2;
    printf("%-28s %14s %14s\n", "operation", "ceramicfs", "tmpfs");
    for (int w = 0; w < 2; w++)  /* warm both: every dentry and attribute cached */
        for (long k = 0; k < ndocs; k++) {
            char p[4096];
            struct stat sb;
            path_of(p, sizeof p, w, k);
            stat(p, &sb);
        }
    measure("stat content.json", op_stat, 0.2, 5, st);
    measure("open+read+close (cached)", op_read, 0.2, 5, rd);
    measure("readdir of the root", op_readdir, 0.3, 3, ls);
    measure("save (one commit)", op_save, 0.3, 3, sv);
    cu = commit_us(argv[4]);
    /* a FUSE round trip, from the cached read: its only trips to the
     * daemon are FLUSH (no-open mode), or OPEN and RELEASE (-o open) */
    rt = (1e6 / rd[0] - 1e6 / rd[1]) / rd_trips;
    printf("in-process commit (no fsync)  %.1f us; FUSE round trip ~%.1f us\n", cu, rt);
    printf("goals: stat >= 0.5 x tmpfs: %.2f %s; cached read >= 0.2 x tmpfs: %.2f %s;\n", st[0] / st[1],
           st[0] / st[1] >= 0.5 ? "met" : "NOT MET", rd[0] / rd[1], rd[0] / rd[1] >= 0.2 ? "met" : "NOT MET");
    printf("       save <= 2 x commit + %d round trips (%s): %.1f <= %.1f us %s\n", sv_trips,
           handles ? "OPEN, WRITE, FLUSH, RELEASE" : "SETATTR, WRITE, FLUSH", 1e6 / sv[0], 2 * cu + sv_trips * rt,
           1e6 / sv[0] <= 2 * cu + sv_trips * rt ? "met" : "NOT MET");
    return 0;
}
