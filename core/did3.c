/*
 * did3.c — did:3 (3ID v1) signers: a did:3:<StreamID> names a TileDocument
 * (family "3id", controlled by the 3ID's management did:key) whose content
 * {"publicKeys": {<name>: "z<base58btc of multicodec || key>"}} lists its
 * keys; a commit signed "as" the 3ID carries the kid
 * did:3:<StreamID>?version-id=<commit CID, or 0 for the genesis>#<name>
 * and must verify with one of the secp256k1 keys (multicodec 0xe7) of the
 * document at that version. Resolution goes through the node's own
 * streams: the version's state from the store (its log verified like any
 * other), the latest one from the checker's latest hook (the node's state
 * of the document), which tells whether a later anchored version replaced
 * the one that signed.
 *
 * As @ceramicnetwork/3id-did-resolver 2.32 (getVersionInfo, wrapDocument,
 * extractMetadata) and dids 4.0.4 verifyJWS do, except: only verified
 * anchors carry times here (an unverified one is no replacement and no
 * creation time), versionTime is not supported, and a legacy v0 3ID
 * (did:3:<CID>, resolved by js through the 3Box web service) is refused.
 */
#include "did3.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHASE_OUT_S (24 * 3600)  /* js-ceramic's revocationPhaseOutSecs */

/* Resolution does not nest (a 3ID document signed by a did:3 would make
 * one load wait on another's). */
static __thread int resolving;

/* The value of key in a query string "a=b&c=d" (no %-escapes: what they
 * would encode never parses as a CID), copied to out; 1 when found. */
static int query_get(const char *q, size_t qlen, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);

    while (qlen) {
        const char *amp = memchr(q, '&', qlen);
        size_t n = amp ? (size_t)(amp - q) : qlen;
        if (n > klen && memcmp(q, key, klen) == 0 && q[klen] == '=') {
            if (n - klen - 1 >= cap)
                return -1;
            memcpy(out, q + klen + 1, n - klen - 1);
            out[n - klen - 1] = '\0';
            return 1;
        }
        q += amp ? n + 1 : n;
        qlen -= amp ? n + 1 : n;
    }
    return 0;
}

/* The secp256k1 keys of content.publicKeys (wrapDocument). */
static int keys_of(cer_did3 *out, const cJSON *content)
{
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(content, "publicKeys"), *it;

    out->nkeys = 0;
    if (!cJSON_IsObject(pk))
        return cer_err(-EKEYREJECTED, "3ID %s has no publicKeys at this version", out->did);
    cJSON_ArrayForEach(it, pk) {
        uint8_t b[80];
        int n;
        if (!cJSON_IsString(it) || it->valuestring[0] != 'z' || strlen(it->valuestring) > 100)
            continue;
        n = cer_base_decode(b, sizeof b, CER_BASE58BTC, it->valuestring + 1, strlen(it->valuestring + 1));
        /* varint 0xe7 (e7 01), then the compressed key */
        if (n != 35 || b[0] != 0xe7 || b[1] != 0x01)
            continue;
        if (out->nkeys == CER_DID3_KEYS_MAX)
            return cer_err(-E2BIG, "3ID %s has more than %d signing keys", out->did, CER_DID3_KEYS_MAX);
        out->keys[out->nkeys].type = CER_KEY_SECP256K1;
        out->keys[out->nkeys].len = 33;
        memcpy(out->keys[out->nkeys].bytes, b + 2, 33);
        out->nkeys++;
    }
    if (!out->nkeys)
        return cer_err(-EKEYREJECTED, "3ID %s has no secp256k1 key at this version", out->did);
    return 0;
}

/* extractMetadata: updated is the time of the version's last anchor (or
 * genesis) entry, as the latest log stamps it; next_update the first time
 * after it in the latest log. */
static void times_of(cer_did3 *out, const cer_state *version, const cer_state *latest)
{
    const cer_log_entry *e = &version->log[0];

    for (size_t i = version->log_len; i-- > 0;)
        if (version->log[i].type == CER_COMMIT_ANCHOR) {
            e = &version->log[i];
            break;
        }
    out->updated = e->timestamp;
    for (size_t i = 0; i < latest->log_len; i++)
        if (cer_cid_equal(&latest->log[i].cid, &e->cid)) {
            out->updated = latest->log[i].timestamp;
            break;
        }
    out->next_update = 0;
    for (size_t i = 0; i < latest->log_len; i++) {
        int64_t t = latest->log[i].timestamp;
        if (t && (!out->updated || t > out->updated)) {
            out->next_update = t;
            break;
        }
    }
}

