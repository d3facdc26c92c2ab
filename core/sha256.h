/*
 * sha256.h — SHA-256 for CIDs, with the x86 SHA extensions when the CPU
 * has them (internal; cid.h's cer_sha256 is the entry point).
 */
#ifndef CER_SHA256_H
#define CER_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of data; uses SHA-NI when available, libsodium otherwise. */
void cer_sha256_fast(uint8_t out[32], const uint8_t *data, size_t len);
/* Whether the SHA-NI path is in use (for tests and benchmarks). */
int cer_sha256_accelerated(void);

#endif
