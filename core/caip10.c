/*
 * caip10.c — Caip10Link (account-link, stream type 1), as js-ceramic 2.44
 * checks it:
 *   - packages/stream-caip10-link-handler/src/caip10-link-handler.ts
 *     (genesis: no data, one controller; signed commits: the proof, its
 *     timestamp against the last anchor or update, its account against
 *     the controller);
 *   - packages/blockchain-utils-validation/src/index.ts and
 *     blockchains/ethereum.ts (validateLink: the account, personal_sign
 *     recovery, the DID found in the message).
 * The genesis is {header: {controllers: ["<address>@<chain>"], family:
 * "caip10-<chain>"}}, unsigned; an update is the DAG-CBOR commit {data:
 * LinkProof, prev, id}, the proof {version, type, message, signature,
 * account, timestamp?}. Only eip155 proofs are verified: by an externally
 * owned account (type "ethereum-eoa", EIP-191 personal_sign) here, by a
 * contract account (type "erc1271") through the loader's eth_call of the
 * legacy isValidSignature(bytes,bytes) (magic 0x20c13b0b) as js makes it;
 * with no RPC for its chain, and for other chains' schemes, the proof is
 * refused (-ENOTSUP) rather than trusted.
 * Like js, the proof's timestamp field is not part of what is signed.
 *
 * It also makes them, for an Ethereum key the user holds, as
 * stream-caip10-link 2.34 and blockchain-utils-linking 2.23 do
 * (Caip10Link.fromAccount, EthereumAuthProvider.createLink): the
 * genesis of "<lower-case address>@eip155:<chain>", and a version 2
 * ethereum-eoa proof over "Link this account to your identity\n\n<did>
 * \nTimestamp: <seconds>" (an empty DID clears the link).
 */
#include "caip10.h"
#include "eip191.h"
#include "error.h"
#include "multibase.h"
#include "state.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static bool truthy(const cJSON *v)
{
    return v && !cJSON_IsNull(v) && !cJSON_IsFalse(v) && !(cJSON_IsString(v) && !v->valuestring[0]) &&
           !(cJSON_IsNumber(v) && (v->valuedouble == 0 || isnan(v->valuedouble)));
}

int cer_caip10_genesis(cJSON **content, cJSON **metadata, const cJSON *header, const cJSON *data)
{
    *content = *metadata = NULL;
    if (truthy(data))
        return cer_err(-EINVAL, "Caip10Link genesis commit cannot have data");
    if (!(*content = cJSON_CreateNull()) || !(*metadata = cJSON_Duplicate(header, 1))) {
        cJSON_Delete(*content);
        *content = NULL;
        return cer_err(-ENOMEM, "caip10: out of memory");
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Accounts: CAIP-10 "ns:ref:address" or legacy "address@ns:ref"        */
/* ------------------------------------------------------------------ */

typedef struct account {
    char ns[16], ref[40], address[136];
} account;

static bool all_of(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(extra, c)) ||
            c == '\0')
            return false;
    }
    return true;
}

/* CAIP-2/CAIP-10's grammar: namespace [-a-z0-9]{3,8}, reference
 * [-_a-zA-Z0-9]{1,32}, address [-.%a-zA-Z0-9]{1,128}. */
