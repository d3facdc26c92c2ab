/*
 * config.c — the configuration files of the ceramicfs program (config.h):
 * which files, their "key = value" lines checked against one table of
 * keys, and the options each setting gives each command, inserted before
 * the user's own arguments so that the commands' parsers apply them and
 * the command line wins. Also the `config` command that shows them.
 */
#include "config.h"
#include "cliutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYSTEM_CONFIG "/etc/ceramicfs/config"
/* Larger files and longer lines are refused, not cut. */
#define CONFIG_MAX (64 * 1024)
#define LINE_MAX_LEN 4096

/* The commands settings apply to, one bit each. */
static const char *const cmd_names[] = {"mount", "create", "show",   "update", "log",  "list",
                                        "pin",   "unpin",  "alias",  "verify", "did",  "sync",
                                        "anchor", "sign",  "genesis", "commit", "daemon"};
enum { MOUNT, CREATE, SHOW, UPDATE, LOG, LIST, PIN, UNPIN, ALIAS, VERIFY, DID, SYNC, ANCHOR, SIGN, GENESIS, COMMIT,
       DAEMON };
#define B(c) (1u << (c))
#define NODE_CMDS                                                                                     \
    (B(MOUNT) | B(CREATE) | B(SHOW) | B(UPDATE) | B(LOG) | B(LIST) | B(PIN) | B(UNPIN) | B(ALIAS) |   \
     B(VERIFY) | B(DID) | B(SYNC) | B(ANCHOR) | B(DAEMON))

enum { ARG, FLAG, OFLAG };  /* --opt VALUE; --opt when true; -o name when true */

/* Every key a file may set: its name (with '-'), what it becomes on the
 * command line, the commands that take it, and how its value is checked. */
static const struct key {
    const char *name;
    const char *opt;        /* ARG, FLAG: the long option; OFLAG: the -o name */
    int kind;
    unsigned cmds;
    const char *choices;    /* "a|b|c", or NULL */
    double max;             /* > 0: a number from 0 to max */
    bool integer;
} keys[] = {
    {"state", "--state", ARG, NODE_CMDS, NULL, 0, false},
    {"key", "--key", ARG, NODE_CMDS | B(SIGN) | B(GENESIS) | B(COMMIT), NULL, 0, false},
    {"ipfs", "--ipfs", ARG, B(MOUNT) | B(DAEMON) | B(SHOW) | B(SYNC), NULL, 0, false},
    {"network", "--network", ARG, B(MOUNT) | B(DAEMON) | B(SHOW) | B(SYNC),
     "inmemory|local|dev-unstable|testnet-clay|mainnet", 0, false},
    {"pubsub-topic", "--pubsub-topic", ARG, B(MOUNT) | B(DAEMON) | B(SHOW) | B(SYNC), NULL, 0, false},
    {"query-timeout", "--query-timeout", ARG, B(MOUNT) | B(DAEMON) | B(SHOW) | B(SYNC), NULL, 3600 * 1000, true},
    {"query-quiet", "--query-quiet", ARG, B(MOUNT) | B(DAEMON) | B(SHOW) | B(SYNC), NULL, 3600 * 1000, true},
    {"anchor", "--anchor", ARG, B(MOUNT) | B(DAEMON), "local|none", 0, false},
    {"anchor-service", "--anchor-service", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), NULL, 0, false},
    {"chain", "--chain", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), "inmemory|eth", 0, false},
    {"eth-rpc", "--eth-rpc", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), NULL, 0, false},
    {"eth-from", "--eth-from", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), NULL, 0, false},
    {"eth-raw", "--eth-raw", FLAG, B(MOUNT) | B(DAEMON) | B(ANCHOR), NULL, 0, false},
    {"anchor-interval", "--anchor-interval", ARG, B(MOUNT) | B(DAEMON), NULL, 86400, false},
    {"anchor-timeout", "--anchor-timeout", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), NULL, 86400, false},
    {"anchor-auth", "--anchor-auth", ARG, B(MOUNT) | B(DAEMON) | B(ANCHOR), "did|none", 0, false},
    {"api", "--api", ARG, B(MOUNT) | B(DAEMON), NULL, 0, false},
    {"ro", "ro", OFLAG, B(MOUNT), NULL, 0, false},
    {"allow-other", "allow_other", OFLAG, B(MOUNT), NULL, 0, false},
    {"auto-unmount", "auto_unmount", OFLAG, B(MOUNT), NULL, 0, false},
    {"nosync", "nosync", OFLAG, B(MOUNT), NULL, 0, false},
    {"no-open", "no_open", OFLAG, B(MOUNT), NULL, 0, false},
    {"open", "open", OFLAG, B(MOUNT), NULL, 0, false},
    {"no-uring", "no_uring", OFLAG, B(MOUNT), NULL, 0, false},
    {"uring", "uring", OFLAG, B(MOUNT), NULL, 0, false},
    {"debug", "debug", OFLAG, B(MOUNT), NULL, 0, false},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* What the files set: per key, the value (owned; flags "1" or "0") and
 * where, "FILE:LINE" (owned). */
