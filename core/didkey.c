/*
 * didkey.c — signing keys (ed25519 through libsodium; secp256k1 and P-256
 * through ecdsa.c), their did:key and kid, the reverse mapping from a
 * did:key or kid to a checked public key, and the key file a node keeps
 * its key in (written crash-safely, read only when no one but the owner
 * can read it).
 */
#include "didkey.h"
#include "ecdsa.h"
#include "error.h"
#include "fileio.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DID_PREFIX "did:key:"
#define DID_PREFIX_LEN (sizeof DID_PREFIX - 1)
#define SEED_HEX_LEN 64

/* Multicodec codes of public key types (multiformats table.csv). */
#define MC_ED25519_PUB 0xed
#define MC_SECP256K1_PUB 0xe7
#define MC_P256_PUB 0x1200
#define MC_P384_PUB 0x1201
#define MC_P521_PUB 0x1202

static int sodium_ready(void)
{
    if (sodium_init() < 0)
        return cer_err(-EIO, "didkey: libsodium failed to initialise");
    return 0;
}

/* ---- key types ---- */

static const char *const type_names[] = {"ed25519", "secp256k1", "p256"};

const char *cer_keytype_name(cer_keytype type)
{
    return (unsigned)type < sizeof type_names / sizeof *type_names ? type_names[type] : "unknown";
}

int cer_keytype_parse(cer_keytype *out, const char *name)
{
    for (unsigned i = 0; name && i < sizeof type_names / sizeof *type_names; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (cer_keytype)i;
            return 0;
        }
    }
    return cer_err(-EINVAL, "key type '%.32s': expected ed25519, secp256k1 or p256", name ? name : "");
}

/* ---- keys ---- */

int cer_key_from_secret(cer_key *out, cer_keytype type, const uint8_t secret[32])
{
    cer_key k;
    int rc;

    if (!out || !secret)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if ((rc = sodium_ready()) < 0)
        return rc;
    memset(&k, 0, sizeof k);
    k.type = k.pub.type = type;
    memcpy(k.seed, secret, sizeof k.seed);
    switch (type) {
    case CER_KEY_ED25519:
        crypto_sign_seed_keypair(k.pub.bytes, k.sk, k.seed);
        k.pub.len = 32;
        break;
    case CER_KEY_SECP256K1:
    case CER_KEY_P256:
        rc = cer_ec_pubkey_from_secret(type, k.pub.bytes, k.seed);
        k.pub.len = 33;
        break;
    default:
        rc = cer_err(-EINVAL, "didkey: unknown key type %d", (int)type);
    }
    if (rc >= 0)
        rc = cer_did_from_pubkey(k.did, sizeof k.did, &k.pub);
    if (rc >= 0) {
        *out = k;
        rc = 0;
    }
    sodium_memzero(&k, sizeof k);
    return rc;
}

int cer_key_from_seed(cer_key *out, const uint8_t seed[32])
{
    return cer_key_from_secret(out, CER_KEY_ED25519, seed);
}

int cer_key_generate_type(cer_key *out, cer_keytype type)
{
    uint8_t seed[32];
    int rc;

    if (!out)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if ((rc = sodium_ready()) < 0)
        return rc;
    /* an ECDSA scalar of 0 or >= n (chance under 2^-127) is drawn again */
    for (int tries = 0; tries < 8; tries++) {
        randombytes_buf(seed, sizeof seed);
        if ((rc = cer_key_from_secret(out, type, seed)) != -EINVAL || type == CER_KEY_ED25519)
            break;
    }
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int cer_key_generate(cer_key *out)
{
    return cer_key_generate_type(out, CER_KEY_ED25519);
}

void cer_key_wipe(cer_key *key)
{
    if (key)
        sodium_memzero(key, sizeof *key);
}

int cer_key_kid(char *out, size_t cap, const cer_key *key)
{
    int n;

    if (!out || !key)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if (!memchr(key->did, '\0', sizeof key->did) ||
        strncmp(key->did, DID_PREFIX, DID_PREFIX_LEN) != 0 || !key->did[DID_PREFIX_LEN])
        return cer_err(-EINVAL, "didkey: key has no did:key");
    n = snprintf(out, cap, "%s#%s", key->did, key->did + DID_PREFIX_LEN);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return cer_err(-ENOSPC, "didkey: kid buffer too small (%zu bytes)", cap);
    }
    return n;
}

/* ---- did:key ---- */

static const uint64_t type_codes[] = {MC_ED25519_PUB, MC_SECP256K1_PUB, MC_P256_PUB};

