/*
 * bench_browse.c — builds the node tests/bench/bench_browse.sh browses:
 * N TileDocuments made through the library in one process (no fsync),
 * aliased d0 .. d<N-1>, and the same tree's content.json files (the bytes
 * the mount shows: the content pretty-printed, a newline) under a second
 * directory, the tmpfs the mount is compared with.
 *
 *   usage: bench_browse STATE_DIR TREE_DIR N
 *
 * Not run by the bench-run loop on its own (it takes arguments).
 */
#include "bench.h"

#include <errno.h>
#include <sys/stat.h>

/* A few sentences, so that grep has text to read, and the word it looks
 * for ("zymurgy") in one document in ten. */
static cJSON *content_of(long i)
{
    char text[512];

    snprintf(text, sizeof text,
             "Document %ld of the browse benchmark. It holds a title, a number and this text, "
             "about the size of a short note a user keeps.%s",
             i, i % 10 == 0 ? " zymurgy" : "");
    cJSON *c = cJSON_CreateObject();
    if (!c || !cJSON_AddNumberToObject(c, "i", (double)i) || !cJSON_AddStringToObject(c, "text", text)) {
        fprintf(stderr, "bench_browse: out of memory\n");
        exit(1);
    }
    return c;
}

static void write_file(const char *dir, long i, const cJSON *content)
{
    char path[4096], *text = NULL;
    FILE *f;

    snprintf(path, sizeof path, "%s/d%ld", dir, i);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/d%ld/content.json", dir, i);
    bench_ok(cer_json_print(&text, content, CER_JSON_PRETTY), "cer_json_print");
    if (!(f = fopen(path, "w")) || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(text);
}

int main(int argc, char **argv)
{
    cer_node_opts opts = {.store_flags = CER_STORE_NOSYNC};
    cer_node *node = NULL;
    char alias[32];
    long n;
    double t0;

    if (argc != 4 || (n = atol(argv[3])) <= 0) {
        fprintf(stderr, "usage: bench_browse STATE_DIR TREE_DIR N\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    opts.state_dir = argv[1];
    bench_ok(cer_node_open(&node, &opts), "cer_node_open");
    t0 = bench_now();
    for (long i = 0; i < n; i++) {
        cer_streamref id;
        cJSON *c = content_of(i);

        bench_ok(cer_node_create(node, &id, NULL, c, 0), "cer_node_create");
        snprintf(alias, sizeof alias, "d%ld", i);
        bench_ok(cer_node_alias(node, &id, alias), "cer_node_alias");
        write_file(argv[2], i, c);
        cJSON_Delete(c);
    }
    printf("bench_browse: made %ld documents in %.1f s (in process, no fsync)\n", n, bench_now() - t0);
    cer_node_close(node);
    return 0;
}
