/*
 * main.c — the ceramicfs program: dispatches to the mount and to the
 * node and plumbing commands.
 */
#include "ceramic.h"
#include "cli.h"
#include "clisync.h"
#include "clianchor.h"
#include "cliutil.h"
#include "config.h"
#include "clicas.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"mount", cfs_cmd_mount, "mount documents as a directory tree (ceramicfs MOUNTPOINT for short)"},
    {"create", cfs_cmd_create, "create a document (TileDocument, Model or ModelInstanceDocument) on this node"},
    {"show", cfs_cmd_show, "print a document's content (or its state, --meta)"},
    {"update", cfs_cmd_update, "replace a document's content: one signed commit"},
    {"log", cfs_cmd_log, "print a document's commits, oldest first (JSON Lines)"},
    {"list", cfs_cmd_list, "list the documents this node keeps (JSON Lines)"},
    {"pin", cfs_cmd_pin, "keep a document"},
    {"unpin", cfs_cmd_unpin, "stop keeping a document (it stays reachable by StreamID)"},
    {"alias", cfs_cmd_alias, "name a document locally (or --clear the name)"},
    {"verify", cfs_cmd_verify, "re-check documents' logs and blocks, or a DAG-JOSE file"},
    {"export", cfs_cmd_export, "write a document's commits and proofs as a CAR file"},
    {"import", cfs_cmd_import, "load documents from a CAR file, verified"},
    {"did", cfs_cmd_did, "print this node's did:key (creates the key on first use)"},
    {"account", cfs_cmd_account, "write as the node's did:key or an Ethereum account (did:pkh, --eth-key)"},
    {"link", cfs_cmd_link, "link an Ethereum account to a DID (a Caip10Link), or --clear the link"},
    {"dag", cfs_cmd_dag, "encode dag-json to a DAG-CBOR block, or decode a block"},
    {"streamid", cfs_cmd_streamid, "make or parse a StreamID / CommitID"},
    {"sign", cfs_cmd_sign, "sign a dag-json payload as a DAG-JOSE block"},
    {"genesis", cfs_cmd_genesis, "build a TileDocument genesis commit"},
    {"commit", cfs_cmd_commit, "build a signed TileDocument update commit"},
    {"daemon", cfs_cmd_daemon, "serve js-ceramic's HTTP API for apps (--api HOST:PORT), without a mount"},
    {"sync", cfs_cmd_sync, "run this node's pubsub sync over an IPFS daemon (--ipfs URL)"},
    {"anchor", cfs_cmd_anchor, "anchor documents' tips now (built-in service or CAS), or --verify"},
    {"config", cfs_cmd_config, "print the configuration files' settings, or what they add to a command"},
    {"cas", cfs_cmd_cas, "serve the Ceramic Anchor Service API (cas serve): anchor a network's documents"},
};

static int usage(FILE *f)
{
    fprintf(f, "ceramicfs %s — Ceramic documents as files\n\nusage: ceramicfs COMMAND [ARGS]\n\n",
            CER_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nRun 'ceramicfs COMMAND --help' for a command's options, 'man ceramicfs' for more.\n"
               "Exit status: 0 ok, 1 failed, 2 usage, 3 no such document, 4 verification failed.\n");
    return f == stdout ? 0 : 2;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Run a command: COMMAND --help (or COMMAND SUBCOMMAND --help) prints its
 * usage on stdout (every command stops at the unknown option with its
 * usage) and exits 0; otherwise the configuration files' options go in
 * before the user's (config.h). */
static int run(const char *name, int (*fn)(int, char **), int argc, char **argv)
{
    int rc;

    if ((argc == 2 && is_help(argv[1])) || (argc == 3 && argv[1][0] != '-' && is_help(argv[2]))) {
        cli_set_help(true);
        opterr = 0;
        rc = fn(argc, argv);
        return rc == EXIT_USAGE ? 0 : rc;
    }
    if ((rc = cfs_config_apply(name, &argc, &argv)) == 0)
        rc = fn(argc, argv);
    cfs_config_free();
    return rc;
}

/* A mount point: a directory, or the mount of a daemon that died (ENOTCONN:
 * the mount command says what to do about it). */
static bool mount_point(const char *path)
{
    struct stat sb;

    return path[0] != '-' && (stat(path, &sb) == 0 ? S_ISDIR(sb.st_mode) : errno == ENOTCONN);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (is_help(argv[1]) || strcmp(argv[1], "help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ceramicfs %s\n", CER_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return run(commands[i].name, commands[i].fn, argc - 1, argv + 1);
    /* as mount(8) runs it for an fstab line of type fuse.ceramicfs (through
     * mount.fuse3): ceramicfs SOURCE MOUNTPOINT -o OPTS. SOURCE is only a
     * label (ceramicfs); MOUNTPOINT may be /dev/fd/N (drop_privileges). */
    if (argc >= 3 && argv[1][0] != '-' && (mount_point(argv[2]) || strncmp(argv[2], "/dev/fd/", 8) == 0)) {
        argv[1] = "mount";
        return run("mount", cfs_cmd_mount, argc - 1, argv + 1);
    }
    /* the short form: ceramicfs MOUNTPOINT [options] */
    if (mount_point(argv[1])) {
        argv[0] = "mount";
        return run("mount", cfs_cmd_mount, argc, argv);
    }
    fprintf(stderr, "ceramicfs: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