int cer_did3_resolve(cer_did3 *out, const char *kid, cer_store *store, const cer_anchor_checker *chk)
{
    char id[CER_STREAMID_STR_MAX], version[CER_CID_STR_MAX], ex[CER_EXCERPT_MAX];
    size_t idlen = strcspn(kid + 6, "?#");
    const char *q = kid + 6 + idlen;
    cer_streamref ref;
    cer_state *st = NULL, *latest = NULL;
    cer_cid cid, tip;
    int has_version = 0, rc;

    memset(out, 0, sizeof *out);
    if (strncmp(kid, "did:3:", 6) != 0 || idlen == 0 || idlen >= sizeof id)
        return cer_err(-EINVAL, "'%s' is not a did:3 key", cer_excerpt(ex, kid));
    memcpy(id, kid + 6, idlen);
    id[idlen] = '\0';
    if (idlen + 6 >= sizeof out->did)
        return cer_err(-EINVAL, "'%s' is not a did:3 key", cer_excerpt(ex, kid));
    memcpy(out->did, kid, idlen + 6);
    out->did[idlen + 6] = '\0';
    if (cer_streamref_parse(&ref, id) < 0 || ref.is_commit) {
        if (cer_cid_parse(&cid, id) == 0)
            return cer_err(-ENOTSUP, "%s is a legacy (v0) 3ID, which only the 3Box service resolves", out->did);
        return cer_err(-EINVAL, "'%s' is not a did:3 of a StreamID", cer_excerpt(ex, kid));
    }
    if (ref.type != CER_STREAM_TILE)
        return cer_err(-EINVAL, "%s does not name a TileDocument", out->did);
    if (*q == '?') {
        size_t qlen = strcspn(q + 1, "#");
        char t[8];
        if ((has_version = query_get(q + 1, qlen, "versionId", version, sizeof version)) == 0)
            has_version = query_get(q + 1, qlen, "version-id", version, sizeof version);
        if (has_version < 0)
            return cer_err(-EINVAL, "%s: version-id too long", out->did);
        if (!has_version && query_get(q + 1, qlen, "versionTime", t, sizeof t) != 0)
            return cer_err(-ENOTSUP, "%s: versionTime is not supported (version-id is)", out->did);
    }
    if (resolving)
        return cer_err(-ELOOP, "%s: a 3ID document whose signer is itself a did:3 is not resolved", out->did);
    resolving = 1;
    if (chk && chk->latest && (rc = chk->latest(chk->arg, &ref, &latest)) < 0 && rc != -ENOENT)
        goto out;
    if (has_version && strcmp(version, "0") != 0 && cer_cid_parse(&tip, version) < 0) {
        rc = cer_err(-EINVAL, "%s: version-id '%s' is not a CID", out->did, cer_excerpt(ex, version));
        goto out;
    }
    if (!has_version && !latest) {
        rc = cer_err(-ENOENT, "%s: the kid names no version and the 3ID document is not known here", out->did);
        goto out;
    }
    if (has_version) {
        if (strcmp(version, "0") == 0)
            tip = ref.genesis;
        if ((rc = cer_state_load_checked(&st, store, &ref, &tip, chk)) < 0) {
            rc = cer_err_wrap(rc, "%s at version %s", out->did, has_version ? version : "0");
            goto out;
        }
    }
    if ((rc = keys_of(out, (st ? st : latest)->content)) < 0)
        goto out;
    times_of(out, st ? st : latest, latest ? latest : st);
out:
    resolving = 0;
    cer_state_free(st);
    cer_state_free(latest);
    return rc;
}

int cer_did3_check_time(const cer_did3 *d, int64_t at)
{
    if (d->next_update && !(at && at < d->next_update + PHASE_OUT_S))
        return cer_err(-EKEYREJECTED, "signature authored with a revoked version of %s (replaced at %lld)", d->did,
                       (long long)d->next_update);
    if (d->updated && at && at < d->updated)
        return cer_err(-EKEYREJECTED, "signature authored before the version of %s it names (%lld)", d->did,
                       (long long)d->updated);
    return 0;
}
