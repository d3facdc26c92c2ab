/*
 * mount.c — `ceramicfs mount MOUNTPOINT [options]`: option parsing, the
 * node, the FUSE session (low-level API, multi-threaded loop), signals,
 * the notifier thread, and a clean teardown on fusermount3 -u, SIGINT or
 * SIGTERM.
 */
#include "cli.h"
#include "clianchor.h"
#include "clisync.h"
#include "cliutil.h"
#include "mount.h"
#include "uring.h"
#include "sdnotify.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <unistd.h>

static const char use[] =
    "mount MOUNTPOINT [-f] [-d] [-o OPT[,OPT...]] [--state DIR] [--key FILE]\n"
    "  -f              stay in the foreground (messages on stderr too)\n"
    "  -d              debug: print every FUSE request (implies -f; -o debug)\n"
    "  -o ro           read-only mount\n"
    "  -o allow_other  let other users in (needs user_allow_other in /etc/fuse.conf)\n"
    "  -o state=DIR    same as --state; -o key=FILE same as --key\n"
    "  -o auto_unmount unmount when the daemon dies\n"
    "  -o max_resident=N  keep at most N documents' states in memory (default 4096)\n"
    "  -o nosync       no fsync (benchmarks only: a crash can lose saves that succeeded)\n"
    "  -o open         file handles: the kernel sends OPEN and RELEASE for every open\n"
    "                  (two round trips per cached read; the default, no_open, has one)\n"
    "  -o no_uring     stay on /dev/fuse when the kernel offers FUSE over io_uring\n"
    "                  (Linux 6.14+, with fuse's enable_uring parameter on; requests\n"
    "                  then reach a thread on the caller's CPU)\n"
    "  -o nodev,nosuid,noexec,noatime,sync,dirsync (and dev, suid, exec, atime,\n"
    "                  async): the usual mount flags; _netdev, nofail, noauto, user\n"
    "                  and the other fstab-only options are accepted and ignored\n"
    "  --state DIR     the node's state directory (default ~/.local/share/ceramicfs)\n"
    "  --key FILE      the signing key (default STATE/key, made on first use)\n"
    "  --ipfs URL      sync through this IPFS daemon's HTTP API (-o ipfs=URL)\n"
    "  --network NAME  inmemory|local|dev-unstable|testnet-clay|mainnet (-o network=NAME)\n"
    "  --pubsub-topic T  the topic, for inmemory and local (-o pubsub_topic=T)\n"
    "  --query-timeout MS  how long a lookup by StreamID waits for the network\n"
    "                  (-o query_timeout=MS)\n"
    "  --query-quiet MS  then how long it waits for more answers after one\n"
    "                  (-o query_quiet=MS)\n"
    "  --api HOST:PORT serve js-ceramic's HTTP API (/api/v0) for apps on this node:\n"
    "                  their writes show in the mount, saves in the apps (-o api=HOST:PORT;\n"
    "                  HOST is loopback unless you mean otherwise: a warning says so)\n"
    "  --anchor local|none   anchor new tips (default local: the built-in service)\n"
    "  --chain inmemory|eth  where the built-in service records roots (default inmemory)\n"
    "  --eth-rpc URL  --eth-from ADDR  --eth-raw  --anchor-service URL\n"
    "  --anchor-interval S  --anchor-timeout S  --anchor-auth did|none (did: sign\n"
    "                  the requests to the --anchor-service with the node's key)\n"
    "                  (each also as -o name=value, '_' for '-')\n"
    "As mount(8) runs it (fstab type fuse.ceramicfs, through mount.fuse3):\n"
    "  ceramicfs SOURCE MOUNTPOINT -o OPTS   (SOURCE is a label: ceramicfs)\n"
    "Unmount with: fusermount3 -u MOUNTPOINT (or umount as root)";

typedef struct opts {
    cfs_net_opts net;
    cer_anchor_opts anchor;
    const char *mnt;
    const char *state;
    const char *key;
    const char *api;            /* --api HOST:PORT, or NULL */
    bool foreground, debug, ro, allow_other, auto_unmount, nosync, no_open, no_uring;
    long max_resident;          /* -o max_resident=N; 0: the node's default */
    char flags[128];            /* mount flags for the kernel, ",nodev,noexec" */
} opts;

