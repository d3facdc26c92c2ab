// keys.mjs — writes ../js-keys.json: secp256k1 and P-256 did:key identities,
// JWS signed with them and forged variants, and signed TileDocument geneses,
// each with the verdict of js-ceramic 2.x's own verification (dids 4.0.4
// DID#verifyJWS -> key-did-resolver 3.0.0 -> did-jwt 7.4.7 -> @noble/curves
// 1.9.7, the versions of @ceramicnetwork/cli@2.44.0's tree).
//
// Signers, as js-did's providers sign:
//   - secp256k1: the DID provider below is @didtools/key-secp256k1's
//     (js-did packages/key-did-provider-secp256k1/src/index.ts), line for
//     line: did-jwt's ES256KSigner (RFC 6979, low S) and createJWS with the
//     stable-stringified header {alg: 'ES256K', kid}. (The package is not on
//     the npm registry this generator uses; its code is 60 lines.)
//   - P-256: the same provider shape with did-jwt's ES256Signer (RFC 6979)
//     and header {alg: 'ES256', kid}, as @didtools/key-webcrypto writes it;
//     WebCrypto's random k would make the output change on every run.
// Forged variants are made by hand from good ones; `valid` is always what
// DID#verifyJWS answered, never an assumption.
import fs from 'node:fs'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { DID } from 'dids'
import KeyResolver from 'key-did-resolver'
import { createJWS, ES256KSigner, ES256Signer, EdDSASigner } from 'did-jwt'
import stringify from 'fast-json-stable-stringify'
import { createHandler } from 'rpc-utils'
import { secp256k1 } from '@noble/curves/secp256k1'
import { p256 } from '@noble/curves/p256'
import { ed25519 } from '@noble/curves/ed25519'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { base58btc } from 'multiformats/bases/base58'
import { StreamID } from '@ceramicnetwork/streamid'
import { TileDocument } from '@ceramicnetwork/stream-tile'

const require = createRequire(import.meta.url)
const stablelibRandom = require('@stablelib/random')
const here = new URL('.', import.meta.url)
const hex = (u8) => Buffer.from(u8).toString('hex')
const b64u = (u8) => Buffer.from(u8).toString('base64url')
const fromB64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'))
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const pkgVersion = (p) => JSON.parse(fs.readFileSync(new URL(`node_modules/${p}/package.json`, here))).version

const CURVES = {
  secp256k1: { noble: secp256k1, code: [0xe7, 0x01], alg: 'ES256K', signer: (sk) => ES256KSigner(sk) },
  p256: { noble: p256, code: [0x80, 0x24], alg: 'ES256', signer: (sk) => ES256Signer(sk) }
}
const didOf = (type, pub) => `did:key:z${base58btc.encode(Uint8Array.from([...CURVES[type].code, ...pub])).slice(1)}`
const kidOf = (did) => `${did}#${did.split(':')[2]}`
const toStableObject = (obj) => JSON.parse(stringify(obj))

// @didtools/key-secp256k1's provider, generalised over the curve.
function provider (type, secret, did) {
  const sign = async (payload, protectedHeader = {}) => {
    const header = toStableObject(Object.assign(protectedHeader, { kid: kidOf(did), alg: CURVES[type].alg }))
    return createJWS(typeof payload === 'string' ? payload : toStableObject(payload), CURVES[type].signer(secret), header)
  }
  const toGeneralJWS = (jws) => {
    const [protectedHeader, payload, signature] = jws.split('.')
    return { payload, signatures: [{ protected: protectedHeader, signature }] }
  }
  const handler = createHandler({
    did_authenticate: async (_, params) =>
      toGeneralJWS(await sign({ did, aud: params.aud, nonce: params.nonce, paths: params.paths, exp: 1900000000 })),
    did_createJWS: async (_, params) => ({ jws: toGeneralJWS(await sign(params.payload, params.protected)) })
  })
  return { isDidProvider: true, send: (msg) => handler({}, msg) }
}

const verifier = new DID({ resolver: KeyResolver.getResolver() })
async function jsVerdict (compact) {
  try {
    const r = await verifier.verifyJWS(compact)
    return { valid: true, kid: r.kid }
  } catch (e) {
    return { valid: false, error: String(e.message || e).slice(0, 200) }
  }
}

