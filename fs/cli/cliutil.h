/*
 * cliutil.h — helpers shared by the ceramicfs commands (cli.c, node.c's
 * commands in clinode.c): one-line errors, bounded input, strict JSON
 * arguments, JSON output, the signing key and the state directory.
 *
 * Exit codes every command keeps: 0 success; 1 failure (bad input, a
 * rejected commit, an I/O error), with one line "ceramicfs <cmd>: <reason>"
 * on stderr; 2 usage error; 3 no such stream; 4 verification failed.
 */
#ifndef CFS_CLIUTIL_H
#define CFS_CLIUTIL_H

#include "ceramic.h"

enum { EXIT_BAD = 1, EXIT_USAGE = 2, EXIT_NOTFOUND = 3, EXIT_UNVERIFIED = 4 };

/* Largest stdin or file input accepted. */
#define INPUT_MAX (16 * 1024 * 1024)

/* The command name used in error lines. */
void cli_set_command(const char *name);
/* Print "ceramicfs <cmd>: <message>" and return EXIT_BAD. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a libceramic error rc: its message (cer_errmsg) after what. */
int cli_fail_rc(int rc, const char *what);
/* Print "usage: ceramicfs <text>" and return EXIT_USAGE; on stdout after
 * cli_set_help(true) (COMMAND --help, which then exits 0). */
int cli_usage(const char *text);
void cli_set_help(bool on);
/* A number of seconds, 0..max, of option what; EXIT_BAD after printing
 * why when arg is not one. */
int cli_seconds(double *out, const char *arg, const char *what, double max);
/* Read all of path ("-" = stdin) into out, at most INPUT_MAX bytes;
 * non-zero (after printing why) on failure. */
int cli_read_input(cer_buf *out, const char *path);
/* Strict JSON (cer_json_parse flags); NULL after printing why. */
cJSON *cli_parse_json(const char *text, size_t len, unsigned flags, const char *what);
/* A JSON option value: literal JSON, or @FILE (@- for stdin). */
cJSON *cli_json_arg(const char *text, const char *what);
/* The state directory: opt, $XDG_DATA_HOME/ceramicfs or
 * ~/.local/share/ceramicfs. */
int cli_state_dir(char *out, size_t cap, const char *opt);
/* 0 when dir holds a node (dir/streams), else the exit status after
 * "no node in DIR; create one with ...": commands that only read never
 * make one (a mistyped --state would give an empty node and a new key). */
int cli_node_exists(const char *dir);
/* How cli_open_node opens the node of --state (NULL: the default) with
 * the key of --key FILE (NULL: the node's) on network (NULL: the one the
 * state directory keeps, else inmemory). */
#define CLI_NODE_EXISTING 0x1  /* refuse a directory without a node; open one we
                                * cannot write read-only (changes fail: EROFS) */
#define CLI_NODE_RDONLY 0x3    /* EXISTING, read only: nothing written (CER_STORE_RDONLY) */
/* 0, or the exit status after printing why. */
int cli_open_node(cer_node **node, const char *state, const char *key_file, const char *network, unsigned how);
/* The same for a node set up in opts (its key from key_file, NULL: the
 * node's; the key is wiped from memory whatever happens). */
int cli_open_node_opts(cer_node **node, cer_node_opts *opts, const char *key_file);
/* The signing key from --seed-hex (a secret of --key-type key_type,
 * ed25519 when NULL), --key FILE, or (create) the state directory's key
 * file, made on first use of key_type. A key_type the key found does not
 * have is an error. */
int cli_get_key(cer_key *key, const char *seed_hex, const char *key_type, const char *key_file, const char *state,
                bool create);
/* Print j as JSON (pretty, or with flags) and free it. */
int cli_print_json(cJSON *j);
int cli_print_json_flags(cJSON *j, unsigned flags);
bool cli_add_cid(cJSON *o, const char *key, const cer_cid *cid);
bool cli_add_ref(cJSON *o, const char *key, const cer_streamref *ref);

#endif
