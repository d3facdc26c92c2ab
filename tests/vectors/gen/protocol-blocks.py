#!/usr/bin/env python3
"""protocol-blocks.py — writes protocol-blocks.json from the vector dump
gen/vectors.txt (made by gen/vectors.py; tests/vectors/README.md names
the vectors N1-N5, V4 and the worked example).

Run once by hand: python3 protocol-blocks.py vectors.txt > ../protocol-blocks.json
The JSON forms below are the blocks of the worked example and of the
Caip10Link genesis ("V4 caip10" in the dump); the script checks that each block hashes to the CID the
dump gives, so the file is self-consistent. The tests then check that our
encoder turns each JSON form into exactly these bytes and back.
"""
import base64, hashlib, json, sys

DID = "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"


def load(path):
    lines = {}
    for line in open(path):
        if ":" in line:
            k, v = line.split(":", 1)
            lines[k.strip()] = v.strip()
    return lines


def b32cid(raw):
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7f | 0x80])
        n >>= 7
    return out + bytes([n])


def cid_of(block, codec):
    return b32cid(b"\x01" + varint(codec) + b"\x12\x20" + hashlib.sha256(block).digest())


def b64(raw):
    return base64.b64encode(raw).decode().rstrip("=")


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def link(c):
    return {"/": c}


def main():
    v = load(sys.argv[1])
    hexof = lambda k: v[k].replace(" ", "")
    G = v["N2 genesis CID"]
    n3env = v["N3 update dag-jose CID"]
    n2payload = bytes.fromhex(hexof("N2 payload block (122 B)"))
    caip = bytes.fromhex(hexof("V4 caip10 genesis block"))
    controller = caip[caip.index(b"\x78\x36") + 2:].decode()
    out = []

    def add(name, key, cid, json_value, codec=0x71):
        block = bytes.fromhex(hexof(key))
        got = cid_of(block, codec)
        assert cid is None or got == cid, (name, got, cid)
        out.append({"name": name, "source": "gen/vectors.txt: " + key,
                    "codec": codec, "hex": block.hex(), "cid": got, "json": json_value})

    add("N1 unsigned deterministic tile genesis", "N1 unsigned tile genesis block (95 B)",
        v["N1 CID"], {"header": {"controllers": [DID], "family": "example"}})
    add("N2 signed genesis payload", "N2 payload block (122 B)", v["N2 payload CID (jws.link)"],
        {"data": {"hello": "world"},
         "header": {"controllers": [DID], "unique": "AAECAwQFBgcICQoL"}})
    add("N2 signed genesis envelope (dag-jose, as plain dag-cbor)", "N2 dag-jose block (277 B)",
        G, {"payload": {"/": {"bytes": b64(bytes.fromhex("01711220") +
                                           hashlib.sha256(n2payload).digest())}},
            "signatures": [{"protected": {"/": {"bytes": b64(v["N2 protected JSON"].encode())}},
                            "signature": {"/": {"bytes": b64(b64u_dec(v["N2 signature b64u"]))}}}]},
        codec=0x85)
    add("N3 update payload", "N3 update payload block (135 B)", v["N3 update payload CID"],
        {"id": link(G), "prev": link(G), "header": {},
         "data": [{"op": "add", "path": "/foo", "value": "bar"}]})
    tx = b32cid(bytes.fromhex(hexof("V3 commit CID bytes")))
    add("N4 anchor proof (eth-tx/keccak-256 txHash)", "N4 proof block (138 B)", v["N4 proof CID"],
        {"chainId": "inmemory:12345", "root": link(n3env), "txHash": link(tx),
         "txType": "f(bytes32)"})
    add("N4 anchor commit", "N4 anchor commit block (146 B)", v["N4 anchor commit CID"],
        {"id": link(G), "path": "", "prev": link(n3env), "proof": link(v["N4 proof CID"])})
    add("V4/§2.9 Caip10Link genesis", "V4 caip10 genesis block", v["V4 caip10 genesis CID"],
        {"header": {"controllers": [controller], "family": "caip10-eip155:1337"}})
    add("N5 query id hash input", "N5 query hash input (78 B)", None,
        {"typ": 1, "stream": v["N2 StreamID"]})
    out[-1]["query_id"] = v["N5 query id"]
    json.dump({"generator": "protocol-blocks.py", "blocks": out}, sys.stdout, indent=2)
    print()


main()
