#!/usr/bin/env python3
"""Independent re-implementation (Python, stdlib + `cryptography`) of the Ceramic
encodings (core/README.md, "Protocol notes"), used to (a) check the algorithm against
vectors that appear in js-ceramic / js-did test snapshots and (b) emit new,
fully reproducible vectors for a C implementation."""
import hashlib, json, base64, struct

# ---------------------------------------------------------------- varint
def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def read_uvarint(b, i=0):
    shift = 0; val = 0
    while True:
        x = b[i]; i += 1
        val |= (x & 0x7f) << shift
        if x < 0x80:
            return val, i
        shift += 7

# ---------------------------------------------------------------- bases
B36 = '0123456789abcdefghijklmnopqrstuvwxyz'
B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

def _enc_basex(b, alpha):
    base = len(alpha)
    n = int.from_bytes(b, 'big')
    s = ''
    while n:
        n, r = divmod(n, base)
        s = alpha[r] + s
    # leading zero bytes -> leading zero digits
    z = 0
    for x in b:
        if x == 0: z += 1
        else: break
    return alpha[0] * z + s

def _dec_basex(s, alpha):
    base = len(alpha)
    n = 0
    for c in s:
        n = n * base + alpha.index(c)
    z = 0
    for c in s:
        if c == alpha[0]: z += 1
        else: break
    body = n.to_bytes((n.bit_length() + 7) // 8, 'big') if n else b''
    return b'\x00' * z + body

def base36_mb(b):  return 'k' + _enc_basex(b, B36)
def base36_mb_dec(s):
    assert s[0] == 'k'; return _dec_basex(s[1:], B36)
def base58btc(b):  return _enc_basex(b, B58)
def base58btc_dec(s): return _dec_basex(s, B58)
def base32_mb(b):  return 'b' + base64.b32encode(b).decode().lower().rstrip('=')
def b64url(b):     return base64.urlsafe_b64encode(b).decode().rstrip('=')
def b64url_dec(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def b64pad(b):     return base64.b64encode(b).decode()

# ---------------------------------------------------------------- CID
class CID:
    def __init__(self, codec, digest, mh=0x12, version=1):
        self.codec, self.digest, self.mh, self.version = codec, digest, mh, version
    @property
    def bytes(self):
        return uvarint(1) + uvarint(self.codec) + uvarint(self.mh) + uvarint(len(self.digest)) + self.digest
    def __str__(self):
        return base32_mb(self.bytes)
    @staticmethod
    def of(codec, block):
        return CID(codec, hashlib.sha256(block).digest())
    @staticmethod
    def parse(s):
        assert s[0] == 'b'
        raw = base64.b32decode(s[1:].upper() + '=' * (-len(s[1:]) % 8))
        return CID.from_bytes(raw)[0]
    @staticmethod
    def from_bytes(raw, i=0):
        v, i = read_uvarint(raw, i); assert v == 1
        codec, i = read_uvarint(raw, i)
        mh, i = read_uvarint(raw, i)
        ln, i = read_uvarint(raw, i)
        return CID(codec, raw[i:i+ln], mh), i + ln

DAG_CBOR, DAG_JOSE, STREAMID = 0x71, 0x85, 0xce

# ---------------------------------------------------------------- DAG-CBOR (canonical)
def _head(major, n):
    if n < 24: return bytes([(major << 5) | n])
    if n < 0x100: return bytes([(major << 5) | 24, n])
    if n < 0x10000: return bytes([(major << 5) | 25]) + struct.pack('>H', n)
    if n < 0x100000000: return bytes([(major << 5) | 26]) + struct.pack('>I', n)
    return bytes([(major << 5) | 27]) + struct.pack('>Q', n)

def dagcbor(v):
    if v is None: return b'\xf6'
    if v is True: return b'\xf5'
    if v is False: return b'\xf4'
    if isinstance(v, CID):
        return b'\xd8\x2a' + _head(2, len(v.bytes) + 1) + b'\x00' + v.bytes
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        if v.is_integer():  # JS would encode an integral Number as an int
            return dagcbor(int(v))
        return b'\xfb' + struct.pack('>d', v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        e = v.encode(); return _head(3, len(e)) + e
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b''.join(dagcbor(x) for x in v)
    if isinstance(v, dict):
        items = [(k.encode(), val) for k, val in v.items() if val is not ...]
        items.sort(key=lambda kv: (len(kv[0]), kv[0]))   # length-first, then bytewise
        return _head(5, len(items)) + b''.join(_head(3, len(k)) + k + dagcbor(val) for k, val in items)
    raise TypeError(type(v))

# ---------------------------------------------------------------- StreamID / CommitID
def streamid_bytes(stype, genesis):
    return uvarint(STREAMID) + uvarint(stype) + genesis.bytes
def commitid_bytes(stype, genesis, commit=None):
    tail = b'\x00' if (commit is None or commit.bytes == genesis.bytes) else commit.bytes
    return streamid_bytes(stype, genesis) + tail

# ---------------------------------------------------------------- did:key ed25519
def did_key_ed25519(pub):
    return 'did:key:z' + base58btc(b'\xed\x01' + pub)

def hexdump(b):
    return ' '.join('%02x' % x for x in b)

if __name__ == '__main__':
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    out = []
    P = out.append

    # --- 1. js-ceramic streamid snapshot vectors
    g = CID.parse('bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a')
    c = CID.parse('bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova')
    sid = streamid_bytes(0, g)
    P('V1 genesis CID bytes: ' + hexdump(g.bytes))
    P('V1 streamid bytes   : ' + hexdump(sid))
    P('V1 streamid string  : ' + base36_mb(sid))
    assert base36_mb(sid) == 'kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s'
    assert list(sid) == [206,1,0,1,133,1,18,32,84,179,109,86,78,173,242,220,63,166,43,94,52,240,80,102,174,138,255,216,30,185,101,36,150,57,240,167,85,209,179,188]
    cid0 = commitid_bytes(0, g, None)
    assert base36_mb(cid0) == 'k3y52l7qbv1frxwipl4hp7e6jlu4f6u8upm2xv0irmedfkm5cnutmezzi3u7mytj4'
    P('V2 commitid(genesis) : ' + base36_mb(cid0))
    cidc = commitid_bytes(0, g, c)
    assert base36_mb(cidc) == 'k1dpgaqe3i64kjqcp801r3sn7ysi5i0k7nxvs7j351s7kewfzr3l7mdxnj7szwo4kr9mn2qki5nnj0cv836ythy1t1gya9s25cn1nexst3jxi5o3h6qprfyju'
    P('V3 commit CID bytes : ' + hexdump(c.bytes))
    P('V3 commitid(commit) : ' + base36_mb(cidc))
    # decode some other test-ids to show their type byte
    for s in ['k2t6wyfsu4pg0t2n4j8ms3s33xsgqjhtto04mvq8w5a2v5xo48idyz38l7ydki',
              'kjzl6hvfrbw6c5ykyyjq0v80od0nhdimprq7j2pccg1l100ktiiqcc01ddka716',
              'kjzl6cwe1jw146nqbfvg908n0px1m7su0pziwvy0x29199qsbwr4rz3cpjj7nk5']:
        b = base36_mb_dec(s)
        codec, i = read_uvarint(b); t, i = read_uvarint(b, i); gc, i = CID.from_bytes(b, i)
        P('decode %s -> codec 0x%x type %d genesis %s (codec 0x%x) rest=%d' % (s, codec, t, gc, gc.codec, len(b) - i))

    # --- 2. Caip10Link genesis CID from core caip10-link snapshot
    gen = {'header': {'controllers': ['0x8fe2c4516e920425e177658aaac451ca0463ed69@eip155:1337'],
                      'family': 'caip10-eip155:1337'}}
    blk = dagcbor(gen)
    gcid = CID.of(DAG_CBOR, blk)
    P('V4 caip10 genesis block: ' + hexdump(blk))
    P('V4 caip10 genesis CID  : %s' % gcid)
    assert str(gcid) == 'bafyreig4iuf5hwilecv5tnj7ye6bypuqhzsyylzbhgnp5a5hkqyq5msdtu'
    P('V4 caip10 streamid     : ' + base36_mb(streamid_bytes(1, gcid)))

    # --- 3. did:key from js-did snapshot
    pub = bytes.fromhex('d713cb7f8624d8648496e01010f2bd72f0dcbbdecdb7036f38c20475f5f429bf')
    assert did_key_ed25519(pub) == 'did:key:z6MktvqCyLxTsXUH1tUZncNdVeEZ7hNh7npPRbUU27GTrYb8'
    assert base58btc(pub) == 'FUaAP6i2XyyouPds73QneYgZJ86qhua2jaZYBqJSwKok'
    P('V5 did:key ok')

    # --- 4. NEW: deterministic, unsigned TileDocument genesis
    seed = bytes(range(32))  # 00 01 02 ... 1f
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    did = did_key_ed25519(pk)
    fragment = did.split(':')[2]
    kid = did + '#' + fragment
    P('N0 seed  : ' + seed.hex())
    P('N0 pubkey: ' + pk.hex())
    P('N0 did   : ' + did)
    P('N0 kid   : ' + kid)
    tgen = {'header': {'controllers': [did], 'family': 'example'}}
    tblk = dagcbor(tgen)
    tcid = CID.of(DAG_CBOR, tblk)
    P('N1 unsigned tile genesis block (%d B): %s' % (len(tblk), hexdump(tblk)))
    P('N1 CID: %s' % tcid)
    P('N1 CID bytes: ' + hexdump(tcid.bytes))
    P('N1 StreamID: ' + base36_mb(streamid_bytes(0, tcid)))

    # --- 5. NEW: signed TileDocument genesis (unique fixed for reproducibility)
    sgen = {'header': {'controllers': [did], 'unique': 'AAECAwQFBgcICQoL'}, 'data': {'hello': 'world'}}
    pblk = dagcbor(sgen)
    pcid = CID.of(DAG_CBOR, pblk)
    P('N2 payload block (%d B): %s' % (len(pblk), hexdump(pblk)))
    P('N2 payload CID (jws.link): %s' % pcid)
    payload_b64 = b64url(pcid.bytes)
    prot = json.dumps({'alg': 'EdDSA', 'kid': kid}, separators=(',', ':'))
    prot_b64 = b64url(prot.encode())
    signing_input = (prot_b64 + '.' + payload_b64).encode()
    sig = sk.sign(signing_input)
    P('N2 protected JSON: ' + prot)
    P('N2 protected b64u: ' + prot_b64)
    P('N2 payload b64u  : ' + payload_b64)
    P('N2 signature b64u: ' + b64url(sig))
    jose = {'payload': pcid.bytes, 'signatures': [{'protected': prot.encode(), 'signature': sig}]}
    jblk = dagcbor(jose)
    jcid = CID.of(DAG_JOSE, jblk)
    P('N2 dag-jose block (%d B): %s' % (len(jblk), hexdump(jblk)))
    P('N2 genesis CID: %s' % jcid)
    P('N2 StreamID   : ' + base36_mb(streamid_bytes(0, jcid)))

    # --- 6. NEW: signed data (update) commit on N2
    upd = {'id': jcid, 'prev': jcid, 'header': {},
           'data': [{'op': 'add', 'path': '/foo', 'value': 'bar'}]}
    ublk = dagcbor(upd)
    ucid = CID.of(DAG_CBOR, ublk)
    u_sig_in = (prot_b64 + '.' + b64url(ucid.bytes)).encode()
    usig = sk.sign(u_sig_in)
    ujose = dagcbor({'payload': ucid.bytes, 'signatures': [{'protected': prot.encode(), 'signature': usig}]})
    ujcid = CID.of(DAG_JOSE, ujose)
    P('N3 update payload block (%d B): %s' % (len(ublk), hexdump(ublk)))
    P('N3 update payload CID: %s' % ucid)
    P('N3 update signature b64u: ' + b64url(usig))
    P('N3 update dag-jose CID: %s' % ujcid)
    P('N3 CommitID: ' + base36_mb(commitid_bytes(0, jcid, ujcid)))

    # --- 7. NEW: in-memory style anchor proof + anchor commit on N3
    proof = {'chainId': 'inmemory:12345', 'txHash': CID.parse('bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova'),
             'root': ujcid, 'txType': 'f(bytes32)'}
    prblk = dagcbor(proof); prcid = CID.of(DAG_CBOR, prblk)
    P('N4 proof block (%d B): %s' % (len(prblk), hexdump(prblk)))
    P('N4 proof CID: %s' % prcid)
    anc = {'id': jcid, 'prev': ujcid, 'proof': prcid, 'path': ''}
    ablk = dagcbor(anc); acid = CID.of(DAG_CBOR, ablk)
    P('N4 anchor commit block (%d B): %s' % (len(ablk), hexdump(ablk)))
    P('N4 anchor commit CID: %s' % acid)

    # --- 8. pubsub QUERY id
    sid_str = base36_mb(streamid_bytes(0, jcid))
    qblk = dagcbor({'typ': 1, 'stream': sid_str})
    mh = b'\x12\x20' + hashlib.sha256(qblk).digest()
    qid = b64url(mh)
    P('N5 query hash input (%d B): %s' % (len(qblk), hexdump(qblk)))
    P('N5 query id: ' + qid)
    P('N5 QUERY  : ' + json.dumps({'typ': 1, 'id': qid, 'stream': sid_str}, separators=(',', ':')))
    P('N5 UPDATE : ' + json.dumps({'typ': 0, 'stream': sid_str, 'tip': str(acid)}, separators=(',', ':')))
    P('N5 RESPONSE: ' + json.dumps({'typ': 2, 'id': qid, 'tips': {sid_str: str(acid)}}, separators=(',', ':')))
    topic = '/ceramic/testnet-clay'
    P('N6 topic %s -> arg=%s' % (topic, 'u' + b64url(topic.encode())))
    print('\n'.join(out))
