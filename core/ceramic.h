/*
 * ceramic.h — the public API of libceramic, the Ceramic protocol engine.
 *
 * This is the only header the filesystem (fs/) and other programs include,
 * and the installed libceramic.a exports its functions and nothing else
 * (examples/new-document.c is a small program on it). Read it top to
 * bottom to learn the system: errors and buffers; encodings (varint,
 * multibase, CID, JSON text, DAG-CBOR, DAG-JOSE); identities (did:key,
 * JWS); stream identifiers, commits, JSON Patch and pubsub messages; the
 * block store and CAR files; stream state; the node; IPFS and sync;
 * anchoring and the anchor service.
 *
 * Conventions, the same everywhere (a function's comment says so where it
 * differs):
 *   - Errors. A function that can fail returns a negative errno on failure;
 *     on success 0, or the non-negative value its comment names (a length,
 *     a count, 1 for "yes" or "moved"). The reason in words is kept per
 *     thread: cer_errmsg(). The common codes:
 *       -EINVAL     malformed input (bad string, bad block, bad argument)
 *       -EFBIG      input over a documented limit
 *       -ENOSPC     caller's output buffer too small
 *       -ENOMEM     out of memory
 *       -ENOTSUP    well-formed but unsupported (codec, hash, key type)
 *       -EBADMSG    content does not match its address (CID mismatch), or
 *                   a damaged file
 *       -EKEYREJECTED  a signature does not verify
 *       -ENOENT     no such stream, block, record or file
 *       -EPERM      this node's key does not control the stream
 *       -ESTALE     the stream's tip is no longer the one the caller gave
 *       -EROFS      the node or store was opened read-only
 *       -ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EREMOTEIO
 *                   a daemon or service (IPFS, Ethereum, a CAS) did not
 *                   answer in time, refused the connection, answered
 *                   something malformed, or answered with an error
 *     others where a comment names them (-EEXIST: an alias taken; -EBUSY:
 *     another process keeps the state directory; ...), and a failed
 *     system call's errno as it is (-EIO, -EACCES, ...).
 *   - Results come back through pointer parameters, the main one named
 *     out: first, or right after the object the call acts on (node,
 *     store, client). A few lookups take it last: cer_store_get,
 *     cer_ipfs_block_get, cer_node_info, cer_node_export_car,
 *     cer_node_commit_describe, cer_node_lost_branches. A cer_buf output
 *     is appended to, unless the comment says it is replaced.
 *   - Ownership. What a call hands over, the caller releases: the object
 *     of a *_open or *_start with the matching *_close or *_stop; what a
 *     *_new returns or a comment says "caller frees", with the free
 *     function its type names (cJSON values: cJSON_Delete; char *: free);
 *     a struct the call fills that holds memory (its comment says "Free
 *     with cer_X_free": cer_buf, cer_jws, cer_commit_blocks, cer_msg,
 *     cer_car, cer_state), with that function. After a failure there is
 *     nothing to release (*out is NULL, a filled struct is zeroed) unless
 *     the comment says otherwise (cer_state_load). Everything else is
 *     borrowed: a pointer a call returns without those words stays the
 *     library's, and arguments (options structs included) are read during
 *     the call only, unless the comment says they are kept or taken.
 *   - Fixed-size value types (cer_cid, cer_streamref, cer_key) hold no
 *     heap memory and can be copied with '='.
 */
#ifndef CERAMIC_H
#define CERAMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CER_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

/* The message of the last failure on this thread ("" if none). Valid until
 * the next failing call on the same thread. */
const char *cer_errmsg(void);
void cer_errclear(void);

/* ------------------------------------------------------------------ */
/* Byte buffers                                                         */
/* ------------------------------------------------------------------ */

/* A growable byte buffer. Zero-initialise (CER_BUF_INIT), free with
 * cer_buf_free. After a call that filled it (cer_buf_append, and every call
 * of this header that succeeds in writing to a cer_buf), data is
 * NUL-terminated (not counted in len), so text can be read in place. */
typedef struct cer_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} cer_buf;
#define CER_BUF_INIT {NULL, 0, 0}

void cer_buf_free(cer_buf *b);
int cer_buf_append(cer_buf *b, const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* Small files, crash-safely                                            */
/* ------------------------------------------------------------------ */

/* Prefix of the temporary files cer_file_replace leaves after a crash
 * (".tmp-<name>-XXXXXX"), so that a directory's owner can sweep them. */
#define CER_TMP_PREFIX ".tmp-"

/* write(2) all of p, retrying on EINTR and short writes: 0 or -errno. */
int cer_write_all(int fd, const void *p, size_t n);
/* Replace the file at path with data, crash-safely: a temporary file
 * beside it (mode), written in full, fsync'd, renamed over path, and the
 * directory fsync'd, so a crash leaves the old file or the new one, never
 * a torn one. Without sync both fsyncs are skipped (caches, tests).
 * Returns 0 or a negative errno with a message naming path. */
int cer_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync);

/* ------------------------------------------------------------------ */
/* Hashing for in-memory tables                                         */
/* ------------------------------------------------------------------ */

/* SipHash-2-4 of data[0..len) under a random key drawn once per process:
 * whoever chooses the keys of a table (a peer's JSON, StreamIDs, names)
 * cannot make them collide on purpose. Thread-safe. Different in every
 * process: never store it, and never derive a lasting name (an inode
 * number) from it. */