// ---------------------------------------------------------------- keys
const keys = {}
const keyCases = []
for (const [name, type, label] of [
  ['k1-a', 'secp256k1', 'ceramicfs-keys-secp256k1-1'],
  ['k1-b', 'secp256k1', 'ceramicfs-keys-secp256k1-2'],
  ['p256-a', 'p256', 'ceramicfs-keys-p256-1'],
  ['p256-b', 'p256', 'ceramicfs-keys-p256-2']
]) {
  const secret = sha(label)
  const noble = CURVES[type].noble
  const pub = noble.getPublicKey(secret, true)
  const did = didOf(type, pub)
  const d = new DID({ provider: provider(type, secret, did), resolver: KeyResolver.getResolver() })
  await d.authenticate()
  assert.equal(d.id, did)
  keys[name] = { name, type, secret, pub, did, kid: kidOf(did), d }
  keyCases.push({
    name, type, secret_label: label, secret_hex: hex(secret), pubkey_hex: hex(pub),
    pubkey_uncompressed_hex: hex(noble.getPublicKey(secret, false)), did, kid: kidOf(did)
  })
}

// ---------------------------------------------------------------- JWS
const jwsCases = []
const N = { secp256k1: secp256k1.CURVE.n, p256: p256.CURVE.n }
const num = (u8) => BigInt('0x' + (hex(u8) || '0'))
const be32 = (x) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))
const hdr = (o) => b64u(Buffer.from(JSON.stringify(o)))

async function jwsCase (name, compact, note, type) {
  const v = await jsVerdict(compact)
  const [h, , s] = compact.split('.')
  jwsCases.push({
    name, key_type: type, note, compact,
    protected_json: Buffer.from(h, 'base64url').toString('utf8'),
    signature_hex: hex(fromB64u(s)),
    ...v
  })
  return v
}

// A JWS over the bytes of a CID-like payload, as dids' createDagJWS signs.
const payloadOf = (label) => b64u(Uint8Array.from([0x01, 0x71, 0x12, 0x20, ...sha(label)]))

for (const type of ['secp256k1', 'p256']) {
  const a = keys[type === 'secp256k1' ? 'k1-a' : 'p256-a']
  const b = keys[type === 'secp256k1' ? 'k1-b' : 'p256-b']
  const alg = CURVES[type].alg
  const payload = payloadOf(`ceramicfs-keys-payload-${type}`)
  const jws = await a.d.createJWS(payload)
  const [h, p, s] = [jws.signatures[0].protected, jws.payload, jws.signatures[0].signature]
  const good = `${h}.${p}.${s}`
  assert.equal((await jwsCase(`${type}/good`, good, `${alg} by the provider`, type)).valid, true)
  const sig = fromB64u(s)
  const r = num(sig.slice(0, 32))
  const sv = num(sig.slice(32))
  const n = N[type]
  const sigWith = (rr, ss) => b64u(Uint8Array.from([...be32(rr), ...be32(ss)]))
  await jwsCase(`${type}/high-s`, `${h}.${p}.${sigWith(r, n - sv)}`, 's replaced by n - s (the other valid s)', type)
  const flipped = Uint8Array.from(sig)
  flipped[10] ^= 1
  await jwsCase(`${type}/flipped-bit`, `${h}.${p}.${b64u(flipped)}`, 'one bit of r flipped', type)
  await jwsCase(`${type}/flipped-payload`, `${h}.${payloadOf('other')}.${s}`, 'another payload under the signature', type)
  await jwsCase(`${type}/r-zero`, `${h}.${p}.${sigWith(0n, sv)}`, 'r = 0', type)
  await jwsCase(`${type}/s-zero`, `${h}.${p}.${sigWith(r, 0n)}`, 's = 0', type)
  await jwsCase(`${type}/s-n`, `${h}.${p}.${sigWith(r, n)}`, 's = n', type)
  await jwsCase(`${type}/r-plus-n`, `${h}.${p}.${sigWith(r + n, sv)}`, 'r + n (fits 32 bytes when r < 2^256 - n)', type)
  await jwsCase(`${type}/short`, `${h}.${p}.${b64u(sig.slice(0, 63))}`, '63 bytes', type)
  await jwsCase(`${type}/long`, `${h}.${p}.${b64u(Uint8Array.from([...sig, 0]))}`, '65 bytes (a 0 appended)', type)
  // another key's signature under a's kid, and b's own (valid) JWS
  const jb = await b.d.createJWS(payload)
  await jwsCase(`${type}/other-key`, `${h}.${p}.${jb.signatures[0].signature}`, "b's signature, a's kid", type)
  await jwsCase(`${type}/other-key-own-kid`, `${jb.signatures[0].protected}.${p}.${jb.signatures[0].signature}`, "b's JWS as b made it", type)
  // a header b signs, naming a's kid
  const hb = hdr({ alg, kid: a.kid })
  const forged = await createJWS(p, CURVES[type].signer(b.secret), { alg, kid: a.kid })
  assert.equal(forged.split('.')[0], hb)
  await jwsCase(`${type}/forged-kid`, forged, "header naming a's kid, signed by b", type)
  // DER instead of r || s
  const der = CURVES[type].noble.Signature.fromCompact(sig).toDERRawBytes()
  await jwsCase(`${type}/der`, `${h}.${p}.${b64u(der)}`, 'the same signature DER-encoded', type)
}

