/*
 * account.c — a node that writes as an Ethereum account (did:pkh) through
 * CACAO sessions, as js-did's DIDSession does with pkh-ethereum's
 * EthereumNodeAuth: the account's key (a key file the user keeps) signs a
 * SIWE message delegating to a fresh ed25519 session key
 * (cer_cacao_make_siwe); the session key signs the commits with the
 * CACAO's CID in its JWS headers (cer_key.has_cap).
 *
 * Files in the state directory, both mode 0600, replaced crash-safely:
 *   account  {"did", "keyFile", "chain", "lifetime", "resources"}: what to
 *            make sessions with (no secret: the key file is read only when
 *            a session is made, and must still hold the account's key);
 *   session  {"seed", "cacao", "expires"}: the session key's ed25519 seed
 *            (hex), its CACAO's CID (the block is in the node's store),
 *            and the CACAO's exp in ms.
 * A session is renewed when less than a quarter of its lifetime is left,
 * so commits are never signed under a CACAO about to expire.
 *
 * A session a wallet made (cer_account_opts session_file, or cacao_file
 * and session_key_file) is used as given: verified when it is imported
 * (its signature, aud = the session key, Ceramic resources, not
 * expired), never renewed (no key of the account is here). Its account
 * file is {"did", "given": true, "resources"}; its session file adds
 * "block", the CACAO block in base64, so that it can be put back in
 * the store. Past its exp every write is refused; in its last quarter
 * cer_account_key says it is due to expire.
 */
#include "account.h"
#include "buf.h"
#include "cacao.h"
#include "clock.h"
#include "eip191.h"
#include "error.h"
#include "fileio.h"
#include "walletsession.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_LIFETIME_S (7 * 24 * 3600)  /* pkh-ethereum createCACAO: one week */
#define MAX_LIFETIME_S (366 * 24 * 3600LL)
#define MAX_RESOURCES 64
#define FILE_MAX 16384
#define DOMAIN "ceramicfs"                  /* EthereumNodeAuth's appName */

struct cer_account {
    pthread_mutex_t lock;                  /* guards the session */
    char *dir;
    char did[CER_DID_MAX];
    char key_file[PATH_MAX];
    char chain[33];
    int64_t lifetime_s;
    char **resources;
    size_t nresources;
    bool has_session;
    cer_key session;                       /* with has_cap, cap and parent */
    int64_t expires_ms;                    /* given: 0 when the CACAO has no exp */
    bool given;                            /* made by a wallet: never renewed */
    bool warned;                           /* given: its expiry was announced */
    cer_buf block;                         /* given: the CACAO block */
};

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A small JSON file of ours: *out NULL when it does not exist. */
static int read_json(cJSON **out, const char *path)
{
    char buf[FILE_MAX + 1];
    ssize_t n;
    int fd, rc;

    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return errno == ENOENT ? 0 : cer_err(-errno, "account: cannot open %s: %s", path, strerror(errno));
    n = read(fd, buf, sizeof buf);
    rc = n < 0 ? -errno : 0;
    close(fd);
    if (rc < 0)
        return cer_err(rc, "account: cannot read %s: %s", path, strerror(-rc));
    if (n > FILE_MAX)
        return cer_err(-EFBIG, "account: %s is over %d bytes", path, FILE_MAX);
    if ((rc = cer_json_parse(out, buf, (size_t)n, 0)) < 0 || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cer_err(rc < 0 ? rc : -EINVAL, "account: %s is not a JSON object", path);
    }
    sodium_memzero(buf, sizeof buf);
    return 0;
}

static int write_json(const char *dir, const char *name, const cJSON *o, bool sync)
{
    char *path = join(dir, name), *text = NULL;
    int rc;

    if (!path)
        return cer_err(-ENOMEM, "account: out of memory");
    if ((rc = cer_json_print(&text, o, 0)) == 0)
        rc = cer_file_replace(path, text, strlen(text), 0600, sync);
    if (text)
        sodium_memzero(text, strlen(text));
    free(text);
    free(path);
    return rc;
}