static struct {
    char *value[NKEYS];
    char *where[NKEYS];
    char *files[2];         /* the files looked at (owned) */
    bool present[2];
    size_t nfiles;
    char **argv;            /* the rewritten argv (owned array) */
    char **pool;            /* strings made for it (owned) */
    size_t npool;
} cfg;

void cfs_config_free(void)
{
    for (size_t i = 0; i < NKEYS; i++) {
        free(cfg.value[i]);
        free(cfg.where[i]);
    }
    for (size_t i = 0; i < cfg.nfiles; i++)
        free(cfg.files[i]);
    for (size_t i = 0; i < cfg.npool; i++)
        free(cfg.pool[i]);
    free(cfg.pool);
    free(cfg.argv);
    memset(&cfg, 0, sizeof cfg);
}

static int bad(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An error in file at line: printed, and the usage exit status. */
static int bad(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ceramicfs: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see CONFIGURATION in ceramicfs(1))\n");
    return EXIT_USAGE;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static bool in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);

    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p += len + (bar != NULL);
    }
    return false;
}

/* Check v for key k; its stored form in *out (malloc'd). */
static int check_value(const struct key *k, const char *v, char **out, const char *file, int line)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};

    if (k->kind != ARG) {
        for (size_t i = 0; i < 4; i++)
            if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
                *out = strdup(strcmp(v, yes[i]) == 0 ? "1" : "0");
                return *out ? 0 : cli_fail("out of memory");
            }
        return bad(file, line, "%s: '%s' is not true or false", k->name, v);
    }
    if (!v[0])
        return bad(file, line, "%s: no value", k->name);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return bad(file, line, "%s: a control character in the value", k->name);
    if (k->choices && !in_choices(k->choices, v))
        return bad(file, line, "%s: '%s' is not one of %s", k->name, v, k->choices);
    if (k->max > 0) {
        char *end;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 0 && d <= k->max) || (k->integer && strspn(v, "0123456789") != strlen(v)))
            return bad(file, line, "%s: '%s' is not a %s from 0 to %.0f", k->name, v,
                       k->integer ? "whole number" : "number", k->max);
    }
    *out = strdup(v);
    return *out ? 0 : cli_fail("out of memory");
}

/* One line of file: empty, a comment, or key = value. */
static int parse_line(char *s, const char *file, int line)
{
    char *eq, *key, *val, *v, *where;
    size_t i;

    s = trim(s);
    if (!s[0] || s[0] == '#')
        return 0;
    if (!(eq = strchr(s, '=')))
        return bad(file, line, "'%s': expected key = value", s);
    *eq = '\0';
    key = trim(s);
    val = trim(eq + 1);
    for (char *p = key; *p; p++)
        if (*p == '_')
            *p = '-';
    for (i = 0; i < NKEYS && strcmp(keys[i].name, key) != 0; i++)
        ;
    if (i == NKEYS)
        return bad(file, line, "unknown key '%s'", key);
    if (check_value(&keys[i], val, &v, file, line))
        return EXIT_USAGE;
    if (!(where = malloc(strlen(file) + 16))) {
        free(v);
        return cli_fail("out of memory");
    }
    sprintf(where, "%s:%d", file, line);
    free(cfg.value[i]);
    free(cfg.where[i]);
    cfg.value[i] = v;
    cfg.where[i] = where;
    return 0;
}

