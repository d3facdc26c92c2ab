/*
 * fuzz_car.c — libFuzzer target: the CAR v1 reader (car.c) on arbitrary
 * bytes. Invariants: a CAR read has at least one root; every block lies in
 * the input, is at most CER_BLOCK_MAX bytes, hashes to its CID, is found
 * by its CID and appears once; writing the roots and blocks again gives a
 * CAR that reads back the same; cer_car_each agrees with cer_car_read.
 */
#include "ceramic.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    cer_car c, again;
    cer_buf out = CER_BUF_INIT;

    if (cer_car_read(&c, data, len) < 0) {
        assert(cer_car_each(data, len, NULL, NULL) < 0);
        return 0;
    }
    assert(c.nroots > 0);
    assert(cer_car_each(data, len, NULL, NULL) == (int)c.nblocks);
    assert(cer_car_put_header(&out, c.roots, c.nroots) == 0);
    for (size_t i = 0; i < c.nblocks; i++) {
        const cer_car_block *b = &c.blocks[i];
        assert(b->data >= data && b->data + b->len <= data + len && b->len <= CER_BLOCK_MAX);
        assert(cer_cid_check_block(&b->cid, b->data, b->len) == 0);
        assert(cer_car_get(&c, &b->cid) == b);
        assert(cer_car_put_block(&out, &b->cid, b->data, b->len) == 0);
    }
    assert(cer_car_read(&again, out.data, out.len) == 0);
    assert(again.nroots == c.nroots && again.nblocks == c.nblocks);
    for (size_t i = 0; i < c.nroots; i++)
        assert(cer_cid_equal(&again.roots[i], &c.roots[i]));
    for (size_t i = 0; i < c.nblocks; i++)
        assert(again.blocks[i].len == c.blocks[i].len &&
               memcmp(again.blocks[i].data, c.blocks[i].data, c.blocks[i].len) == 0);
    cer_car_free(&again);
    cer_car_free(&c);
    cer_buf_free(&out);
    return 0;
}