void cer_account_close(cer_account *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nresources; i++)
        free(a->resources[i]);
    free(a->resources);
    free(a->dir);
    cer_buf_free(&a->block);
    cer_key_wipe(&a->session);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const char *cer_account_did(const cer_account *a)
{
    return a->did;
}

static bool chain_ok(const char *c)
{
    size_t n = strlen(c);

    return n >= 1 && n <= 32 && strspn(c, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* A resource goes into the SIWE text as one "- <uri>" line. */
static bool resource_ok(const char *r)
{
    if (!r[0] || strlen(r) > 1024)
        return false;
    for (const unsigned char *p = (const unsigned char *)r; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int add_resource(cer_account *a, const char *r)
{
    char **res;

    if (!resource_ok(r))
        return cer_err(-EINVAL, "account: resource '%.60s' is empty, too long or holds control characters", r);
    if (a->nresources == MAX_RESOURCES)
        return cer_err(-EINVAL, "account: more than %d resources", MAX_RESOURCES);
    if (!(res = realloc(a->resources, (a->nresources + 1) * sizeof *res)))
        return cer_err(-ENOMEM, "account: out of memory");
    a->resources = res;
    if (!(res[a->nresources] = strdup(r)))
        return cer_err(-ENOMEM, "account: out of memory");
    a->nresources++;
    return 0;
}

static int new_account(cer_account **out, const char *dir)
{
    cer_account *a = calloc(1, sizeof *a);

    *out = NULL;
    if (!a || !(a->dir = strdup(dir))) {
        free(a);
        return cer_err(-ENOMEM, "account: out of memory");
    }
    pthread_mutex_init(&a->lock, NULL);
    *out = a;
    return 0;
}

/* A given session's CACAO block, kept in its session file. */
static int load_block(cer_account *a, const cJSON *b64)
{
    size_t n = cJSON_IsString(b64) ? strlen(b64->valuestring) : 0;
    int len;

    if (!n || n > 4 * (CER_BLOCK_MAX / 3 + 1) || cer_buf_reserve(&a->block, n) < 0 ||
        (len = cer_base_decode(a->block.data, n, CER_BASE64, b64->valuestring, n)) <= 0)
        return cer_err(-EINVAL, "account: the session file of %s has no CACAO block (import the session again)",
                       a->did);
    a->block.len = (size_t)len;
    return 0;
}

/* The session file, when it is one of this account's. */
static int load_session(cer_account *a)
{
    char *path = join(a->dir, "session");
    const cJSON *seed, *cacao, *expires, *type;
    cer_keytype kt = CER_KEY_ED25519;
    cer_cid cap;
    uint8_t s[32];
    cJSON *j = NULL;
    int rc;

    if (!path)
        return cer_err(-ENOMEM, "account: out of memory");
    rc = read_json(&j, path);
    free(path);
    if (rc < 0 || !j)
        return rc;
    seed = get(j, "seed");
    cacao = get(j, "cacao");
    expires = get(j, "expires");
    if (!cJSON_IsString(seed) || strlen(seed->valuestring) != 64 || !cJSON_IsString(cacao) ||
        !cJSON_IsNumber(expires) || cer_base_decode(s, sizeof s, CER_BASE16, seed->valuestring, 64) != 32 ||
        cer_cid_parse(&cap, cacao->valuestring) < 0) {
        rc = 0;  /* not ours any more: a new one is made when needed */
        goto out;
    }
    if (a->given && (rc = load_block(a, get(j, "block"))) < 0)
        goto out;
    type = get(j, "type");
    if (cJSON_IsString(type) && cer_keytype_parse(&kt, type->valuestring) < 0) {
        rc = 0;
        goto out;
    }
    if ((rc = cer_key_from_secret(&a->session, kt, s)) < 0)
        goto out;
    a->session.has_cap = true;
    a->session.cap = cap;
    snprintf(a->session.parent, sizeof a->session.parent, "%s", a->did);
    a->expires_ms = (int64_t)expires->valuedouble;
    a->has_session = true;
out:
    sodium_memzero(s, sizeof s);
    if (seed && cJSON_IsString(seed))
        sodium_memzero(seed->valuestring, strlen(seed->valuestring));
    cJSON_Delete(j);
    return rc;
}

int cer_account_open(cer_account **out, const char *dir)
{
    char *path = join(dir, "account");
    const cJSON *did, *kf, *chain, *life, *res, *it;
    cer_account *a = NULL;
    cJSON *j = NULL;
    int rc;

    *out = NULL;
    if (!path)
        return cer_err(-ENOMEM, "account: out of memory");
    rc = read_json(&j, path);
    if (rc < 0 || !j)
        goto out;
    did = get(j, "did");
    if (cJSON_IsTrue(get(j, "given")) && cJSON_IsString(did) && strlen(did->valuestring) < CER_DID_MAX &&
        cJSON_IsArray(get(j, "resources"))) {
        if ((rc = new_account(&a, dir)) < 0)
            goto out;
        a->given = true;
        snprintf(a->did, sizeof a->did, "%s", did->valuestring);
        life = get(j, "lifetime");
        a->lifetime_s = cJSON_IsNumber(life) && life->valuedouble > 0 ? (int64_t)life->valuedouble : 0;
        res = get(j, "resources");
        goto resources;
    }
    kf = get(j, "keyFile");
    chain = get(j, "chain");
    life = get(j, "lifetime");
    res = get(j, "resources");
    if (!cJSON_IsString(did) || strlen(did->valuestring) >= CER_DID_MAX || !cJSON_IsString(kf) ||
        strlen(kf->valuestring) >= PATH_MAX || !cJSON_IsString(chain) || !chain_ok(chain->valuestring) ||
        !cJSON_IsNumber(life) || life->valuedouble < 1 || life->valuedouble > MAX_LIFETIME_S || !cJSON_IsArray(res)) {
        rc = cer_err(-EINVAL, "account: %s is damaged (remove it, or set the account again)", path);
        goto out;
    }
    if ((rc = new_account(&a, dir)) < 0)
        goto out;
    snprintf(a->did, sizeof a->did, "%s", did->valuestring);
    snprintf(a->key_file, sizeof a->key_file, "%s", kf->valuestring);
    snprintf(a->chain, sizeof a->chain, "%s", chain->valuestring);
    a->lifetime_s = (int64_t)life->valuedouble;
resources:
    cJSON_ArrayForEach(it, res)
        if ((rc = cJSON_IsString(it) ? add_resource(a, it->valuestring)
                                     : cer_err(-EINVAL, "account: %s has a resource that is no string", path)) < 0)
            goto out;
    if ((rc = load_session(a)) < 0)
        goto out;
    if (a->given && !a->has_session) {
        rc = cer_err(-EINVAL, "account: the session of %s is missing or damaged (import it again)", a->did);
        goto out;
    }
    *out = a;
    a = NULL;
out:
    cer_account_close(a);
    cJSON_Delete(j);
    free(path);
    return rc;
}

static int write_session(cer_account *a, const cer_key *key, const cer_cid *cap, int64_t expires_ms, bool sync);

/* A new session: key, CACAO (into store), session file. Under a->lock. */
static int renew(cer_account *a, cer_store *store, int64_t now_ms, bool sync)
{
    char address[CER_ETH_ADDRESS_MAX], want[CER_DID_MAX];
    cer_key eth, session;
    cer_buf block = CER_BUF_INIT;
    cer_cid cap;
    int rc;

    memset(&eth, 0, sizeof eth);
    memset(&session, 0, sizeof session);
    if ((rc = cer_key_load_file(&eth, a->key_file)) < 0)
        return cer_err_wrap(rc, "account %s", a->did);
    if (eth.type != CER_KEY_SECP256K1) {
        rc = cer_err(-EINVAL, "account: %s holds no Ethereum (secp256k1) key", a->key_file);
        goto out;
    }
    if ((rc = cer_eth_address(address, eth.seed)) < 0)
        goto out;
    snprintf(want, sizeof want, "did:pkh:eip155:%s:%s", a->chain, address);
    if (strcmp(want, a->did) != 0) {
        rc = cer_err(-EPERM, "account: %s now holds the key of %s, not of %s", a->key_file, want, a->did);
        goto out;
    }
    if ((rc = cer_key_generate(&session)) < 0 ||
        (rc = cer_cacao_make_siwe(&block, &cap, eth.seed, a->chain, DOMAIN, session.did, now_ms, a->lifetime_s,
                                  (const char *const *)a->resources, a->nresources)) < 0 ||
        (rc = cer_store_put(store, &cap, block.data, block.len)) < 0 ||
        (rc = write_session(a, &session, &cap, now_ms + a->lifetime_s * 1000, sync)) < 0)
        goto out;
    session.has_cap = true;
    session.cap = cap;
    snprintf(session.parent, sizeof session.parent, "%s", a->did);
    a->session = session;
    a->expires_ms = now_ms + a->lifetime_s * 1000;
    a->has_session = true;
out:
    cer_key_wipe(&session);
    cer_key_wipe(&eth);
    cer_buf_free(&block);
    return rc;
}

/* Whether the account's resources let it write stream (a StreamID; NULL:
 * a new one) of model (NULL: none), as js checks them
 * (cer_cacao_authorize). */
static int covers(const cer_account *a, const char *stream, const char *model)
{
    char want[CER_STREAMID_STR_MAX + 32];

    for (size_t i = 0; i < a->nresources; i++) {
        const char *r = a->resources[i];
        if (strcmp(r, "ceramic://*") == 0)
            return 0;
        if (strncmp(r, "ceramic://", 10) != 0)
            continue;
        if (stream && strcmp(r + 10, stream) == 0)
            return 0;
        snprintf(want, sizeof want, "*?model=%s", model ? model : "");
        if (model && strcmp(r + 10, want) == 0)
            return 0;
    }
    return cer_err(-EACCES, "account: the CACAO of %s does not cover %s%s%s (its resources name neither "
                            "ceramic://* nor it)", a->did, stream ? stream : "a new stream",
                   model ? " of model " : "", model ? model : "");
}

/* A given session: usable until its exp; 1 in its last quarter, once. */
static int given_key(cer_account *a, cer_store *store, int64_t now_ms)
{
    char when[CER_JS_DATE_MAX];
    int rc;

    if (a->expires_ms && now_ms >= a->expires_ms) {
        cer_js_date_iso(when, a->expires_ms);
        return cer_err(-EKEYEXPIRED, "account: the wallet session of %s expired at %s; ceramicfs cannot renew a "
                                     "CACAO a wallet signed: sign a new session in the wallet and import it "
                                     "(ceramicfs account --session FILE)", a->did, when);
    }
    if (cer_store_has(store, &a->session.cap) != 1 &&
        (rc = cer_store_put(store, &a->session.cap, a->block.data, a->block.len)) < 0)
        return rc;
    if (a->expires_ms && !a->warned && now_ms >= a->expires_ms - a->lifetime_s * 1000 / 4) {
        a->warned = true;
        return 1;
    }
    return 0;
}

int cer_account_key(cer_account *a, cer_store *store, cer_key *out, int64_t now_ms, const char *stream,
                    const char *model)
{
    int rc;

    if ((rc = covers(a, stream, model)) < 0)
        return rc;
    pthread_mutex_lock(&a->lock);
    if (a->given)
        rc = given_key(a, store, now_ms);
    else if (!a->has_session || now_ms >= a->expires_ms - a->lifetime_s * 1000 / 4 ||
             cer_store_has(store, &a->session.cap) != 1)
        rc = renew(a, store, now_ms, true);
    if (rc >= 0)
        *out = a->session;
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* The session file of a session: its key (seed hex, type), CACAO CID,
 * exp, and for a given one the CACAO block. */
static int write_session(cer_account *a, const cer_key *key, const cer_cid *cap, int64_t expires_ms, bool sync)
{
    char seedhex[65], cid[CER_CID_STR_MAX], *b64 = NULL;
    cJSON *j = NULL;
    int rc;

    for (int i = 0; i < 32; i++)
        snprintf(seedhex + 2 * i, 3, "%02x", key->seed[i]);
    if ((rc = cer_cid_to_string(cid, sizeof cid, cap)) < 0)
        goto out;
    if (a->given && (!(b64 = malloc(cer_base_encoded_max(CER_BASE64, a->block.len))) ||
                     cer_base_encode(b64, cer_base_encoded_max(CER_BASE64, a->block.len), CER_BASE64, a->block.data,
                                     a->block.len) < 0)) {
        rc = cer_err(-ENOMEM, "account: out of memory");
        goto out;
    }
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "seed", seedhex) ||
        !cJSON_AddStringToObject(j, "cacao", cid) || !cJSON_AddNumberToObject(j, "expires", (double)expires_ms) ||
        (key->type != CER_KEY_ED25519 && !cJSON_AddStringToObject(j, "type", cer_keytype_name(key->type))) ||
        (b64 && !cJSON_AddStringToObject(j, "block", b64))) {
        rc = cer_err(-ENOMEM, "account: out of memory");
        goto out;
    }
    rc = write_json(a->dir, "session", j, sync);
out:
    sodium_memzero(seedhex, sizeof seedhex);
    if (j && cJSON_IsString(get(j, "seed")))
        sodium_memzero(get(j, "seed")->valuestring, 64);
    cJSON_Delete(j);
    free(b64);
    return rc;
}

/* A session a wallet made, checked as js will check the commits it signs
 * now, and kept as given. */
static int import_given(cer_account **out, const char *dir, cer_store *store, const cer_account_opts *o,
                        int64_t now_ms, bool sync)
{
    char ex[CER_EXCERPT_MAX];
    const cJSON *res, *it;
    cer_account *a = NULL;
    cer_cacao c = {0};
    cer_key key;
    cer_cid cap;
    int64_t iat = 0, exp = 0;
    cJSON *j = NULL, *arr;
    int rc;

    if ((rc = new_account(&a, dir)) < 0)
        return rc;
    a->given = true;
    if ((rc = cer_wallet_session_read(&a->block, &key, o->session_file, o->cacao_file, o->session_key_file)) < 0)
        goto out;
    if ((rc = cer_cacao_decode(&c, a->block.data, a->block.len)) < 0)
        goto out;
    if (strncmp(c.iss, "did:pkh:", 8) != 0 || strlen(c.iss) >= CER_DID_MAX) {
        rc = cer_err(-EINVAL, "account: the CACAO's issuer '%s' is no did:pkh account", cer_excerpt(ex, c.iss));
        goto out;
    }
    if (strcmp(c.aud, key.did) != 0) {
        rc = cer_err(-EKEYREJECTED, "account: the CACAO delegates to %s, not to the session key %s",
                     cer_excerpt(ex, c.aud), key.did);
        goto out;
    }
    if (cJSON_IsString(get(c.p, "exp")) && cer_js_date_parse(&exp, get(c.p, "exp")->valuestring) < 0) {
        rc = cer_err(-EINVAL, "account: the CACAO's exp is not a date");
        goto out;
    }
    if (exp && exp <= now_ms) {
        char when[CER_JS_DATE_MAX];
        cer_js_date_iso(when, exp);
        rc = cer_err(-EKEYEXPIRED, "account: the CACAO expired at %s: sign a new session in the wallet", when);
        goto out;
    }
    if ((rc = cer_cacao_verify(&c, now_ms)) < 0) {
        rc = cer_err_wrap(rc, "account: the wallet session does not verify");
        goto out;
    }
    res = get(c.p, "resources");  /* strings or absent (cer_cacao_decode) */
    cJSON_ArrayForEach(it, res)
        if (strncmp(it->valuestring, "ceramic://", 10) == 0 && (rc = add_resource(a, it->valuestring)) < 0)
            goto out;
    if (!a->nresources) {
        rc = cer_err(-EACCES, "account: the CACAO's resources name no Ceramic stream (ceramic://...): "
                              "it lets the session write nothing");
        goto out;
    }
    snprintf(a->did, sizeof a->did, "%s", c.iss);
    if (exp && cJSON_IsString(get(c.p, "iat")) && cer_js_date_parse(&iat, get(c.p, "iat")->valuestring) == 0 &&
        iat < exp)
        a->lifetime_s = (exp - iat) / 1000;
    if ((rc = cer_cid_of_block(&cap, CER_CODEC_DAG_CBOR, a->block.data, a->block.len)) < 0 ||
        (rc = cer_store_put(store, &cap, a->block.data, a->block.len)) < 0 ||
        (rc = write_session(a, &key, &cap, exp, sync)) < 0)
        goto out;
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "did", a->did) ||
        !cJSON_AddBoolToObject(j, "given", 1) || !cJSON_AddNumberToObject(j, "lifetime", (double)a->lifetime_s) ||
        !(arr = cJSON_AddArrayToObject(j, "resources"))) {
        rc = cer_err(-ENOMEM, "account: out of memory");
        goto out;
    }
    for (size_t i = 0; i < a->nresources; i++)
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(a->resources[i])) || !cJSON_GetArrayItem(arr, (int)i)) {
            rc = cer_err(-ENOMEM, "account: out of memory");
            goto out;
        }
    if ((rc = write_json(dir, "account", j, sync)) < 0)
        goto out;
    a->session = key;
    a->session.has_cap = true;
    a->session.cap = cap;
    snprintf(a->session.parent, sizeof a->session.parent, "%s", a->did);
    a->expires_ms = exp;
    a->has_session = true;
    *out = a;
    a = NULL;
