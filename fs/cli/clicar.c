/*
 * clicar.c — the commands that move streams in and out of a node as CAR
 * files (the format of `ipfs dag export`/`import`): export and import.
 * Exit codes of cliutil.h.
 */
#include "cli.h"
#include "cliutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Options of both: --state, --key, and export's -o. */
static int car_getopt(int argc, char **argv, const char **state, const char **key, const char **output,
                      const char *use)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 'S'},
                                         {"key", required_argument, NULL, 'K'},
                                         {"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, output ? "o:" : "", opts, NULL)) != -1) {
        if (c == 'S')
            *state = optarg;
        else if (c == 'K')
            *key = optarg;
        else if (c == 'o' && output)
            *output = optarg;
        else
            return cli_usage(use);
    }
    return argc - optind == 1 ? 0 : cli_usage(use);
}

/* Write car to f and close it (unless stdout): 0 or the exit status. */
static int write_file(FILE *f, const char *name, const cer_buf *car)
{
    bool ok = fwrite(car->data, 1, car->len, f) == car->len;

    ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
    return ok ? 0 : cli_fail("%s: %s", name, strerror(errno ? errno : EIO));
}

int cfs_cmd_export(int argc, char **argv)
{
    static const char use[] = "export STREAM|ALIAS [-o|--output FILE] [--state DIR] [--key FILE]   (a CAR file; stdout by default)";
    const char *state = NULL, *key = NULL, *output = NULL;
    cer_node *node = NULL;
    cer_buf car = CER_BUF_INIT;
    cer_streamref id;
    FILE *f = NULL;
    int rc;

    cli_set_command("export");
    if ((rc = car_getopt(argc, argv, &state, &key, &output, use)) ||
        (rc = cli_open_node(&node, state, key, NULL, CLI_NODE_RDONLY)))
        return rc;
    if ((rc = cer_node_resolve(node, &id, argv[optind])) < 0 || (rc = cer_node_export_car(node, &id, &car)) < 0) {
        cli_fail_rc(rc, argv[optind]);
        rc = rc == -ENOENT ? EXIT_NOTFOUND : EXIT_BAD;
        goto out;
    }
    if (!output || strcmp(output, "-") == 0)
        rc = isatty(STDOUT_FILENO) ? cli_fail("a CAR file is binary: not written to a terminal (use -o FILE)")
                                   : write_file(stdout, "stdout", &car);
    else if (!(f = fopen(output, "wb")))
        rc = cli_fail("%s: %s", output, strerror(errno));
    else if ((rc = write_file(f, output, &car)))
        unlink(output);  /* no half CAR left behind */
out:
    cer_buf_free(&car);
    cer_node_close(node);
    return rc;
}

/* One line per root: {"streamId", "tip"} and, for a rejected commit,
 * "rejected" with the reason (also on stderr). */
static void import_result(void *arg, const cer_car_result *r)
{
    char root[CER_CID_STR_MAX];
    cJSON *o = cJSON_CreateObject();

    (void)arg;
    cer_cid_to_string(root, sizeof root, &r->root);
    if (r->err)
        cli_fail("%s: %s", root, r->why);
    if (o && (!r->loaded || (cli_add_ref(o, "streamId", &r->id) && cli_add_cid(o, "tip", &r->tip))) &&
        cli_add_cid(o, "root", &r->root) && (!r->err || cJSON_AddStringToObject(o, "rejected", r->why)))
        cli_print_json_flags(o, 0);
    else
        cJSON_Delete(o);
}

int cfs_cmd_import(int argc, char **argv)
{
    static const char use[] = "import FILE|- [--state DIR] [--key FILE]   (a CAR file: its roots' streams)";
    const char *state = NULL, *key = NULL;
    cer_node *node = NULL;
    cer_buf in = CER_BUF_INIT;
    cer_car check;
    int rc;

    cli_set_command("import");
    if ((rc = car_getopt(argc, argv, &state, &key, NULL, use)) || (rc = cli_read_input(&in, argv[optind])))
        goto out;
    /* a malformed file is refused before the node is even opened */
    if ((rc = cer_car_read(&check, in.data, in.len)) < 0) {
        rc = cli_fail_rc(rc, argv[optind]);
        goto out;
    }
    cer_car_free(&check);
    if ((rc = cli_open_node(&node, state, key, NULL, 0)))
        goto out;
    if ((rc = cer_node_import_car(node, in.data, in.len, import_result, NULL)) < 0)
        rc = cli_fail_rc(rc, argv[optind]);
    else
        rc = rc ? EXIT_BAD : 0;
out:
    cer_node_close(node);
    cer_buf_free(&in);
    return rc;
}
