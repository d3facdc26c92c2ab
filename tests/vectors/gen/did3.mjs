// did3.mjs - did:3 (3ID v1) vectors made by the libraries of the
// @ceramicnetwork/cli@2.44.0 tree:
//
//   cd tests/vectors/gen && npm ci --ignore-scripts && node did3.mjs
//
// writes ../js-did3.json (see README.md). A 3ID TileDocument (family "3id",
// controlled by an ed25519 management did:key, content {publicKeys} as
// js-3id's keyring writes it: names are the last 15 characters of each
// multibase key) is made with TileDocument.makeGenesis and signed updates,
// anchored twice (anchor commits and proofs built as js-ceramic's, with
// blockTimestamp) and rotated between the anchors. TileDocuments controlled
// by its did:3 are signed as js-3id's provider signs (did-jwt createJWS,
// ES256K, kid did:3:<id>?version-id=<version>#<name>). Every verdict is
// SignatureUtils.verifyCommitSignature (@ceramicnetwork/common 2.39.0) with
// the real @ceramicnetwork/3id-did-resolver 2.32.0 over a stand-in for the
// node's multiQuery that answers with the 3ID document's states (the log
// with its anchor times, as js-ceramic keeps them), at the current time or
// at a given anchor time.
import fs from 'node:fs'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { DID } from 'dids'
import { Ed25519Provider } from 'key-did-provider-ed25519'
import KeyResolver from 'key-did-resolver'
import * as ThreeIdResolver from '@ceramicnetwork/3id-did-resolver'
import { createJWS, ES256KSigner } from 'did-jwt'
import { secp256k1 } from '@noble/curves/secp256k1'
import { encodePayload } from 'dag-jose-utils'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { base58btc } from 'multiformats/bases/base58'
import { StreamID, CommitID } from '@ceramicnetwork/streamid'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import { SignatureUtils } from '@ceramicnetwork/common'

const here = new URL('.', import.meta.url)
const hex = (u8) => Buffer.from(u8).toString('hex')
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const pkgVersion = (p) => JSON.parse(fs.readFileSync(new URL(`node_modules/${p}/package.json`, here))).version
const out = { generator: 'tests/vectors/gen/did3.mjs', format: 1, versions: {}, keys: [], three_id: {}, commits: [] }
const blocks = new Map()
const put = async (bytes, code) => {
  const cid = CID.create(1, code, await sha256.digest(bytes))
  blocks.set(cid.toString(), hex(bytes))
  return cid
}

// ---------------------------------------------------------------- the 3ID document
const mgmt = new DID({ provider: new Ed25519Provider(sha('ceramicfs-did3-mgmt')), resolver: KeyResolver.getResolver() })
await mgmt.authenticate()
const keys = {}
for (const n of [1, 2, 3]) {
  const secret = sha(`ceramicfs-did3-key-${n}`)
  const mb = base58btc.encode(Uint8Array.from([0xe7, 0x01, ...secp256k1.getPublicKey(secret, true)]))
  keys[n] = { secret, mb, name: mb.slice(-15) }
  out.keys.push({ n, secret_hex: hex(secret), multibase: mb, name: mb.slice(-15) })
}
const enc = base58btc.encode(Uint8Array.from([0xec, 0x01, ...sha('ceramicfs-did3-x25519')]))
const publicKeys = (n) => ({ [keys[n].name]: keys[n].mb, [enc.slice(-15)]: enc })

async function signedBlocks (did, payload) {
  const { jws, linkedBlock } = await did.createDagJWS(payload)
  await put(linkedBlock, dagCbor.code)
  return { cid: await put(dagJose.encode(jws), dagJose.code), jws }
}
async function anchor (prev, genesis, ts) {
  const proof = await put(dagCbor.encode({ chainId: 'eip155:1337', root: prev,
    txHash: CID.create(1, 0x93, { code: 0x1b, size: 32, digest: sha(`tx-${ts}`), bytes: Uint8Array.from([0x1b, 32, ...sha(`tx-${ts}`)]) }),
    txType: 'f(bytes32)', blockNumber: ts / 10, blockTimestamp: ts }), dagCbor.code)
  return put(dagCbor.encode({ id: genesis, prev, proof, path: '' }), dagCbor.code)
}
const T1 = Date.parse('2025-03-01T00:00:00Z') / 1000
const T2 = Date.parse('2025-06-01T00:00:00Z') / 1000
// genesis with key 1, anchored at T1; key 2 replaces it, anchored at T2
// the genesis's 12 random unique bytes fixed (sha256("ceramicfs-did3-unique")[0..12])
const random = createRequire(import.meta.url)('@stablelib/random').defaultRandomSource
const randomBytes = random.randomBytes
random.randomBytes = (n) => { assert.equal(n, 12); return sha('ceramicfs-did3-unique').slice(0, 12) }
const gen = await TileDocument.makeGenesis({ did: mgmt }, { publicKeys: publicKeys(1) },
  { controllers: [mgmt.id], family: '3id' })
random.randomBytes = randomBytes
await put(gen.linkedBlock, dagCbor.code)
const g = await put(dagJose.encode(gen.jws), dagJose.code)
const sid3 = new StreamID('tile', g)
const a1 = await anchor(g, g, T1)
const rot = await signedBlocks(mgmt, { header: {}, data: [{ op: 'replace', path: '/publicKeys', value: publicKeys(2) }],
  prev: a1, id: g })
const a2 = await anchor(rot.cid, g, T2)
const did3 = `did:3:${sid3}`
// the document as js-ceramic keeps it: each commit stamped with its anchor's time
const full = [
  { cid: g, type: 0, timestamp: T1, content: { publicKeys: publicKeys(1) } },
  { cid: a1, type: 2, timestamp: T1, content: { publicKeys: publicKeys(1) } },
  { cid: rot.cid, type: 1, timestamp: T2, content: { publicKeys: publicKeys(2) } },
  { cid: a2, type: 2, timestamp: T2, content: { publicKeys: publicKeys(2) } }]