uint64_t cer_hash(const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* Unsigned varint (multiformats): minimal, at most 9 bytes, 63 bits    */
/* ------------------------------------------------------------------ */

#define CER_VARINT_MAX 10
/* Writes v to out; returns the number of bytes (1..10). */
size_t cer_varint_put(uint8_t out[CER_VARINT_MAX], uint64_t v);
/* Reads one varint from p[0..len); returns bytes consumed, or -EINVAL for
 * truncated, non-minimal or over-long input. */
int cer_varint_get(uint64_t *out, const uint8_t *p, size_t len);

/* ------------------------------------------------------------------ */
/* Multibase                                                            */
/* ------------------------------------------------------------------ */

typedef enum cer_base {
    CER_BASE16 = 'f',     /* hex, lower case (decoding takes either case) */
    CER_BASE32 = 'b',     /* RFC 4648 lower case, no padding */
    CER_BASE36 = 'k',     /* lower case, big-endian base conversion */
    CER_BASE58BTC = 'z',  /* bitcoin alphabet */
    CER_BASE64 = 'm',     /* RFC 4648 standard alphabet, no padding */
    CER_BASE64URL = 'u',  /* RFC 4648 §5 url alphabet, no padding */
} cer_base;

/* Encode without prefix into out (NUL-terminated); returns the string
 * length, or -ENOSPC when cap is too small. */
int cer_base_encode(char *out, size_t cap, cer_base base, const uint8_t *data, size_t len);
/* Upper bound of cer_base_encode's output size, NUL included. */
size_t cer_base_encoded_max(cer_base base, size_t len);
/* Decode s[0..slen) (no prefix) into out; returns the byte length.
 * Base64 variants accept trailing '=' padding. */
int cer_base_decode(uint8_t *out, size_t cap, cer_base base, const char *s, size_t slen);
/* The same with the one-character multibase prefix. */
int cer_multibase_encode(char *out, size_t cap, cer_base base, const uint8_t *data, size_t len);
int cer_multibase_decode(uint8_t *out, size_t cap, const char *s);

/* ------------------------------------------------------------------ */
/* CID                                                                  */
/* ------------------------------------------------------------------ */

#define CER_CODEC_RAW 0x55
#define CER_CODEC_DAG_PB 0x70
#define CER_CODEC_DAG_CBOR 0x71
#define CER_CODEC_DAG_JOSE 0x85
#define CER_CODEC_ETH_TX 0x93
#define CER_MH_IDENTITY 0x00
#define CER_MH_SHA2_256 0x12
#define CER_MH_KECCAK_256 0x1b

#define CER_CID_DIGEST_MAX 64
#define CER_CID_BYTES_MAX (3 * CER_VARINT_MAX + CER_VARINT_MAX + CER_CID_DIGEST_MAX)
#define CER_CID_STR_MAX 192

typedef struct cer_cid {
    uint64_t version;  /* 0 or 1 */
    uint64_t codec;    /* CER_CODEC_* (dag-pb for v0) */
    uint64_t mh_code;  /* CER_MH_* */
    size_t digest_len;
    uint8_t digest[CER_CID_DIGEST_MAX];
} cer_cid;

/* CIDv1 sha2-256 of block bytes with the given codec. */
int cer_cid_of_block(cer_cid *out, uint64_t codec, const uint8_t *block, size_t len);
/* Recompute the hash of block and compare: 0, -EBADMSG on mismatch,
 * -ENOTSUP for a hash function we cannot compute. */
int cer_cid_check_block(const cer_cid *cid, const uint8_t *block, size_t len);
/* Binary form; returns length or -ENOSPC. */
int cer_cid_to_bytes(uint8_t *out, size_t cap, const cer_cid *cid);
/* Parse a binary CID at the start of p; returns bytes consumed (the rest of
 * p is left for the caller). v0 = a bare sha2-256 multihash (0x12 0x20 ...). */
int cer_cid_from_bytes(cer_cid *out, const uint8_t *p, size_t len);
/* String form: base32 'b...' for v1, base58btc 'Qm...' for v0. */
int cer_cid_to_string(char *out, size_t cap, const cer_cid *cid);
/* Parse a CID string: 'Qm...' (v0) or any multibase of a v1 CID. */
int cer_cid_parse(cer_cid *out, const char *s);
bool cer_cid_equal(const cer_cid *a, const cer_cid *b);

/* ------------------------------------------------------------------ */
/* StreamID and CommitID                                                */
/* ------------------------------------------------------------------ */

#define CER_STREAMID_CODEC 0xce
enum {
    CER_STREAM_TILE = 0,
    CER_STREAM_CAIP10_LINK = 1,
    CER_STREAM_MODEL = 2,
    CER_STREAM_MID = 3,
    CER_STREAM_UNLOADABLE = 4,
    CER_STREAM_EVENT_ID = 5,
};
#define CER_STREAMID_BYTES_MAX (2 * CER_VARINT_MAX + 2 * CER_CID_BYTES_MAX)
#define CER_STREAMID_STR_MAX 320

/* A StreamID (is_commit false) or a CommitID (is_commit true). For a
 * CommitID of the genesis commit, commit equals genesis (written as the
 * single 0x00 byte on the wire). */
typedef struct cer_streamref {
    uint64_t type;
    cer_cid genesis;
    bool is_commit;
    cer_cid commit;
} cer_streamref;

/* Registry name of a stream type ("tile", "caip10-link", "model", "MID",
 * "UNLOADABLE", "EventID"), or NULL when unknown. */
const char *cer_stream_type_name(uint64_t type);
int cer_streamref_to_bytes(uint8_t *out, size_t cap, const cer_streamref *ref);
/* Parse all of p[0..len) (trailing bytes are an error). */
int cer_streamref_from_bytes(cer_streamref *out, const uint8_t *p, size_t len);
/* Canonical base36 'k...' string. */
int cer_streamref_to_string(char *out, size_t cap, const cer_streamref *ref);
/* Parse 'k...', 'ceramic://k...', '/ceramic/k...', with an optional
 * '?commit=<cid>|0' (which always yields a CommitID). */
int cer_streamref_parse(cer_streamref *out, const char *s);
/* True when a and b name the same stream (type and genesis). */
bool cer_streamref_same_stream(const cer_streamref *a, const cer_streamref *b);

/* ------------------------------------------------------------------ */
/* JSON text                                                            */
/* ------------------------------------------------------------------ */

/* JSON values are cJSON trees, but read and written with these functions,
 * not cJSON's own parser and printer, so that they behave as JavaScript's
 * JSON.parse / JSON.stringify and @ipld/dag-json. Every module keeps these
 * conventions for cJSON values:
 *   - Strings and keys are UTF-8, except that U+0000 is stored as the two
 *     bytes C0 80 ("modified UTF-8", as in Java/JNI; never valid UTF-8, so
 *     unambiguous). The DAG-CBOR codec maps C0 80 <-> 00 in CBOR text.
 *   - Numbers are doubles (valuedouble), -0 included; never NaN/Infinity
 *     from the parser. An integer outside +-(2^53-1) that must stay exact
 *     (dag-json) is a cJSON_Raw item whose valuestring is its canonical
 *     decimal literal (^-?[1-9][0-9]*$), within [-2^64, 2^64-1].
 *   - Objects are maps: a repeated key is an error (-EINVAL), not resolved
 *     (JSON.parse would keep the last one; we refuse to drop data).
 *   - Nesting is limited to CER_DAGCBOR_DEPTH_MAX containers (-EFBIG). */

#define CER_JSON_EXACT_INTS 0x1  /* dag-json: integer literals outside +-(2^53-1) kept exact
                                    (cJSON_Raw); beyond 64 bits is an error */
#define CER_JSON_PRETTY 0x2      /* printer: JSON.stringify(v, null, 2) layout */
#define CER_JSON_DAGJSON 0x4     /* printer: canonical dag-json as @ipld/dag-json writes it:
                                    keys sorted bytewise, integral numbers beyond
                                    +-(2^53-1) (CBOR floats) with ".0" */

/* Parse JSON text strictly (RFC 8259, one value, only whitespace around
 * it) into a new value; caller frees. text[0..len) must be valid UTF-8 and
 * need not be NUL-terminated. Numbers are what JSON.parse gives, but a
 * literal that overflows to +-Infinity is -EINVAL. \u0000 becomes C0 80; a
 * lone escaped surrogate becomes U+FFFD (as JavaScript encodes it in
 * UTF-8). Flags: CER_JSON_EXACT_INTS (CER_JSON_PRETTY is ignored, unknown
 * bits are -EINVAL). Errors name line and column. */
int cer_json_parse(cJSON **out, const char *text, size_t len, unsigned flags);
/* Print as JSON.stringify does (compact, or with CER_JSON_PRETTY as
 * JSON.stringify(v, null, 2)): members in JavaScript property order (array
 * index keys "0".."4294967294" first, ascending, then the rest in order),
 * numbers as Number::toString, NaN/Infinity as null, C0 80 as \u0000,
 * cJSON_Raw verbatim. -EINVAL for invalid UTF-8 or an item that is not a
 * JSON value. Flags: CER_JSON_PRETTY, CER_JSON_DAGJSON (CER_JSON_EXACT_INTS
 * is ignored). Caller frees *out. */
int cer_json_print(char **out, const cJSON *value, unsigned flags);
/* Deep equality as JSON values: objects as maps whatever their key order,
 * arrays in order, numbers by value (-0 == 0; NaN equals nothing), strings
 * and raw integers by their bytes; a number never equals a raw integer.
 * (cJSON_Compare takes numbers within DBL_EPSILON as equal.) */
bool cer_json_equal(const cJSON *a, const cJSON *b);

/* ------------------------------------------------------------------ */
/* DAG-CBOR                                                             */
/* ------------------------------------------------------------------ */

/* The Ceramic block size limit. */
#define CER_BLOCK_MAX 256000
/* Nesting limit of the decoder and encoder. */
#define CER_DAGCBOR_DEPTH_MAX 128

/* Flags of cer_dagcbor_encode. */
#define CER_DAGJSON 0x1  /* interpret {"/": "<cid>"} as a link and
                            {"/": {"bytes": "<base64>"}} as bytes */

/* Canonical DAG-CBOR of a JSON value: map keys by length then bytewise,
 * shortest integers, integral numbers within +-(2^53-1) as integers and
 * every other number as float64; NaN and infinities are rejected. Without
 * CER_DAGJSON every object is a plain map (user content); with it, an
 * object whose first key is "/" with a CID string is a link, and one whose
 * first key is "/" with {"bytes": base64} is bytes, as @ipld/dag-json
 * reads them. Appends to out. */
int cer_dagcbor_encode(cer_buf *out, const cJSON *value, unsigned flags);
/* Decode one DAG-CBOR item that fills data[0..len) exactly into a new cJSON
 * value in the dag-json convention (links {"/": cid}, bytes
 * {"/": {"bytes": base64}}). Lenient on key order and float width, strict
 * on everything else (minimal ints and lengths, definite lengths, tag 42
 * only, text keys, no duplicate keys, no NaN/Inf). Integers beyond
 * +-(2^53-1) come out exact as cJSON_Raw literals, U+0000 in text as C0 80
 * (see "JSON text"); the encoder takes both back. Caller frees. */
int cer_dagcbor_decode(cJSON **out, const uint8_t *data, size_t len);
/* Helpers for the dag-json forms. */
cJSON *cer_json_link_new(const cer_cid *cid);
int cer_json_get_link(cer_cid *out, const cJSON *value);  /* -EINVAL if not a link */
cJSON *cer_json_bytes_new(const uint8_t *data, size_t len);
/* Decodes {"/": {"bytes": ...}} into out (cap bytes); returns the length. */
int cer_json_get_bytes(uint8_t *out, size_t cap, const cJSON *value);

/* ------------------------------------------------------------------ */
/* did:key: ed25519, secp256k1 and P-256 keys                          */
/* ------------------------------------------------------------------ */

/* Room for a did:key (kid) of every key form key-did-resolver resolves,
 * uncompressed ECDSA keys included (about 100 characters). */
#define CER_DID_MAX 128
#define CER_KID_MAX 256

/* Key types of did:key (multicodec 0xed, 0xe7, 0x1200) and the JWS
 * algorithm of each: EdDSA, ES256K, ES256. */
typedef enum cer_keytype {
    CER_KEY_ED25519 = 0,
    CER_KEY_SECP256K1 = 1,
    CER_KEY_P256 = 2,
} cer_keytype;

/* A public key as its did:key holds it: 32 bytes for ed25519; for the
 * ECDSA curves the SEC1 point (33 bytes compressed, 65 uncompressed, or 64
 * raw x||y for P-256), always a valid point of the curve. */
#define CER_PUBKEY_MAX 65
typedef struct cer_pubkey {
    cer_keytype type;
    size_t len;
    uint8_t bytes[CER_PUBKEY_MAX];
} cer_pubkey;

/* A signing key. seed is the secret: the ed25519 seed, or the ECDSA secret
 * scalar (big-endian). pub is compressed for the ECDSA curves, as js-did's
 * providers write their DIDs. */
typedef struct cer_key {
    cer_keytype type;
    uint8_t seed[32];
    uint8_t sk[64];          /* ed25519 only: libsodium's secret key */
    cer_pubkey pub;
    char did[CER_DID_MAX];   /* did:key:z6Mk... (ed25519), zQ3s... (secp256k1), zDn... (P-256) */
    /* A session key signing for an account under a CACAO (js-did's
     * DID#withCapability): its JWS headers carry cap "ipfs://<cap>", and
     * what it creates is controlled by parent (the CACAO's iss). */
    bool has_cap;
    cer_cid cap;
    char parent[CER_DID_MAX];
} cer_key;

/* "ed25519", "secp256k1", "p256"; cer_keytype_parse is the reverse
 * (-EINVAL for another name). */
const char *cer_keytype_name(cer_keytype type);
int cer_keytype_parse(cer_keytype *out, const char *name);
/* The key of secret (an ed25519 seed or an ECDSA scalar); -EINVAL when the
 * scalar is 0 or not below the curve order. cer_key_from_seed is ed25519. */
int cer_key_from_secret(cer_key *out, cer_keytype type, const uint8_t secret[32]);
int cer_key_from_seed(cer_key *out, const uint8_t seed[32]);
/* A new random key; cer_key_generate makes an ed25519 one. */
int cer_key_generate_type(cer_key *out, cer_keytype type);
int cer_key_generate(cer_key *out);
void cer_key_wipe(cer_key *key);
/* The kid of key: "<did>#<method-specific id>". */
int cer_key_kid(char *out, size_t cap, const cer_key *key);
/* Key files, mode 0600: an ed25519 key is its 32-byte seed as 64 hex
 * digits and a newline; the others are "secp256k1:" or "p256:" and the
 * 64 hex digits of the secret scalar, and a newline ("0x" and 64 hex
 * digits, the way Ethereum keys are written, is a secp256k1 key too).
 * cer_key_load_file refuses a file group or others have any permission on
 * (mode & 077). */
int cer_key_load_file(cer_key *out, const char *path);
int cer_key_save_file(const cer_key *key, const char *path);
/* The did:key of a public key (its bytes as they are). */
int cer_did_from_pubkey(char *out, size_t cap, const cer_pubkey *pk);
/* The public key of a did:key (a kid's '#fragment' is accepted and must
 * repeat the DID's method-specific id): an ed25519, secp256k1 or P-256
 * key in a form key-did-resolver resolves, and for ECDSA a point of the
 * curve (-EINVAL otherwise); -ENOTSUP for other key types (P-384, ...). */
int cer_did_pubkey(cer_pubkey *out, const char *did_or_kid);

/* ------------------------------------------------------------------ */
/* DAG-JOSE and JWS                                                     */
/* ------------------------------------------------------------------ */

typedef struct cer_jws_sig {
    uint8_t *protected_hdr;    /* raw protected header JSON bytes */
    size_t protected_len;
    uint8_t *header_cbor;      /* unprotected header map, NULL if absent */
    size_t header_len;
    uint8_t *signature;
    size_t signature_len;
} cer_jws_sig;

/* A decoded DAG-JOSE JWS. payload is the raw payload bytes; for Ceramic
 * they are always the bytes of a CID, then has_link is set and link holds
 * that CID. Free with cer_jws_free. */
typedef struct cer_jws {
    uint8_t *payload;
    size_t payload_len;
    bool has_link;
    cer_cid link;
    size_t nsigs;
    cer_jws_sig *sigs;
} cer_jws;

void cer_jws_free(cer_jws *jws);
/* Decode a DAG-JOSE block (strict shape: payload bytes, signatures array of
 * {protected bytes, signature bytes, header map?}). */
int cer_dagjose_decode(cer_jws *out, const uint8_t *block, size_t len);
/* Encode a JWS as a DAG-JOSE block; appends to out. */
int cer_dagjose_encode(cer_buf *out, const cer_jws *jws);
/* Sign the CID payload with key: one signature, protected header
 * {"alg":"<alg>","kid":"<kid>"} exactly as js-did's providers write it
 * (alg EdDSA, ES256K or ES256 by the key's type; ES256K is RFC 6979
 * deterministic and low-S, ES256 randomised, as their signers are). */
int cer_jws_sign(cer_jws *out, const cer_key *key, const cer_cid *payload);
/* The same for any payload bytes (has_link false). */
int cer_jws_sign_bytes(cer_jws *out, const cer_key *key, const uint8_t *payload, size_t len);
/* Read a compact JWS "protected.payload.signature" (base64url parts) of
 * len bytes as a one-signature JWS (has_link false); free with cer_jws_free. */
int cer_jws_from_compact(cer_jws *out, const char *s, size_t len);
/* Verify signature i as js-ceramic's did-jwt does: the protected header's
 * kid a did:key, its alg one of that key type's (EdDSA or Ed25519 for
 * ed25519; ES256K or ES256K-R for secp256k1; ES256 for P-256; any other
 * pairing is refused). Writes the kid to kid_out (may be NULL).
 * -EKEYREJECTED when the signature does not verify, -ENOTSUP for other
 * algorithms or DID methods. */
int cer_jws_verify(const cer_jws *jws, size_t i, char *kid_out, size_t cap);
/* Compact JWS string "protected.payload.signature" (b64u) of signature i;
 * caller frees. */
int cer_jws_compact(char **out, const cer_jws *jws, size_t i);

/* ------------------------------------------------------------------ */
/* Commits                                                              */
/* ------------------------------------------------------------------ */

/* One stored block: its CID and bytes. */
typedef struct cer_block {
    cer_cid cid;
    cer_buf bytes;
} cer_block;

/* A commit as written: for a signed commit the payload (dag-cbor) and the
 * envelope (dag-jose), whose CID is the commit's CID; for an unsigned
 * commit only payload, and envelope.bytes is empty. Free with
 * cer_commit_blocks_free. */
typedef struct cer_commit_blocks {
    bool is_signed;
    cer_block payload;
    cer_block envelope;
    cer_jws jws;
} cer_commit_blocks;

void cer_commit_blocks_free(cer_commit_blocks *c);
/* The CID that names the commit (envelope if signed, else payload). */
const cer_cid *cer_commit_cid(const cer_commit_blocks *c);

/* A random TileDocument 'unique': base64 (no padding) of 12 random bytes. */
int cer_tile_unique(char out[17]);
/* TileDocument genesis. header is a JSON object with controllers, family,
 * schema, tags, unique, forbidControllerChange (all optional; controllers
 * defaults to the key's DID, or its parent under a capability). content
 * NULL or JSON null: no data field. key NULL makes an unsigned genesis, which must have no content. */
int cer_tile_genesis(cer_commit_blocks *out, const cer_key *key, const cJSON *header,
                     const cJSON *content);
/* Signed TileDocument update {id, prev, header, data: patch}; header NULL
 * means {}. */
int cer_tile_update(cer_commit_blocks *out, const cer_key *key, const cer_cid *genesis,
                    const cer_cid *prev, const cJSON *header, const cJSON *patch);

/* Models and ModelInstanceDocuments (model.c), as js-ceramic 2.44's
 * stream-model and stream-model-instance write them. */

/* The meta-model: the 'model' of every Model (Model.MODEL). */
#define CER_META_MODEL "kh4q0ozorrgaq2mezktnrmdwleo1d"
/* The newest Model definition version this node writes and accepts. */
#define CER_MODEL_VERSION "2.0"
/* js's limit on a MID's content: the UTF-8 length of its JSON text. */
#define CER_MID_CONTENT_MAX 16000000
#define CER_MID_UNIQUE_LEN 12

/* Check a Model definition as Model.create and js's Model handler do:
 * only known keys, version "1.0" or "2.0" (-ENOTSUP for a newer one),
 * name, description?, schema (an object schema whose objects all say
 * additionalProperties: false), accountRelation (list|single; 2.0 also
 * none and set), relations?, views? (none a schema property); 2.0 also
 * interface (bool) and implements (StreamIDs), an interface having a
 * property or a view; the schema compiled as Ajv 2020 compiles it
 * (CER_SCHEMA_MODEL). Not checked: the interfaces a model implements. */
int cer_model_check(const cJSON *def);
/* The accountRelation type of a Model definition ("list", "single",
 * "none", "set"), or NULL. Borrowed from def. */
const char *cer_model_account_relation(const cJSON *def);
/* A Model's genesis, signed by key, which is its controller:
 * {data: def, header: {controllers: [did], model: meta-model, sep: "model"}},
 * after cer_model_check. */
int cer_model_genesis(cer_commit_blocks *out, const cer_key *key, const cJSON *def);
/* 12 random bytes for a MID's unique. */
int cer_mid_unique(uint8_t out[CER_MID_UNIQUE_LEN]);
/* A MID's genesis {data: content, header: {controllers: [controller],
 * model, sep: "model", unique?}}. With unique (accountRelation list):
 * signed by key (content NULL: data null). Without (single): the
 * deterministic unsigned genesis, content must be NULL (its content is set
 * by an update). controller NULL: the key's DID. */
int cer_mid_genesis(cer_commit_blocks *out, const cer_key *key, const char *controller, const cer_streamref *model,
                    const uint8_t *unique, const cJSON *content);
/* A MID update {id: genesis, data: patch, prev}, signed; no header. */
int cer_mid_update(cer_commit_blocks *out, const cer_key *key, const cer_cid *genesis, const cer_cid *prev,
                   const cJSON *patch);
/* Check a MID's (new) content against its Model's definition (model_def
 * may be NULL: the checks that need no model): an object whose JSON text
 * is at most CER_MID_CONTENT_MAX bytes (-EFBIG), valid against the
 * model's JSON Schema (-EINVAL, cer_errmsg() js's "Validation Error: ..."). */
int cer_mid_content_check(const cJSON *model_def, const cJSON *content);
/* The genesis payload ({data, header}, decoded; caller frees) of stream
 * id, from wherever the caller keeps streams: 0, 1 when it has none to
 * give (the relation is then left unchecked), or a negative errno. */
typedef struct cer_mid_genesis_fn {
    int (*fn)(void *arg, const cer_streamref *id, cJSON **payload);
    void *arg;
} cer_mid_genesis_fn;
/* A MID's (new) content against its Model's relations (the definition's
 * "relations", may be NULL; model_id the Model's StreamID, for messages),
 * as js-ceramic 2.44 checks them on every genesis and data commit: a field
 * of a relation of type document, when set and not null, holds the
 * StreamID of a MID whose Model is the relation's model (any Model when
 * that is null) or a 2.0 Model that implements it. The MIDs and Models
 * come from g (a MID's model is fixed by its genesis). -EINVAL with js's
 * message when a relation does not hold. */
int cer_mid_relations_check(const cJSON *relations, const char *model_id, const cJSON *content,
                            const cer_mid_genesis_fn *g);

/* Caip10Link (caip10.c) for an Ethereum key the user holds, as
 * stream-caip10-link 2.34 and blockchain-utils-linking 2.23 make it: the
 * deterministic genesis {header: {controllers: ["<lower-case
 * address>@eip155:<chain>"], family: "caip10-eip155:<chain>"}} (unsigned
 * DAG-CBOR), and an update {id, prev, data: a version 2 "ethereum-eoa"
 * LinkProof} whose personal_sign covers "Link this account to your
 * identity\n\n<did> \nTimestamp: <timestamp>" (did NULL or "": the
 * link cleared). The block and its CID in *block (reset) and *cid. */
int cer_caip10_make_genesis(cer_buf *block, cer_cid *cid, const uint8_t secret[32], uint64_t chain);
int cer_caip10_make_link(cer_buf *block, cer_cid *cid, const cer_cid *genesis, const cer_cid *prev,
                         const uint8_t secret[32], uint64_t chain, const char *did, int64_t timestamp);

/* An anchor (time) commit {id?, prev, proof, path}. */
typedef struct cer_anchor_commit {
    bool has_id;
    cer_cid id;
    cer_cid prev;
    cer_cid proof;
    char path[256];
} cer_anchor_commit;

/* An anchor proof {chainId, root, txHash, txType?, blockNumber?, blockTimestamp?}. */
typedef struct cer_anchor_proof {
    char chain_id[64];
    cer_cid root;
    cer_cid tx_hash;
    char tx_type[32];          /* "" when absent */
    bool has_block_number;
    int64_t block_number;
    bool has_block_timestamp;
    int64_t block_timestamp;
} cer_anchor_proof;

int cer_anchor_commit_encode(cer_block *out, const cer_anchor_commit *ac);
int cer_anchor_commit_decode(cer_anchor_commit *out, const cJSON *decoded);
int cer_anchor_proof_encode(cer_block *out, const cer_anchor_proof *proof);
int cer_anchor_proof_decode(cer_anchor_proof *out, const cJSON *decoded);

/* ------------------------------------------------------------------ */
/* JSON Patch (RFC 6902)                                                */
/* ------------------------------------------------------------------ */

/* Apply patch (an array of operations, all six ops) to a copy of doc.
 * On success *out is the new document (caller frees); on failure doc is
 * untouched and cer_errmsg() names the operation index, op and path.
 * Lookups cost O(1) expected, whatever the patch; a patch whose copies
 * and deeper moves walk more than twice the values of doc and patch plus
 * 2^20 fails with -EFBIG (see jsonpatch.c). */
int cer_patch_apply(cJSON **out, const cJSON *doc, const cJSON *patch);
/* A patch that turns from into to, in fast-json-patch compare() form
 * (add, remove, replace only). Caller frees. */
int cer_patch_diff(cJSON **out, const cJSON *from, const cJSON *to);

/* ------------------------------------------------------------------ */
/* JSON Schema, as js-ceramic validates with Ajv 8                      */
/* ------------------------------------------------------------------ */

/* A compiled schema: compile once, validate many instances (thread-safe). */
typedef struct cer_schema cer_schema;

/* Dialects: the Ajv instance js-ceramic 2.44 builds for each use, with
 * ajv-formats 2.1.1 ("full" formats and the formatMaximum/... keywords).
 *   CER_SCHEMA_MODEL  Models and ModelInstanceDocuments: Ajv2020 (draft
 *                     2020-12) with {strict: true, allErrors: true,
 *                     allowMatchingProperties: false}
 *   CER_SCHEMA_TILE   TileDocument schemas: Ajv (draft-07) with
 *                     {allErrors: true, strictTypes: false, strictTuples:
 *                     false} (strict schema: unknown keywords and formats
 *                     are still refused)
 * CER_SCHEMA_LOOSE may be or-ed in: strict mode off entirely ({strict:
 * false}, as Ajv runs the JSON-Schema-Test-Suite); for tests. */
#define CER_SCHEMA_MODEL 0u
#define CER_SCHEMA_TILE  1u
#define CER_SCHEMA_LOOSE 0x100u

/* One failed check, as an Ajv error object. */
typedef struct cer_schema_error {
    char *instance_path;  /* Ajv's instancePath: JSON Pointer, "" for the root */
    char *keyword;        /* the failing keyword: "type", "required", ... */
    char *message;        /* Ajv's message: "must be string" */
} cer_schema_error;

/* Compile schema (copied: the caller keeps its own). -EINVAL where Ajv
 * would throw while compiling: not valid against the dialect's
 * meta-schema, an unknown $schema, keyword or format, a strict-mode
 * violation, a pattern JavaScript refuses, a reference that does not
 * resolve within the schema (nothing is fetched: a remote $ref is
 * refused); -EFBIG past the nesting limit; -ENOMEM. Free with
 * cer_schema_free. */
int cer_schema_new(cer_schema **out, const cJSON *schema, unsigned mode);
void cer_schema_free(cer_schema *s);
/* Validate instance. 0 when valid; -EINVAL when not, with cer_errmsg()
 * "Validation Error: data/a must be string, ..." (js-ceramic's message)
 * and, when errors is not NULL, the errors (at most 64; caller frees with
 * cer_schema_errors_free); -EFBIG when validation would cost more than
 * schema size x instance size allows, nests too deep or a pattern
 * backtracks past its match limit; -ENOMEM. */
int cer_schema_validate(const cer_schema *s, const cJSON *instance, cer_schema_error **errors,
                        size_t *nerrors);
void cer_schema_errors_free(cer_schema_error *errors, size_t n);

/* ------------------------------------------------------------------ */
/* Pubsub messages                                                      */
/* ------------------------------------------------------------------ */

enum {
    CER_MSG_UPDATE = 0,
    CER_MSG_QUERY = 1,
    CER_MSG_RESPONSE = 2,
    CER_MSG_KEEPALIVE = 3,
};
/* Messages over this size are rejected unparsed. */
#define CER_MSG_MAX (1024 * 1024)
#define CER_QUERY_ID_LEN 46
/* A ceramicfs extension of UPDATE, ignored by js-ceramic (its codec reads
 * typ/stream/tip/model only): "inlineBlocks", an array of 1 or 2 strings,
 * each a multibase base64url ("u"...) block of the tip commit (the commit
 * block; for a DAG-JOSE tip also the payload it links), together at most
 * CER_MSG_INLINE_MAX bytes decoded. Receivers hash them and keep only the
 * blocks the tip references, so the data is never trusted. A malformed or
 * oversized field costs its blocks, never the UPDATE: the parser drops it
 * and says why in inline_error (a later version may send more). */
#define CER_MSG_INLINE_MAX (16 * 1024)
#define CER_MSG_INLINE_BLOCKS 2

typedef struct cer_tip_entry {
    cer_streamref stream;
    cer_cid tip;
} cer_tip_entry;

/* A parsed pubsub message. Free with cer_msg_free. */
typedef struct cer_msg {
    int typ;
    cer_streamref stream;           /* UPDATE, QUERY */
    cer_cid tip;                    /* UPDATE */
    bool has_model;
    cer_streamref model;            /* UPDATE, optional */
    size_t ninline;                 /* UPDATE, optional "inlineBlocks": */
    cer_buf inline_blocks[CER_MSG_INLINE_BLOCKS]; /* owned, unverified bytes */
    char inline_error[96];          /* UPDATE: why "inlineBlocks" was dropped, or "" */
    char id[CER_QUERY_ID_LEN + 2];  /* QUERY, RESPONSE */
    size_t ntips;
    cer_tip_entry *tips;            /* RESPONSE */
    int64_t ts;                     /* KEEPALIVE */
    char ver[64];                   /* KEEPALIVE */
    char ipfs_ver[64];              /* KEEPALIVE */
} cer_msg;

void cer_msg_free(cer_msg *msg);
/* Strict parse of a message payload (UTF-8 JSON). */
int cer_msg_parse(cer_msg *out, const uint8_t *data, size_t len);
/* Compact JSON with the field order js-ceramic writes; caller frees. */
int cer_msg_encode(char **out, const cer_msg *msg);
/* QUERY id: b64u(0x12 0x20 || sha2-256(dagcbor({typ:1, stream}))). */
int cer_query_id(char out[CER_QUERY_ID_LEN + 1], const cer_streamref *stream);
/* Topic argument of the kubo RPC: "u" + b64u(topic). */
int cer_pubsub_topic_arg(char *out, size_t cap, const char *topic);


/* ------------------------------------------------------------------ */
/* Block store                                                          */
/* ------------------------------------------------------------------ */

/* A content-addressed block store behind a small interface, so that the
 * embedded directory store, the in-memory store and (later) an IPFS-backed
 * store are interchangeable. Callers use the cer_store_* functions, which
 * check every block against its CID on the way in and on the way out and
 * enforce CER_BLOCK_MAX; backends only move bytes. */
typedef struct cer_store cer_store;

typedef struct cer_store_ops {
    /* Store len bytes under cid; idempotent; durable when it returns 0. */
    int (*put)(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len);
    /* Append the bytes stored under cid to out; -ENOENT when absent. */
    int (*get)(cer_store *s, const cer_cid *cid, cer_buf *out);
    /* 1 when present, 0 when not, negative errno on failure. */
    int (*has)(cer_store *s, const cer_cid *cid);
    void (*close)(cer_store *s);
    /* Call fn for every block held (in no set order) until it returns
     * non-zero; NULL for a backend that cannot list its blocks. */
    int (*each)(cer_store *s, int (*fn)(const cer_cid *cid, void *arg), void *arg);
} cer_store_ops;

struct cer_store {
    const cer_store_ops *ops;
};

/* Flags of cer_store_open_dir (and of cer_node_opts.store_flags). */
#define CER_STORE_NOSYNC 0x1  /* skip fsync (benchmarks, tests): not crash-safe */
#define CER_STORE_RDONLY 0x2  /* read only (a backup, a read-only file system): the directory
                               * must exist; nothing in it is created, changed or removed, and
                               * every change fails with -EROFS */

/* The embedded store: dir/<shard>/<base32 cid>.data, shard = the two
 * characters before the last of the CID string (IPFS flatfs
 * "next-to-last/2"); each block written to a temp file, fsync'd, renamed
 * into place, and the directory fsync'd, so a crash leaves the whole block
 * or none. Creates dir if needed. */
int cer_store_open_dir(cer_store **out, const char *dir, unsigned flags);
/* A store in memory (tests, benchmarks). */
int cer_store_open_mem(cer_store **out);
void cer_store_close(cer_store *s);
/* Put a block: -EBADMSG if data does not hash to cid, -EFBIG over
 * CER_BLOCK_MAX. */
int cer_store_put(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len);
/* Get a block into out (replacing its contents): -ENOENT when absent,
 * -EBADMSG when the stored bytes do not hash to cid (a corrupted file). */
int cer_store_get(cer_store *s, const cer_cid *cid, cer_buf *out);
int cer_store_has(cer_store *s, const cer_cid *cid);
/* Put both blocks of a commit (payload, then envelope when signed). */
int cer_store_put_commit(cer_store *s, const cer_commit_blocks *c);
/* Call fn for every block the store holds; -ENOTSUP when it cannot list. */
int cer_store_each(cer_store *s, int (*fn)(const cer_cid *cid, void *arg), void *arg);

/* ------------------------------------------------------------------ */
/* CAR v1 files (car.c)                                                 */
/* ------------------------------------------------------------------ */

/* A CAR v1 (the format of `ipfs dag export`/`import` and @ipld/car):
 * varint(len) + the DAG-CBOR header {roots: [CID, ...], version: 1}, then
 * sections varint(len) + CID bytes + block bytes. */

/* Largest CAR header accepted. */
#define CER_CAR_HEADER_MAX 65536

/* One block of a CAR read with cer_car_read: data borrowed from the file. */
typedef struct cer_car_block {
    cer_cid cid;
    const uint8_t *data;
    size_t len;
} cer_car_block;

/* A CAR read whole and checked: the header (a DAG-CBOR map with exactly
 * "roots", at least one link, and "version" 1), every section complete
 * (nothing truncated, nothing after the last), every block at most
 * CER_BLOCK_MAX bytes and hashing to its CID (a hash function we cannot
 * compute is refused too). A block repeated is kept once (as ipfs dag
 * import tolerates it). Time linear in the file's size. The blocks borrow
 * the file's bytes, which must outlive the cer_car. Free with cer_car_free. */
typedef struct cer_car {
    cer_cid *roots;             /* owned */
    size_t nroots;
    cer_car_block *blocks;      /* owned array; in file order, first copy of each */
    size_t nblocks;
    void *index;                /* owned: the blocks by CID */
} cer_car;

int cer_car_read(cer_car *out, const uint8_t *car, size_t len);
void cer_car_free(cer_car *c);
/* The block cid of c, or NULL. */
const cer_car_block *cer_car_get(const cer_car *c, const cer_cid *cid);
/* Writing: the header with roots, then each block, appended to out. The
 * bytes are those @ipld/car's CarWriter writes. */
int cer_car_put_header(cer_buf *out, const cer_cid *roots, size_t nroots);
int cer_car_put_block(cer_buf *out, const cer_cid *cid, const uint8_t *data, size_t len);
/* cer_car_put_block of the block cid, read from store. */
int cer_car_put_stored(cer_buf *out, cer_store *store, const cer_cid *cid);
/* A CAR with exactly one root: that root (-EINVAL for none or several). */
int cer_car_root(cer_cid *root, const uint8_t *car, size_t len);
/* Check a CAR (cer_car_read) and call fn for each block (fn may be NULL);
 * returns the number of blocks or a negative errno (fn's included). */
int cer_car_each(const uint8_t *car, size_t len,
                 int (*fn)(const cer_cid *cid, const uint8_t *data, size_t n, void *arg), void *arg);

/* ------------------------------------------------------------------ */
/* Stream state                                                         */
/* ------------------------------------------------------------------ */

enum { CER_COMMIT_GENESIS = 0, CER_COMMIT_SIGNED = 1, CER_COMMIT_ANCHOR = 2 };
enum { CER_SIG_GENESIS = 0, CER_SIG_PARTIAL = 1, CER_SIG_SIGNED = 2 };
enum {
    CER_ANCHOR_NOT_REQUESTED = 0,
    CER_ANCHOR_PENDING = 1,
    CER_ANCHOR_PROCESSING = 2,
    CER_ANCHOR_ANCHORED = 3,
    CER_ANCHOR_FAILED = 4,
    CER_ANCHOR_REPLACED = 5,
};
/* Name of an anchor status ("NOT_REQUESTED", ... as js-ceramic names it). */
const char *cer_anchor_status_name(int status);

/* What this node could establish about an anchor commit when the state
 * was built (see cer_node_set_anchor_check). Only a verified anchor counts:
 * it alone sets timestamps, makes the state ANCHORED and wins a fork. */
enum {
    CER_CHECK_NONE = 0,         /* not an anchor commit */
    CER_CHECK_UNVERIFIED = 1,   /* kept, not verified (yet): an eip155 anchor
                                   with no chain RPC configured or the chain
                                   unreachable; asked again when the chain
                                   can be asked (cer_node_recheck_anchors,
                                   the next load) */
    CER_CHECK_VERIFIED = 2,     /* the chain carries the root (the entry's
                                   timestamp is its block's time), or this
                                   node made the anchor itself */
    CER_CHECK_UNVERIFIED_FINAL = 3, /* kept, not verified, and no chain can
                                   say more here (another node's in-memory
                                   anchor); also named "unverified" */
};
/* "unverified" or "verified"; NULL for CER_CHECK_NONE or unknown values. */
const char *cer_anchor_check_name(int check);

/* One commit of a stream's log. */
typedef struct cer_log_entry {
    cer_cid cid;                /* the commit (envelope CID when signed) */
    int type;                   /* CER_COMMIT_* */
    char author[CER_DID_MAX];   /* signer of a signed commit, else "" */
    int64_t timestamp;          /* anchor time in seconds (of this commit's
                                   verified anchor or the next one), 0 when
                                   unknown or not verified */
    int check;                  /* anchor commits: CER_CHECK_* */
    bool has_cap;               /* signed by a session key under a CACAO ... */
    cer_cid cap;                /* ... this one (author is the session key) */
    int64_t expiration_time;    /* ... which expires then (seconds, js's
                                   expirationTime), 0 when it does not */
} cer_log_entry;

/* A stream's state, derived from its verified log. Free with
 * cer_state_free. content, metadata and the anchored_ pair are owned by
 * the state. */
typedef struct cer_state {
    cer_streamref id;           /* the StreamID */
    cJSON *content;             /* current content (after the tip) */
    cJSON *metadata;            /* current header: controllers, family, ... */
    /* A TileDocument with data commits after its last verified anchor (or
     * since its genesis): the content and metadata before them, which js
     * shows as state.content/metadata (and ours as state.next); NULL
     * otherwise. */
    cJSON *anchored_content;
    cJSON *anchored_metadata;
    int signature;              /* CER_SIG_* */
    int anchor_status;          /* CER_ANCHOR_*: ANCHORED only when the newest
                                   anchor commit is verified and the tip */
    bool has_proof;
    cer_anchor_proof proof;     /* the newest anchor's proof (verified or not) */
    size_t log_len;
    cer_log_entry *log;         /* oldest first; log[log_len - 1] is the tip */
} cer_state;

void cer_state_free(cer_state *st);
/* Deep copy; caller frees. */
int cer_state_copy(cer_state **out, const cer_state *st);
const cer_cid *cer_state_tip(const cer_state *st);

/* Build the state of stream id from its log ending at tip, fetching blocks
 * from store: walk prev back to the genesis (which must be id's genesis),
 * checking every block's CID and size, every signature against the
 * controller in force, id and prev links, header rules and anchor commits;
 * then apply the commits in order. If a commit fails a check, the state
 * stops before it: *out is the state up to the last valid commit, and the
 * return value is the (negative) error of the rejected commit, with its
 * reason in cer_errmsg() naming the commit. If nothing is valid (genesis
 * bad or missing) *out is NULL; so is it on -ENOMEM, which is no verdict on
 * any commit. Stream types: TileDocument, Model,
 * ModelInstanceDocument (the last two read-only; MID content is not
 * validated against its Model) and Caip10Link (read-only; eip155 account
 * proofs only, others -ENOTSUP); others fail with -ENOTSUP. */
int cer_state_load(cer_state **out, cer_store *store, const cer_streamref *id, const cer_cid *tip);
/* Apply one more commit whose prev is st's tip (no re-walk). On failure st
 * is unchanged. */
int cer_state_apply(cer_state *st, cer_store *store, const cer_cid *commit);
/* Conflict resolution: given another tip of the same stream, load its
 * branch (walking back to the first commit st's log shares), and keep
 * whichever log wins per js-ceramic's _pickLogToAccept on verified facts
 * only: a branch with a verified anchor beats one without, the earlier
 * verified anchor wins, else the longer log up to the first verified
 * anchor, then its tip byte-string quirk; and a branch shorter than ours
 * never replaces our commits unless its verified anchor is earlier.
 * (Anchors here are checked by nobody: unverified. See cer_node_*.)
 * Returns 1 when the other branch won (*st replaced), 0 when st stays. */
int cer_state_merge(cer_state **st, cer_store *store, const cer_cid *other_tip);

/* ------------------------------------------------------------------ */
/* js-ceramic's HTTP API: the JSON it speaks (jsapi.c)                  */
/* ------------------------------------------------------------------ */

/* The bodies of js-ceramic 2.44's HTTP API (@ceramicnetwork/cli's
 * ceramic-daemon.ts) as @ceramicnetwork/http-client 2.x sends and reads
 * them, byte for byte: no HTTP here, a server only moves these strings.
 * Every *_body function writes compact JSON as JSON.stringify does
 * (caller frees *out). What js answers where (tests/vectors/js-api/):
 *   GET  /api/v0/streams/:id (StreamID or CommitID)   cer_jsapi_stream_body
 *   POST /api/v0/streams        cer_jsapi_parse_create, then _stream_body
 *   POST /api/v0/commits        cer_jsapi_parse_apply, _stream_body(DOCID)
 *   GET  /api/v0/streams/:id/content                  cer_jsapi_content_body
 *   GET  /api/v0/commits/:id    cer_jsapi_commits_body
 *   POST /api/v0/multiqueries   cer_jsapi_parse_multiquery, _multiquery_body
 *   POST /api/v0/streams/:id/anchor                   cer_jsapi_anchor_body
 *   GET  /api/v0/node/chains    cer_jsapi_chains_body
 *   GET  /api/v0/node/healthcheck   200 CER_JSAPI_ALIVE (CER_JSAPI_TEXT_TYPE),
 *                               503 CER_JSAPI_NO_IPFS
 *   GET  /api/v0/admin/pins[/:id]   cer_jsapi_pins_body
 *   POST|DELETE /api/v0/admin/pins/:id               cer_jsapi_pin_body
 * JSON bodies are CER_JSAPI_JSON_TYPE. A failure is
 * cer_jsapi_error_body with status CER_JSAPI_STATUS_FAILED: js answers 500
 * for whatever a handler throws, malformed JSON, oversize bodies and bad
 * StreamIDs included; 400 for the legacy /api/v0/pins and what a read-only
 * gateway refuses; 401 for the admin API without a valid authorization;
 * an unknown route gets express's 404 HTML page ("Cannot GET /path"). */
#define CER_JSAPI_BODY_MAX (1024 * 1024)   /* express.json({limit: '1mb'}) */
#define CER_JSAPI_JSON_TYPE "application/json; charset=utf-8"
#define CER_JSAPI_TEXT_TYPE "text/html; charset=utf-8"
#define CER_JSAPI_ALIVE "Alive!"
#define CER_JSAPI_NO_IPFS "IPFS unreachable"  /* with status 503 */
#define CER_JSAPI_STATUS_FAILED 500
#define CER_JSAPI_STATUS_UNSUPPORTED 400
#define CER_JSAPI_STATUS_UNAUTHORIZED 401
#define CER_JSAPI_TIMEOUT_MS 7000          /* multiQuery's default timeout */

/* StreamUtils.serializeState(state) of @ceramicnetwork/common 2.39: in
 * js's key order {type, content, metadata, signature, anchorStatus (its
 * name), log [{cid, type, expirationTime?, timestamp?}], anchorProof? {root, txHash,
 * txType?, chainId, ...} (the proof block's keys in DAG-CBOR order, CIDs as
 * strings), next? {content, metadata}, doctype}. content and metadata are
 * js's: those at the last verified anchor when data commits follow it
 * (st->anchored_*), the current ones then being next. An anchor commit this
 * node could not verify is in the log (it is the tip's ancestor) with no
 * timestamp, and moves nothing. A CACAO-signed commit's entry has
 * expirationTime, its CACAO's exp, after type. Caller frees *out. */
int cer_jsapi_state(cJSON **out, const cer_state *st);
/* {"streamId", "state"}; with CER_JSAPI_DOCID {"streamId", "docId",
 * "state"} (what POST /api/v0/commits answers). The StreamID is st's, also
 * for a CommitID load. */
#define CER_JSAPI_DOCID 0x1
int cer_jsapi_stream_body(char **out, const cer_state *st, unsigned flags);
/* The stream's content as the client's stream.content reads it: the
 * current content (js's next.content when there is one). */
int cer_jsapi_content_body(char **out, const cer_state *st);
/* {"streamId", "docId", "commits": [{cid, value}]} for st's log, each
 * commit read from store as StreamUtils.serializeCommit shows it: a signed
 * commit {jws: {payload, signatures: [{signature, header?, protected}],
 * link}, linkedBlock: base64 of its payload}; another commit its DAG-CBOR
 * map with id, prev and proof as CID strings. */
int cer_jsapi_commits_body(char **out, cer_store *store, const cer_state *st);
/* {"error": message} */
int cer_jsapi_error_body(char **out, const char *message);
/* {"pinnedStreamIds": [...], "pinnedDocIds": [...]}, the StreamIDs sorted as
 * js lists them */
int cer_jsapi_pins_body(char **out, const cer_streamref *ids, size_t n);
/* {"streamId", "docId", "isPinned"} */
int cer_jsapi_pin_body(char **out, const cer_streamref *id, bool pinned);
/* {"streamId", "anchorStatus": n} (the status as its number) */
int cer_jsapi_anchor_body(char **out, const cer_streamref *id, int anchor_status);
/* {"supportedChains": [...]} */
int cer_jsapi_chains_body(char **out, const char *const *chains, size_t n);

/* The write options of a request body ("opts", or the legacy "docOpts"):
 * each field as sent, -1 when absent. sync: SyncOptions (0 PREFER_CACHE,
 * 1 SYNC_ALWAYS, 2 NEVER_SYNC, 3 SYNC_ON_ERROR); the legacy boolean reads
 * as SYNC_ALWAYS (true) or PREFER_CACHE. Other members are ignored, as js
 * ignores what it does not know. */
typedef struct cer_jsapi_opts {
    int anchor, publish, pin;
    int sync;
    int64_t sync_timeout_s;     /* syncTimeoutSeconds */
} cer_jsapi_opts;

/* A POST /api/v0/streams or /api/v0/commits body, checked and decoded:
 * the commit's blocks rebuilt from StreamUtils.serializeCommit's form and
 * hashed (a signed commit: the DAG-JOSE envelope from jws.payload and
 * jws.signatures, its payload from linkedBlock, which must hash to
 * jws.link; an unsigned one: its DAG-CBOR, with id/prev/proof strings as
 * links and header.model base64 as bytes). Nothing is verified beyond the
 * form: signatures and stream rules are the node's. */
typedef struct cer_jsapi_request {
    uint64_t type;              /* create: the stream type ("type") */
    cer_streamref id;           /* apply: the stream ("streamId" or "docId") */
    cer_commit_blocks commit;   /* the genesis (create) or the commit (apply) */
    cer_buf cacao;              /* the CACAO block a CACAO-signed commit carries
                                   ("cacaoBlock"; bytes as sent), else empty */
    cer_jsapi_opts opts;
} cer_jsapi_request;
void cer_jsapi_request_free(cer_jsapi_request *r);
/* Parse body[0..len): -EFBIG over CER_JSAPI_BODY_MAX ("request entity too
 * large") or a block over CER_BLOCK_MAX, -EINVAL with the reason for bad
 * JSON, a missing or mistyped field, a bad StreamID, malformed base64, a
 * JWS whose payload is not a CID ("Not a valid DagJWS", js's words), a
 * linkedBlock that is not DAG-CBOR or not jws.link's block. Time linear in
 * len. On failure *out is empty. */
int cer_jsapi_parse_create(cer_jsapi_request *out, const char *body, size_t len);
int cer_jsapi_parse_apply(cer_jsapi_request *out, const char *body, size_t len);

/* One query of POST /api/v0/multiqueries. */
typedef struct cer_jsapi_query {
    cer_streamref ref;          /* StreamID or CommitID ("streamId" or "docId") */
    char **paths;               /* "paths", owned */
    size_t npaths;
    bool has_at_time;
    int64_t at_time;            /* "atTime" (or opts.atTime): seconds, as anchor times */
    bool has_genesis;           /* "genesis": the stream's genesis commit, which js
                                   creates the stream from when it does not have it */
    cer_commit_blocks genesis;
} cer_jsapi_query;
typedef struct cer_jsapi_multiquery {
    cer_jsapi_query *queries;   /* owned */
    size_t nqueries;
    int64_t timeout_ms;         /* "timeout"; CER_JSAPI_TIMEOUT_MS when absent */
} cer_jsapi_multiquery;
void cer_jsapi_multiquery_free(cer_jsapi_multiquery *mq);
int cer_jsapi_parse_multiquery(cer_jsapi_multiquery *out, const char *body, size_t len);
/* The answer, as core's multiQuery builds it: for each query in order,
 * its stream, then along each path (segments split at '/', a leading '/'
 * dropped, shared prefixes walked once) the streams whose StreamIDs the
 * content holds under those keys; each keyed by the StreamID or CommitID
 * asked (an atTime query: the CommitID of the state's tip), a key seen
 * again keeping its first place and taking the later state. load gives a
 * stream's state for ref (query->at_time applies when set; the caller
 * frees it) or a negative errno, which leaves that stream (and what its
 * paths lead to) out, as js leaves out what fails or times out. */
typedef int (*cer_jsapi_load_fn)(void *arg, cer_state **out, const cer_streamref *ref,
                                 const cer_jsapi_query *query);
int cer_jsapi_multiquery_body(char **out, const cer_jsapi_multiquery *mq, cer_jsapi_load_fn load, void *arg);

/* js-ceramic's readings of a state that a loader needs:
 * commit_at_time, the commit an atTime load resolves to (the last anchor
 * commit whose time is at most t, else the genesis); copy_times, what a
 * CommitID load shows: at (the state at a commit of full's log) takes the
 * anchor times full's log gives the same commits. */
void cer_jsapi_commit_at_time(cer_cid *out, const cer_state *st, int64_t t);
void cer_jsapi_copy_times(cer_state *at, const cer_state *full);

/* ------------------------------------------------------------------ */
/* The node                                                             */
/* ------------------------------------------------------------------ */

typedef struct cer_node cer_node;

typedef struct cer_node_opts {
    const char *state_dir;      /* blocks/, streams/, key live here */
    const char *network;        /* inmemory|local|dev-unstable|testnet-clay|mainnet
                                   (the sync's, which decides which anchor chains
                                   count: cer_network_accepts_chain), kept in the
                                   state directory; NULL: the kept one, else inmemory */
    const cer_key *key;         /* signing key; NULL: state_dir/key, created on first use
                                 * (CER_STORE_RDONLY: read if there, else none) */
    unsigned store_flags;       /* CER_STORE_* */
} cer_node_opts;

/* Open a node on a state directory (created if needed). One process at a
 * time: -EBUSY when another keeps it for more than a few seconds. With
 * CER_STORE_RDONLY the directory must hold a node (-ENOENT), readers
 * share it, and whatever changes the node fails with -EROFS. */
int cer_node_open(cer_node **out, const cer_node_opts *opts);
void cer_node_close(cer_node *node);
/* At most n stream states are kept in memory (default
 * CER_NODE_RESIDENT_DEFAULT; 0 counts as 1): past it the least recently
 * used one not being changed is dropped and loaded again (from its cache
 * file) on its next use. cer_node_resident: how many are held now. */
#define CER_NODE_RESIDENT_DEFAULT 4096
void cer_node_set_max_resident(cer_node *node, size_t n);
size_t cer_node_resident(cer_node *node);
/* What open found damaged in the state directory and left aside (a stream
 * record or a journal line that does not parse: the stream is then not
 * known here until it is repaired; the file stays), one message each,
 * oldest first; borrowed, valid until close. Each is also a "registry"
 * event (cer_node_event). */
const char *const *cer_node_warnings(const cer_node *node, size_t *count);
/* How the node loads a stream it does not have from the network, for the
 * 3ID document a did:3 signer names (the sync layer sets it; 0 or a
 * negative errno with a reason). NULL fn: none. Setting waits for the
 * calls in flight, so the old arg may be freed after. */
typedef int (*cer_node_fetch_fn)(void *arg, const cer_streamref *id);
void cer_node_set_fetch(cer_node *node, cer_node_fetch_fn fn, void *arg);

/* The DID this node writes as (borrowed, valid until close): its key's
 * did:key, or the did:pkh of its account (cer_node_set_account). */
const char *cer_node_did(const cer_node *node);

/* Writing as an Ethereum account (did:pkh) through a CACAO session, as
 * js-did's DIDSession with pkh-ethereum's EthereumNodeAuth does: the
 * account's key signs a Sign-In-With-Ethereum message that delegates to
 * a fresh ed25519 session key for lifetime_s seconds and resources; the
 * CACAO is stored as a block and the session key signs the commits
 * (cap in their JWS headers); a session is renewed when less than a
 * quarter of its lifetime is left. Kept in the state directory
 * (account: the settings and the key file's path; session: the session
 * key, mode 0600), so every command and the mount write as the account. */
typedef struct cer_account_opts {
    const char *eth_key_file;          /* the account's secret (a key file, mode 0600) */
    const char *chain;                 /* EIP-155 chain id; NULL: "1" */
    int64_t lifetime_s;                /* 0: 7 days (pkh-ethereum's default) */
    const char *const *resources;      /* NULL: all streams ("ceramic://" "*") */
    size_t nresources;
    /* Or a session a wallet made, used as given (never renewed; writes
     * are refused past its exp): session_file, a serialized DIDSession
     * (did-session), or cacao_file (DAG-CBOR block or JSON) and
     * session_key_file. Checked first: signature, aud = the session key,
     * Ceramic resources, not expired. */
    const char *session_file;
    const char *cacao_file;
    const char *session_key_file;
} cer_account_opts;
/* Write as the account of o from now on (a session is made at once), or
 * as the node's did:key again when o is NULL. */
int cer_node_set_account(cer_node *node, const cer_account_opts *o);
/* {"did", "key"} for a did:key node; for an account also "session" (its
 * did:key), "capability" (the CACAO's CID), "expires", "chain",
 * "resources", "keyFile". Caller frees. */
int cer_node_account(cer_node *node, cJSON **out);
/* A compact JWS "protected.payload.signature" of payload signed with the
 * node's key (its type's alg, kid its did:key); caller frees *out. */
int cer_node_sign_jws(cer_node *node, char **out, const uint8_t *payload, size_t len);
/* The node's block store (borrowed). */
cer_store *cer_node_store(cer_node *node);

/* Create a TileDocument: header as cer_tile_genesis takes it (a random
 * unique is added unless header has "unique" or deterministic is set),
 * content NULL or JSON. The stream is pinned. */
#define CER_CREATE_DETERMINISTIC 0x1
int cer_node_create(cer_node *node, cer_streamref *out, const cJSON *header, const cJSON *content,
                    unsigned flags);
/* Create a Model from its definition (cer_model_genesis; the node's key
 * is its controller). Pinned. */
int cer_node_create_model(cer_node *node, cer_streamref *out, const cJSON *def);
/* Create a ModelInstanceDocument of model, which the node must have
 * (-ENOENT otherwise; not an interface), with content checked by
 * cer_mid_content_check: for accountRelation list a signed genesis with a
 * random unique; for single the deterministic genesis of this node's DID
 * (the same document on every call), then, content not NULL, an update to
 * it as cer_node_update. Other account relations: -ENOTSUP. Pinned. */
int cer_node_create_mid(cer_node *node, cer_streamref *out, const cer_streamref *model, const cJSON *content);
/* Update a stream (a TileDocument or a ModelInstanceDocument) to new
 * content: diff against the current content, sign the patch, store, move
 * the tip; a MID's content is checked against its Model (which the node
 * must have) first. An empty diff makes no commit (returns 0 and leaves
 * the tip). -EPERM when this node's key is not the controller. */
int cer_node_update(cer_node *node, const cer_streamref *id, const cJSON *content);
/* The same, only if the stream's tip is still base (else -ESTALE and
 * nothing changes): the check and the commit are one step, so a caller
 * that edited a copy of base's content never publishes on a stale tip. */
int cer_node_update_if(cer_node *node, const cer_streamref *id, const cer_cid *base,
                       const cJSON *content);

/* What a save did (cer_node_save). */
enum {
    CER_SAVE_REFUSED = 0,   /* nothing changed: err and reason say why */
    CER_SAVE_COMMITTED,     /* one signed commit (or the genesis) of the content given */
    CER_SAVE_UNCHANGED,     /* the content is the tip's already: no commit */
    CER_SAVE_REBASED,       /* the tip had moved since base_tip with other content:
                               the edit (base_tip's content -> the content given)
                               was applied to the tip and committed (no commit when
                               the tip had the edit already); the stream's content
                               is not exactly the content given */
};

typedef struct cer_save_result {
    int status;                 /* CER_SAVE_* */
    cer_streamref id;           /* the stream (for a genesis, the new one) */
    cer_cid tip;                /* its tip after the save (not when refused) */
    int err;                    /* refused: the negative errno returned */
    char reason[512];           /* refused: why, one line (cer_errmsg()) */
    char detail[256];           /* refused by a Model's schema (reason is js's
                                   "Validation Error: ..."): each failure as Ajv
                                   names it, "instancePath /title, keyword type"
                                   ("; " between); "" otherwise */
} cer_save_result;

/* A save: the content a user edited, as JSON text, becomes the stream's
 * content in one step (the mount's commit points, the CLI's update and the
 * HTTP API all save through this). json[0..len) need not be
 * NUL-terminated; it must be one JSON object (dag-json integers kept
 * exact: CER_JSON_EXACT_INTS) of at most CER_BLOCK_MAX bytes. base_tip
 * is the tip the edit was made from: when the stream has moved on since
 * (a remote update) and its content changed, the edit's JSON Patch is
 * applied to the new tip instead (a rebase, under the stream's write
 * lock: never a commit on a stale tip); NULL takes the tip as it is. id
 * NULL makes a new TileDocument (its genesis holds the content, pinned;
 * base_tip is ignored). Returns 0 (committed, unchanged or rebased) or a
 * negative errno with out->status CER_SAVE_REFUSED, out->err and
 * out->reason set, and nothing changed:
 *   -EINVAL   not JSON, or not an object ("not valid JSON: ...")
 *   -EFBIG    over CER_BLOCK_MAX, or its commit would be
 *   -ESTALE   the tip moved and the edit does not apply to it (a
 *             conflict: the caller keeps the edit; nothing is recorded as
 *             a lost branch, since nothing was committed)
 *   -EPERM    this node's key is not the controller
 *   -ENOTSUP  not a TileDocument; -EROFS a read-only node
 *   other     a passing cause (-EIO, -ENOSPC, -ENOMEM, ...): the same save
 *             may succeed later (a rebase's failure to read base_tip's
 *             content is one: "rebase failed: ...") */
int cer_node_save(cer_node *node, const cer_streamref *id, const char *json, size_t len,
                  const cer_cid *base_tip, cer_save_result *out);
/* A save that makes a new ModelInstanceDocument of model (the first save
 * of a document made in the mount's folder of a Model): as cer_node_save
 * with id NULL, the content checked and the document made as
 * cer_node_create_mid makes it (list: a signed genesis holding the
 * content; single: this node's one document, then the content as its
 * first update). Refusals as cer_node_save's, and -ENOENT (the node has
 * not the Model), -ENOTSUP (an account relation other than list and
 * single). */
int cer_node_save_mid(cer_node *node, const cer_streamref *model, const char *json, size_t len,
                      cer_save_result *out);
/* What a new document of Model model is on this node: 0 a new document
 * each time (accountRelation list); 1 the one document of this node's DID
 * (single), whose StreamID is put in *single, made or not; or a negative
 * errno as cer_node_create_mid refuses (-ENOENT, -EINVAL an interface,
 * -ENOTSUP). */
int cer_node_mid_target(cer_node *node, const cer_streamref *model, cer_streamref *single);
/* The Model of ModelInstanceDocument id (its genesis header's, which
 * never changes), read from its genesis commit alone. */
int cer_node_mid_model(cer_node *node, const cer_streamref *id, cer_streamref *model);
/* A copy of a stream's current state (caller frees): from the cache, or
 * loaded from the store. -ENOENT when the node has no tip for it. */
int cer_node_state(cer_node *node, cer_state **out, const cer_streamref *id);
/* Whether this node's key may update stream id: 1 for a TileDocument or
 * a ModelInstanceDocument whose controller is cer_node_did(node), 0
 * otherwise, or a negative errno when the stream cannot be loaded. tip
 * (may be NULL) gets the tip the answer is for. Costs no copy of the
 * state. */
int cer_node_controls(cer_node *node, const cer_streamref *id, cer_cid *tip);
/* Learn a (possibly remote) tip: verify and apply or merge. Returns 1 when
 * the tip moved, 0 when not. */
int cer_node_learn_tip(cer_node *node, const cer_streamref *id, const cer_cid *tip);
/* The same for a commit this node made by other means (its own anchor
 * commits): journaled as unpublished and reported to listeners as
 * CER_CHANGE_LOCAL, so the sync publishes it like an update. */
int cer_node_apply_own(cer_node *node, const cer_streamref *id, const cer_cid *tip);
/* The same with an app's write options (js's opts.publish and opts.anchor
 * false): NO_PUBLISH, not journaled (the sync never publishes it);
 * NO_ANCHOR, reported with CER_CHANGE_NO_ANCHOR (no anchor requested). */
#define CER_APPLY_NO_PUBLISH 0x1
#define CER_APPLY_NO_ANCHOR 0x2
int cer_node_apply_own_opts(cer_node *node, const cer_streamref *id, const cer_cid *tip, unsigned flags);
/* Re-check a stream's whole log and every block it references. */
int cer_node_verify(cer_node *node, const cer_streamref *id);
/* Re-check every block in the store against its CID; fn (may be NULL) is
 * called for each bad one with the error. Returns the number of bad
 * blocks, or a negative errno when the store cannot be read. */
int cer_node_verify_blocks(cer_node *node, void (*fn)(const cer_cid *cid, int err, void *arg), void *arg);

int cer_node_pin(cer_node *node, const cer_streamref *id, bool pinned);
/* Set (alias non-NULL) or clear a stream's local alias: [A-Za-z0-9._-],
 * 1..64 characters, not starting with '.', not itself a StreamID, unique
 * within the node (-EEXIST). */
int cer_node_alias(cer_node *node, const cer_streamref *id, const char *alias);
/* 0 when alias would be a valid alias (the rules above, uniqueness
 * aside); -EINVAL with the reason otherwise. */
int cer_node_alias_check(const char *alias);
/* Resolve an alias or a StreamID string. */
int cer_node_resolve(cer_node *node, cer_streamref *out, const char *alias_or_id);

/* One stream as the node lists it. */
typedef struct cer_stream_info {
    cer_streamref id;
    cer_cid tip;
    bool pinned;
    char alias[65];
    int64_t tip_time_ms;        /* when this node first had this tip (ms since
                                   the epoch); kept across restarts, moves only
                                   with the tip */
} cer_stream_info;

/* The registry's view of one stream (tip, pin, alias, tip time); -ENOENT
 * when the node has no record of it. Never waits on I/O. */
int cer_node_info(cer_node *node, const cer_streamref *id, cer_stream_info *out);

/* Call fn for every stream the node knows (pinned or not), in no set
 * order; stops early when fn returns non-zero and returns that. */
int cer_node_list(cer_node *node, int (*fn)(const cer_stream_info *info, void *arg), void *arg);

/* Streams as CAR files (carstream.c). Export: a CAR v1 whose root is
 * id's tip and whose blocks are every block the stream's verification
 * reads (commits, signed payloads, anchor proofs, the Merkle nodes on each
 * anchor's path, CACAOs, 3ID documents), each once; appended to out. The
 * tips of the 3ID documents its did:3 signers name are roots before it
 * (import loads them first). */
int cer_node_export_car(cer_node *node, const cer_streamref *id, cer_buf *out);
/* What became of one root of an imported CAR. */
typedef struct cer_car_result {
    cer_cid root;               /* the CAR's root */
    cer_streamref id;           /* its stream (zero when it names none) */
    bool loaded;                /* the node has the stream now, at tip */
    cer_cid tip;
    int err;                    /* 0, or why (a rejected commit, a missing block) */
    char why[512];
} cer_car_result;
/* Import: the CAR is checked whole first (cer_car_read; a malformed file
 * is a negative errno and changes nothing). Then each root is the tip of
 * a stream (a genesis: a new stream at its genesis), loaded from the CAR's
 * blocks (then the node's) and verified; the blocks of its valid part are
 * stored and its last valid commit learned as cer_node_learn_tip learns a
 * tip from the network. A bad genesis loads nothing; a bad later commit
 * leaves the stream at the commit before it, with err and why naming it.
 * fn (may be NULL) hears of each root. Returns how many roots failed. */
int cer_node_import_car(cer_node *node, const uint8_t *car, size_t len,
                        void (*fn)(void *arg, const cer_car_result *r), void *arg);

/* One commit of a stream's log, read from the store, as the mount's .log
 * and .anchors show it (caller frees *out):
 *   {"cid", "type": "genesis"|"signed"|"anchor", "prev"?: cid,
 *    "header"?: {...} (genesis), "data"?: genesis
 *    content or update patch, "proof"?: cid, "path"?: "0/1...",
 *    "chainId"?, "root"?: cid, "txHash"?: cid, "txType"?,
 *    "blockTimestamp"?: seconds}  (the last five from the proof block).
 * Signatures are not re-checked here (the log they come from was; its
 * cer_log_entry has the author). */
int cer_node_commit_describe(cer_node *node, const cer_cid *cid, cJSON **out);

/* A branch the stream lost: a tip this node had that a merge replaced
 * (another branch won the conflict resolution, cer_state_merge), or that
 * went with an anchor the chain rejected, dropping commits from its log,
 * at least one of them a data commit. The node records each one durably
 * before it takes the new tip, with an event of kind "conflict"; their
 * blocks stay in the store. */
typedef struct cer_lost_branch {
    unsigned n;                 /* its number in the stream, from 1, never reused */
    cer_cid tip;                /* the tip that was dropped */
    cer_cid replaced_by;        /* the tip that replaced it */
    int64_t time_ms;            /* when (ms since the epoch) */
    size_t dropped;             /* commits dropped from the log */
    cJSON *content;             /* the content at tip (owned) */
} cer_lost_branch;
/* Lost branches kept per stream (the oldest go first; fewer when their
 * content is large, never fewer than the newest). */
#define CER_LOST_MAX 16
/* The lost branches of stream id, oldest first (*out NULL and *count 0
 * when none); free with cer_lost_branches_free. -EBADMSG when the node's
 * file of them is damaged (it is left as it is, and while it is, a merge
 * that would lose another branch is refused). */
int cer_node_lost_branches(cer_node *node, const cer_streamref *id, cer_lost_branch **out, size_t *count);
void cer_lost_branches_free(cer_lost_branch *b, size_t count);

/* Commits made here and not yet published (the registry's journal):
 * fn is called for each, oldest first (a snapshot, no lock held); stops
 * when fn returns non-zero and returns that. An entry whose commit is not
 * in its stream's log (left by a crash before the commit was recorded, or
 * lost to another branch) is skipped and dropped, with a "journal" event.
 * It takes each journaled stream's writer lock (and may load the stream):
 * never call it holding one, nor from a listener. */
int cer_node_unpublished(cer_node *node, int (*fn)(const cer_streamref *id, const cer_cid *tip, void *arg),
                         void *arg);
/* Mark one published (durable); -ENOENT when it was not pending. */
int cer_node_published(cer_node *node, const cer_streamref *id, const cer_cid *tip);

/* ---- listeners, events, status (what the mount, sync and anchoring share) ---- */

/* A stream's tip moved: flags CER_CHANGE_LOCAL when this node made the
 * commit (create, update), 0 when it learned it (learn_tip, anchors).
 * Listeners run on the thread that made the change, after the new state is
 * visible to cer_node_state and with no node lock held; they must not
 * block for long (queue work for another thread instead). */
#define CER_CHANGE_LOCAL 0x1
/* ... and no anchor is to be requested for it (an app's opts.anchor false) */
#define CER_CHANGE_NO_ANCHOR 0x2
typedef void (*cer_node_listener)(void *arg, const cer_streamref *id, const cer_cid *tip,
                                  unsigned flags);
/* Register a listener (at most CER_NODE_LISTENERS_MAX; -ENOSPC beyond).
 * Register before other threads use the node; listeners stay until close. */
#define CER_NODE_LISTENERS_MAX 8
int cer_node_listen(cer_node *node, cer_node_listener fn, void *arg);

/* Events are what users must be told about and cannot be told through an
 * errno: rejected saves, dropped or hostile messages, failed anchors,
 * blocks that fail their checks. The node keeps the last
 * CER_NODE_EVENTS_MAX of them (for .errors) and a count per kind (for
 * .status). kind is a short lower-case word ("save", "pubsub", "block",
 * "anchor", ...), id the stream concerned or NULL. Thread-safe. */
#define CER_NODE_EVENTS_MAX 256
void cer_node_event(cer_node *node, const char *kind, const cer_streamref *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The retained events, oldest first, as JSON Lines
 * {"time":"<ISO 8601>","kind":...,"stream":...|null,"message":...};
 * *out is NUL-terminated, *len its length; caller frees. */
int cer_node_events(cer_node *node, char **out, size_t *len);
/* Keep events across opens in STATE/events (JSON Lines, the last
 * 2 × CER_NODE_EVENTS_MAX at most): the kept ones are loaded now, older
 * than any of this open, and with write each new one is appended (a write
 * that fails, a full disk, leaves it in memory only). The mount calls it;
 * commands that only read do not. 0, or -errno when the file cannot be
 * read (or, with write, opened): events then stay in memory. */
int cer_node_events_keep(cer_node *node, bool write);
/* An event hook (syslog, stderr): called with each event as its JSON line
 * (no newline) after it is recorded, with no node lock held. One hook; a
 * second call replaces it; NULL removes it. */
void cer_node_on_event(cer_node *node, void (*fn)(void *arg, const char *kind, const char *line),
                       void *arg);
/* A state load under way: commits fetched (read from the tip back) and
 * verified (applied, the genesis included) so far, of total (the commits
 * to apply; 0 while fetching), the time since it began and the commits a
 * second of its current phase. done: the load is over (the last call). */
typedef struct cer_load_progress {
    cer_streamref id;
    size_t fetched, verified, total;
    int64_t elapsed_ms;
    double rate;
    bool done;
} cer_load_progress;
/* A progress hook (the CLI's progress line): called in the loading thread,
 * no node lock held, as a state load that has run after_ms (< 0: 200) goes
 * on, at most every 200 ms and at the end of its fetching and verifying,
 * and once with done set when it ends. Those loads are listed in .status
 * ("loads") while they run; one that took over 2 s is logged as a "load"
 * event. One hook; a second call replaces it; NULL removes it. */
void cer_node_on_load(cer_node *node, int after_ms, void (*fn)(void *arg, const cer_load_progress *p), void *arg);
/* Add delta to the named counter (created at 0); names are short words. */
void cer_node_count(cer_node *node, const char *name, int64_t delta);
/* A status section: fn fills *out with a fresh JSON value (caller of fn
 * frees it) describing one component (e.g. "ipfs", "anchor"). At most
 * CER_NODE_LISTENERS_MAX; register before other threads use the node. */
int cer_node_status_section(cer_node *node, const char *name, int (*fn)(cJSON **out, void *arg),
                            void *arg);
/* The node's status (caller frees): {"did", "streams", "pinned",
 * "unpublished" (journal entries), "counters": {kind or name: n}, and one
 * member per status section}. */
int cer_node_status(cer_node *node, cJSON **out);

/* ------------------------------------------------------------------ */
/* IPFS and sync: the HTTP RPC client, the IPFS-backed store, pubsub    */
/* ------------------------------------------------------------------ */

/* An IPFS HTTP RPC client (kubo-compatible /api/v0, as kubo and js-ipfs
 * 0.66 serve it). Every call is a POST with a timeout; a daemon's error
 * reply comes back as a negative errno with the daemon's "Message" in
 * cer_errmsg(). Every block read is checked against its CID on arrival.
 * Connections are reused (a small pool of curl handles); a client is
 * thread-safe. */
typedef struct cer_ipfs cer_ipfs;

typedef struct cer_ipfs_opts {
    const char *url;            /* "http://127.0.0.1:5001" (…/api/v0 optional) */
    int timeout_ms;             /* per call; 0: 10000 */
    int block_timeout_ms;       /* block/get wait for a missing block; 0: 5000 */
    const char *codec_param;    /* block/put codec parameter: "format" (js-ipfs,
                                   default) or "cid-codec" (kubo >= 0.13) */
} cer_ipfs_opts;

int cer_ipfs_open(cer_ipfs **out, const cer_ipfs_opts *opts);
void cer_ipfs_close(cer_ipfs *c);
/* The API base URL, ".../api/v0" (borrowed). */
const char *cer_ipfs_url(const cer_ipfs *c);
/* The daemon's peer ID (id) and version (version) into out. */
int cer_ipfs_id(cer_ipfs *c, char *out, size_t cap);
int cer_ipfs_version(cer_ipfs *c, char *out, size_t cap);
/* block/put: the CID the daemon returns must equal cid (-EBADMSG if not). */
int cer_ipfs_block_put(cer_ipfs *c, const cer_cid *cid, const uint8_t *data, size_t len);
/* block/get into out (replacing it), with timeout= (ms; 0: the client's
 * block timeout); -ETIMEDOUT when the daemon cannot find it in time,
 * -EBADMSG when the bytes do not hash to cid, -EFBIG over CER_BLOCK_MAX. */
int cer_ipfs_block_get(cer_ipfs *c, const cer_cid *cid, cer_buf *out, int timeout_ms);
/* pubsub/pub: topic is the plain topic (encoded "u"+b64url here). */
int cer_ipfs_pub(cer_ipfs *c, const char *topic, const uint8_t *data, size_t len);

/* One message of a pubsub subscription (borrowed during the callback). */
typedef struct cer_ipfs_msg {
    char from[128];             /* sender's peer ID; "" for unsigned messages */
    const uint8_t *data;        /* decoded payload */
    size_t len;
    uint8_t seqno[32];
    size_t seqno_len;
} cer_ipfs_msg;

/* Events of a subscription: SUB_READY when the daemon confirmed it (first
 * line), SUB_MSG with a message, SUB_BAD with a line that was dropped
 * (err < 0, reason in cer_errmsg(); msg NULL). Return non-zero to end the
 * subscription. */
enum { CER_IPFS_SUB_READY = 0, CER_IPFS_SUB_MSG = 1, CER_IPFS_SUB_BAD = 2 };
typedef int (*cer_ipfs_sub_fn)(void *arg, int event, const cer_ipfs_msg *msg, int err);
/* pubsub/sub: streams NDJSON on the calling thread until fn returns
 * non-zero, *stop becomes non-zero (checked at least once a second), or
 * the connection ends. Lines over CER_IPFS_LINE_MAX are dropped unparsed.
 * Returns 0 when stopped (by fn or *stop), else a negative errno (the
 * stream ended or failed); the caller re-subscribes. */
#define CER_IPFS_LINE_MAX (2 * CER_MSG_MAX)
int cer_ipfs_sub(cer_ipfs *c, const char *topic, cer_ipfs_sub_fn fn, void *arg, const volatile int *stop);
/* Fault injection (tests): the nth HTTP call made from now on (1-based)
 * fails with -EIO before it is sent; nth <= 0 disarms. Returns the number
 * of HTTP calls made so far. */
void cer_ipfs_fail_at(cer_ipfs *c, long nth);
long cer_ipfs_call_count(cer_ipfs *c);

/* The IPFS-backed store: a put goes to local and returns; a writer thread
 * writes the block through to IPFS after, in the order of the puts, from
 * a bounded queue (a block that finds it full is not queued: local is the
 * truth, and the sync layer pushes a commit's blocks before it announces
 * it). Gets come from local, else from IPFS (CID checked, then kept in
 * local). has and each answer for local only. After a failed
 * write-through the writer pauses (a second, doubling) so a dead daemon is
 * not asked for every block. Closing finishes the queue while the daemon
 * answers, for up to 5 s. On success it owns local and ipfs (closed with
 * it); after a failure they are still the caller's. */
int cer_store_open_ipfs(cer_store **out, cer_store *local, cer_ipfs *ipfs);
/* The IPFS client of an IPFS-backed store, NULL for any other store. */
cer_ipfs *cer_store_ipfs(cer_store *s);
/* Put a block in the local store only (checked as cer_store_put does), to
 * be written through later with cer_store_push; for a store that is not
 * IPFS-backed, the same as cer_store_put. */
int cer_store_put_local(cer_store *s, const cer_cid *cid, const uint8_t *data, size_t len);
/* Write a locally held block through to IPFS now, on the caller's thread;
 * a no-op for a block this store wrote through a moment ago (among its
 * last 1024 writes); waits when the writer is writing that block. */
int cer_store_push(cer_store *s, const cer_cid *cid);
/* Wait up to timeout_ms until the writer has nothing queued; -ETIMEDOUT
 * when it still has. 0 at once for a store that is not IPFS-backed. */
int cer_store_ipfs_settle(cer_store *s, int timeout_ms);
/* Counters of an IPFS-backed store (0 for other stores): blocks fetched
 * and written through, and failed; skipped: puts that found the writer's
 * queue full; queued: blocks waiting for the writer, the oldest put at
 * oldest_at_ms (wall clock, ms since the epoch; 0 when none). */
typedef struct cer_store_ipfs_stats {
    int64_t fetched, fetch_failed, written, write_failed, skipped, queued, oldest_at_ms;
} cer_store_ipfs_stats;
void cer_store_ipfs_stats_get(cer_store *s, cer_store_ipfs_stats *out);

/* Put the node's store behind IPFS (cer_store_open_ipfs over the node's
 * own store). Call right after cer_node_open, before other threads use the
 * node; the client is opened here and closed with the node. */
int cer_node_attach_ipfs(cer_node *node, const cer_ipfs_opts *opts);
/* Remove a listener registered with cer_node_listen (same fn and arg);
 * -ENOENT when not registered. When it returns, fn is not running and will
 * not be called again. */
int cer_node_unlisten(cer_node *node, cer_node_listener fn, void *arg);
/* Remove a status section by name (-ENOENT when none); when it returns its
 * fn is not running. Neither remove call may be made from a listener or a
 * section function. */
int cer_node_unsection(cer_node *node, const char *name);

/* The Ceramic pubsub protocol (core/README.md, "Pubsub") for one node, on its
 * network's topic: publishes an UPDATE for every commit in the node's
 * journal (at start, on each local change, and again after a failure, with
 * backoff), answers QUERY for streams the node has, learns tips from UPDATE
 * and RESPONSE for streams it has (blocks come through the node's store,
 * so attach IPFS to the node first), sends KEEPALIVE, ignores its own
 * messages, and drops (cer_node_event "pubsub", counted) oversize,
 * malformed, rate-limited or queue-overflow messages. Two threads: the
 * subscription (re-subscribes with backoff) and a worker. */
typedef struct cer_sync cer_sync;

typedef struct cer_sync_opts {
    cer_ipfs_opts ipfs;         /* the daemon for pubsub (url required) */
    const char *network;        /* inmemory|local|dev-unstable|testnet-clay|mainnet;
                                   NULL: inmemory */
    const char *pubsub_topic;   /* only for inmemory/local; NULL: /ceramic/<net>-<random> */
    int query_timeout_ms;       /* wait for the first RESPONSE; 0: 3000 */
    int query_quiet_ms;         /* then wait while answers keep coming; 0: 300 */
    int keepalive_ms;           /* 0: 30000 */
    int queue_max;              /* incoming messages queued; 0: 1024 */
    int rate_per_s;             /* incoming messages accepted per second; 0: 200 */
} cer_sync_opts;

/* The topic of a network: "/ceramic/<name>" for mainnet, testnet-clay and
 * dev-unstable, topic (required to be non-NULL for an override) or
 * "/ceramic/<name>-<random uint32>" for inmemory and local. -EINVAL for an
 * unknown network or an override on a public network. */
int cer_sync_topic(char *out, size_t cap, const char *network, const char *topic);
/* Start syncing node (borrowed; close the sync before the node). Returns
 * once the subscription is requested; the daemon may still be down (the
 * sync retries). */
int cer_sync_open(cer_sync **out, cer_node *node, const cer_sync_opts *opts);
void cer_sync_close(cer_sync *s);
/* Load a stream from the network: QUERY, take RESPONSE tips (first within
 * timeout_ms, 0: the query timeout; then while they keep coming), verify
 * and learn each; with no answer, the genesis alone. Also for a stream the
 * node has (picks up newer tips). Returns 1 when the node's tip moved, 0
 * when not, -ETIMEDOUT when nothing could be loaded. */
int cer_sync_load(cer_sync *s, const cer_streamref *id, int timeout_ms);
/* Wait until the subscription is confirmed by the daemon: 0, or
 * -ETIMEDOUT; at once -ECONNREFUSED (or -EHOSTUNREACH) when the daemon
 * refuses connections (nothing listens there: no use waiting). */
int cer_sync_wait_ready(cer_sync *s, int timeout_ms);
/* Wait until the journal of unpublished commits is empty: 0 or -ETIMEDOUT. */
int cer_sync_flush(cer_sync *s, int timeout_ms);
/* ---- anchoring hooks of the node (see "Anchoring" below) ---- */

/* Set the anchor status of a stream's state while its tip is still tip
 * (-ESTALE when it moved on); kept in the state cache, so cer_node_state
 * shows it across restarts while the tip stays. */
int cer_node_set_anchor_status(cer_node *node, const cer_streamref *id, const cer_cid *tip, int status);
/* How the node judges every anchor commit while states are built, as
 * js-ceramic 2.x does on the node's network (cer_node_opts.network):
 *   - a chain the network does not accept (cer_network_accepts_chain; on
 *     `local` also the chain of the node's own anchor service), a bad
 *     Merkle path, or a proof its chain contradicts (cer_anchor_verify):
 *     the commit is invalid, rejected like a bad signature (the state stops
 *     before it; an "anchor" event, counter anchor_rejected);
 *   - an anchor this node made itself (cer_node_own_anchor, remembered in
 *     the state directory): verified, at the time it recorded;
 *   - eip155 with opts->eth_rpc: verified by the chain (counter
 *     anchor_verified); the chain unreachable: unverified (counter
 *     anchor_unverified, an "anchor" event), not asked again for 30 s;
 *   - eip155 without an RPC, anyone else's in-memory anchor: unverified
 *     (counter anchor_unverified, no event: js-ceramic's in-memory anchors
 *     are ordinary).
 * An unverified anchor is kept in the log but counts for nothing: no
 * timestamp, not ANCHORED, never wins a fork. Cached states with anchors
 * that could now be verified (eip155, an RPC configured) are rebuilt at
 * their first load, and loaded ones by cer_node_recheck_anchors.
 * opts (copied; NULL: none): eth_rpc and timeout for the chain, and the
 * node's own anchor service (mode, service_url, chain) for `local`.
 * cer_anchorer_start calls it with its options. */
struct cer_anchor_opts;
int cer_node_set_anchor_check(cer_node *node, const struct cer_anchor_opts *opts);
/* Check again, now, the eip155 anchors of loaded streams left unverified
 * (CER_CHECK_UNVERIFIED): each such stream's state is rebuilt with the
 * chain check, and listeners hear of a stream that went back because the
 * chain now rejects one of its anchors. Returns how many streams were
 * rebuilt (0 when no chain RPC is configured). The anchor poller calls it
 * after each step. */
int cer_node_recheck_anchors(cer_node *node);
/* Remember durably (an fsync'd line in the state directory) that this
 * node made an anchor with this proof (the built-in service calls it
 * before applying the batch's anchor commits): such anchors are verified
 * here, at proof->blockTimestamp, on any network. */
int cer_node_own_anchor(cer_node *node, const cer_anchor_proof *proof);
/* The node's network ("inmemory" unless opened with another). */
const char *cer_node_network(const cer_node *node);
/* A counter of cer_node_count (0 when never counted). */
int64_t cer_node_counter(cer_node *node, const char *name);

/* ------------------------------------------------------------------ */
/* Anchoring                                                            */
/* ------------------------------------------------------------------ */

/* Where anchors come from and how they are checked. Zero-initialise and
 * set what you need; NULL/0 members take the defaults shown. */
typedef struct cer_anchor_opts {
    const char *mode;           /* "local" (built-in service, default) or "none" */
    const char *service_url;    /* a Ceramic Anchor Service base URL: used instead of local */
    const char *chain;          /* local service: "inmemory" (default) or "eth" */
    const char *eth_rpc;        /* Ethereum JSON-RPC URL: needed for chain eth; with it,
                                   eip155 anchors the node meets are checked on chain */
    const char *eth_from;       /* sender account (unlocked); NULL: the first of eth_accounts */
    bool eth_raw;               /* send the v0 raw form (data = 0x0f || root CID) instead
                                   of v1 anchorDagCbor(bytes32) */
    double interval;            /* seconds between batches / CAS polls; default 60;
                                   negative: no thread, only cer_anchorer_flush */
    double timeout;             /* seconds per network call; default 10 */
    double confirm_timeout;     /* seconds to wait for a receipt; default 60 */
    unsigned max_attempts;      /* tries per tip before FAILED; default 3 */
    bool auth_did;              /* CAS: sign each request with the node's key
                                   (Authorization: Bearer <JWS>), as js-ceramic's
                                   anchor auth-method "did" does */
} cer_anchor_opts;

/* The anchor poller of a node: every new local tip (CER_CHANGE_LOCAL) is
 * queued and its state goes PENDING; each batch moves the tips it takes to
 * PROCESSING, then either ANCHORED (the anchor commit applied through
 * cer_node_learn_tip) or, after a failure, back to PENDING for a retry
 * after interval * 2^(attempt-1) seconds, and FAILED after max_attempts
 * (each failure is a node event of kind "anchor"; a newer tip of the same
 * stream replaces a queued one). With opts->eth_rpc the node checks every
 * anchor commit on chain as it applies it (cer_node_set_anchor_check): the
 * "anchor" status section counts verified, unverified and rejected ones.
 * The queue lives in memory; tips whose state says PENDING or PROCESSING
 * are queued again at start. */
typedef struct cer_anchorer cer_anchorer;

/* Start on node (registers a listener and the status section "anchor";
 * starts the poller thread unless opts->interval < 0). */
int cer_anchorer_start(cer_anchorer **out, cer_node *node, const cer_anchor_opts *opts);
/* Stop the thread, remove the listener and section, free. Call before
 * cer_node_close. */
void cer_anchorer_stop(cer_anchorer *a);
/* Queue the current tip of id now (0; 1 when its tip is already a verified
 * anchor commit and nothing is queued). A tip that is an anchor commit
 * nobody here can verify is anchored like any other, also when it lands
 * on a tip queued here. */
int cer_anchorer_request(cer_anchorer *a, const cer_streamref *id);
/* Queue every pinned stream whose tip is not anchored and whose
 * controller is this node; returns how many were queued. */
int cer_anchorer_request_all(cer_anchorer *a);
/* Run one step now on the calling thread (a batch, or one CAS poll), and
 * due verifications. Returns the number of tips anchored, or a negative
 * errno when the batch failed (the tips stay queued for a retry or FAILED). */
int cer_anchorer_flush(cer_anchorer *a);
/* Tips queued (PENDING or PROCESSING). */
size_t cer_anchorer_pending(cer_anchorer *a);
/* The "anchor" status section's value (caller frees). */
int cer_anchorer_status(cer_anchorer *a, cJSON **out);

/* Check an anchor proof against its chain (core/README.md, "Anchors"):
 * returns 1 (verified: the transaction's input carries proof->root, the
 * chain id matches; *timestamp = its block's time), 0 (unverified:
 * in-memory anchors, no eth_rpc, unreachable chain, unknown chain
 * namespace; *timestamp = 0: nothing known), or a
 * negative errno when the chain contradicts the proof (reason in
 * cer_errmsg()). why (may be NULL) gets a one-line reason in every case. */
int cer_anchor_verify(const cer_anchor_opts *opts, const cer_anchor_proof *proof, int64_t *timestamp,
                      char *why, size_t why_cap);
/* Whether a network (inmemory|local|dev-unstable|testnet-clay|mainnet)
 * accepts anchors on chain_id, as js-ceramic core's
 * SUPPORTED_CHAINS_BY_NETWORK: mainnet eip155:1; testnet-clay eip155:3, 4
 * and 100; dev-unstable eip155:3, 4 and 5; local eip155:1337; inmemory
 * inmemory:12345. 1 yes, 0 no, -EINVAL for an unknown network. */
int cer_network_accepts_chain(const char *network, const char *chain_id);
/* The eth-tx CID (codec 0x93, keccak-256) of a 32-byte transaction hash. */
void cer_eth_tx_cid(cer_cid *out, const uint8_t hash[32]);

/* ------------------------------------------------------------------ */
/* The anchor service daemon: ceramicfs as a CAS                        */
/* ------------------------------------------------------------------ */

/* An HTTP server of the Ceramic Anchor Service API (core/README.md, "Anchor service")
 * that js-ceramic (anchor-service-url) and ceramicfs's CAS client use:
 * GET /api/v0/service-info/supported_chains, POST /api/v0/requests (the
 * CAR body of core 2.31+, or JSON {streamId, cid}), GET
 * /api/v0/requests/<tip CID>. Requests are anchored in batches with the
 * built-in service's tree, chain step and anchor commits; a COMPLETED
 * answer carries anchorCommit and a witnessCar holding the anchor commit,
 * the proof and the tree path, and every block of a batch is put to the
 * IPFS daemon when one is set. With allow, only requests DID-signed by one
 * of those DIDs are served; without, only a loopback address is accepted.
 * Details in casd.c. */
typedef struct cer_casd_opts {
    const char *listen;         /* "HOST:PORT" on IPv4 (default 127.0.0.1:8081; port 0: any);
                                   not 127.0.0.0/8 only with allow (else -EPERM) */
    const char *ipfs;           /* IPFS HTTP API for the batches' blocks; NULL: none */
    const char *state;          /* directory of the request journal (created if needed);
                                   NULL: requests live in memory only */
    cer_anchor_opts anchor;     /* chain (inmemory|eth), eth_rpc, eth_from, eth_raw,
                                   interval (seconds between batches, default 60;
                                   negative: no thread, cer_casd_flush only), timeout,
                                   confirm_timeout, max_attempts (mode, service_url unused) */
    double poll_wait;           /* a GET of an unfinished request waits up to this many
                                   seconds for it to finish (long poll); default 0 */
    size_t max_requests;        /* requests kept, finished ones included; default 10000 */
    size_t max_pending;         /* unfinished requests per requester (the DID that signed
                                   them, else the client's address); default 1000 */
    double pending_ttl;         /* seconds a request may stay PENDING before it fails as
                                   expired; default 86400 */
    const char *const *allow;   /* DIDs (did:key) whose signed requests are served
                                   (Authorization: Bearer <JWS>, as js-ceramic's DID auth
                                   signs them); nallow 0: no authentication, and then the
                                   service listens on loopback only */
    size_t nallow;
    size_t max_body;            /* request body limit; default 1 MiB */
    unsigned max_conns;         /* HTTP connections at once; default 64 */
    unsigned max_per_ip;        /* HTTP connections from one address; default 32 */
    unsigned conn_timeout;      /* seconds an HTTP connection may stay idle; default 10 */
    void (*log)(void *arg, const char *line);  /* one line per request and batch; may be NULL */
    void *log_arg;
} cer_casd_opts;

typedef struct cer_casd cer_casd;

/* Check the chain (eth: eth_chainId through eth_rpc), listen, start the
 * batch thread. The HTTP API answers once cer_casd_run runs. */
int cer_casd_open(cer_casd **out, const cer_casd_opts *opts);
int cer_casd_port(const cer_casd *d);
/* The chain it anchors on, as supported_chains names it ("eip155:1337"). */
const char *cer_casd_chain(const cer_casd *d);
/* Serve HTTP on the calling thread until cer_casd_stop (async-signal-safe)
 * or *stop (may be NULL) becomes non-zero. */
int cer_casd_run(cer_casd *d, const volatile int *stop);
void cer_casd_stop(cer_casd *d);
/* Anchor the due requests now on the calling thread: the number
 * anchored, or a negative errno when the batch failed. */
int cer_casd_flush(cer_casd *d);
/* Request counts by status, batches, anchored, failed, expired, refused
 * (requests refused for their authentication), chain (caller frees). */
int cer_casd_status(cer_casd *d, cJSON **out);
/* Stop the batch thread, close the server, free (after cer_casd_run returned). */
void cer_casd_close(cer_casd *d);

/* ------------------------------------------------------------------ */
/* js-ceramic's HTTP API, served (api.c)                                */
/* ------------------------------------------------------------------ */

/* js-ceramic 2.44's HTTP API (ceramic-daemon.ts) served from a node, for
 * apps on @ceramicnetwork/http-client: node/healthcheck, node/chains,
 * streams (create from a genesis, load by StreamID or CommitID, sync and
 * atTime, content, anchor), commits (apply, list), multiqueries; the
 * legacy pins route answers js's 400; the admin API serves getCode and
 * pins (list, add, remove) to the node's own DID and admin_dids, with js's
 * authorization (a one-time code signed in a JWS) and js's 401s, and
 * nothing else; ComposeDB's collection queries get an error. Bodies are jsapi.c's. A
 * client's commit is stored and applied as the node's own tip (verified as
 * one from the network; journaled, published, anchored): listeners (the
 * mount) hear of it. A refused one changes no stream. One server thread. */
typedef struct cer_api cer_api;
typedef struct cer_api_opts {
    const char *listen;         /* "HOST:PORT"; default 127.0.0.1:0; other than
                                   loopback is logged as a WARNING */
    cer_sync *sync;             /* borrowed, may be NULL: loads of streams the node
                                   lacks, and sync=1, query the network */
    cer_anchorer *anchorer;     /* borrowed, may be NULL: streams/:id/anchor */
    const char *const *admin_dids;  /* more admin DIDs than the node's (up to 15) */
    size_t nadmin_dids;
    size_t max_body;            /* default 2 MiB (js's 1 MiB limit is the parser's) */
    unsigned max_conns, max_per_ip, timeout_s;  /* cer_httpd's defaults */
    void (*log)(void *arg, const char *line);  /* the WARNING; NULL: stderr */
    void *log_arg;
} cer_api_opts;
/* Listen (ready when it returns) and serve on a thread of its own. Stop
 * it before the sync, anchorer and node it borrows. */
int cer_api_start(cer_api **out, cer_node *node, const cer_api_opts *opts);
int cer_api_port(const cer_api *a);
void cer_api_stop(cer_api *a);

#ifdef __cplusplus
}
#endif
#endif /* CERAMIC_H */
