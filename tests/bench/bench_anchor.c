/*
 * bench_anchor.c — the built-in anchor service's batch work for 10,000
 * pending tips: the CIP-69 tree with every leaf's path, the proof block and
 * one anchor commit per stream, all encoded, hashed and put into a memory
 * store (no chain, no node). Reported as streams anchored per second and as
 * a ratio to the sha2-256 floor measured in the same run, in interleaved
 * slices: libsodium's SHA-256 over exactly the blocks the batch wrote
 * (same count, same sizes), i.e. the hashing no implementation can skip.
 */
#include "bench.h"
#include "merkle.h"

#define NTIPS 10000
#define ROUNDS 10

typedef struct sizes {
    size_t n;
} sizes;

static int note_size(const cer_cid *cid, void *arg)
{
    (void)cid;
    ((sizes *)arg)->n++;
    return 0;
}

/* One batch: tree, proof, anchor commits into a fresh memory store. */
static double batch(const cer_cid *tips, const cer_cid *genesis, cer_store **out)
{
    static char paths[NTIPS][CER_MERKLE_PATH_MAX];
    cer_anchor_proof p = {0};
    cer_block pb = {0};
    cer_store *s;
    uint8_t h[32] = {7};
    double t0;

    bench_ok(cer_store_open_mem(&s), "store");
    t0 = bench_now();
    bench_ok(cer_merkle_build(&p.root, paths, s, tips, NTIPS, true), "merkle");
    snprintf(p.chain_id, sizeof p.chain_id, "eip155:1337");
    snprintf(p.tx_type, sizeof p.tx_type, "f(bytes32)");
    p.tx_hash = p.root;
    p.tx_hash.codec = CER_CODEC_ETH_TX;
    p.tx_hash.mh_code = CER_MH_KECCAK_256;
    memcpy(p.tx_hash.digest, h, 32);
    bench_ok(cer_anchor_proof_encode(&pb, &p), "proof");
    bench_ok(cer_store_put(s, &pb.cid, pb.bytes.data, pb.bytes.len), "put proof");
    for (int i = 0; i < NTIPS; i++) {
        cer_anchor_commit ac = {.has_id = true, .id = genesis[i], .prev = tips[i], .proof = pb.cid};
        cer_block cb = {0};
        memcpy(ac.path, paths[i], strlen(paths[i]) + 1);
        bench_ok(cer_anchor_commit_encode(&cb, &ac), "commit");
        bench_ok(cer_store_put(s, &cb.cid, cb.bytes.data, cb.bytes.len), "put commit");
        cer_buf_free(&cb.bytes);
    }
    t0 = bench_now() - t0;
    cer_buf_free(&pb.bytes);
    *out = s;
    return t0;
}

typedef struct hashed {
    cer_store *s;
    cer_buf buf;
    double secs;
} hashed;

/* The floor: sha2-256 of every block the batch wrote, timed alone. */
static int hash_block(const cer_cid *cid, void *arg)
{
    hashed *hb = arg;
    uint8_t d[32];
    double t0;

    bench_ok(cer_store_get(hb->s, cid, &hb->buf), "get");
    t0 = bench_now();
    crypto_hash_sha256(d, hb->buf.data, hb->buf.len);
    hb->secs += bench_now() - t0;
    return 0;
}

int main(void)
{
    static cer_cid tips[NTIPS], genesis[NTIPS];
    double work = 0, floor_s = 0;
    sizes sz = {0};

    bench_ok(sodium_init() < 0 ? -1 : 0, "sodium");
    for (int i = 0; i < NTIPS; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "tip %d", i);
        bench_ok(cer_cid_of_block(&tips[i], CER_CODEC_DAG_JOSE, (const uint8_t *)b, (size_t)n), "cid");
        b[0] = 'g';
        bench_ok(cer_cid_of_block(&genesis[i], CER_CODEC_DAG_JOSE, (const uint8_t *)b, (size_t)n), "cid");
    }
    for (int r = 0; r < ROUNDS; r++) {
        cer_store *s;
        hashed hb = {0};
        work += batch(tips, genesis, &s);
        hb.s = s;
        bench_ok(cer_store_each(s, hash_block, &hb), "each");
        floor_s += hb.secs;
        if (r == 0)
            bench_ok(cer_store_each(s, note_size, &sz), "count");
        cer_buf_free(&hb.buf);
        cer_store_close(s);
    }
    printf("anchor batch of %d tips (%zu blocks: tree, metadata, proof, anchor commits), %d rounds\n", NTIPS,
           sz.n, ROUNDS);
    printf("  %-44s %12.0f streams/s\n", "tree + proof + anchor commits (mem store)", NTIPS * ROUNDS / work);
    printf("  %-44s %12.0f streams/s\n", "floor: sha2-256 of the same blocks", NTIPS * ROUNDS / floor_s);
    printf("  %-44s %12.3f\n", "ratio to the floor (1.0 = hashing only)", floor_s / work);
    return 0;
}
