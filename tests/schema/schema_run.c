/*
 * schema_run.c — runs core/jsonschema.c over a file of cases, for the
 * differential test against Ajv (tests/schema_js_test.sh) and by hand.
 *
 * Input: one JSON object per line, {"mode": "model"|"tile"|"loose2020"|
 * "loose7", "schema": S, "data": [instances]}. Output: one line per case:
 * "C" when the schema does not compile, else one letter per instance, v
 * (valid) or i (invalid); E for an error of another kind (-EFBIG...).
 * With -v, the messages follow on the same line after a tab.
 */
#include "ceramic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message on one line. */
static const char *one_line(const char *m)
{
    static char buf[2048];
    size_t k = 0;

    for (; *m && k + 1 < sizeof buf; m++)
        buf[k++] = *m == '\n' || *m == '\t' || *m == '\r' ? ' ' : *m;
    buf[k] = 0;
    return buf;
}

static unsigned mode_of(const char *m)
{
    if (strcmp(m, "model") == 0)
        return CER_SCHEMA_MODEL;
    if (strcmp(m, "tile") == 0)
        return CER_SCHEMA_TILE;
    if (strcmp(m, "loose2020") == 0)
        return CER_SCHEMA_MODEL | CER_SCHEMA_LOOSE;
    if (strcmp(m, "loose7") == 0)
        return CER_SCHEMA_TILE | CER_SCHEMA_LOOSE;
    return ~0u;
}

int main(int argc, char **argv)
{
    bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        cJSON *c = NULL;
        const cJSON *mode, *data;
        cer_schema *s = NULL;
        unsigned m;
        int rc;

        lineno++;
        if (cer_json_parse(&c, line, (size_t)n, 0) < 0) {
            fprintf(stderr, "line %lu: %s\n", lineno, cer_errmsg());
            return 2;
        }
        mode = cJSON_GetObjectItemCaseSensitive(c, "mode");
        data = cJSON_GetObjectItemCaseSensitive(c, "data");
        m = cJSON_IsString(mode) ? mode_of(mode->valuestring) : ~0u;
        if (m == ~0u || !cJSON_IsArray(data)) {
            fprintf(stderr, "line %lu: needs mode and data\n", lineno);
            return 2;
        }
        rc = cer_schema_new(&s, cJSON_GetObjectItemCaseSensitive(c, "schema"), m);
        if (rc == -EINVAL) {
            printf(verbose ? "C\t%s\n" : "C\n", one_line(cer_errmsg()));
        } else if (rc) {
            printf(verbose ? "E\t%s\n" : "E\n", one_line(cer_errmsg()));
        } else {
            char out[4096] = "", msgs[8192] = "";
            size_t k = 0;

            for (const cJSON *d = data->child; d && k + 1 < sizeof out; d = d->next, k++) {
                rc = cer_schema_validate(s, d, NULL, NULL);
                out[k] = rc == 0 ? 'v' : rc == -EINVAL ? 'i' : 'E';
                if (rc && verbose) {
                    strncat(msgs, one_line(cer_errmsg()), sizeof msgs - strlen(msgs) - 4);
                    strcat(msgs, " | ");
                }
            }
            out[k] = 0;
            printf(verbose ? "%s\t%s\n" : "%s\n", out, msgs);
        }
        cer_schema_free(s);
        cJSON_Delete(c);
    }
    free(line);
    return 0;
}