/* Mount flags that go to the kernel (libfuse 3.14 knows these) and the
 * fstab options mount(8) and mount.fuse3 may leave in, taken and ignored. */
static const char *const kernel_flags[] = {
    "dev", "nodev", "suid", "nosuid", "exec", "noexec", "async", "sync", "atime", "noatime", "dirsync",
};
static const char *const fstab_only[] = {
    "defaults", "_netdev", "nofail", "auto", "noauto", "user", "nouser", "users",
    "relatime", "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime",
    "lazytime", "nolazytime",
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error that names its cause and where to look, not the whole
 * usage (in which the one wrong word is lost): EXIT_USAGE. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ceramicfs mount: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'ceramicfs mount --help' for the options.\n");
    return EXIT_USAGE;
}

/* A mount flag or fstab-only option: 0 taken, 1 not one, -1 too many. */
static int flag_o(opts *o, const char *t)
{
    size_t n = strlen(o->flags);

    for (size_t i = 0; i < sizeof fstab_only / sizeof fstab_only[0]; i++)
        if (strcmp(t, fstab_only[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof kernel_flags / sizeof kernel_flags[0]; i++)
        if (strcmp(t, kernel_flags[i]) == 0)
            return snprintf(o->flags + n, sizeof o->flags - n, ",%s", t) < (int)(sizeof o->flags - n) ? 0 : -1;
    return 1;
}

static const struct {
    const char *name;
    int code;
    bool arg;
} anchor_names[] = {
    {"anchor", 0x100, true},     {"anchor-service", 0x101, true}, {"chain", 0x102, true},
    {"eth-rpc", 0x103, true},    {"eth-from", 0x104, true},       {"anchor-interval", 0x105, true},
    {"eth-raw", 0x106, false},   {"anchor-timeout", 0x107, true}, {"anchor-auth", 0x108, true},
};

/* An anchoring option as -o name[=value] ('_' for '-'): 0 taken, 1 not
 * one, -1 bad value. */
static int anchor_o(opts *o, char *t)
{
    char *eq = strchr(t, '=');
    size_t n = eq ? (size_t)(eq - t) : strlen(t);

    for (size_t i = 0; i < sizeof anchor_names / sizeof anchor_names[0]; i++) {
        const char *name = anchor_names[i].name;
        size_t k;
        for (k = 0; k < n && name[k] && (t[k] == name[k] || (t[k] == '_' && name[k] == '-')); k++)
            ;
        if (k == n && !name[k] && (eq != NULL) == anchor_names[i].arg)
            return cfs_anchor_opt(&o->anchor, anchor_names[i].code, eq ? eq + 1 : NULL) < 0 ? -1 : 0;
    }
    return 1;
}

/* One -o list: ours are taken, unknown ones refused (no silent typos). */
static int parse_o(opts *o, char *list)
{
    int rc;

    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "ro") == 0)
            o->ro = true;
        else if (strcmp(t, "rw") == 0)
            o->ro = false;
        else if (strcmp(t, "allow_other") == 0)
            o->allow_other = true;
        else if (strcmp(t, "auto_unmount") == 0)
            o->auto_unmount = true;
        else if (strcmp(t, "nosync") == 0)
            o->nosync = true;
        else if (strcmp(t, "no_open") == 0 || strcmp(t, "open") == 0)
            o->no_open = t[0] == 'n';
        else if (strcmp(t, "no_uring") == 0 || strcmp(t, "uring") == 0)
            o->no_uring = t[0] == 'n';
        else if (strcmp(t, "debug") == 0)
            o->debug = o->foreground = true;
        else if (strncmp(t, "state=", 6) == 0 && t[6])
            o->state = t + 6;
        else if (strncmp(t, "key=", 4) == 0 && t[4])
            o->key = t + 4;
        else if (strncmp(t, "api=", 4) == 0 && t[4])
            o->api = t + 4;
        else if (strncmp(t, "ipfs=", 5) == 0 && t[5])
            o->net.ipfs = t + 5;
        else if (strncmp(t, "network=", 8) == 0 && t[8])
            o->net.network = t + 8;
        else if (strncmp(t, "pubsub_topic=", 13) == 0 && t[13])
            o->net.topic = t + 13;
        else if (strncmp(t, "query_timeout=", 14) == 0 && t[14]) {
            if (cfs_parse_ms(&o->net.query_timeout_ms, t + 14, "-o query_timeout"))
                return EXIT_USAGE;
        } else if (strncmp(t, "max_resident=", 13) == 0) {
            char *end;
            errno = 0;
            o->max_resident = strtol(t + 13, &end, 10);
            if (errno || end == t + 13 || *end || o->max_resident < 1 || o->max_resident > 100000000)
                return usage_error("-o max_resident: a number of documents from 1 to 100000000, not '%s'", t + 13);
        } else if (strncmp(t, "query_quiet=", 12) == 0 && t[12]) {
            if (cfs_parse_ms(&o->net.query_quiet_ms, t + 12, "-o query_quiet"))
                return EXIT_USAGE;
        } else if ((rc = anchor_o(o, t)) <= 0) {
            if (rc < 0)
                return EXIT_USAGE;
        } else if ((rc = flag_o(o, t)) <= 0) {
            if (rc < 0)
                return cli_fail("too many mount flags at '%s'", t);
        } else
            return usage_error("unknown mount option '%s'", t);
    }
    return 0;
}

