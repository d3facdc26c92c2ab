/*
 * fuzz_jsonpatch.c — libFuzzer target: JSON Patch apply on arbitrary
 * documents and patches (input: document NUL patch), and the diff/apply
 * round trip between the document and any successfully patched result.
 */
#include "ceramic.h"

#include <assert.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const uint8_t *sep = memchr(data, 0, len);
    cJSON *doc, *patch, *out = NULL, *diff = NULL, *again = NULL;

    if (!sep)
        return 0;
    doc = cJSON_ParseWithLength((const char *)data, (size_t)(sep - data));
    patch = cJSON_ParseWithLength((const char *)sep + 1, len - (size_t)(sep - data) - 1);
    if (doc && patch && cer_patch_apply(&out, doc, patch) == 0) {
        if (cer_patch_diff(&diff, doc, out) == 0) {
            assert(cer_patch_apply(&again, doc, diff) == 0);
            assert(cJSON_Compare(again, out, 1));
        }
    }
    cJSON_Delete(doc);
    cJSON_Delete(patch);
    cJSON_Delete(out);
    cJSON_Delete(diff);
    cJSON_Delete(again);
    return 0;
}