int cer_did_from_pubkey(char *out, size_t cap, const cer_pubkey *pk)
{
    uint8_t mc[CER_VARINT_MAX + CER_PUBKEY_MAX];
    char tmp[CER_DID_MAX];
    size_t len, m;
    int n;

    if (!out || !pk)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if ((unsigned)pk->type >= sizeof type_codes / sizeof *type_codes || pk->len > CER_PUBKEY_MAX)
        return cer_err(-EINVAL, "didkey: bad public key");
    m = cer_varint_put(mc, type_codes[pk->type]);
    memcpy(mc + m, pk->bytes, pk->len);
    memcpy(tmp, DID_PREFIX, DID_PREFIX_LEN);
    n = cer_multibase_encode(tmp + DID_PREFIX_LEN, sizeof tmp - DID_PREFIX_LEN, CER_BASE58BTC,
                             mc, m + pk->len);
    if (n < 0)
        return cer_err_wrap(n, "didkey");
    len = DID_PREFIX_LEN + (size_t)n;
    if (len >= cap)
        return cer_err(-ENOSPC, "didkey: DID buffer too small (%zu < %zu bytes)", cap, len + 1);
    memcpy(out, tmp, len + 1);
    return (int)len;
}

/* The public key of a multicodec-prefixed key (the decoded method-specific
 * id of a did:key), in the forms key-did-resolver 3.0.0 resolves: ed25519
 * 32 bytes (ed25519.ts); secp256k1 and P-256 a point of the curve, the
 * encodings ecdsa.c lists. */
static int multikey_pubkey(cer_pubkey *pk, const uint8_t *b, size_t len)
{
    uint64_t code;
    size_t klen;
    int n, rc;

    if ((n = cer_varint_get(&code, b, len)) < 0)
        return cer_err_wrap(-EINVAL, "key type");
    klen = len - (size_t)n;
    switch (code) {
    case MC_ED25519_PUB:
        if (klen != 32)
            return cer_err(-EINVAL, "ed25519 key of %zu bytes, expected 32", klen);
        pk->type = CER_KEY_ED25519;
        break;
    case MC_SECP256K1_PUB:
    case MC_P256_PUB:
        pk->type = code == MC_P256_PUB ? CER_KEY_P256 : CER_KEY_SECP256K1;
        if ((rc = cer_ec_pubkey_check(pk->type, b + n, klen)) < 0)
            return rc;
        break;
    case MC_P384_PUB:
        return cer_err(-ENOTSUP, "P-384 keys are not supported (ed25519, secp256k1 and P-256 are)");
    case MC_P521_PUB:
        return cer_err(-ENOTSUP, "P-521 keys are not supported (ed25519, secp256k1 and P-256 are)");
    default:
        return cer_err(-EINVAL, "multicodec 0x%llx is not a public key type",
                       (unsigned long long)code);
    }
    pk->len = klen;
    memcpy(pk->bytes, b + n, klen);
    return 0;
}

static int parse_did(cer_pubkey *pk, const char *s)
{
    uint8_t b[CER_DID_INPUT_MAX];
    const char *id = s + DID_PREFIX_LEN, *hash;
    size_t idlen;
    int n;

    if (strncmp(s, DID_PREFIX, DID_PREFIX_LEN) != 0)
        return cer_err(-EINVAL, "not a did:key");
    hash = strchr(id, '#');
    idlen = hash ? (size_t)(hash - id) : strlen(id);
    if (idlen == 0)
        return cer_err(-EINVAL, "empty key id");
    if (hash && (strlen(hash + 1) != idlen || memcmp(hash + 1, id, idlen) != 0))
        return cer_err(-EINVAL, "kid fragment does not repeat the DID's key id");
    if (id[0] != 'z')
        return cer_err(-EINVAL, "key id is not base58btc (it must start with 'z')");
    if ((n = cer_base_decode(b, sizeof b, CER_BASE58BTC, id + 1, idlen - 1)) < 0)
        return cer_err_wrap(n == -ENOMEM ? n : -EINVAL, "key id");  /* no memory is no verdict */
    return multikey_pubkey(pk, b, (size_t)n);
}