/* --name [value] for an anchoring option: 0 taken (*i advanced past its
 * value), 1 not one, -1 bad or missing value. */
static int anchor_long(opts *o, const char *name, const char *next, int *i)
{
    for (size_t k = 0; k < sizeof anchor_names / sizeof anchor_names[0]; k++) {
        if (strcmp(name, anchor_names[k].name) != 0)
            continue;
        if (anchor_names[k].arg && !next)
            return usage_error("--%s needs a value", name), -1;
        *i += anchor_names[k].arg;
        return cfs_anchor_opt(&o->anchor, anchor_names[k].code, anchor_names[k].arg ? next : NULL) < 0 ? -1 : 0;
    }
    return 1;
}

static int parse(opts *o, int argc, char **argv)
{
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: ceramicfs %s\n", use);
            return -1;
        } else if (strcmp(a, "-f") == 0) {
            o->foreground = true;
        } else if (strcmp(a, "-d") == 0) {
            o->debug = o->foreground = true;
        } else if (strncmp(a, "-o", 2) == 0) {
            char *list = a[2] ? (char *)a + 2 : i + 1 < argc ? argv[++i] : NULL;
            if (!list)
                return usage_error("%s needs a list of options (-o ro,allow_other)", a);
            if ((rc = parse_o(o, list)) != 0)
                return rc;
        } else if (strcmp(a, "--state") == 0 || strcmp(a, "--key") == 0 || strcmp(a, "--api") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            *(a[2] == 's' ? &o->state : a[2] == 'k' ? &o->key : &o->api) = argv[++i];
        } else if (strncmp(a, "--", 2) == 0 && (rc = anchor_long(o, a + 2, i + 1 < argc ? argv[i + 1] : NULL, &i)) <= 0) {
            if (rc < 0)
                return EXIT_USAGE;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (!o->mnt) {
            o->mnt = a;
        } else {
            return usage_error("one MOUNTPOINT only: '%s' is a second one", a);
        }
    }
    return o->mnt ? 0 : usage_error("no MOUNTPOINT");
}

static void on_api_log(void *arg, const char *line)
{
    (void)arg;
    syslog(LOG_WARNING, "%s", line);
}

static void on_event(void *arg, const char *kind, const char *line)
{
    (void)arg;
    syslog(strcmp(kind, "save") == 0 || strcmp(kind, "load") == 0 ? LOG_ERR : LOG_WARNING, "%s", line);
}

/* mount.fuse3 -o drop_privileges mounts itself and passes the FUSE device
 * as MOUNTPOINT /dev/fd/N (libfuse takes that form as it is). */
static bool fd_mountpoint(const char *m)
{
    if (strncmp(m, "/dev/fd/", 8) != 0 || !m[8])
        return false;
    for (m += 8; *m; m++)
        if (*m < '0' || *m > '9')
            return false;
    return true;
}

/* Tell a service manager (systemd Type=notify) what happens; a failure is
 * only logged: the mount works without one. */
