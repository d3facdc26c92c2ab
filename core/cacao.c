/*
 * cacao.c — CACAO capabilities as js-ceramic 2.x checks them: the block,
 * the Sign-In-With-X message rebuilt byte for byte from its payload, the
 * time window, the signature (Ethereum personal_sign through eip191.c,
 * Solana ed25519 through libsodium) and whether it lets a commit's signer
 * write a stream.
 *
 * Sources (the versions of the @ceramicnetwork/cli 2.44.0 tree):
 * @didtools/cacao 2.1.0 (cacao.ts verifyTimeChecks, siwx.ts asString and
 * asLegacyChainIdString, SiwxMessage.fromCacao), @didtools/pkh-ethereum
 * 0.1.0 and pkh-solana 0.1.1 (verifier.ts), dids 4.0.4 (DID#verifyJWS),
 * @ceramicnetwork/common 2.39.0 (signature_utils.ts). Where js reads a
 * value loosely and no wallet writes it so, this is stricter, with a
 * reason: payload fields that are not strings, times Date.parse would
 * read as NaN (js then skips the check), resources that are not strings,
 * iss not of the form did:pkh:<namespace>:<reference>:<address>.
 * Not here: the stacks and tezos signature types, eip1271 (js 2.x has no
 * verifier for it either).
 *
 * A signature checks out or not whatever the commit (the message is the
 * block's payload): the good ones are remembered by the block's CID in a
 * small direct-mapped table shared by the threads, so a session's many
 * commits cost one recovery (~0.1 ms) and a hash. A forged CACAO is
 * another block, so another CID.
 */
#include "cacao.h"
#include "buf.h"
#include "cid.h"
#include "eip191.h"
#include "error.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOCK_SKEW_MS (5 * 60 * 1000LL)          /* cacao.ts CLOCK_SKEW_DEFAULT_SEC */
#define PHASE_OUT_MS (24 * 60 * 60 * 1000LL)     /* DEFAULT_CACAO_REVOCATION_PHASE_OUT */
#define LEGACY_CHAIN_ID_REORG_MS 1663632000000LL /* Date('2022-09-20') */
#define GOOD_SLOTS 512                            /* CACAOs whose signature checked out */

static struct {
    pthread_mutex_t lock;
    cer_cid cid[GOOD_SLOTS];   /* slot cer_cid_hash % GOOD_SLOTS; a newcomer replaces */
    bool used[GOOD_SLOTS];
    uint64_t checks;           /* signatures checked for real */
} good = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ------------------------------------------------------------------ */
/* Date.parse                                                           */
/* ------------------------------------------------------------------ */