// alg / key type mismatches: each signed by the key the kid names, with the
// algorithm of its own curve, but the header claims another algorithm.
{
  const k1 = keys['k1-a']
  const pa = keys['p256-a']
  const p = payloadOf('ceramicfs-keys-mismatch')
  // signed by hand: did-jwt's createJWS refuses some of these pairings
  const mk = async (name, signer, header, note, type) =>
    jwsCase(name, `${hdr(header)}.${p}.${await signer(`${hdr(header)}.${p}`)}`, note, type)
  await mk('mismatch/k1-key-alg-ES256', ES256KSigner(k1.secret), { alg: 'ES256', kid: k1.kid },
    'secp256k1 kid, header alg ES256, secp256k1 signature', 'secp256k1')
  await mk('mismatch/k1-key-alg-EdDSA', ES256KSigner(k1.secret), { alg: 'EdDSA', kid: k1.kid },
    'secp256k1 kid, header alg EdDSA, secp256k1 signature', 'secp256k1')
  await mk('mismatch/p256-key-alg-ES256K', ES256Signer(pa.secret), { alg: 'ES256K', kid: pa.kid },
    'P-256 kid, header alg ES256K, P-256 signature', 'p256')
  await mk('mismatch/p256-key-alg-ES256K-R', ES256Signer(pa.secret), { alg: 'ES256K-R', kid: pa.kid },
    'P-256 kid, header alg ES256K-R, P-256 signature', 'p256')
  await mk('mismatch/k1-key-alg-ES384', ES256KSigner(k1.secret), { alg: 'ES384', kid: k1.kid },
    'an algorithm did-jwt does not know', 'secp256k1')
  // ES256K-R: did-jwt's recoverable form, 65 bytes r || s || recovery id
  const rec = await createJWS(p, ES256KSigner(k1.secret, true), { alg: 'ES256K-R', kid: k1.kid })
  await jwsCase('recoverable/65', rec, 'ES256K-R, 65 bytes with the recovery id', 'secp256k1')
  const [rh, rp, rs] = rec.split('.')
  const rsig = fromB64u(rs)
  await jwsCase('recoverable/64', `${rh}.${rp}.${b64u(rsig.slice(0, 64))}`, 'ES256K-R, 64 bytes (ids 0 and 1 tried)', 'secp256k1')
  const other = Uint8Array.from(rsig)
  other[64] ^= 1
  await jwsCase('recoverable/wrong-id', `${rh}.${rp}.${b64u(other)}`, 'ES256K-R, the other recovery id', 'secp256k1')
  const id27 = Uint8Array.from(rsig)
  id27[64] += 27
  await jwsCase('recoverable/id-27', `${rh}.${rp}.${b64u(id27)}`, 'ES256K-R, recovery id + 27 (Ethereum style)', 'secp256k1')
  const n = N.secp256k1
  const hs = Uint8Array.from([...rsig.slice(0, 32), ...be32(n - num(rsig.slice(32, 64))), rsig[64] ^ 1])
  await jwsCase('recoverable/high-s', `${rh}.${rp}.${b64u(hs)}`, 'ES256K-R, n - s with the recovery id flipped', 'secp256k1')
  const es256kIn65 = Uint8Array.from(rsig)
  const hk = hdr({ alg: 'ES256K', kid: k1.kid })
  const k1sig = await ES256KSigner(k1.secret, true)(`${hk}.${rp}`)
  es256kIn65.set(fromB64u(k1sig))
  await jwsCase('recoverable/65-as-ES256K', `${hk}.${rp}.${b64u(es256kIn65)}`, 'alg ES256K with a 65-byte recoverable signature', 'secp256k1')
  // an ed25519 key under did-jwt's old alg name "Ed25519", and as ES256K
  const eseed = sha('ceramicfs-keys-ed25519-1')
  const edid = `did:key:z${base58btc.encode(Uint8Array.from([0xed, 0x01, ...ed25519.getPublicKey(eseed)])).slice(1)}`
  await mk('ed25519/alg-Ed25519', EdDSASigner(eseed), { alg: 'Ed25519', kid: kidOf(edid) },
    'ed25519 kid, header alg Ed25519 (did-jwt: "retained for backwards compatibility")', 'ed25519')
  await mk('mismatch/ed25519-key-alg-ES256K', ES256KSigner(k1.secret), { alg: 'ES256K', kid: kidOf(edid) },
    'ed25519 kid, header alg ES256K, a secp256k1 signature', 'ed25519')
  // an ed25519 alg name for the old alias
  await mk('mismatch/k1-key-alg-Ed25519', ES256KSigner(k1.secret), { alg: 'Ed25519', kid: k1.kid },
    "secp256k1 kid, header alg Ed25519 (did-jwt's EdDSA alias)", 'secp256k1')
}