static void notify(const char *state)
{
    int rc = cfs_sd_notify(state);

    if (rc < 0)
        syslog(LOG_WARNING, "cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(-rc));
}

/* Whether the mount table (/proc/self/mountinfo) has a mount on path;
 * the type of the last one (the one on top: "fuse.ceramicfs") in type.
 * Field 5 is the mount point, octal escapes (\040) for space, tab,
 * newline and backslash; the type follows the " - " separator. */
static bool mounted_on(const char *path, char *type, size_t cap)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL, *save, *t, *w, *dash;
    size_t n = 0;
    bool found = false;

    if (!f)
        return false;
    while (getline(&line, &n, f) > 0) {
        t = strtok_r(line, " ", &save);
        for (int field = 1; t && field < 5; field++)
            t = strtok_r(NULL, " ", &save);
        if (!t)
            continue;
        /* unescape in place: the result is never longer */
        w = t;
        for (const char *r = t; *r; r++) {
            if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                r[3] <= '7') {
                *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                r += 3;
            } else {
                *w++ = *r;
            }
        }
        *w = '\0';
        if (strcmp(t, path) != 0 || !save || !(dash = strstr(save, " - ")))
            continue;
        found = true;
        snprintf(type, cap, "%.*s", (int)strcspn(dash + 3, " \n"), dash + 3);
    }
    free(line);
    fclose(f);
    return found;
}

/* The mount point: a directory that is no mount already (mounting over a
 * live mount would hide it), and not the mount point of a FUSE daemon
 * that died (kill -9): that one answers ENOTCONN until it is unmounted
 * (stat may still succeed from the kernel's cache, statfs never does).
 * We say to unmount it rather than do it: the message names the command,
 * and nothing is unmounted behind the user's back. Its absolute path in
 * abs. 0, or the exit status after saying why. */
static int check_mountpoint(const char *mnt, char abs[PATH_MAX])
{
    static const char dead[] = "%s: the mount of a FUSE daemon that died is still there: run 'fusermount3 -u %s' first";
    struct stat sb;
    struct statfs sf;
    char type[64];

    if (stat(mnt, &sb) < 0)
        return errno == ENOTCONN ? cli_fail(dead, mnt, mnt) : cli_fail("%s: %s", mnt, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cli_fail("%s: not a directory", mnt);
    if (!realpath(mnt, abs))
        return errno == ENOTCONN ? cli_fail(dead, mnt, mnt) : cli_fail("%s: %s", mnt, strerror(errno));
    if (!mounted_on(abs, type, sizeof type))
        return 0;
    if (strncmp(type, "fuse", 4) != 0)
        return cli_fail("%s is a mount point already (%s): unmount it first, or mount on another directory", mnt,
                        type);
    if (statfs(abs, &sf) < 0 && errno == ENOTCONN)
        return cli_fail(dead, mnt, mnt);
    return cli_fail("%s is a mount point already (%s): unmount it first (fusermount3 -u %s), or mount on another "
                    "directory",
                    mnt, type, mnt);
}

/* The soft limit on open files up to the hard one: the usual 1,024 is
 * low for a daemon serving many processes (the mount keeps no descriptor
 * per document; open files and the scratch files the kernel knows hold
 * one each). Returns the limit in effect. */
static rlim_t raise_nofile(bool debug)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur >= rl.rlim_max)
        return rl.rlim_cur;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        syslog(LOG_WARNING, "open files: cannot raise the limit from %llu: %s", (unsigned long long)was,
               strerror(errno));
        return was;
    }
    if (debug)
        syslog(LOG_DEBUG, "open files: limit raised from %llu to %llu", (unsigned long long)was,
               (unsigned long long)rl.rlim_cur);
    return rl.rlim_cur;
}

