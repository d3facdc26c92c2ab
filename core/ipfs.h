/*
 * ipfs.h — the IPFS HTTP RPC client (API in ceramic.h) and its reply
 * parsers, which are plain functions of bytes so that the unit tests and
 * the fuzz target (tests/fuzz/fuzz_ipfs.c) can call them without a daemon.
 *
 * Every parser treats its input as hostile: bounded, strict JSON
 * (cer_json_parse), fixed-size outputs, no assumption of NUL termination.
 */
#ifndef CER_IPFS_H
#define CER_IPFS_H

#include "ceramic.h"

/* Largest JSON reply read from the daemon (block/get replies are bounded
 * by CER_BLOCK_MAX instead). */
#define CER_IPFS_REPLY_MAX (1024 * 1024)

/* Lowers the calling thread's CPU priority (nice 10, this thread
 * only): the threads that write to the IPFS daemon after a save
 * yield the CPU to saves, which never wait on them. Best effort. */
void cer_ipfs_background_thread(void);

/* The "Message" of a daemon error reply {"Message":..., "Code":..., ...}
 * into out (cut to cap, printable); -EINVAL when body is not one. */
int cer_ipfs_parse_error(char *out, size_t cap, const uint8_t *body, size_t len);
/* {"Key": "<cid in any base>", "Size": n} (block/put); size
 * may be NULL. */
int cer_ipfs_parse_key(cer_cid *out, size_t *size, const uint8_t *body, size_t len);
/* A string member of a JSON object reply ("ID" of id, "Version" of
 * version) into out; -ENOSPC when longer than cap - 1. */
int cer_ipfs_parse_string(char *out, size_t cap, const uint8_t *body, size_t len, const char *member);
/* One NDJSON line of pubsub/sub. Returns 1 for the daemon's "{}" first
 * line (or any line with no "data"), 0 for a message (out->data points to
 * *scratch, which the caller frees), negative for a malformed line. When
 * topic_arg (the multibase topic) is non-NULL, a message whose topicIDs
 * do not include it is -EINVAL. */
int cer_ipfs_parse_sub_line(cer_ipfs_msg *out, uint8_t **scratch, const char *topic_arg, const char *line,
                            size_t len);

/* An NDJSON splitter with a line bound: feed it bytes as they arrive; it
 * calls fn for each complete line (without '\n'; blank lines skipped), and
 * once with line NULL and err -EFBIG for each line over max, whose bytes
 * it discards up to the next '\n'. fn's non-zero return stops feeding and
 * is returned. */
typedef struct cer_ndjson {
    cer_buf line;
    size_t max;
    bool skipping;
} cer_ndjson;
typedef int (*cer_ndjson_fn)(void *arg, const char *line, size_t len, int err);
int cer_ndjson_feed(cer_ndjson *p, const uint8_t *data, size_t len, cer_ndjson_fn fn, void *arg);
void cer_ndjson_free(cer_ndjson *p);

#endif