// ---------------------------------------------------------------- DID forms
// Each DID form of a real key (or a bad point) with a JWS its key signed:
// whether js verifies it says whether the form resolves.
const didCases = []
async function didCase (name, type, bytes, secret, note) {
  const did = didOf(type, bytes)
  const header = { alg: CURVES[type].alg, kid: kidOf(did) }
  const compact = await createJWS(payloadOf('ceramicfs-keys-did-form'), CURVES[type].signer(secret), header)
  const v = await jsVerdict(compact)
  didCases.push({ name, key_type: type, note, pubkey_hex: hex(bytes), did, compact, ...v })
}
{
  const k1 = keys['k1-a']
  const pa = keys['p256-a']
  const k1u = secp256k1.getPublicKey(k1.secret, false)
  const pu = p256.getPublicKey(pa.secret, false)
  await didCase('secp256k1/compressed', 'secp256k1', k1.pub, k1.secret, '33 bytes 02/03 || x')
  await didCase('secp256k1/uncompressed', 'secp256k1', k1u, k1.secret, '65 bytes 04 || x || y')
  await didCase('secp256k1/raw', 'secp256k1', k1u.slice(1), k1.secret, '64 bytes x || y')
  await didCase('secp256k1/hybrid', 'secp256k1', Uint8Array.from([0x06 | (k1u[64] & 1), ...k1u.slice(1)]), k1.secret,
    'SEC1 hybrid 06/07 || x || y')
  await didCase('secp256k1/wrong-parity', 'secp256k1', Uint8Array.from([k1.pub[0] ^ 1, ...k1.pub.slice(1)]), k1.secret,
    'the other y (a valid point, not the signer)')
  // x = 5 is not the x of a secp256k1 point (5^3 + 7 = 132 is not a square mod p)
  await didCase('secp256k1/not-on-curve', 'secp256k1', Uint8Array.from([0x02, ...be32(5n)]), k1.secret,
    'compressed x with no point')
  const pK1 = secp256k1.CURVE.Fp.ORDER
  await didCase('secp256k1/x-over-p', 'secp256k1', Uint8Array.from([0x02, ...be32(pK1 + 1n)].slice(0, 33)), k1.secret,
    'x = p + 1 (does not fit: x >= p)')
  const bad = Uint8Array.from(k1u)
  bad[64] ^= 1
  await didCase('secp256k1/uncompressed-off-curve', 'secp256k1', bad, k1.secret, 'y with its last bit flipped')
  await didCase('p256/compressed', 'p256', pa.pub, pa.secret, '33 bytes 02/03 || x')
  await didCase('p256/uncompressed', 'p256', pu, pa.secret, '65 bytes 04 || x || y')
  await didCase('p256/raw', 'p256', pu.slice(1), pa.secret, '64 bytes x || y')
  await didCase('p256/hybrid', 'p256', Uint8Array.from([0x06 | (pu[64] & 1), ...pu.slice(1)]), pa.secret,
    'SEC1 hybrid 06/07 || x || y')
  const badp = Uint8Array.from(pu)
  badp[64] ^= 1
  await didCase('p256/uncompressed-off-curve', 'p256', badp, pa.secret, 'y with its last bit flipped')
  // find a compressed x with no P-256 point: the first x >= 1 whose x^3 - 3x + b is not a square
  let x = 1n
  for (;; x++) {
    try { p256.ProjectivePoint.fromHex(Uint8Array.from([0x02, ...be32(x)])) } catch { break }
  }
  await didCase('p256/not-on-curve', 'p256', Uint8Array.from([0x02, ...be32(x)]), pa.secret, `compressed x = ${x}, no point`)
  const pP = p256.CURVE.Fp.ORDER
  // x + p with x of a valid point, if it fits in 32 bytes: the same point mod p
  let xo = 1n
  for (;; xo++) {
    try { p256.ProjectivePoint.fromHex(Uint8Array.from([0x02, ...be32(xo)])); if (xo + pP < 2n ** 256n) break } catch {}
  }
  await didCase('p256/x-over-p', 'p256', Uint8Array.from([0x02, ...be32(xo + pP)]), pa.secret, `x = ${xo} + p`)
  await didCase('p256/short', 'p256', pa.pub.slice(0, 32), pa.secret, '32 bytes')
}

