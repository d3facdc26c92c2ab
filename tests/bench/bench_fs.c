/*
 * bench_fs.c — file operations on a ceramicfs mount against the same
 * operations on tmpfs, in interleaved slices of the same run (the build
 * VM drifts, see bench.h): stat of content.json, cached open+read+close, readdir of the
 * root (N documents), and a save (open O_TRUNC + write + close = one
 * commit), plus the in-process commit cost (cer_node_update, no fsync) to
 * compare the save against.
 *
 *   usage: bench_fs MOUNT TMPFS N COMMIT_US [open]
 *          bench_fs --commit-us STATE
 * The second form prints the in-process commit cost on the mount's own
 * state directory (bench_mount.sh runs it between mounts): ext4 makes a
 * file dearer in a directory tree that holds 10,000 documents than in an
 * empty one, so the save and the commit it is bounded by see the same disk.
 * MOUNT and TMPFS each hold d0..d{N-1}/content.json (bench_mount.sh makes
 * them). "open": the mount has file handles (-o open), so a cached read is
 * two round trips (OPEN, RELEASE); in the default no-open mode it is one
 * (FLUSH). A save's round trips are counted by the daemon (.status,
 * mount.requests) around the saves: the kernel sends more than the three
 * or four the save's system calls name (GETATTR, GETXATTR of
 * security.capability before each truncation and write). Prints one line
 * per operation and the goals of issue 4.
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

static long saves, saves_on[2];

static void op_save(int which)
{
    char p[4096], buf[64];
    int fd, n;

    snprintf(p, sizeof p, "%s/d0/content.json", root[which]);
    n = snprintf(buf, sizeof buf, "{\"i\":%ld}\n", ++saves);
    saves_on[which]++;
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

/* The mount's .status (caller frees), with mount.requests: the requests
 * its daemon has had, by kind (reading .status is not counted there). */
static cJSON *mount_status(const char *mnt)
{
    char p[4096], buf[65536];
    cJSON *o;
    ssize_t n;
    int fd;

    snprintf(p, sizeof p, "%s/.status", mnt);
    if ((fd = open(p, O_RDONLY)) < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0) {
        perror(p);
        exit(1);
    }
    close(fd);
    buf[n] = 0;
    if (!(o = cJSON_Parse(buf)) || !cJSON_IsObject(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "mount"), "requests"))) {
        fprintf(stderr, "bench: %s has no mount.requests\n", p);
        exit(1);
    }
    return o;
}

/* Requests per save, by kind ("SETATTR 1, WRITE 1, ..."), from two
 * readings of .status around nsaves saves; returns the total per save. */
static double save_trips(cJSON *before, cJSON *after, long nsaves, char *out, size_t cap)
{
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetObjectItem(before, "mount"), "requests");
    const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(after, "mount"), "requests");
    double total = 0;
    size_t len = 0;

    out[0] = 0;
    for (const cJSON *it = a->child; it; it = it->next) {
        const cJSON *was = cJSON_GetObjectItem(b, it->string);
        double per = (it->valuedouble - (was ? was->valuedouble : 0)) / (double)nsaves;
        if (per < 0.05)
            continue;
        total += per;
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s %.1f", len ? ", " : "", it->string, per);
    }
    return total;
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
    double st[2], rd[2], ls[2], sv[2], cu, rt, sv_trips;
    bool handles = argc == 6 && strcmp(argv[5], "open") == 0;
    int rd_trips = handles ? 2 : 1;
    cJSON *req0, *req1;
    char kinds[512];

    if (sodium_init() < 0)
        return 2;
    if (argc == 3 && strcmp(argv[1], "--commit-us") == 0) {
        printf("%.1f\n", commit_us(argv[2]));
        return 0;
    }
    if (argc != 5 && !handles) {
        fprintf(stderr, "usage: bench_fs MOUNT TMPFS N COMMIT_US [open]\n       bench_fs --commit-us STATE\n");
        return 2;
    }
    root[0] = argv[1];
    root[1] = argv[2];
    ndocs = atol(argv[3]);
    cu = atof(argv[4]);
    if (ndocs <= 0 || !(cu > 0))
        return 2;
    printf("%-28s %14s %14s\n", "operation", "ceramicfs", "tmpfs");
    for (int w = 0; w < 2; w++)  /* warm both: every dentry and attribute cached */
        for (long k = 0; k < ndocs; k++) {
            char p[4096];
            struct stat sb;
            path_of(p, sizeof p, w, k);
            stat(p, &sb);
        }
    req0 = mount_status(root[0]);  /* after the warming: requests came in already */
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req0, "mount"), "transport");
    printf("(ceramicfs: requests over %s, %s)\n", cJSON_IsString(tr) ? tr->valuestring : "?",
           handles ? "file handles (-o open)" : "the kernel's no-open mode");
    cJSON_Delete(req0);
    measure("stat content.json", op_stat, 0.2, 5, st);
    measure("open+read+close (cached)", op_read, 0.2, 5, rd);
    measure("readdir of the root", op_readdir, 0.3, 3, ls);
    req0 = mount_status(root[0]);
    measure("save (one commit)", op_save, 0.3, 3, sv);
    req1 = mount_status(root[0]);
    sv_trips = save_trips(req0, req1, saves_on[0], kinds, sizeof kinds);
    cJSON_Delete(req0);
    cJSON_Delete(req1);
    /* a FUSE round trip, from the cached read: its only trips to the
     * daemon are FLUSH (no-open mode), or OPEN and RELEASE (-o open) */
    rt = (1e6 / rd[0] - 1e6 / rd[1]) / rd_trips;
    printf("in-process commit (no fsync, same state directory)  %.1f us; FUSE round trip ~%.1f us\n", cu, rt);
    printf("goals: stat >= 0.5 x tmpfs: %.2f %s; cached read >= 0.2 x tmpfs: %.2f %s;\n", st[0] / st[1],
           st[0] / st[1] >= 0.5 ? "met" : "NOT MET", rd[0] / rd[1], rd[0] / rd[1] >= 0.2 ? "met" : "NOT MET");
    printf("       save <= 2 x commit + its %.1f round trips (counted by the daemon: %s):\n"
           "       %.1f <= %.1f us %s\n", sv_trips, kinds, 1e6 / sv[0], 2 * cu + sv_trips * rt,
           1e6 / sv[0] <= 2 * cu + sv_trips * rt ? "met" : "NOT MET");
    return 0;
}