int cer_did_pubkey(cer_pubkey *pk, const char *did_or_kid)
{
    cer_pubkey tmp;
    char ex[CER_EXCERPT_MAX];
    int rc;

    if (!pk || !did_or_kid)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if (strnlen(did_or_kid, CER_DID_INPUT_MAX + 1) > CER_DID_INPUT_MAX)
        return cer_err(-EINVAL, "didkey: DID over %d characters", CER_DID_INPUT_MAX);
    if ((rc = parse_did(&tmp, did_or_kid)) < 0)
        return cer_err_wrap(rc, "did '%s'", cer_excerpt(ex, did_or_kid));
    *pk = tmp;
    return 0;
}

/* ---- key files ---- */

static int sys_err(int e, const char *path, const char *what)
{
    return cer_err(-e, "key file '%s': %s: %s", path, what, strerror(e));
}

/* Reads up to cap bytes; returns the count (cap means "maybe more"). */
static ssize_t read_upto(int fd, char *p, size_t cap)
{
    size_t n = 0;

    while (n < cap) {
        ssize_t r = read(fd, p + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

/* The longest key file: "secp256k1:", 64 hex digits and a newline. */
#define KEYFILE_MAX (sizeof "secp256k1:" - 1 + SEED_HEX_LEN + 1)

/* Written crash-safely (fileio.c), mode 0600 from the start. */
int cer_key_save_file(const cer_key *key, const char *path)
{
    char text[KEYFILE_MAX + 1];
    size_t n = 0;
    int rc;

    if (!key || !path || !path[0])
        return cer_err(-EINVAL, "key file: NULL or empty argument");
    if (key->type != CER_KEY_ED25519)
        n = (size_t)snprintf(text, sizeof text, "%s:", cer_keytype_name(key->type));
    cer_base_encode(text + n, sizeof text - n, CER_BASE16, key->seed, 32);
    n += SEED_HEX_LEN;
    text[n++] = '\n';
    rc = cer_file_replace(path, text, n, 0600, true);
    sodium_memzero(text, sizeof text);
    return rc < 0 ? cer_err_wrap(rc, "key file") : 0;
}

/* The key of a key file's text: [type ":"] 64 hex digits [newline]. */
static int parse_key_text(cer_key *out, char *text, size_t n, const char *path)
{
    cer_keytype type = CER_KEY_ED25519;
    uint8_t seed[32];
    char *colon;
    int rc;

    if (n && text[n - 1] == '\n')
        n--;
    text[n] = '\0';
    if (n > 2 && text[0] == '0' && text[1] == 'x') {  /* an Ethereum key */
        type = CER_KEY_SECP256K1;
        n -= 2;
        text += 2;
    } else if ((colon = memchr(text, ':', n))) {
        *colon = '\0';
        if (cer_keytype_parse(&type, text) < 0 || type == CER_KEY_ED25519)
            return cer_err(-EINVAL, "key file '%s': unknown key type '%.16s' (secp256k1 or p256)", path, text);
        n -= (size_t)(colon + 1 - text);
        text = colon + 1;
    }
    if (n != SEED_HEX_LEN)
        return cer_err(-EINVAL, "key file '%s' must hold 64 hex digits and a newline (%s)", path,
                       n > SEED_HEX_LEN ? "it is longer" : "wrong length");
    if (cer_base_decode(seed, sizeof seed, CER_BASE16, text, SEED_HEX_LEN) != 32)
        return cer_err(-EINVAL, "key file '%s' must hold 64 hex digits and a newline "
                                "(found a non-hex character)", path);
    rc = cer_key_from_secret(out, type, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int cer_key_load_file(cer_key *out, const char *path)
{
    char text[KEYFILE_MAX + 2];
    struct stat st;
    ssize_t n = 0;
    int fd, rc;

    if (!out || !path)
        return cer_err(-EINVAL, "key file: NULL argument");
    /* O_NONBLOCK: a FIFO planted at path must not hang us before fstat */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return sys_err(errno, path, "cannot open");
    if (fstat(fd, &st) < 0) {
        rc = sys_err(errno, path, "cannot stat");
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cer_err(-EINVAL, "key file '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        rc = cer_err(-EPERM, "key file '%s' has mode %04o and can be read or written by others; "
                             "run: chmod 600 '%s'", path, (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    if ((n = read_upto(fd, text, sizeof text - 1)) < 0) {
        rc = sys_err((int)-n, path, "cannot read");
        goto out;
    }
    if ((size_t)n > KEYFILE_MAX) {
        rc = cer_err(-EINVAL, "key file '%s' must hold 64 hex digits and a newline (it is longer)", path);
        goto out;
    }
    rc = parse_key_text(out, text, (size_t)n, path);
out:
    close(fd);
    sodium_memzero(text, sizeof text);
    return rc;
}