// ---------------------------------------------------------------- geneses
async function withFixedRandom (bytes, fn) {
  const src = stablelibRandom.defaultRandomSource
  const orig = src.randomBytes
  src.randomBytes = (n) => { assert.equal(n, bytes.length); return Uint8Array.from(bytes) }
  try { return await fn() } finally { src.randomBytes = orig }
}
const genesisCases = []
for (const name of ['k1-a', 'p256-a']) {
  const k = keys[name]
  const content = { title: `signed by a ${k.type} did:key`, n: [1, 2, 3], nested: { ok: true } }
  const unique = sha(`ceramicfs-keys-unique-${name}`).slice(0, 12)
  const commit = await withFixedRandom(unique, () =>
    TileDocument.makeGenesis({ did: k.d }, content, { controllers: [k.did], family: 'ceramicfs-keys' }))
  const { jws, linkedBlock } = commit
  const env = dagJose.encode(jws)
  const envCid = CID.create(1, dagJose.code, await sha256.digest(env))
  const payloadCid = CID.create(1, dagCbor.code, await sha256.digest(linkedBlock))
  assert.equal(jws.link.toString(), payloadCid.toString())
  const sig = jws.signatures[0]
  const compact = `${sig.protected}.${jws.payload}.${sig.signature}`
  const v = await jsVerdict(compact)
  assert.equal(v.valid, true)
  const payload = dagCbor.decode(linkedBlock)
  genesisCases.push({
    name: `genesis/${name}`, key_type: k.type, secret_hex: hex(k.secret), did: k.did, kid: k.kid,
    header: payload.header, content, content_json: JSON.stringify(content), unique_hex: hex(unique),
    payload_hex: hex(linkedBlock), payload_cid: payloadCid.toString(),
    envelope_hex: hex(env), envelope_cid: envCid.toString(),
    protected_json: Buffer.from(sig.protected, 'base64url').toString('utf8'),
    signature_b64u: sig.signature, jws_compact: compact,
    stream_id: new StreamID('tile', envCid).toString(), ...v
  })
}

// ---------------------------------------------------------------- write
const versions = Object.fromEntries(['dids', 'key-did-resolver', 'did-jwt', '@noble/curves', 'nist-weierstrauss',
  'dag-jose', '@ipld/dag-cbor', '@ceramicnetwork/stream-tile', '@ceramicnetwork/streamid', 'rpc-utils',
  'fast-json-stable-stringify'].map((p) => [p, pkgVersion(p)]))
const out = {
  generator: 'tests/vectors/gen/keys.mjs',
  format: 1,
  versions,
  conventions: [
    'hex is lower case; *_b64u and JWS parts are base64url without padding',
    'valid is what dids DID#verifyJWS (js-ceramic 2.x) answered for compact; error is its message',
    'keys: secret_hex is the 32-byte secret scalar (sha256 of secret_label); did uses the compressed key'
  ],
  keys: keyCases,
  jws: jwsCases,
  dids: didCases,
  genesis: genesisCases
}
const text = JSON.stringify(out, null, 1) + '\n'
fs.writeFileSync(new URL('../js-keys.json', here), text)
const ok = (l) => l.filter((c) => c.valid).length
console.error(`wrote ../js-keys.json: ${keyCases.length} keys, ${jwsCases.length} jws (${ok(jwsCases)} valid), ` +
  `${didCases.length} did forms (${ok(didCases)} valid), ${genesisCases.length} geneses; ` +
  `sha256 ${crypto.createHash('sha256').update(text).digest('hex')}`)
