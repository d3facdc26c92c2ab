/*
 * fuzz_json.c — libFuzzer target: cer_json_parse must accept or reject any
 * bytes without crashing (the first byte picks the flags), and whatever it
 * accepts must print (compact and pretty) to text that parses back to an
 * equal value, with compact printing a fixed point. With
 * CER_JSON_EXACT_INTS only printing and re-reading are checked: a double
 * such as 1e20 prints as an integer literal (JSON.stringify does), which
 * does not read back as the same kind of value in that mode.
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check_roundtrip(const cJSON *v, unsigned pflags, unsigned flags)
{
    char *s = NULL, *t = NULL;
    cJSON *back = NULL;

    assert(cer_json_print(&s, v, pflags) == 0);
    assert(cer_json_parse(&back, s, strlen(s), 0) == 0);
    if (flags == 0)
        assert(cer_json_equal(v, back));
    if (flags == 0 && !(pflags & CER_JSON_PRETTY)) {
        assert(cer_json_print(&t, back, 0) == 0);
        assert(strcmp(s, t) == 0);
    }
    free(s);
    free(t);
    cJSON_Delete(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    unsigned flags;
    cJSON *v = NULL;

    if (len == 0)
        return 0;
    flags = data[0] & 1 ? CER_JSON_EXACT_INTS : 0;
    if (cer_json_parse(&v, (const char *)data + 1, len - 1, flags) < 0)
        return 0;
    check_roundtrip(v, 0, flags);
    check_roundtrip(v, CER_JSON_PRETTY, flags);
    cJSON_Delete(v);
    return 0;
}