out:
    cer_key_wipe(&key);
    cer_cacao_free(&c);
    cJSON_Delete(j);
    cer_account_close(a);
    return rc;
}

int cer_account_setup(cer_account **out, const char *dir, cer_store *store, const cer_account_opts *o,
                      int64_t now_ms, bool sync)
{
    static const char *const all[] = {"ceramic://*"};
    char address[CER_ETH_ADDRESS_MAX], real[PATH_MAX];
    const char *const *res = o && o->resources ? o->resources : all;
    size_t nres = o && o->resources ? o->nresources : 1;
    cer_account *a = NULL;
    cer_key eth;
    cJSON *j = NULL, *arr;
    char *path;
    int rc;

    *out = NULL;
    if (!o) {  /* back to the node's did:key */
        for (int i = 0; i < 2; i++) {
            if (!(path = join(dir, i ? "session" : "account")))
                return cer_err(-ENOMEM, "account: out of memory");
            rc = unlink(path) < 0 && errno != ENOENT ? cer_err(-errno, "account: cannot remove %s", path) : 0;
            free(path);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (o->session_file || o->cacao_file || o->session_key_file) {
        if (o->eth_key_file || o->chain || o->lifetime_s || o->resources)
            return cer_err(-EINVAL, "account: a wallet's session is used as given (no key, chain, lifetime "
                                    "or resources of ours)");
        return import_given(out, dir, store, o, now_ms, sync);
    }
    if (!o->eth_key_file || !realpath(o->eth_key_file, real))
        return cer_err(o->eth_key_file ? -errno : -EINVAL, "account: key file '%s' not found",
                       o->eth_key_file ? o->eth_key_file : "");
    if (o->chain && !chain_ok(o->chain))
        return cer_err(-EINVAL, "account: chain id '%.40s' is not 1-32 letters, digits or '-'", o->chain);
    if (o->lifetime_s < 0 || o->lifetime_s > MAX_LIFETIME_S || (o->lifetime_s && o->lifetime_s < 60))
        return cer_err(-EINVAL, "account: a session lasts 60 s to 366 days");
    if ((rc = cer_key_load_file(&eth, real)) < 0)
        return rc;
    if (eth.type != CER_KEY_SECP256K1)
        rc = cer_err(-EINVAL, "account: %s holds no Ethereum key (0x and 64 hex digits, or secp256k1:...)", real);
    else
        rc = cer_eth_address(address, eth.seed);
    cer_key_wipe(&eth);
    if (rc < 0 || (rc = new_account(&a, dir)) < 0)
        return rc;
    snprintf(a->chain, sizeof a->chain, "%s", o->chain ? o->chain : "1");
    snprintf(a->did, sizeof a->did, "did:pkh:eip155:%s:%s", a->chain, address);
    snprintf(a->key_file, sizeof a->key_file, "%s", real);
    a->lifetime_s = o->lifetime_s ? o->lifetime_s : DEFAULT_LIFETIME_S;
    for (size_t i = 0; i < nres; i++)
        if ((rc = add_resource(a, res[i])) < 0)
            goto out;
    if (!nres) {
        rc = cer_err(-EINVAL, "account: no resources: the sessions could write nothing");
        goto out;
    }
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "did", a->did) ||
        !cJSON_AddStringToObject(j, "keyFile", a->key_file) || !cJSON_AddStringToObject(j, "chain", a->chain) ||
        !cJSON_AddNumberToObject(j, "lifetime", (double)a->lifetime_s) ||
        !(arr = cJSON_AddArrayToObject(j, "resources"))) {
        rc = cer_err(-ENOMEM, "account: out of memory");
        goto out;
    }
    for (size_t i = 0; i < a->nresources; i++)
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(a->resources[i])) || !cJSON_GetArrayItem(arr, (int)i)) {
            rc = cer_err(-ENOMEM, "account: out of memory");
            goto out;
        }
    pthread_mutex_lock(&a->lock);
    rc = renew(a, store, now_ms, sync);
    pthread_mutex_unlock(&a->lock);
    if (rc < 0 || (rc = write_json(dir, "account", j, sync)) < 0)
        goto out;
    *out = a;
    a = NULL;