out.three_id = { did: did3, stream_id: sid3.toString(), management_did: mgmt.id, genesis: g.toString(),
  anchor1: a1.toString(), rotation: rot.cid.toString(), anchor2: a2.toString(), t1: T1, t2: T2,
  log: full.map((e) => ({ cid: e.cid.toString(), type: e.type, timestamp: e.timestamp })) }

// the node's multiQuery: the latest state, and the state at a CommitID
const stateAt = (n) => ({ content: full[n - 1].content, log: full.slice(0, n).map(({ cid, type, timestamp }) => ({ cid, type, timestamp })) })
const ceramic = {
  async multiQuery (queries) {
    const r = {}
    for (const q of queries) {
      const ref = q.streamId
      if (ref instanceof CommitID) {
        const i = full.findIndex((e) => e.cid.equals(ref.commit))
        if (i >= 0) r[ref.toString()] = { state: stateAt(i + 1) }
      } else {
        r[ref.toString()] = { state: stateAt(full.length) }
      }
    }
    return r
  }
}
const verifier = new DID({ resolver: { ...KeyResolver.getResolver(), ...ThreeIdResolver.getResolver(ceramic) } })

// ---------------------------------------------------------------- documents signed as the 3ID
// js-3id's provider: did-jwt createJWS over the payload CID, header {alg, kid}
async function sign3 (payload, keyN, version, { didOverride } = {}) {
  const { cid, linkedBlock } = await encodePayload(payload)
  await put(linkedBlock, dagCbor.code)
  const kid = `${didOverride ?? did3}${version === null ? '' : `?version-id=${version}`}#${keys[keyN].name}`
  const compact = await createJWS(Buffer.from(cid.bytes).toString('base64url'), ES256KSigner(keys[keyN].secret),
    { alg: 'ES256K', kid })
  const [protectedB64, payloadB64, signature] = compact.split('.')
  const jws = { payload: payloadB64, signatures: [{ protected: protectedB64, signature }], link: cid }
  return { jws, cid: await put(dagJose.encode(jws), dagJose.code), payloadCid: cid, kid }
}
let nDoc = 0
async function docCase (name, { keyN, version, at = null, controller = did3, didOverride, note }) {
  const payload = { header: { controllers: [controller], family: 'signed-by-3id', unique: `u${++nDoc}` },
    data: { case: name } }
  const s = await sign3(payload, keyN, version, { didOverride })
  const streamId = await StreamID.fromGenesis('tile', payload)
  const commitData = { cid: s.cid, type: 0, commit: payload, envelope: s.jws, timestamp: at ?? undefined }
  let v
  try {
    await SignatureUtils.verifyCommitSignature(commitData, verifier, controller, null, streamId)
    v = { valid: true }
  } catch (e) {
    v = { valid: false, error: e.message }
  }
  out.commits.push({ name, stream_id: new StreamID('tile', s.cid).toString(), envelope_cid: s.cid.toString(),
    payload_cid: s.payloadCid.toString(), kid: s.kid, controller, at, ...v, note })
}
await docCase('v1-before-rotation', { keyN: 1, version: a1.toString(), at: T1 + 100, note: 'key 1 at anchor 1, anchored before the rotation' })
await docCase('v1-within-phase-out', { keyN: 1, version: a1.toString(), at: T2 + 86400 - 1, note: 'the 24 h after the rotation' })
await docCase('v1-after-phase-out', { keyN: 1, version: a1.toString(), at: T2 + 86400, note: 'revoked' })
await docCase('v1-unanchored', { keyN: 1, version: a1.toString(), note: 'not anchored: a replaced version does not sign' })
await docCase('v0-before-rotation', { keyN: 1, version: '0', at: T1 + 100, note: 'version-id=0: the genesis' })
await docCase('v0-unanchored', { keyN: 1, version: '0' })
await docCase('v2-now', { keyN: 2, version: a2.toString(), note: 'the current key, not anchored' })
await docCase('v2-before-its-version', { keyN: 2, version: a2.toString(), at: T1 + 100, note: 'before the version it names' })
await docCase('v2-rotation-commit', { keyN: 2, version: rot.cid.toString(), note: 'the version of the rotation commit itself' })
await docCase('v1-key-at-v2', { keyN: 1, version: a2.toString(), note: 'key 1 is not in version 2' })
await docCase('key3-never', { keyN: 3, version: a2.toString(), note: 'a key the 3ID never had' })
await docCase('latest-no-version', { keyN: 2, version: null, note: 'no version-id: the latest' })
await docCase('other-did', { keyN: 2, version: a2.toString(), didOverride: `did:3:${new StreamID('tile', a1)}`,
  note: 'kid names another 3ID' })

out.blocks = Object.fromEntries([...blocks.entries()].sort())
for (const p of ['@ceramicnetwork/3id-did-resolver', '@ceramicnetwork/common', '@ceramicnetwork/stream-tile',
  '@ceramicnetwork/streamid', 'dids', 'did-jwt', 'key-did-provider-ed25519', 'key-did-resolver', 'dag-jose-utils',
  '@noble/curves']) {
  out.versions[p] = pkgVersion(p)
}
const text = JSON.stringify(out, null, 1) + '\n'
fs.writeFileSync(new URL('../js-did3.json', here), text)
const valid = out.commits.filter((c) => c.valid).length
console.log(`js-did3.json: ${out.commits.length} commits (${valid} valid); sha256 ${crypto.createHash('sha256').update(text).digest('hex')}`)