/* Read one file; a missing one is an error only when required. */
static int read_file(const char *path, bool required)
{
    FILE *f;
    char buf[LINE_MAX_LEN + 2];
    size_t total = 0;
    int line = 0, rc = 0;

    if (cfg.nfiles == 2 || !(cfg.files[cfg.nfiles] = strdup(path)))
        return cli_fail("out of memory");
    cfg.nfiles++;
    if (!(f = fopen(path, "r"))) {
        if (errno == ENOENT && !required)
            return 0;
        fprintf(stderr, "ceramicfs: configuration file %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    cfg.present[cfg.nfiles - 1] = true;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        line++;
        total += n;
        if (total > CONFIG_MAX)
            rc = bad(path, line, "the file is over %d bytes", CONFIG_MAX);
        else if (n == sizeof buf - 1 && buf[n - 1] != '\n')
            rc = bad(path, line, "a line longer than %d bytes", LINE_MAX_LEN);
        else if (strlen(buf) != n || memchr(buf, '\0', n))
            rc = bad(path, line, "a NUL byte");
        else {
            if (n && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
            rc = parse_line(buf, path, line);
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "ceramicfs: configuration file %s: read error\n", path);
        rc = EXIT_USAGE;
    }
    fclose(f);
    return rc;
}

static int read_files(const char *explicit_file)
{
    const char *env = getenv("CERAMICFS_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char path[4096];
    int rc, n;

    if (explicit_file)
        return read_file(explicit_file, true);
    if (env && env[0])
        return read_file(env, true);
    if ((rc = read_file(SYSTEM_CONFIG, false)) != 0)
        return rc;
    if (xdg && xdg[0])
        n = snprintf(path, sizeof path, "%s/ceramicfs/config", xdg);
    else if (home && home[0])
        n = snprintf(path, sizeof path, "%s/.config/ceramicfs/config", home);
    else
        return 0;
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "ceramicfs: the path of the user's configuration file is too long\n");
        return EXIT_USAGE;
    }
    return read_file(path, false);
}

/* The options the settings give command ci, into out (room for
 * 2 * NKEYS); skip_key when the command line names a --seed-hex. */
static int options_for(int ci, bool skip_key, char **out)
{
    int n = 0;

    for (size_t i = 0; i < NKEYS; i++) {
        if (!cfg.value[i] || !(keys[i].cmds & B(ci)) || (skip_key && strcmp(keys[i].name, "key") == 0))
            continue;
        if (keys[i].kind == ARG) {
            out[n++] = (char *)keys[i].opt;
            out[n++] = cfg.value[i];
        } else if (strcmp(cfg.value[i], "1") == 0) {
            if (keys[i].kind == OFLAG)
                out[n++] = "-o";
            out[n++] = (char *)keys[i].opt;
        }
    }
    return n;
}

/* Keep s (malloc'd) until cfs_config_free; NULL when out of memory. */
static char *keep(char *s)
{
    char **p;

    if (!s || !(p = realloc(cfg.pool, (cfg.npool + 1) * sizeof *p))) {
        free(s);
        return NULL;
    }
    cfg.pool = p;
    return cfg.pool[cfg.npool++] = s;
}

/* A mount's -o list with config=FILE and no_config taken out (*file and
 * *none set): the list itself when neither is in it, NULL when nothing
 * else is. */
static char *take_o(char *list, const char **file, bool *none, int *err)
{
    char *copy, *out;
    size_t n = 0;

    *err = 0;
    if (!strstr(list, "config"))
        return list;
    if (!(copy = keep(strdup(list))) || !(out = keep(calloc(1, strlen(list) + 1)))) {
        *err = cli_fail("out of memory");
        return NULL;
    }
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strncmp(t, "config=", 7) == 0 && t[7])
            *file = t + 7;
        else if (strcmp(t, "no_config") == 0)
            *none = true;
        else
            n += (size_t)sprintf(out + n, "%s%s", n ? "," : "", t);
    }
    return n ? out : NULL;
}