out:
    cJSON_Delete(j);
    cer_account_close(a);
    return rc;
}

int cer_account_describe(cer_account *a, cJSON *o)
{
    char cid[CER_CID_STR_MAX] = "", expires[CER_JS_DATE_MAX] = "";
    cJSON *arr;
    bool ok;

    pthread_mutex_lock(&a->lock);
    if (a->has_session) {
        cer_cid_to_string(cid, sizeof cid, &a->session.cap);
        cer_js_date_iso(expires, a->expires_ms);
    }
    ok = cJSON_AddStringToObject(o, "did", a->did) &&
         (a->given ? cJSON_AddBoolToObject(o, "given", 1) != NULL
                   : cJSON_AddStringToObject(o, "keyFile", a->key_file) &&
                         cJSON_AddStringToObject(o, "chain", a->chain)) &&
         cJSON_AddNumberToObject(o, "lifetime", (double)a->lifetime_s) &&
         (arr = cJSON_AddArrayToObject(o, "resources")) &&
         (!a->has_session || (cJSON_AddStringToObject(o, "session", a->session.did) &&
                              cJSON_AddStringToObject(o, "capability", cid) &&
                              (a->given && !a->expires_ms ? cJSON_AddNullToObject(o, "expires") != NULL
                                                          : cJSON_AddStringToObject(o, "expires", expires) != NULL)));
    for (size_t i = 0; ok && i < a->nresources; i++)
        ok = cJSON_AddItemToArray(arr, cJSON_CreateString(a->resources[i])) && cJSON_GetArrayItem(arr, (int)i);
    if (ok && a->given && a->expires_ms) {  /* what cer_account_key will say */
        int64_t now = cer_clock_ms(CLOCK_REALTIME);
        if (now >= a->expires_ms)
            ok = cJSON_AddStringToObject(o, "warning", "the wallet session has expired: saves are refused until "
                                                       "a new one is imported") != NULL;
        else if (now >= a->expires_ms - a->lifetime_s * 1000 / 4)
            ok = cJSON_AddStringToObject(o, "warning", "the wallet session expires soon and cannot be renewed "
                                                       "here: import a new one") != NULL;
    }
    pthread_mutex_unlock(&a->lock);
    return ok ? 0 : cer_err(-ENOMEM, "account: out of memory");
}