/* n decimal digits at *p (advanced); -1 when fewer are there. */
static long digits(const char **p, int n)
{
    long v = 0;

    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; d may run past the
 * month's end, as V8 lets it). */
static int64_t days_from_civil(int64_t y, long m, long d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cer_js_date_parse(int64_t *ms, const char *s)
{
    const char *p = s;
    long mon = 1, day = 1, hh = 0, mi = 0, ss = 0, frac = 0, sign = 1, oh, om;
    int64_t year, off = 0;

    if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if ((year = digits(&p, 6)) < 0 || (sign < 0 && year == 0))
            goto bad;
        year *= sign;
    } else if ((year = digits(&p, 4)) < 0) {
        goto bad;
    }
    if (*p == '-' && ((p++, mon = digits(&p, 2)) < 1 || mon > 12))
        goto bad;
    if (*p == '-' && ((p++, day = digits(&p, 2)) < 1 || day > 31))
        goto bad;
    if (*p == 'T' || *p == 't' || (*p == ' ' && p[1])) {
        p++;
        if ((hh = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0 || hh > 24 || mi > 59)
            goto bad;
        if (*p == ':' && ((p++, ss = digits(&p, 2)) < 0 || ss > 59))
            goto bad;
        if (*p == '.') {
            int n = 0;
            for (p++; isdigit((unsigned char)*p); p++, n++)
                if (n < 3)
                    frac = frac * 10 + (*p - '0');
            if (n == 0)
                goto bad;
            for (; n < 3; n++)
                frac *= 10;
        }
        if (hh == 24 && (mi || ss || frac))
            goto bad;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            long osign = *p++ == '-' ? -1 : 1;
            if ((oh = digits(&p, 2)) < 0 || oh > 23)
                goto bad;
            if (*p == ':')
                p++;
            if ((om = digits(&p, 2)) < 0 || om > 59)
                goto bad;
            off = osign * (oh * 60 + om) * 60000;
        }
    }
    if (*p)
        goto bad;
    *ms = ((days_from_civil(year, mon, day) * 24 + hh) * 60 + mi) * 60000 + ss * 1000 + frac - off;
    return 0;
bad:
    return cer_err(-EINVAL, "'%.40s' is not an ISO 8601 date", s);
}

/* ------------------------------------------------------------------ */
/* The block                                                            */
/* ------------------------------------------------------------------ */

static const char *str_field(const cJSON *p, const char *key)
{
    const cJSON *v = get(p, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A payload field js reads only when truthy: absent, null and "" are
 * absent; another non-string is refused. *out NULL when absent. */
static int opt_field(const char **out, const cJSON *p, const char *key)
{
    const cJSON *v = get(p, key);

    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return cer_err(-EINVAL, "CACAO: p.%s is not a string", key);
    if (v->valuestring[0])
        *out = v->valuestring;
    return 0;
}

int cer_cacao_decode(cer_cacao *out, const uint8_t *block, size_t len)
{
    static const char *const required[] = {"iss", "aud", "domain", "version"};
    const cJSON *res, *it;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cer_dagcbor_decode(&out->root, block, len)) < 0)
        return cer_err_wrap(rc, "CACAO");
    if ((rc = cer_cid_of_block(&out->cid, CER_CODEC_DAG_CBOR, block, len)) < 0)
        goto fail;
    out->p = get(out->root, "p");
    if (!cJSON_IsObject(out->root) || !cJSON_IsObject(out->p)) {
        rc = cer_err(-EINVAL, "CACAO: not a map with a payload map 'p'");
        goto fail;
    }
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!str_field(out->p, required[i])) {
            rc = cer_err(-EINVAL, "CACAO: p.%s is not a string", required[i]);
            goto fail;
        }
    res = get(out->p, "resources");
    if (res && !cJSON_IsNull(res)) {
        if (!cJSON_IsArray(res)) {
            rc = cer_err(-EINVAL, "CACAO: p.resources is not a list");
            goto fail;
        }
        cJSON_ArrayForEach(it, res)
            if (!cJSON_IsString(it)) {
                rc = cer_err(-EINVAL, "CACAO: p.resources holds something other than strings");
                goto fail;
            }
    }
    out->iss = str_field(out->p, "iss");
    out->aud = str_field(out->p, "aud");
    out->s = get(out->root, "s");
    if (out->s && cJSON_IsNull(out->s))
        out->s = NULL;
    if (out->s && !cJSON_IsObject(out->s)) {
        rc = cer_err(-EINVAL, "CACAO: the signature 's' is not a map");
        goto fail;
    }
    return 0;
fail:
    cer_cacao_free(out);
    return rc;
}

void cer_cacao_free(cer_cacao *c)
{
    cJSON_Delete(c->root);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ */
/* The message                                                          */
/* ------------------------------------------------------------------ */

/* The parts of iss "did:pkh:<namespace>:<reference>:<address>" (caip's
 * AccountId), copied out. */
typedef struct account {
    char ns[9], ref[33], address[65];
} account;

static bool part_ok(const char *s, size_t n, size_t min, size_t max, const char *extra, bool upper)
{
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isdigit(ch) || islower(ch) || (upper && isupper(ch)) || (ch && strchr(extra, ch))))
            return false;
    }
    return true;
}

static int parse_iss(account *a, const char *iss)
{
    const char *ns, *ref, *addr;

    if (strncmp(iss, "did:pkh:", 8) != 0)
        goto bad;
    ns = iss + 8;
    if (!(ref = strchr(ns, ':')) || !(addr = strchr(++ref, ':')))
        goto bad;
    addr++;
    if (!part_ok(ns, (size_t)(ref - 1 - ns), 3, 8, "-", false) ||
        !part_ok(ref, (size_t)(addr - 1 - ref), 1, 32, "-", true) || !part_ok(addr, strlen(addr), 1, 64, "", true))
        goto bad;
    snprintf(a->ns, sizeof a->ns, "%.*s", (int)(ref - 1 - ns), ns);
    snprintf(a->ref, sizeof a->ref, "%.*s", (int)(addr - 1 - ref), ref);
    snprintf(a->address, sizeof a->address, "%s", addr);
    return 0;
bad:;
    char ex[CER_EXCERPT_MAX];
    return cer_err(-EINVAL, "CACAO: iss '%s' is not did:pkh:<namespace>:<reference>:<address>", cer_excerpt(ex, iss));
}

