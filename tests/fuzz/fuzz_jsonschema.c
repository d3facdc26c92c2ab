/*
 * fuzz_jsonschema.c — libFuzzer target for core/jsonschema.c and
 * core/jsregex.c. Input: a flags byte, then a schema, NUL, an instance
 * (JSON text, read with cer_json_parse as every input of the node is).
 * Flags: bit 0 the tile dialect, bit 1 loose (strict off), bit 2 regex
 * mode: the two parts are a pattern and a subject for cer_jsregex (bit 3
 * the u flag, bit 4 i). Whatever the bytes: no crash, no leak, only the
 * documented errors, the same verdict twice, an invalid verdict always
 * with at least one error and at most 64, and a schema that compiles
 * compiles again (the copy it keeps is its own).
 */
#include "ceramic.h"
#include "jsregex.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void fuzz_regex(unsigned flags, const char *a, size_t alen, const char *b, size_t blen)
{
    cer_jsregex *re = NULL;
    unsigned f = ((flags & 8) ? CER_JSRE_UNICODE : 0) | ((flags & 16) ? CER_JSRE_ICASE : 0);
    int rc = cer_jsregex_new(&re, a, alen, f), r1, r2;

    assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    /* the syntax check alone agrees with compiling, except where only
     * PCRE2 refuses (its limits) */
    if (rc == 0) {
        cer_jsregex *none = NULL;

        assert(cer_jsregex_new(&none, a, alen, f | CER_JSRE_SYNTAX) == 0 && none == NULL);
        r1 = cer_jsregex_test(re, b, blen);
        r2 = cer_jsregex_test(re, b, blen);
        assert(r1 == r2);
        assert(r1 == 0 || r1 == 1 || r1 == -EFBIG || r1 == -EINVAL || r1 == -ENOMEM);
        cer_jsregex_free(re);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const char *text = (const char *)data + 1;
    const char *sep;
    size_t slen, ilen;
    unsigned flags, mode;
    cJSON *schema = NULL, *inst = NULL;
    cer_schema *s = NULL, *again = NULL;

    if (len < 2)
        return 0;
    flags = data[0];
    sep = memchr(text, 0, len - 1);
    slen = sep ? (size_t)(sep - text) : len - 1;
    ilen = sep ? len - 1 - slen - 1 : 0;
    if (flags & 4) {
        fuzz_regex(flags, text, slen, sep ? sep + 1 : "", ilen);
        return 0;
    }
    mode = ((flags & 1) ? CER_SCHEMA_TILE : CER_SCHEMA_MODEL) | ((flags & 2) ? CER_SCHEMA_LOOSE : 0);
    if (cer_json_parse(&schema, text, slen, 0) != 0)
        return 0;
    if (!sep || cer_json_parse(&inst, sep + 1, ilen, 0) != 0)
        inst = cJSON_CreateNull();
    {
        int rc = cer_schema_new(&s, schema, mode);

        assert(rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
        if (rc == 0) {
            cer_schema_error *errs = NULL;
            size_t n = 0;
            int v1 = cer_schema_validate(s, inst, &errs, &n);
            int v2 = cer_schema_validate(s, inst, NULL, NULL);

            assert(v1 == 0 || v1 == -EINVAL || v1 == -EFBIG || v1 == -ENOMEM);
            assert(v1 == v2 || v1 == -ENOMEM || v2 == -ENOMEM);
            if (v1 == -EINVAL)
                assert(n >= 1 && n <= 64 && errs);
            else
                assert(n == 0 && !errs);
            for (size_t k = 0; k < n; k++)
                assert(errs[k].instance_path && errs[k].keyword && errs[k].message &&
                       (errs[k].instance_path[0] == 0 || errs[k].instance_path[0] == '/'));
            cer_schema_errors_free(errs, n);
            /* the compiled schema keeps its own copy */
            cJSON_Delete(schema);
            schema = NULL;
            assert(cer_schema_validate(s, inst, NULL, NULL) == v2 || v2 == -ENOMEM);
            cer_schema_free(s);
        }
    }
    if (schema && cer_schema_new(&again, schema, mode) == 0)
        cer_schema_free(again);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
    return 0;
}