static int set_part(char *out, size_t cap, const char *s, size_t n, size_t min, const char *extra)
{
    if (n < min || n >= cap || !all_of(s, n, extra))
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int parse_chain(account *a, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);

    if (!colon || set_part(a->ns, 9, s, (size_t)(colon - s), 3, "-") < 0 ||
        set_part(a->ref, 33, colon + 1, n - (size_t)(colon + 1 - s), 1, "-_"))
        return -1;
    for (const char *p = a->ns; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return -1;
    return 0;
}

/* common's normalizeAccountId: "address@chain" (what follows a second '@'
 * ignored, as js's destructuring does) or "ns:ref:address". */
static int parse_account(account *a, const char *s)
{
    const char *at = strchr(s, '@'), *c1, *c2;
    int rc;

    memset(a, 0, sizeof *a);
    if (at) {
        const char *end = strchr(at + 1, '@');
        size_t clen = end ? (size_t)(end - at - 1) : strlen(at + 1);
        rc = set_part(a->address, 129, s, (size_t)(at - s), 1, "-.%") < 0 || parse_chain(a, at + 1, clen) < 0;
    } else {
        c1 = strchr(s, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        rc = !c2 || parse_chain(a, s, (size_t)(c2 - s)) < 0 || set_part(a->address, 129, c2 + 1, strlen(c2 + 1), 1, "-.%") < 0;
    }
    return rc ? cer_err(-EINVAL, "link proof: invalid account '%.200s'", s) : 0;
}

/* ------------------------------------------------------------------ */
/* The DID in the message: /(did:\S+:\S+)/ with JavaScript's \s         */
/* ------------------------------------------------------------------ */

/* The code point at s (UTF-8), its length in *n (1 for a stray byte). */
static unsigned long utf8_at(const unsigned char *s, size_t left, size_t *n)
{
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    unsigned long cp;

    if (len == 0 || (size_t)len > left) {
        *n = 1;
        return 0xfffd;
    }
    cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (int i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    *n = (size_t)len;
    return cp;
}

static bool js_space(unsigned long c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

/* The end of the run of non-space characters at s + i. */
static size_t run_end(const char *s, size_t len, size_t i)
{
    size_t n;

    while (i < len && !js_space(utf8_at((const unsigned char *)s + i, len - i, &n)))
        i += n;
    return i;
}

/* validateLink's findDID: the first "did:" whose following run of
 * non-space characters holds a ':' with something either side; the match
 * runs to the run's end. Linear: a failing run holds a ':' only at its
 * ends, so few "did:" start in it. */
static cJSON *find_did(const char *s)
{
    size_t len = strlen(s);

    for (const char *p = s; (p = strstr(p, "did:")) != NULL; p++) {
        size_t start = (size_t)(p - s) + 4, end = run_end(s, len, start);
        const char *c = end - start >= 3 ? memchr(s + start + 1, ':', end - start - 2) : NULL;

        if (c) {
            char *did = strndup(p, end - (size_t)(p - s));
            cJSON *v = did ? cJSON_CreateString(did) : NULL;
            free(did);
            return v;
        }
    }
    return cJSON_CreateNull();
}

/* ------------------------------------------------------------------ */
/* ethereum.ts: validateEoaLink                                         */
/* ------------------------------------------------------------------ */

static int unhex_sig(uint8_t sig[65], size_t *len, const char *s)
{
    size_t n = strlen(s);

    if (strncmp(s, "0x", 2) != 0 || n % 2 || (n - 2) / 2 > 65 || ((n - 2) / 2 != 64 && (n - 2) / 2 != 65))
        return cer_err(-EKEYREJECTED, "link proof: signature is not 64 or 65 bytes of 0x-hex");
    for (size_t i = 0; i < (n - 2) / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[3 + 2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 + 2 * i]))
            return cer_err(-EKEYREJECTED, "link proof: signature is not hex");
        sig[i] = (uint8_t)v;
    }
    *len = (n - 2) / 2;
    return 0;
}

/* The message's UTF-8 bytes as js encodes them, U+0000 held here as
 * C0 80 (see ceramic.h) the byte 00; caller frees. */
static uint8_t *message_bytes(const char *message, size_t *n)
{
    size_t len = strlen(message);
    uint8_t *m = malloc(len + 1);

    *n = 0;
    if (!m)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        bool nul = (unsigned char)message[i] == 0xc0 && (unsigned char)message[i + 1] == 0x80;
        m[(*n)++] = nul ? 0 : (uint8_t)message[i];
        i += nul;
    }
    return m;
}

/* ethers' verifyMessage: the signer of the message's UTF-8. */
static int recover(char signer[CER_ETH_ADDRESS_MAX], const char *message, const uint8_t *sig, size_t siglen)
{
    size_t n;
    uint8_t *m = message_bytes(message, &n);
    int rc;

    if (!m)
        return cer_err(-ENOMEM, "caip10: out of memory");
    rc = cer_eip191_recover(signer, m, n, sig, siglen);
    free(m);
    return rc;
}

/* js's `!== 2` / `=== 1` on the version field. */
static bool version_is(const cJSON *v, double want)
{
    return cJSON_IsNumber(v) && v->valuedouble == want;
}

/* toV2Proof: the account of a proof of a version other than 2, from
 * the fields of version 1 (address, chainId), else address (for an EOA
 * proof the signer, for a contract's none). */
static int to_v2(account *a, const cJSON *proof, const char *address)
{
    const cJSON *addr = get(proof, "address"), *chain = get(proof, "chainId");
    char ref[40];

    if (version_is(get(proof, "version"), 1))
        address = cJSON_IsString(addr) ? addr->valuestring : "";
    if (!truthy(chain))
        snprintf(ref, sizeof ref, "1");
    else if (cJSON_IsString(chain))
        snprintf(ref, sizeof ref, "%s", chain->valuestring);
    else if (cJSON_IsNumber(chain) && chain->valuedouble > 0 && chain->valuedouble < 1e15 &&
             chain->valuedouble == floor(chain->valuedouble))
        snprintf(ref, sizeof ref, "%.0f", chain->valuedouble);
    else
        return cer_err(-EINVAL, "link proof: unsupported chainId");
    memset(a, 0, sizeof *a);
    if (set_part(a->address, 129, address, strlen(address), 1, "-.%") < 0 ||
        set_part(a->ref, 33, ref, strlen(ref), 1, "-_") < 0)
        return cer_err(-EKEYREJECTED, "Invalid proof for signed commit (version-1 proof without an address)");
    snprintf(a->ns, sizeof a->ns, "eip155");
    return 0;
}

/* The account of an EOA proof once verified (toV2Proof for versions other
 * than 2), in *a; -EKEYREJECTED when the signer is not that account. */
static int verify_eoa(account *a, const cJSON *proof, const char *message)
{
    const cJSON *sigv = get(proof, "signature"), *version = get(proof, "version");
    char signer[CER_ETH_ADDRESS_MAX];
    uint8_t sig[65];
    size_t siglen = 0;
    int rc;

    if (!cJSON_IsString(sigv))
        return cer_err(-EKEYREJECTED, "link proof: no signature");
    if ((rc = unhex_sig(sig, &siglen, sigv->valuestring)) < 0 || (rc = recover(signer, message, sig, siglen)) < 0)
        return cer_err_wrap(rc, "link proof");
    if (!version_is(version, 2) && (rc = to_v2(a, proof, signer)) < 0)
        return rc;
    if (strcmp(a->address, signer) != 0)  /* js compares with the lower-case signer, case and all */
        return cer_err(-EKEYREJECTED, "Invalid proof for signed commit: signed by %s, not by %.140s", signer,
                       a->address);
    return 0;
}

/* validateErc1271Link: the contract account's isValidSignature through
 * chk->erc1271, on the chain the account names. */
static int verify_erc1271(account *a, const cJSON *proof, const char *message, const cer_anchor_checker *chk)
{
    const cJSON *sigv = get(proof, "signature");
    size_t hexlen, n;
    uint8_t *sig = NULL, *m = NULL;
    char *lower = NULL;
    int rc, len;

    if (!version_is(get(proof, "version"), 2) && (rc = to_v2(a, proof, "")) < 0)
        return rc;
    if (!chk || !chk->erc1271)
        return cer_err(-ENOTSUP, "link proof by the ERC-1271 contract account %.140s: unverified (it needs a call "
                       "to chain eip155:%s: --eth-rpc)", a->address, a->ref);
    if (!cJSON_IsString(sigv) || strncmp(sigv->valuestring, "0x", 2) != 0 || (hexlen = strlen(sigv->valuestring + 2)) % 2)
        return cer_err(-EKEYREJECTED, "link proof: signature is not 0x-hex");
    if (!(lower = strdup(sigv->valuestring + 2)) || !(sig = malloc(hexlen / 2 + 1)) ||
        !(m = message_bytes(message, &n))) {
        rc = cer_err(-ENOMEM, "caip10: out of memory");
        goto out;
    }
    for (char *c = lower; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if ((len = cer_base_decode(sig, hexlen / 2 + 1, CER_BASE16, lower, hexlen)) < 0) {
        rc = cer_err(-EKEYREJECTED, "link proof: signature is not 0x-hex");
        goto out;
    }
    rc = chk->erc1271(chk->arg, a->ref, a->address, m, n, sig, (size_t)len);
    if (rc == 0)
        rc = cer_err(-EKEYREJECTED, "Invalid proof for signed commit: the contract %.140s on eip155:%s does not "
                     "take the signature (isValidSignature)", a->address, a->ref);
    else if (rc > 0)
        rc = 0;
out:
    free(lower);
    free(sig);
    free(m);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The handler's _applySigned                                           */
/* ------------------------------------------------------------------ */

/* anchorTimestampFromState: the newest log entry with a time. */
static int64_t anchor_time(const cer_state *st)
{
    for (size_t i = st->log_len; i-- > 0;)
        if (st->log[i].timestamp)
            return st->log[i].timestamp;
    return 0;
}

/* The proof's timestamp against the last anchor (anchored) or the last
 * update (not), after the first update, as js compares them. */
static int check_time(const cer_state *st, const cJSON *ts)
{
    const cJSON *last = get(st->metadata, "lastUpdate");

    if (st->signature == CER_SIG_GENESIS || !ts)
        return 0;
    if (st->anchor_status == CER_ANCHOR_ANCHORED) {
        int64_t at = anchor_time(st);
        if (at && ts->valuedouble < (double)at)
            return cer_err(-EINVAL, "Invalid commit, proof timestamp too old (%.0f, anchored at %lld)",
                           ts->valuedouble, (long long)at);
    } else if (cJSON_IsNumber(last) && ts->valuedouble < last->valuedouble) {
        return cer_err(-EINVAL, "Invalid commit, proof timestamp too old (%.0f, last update %.0f)", ts->valuedouble,
                       last->valuedouble);
    }
    return 0;
}

int cer_caip10_update(cJSON **content, cJSON **metadata, const cer_state *st, const cJSON *proof,
                      const cer_anchor_checker *chk)
{
    const cJSON *acc = get(proof, "account"), *msg = get(proof, "message"), *type = get(proof, "type");
    const cJSON *ts = get(proof, "timestamp"), *version = get(proof, "version");
    const cJSON *controllers = get(st->metadata, "controllers");
    const char *controller = cJSON_IsArray(controllers) && cJSON_IsString(controllers->child)
                                 ? controllers->child->valuestring : NULL;
    char legacy[200];
    account a;
    int rc;

    *content = *metadata = NULL;
    if (!cJSON_IsObject(proof))
        return cer_err(-EINVAL, "Caip10Link update: 'data' is not a link proof");
    if (!cJSON_IsString(acc))
        return cer_err(-EINVAL, "link proof: no account");
    if ((rc = parse_account(&a, acc->valuestring)) < 0)
        return rc;
    if (cJSON_IsNumber(version) && version->valuedouble >= 2 && strcmp(a.ns, "eip155") != 0)
        return cer_err(-ENOTSUP, "link proof of chain namespace '%s': not verified here (only eip155)", a.ns);
    if (!cJSON_IsString(msg))
        return cer_err(-EINVAL, "link proof: no message");
    if (ts && !cJSON_IsNumber(ts))
        return cer_err(-EINVAL, "link proof: timestamp is not a number");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "erc1271") == 0)
        rc = verify_erc1271(&a, proof, msg->valuestring, chk);
    else
        rc = verify_eoa(&a, proof, msg->valuestring);
    if (rc < 0 || (rc = check_time(st, ts)) < 0)
        return rc;
    /* toLegacyAccountId against the controller, both lower-cased */
    snprintf(legacy, sizeof legacy, "%s@%s:%s", a.address, a.ns, a.ref);
    if (!controller || !strchr(controller, '@'))
        return cer_err(-EINVAL, "Controller is not following the legacy CAIP10 format");
    if (strcasecmp(legacy, controller) != 0)
        return cer_err(-EKEYREJECTED, "Address '%s' used to sign update to Caip10Link doesn't match stream "
                       "controller '%.200s'", legacy, controller);
    if (!(*content = find_did(msg->valuestring)) || !(*metadata = cJSON_Duplicate(st->metadata, 1)))
        goto oom;
    cJSON_DeleteItemFromObjectCaseSensitive(*metadata, "lastUpdate");
    if (ts && !cJSON_AddNumberToObject(*metadata, "lastUpdate", ts->valuedouble))
        goto oom;
    return 0;
oom:
    cJSON_Delete(*content);
    cJSON_Delete(*metadata);
    *content = *metadata = NULL;
    return cer_err(-ENOMEM, "caip10: out of memory");
}

/* ------------------------------------------------------------------ */
/* Making them                                                          */
/* ------------------------------------------------------------------ */

/* "<lower-case address>@eip155:<chain>", the account js's links name. */
static int eth_account(char *out, size_t cap, const uint8_t secret[32], uint64_t chain)
{
    char addr[CER_ETH_ADDRESS_MAX];
    int rc;

    if ((rc = cer_eth_address(addr, secret)) < 0)
        return rc;
    for (char *c = addr; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (snprintf(out, cap, "%s@eip155:%llu", addr, (unsigned long long)chain) >= (int)cap)
        return cer_err(-ENOSPC, "caip10: account too long");
    return 0;
}

/* The DAG-CBOR block of v and its CID (v consumed). */
static int block_of(cer_buf *block, cer_cid *cid, cJSON *v)
{
    int rc;

    block->len = 0;
    if (!v)
        return cer_err(-ENOMEM, "caip10: out of memory");
    if ((rc = cer_dagcbor_encode(block, v, CER_DAGJSON)) == 0)
        rc = cer_cid_of_block(cid, CER_CODEC_DAG_CBOR, block->data, block->len);
    cJSON_Delete(v);
    return rc;
}

int cer_caip10_make_genesis(cer_buf *block, cer_cid *cid, const uint8_t secret[32], uint64_t chain)
{
    char acct[CER_ETH_ADDRESS_MAX + 32], family[48];
    cJSON *g = cJSON_CreateObject(), *h = g ? cJSON_AddObjectToObject(g, "header") : NULL, *c;
    int rc;

    if ((rc = eth_account(acct, sizeof acct, secret, chain)) < 0) {
        cJSON_Delete(g);
        return rc;
    }
    snprintf(family, sizeof family, "caip10-eip155:%llu", (unsigned long long)chain);
    if (!h || !(c = cJSON_AddArrayToObject(h, "controllers")) ||
        !cJSON_AddItemToArray(c, cJSON_CreateString(acct)) || !cJSON_AddStringToObject(h, "family", family)) {
        cJSON_Delete(g);
        g = NULL;
    }
    return block_of(block, cid, g);
}

static cJSON *link_of(const cer_cid *cid)
{
    char s[CER_CID_STR_MAX];
    cJSON *o = cJSON_CreateObject();

    if (o && (cer_cid_to_string(s, sizeof s, cid) < 0 || !cJSON_AddStringToObject(o, "/", s))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

int cer_caip10_make_link(cer_buf *block, cer_cid *cid, const cer_cid *genesis, const cer_cid *prev,
                         const uint8_t secret[32], uint64_t chain, const char *did, int64_t timestamp)
{
    char acct[CER_ETH_ADDRESS_MAX + 32], hex[2 + 130 + 1];
    uint8_t sig[65];
    cJSON *u = NULL, *d = NULL;
    char *msg = NULL;
    int rc, n;

    if (!did)
        did = "";
    if (strlen(did) > 2048 || strpbrk(did, " \t\r\n"))
        return cer_err(-EINVAL, "caip10: '%s' is not a DID to link", did);
    if (timestamp < 0)
        return cer_err(-EINVAL, "caip10: a negative timestamp");
    if ((rc = eth_account(acct, sizeof acct, secret, chain)) < 0)
        return rc;
    n = snprintf(NULL, 0, "Link this account to your identity\n\n%s \nTimestamp: %lld", did, (long long)timestamp);
    if (!(msg = malloc((size_t)n + 1)))
        return cer_err(-ENOMEM, "caip10: out of memory");
    snprintf(msg, (size_t)n + 1, "Link this account to your identity\n\n%s \nTimestamp: %lld", did,
             (long long)timestamp);
    if ((rc = cer_eip191_sign(sig, (const uint8_t *)msg, (size_t)n, secret)) < 0)
        goto out;
    hex[0] = '0', hex[1] = 'x';
    for (size_t i = 0; i < sizeof sig; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", sig[i]);
    if (!(u = cJSON_CreateObject()) || !(d = cJSON_AddObjectToObject(u, "data")) ||
        !cJSON_AddNumberToObject(d, "version", 2) || !cJSON_AddStringToObject(d, "type", "ethereum-eoa") ||
        !cJSON_AddStringToObject(d, "message", msg) || !cJSON_AddStringToObject(d, "signature", hex) ||
        !cJSON_AddStringToObject(d, "account", acct) || !cJSON_AddNumberToObject(d, "timestamp", (double)timestamp) ||
        !cJSON_AddItemToObject(u, "id", link_of(genesis)) || !cJSON_AddItemToObject(u, "prev", link_of(prev))) {
        cJSON_Delete(u);
        u = NULL;
    }
    rc = block_of(block, cid, u);
out:
    free(msg);
    return rc;
}