static int line(cer_buf *b, const char *label, const char *value)
{
    int rc;

    if ((rc = cer_buf_puts(b, "\n")) < 0 || (rc = cer_buf_puts(b, label)) < 0)
        return rc;
    return cer_buf_puts(b, value);
}

int cer_cacao_message(cer_buf *out, const cJSON *p, const char *chain, bool legacy)
{
    const char *statement, *nonce, *iat, *exp, *nbf, *request_id;
    const cJSON *res = get(p, "resources"), *it;
    size_t nres = cJSON_IsArray(res) ? (size_t)cJSON_GetArraySize(res) : 0;
    account a;
    int rc;

    if (!str_field(p, "iss") || !str_field(p, "domain") || !str_field(p, "aud") || !str_field(p, "version"))
        return cer_err(-EINVAL, "CACAO: p.iss, p.domain, p.aud or p.version is not a string");
    if ((rc = parse_iss(&a, str_field(p, "iss"))) < 0 || (rc = opt_field(&statement, p, "statement")) < 0 ||
        (rc = opt_field(&nonce, p, "nonce")) < 0 || (rc = opt_field(&iat, p, "iat")) < 0 ||
        (rc = opt_field(&exp, p, "exp")) < 0 || (rc = opt_field(&nbf, p, "nbf")) < 0 ||
        (rc = opt_field(&request_id, p, "requestId")) < 0)
        return rc;
    /* js makes up a random nonce and the current time for missing ones:
     * no signature can cover those */
    if (!nonce)
        return cer_err(-EKEYREJECTED, "CACAO has no nonce");
    if (!iat)
        return cer_err(-EKEYREJECTED, "CACAO has no issue time (p.iat)");
    if ((rc = cer_buf_puts(out, str_field(p, "domain"))) < 0 ||
        (rc = cer_buf_puts(out, " wants you to sign in with your ")) < 0 ||
        (rc = cer_buf_puts(out, chain)) < 0 || (rc = cer_buf_puts(out, " account:\n")) < 0 ||
        (rc = cer_buf_puts(out, a.address)) < 0)
        return rc;
    if (statement && ((rc = cer_buf_puts(out, "\n\n")) < 0 || (rc = cer_buf_puts(out, statement)) < 0))
        return rc;
    if ((rc = cer_buf_puts(out, "\n\nURI: ")) < 0 || (rc = cer_buf_puts(out, str_field(p, "aud"))) < 0 ||
        (rc = line(out, "Version: ", str_field(p, "version"))) < 0 ||
        (!legacy && (rc = line(out, "Chain ID: ", a.ref)) < 0) || (rc = line(out, "Nonce: ", nonce)) < 0 ||
        (rc = line(out, "Issued At: ", iat)) < 0 || (exp && (rc = line(out, "Expiration Time: ", exp)) < 0) ||
        (nbf && (rc = line(out, "Not Before: ", nbf)) < 0) ||
        (request_id && (rc = line(out, "Request ID: ", request_id)) < 0) ||
        (legacy && (rc = line(out, "Chain ID: ", a.ref)) < 0))
        return rc;
    /* the current order lists resources when there is one; the legacy
     * order whenever the field is there, even empty */
    if (cJSON_IsArray(res) && (legacy || nres > 0)) {
        if ((rc = line(out, "Resources:", "")) < 0)
            return rc;
        cJSON_ArrayForEach(it, res)
            if ((rc = line(out, "- ", cJSON_IsString(it) ? it->valuestring : "")) < 0)
                return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Verification                                                         */
/* ------------------------------------------------------------------ */

/* A time field for the window checks: NULL when absent. */
static int time_field(int64_t *ms, bool *has, const cJSON *p, const char *key)
{
    const char *v;
    int rc;

    *has = false;
    if ((rc = opt_field(&v, p, key)) < 0 || !v)
        return rc;
    if ((rc = cer_js_date_parse(ms, v)) < 0)
        return cer_err_wrap(-EKEYREJECTED, "CACAO p.%s", key);
    *has = true;
    return 0;
}

/* cacao.ts verifyTimeChecks with js-ceramic's phase-out. */
static int check_times(const cJSON *p, int64_t at)
{
    int64_t iat, nbf, exp;
    bool has_iat, has_nbf, has_exp;
    int rc;

    if ((rc = time_field(&iat, &has_iat, p, "iat")) < 0 || (rc = time_field(&nbf, &has_nbf, p, "nbf")) < 0 ||
        (rc = time_field(&exp, &has_exp, p, "exp")) < 0)
        return rc;
    if (has_nbf && nbf > at + CLOCK_SKEW_MS)
        return cer_err(-EKEYREJECTED, "CACAO is not valid yet (not before %s)", str_field(p, "nbf"));
    if (has_iat && iat > at + CLOCK_SKEW_MS)
        return cer_err(-EKEYREJECTED, "CACAO is not valid yet (issued %s)", str_field(p, "iat"));
    if (has_exp && exp + PHASE_OUT_MS + CLOCK_SKEW_MS < at)
        return cer_err(-EKEYREJECTED, "CACAO has expired (at %s, 24 h phase-out included)", str_field(p, "exp"));
    return 0;
}

/* s.s as bytes: a "0x" hex string of even length (ethers' arrayify) or
 * a byte string. */
static int eth_sig_bytes(uint8_t out[65], size_t *len, const cJSON *v)
{
    int n;

    if (cJSON_IsString(v)) {
        const char *h = v->valuestring;
        size_t hl = strlen(h) - 2;
        if (strncmp(h, "0x", 2) != 0 || hl % 2 || hl > 130)
            goto bad;
        for (size_t i = 0; i < hl / 2; i++) {
            unsigned int b;
            if (!isxdigit((unsigned char)h[2 + 2 * i]) || !isxdigit((unsigned char)h[3 + 2 * i]) ||
                sscanf(h + 2 + 2 * i, "%2x", &b) != 1)
                goto bad;
            out[i] = (uint8_t)b;
        }
        *len = hl / 2;
        return 0;
    }
    if ((n = cer_json_get_bytes(out, 65, v)) >= 0) {
        *len = (size_t)n;
        return 0;
    }
bad:
    return cer_err(-EKEYREJECTED, "CACAO signature s.s is not 64 or 65 bytes of hex");
}

/* pkh-ethereum verifyEIP191Signature: the address recovered from the
 * message (and, for CACAOs issued up to 2022-09-20, from the legacy
 * message) must be iss's, compared in lower case. */
static int verify_eip191(const cer_cacao *c, const account *a)
{
    char want[sizeof a->address], got[CER_ETH_ADDRESS_MAX] = "";
    uint8_t sig[65];
    size_t siglen = 0;
    int64_t iat;
    int rc = 0, legacy;

    if ((rc = eth_sig_bytes(sig, &siglen, get(c->s, "s"))) < 0)
        return rc;
    for (size_t i = 0; i <= strlen(a->address); i++)
        want[i] = (char)tolower((unsigned char)a->address[i]);
    legacy = str_field(c->p, "iat") && cer_js_date_parse(&iat, str_field(c->p, "iat")) == 0 &&
             iat <= LEGACY_CHAIN_ID_REORG_MS;
    for (int pass = 0; pass <= legacy; pass++) {
        cer_buf m = CER_BUF_INIT;
        if ((rc = cer_cacao_message(&m, c->p, "Ethereum", pass == 1)) == 0)
            rc = cer_eip191_recover(got, m.data, m.len, sig, siglen);
        cer_buf_free(&m);
        if (rc < 0 && rc != -EKEYREJECTED)
            return rc;
        if (rc == 0 && strcmp(got, want) == 0)
            return 0;
    }
    if (rc < 0)
        return rc;
    return cer_err(-EKEYREJECTED, "CACAO signature does not belong to the issuer %s (signed by %s)", c->iss, got);
}

/* base58btc text (no multibase prefix) of exactly want bytes. */
static int b58_exact(uint8_t *out, size_t want, const char *s)
{
    uint8_t tmp[128];
    int n;

    if (strlen(s) > 2 * sizeof tmp)
        return -1;
    n = cer_base_decode(tmp, sizeof tmp, CER_BASE58BTC, s, strlen(s));
    if (n != (int)want)
        return -1;
    memcpy(out, tmp, want);
    return 0;
}

/* pkh-solana verifySolanaSignature: ed25519 by the base58 address over
 * the UTF-8 message (current order only). */
static int verify_solana(const cer_cacao *c, const account *a)
{
    const cJSON *v = get(c->s, "s");
    uint8_t sig[64], pk[32];
    cer_buf m = CER_BUF_INIT;
    int rc;

    if (!cJSON_IsString(v) || b58_exact(sig, sizeof sig, v->valuestring) < 0)
        return cer_err(-EKEYREJECTED, "CACAO signature s.s is not 64 bytes of base58btc");
    if (b58_exact(pk, sizeof pk, a->address) < 0)
        return cer_err(-EKEYREJECTED, "CACAO issuer address is not a base58btc ed25519 key");
    if ((rc = cer_cacao_message(&m, c->p, "Solana", false)) == 0 &&
        crypto_sign_verify_detached(sig, m.data, m.len, pk) != 0)
        rc = cer_err(-EKEYREJECTED, "CACAO signature does not belong to the issuer %s", c->iss);
    cer_buf_free(&m);
    return rc;
}

/* Whether c's signature is among the good ones (keep: becomes one). */
static bool good_sig(const cer_cacao *c, bool keep)
{
    size_t i = (size_t)(cer_cid_hash(&c->cid) % GOOD_SLOTS);
    bool known;

    pthread_mutex_lock(&good.lock);
    known = good.used[i] && cer_cid_equal(&good.cid[i], &c->cid);
    if (keep) {
        good.cid[i] = c->cid;
        good.used[i] = true;
    } else if (!known) {
        good.checks++;  /* the caller checks it now */
    }
    pthread_mutex_unlock(&good.lock);
    return known;
}

uint64_t cer_cacao_signature_checks(void)
{
    uint64_t n;

    pthread_mutex_lock(&good.lock);
    n = good.checks;
    pthread_mutex_unlock(&good.lock);
    return n;
}

int cer_cacao_verify(const cer_cacao *c, int64_t at_ms)
{
    const cJSON *t;
    account a;
    int rc;

    if (!c->s)
        return cer_err(-EKEYREJECTED, "CACAO does not have a signature");
    t = get(c->s, "t");
    if (!cJSON_IsString(t) ||
        (strcmp(t->valuestring, "eip191") != 0 && strcmp(t->valuestring, "solana:ed25519") != 0)) {
        char ex[CER_EXCERPT_MAX];
        return cer_err(-ENOTSUP, "CACAO signature type '%s' is not supported (eip191, solana:ed25519)",
                       cJSON_IsString(t) ? cer_excerpt(ex, t->valuestring) : "(none)");
    }
    if ((rc = sodium_init()) < 0)
        return cer_err(-ENOMEM, "libsodium: cannot initialise");
    if ((rc = check_times(c->p, at_ms)) < 0)
        return rc;
    if (good_sig(c, false))
        return 0;
    if ((rc = parse_iss(&a, c->iss)) < 0 ||
        (rc = strcmp(t->valuestring, "eip191") == 0 ? verify_eip191(c, &a) : verify_solana(c, &a)) < 0)
        return rc;
    good_sig(c, true);
    return 0;
}

/* ------------------------------------------------------------------ */
/* A commit under a CACAO                                               */
/* ------------------------------------------------------------------ */

static bool has_resource(const cJSON *res, const char *want)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, res)
        if (strcmp(it->valuestring, want) == 0)
            return true;
    return false;
}