int cfs_config_apply(const char *cmd, int *argc, char ***argv)
{
    char **in = *argv, **out;
    const char *file = NULL;
    bool none = false, seed_hex = false;
    int ci = -1, n = 1, nins, rc;

    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (strcmp(cmd, cmd_names[i]) == 0)
            ci = (int)i;
    /* each user argument may become two (-oLIST: -o LIST), each key two */
    if (!(out = calloc(2 * (size_t)*argc + 2 * NKEYS + 1, sizeof *out)))
        return cli_fail("out of memory");
    cfg.argv = out;
    /* the user's arguments, without the configuration's own options;
     * they are copied after the inserted ones below */
    for (int i = 1; i < *argc; i++) {
        char *a = in[i];
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                out[n++] = in[i++];
            break;
        }
        if (strcmp(a, "--no-config") == 0) {
            none = true;
        } else if (strncmp(a, "--config=", 9) == 0 && a[9]) {
            file = a + 9;
        } else if (strcmp(a, "--config") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "ceramicfs: --config needs a FILE\n");
                return EXIT_USAGE;
            }
            file = in[++i];
        } else if (ci == MOUNT && strncmp(a, "-o", 2) == 0 && (a[2] || i + 1 < *argc)) {
            char *list = take_o(a[2] ? a + 2 : in[++i], &file, &none, &rc);
            if (rc)
                return rc;
            if (list) {
                out[n++] = "-o";
                out[n++] = list;
            }
        } else {
            if (strcmp(a, "--seed-hex") == 0 || strncmp(a, "--seed-hex=", 11) == 0)
                seed_hex = true;
            out[n++] = a;
        }
    }
    if (!none && (rc = read_files(file)) != 0)
        return rc;
    nins = ci < 0 ? 0 : options_for(ci, seed_hex, out + n);
    /* move the inserted options before the user's arguments */
    if (nins) {
        char *tmp[2 * NKEYS];
        memcpy(tmp, out + n, (size_t)nins * sizeof *out);
        memmove(out + 1 + nins, out + 1, (size_t)(n - 1) * sizeof *out);
        memcpy(out + 1, tmp, (size_t)nins * sizeof *out);
    }
    out[0] = in[0];
    n += nins;
    out[n] = NULL;
    *argc = n;
    *argv = out;
    return 0;
}

int cfs_cmd_config(int argc, char **argv)
{
    static const char use[] = "config [--config FILE | --no-config] [COMMAND]\n"
                              "  prints the settings of the configuration files and where each comes from,\n"
                              "  or the options they add to COMMAND's command line (one argument a line)";
    char *opts[2 * NKEYS];
    int ci = -1, n;

    cli_set_command("config");
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: ceramicfs %s\n", use);
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return cli_usage(use);
    if (argc == 1) {
        for (size_t i = 0; i < cfg.nfiles; i++)
            printf("# %s%s\n", cfg.files[i], cfg.present[i] ? "" : " (not present)");
        for (size_t i = 0; i < NKEYS; i++)
            if (cfg.value[i])
                printf("%s = %s\t# %s\n", keys[i].name,
                       keys[i].kind == ARG ? cfg.value[i] : strcmp(cfg.value[i], "1") == 0 ? "true" : "false",
                       cfg.where[i]);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (strcmp(argv[1], cmd_names[i]) == 0)
            ci = (int)i;
    if (ci < 0) {
        /* the other commands take no setting */
        if (strcmp(argv[1], "dag") == 0 || strcmp(argv[1], "streamid") == 0 || strcmp(argv[1], "config") == 0)
            return 0;
        return cli_fail("unknown command '%s'", argv[1]);
    }
    n = options_for(ci, false, opts);
    for (int i = 0; i < n; i++)
        puts(opts[i]);
    return 0;
}
