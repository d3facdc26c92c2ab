/*
 * merkle.h — the CIP-69 Merkle tree of anchor batches, built as js-ceramic's
 * anchor service builds it (@ceramicnetwork/anchor-utils MerkleTreeFactory
 * with IpfsMerge), its path strings, and the service's leaf order.
 * Internal to core/ (batch.c uses it).
 *
 * Shape: the leaves (commit CIDs) in the order given are split at
 * floor(n/2), the left half built first, recursively, down to single
 * leaves; each inner node is the dag-cbor array [left, right]. The root is
 * always an inner node: a one-leaf tree is [leaf, null]. With metadata the
 * root has a third item, the CID of the dag-cbor map {numEntries: n}. A
 * leaf's path lists the turns from the root, "0" left / "1" right, joined
 * by "/" ("0" for a one-leaf tree).
 */
#ifndef CER_MERKLE_H
#define CER_MERKLE_H

#include "ceramic.h"

/* Leaves at most per tree (depth 20); paths then fit cer_anchor_commit.path. */
#define CER_MERKLE_LEAVES_MAX (1u << 20)
#define CER_MERKLE_PATH_MAX 64

/* Build the tree over leaves[0..n) (1 <= n <= CER_MERKLE_LEAVES_MAX), put
 * every node block (and the metadata block) into store, set *root and, when
 * paths is not NULL, paths[i] for leaf i. */
int cer_merkle_build(cer_cid *root, char (*paths)[CER_MERKLE_PATH_MAX], cer_store *store,
                     const cer_cid *leaves, size_t n, bool metadata);
/* The path of leaf index in a tree of n leaves, without building it. */
int cer_merkle_path_of(char out[CER_MERKLE_PATH_MAX], size_t index, size_t n);
/* Parse a path string into turns (0/1); returns the count. "" is 0 turns
 * (the root is the leaf, as in-memory anchors have it). -EINVAL for
 * anything but [01](/[01])*, -EFBIG beyond cap turns. */
int cer_merkle_path_parse(uint8_t *turns, size_t cap, const char *path);
/* The anchor service's leaf order (IpfsLeafCompare for streams without a
 * model): by first controller, then by StreamID string, each compared as
 * JavaScript's localeCompare does for these ASCII strings (letters
 * ignoring case first, digits before letters, then lower case before upper
 * case). Returns <0, 0, >0. */
int cer_merkle_leaf_cmp(const char *controller_a, const char *stream_a, const char *controller_b,
                        const char *stream_b);
/* localeCompare for ASCII strings as above (the building block). */
int cer_merkle_locale_cmp(const char *a, const char *b);

#endif