int cfs_cmd_mount(int argc, char **argv)
{
    opts o = {.no_open = true};
    char state[4096], abs_state[PATH_MAX], abs_mnt[PATH_MAX], fsopts[512], msg[PATH_MAX + 64], *fargv[8];
    int fargc = 0, rc, ret = EXIT_BAD;
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct fuse_loop_config *cfg = NULL;
    cer_node_opts nopts = {0};
    cfs_fs fs = {0};
    cer_api *api = NULL;
    cer_api_opts ao = {0};
    bool mounted = false, handlers = false;

    cli_set_command("mount");
    if ((rc = cfs_net_extract(&o.net, &argc, argv)) != 0)
        return rc;
    if ((rc = parse(&o, argc, argv)) != 0)
        return rc < 0 ? 0 : rc;
    if (!o.net.ipfs && (o.net.network || o.net.topic || o.net.query_timeout_ms || o.net.query_quiet_ms))
        return cli_fail("network, pubsub_topic, query_timeout and query_quiet need ipfs=URL");
    if (fd_mountpoint(o.mnt)) {
        /* mounted already by mount.fuse3 (drop_privileges) */
    } else if ((rc = check_mountpoint(o.mnt, abs_mnt)) != 0) {
        return rc;
    } else {
        /* fuse_daemonize changes to /: keep the mount point absolute, or
         * the unmount at the end would miss it */
        o.mnt = abs_mnt;
    }
    if (cli_state_dir(state, sizeof state, o.state) != 0)
        return EXIT_BAD;
    /* a read-only mount makes no node: it shows one (a typo in --state
     * would show an empty one) */
    if (o.ro && (rc = cli_node_exists(state)) != 0)
        return rc;
    if (!o.ro && mkdir(state, 0700) < 0 && errno != EEXIST)
        return cli_fail("%s: %s", state, strerror(errno));
    /* the daemon runs in /: every path it keeps is absolute */
    if (!realpath(state, abs_state))
        return cli_fail("%s: %s", state, strerror(errno));
    nopts.state_dir = abs_state;
    nopts.network = o.net.network;
    nopts.store_flags = o.nosync ? CER_STORE_NOSYNC : 0;
    /* a state directory we cannot write (a backup, a snapshot, a read-only
     * file system) is opened read-only: nothing is written, not anchored */
    if (access(abs_state, W_OK) < 0) {
        if (!o.ro)
            return cli_fail("%s: %s: mount it with -o ro to browse it", abs_state, strerror(errno));
        nopts.store_flags |= CER_STORE_RDONLY;
        if (!o.anchor.mode)
            o.anchor.mode = "none";
    }
    if ((rc = cli_open_node_opts(&fs.node, &nopts, o.key)) == 0 && o.max_resident)
        cer_node_set_max_resident(fs.node, (size_t)o.max_resident);
    if (rc != 0)
        return rc;
    /* every anchor is judged as it is applied, from the first load on
     * (also with --anchor none, and before the sync starts): the network's
     * chains, the node's own anchors, the chain RPC when there is one */
    if ((rc = cer_node_set_anchor_check(fs.node, &o.anchor)) < 0) {
        cer_node_close(fs.node);
        return cli_fail_rc(rc, "--eth-rpc");
    }
    fs.state_dir = abs_state;
    fs.ro = o.ro;
    fs.no_open = o.no_open;
    fs.no_uring = o.no_uring;
    fs.debug = o.debug;
    fs.uid = getuid();
    fs.gid = getgid();
    if ((rc = cfs_init(&fs)) < 0) {
        cli_fail("setting up %s/scratch: %s", abs_state, strerror(-rc));
        goto out;
    }

    snprintf(fsopts, sizeof fsopts, "fsname=ceramicfs,subtype=ceramicfs,default_permissions%s%s%s%s",
             o.ro ? ",ro" : "", o.allow_other ? ",allow_other" : "", o.auto_unmount ? ",auto_unmount" : "",
             o.flags);
    fargv[fargc++] = "ceramicfs";
    fargv[fargc++] = "-o";
    fargv[fargc++] = fsopts;
    if (o.debug)
        fargv[fargc++] = "-d";
    args = (struct fuse_args)FUSE_ARGS_INIT(fargc, fargv);
    /* in the foreground messages go to stderr too, unless stderr is the
     * journal (a systemd unit), which has them from syslog already */
    openlog("ceramicfs", LOG_PID | (o.foreground && !cfs_sd_stderr_is_journal() ? LOG_PERROR : 0), LOG_DAEMON);
    cer_node_on_event(fs.node, on_event, NULL);
    /* scratch files the kernel knows may hold a quarter of them; the rest
     * is for open files and requests in flight */
    fs.scratch_max = (size_t)(raise_nofile(o.debug) / 4);
    if (!(fs.se = fuse_session_new(&args, &cfs_ops, sizeof cfs_ops, &fs))) {
        cli_fail("cannot start a FUSE session");
        goto out;
    }
    if (fuse_set_signal_handlers(fs.se) != 0) {
        cli_fail("cannot install signal handlers");
        goto out;
    }
    handlers = true;
    if (fuse_session_mount(fs.se, o.mnt) != 0) {
        cli_fail("cannot mount on %s (is /dev/fuse there, and fusermount3 installed?)", o.mnt);
        goto out;
    }
    mounted = true;
    if ((rc = cfs_uring_attach(&fs)) < 0) {
        cli_fail("cannot set up the session's I/O: %s", strerror(-rc));
        goto out;
    }
    if (fuse_daemonize(o.foreground) != 0) {
        cli_fail("cannot go to the background");
        goto out;
    }
    if ((rc = cer_node_listen(fs.node, cfs_notify_tip, &fs)) < 0 || (rc = cfs_notify_start(&fs)) < 0) {
        syslog(LOG_ERR, "cannot start the notifier: %s", strerror(-rc));
        goto out;
    }
    /* threads start after the fork of fuse_daemonize; the sync runs in the
     * background and a daemon that is down does not stop the mount */
    if (cfs_net_start(&fs.sync, fs.node, &o.net) != 0) {
        syslog(LOG_ERR, "cannot start the sync with %s", o.net.ipfs);
        goto out;
    }
    fs.query_timeout_ms = o.net.query_timeout_ms;
    /* every new local tip is anchored (the built-in service on an
     * in-memory chain unless told otherwise; --anchor none turns it off) */
    if ((!o.anchor.mode || strcmp(o.anchor.mode, "none") != 0) &&
        (rc = cer_anchorer_start(&fs.anchorer, fs.node, &o.anchor)) < 0) {
        syslog(LOG_ERR, "cannot start anchoring: %s", cer_errmsg());
        goto out;
    }
    /* apps' door to the same node: their commits reach the mount through
     * the node's listeners, as remote tips do */
    ao = (cer_api_opts){.listen = o.api, .sync = fs.sync, .anchorer = fs.anchorer, .log = on_api_log};
    if (o.api && (rc = cer_api_start(&api, fs.node, &ao)) < 0) {
        syslog(LOG_ERR, "cannot serve the HTTP API on %s: %s", o.api, cer_errmsg());
        goto out;
    }
    if (api)
        syslog(LOG_INFO, "serving the HTTP API on port %d", cer_api_port(api));
    syslog(LOG_INFO, "mounted %s (state %s, DID %s)", o.mnt, abs_state, cer_node_did(fs.node));
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=mounted on %s", o.mnt);
    notify(msg);
    if (!(cfg = fuse_loop_cfg_create()))
        goto out;
    fuse_loop_cfg_set_max_threads(cfg, 16);
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    rc = fuse_session_loop_mt(fs.se, cfg);
    /* a signal's number when SIGTERM, SIGINT or SIGHUP ended it: a clean end */
    ret = rc == 0 || abs(rc) == SIGTERM || abs(rc) == SIGINT || abs(rc) == SIGHUP ? 0 : EXIT_BAD;
    syslog(LOG_INFO, "unmounting %s", o.mnt);
    notify("STOPPING=1\nSTATUS=unmounting, committing what is left");
out:
    cfs_uring_stop(fs.uring);  /* no request comes through a ring after this */
    cer_api_stop(api);  /* before the anchorer and sync it borrows */
    cer_anchorer_stop(fs.anchorer);  /* before the notifier: both may still move tips */
    fs.anchorer = NULL;
    cer_sync_close(fs.sync);
    fs.sync = NULL;
    cfs_notify_stop(&fs);
    if (cfg)
        fuse_loop_cfg_destroy(cfg);
    if (mounted)
        fuse_session_unmount(fs.se);
    if (handlers)
        fuse_remove_signal_handlers(fs.se);
    if (fs.se)
        fuse_session_destroy(fs.se);  /* runs destroy: commits what is left */
    cfs_uring_free(fs.uring);  /* the session wrote through it until now */
    fuse_opt_free_args(&args);
    cfs_fini(&fs);
    cer_node_close(fs.node);
    closelog();
    return ret;
}