int cer_cacao_authorize(const cer_cacao *c, const cer_cacao_use *u)
{
    const cJSON *res = get(c->p, "resources");
    char ex[CER_EXCERPT_MAX], stream[CER_STREAMID_STR_MAX + 16], payload[CER_STREAMID_STR_MAX + CER_CID_STR_MAX + 32],
        model[CER_STREAMID_STR_MAX + 32];
    int rc;

    /* signature_utils.ts _verifyCapabilityAuthz */
    snprintf(stream, sizeof stream, "ceramic://%s", u->stream);
    snprintf(payload, sizeof payload, "ceramic://%s?payload=%s", u->stream, u->payload);
    snprintf(model, sizeof model, "ceramic://*?model=%s", u->model ? u->model : "");
    if (!cJSON_IsArray(res) || !(has_resource(res, "ceramic://*") || has_resource(res, stream) ||
                                 has_resource(res, payload) || (u->model && has_resource(res, model))))
        return cer_err(-EKEYREJECTED, "capability does not have appropriate permissions to update stream %s%s%s",
                       u->stream, u->model ? " of model " : "", u->model ? u->model : "");
    /* dids 4.0.4 verifyJWS */
    if (strcmp(u->controller, u->signer) == 0)
        return 0;
    if (strcmp(u->controller, c->iss) != 0)
        return cer_err(-EKEYREJECTED, "capability issued by %s, not by the controller %.200s", cer_excerpt(ex, c->iss),
                       u->controller);
    if (strcmp(u->signer, c->aud) != 0)
        return cer_err(-EKEYREJECTED, "capability is for %s, not for the signer %s", cer_excerpt(ex, c->aud),
                       u->signer);
    if ((rc = cer_cacao_verify(c, u->at_ms)) < 0)
        return rc;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Making one                                                           */
/* ------------------------------------------------------------------ */

void cer_js_date_iso(char out[CER_JS_DATE_MAX], int64_t ms)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, CER_JS_DATE_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(((ms % 1000) + 1000) % 1000));
}

