/*
 * state.h — stream state (API in ceramic.h) and the internal pieces the
 * node and the CLI share with it: the commit reader and the state's JSON
 * form.
 *
 * The commit reader fetches one commit by CID and classifies it the way
 * js-ceramic does (packages/common/src/utils/stream-utils.ts, core's
 * utils.ts getCommitData): a dag-jose block is a signed commit whose
 * payload (dag-cbor) is fetched through the JWS link; a dag-cbor block is
 * the commit map itself; a payload with "proof" is an anchor commit (its
 * proof block is fetched and decoded too), one without "prev" a genesis,
 * anything else a data commit. Every block comes through cer_store_get, so
 * CIDs and the block size limit are checked on the way in.
 */
#ifndef CER_STATE_H
#define CER_STATE_H

#include "ceramic.h"

/* The commit walk gives up after this many commits. */
#define CER_STATE_LOG_MAX 1000000

/* One commit as read from the store. Free with cer_commit_free. */
typedef struct cer_commit {
    cer_cid cid;              /* the commit's CID (envelope CID when signed) */
    int type;                 /* CER_COMMIT_GENESIS, _SIGNED (any data commit) or _ANCHOR */
    bool is_signed;           /* a dag-jose envelope; jws and payload_cid are set */
    cer_jws jws;
    cer_cid payload_cid;
    cJSON *payload;           /* the decoded commit map (dag-json convention) */
    bool has_prev;
    cer_cid prev;
    bool has_id;
    cer_cid id;
    cer_anchor_commit anchor; /* type CER_COMMIT_ANCHOR */
    cer_anchor_proof proof;   /* type CER_COMMIT_ANCHOR */
    bool sig_ok;              /* the signature was verified ahead (in parallel) ... */
    char sig_kid[CER_KID_MAX];  /* ... and this kid signed it */
    bool has_cap;             /* signed under a CACAO ('cap' in the JWS header): */
    cer_cid cap;              /* its CID ... */
    cer_buf cap_block;        /* ... and its block */
    int64_t cap_exp;          /* its exp in seconds, 0 none (an unreadable
                                 CACAO: check_cap says why) */
    int64_t time;             /* seconds: the block time of the first verified
                                 anchor after this commit, 0 when there is none
                                 (capabilities are then checked at the current
                                 time) */
    bool did3;                /* its kid is a did:3 (3ID) key: */
    struct cer_did3 *d3;      /* what the kid resolves to (resolve_signer) ... */
    int d3_rc;                /* ... or why it does not */
    char *d3_err;
    bool checked;             /* anchor commits: the checker already ran ... */
    int check;                /* ... and said this (CER_CHECK_*) ... */
    int64_t check_ts;         /* ... with this block time */
} cer_commit;

/* Fetch and classify the commit cid (see the top of this file), and the
 * CACAO block a signed commit's 'cap' names (core utils.ts
 * extractCapability: a capability that cannot be read fails the commit's
 * read). Rejects codecs other than dag-jose and dag-cbor (-ENOTSUP), a
 * JWS whose payload is not a dag-cbor CID, a 'cap' that is not
 * "ipfs://<CID>", a payload that is not a map, link fields (id,
 * prev, proof and the proof's root and txHash) that are not CBOR links,
 * a signed anchor commit and a missing or malformed proof. Messages name
 * the commit. */
int cer_commit_read(cer_commit *out, cer_store *store, const cer_cid *cid);
void cer_commit_free(cer_commit *c);

/* A check of anchor proofs (and the way to the latest state of other
 * streams, for did:3 signers), run on each anchor commit after its Merkle
 * path: returns a CER_CHECK_* value (CER_CHECK_VERIFIED sets *timestamp
 * to the block's time, > 0), or a negative errno when the anchor is
 * invalid (a chain its network does not accept, a proof its chain
 * contradicts; reason in cer_errmsg()): the anchor commit is then
 * rejected like any invalid commit. */
typedef struct cer_anchor_checker {
    int (*fn)(void *arg, const cer_anchor_proof *proof, int64_t *timestamp);  /* NULL: no check */
    void *arg;
    /* Optional: the latest state the caller knows of stream id (a 3ID
     * document a did:3 signer names), a copy in *out; -ENOENT when none. */
    int (*latest)(void *arg, const cer_streamref *id, cer_state **out);
    /* Optional progress of a long walk: commits fetched (read from the
     * tip back) and verified (applied, the genesis included) so far, of
     * total (the commits to apply; 0 while fetching). Called at most every
     * CER_PROGRESS_MS, and once more when each phase ends. */
    void (*progress)(void *arg, size_t fetched, size_t verified, size_t total);
    void *progress_arg;
    /* Optional: an ERC-1271 contract's verdict on a Caip10Link proof
     * (cer_eth_erc1271 on the chain eip155:<chain_ref>): 1 valid, 0 not,
     * -ENOTSUP when the caller has no RPC for that chain. Without it such
     * proofs are refused as unverifiable. */
    int (*erc1271)(void *arg, const char *chain_ref, const char *contract, const uint8_t *msg, size_t msglen,
                   const uint8_t *sig, size_t siglen);
} cer_anchor_checker;

