/*
 * walletsession.c — reads a CACAO session made elsewhere (by a wallet):
 * the string js-did's did-session 2.x writes with DIDSession#serialize
 * (base64url of the JSON {"sessionKeySeed": <base64 of the ed25519
 * seed>, "cacao": <the CACAO as JSON: {h, p, s}>}), or a CACAO file (its
 * DAG-CBOR block, or that JSON) and a key file holding its session key.
 * Only decoding here; what makes a session usable is account.c's.
 */
#include "walletsession.h"
#include "error.h"
#include "buf.h"
#include "fileio.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INPUT_MAX (64 * 1024)  /* a CACAO with many resources still fits */

/* A regular file of at most INPUT_MAX bytes; secret: refuse one that
 * others may read, as key files are. */
static int read_input(cer_buf *out, const char *path, bool secret)
{
    struct stat st;
    int fd, rc;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
        return cer_err(-errno, "wallet session: cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) < 0)
        rc = cer_err(-errno, "wallet session: cannot stat '%s'", path);
    else if (!S_ISREG(st.st_mode))
        rc = cer_err(-EINVAL, "wallet session: '%s' is not a regular file", path);
    else if (secret && (st.st_mode & 077))
        rc = cer_err(-EPERM, "wallet session: '%s' holds a session key and has mode %04o; run: chmod 600 '%s'",
                     path, (unsigned)(st.st_mode & 0777), path);
    else
        rc = cer_read_fd(fd, path, INPUT_MAX, false, out, NULL);
    close(fd);
    return rc;
}

static size_t trim(const uint8_t *p, size_t n, size_t *start)
{
    size_t i = 0;

    while (i < n && strchr(" \t\r\n", p[i]) && p[i])
        i++;
    while (n > i && strchr(" \t\r\n", p[n - 1]) && p[n - 1])
        n--;
    *start = i;
    return n - i;
}

/* The CACAO of its JSON form ({h, p, s} with strings only) as the block
 * did-session's CacaoBlock.fromCacao makes of it: canonical DAG-CBOR. */
static int block_of_json(cer_buf *block, const cJSON *cacao)
{
    if (!cJSON_IsObject(cacao))
        return cer_err(-EINVAL, "wallet session: the CACAO is not a JSON object");
    return cer_dagcbor_encode(block, cacao, 0);
}

static int parse_json(cJSON **out, const char *text, size_t len, const char *what)
{
    int rc = cer_json_parse(out, text, len, 0);

    if (rc < 0 || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cer_err(rc < 0 ? rc : -EINVAL, "wallet session: %s is not a JSON object", what);
    }
    return 0;
}

/* DIDSession#serialize's string. */
static int from_serialized(cer_buf *block, cer_key *key, const char *path)
{
    cer_buf in = CER_BUF_INIT, json = CER_BUF_INIT;
    const cJSON *seed, *cacao;
    uint8_t s[33];
    size_t start, n;
    cJSON *j = NULL;
    int rc, len;

    if ((rc = read_input(&in, path, true)) < 0)
        return rc;
    n = trim(in.data, in.len, &start);
    if ((rc = cer_buf_reserve(&json, n + 1)) < 0)
        goto out;
    if (n == 0 || (len = cer_base_decode(json.data, n + 1, CER_BASE64URL, (const char *)in.data + start, n)) < 0) {
        rc = cer_err(-EINVAL, "wallet session: '%s' is not a serialized DIDSession (base64url)", path);
        goto out;
    }
    json.len = (size_t)len;
    if ((rc = parse_json(&j, (const char *)json.data, json.len, "the serialized DIDSession")) < 0)
        goto out;
    seed = cJSON_GetObjectItemCaseSensitive(j, "sessionKeySeed");
    if (!(cacao = cJSON_GetObjectItemCaseSensitive(j, "cacao")))
        cacao = cJSON_GetObjectItemCaseSensitive(j, "cap");
    if (!cJSON_IsString(seed) || strlen(seed->valuestring) > 64 ||
        cer_base_decode(s, sizeof s, CER_BASE64, seed->valuestring, strlen(seed->valuestring)) != 32) {
        rc = cer_err(-EINVAL, "wallet session: '%s': sessionKeySeed is not 32 bytes in base64", path);
        goto out;
    }
    if ((rc = block_of_json(block, cacao)) < 0 || (rc = cer_key_from_seed(key, s)) < 0)
        goto out;
out:
    sodium_memzero(s, sizeof s);
    if (cJSON_IsString(seed = cJSON_GetObjectItemCaseSensitive(j, "sessionKeySeed")))
        sodium_memzero(seed->valuestring, strlen(seed->valuestring));
    cJSON_Delete(j);
    if (json.data)
        sodium_memzero(json.data, json.len);
    if (in.data)
        sodium_memzero(in.data, in.len);
    cer_buf_free(&json);
    cer_buf_free(&in);
    return rc;
}

/* A CACAO file: a DAG-CBOR block (a map: its first byte is 0xa0-0xbf),
 * or the JSON form. */
static int from_cacao_file(cer_buf *block, const char *path)
{
    cer_buf in = CER_BUF_INIT;
    size_t start, n;
    cJSON *j = NULL;
    int rc;

    if ((rc = read_input(&in, path, false)) < 0)
        return rc;
    n = trim(in.data, in.len, &start);
    if (n && in.data[start] == '{') {
        if ((rc = parse_json(&j, (const char *)in.data + start, n, path)) == 0)
            rc = block_of_json(block, j);
    } else if (in.len && (in.data[0] & 0xe0) == 0xa0) {
        rc = cer_buf_append(block, in.data, in.len);
    } else {
        rc = cer_err(-EINVAL, "wallet session: '%s' is neither a CACAO block (DAG-CBOR) nor a CACAO in JSON", path);
    }
    cJSON_Delete(j);
    cer_buf_free(&in);
    return rc;
}

int cer_wallet_session_read(cer_buf *block, cer_key *key, const char *session_file, const char *cacao_file,
                            const char *key_file)
{
    int rc;

    memset(key, 0, sizeof *key);
    if (session_file && !cacao_file && !key_file)
        rc = from_serialized(block, key, session_file);
    else if (!session_file && cacao_file && key_file)
        rc = (rc = from_cacao_file(block, cacao_file)) < 0 ? rc : cer_key_load_file(key, key_file);
    else
        rc = cer_err(-EINVAL, "wallet session: give a serialized DIDSession, or a CACAO and its session key");
    if (rc < 0) {
        cer_key_wipe(key);
        cer_buf_free(block);
    }
    return rc;
}