int cer_cacao_make_siwe(cer_buf *block, cer_cid *cid, const uint8_t secret[32], const char *chain,
                        const char *domain, const char *aud, int64_t now_ms, int64_t lifetime_s,
                        const char *const *resources, size_t nresources)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char address[CER_ETH_ADDRESS_MAX], iss[CER_DID_MAX], iat[CER_JS_DATE_MAX], exp[CER_JS_DATE_MAX], nonce[11],
        hex[2 + 130 + 1];
    cJSON *root = cJSON_CreateObject(), *p = NULL, *res = NULL, *h, *s;
    cer_buf msg = CER_BUF_INIT;
    uint8_t sig[65];
    int rc;

    if (!root)
        return cer_err(-ENOMEM, "CACAO: out of memory");
    if ((rc = cer_eth_address(address, secret)) < 0)
        goto out;
    if (snprintf(iss, sizeof iss, "did:pkh:eip155:%s:%s", chain, address) >= (int)sizeof iss) {
        rc = cer_err(-EINVAL, "CACAO: chain id '%.40s' is too long", chain);
        goto out;
    }
    for (size_t i = 0; i < 10; i++)  /* @stablelib/random randomString(10) */
        nonce[i] = alnum[randombytes_uniform(sizeof alnum - 1)];
    nonce[10] = '\0';
    cer_js_date_iso(iat, now_ms);
    cer_js_date_iso(exp, now_ms + lifetime_s * 1000);
    h = cJSON_AddObjectToObject(root, "h");
    p = cJSON_AddObjectToObject(root, "p");
    if (!h || !p || !cJSON_AddStringToObject(h, "t", "eip4361") || !cJSON_AddStringToObject(p, "domain", domain) ||
        !cJSON_AddStringToObject(p, "iat", iat) || !cJSON_AddStringToObject(p, "iss", iss) ||
        !cJSON_AddStringToObject(p, "aud", aud) || !cJSON_AddStringToObject(p, "version", "1") ||
        !cJSON_AddStringToObject(p, "nonce", nonce) || !cJSON_AddStringToObject(p, "exp", exp) ||
        !cJSON_AddStringToObject(p, "statement", "Give this application access to some of your data on Ceramic") ||
        !(res = cJSON_AddArrayToObject(p, "resources"))) {
        rc = cer_err(-ENOMEM, "CACAO: out of memory");
        goto out;
    }
    for (size_t i = 0; i < nresources; i++)
        if (!cJSON_AddItemToArray(res, cJSON_CreateString(resources[i])) || !cJSON_GetArrayItem(res, (int)i)) {
            rc = cer_err(-ENOMEM, "CACAO: out of memory");
            goto out;
        }
    if ((rc = cer_cacao_message(&msg, p, "Ethereum", false)) < 0 ||
        (rc = cer_eip191_sign(sig, msg.data, msg.len, secret)) < 0)
        goto out;
    strcpy(hex, "0x");
    for (int i = 0; i < 65; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", sig[i]);
    if (!(s = cJSON_AddObjectToObject(root, "s")) || !cJSON_AddStringToObject(s, "t", "eip191") ||
        !cJSON_AddStringToObject(s, "s", hex)) {
        rc = cer_err(-ENOMEM, "CACAO: out of memory");
        goto out;
    }
    if ((rc = cer_dagcbor_encode(block, root, 0)) == 0)
        rc = cer_cid_of_block(cid, CER_CODEC_DAG_CBOR, block->data, block->len);
out:
    sodium_memzero(sig, sizeof sig);
    cer_buf_free(&msg);
    cJSON_Delete(root);
    return rc;
}
