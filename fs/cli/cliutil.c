/*
 * cliutil.c — what every ceramicfs command shares: one-line errors on
 * stderr with the exit codes of cliutil.h, bounded input from files and
 * stdin, strict JSON arguments, JSON output, the key and state directory,
 * the progress line of long loads.
 */
#include "cliutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest stdin or file input accepted. */
#define INPUT_MAX (16 * 1024 * 1024)


static const char *cmd_name = "ceramicfs";
static bool help_asked;

void cli_set_command(const char *name)
{
    cmd_name = name;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ceramicfs %s: ", cmd_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_BAD;
}

int cli_seconds(double *out, const char *arg, const char *what, double max)
{
    char *end;

    errno = 0;
    *out = strtod(arg, &end);
    if (errno || end == arg || *end || !(*out >= 0) || *out > max)
        return cli_fail("%s: '%s' is not a number of seconds (0..%g)", what, arg, max);
    return 0;
}

/* Report a libceramic failure: its message, or the errno text. */
int cli_fail_rc(int rc, const char *what)
{
    const char *msg = cer_errmsg();

    return cli_fail("%s: %s", what, msg[0] ? msg : strerror(-rc));
}

void cli_set_help(bool on)
{
    help_asked = on;
}

int cli_usage(const char *text)
{
    fprintf(help_asked ? stdout : stderr, "usage: ceramicfs %s\n", text);
    return EXIT_USAGE;
}

/* ---- input helpers ---- */

/* Read all of path ("-" = stdin) into a NUL-terminated buffer. */
int cli_read_input(cer_buf *out, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (!f)
        return cli_fail("%s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > INPUT_MAX) {
            if (f != stdin)
                fclose(f);
            return cli_fail("%s: input larger than %d bytes", path, INPUT_MAX);
        }
        if (cer_buf_append(out, chunk, n) < 0) {
            if (f != stdin)
                fclose(f);
            return cli_fail("%s: out of memory", path);
        }
    }
    if (ferror(f)) {
        if (f != stdin)
            fclose(f);
        return cli_fail("%s: read error", path);
    }
    if (f != stdin)
        fclose(f);
    if (!out->data && cer_buf_append(out, "", 0) < 0)
        return cli_fail("out of memory");
    return 0;
}

/* Parse JSON text strictly (one value, nothing after it but whitespace);
 * flags as cer_json_parse. */
cJSON *cli_parse_json(const char *text, size_t len, unsigned flags, const char *what)
{
    cJSON *j = NULL;
    int rc = cer_json_parse(&j, text, len, flags);

    if (rc < 0) {
        cli_fail_rc(rc, what);
        return NULL;
    }
    return j;
}

static int parse_seed(uint8_t seed[32], const char *hex)
{
    if (strlen(hex) != 64)
        return cli_fail("--seed-hex: need 64 hex digits (32 bytes), got %zu characters", strlen(hex));
    if (cer_base_decode(seed, 32, CER_BASE16, hex, 64) != 32)
        return cli_fail("--seed-hex: %s", cer_errmsg());
    return 0;
}


/* The state directory: --state, $XDG_DATA_HOME/ceramicfs or
 * ~/.local/share/ceramicfs. */
int cli_state_dir(char *out, size_t cap, const char *opt)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;

    if (opt)
        n = snprintf(out, cap, "%s", opt);
    else if (xdg && xdg[0])
        n = snprintf(out, cap, "%s/ceramicfs", xdg);
    else if (home && home[0])
        n = snprintf(out, cap, "%s/.local/share/ceramicfs", home);
    else
        return cli_fail("no state directory: set --state, XDG_DATA_HOME or HOME");
    if (n < 0 || (size_t)n >= cap)
        return cli_fail("state directory path too long");
    return 0;
}

int cli_node_exists(const char *dir)
{
    char streams[4200];
    struct stat sb;
    int err;

    snprintf(streams, sizeof streams, "%s/streams", dir);
    err = stat(streams, &sb) < 0 ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
    if (err == 0)
        return 0;
    if (err != ENOENT && err != ENOTDIR)
        return cli_fail("%s: %s", streams, strerror(err));
    return cli_fail("no node in %s; create one with 'ceramicfs create --state %s' (its first document) or "
                    "'ceramicfs mount MOUNTPOINT --state %s'",
                    dir, dir, dir);
}

/* A state load's progress on a terminal (stderr): one line updated in
 * place, cleared when the load ends. The StreamID is cut so that the line
 * fits 80 columns. */
static void progress_line(void *arg, const cer_load_progress *p)
{
    char sid[CER_STREAMID_STR_MAX], verified[64] = "";

    (void)arg;
    if (p->done) {
        fputs("\r\033[K", stderr);
        return;
    }
    cer_streamref_to_string(sid, sizeof sid, &p->id);
    if (p->total)
        snprintf(verified, sizeof verified, ", %zu of %zu verified", p->verified, p->total);
    fprintf(stderr, "\r%.16s...: %zu commits fetched%s, %.0f/s\033[K", sid, p->fetched, verified, p->rate);
}