#define CER_PROGRESS_MS 200

/* cer_state_load and cer_state_merge with anchor commits checked by chk
 * (NULL: none, as the plain ones: every anchor unverified). */
int cer_state_load_checked(cer_state **out, cer_store *store, const cer_streamref *id, const cer_cid *tip,
                           const cer_anchor_checker *chk);
/* A TileDocument's content against the schema its metadata names (js's
 * TileDocumentHandler, on genesis and every signed commit): "schema" a
 * CommitID; the schema is that document's content at that commit, loaded
 * from store with chk and applied as Ajv (draft-07) does
 * (CER_SCHEMA_TILE). 0 without a schema; -EINVAL with js's message when
 * the content does not match, the schema does not compile or is no
 * CommitID; -ENOENT when store does not hold the schema's commits. */
int cer_tile_schema_check(cer_store *store, const cJSON *metadata, const cJSON *content,
                          const cer_anchor_checker *chk);
/* A MID's (new) content against its Model (model_id its StreamID), as
 * js's MID handler checks every genesis with content and data commit:
 * the size, the Model's schema (compiled once per Model and kept with its
 * relations: a Model's content is its genesis's), the relations
 * (cer_mid_relations_check, the streams they name from g, NULL: from
 * store, those it does not hold left unchecked). The Model's definition
 * def when the caller has it, else through chk->latest (no chk->latest:
 * no schema checked): one it cannot find or load rejects the commit, as
 * in js. errors (NULL: not wanted) gets the schema's failures when it
 * refuses the content (cer_schema_validate; the caller frees them). */
int cer_mid_check(const char *model_id, const cJSON *def, const cJSON *content, const cer_anchor_checker *chk,
                  cer_store *store, const cer_mid_genesis_fn *g, cer_schema_error **errors, size_t *nerrors);
int cer_state_merge_checked(cer_state **st, cer_store *store, const cer_cid *other_tip,
                            const cer_anchor_checker *chk);

/* The state in js-ceramic's serializeState shape, plus the StreamID and
 * each signed commit's author:
 *   {"type":0, "doctype":"tile", "streamId":"k...", "content":..., "metadata":{...},
 *    "signature":2, "anchorStatus":"ANCHORED",
 *    "anchorProof":{"chainId":..., "root":"<cid>", "txHash":"<cid>", "txType"?:...,
 *                   "blockNumber"?:n, "blockTimestamp"?:n},
 *    "log":[{"cid":"<cid>", "type":0|1|2, "timestamp"?:n, "author"?:"did:...",
 *            "check"?:"verified"|"unverified"}]}
 * (anchorProof only when the state has one; timestamp only when not 0,
 * author only for signed commits, check for anchor commits; "unchecked"
 * and "uncheckable" from older caches read as "unverified", and only
 * verified anchors keep their times). Content keeps exact big integers as
 * cJSON_Raw: print with cer_json_print and read back with
 * CER_JSON_EXACT_INTS. Caller frees *out. */
int cer_state_to_json(cJSON **out, const cer_state *st);
/* The inverse, strict: every field present with the right type and no
 * others, a known doctype matching type and streamId, a non-empty log
 * that starts with the stream's genesis, known enum values. A cache file
 * cut short by a crash fails to parse before it gets here; anything that
 * parses but is not a whole state is -EINVAL. Caller frees *out. */
int cer_state_from_json(cer_state **out, const cJSON *j);

/* Whether e is an anchor commit that counts: its anchor verified here
 * (an unverified one anchors nothing). */
bool cer_log_entry_anchored(const cer_log_entry *e);
/* Whether cid is in st's log (searched from the tip back). */
bool cer_state_in_log(const cer_state *st, const cer_cid *cid);

/* JavaScript's `a.bytes < b.bytes` on two Uint8Arrays, which compares the
 * strings "1,133,1,..." (decimal bytes joined with commas): negative, 0 or
 * positive as strcmp. This, not a bytewise compare, is js-ceramic's
 * conflict tie-break (state-manipulator.ts _pickLogToAccept). */
int cer_cid_js_compare(const cer_cid *a, const cer_cid *b);

/* The node's fast path for its own commits, whose cost must not grow with
 * the stream's history. *out: a state like st with a copy of content (the
 * new content, not st's) and of st's metadata, and room for one more log
 * entry, which the caller writes at log[log_len] before it increments
 * log_len. When st's log array already
 * has room past st's end, *out SHARES it instead of copying the history:
 * st never reads past its own log_len, so the new entry is invisible to
 * it (and to readers of st, who may keep reading meanwhile). Of the two,
 * free the one that goes away with cer_state_free_shared. */
int cer_state_copy_append(cer_state **out, const cer_state *st, const cJSON *content);
/* cer_state_free, but a log array st shares with keep stays keep's. */
void cer_state_free_shared(cer_state *st, const cer_state *keep);

#endif
