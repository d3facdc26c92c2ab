/*
 * didkey.c — ed25519 signing keys (libsodium), their did:key and kid, the
 * reverse mapping from a did:key or kid to the public key, and the seed
 * file a node keeps its key in (written crash-safely, read only when no
 * one but the owner can read it).
 */
#include "didkey.h"
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

/* ---- keys ---- */

int cer_key_from_seed(cer_key *out, const uint8_t seed[32])
{
    cer_key k;
    int rc;

    if (!out || !seed)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if ((rc = sodium_ready()) < 0)
        return rc;
    memset(&k, 0, sizeof k);
    memcpy(k.seed, seed, sizeof k.seed);
    crypto_sign_seed_keypair(k.pk, k.sk, k.seed);
    rc = cer_did_from_pubkey(k.did, sizeof k.did, k.pk);
    if (rc >= 0) {
        *out = k;
        rc = 0;
    }
    sodium_memzero(&k, sizeof k);
    return rc;
}

int cer_key_generate(cer_key *out)
{
    uint8_t seed[32];
    int rc;

    if (!out)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if ((rc = sodium_ready()) < 0)
        return rc;
    randombytes_buf(seed, sizeof seed);
    rc = cer_key_from_seed(out, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
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

int cer_did_from_pubkey(char *out, size_t cap, const uint8_t pk[32])
{
    uint8_t mc[2 + 32] = {MC_ED25519_PUB, 0x01};
    char tmp[CER_DID_MAX];
    size_t len;
    int n;

    if (!out || !pk)
        return cer_err(-EINVAL, "didkey: NULL argument");
    memcpy(mc + 2, pk, 32);
    memcpy(tmp, DID_PREFIX, DID_PREFIX_LEN);
    n = cer_multibase_encode(tmp + DID_PREFIX_LEN, sizeof tmp - DID_PREFIX_LEN, CER_BASE58BTC,
                             mc, sizeof mc);
    if (n < 0)
        return cer_err_wrap(n, "didkey");
    len = DID_PREFIX_LEN + (size_t)n;
    if (len >= cap)
        return cer_err(-ENOSPC, "didkey: DID buffer too small (%zu < %zu bytes)", cap, len + 1);
    memcpy(out, tmp, len + 1);
    return (int)len;
}

/* The public key of a multicodec-prefixed key (the decoded method-specific
 * id of a did:key). */
static int multikey_pubkey(uint8_t pk[32], const uint8_t *b, size_t len)
{
    uint64_t code;
    int n;

    if ((n = cer_varint_get(&code, b, len)) < 0)
        return cer_err_wrap(-EINVAL, "key type");
    switch (code) {
    case MC_ED25519_PUB:
        if (len - (size_t)n != 32)
            return cer_err(-EINVAL, "ed25519 key of %zu bytes, expected 32", len - (size_t)n);
        memcpy(pk, b + n, 32);
        return 0;
    case MC_SECP256K1_PUB:
        return cer_err(-ENOTSUP, "secp256k1 keys are not supported (only ed25519)");
    case MC_P256_PUB:
        return cer_err(-ENOTSUP, "P-256 keys are not supported (only ed25519)");
    case MC_P384_PUB:
        return cer_err(-ENOTSUP, "P-384 keys are not supported (only ed25519)");
    case MC_P521_PUB:
        return cer_err(-ENOTSUP, "P-521 keys are not supported (only ed25519)");
    default:
        return cer_err(-EINVAL, "multicodec 0x%llx is not a public key type",
                       (unsigned long long)code);
    }
}

static int parse_did(uint8_t pk[32], const char *s)
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

int cer_did_pubkey(uint8_t pk[32], const char *did_or_kid)
{
    uint8_t tmp[32];
    char ex[CER_EXCERPT_MAX];
    int rc;

    if (!pk || !did_or_kid)
        return cer_err(-EINVAL, "didkey: NULL argument");
    if (strnlen(did_or_kid, CER_DID_INPUT_MAX + 1) > CER_DID_INPUT_MAX)
        return cer_err(-EINVAL, "didkey: DID over %d characters", CER_DID_INPUT_MAX);
    if ((rc = parse_did(tmp, did_or_kid)) < 0)
        return cer_err_wrap(rc, "did '%s'", cer_excerpt(ex, did_or_kid));
    memcpy(pk, tmp, 32);
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

/* Written crash-safely (fileio.c), mode 0600 from the start. */
int cer_key_save_file(const cer_key *key, const char *path)
{
    char text[SEED_HEX_LEN + 1];
    int rc;

    if (!key || !path || !path[0])
        return cer_err(-EINVAL, "key file: NULL or empty argument");
    cer_base_encode(text, sizeof text, CER_BASE16, key->seed, 32);
    text[SEED_HEX_LEN] = '\n';
    rc = cer_file_replace(path, text, sizeof text, 0600, true);
    sodium_memzero(text, sizeof text);
    return rc < 0 ? cer_err_wrap(rc, "key file") : 0;
}

/* Accepts 64 hex digits with or without one trailing newline. */
int cer_key_load_file(cer_key *out, const char *path)
{
    char text[SEED_HEX_LEN + 2];
    uint8_t seed[32];
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
    if ((n = read_upto(fd, text, sizeof text)) < 0) {
        rc = sys_err((int)-n, path, "cannot read");
        goto out;
    }
    if (!(n == SEED_HEX_LEN || (n == SEED_HEX_LEN + 1 && text[SEED_HEX_LEN] == '\n'))) {
        rc = cer_err(-EINVAL, "key file '%s' must hold 64 hex digits and a newline (%s)", path,
                     n > SEED_HEX_LEN + 1 ? "it is longer" : "wrong length");
        goto out;
    }
    if (cer_base_decode(seed, sizeof seed, CER_BASE16, text, SEED_HEX_LEN) != 32) {
        rc = cer_err(-EINVAL, "key file '%s' must hold 64 hex digits and a newline "
                              "(found a non-hex character)", path);
        goto out;
    }
    rc = cer_key_from_seed(out, seed);
out:
    close(fd);
    sodium_memzero(text, sizeof text);
    sodium_memzero(seed, sizeof seed);
    return rc;
}