int cli_open_node(cer_node **node, const char *state, const char *key_file, const char *network, unsigned how)
{
    char dir[4096];
    cer_node_opts opts = {0};
    int rc;

    *node = NULL;
    if (cli_state_dir(dir, sizeof dir, state))
        return EXIT_BAD;
    if ((how & CLI_NODE_EXISTING) && (rc = cli_node_exists(dir)))
        return rc;
    opts.state_dir = dir;
    opts.network = network;
    /* a node we cannot write (a backup, a read-only file system) can
     * still be read */
    if ((how & CLI_NODE_RDONLY) == CLI_NODE_RDONLY || ((how & CLI_NODE_EXISTING) && access(dir, W_OK) < 0))
        opts.store_flags = CER_STORE_RDONLY;
    if ((rc = cli_open_node_opts(node, &opts, key_file)) != 0)
        return rc;
    /* every load, however short (its line is cleared at once): on a
     * terminal only, so that scripts see no change */
    if (isatty(STDERR_FILENO))
        cer_node_on_load(*node, 0, progress_line, NULL);
    return 0;
}

int cli_open_node_opts(cer_node **node, cer_node_opts *opts, const char *key_file)
{
    cer_key key;
    int rc;

    *node = NULL;
    if (key_file) {
        if ((rc = cer_key_load_file(&key, key_file)) < 0)
            return cli_fail_rc(rc, key_file);
        opts->key = &key;
    }
    rc = cer_node_open(node, opts);
    if (key_file) {
        cer_key_wipe(&key);  /* the node keeps its own copy */
        opts->key = NULL;
    }
    return rc < 0 ? cli_fail_rc(rc, "cannot open the node") : 0;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];

    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Load the signing key from --seed-hex, --key FILE, or (when create is set)
 * the state directory's key file, creating it on first use. */
int cli_get_key(cer_key *key, const char *seed_hex, const char *key_type, const char *key_file, const char *state,
                bool create)
{
    cer_keytype type = CER_KEY_ED25519;
    uint8_t seed[32];
    char dir[4096], path[4200];
    int rc;

    if (seed_hex && key_file)
        return cli_fail("give --seed-hex or --key, not both");
    if (key_type && (rc = cer_keytype_parse(&type, key_type)) < 0)
        return cli_fail_rc(rc, "--key-type");
    if (seed_hex) {
        if (parse_seed(seed, seed_hex))
            return EXIT_BAD;
        rc = cer_key_from_secret(key, type, seed);
        return rc < 0 ? cli_fail_rc(rc, "--seed-hex") : 0;
    }
    if (!key_file && create) {
        if (cli_state_dir(dir, sizeof dir, state))
            return EXIT_BAD;
        snprintf(path, sizeof path, "%s/key", dir);
        if (access(path, F_OK) != 0) {
            if ((rc = mkdir_p(dir)) < 0)
                return cli_fail("%s: %s", dir, strerror(-rc));
            if ((rc = cer_key_generate_type(key, type)) < 0 || (rc = cer_key_save_file(key, path)) < 0)
                return cli_fail_rc(rc, path);
            fprintf(stderr, "ceramicfs: created a new %s key in %s\n", cer_keytype_name(type), path);
            return 0;
        }
        key_file = path;
    }
    if (!key_file)
        return cli_fail("a signing key is needed: --seed-hex HEX or --key FILE");
    if ((rc = cer_key_load_file(key, key_file)) < 0)
        return cli_fail_rc(rc, key_file);
    if (key_type && key->type != type) {
        rc = cli_fail("%s holds a %s key, not %s", key_file, cer_keytype_name(key->type), key_type);
        cer_key_wipe(key);
        return rc;
    }
    return 0;
}

/* ---- output helpers ---- */



/* Print j (pretty) and free it. */
int cli_print_json(cJSON *j)
{
    return cli_print_json_flags(j, CER_JSON_PRETTY);
}

int cli_print_json_flags(cJSON *j, unsigned flags)
{
    char *s = NULL;
    int rc = j ? cer_json_print(&s, j, flags) : -ENOMEM;

    if (rc < 0) {
        cJSON_Delete(j);
        return cli_fail_rc(rc, "output");
    }
    puts(s);
    free(s);
    cJSON_Delete(j);
    return fflush(stdout) == 0 ? 0 : cli_fail("stdout: %s", strerror(errno));
}

bool cli_add_cid(cJSON *o, const char *key, const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];

    return cer_cid_to_string(s, sizeof s, cid) >= 0 && cJSON_AddStringToObject(o, key, s);
}

bool cli_add_ref(cJSON *o, const char *key, const cer_streamref *ref)
{
    char s[CER_STREAMID_STR_MAX];

    return cer_streamref_to_string(s, sizeof s, ref) >= 0 && cJSON_AddStringToObject(o, key, s);
}

/* A JSON option value: literal JSON, or @FILE to read it from a file
 * (@- for stdin), for documents too large for a command line. */
cJSON *cli_json_arg(const char *text, const char *what)
{
    cer_buf b = CER_BUF_INIT;
    cJSON *j;

    if (text[0] != '@')
        return cli_parse_json(text, strlen(text), 0, what);
    if (cli_read_input(&b, text + 1))
        return NULL;
    j = cli_parse_json((const char *)b.data, b.len, 0, what);
    cer_buf_free(&b);
    return j;
}
