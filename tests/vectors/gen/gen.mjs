// gen.mjs - deterministic test vectors for ceramicfs, made by the JavaScript
// libraries that js-ceramic 2.x (@ceramicnetwork/cli@2.44.0, core 2.46.0) uses.
//
//   cd tests/vectors/gen && npm ci --ignore-scripts && node gen.mjs
//
// writes ../js-cases.json (see README.md for the layout). Every value is
// produced by the real library code path where one exists:
//   - genesis commits: TileDocument.makeGenesis (stream-tile 2.35.0), with the
//     12 random `unique` bytes drawn from @stablelib/random replaced by fixed
//     bytes (sha256("ceramicfs-unique-<name>")[0..12]);
//   - update commits: TileDocument#makeCommit on a TileDocument whose state is
//     held in an rxjs BehaviorSubject (what js-ceramic's RunningState is);
//   - signing: dids 4.0.4 DID#createDagJWS with key-did-provider-ed25519 3.0.2;
//   - payload blocks: the linkedBlock returned by createDagJWS (@ipld/dag-cbor 7.0.3);
//   - envelopes and unsigned blocks: cartonne CAR.put, as core's Dispatcher.storeCommit
//     does (dag-jose 4.0.0 / @ipld/dag-cbor 9.2.7);
//   - pubsub messages: @ceramicnetwork/core 2.46.0 lib/pubsub/pubsub-message.js
//     (vendored verbatim, sha256-checked below);
//   - StreamID/CommitID: @ceramicnetwork/streamid 2.17.0 parsers and constructors.
// Every block is cross-checked against a second encoder (dag-cbor 7.0.3 vs 9.2.7);
// every signature is verified with DID#verifyJWS. Any mismatch aborts.
import fs from 'node:fs'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { BehaviorSubject } from 'rxjs'
import { DID } from 'dids'
import { Ed25519Provider } from 'key-did-provider-ed25519'
import KeyResolver from 'key-did-resolver'
import { generateKeyPairFromSeed } from '@stablelib/ed25519'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagCbor9 from './node_modules/cartonne/node_modules/@ipld/dag-cbor/src/index.js'
import * as dagJson from '@ipld/dag-json'
import * as dagJose from 'dag-jose'
import { CARFactory } from 'cartonne'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { create as createDigest } from 'multiformats/hashes/digest'
import { base58btc } from 'multiformats/bases/base58'
import { StreamID, CommitID, StreamRef } from '@ceramicnetwork/streamid'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import jsonpatch from 'fast-json-patch'

const require = createRequire(import.meta.url)
const stablelibRandom = require('@stablelib/random')

// ---------------------------------------------------------------- helpers
const here = new URL('.', import.meta.url)
const hex = (u8) => Buffer.from(u8).toString('hex')
const fromB64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'))
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const seedOf = (n) => sha(`ceramicfs-vector-${n}`)
const uniqueOf = (name) => sha(`ceramicfs-unique-${name}`).slice(0, 12)
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)))

function pkgVersion (p) {
  return JSON.parse(fs.readFileSync(new URL(`node_modules/${p}/package.json`, here))).version
}

// Vendored core 2.46.0 pubsub-message.js must be byte-identical to the npm tarball's file.
const PUBSUB_MESSAGE_SHA256 = '26c46066bc52e564b08e22cd6425d903cac2b05006ec74119be69ddd83a3d7e8'
{
  const got = crypto.createHash('sha256')
    .update(fs.readFileSync(new URL('vendor/ceramic-core-2.46.0/pubsub-message.js', here))).digest('hex')
  assert.equal(got, PUBSUB_MESSAGE_SHA256, 'vendored pubsub-message.js was modified')
}
const pubsub = await import('./vendor/ceramic-core-2.46.0/pubsub-message.js')

// The dispatcher of core 2.46.0 stores commits through a cartonne CAR whose codecs are the
// IPFS client's (dag-cbor 9.2.7, dag-jose 4.0.0).
const carFactory = new CARFactory()
carFactory.codecs.add(dagJose)
function storeBlock (value, codec = 'dag-cbor') {
  const car = carFactory.build()
  const cid = codec === 'dag-jose'
    ? car.put(value, { codec: 'dag-jose', hasher: 'sha2-256', isRoot: true })
    : car.put(value, { isRoot: true })
  const bytes = car.blocks.get(cid).payload
  if (codec === 'dag-cbor') {
    // second encoder: @ipld/dag-cbor 7.0.3 (what stream-tile, streamid and dag-jose-utils use)
    assert.equal(hex(dagCbor.encode(value)), hex(bytes), 'dag-cbor 7.0.3 != 9.2.7')
  } else {
    assert.equal(hex(dagJose.encode(value)), hex(bytes), 'dag-jose re-encode mismatch')
  }
  return { cid, bytes }
}
async function cidOf (bytes, code) {
  return CID.create(1, code, await sha256.digest(bytes))
}

// Run fn with @stablelib/random's default source returning `bytes` (once, exact length).
async function withFixedRandom (bytes, fn) {
  const src = stablelibRandom.defaultRandomSource
  const orig = src.randomBytes
  let used = 0
  src.randomBytes = (n) => {
    used++
    assert.equal(n, bytes.length, `unexpected randomBytes(${n})`)
    return Uint8Array.from(bytes)
  }
  try {
    const r = await fn()
    return { r, used }
  } finally {
    src.randomBytes = orig
  }
}

// JSON replacer: CIDs as dag-json links (for the few places where objects hold CIDs)
const cidJson = (k, v) => (v && typeof v === 'object' && CID.asCID(v)) ? { '/': CID.asCID(v).toString() } : v

// ---------------------------------------------------------------- output
const cases = []
const byName = new Map()
function add (c) {
  assert(!byName.has(c.name), `duplicate case name ${c.name}`)
  byName.set(c.name, c)
  cases.push(c)
  return c
}

// ---------------------------------------------------------------- 1. DIDs
const dids = {}
for (const n of [1, 2, 3, 4, 5, 6]) {
  const seed = seedOf(n)
  const did = new DID({ provider: new Ed25519Provider(seed), resolver: KeyResolver.getResolver() })
  await did.authenticate()
  const pk = generateKeyPairFromSeed(seed).publicKey
  const msid = did.id.slice('did:key:'.length)
  const mcBytes = base58btc.decode(msid)
  assert.equal(hex(mcBytes), 'ed01' + hex(pk))
  // kid as key-did-provider-ed25519 puts it in the protected header
  const jws = await did.createJWS({ probe: n })
  const kid = JSON.parse(Buffer.from(jws.signatures[0].protected, 'base64url')).kid
  assert.equal(kid, `${did.id}#${msid}`)
  dids[n] = { n, did, seed, id: did.id, kid }
  add({
    kind: 'did',
    name: `did/${n}`,
    seed_label: `ceramicfs-vector-${n}`,
    seed_hex: hex(seed),
    pubkey_hex: hex(pk),
    multicodec_pubkey_hex: hex(mcBytes),
    did: did.id,
    kid
  })
}

// ---------------------------------------------------------------- signed commit recorder
async function recordSigned (did, signed) {
  const { jws, linkedBlock } = signed
  const payloadCid = jws.link
  assert.equal(payloadCid.toString(), (await cidOf(linkedBlock, dagCbor.code)).toString())
  // the payload block re-encodes identically with dag-cbor 9.2.7
  assert.equal(hex(dagCbor9.encode(dagCbor.decode(linkedBlock))), hex(linkedBlock))
  const env = storeBlock(jws, 'dag-jose')
  const decodedEnv = dagJose.decode(env.bytes)
  assert.equal(decodedEnv.link.toString(), payloadCid.toString())
  assert.equal(jws.signatures.length, 1)
  const sig = jws.signatures[0]
  const compact = `${sig.protected}.${jws.payload}.${sig.signature}`
  const v = await did.verifyJWS(compact)
  const protectedJson = Buffer.from(sig.protected, 'base64url').toString('utf8')
  return {
    payload: dagCbor.decode(linkedBlock),
    payloadCid,
    envCid: env.cid,
    expect: {
      payload_hex: hex(linkedBlock),
      payload_cid: payloadCid.toString(),
      payload_cid_hex: hex(payloadCid.bytes),
      protected_json: protectedJson,
      protected_b64u: sig.protected,
      payload_b64u: jws.payload,
      signature_b64u: sig.signature,
      signature_hex: hex(fromB64u(sig.signature)),
      signing_input: `${sig.protected}.${jws.payload}`,
      jws_compact: compact,
      verified_kid: v.kid,
      envelope_hex: hex(env.bytes),
      envelope_cid: env.cid.toString(),
      commit_cid: env.cid.toString(),
      commit_hex: hex(env.bytes)
    }
  }
}

function ids (sid, commitCid) {
  const cid = CommitID.make(sid, commitCid)
  return {
    stream_id: sid.toString(),
    stream_id_hex: hex(sid.bytes),
    commit_id: cid.toString(),
    commit_id_hex: hex(cid.bytes)
  }
}

// ---------------------------------------------------------------- 2/3. genesis commits
const streams = {} // name -> { sid, genesisCid, state, doc, controllerSeed }

function newDoc (sid, genesisCid, content, metadata, signed) {
  const state = {
    type: 0,
    content,
    metadata,
    signature: signed ? 2 : 0,
    anchorStatus: 0,
    log: [{ cid: genesisCid, type: 0 }]
  }
  const state$ = new BehaviorSubject(state)
  return { state$, doc: new TileDocument(state$, { api: null }) }
}

async function genesis ({ name, seed, content, contentJson, metadata, note }) {
  const signer = dids[seed]
  // content given as JSON text => JS semantics of JSON.parse define the value
  if (contentJson !== undefined) content = JSON.parse(contentJson)
  const unsigned = content == null
  const md = clone(metadata) || {}
  const unique = md.deterministic ? null : uniqueOf(name)
  const call = () => TileDocument.makeGenesis({ did: signer.did }, content, md)
  const { r: commit, used } = unique ? await withFixedRandom(unique, call) : { r: await call(), used: 0 }
  assert.equal(used, unique ? 1 : 0)
  const c = {
    kind: 'genesis',
    name: `genesis/${name}`,
    unsigned,
    seed_hex: hex(signer.seed),
    did: signer.id,
    kid: signer.kid,
    metadata: metadata || {},
    unique_hex: unique ? hex(unique) : null
  }
  let sid, genesisCid, header
  if (unsigned) {
    const b = storeBlock(commit)
    genesisCid = b.cid
    header = commit.header
    assert.equal((await StreamID.fromGenesis('tile', commit)).toString(), new StreamID('tile', b.cid).toString())
    sid = new StreamID('tile', genesisCid)
    c.header = header
    c.content = null
    c.content_json = null
    c.expect = {
      payload_hex: hex(b.bytes),
      payload_cid: b.cid.toString(),
      payload_cid_hex: hex(b.cid.bytes),
      protected_json: null,
      protected_b64u: null,
      payload_b64u: null,
      signature_b64u: null,
      signature_hex: null,
      signing_input: null,
      jws_compact: null,
      verified_kid: null,
      envelope_hex: null,
      envelope_cid: null,
      commit_cid: b.cid.toString(),
      commit_hex: hex(b.bytes),
      ...ids(sid, genesisCid)
    }
  } else {
    const s = await recordSigned(signer.did, commit)
    header = s.payload.header
    assert.deepEqual(Object.keys(s.payload).sort(), ['data', 'header'])
    genesisCid = s.envCid
    sid = new StreamID('tile', genesisCid)
    c.header = header
    c.content = content
    c.content_json = contentJson !== undefined ? contentJson : JSON.stringify(content)
    c.expect = { ...s.expect, ...ids(sid, genesisCid) }
  }
  if (unique) assert.equal(header.unique, Buffer.from(unique).toString('base64').replace(/=+$/, ''))
  if (note) c.note = note
  const stateMeta = clone(header)
  c.expect.state_content = unsigned ? {} : clone(content)
  c.expect.state_metadata = stateMeta
  add(c)
  const controllerSeed = seed
  streams[name] = { name, sid, genesisCid, ...newDoc(sid, genesisCid, unsigned ? {} : content, stateMeta, !unsigned), controllerSeed, tip: genesisCid }
  return c
}

const did1 = dids[1].id
await genesis({
  name: 'nested',
  seed: 1,
  content: {
    title: 'ceramicfs nested document',
    nested: { a: [1, 2, { b: null, c: [true, false] }], t: true, f: false, n: null },
    arr: [[], {}, [[]], [{}], 'x', 0],
    empty_obj: {},
    empty_arr: [],
    numbers: [0, 1, -1, 23, 24]
  },
  metadata: { controllers: [did1], family: 'ceramicfs-test' }
})
await genesis({
  name: 'unicode',
  seed: 2,
  content: {
    café: 'crème brûlée',
    日本: '日本語のテキスト',
    emoji: '🎉🚀 party',
    '😀': 'grinning face (4 UTF-8 bytes, 2 UTF-16 units)',
    Ωmega: 'Ω ω',
    z: 'one byte key',
    é: 'two UTF-8 bytes, one UTF-16 unit',
    ab: 'two bytes, two units',
    日: 'three UTF-8 bytes, one UTF-16 unit',
    abc: 'three bytes, three units',
    abcd: 'four bytes, four units',
    'a/b~c': 'json-pointer escapes ~0 ~1',
    'ü': { 'ß': ['ñ', 'ø', 'ł'] },
    '\u00e9\u0301': 'e-acute + combining acute (not normalized)',
    'e\u0301': 'e + combining acute'
  },
  metadata: { controllers: [dids[2].id], family: 'ünïcødé 家族' }
})
await genesis({
  name: 'key-order',
  seed: 3,
  content: {
    b: 1,
    a: 2,
    B: 3,
    A: 4,
    aa: 5,
    ab: 6,
    Ab: 7,
    a1: 8,
    _: 9,
    '~': 10,
    '10': 11,
    '9': 12,
    '2': 13,
    '1': 14,
    '-1': 15,
    '': 16,
    ' ': 17,
    zz: { y: 1, x: 2, yy: 3, xx: 4, xyz: 5 }
  },
  metadata: { controllers: [dids[3].id] },
  note: 'JS object order puts integer-like keys ("1","2","9","10") first; dag-cbor sorts by UTF-8 length then bytewise, so "" < "1" < ... regardless'
})
await genesis({
  name: 'integers',
  seed: 4,
  content: {
    i0: 0,
    i23: 23,
    i24: 24,
    i255: 255,
    i256: 256,
    i65535: 65535,
    i65536: 65536,
    i4294967295: 4294967295,
    i4294967296: 4294967296,
    n1: -1,
    n24: -24,
    n25: -25,
    n256: -256,
    n257: -257,
    n65536: -65536,
    n65537: -65537,
    n4294967296: -4294967296,
    n4294967297: -4294967297,
    min_safe: -9007199254740991,
    max_safe: 9007199254740991,
    list: [23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -24, -25, -9007199254740991, 9007199254740991]
  },
  metadata: { controllers: [dids[4].id], tags: ['ints'] }
})
await genesis({
  name: 'floats',
  seed: 4,
  content: {
    f1_5: 1.5,
    fm0_25: -0.25,
    f1e300: 1e300,
    f0_1: 0.1,
    p2_53: 9007199254740992,
    m2_53: -9007199254740992,
    f1e21: 1e21,
    f1e20: 1e20,
    f1em7: 1e-7,
    fmin: 5e-324,
    fmax: 1.7976931348623157e308,
    half: 0.5,
    third: 1 / 3,
    pi: 3.141592653589793,
    list: [1.5, -0.25, 1e300, 0.1, 9007199254740992, 1e21]
  },
  metadata: { controllers: [dids[4].id], tags: ['floats'] },
  note: 'all non-safe-integer numbers are float64 (fb + 8 bytes); JSON.stringify writes 1e21 as 1e+21'
})
await genesis({
  name: 'json-text-numbers',
  seed: 5,
  contentJson: '{"one_point_zero":1.0,"minus_zero":-0,"minus_zero_float":-0.0,"exp":1e2,"EXP":1E2,"two_53_plus_1":9007199254740993,"two_64":18446744073709551616,"small":1E-7,"big":100000000000000000000000,"neg_exp":-2.5e-3,"int_as_exp":4.2e1}',
  metadata: { controllers: [dids[5].id] },
  note: 'content_json is parsed with JSON.parse: 1.0, 1e2, 4.2e1 become integers; -0 and -0.0 become -0 which dag-cbor writes as integer 0 (00); 9007199254740993 rounds to 2^53 (float); content below is JSON.stringify of the parsed value (-0 shows as 0)'
})
await genesis({
  name: 'long-strings',
  seed: 5,
  content: {
    s23: 'a'.repeat(23),
    s24: 'b'.repeat(24),
    s255: 'c'.repeat(255),
    s256: 'd'.repeat(256),
    s300: 'e'.repeat(300),
    s65535: 'f'.repeat(65535),
    s70000: 'g'.repeat(69990) + 'éééééééééé'.slice(0, 5),
    ['k'.repeat(300)]: 'a key longer than 255 bytes',
    arr24: Array.from({ length: 24 }, (_, i) => i),
    arr256: Array.from({ length: 256 }, (_, i) => i % 7)
  },
  metadata: { controllers: [dids[5].id] },
  note: 's70000 is 69990 ASCII + 5 x U+00E9 = 70000 UTF-8 bytes / 69995 UTF-16 units'
})
await genesis({
  name: 'slash-keys',
  seed: 6,
  content: {
    '/': 'a plain string under the key "/" (not a link)',
    looks_like_link: { '/': 'bafyreiar55pr6y3ow53g6c5fdxu5evsf6cb2dhirdw3772dl65tyocjc7a' },
    looks_like_bytes: { '/': { bytes: 'AAECAw' } },
    deeper: [{ '/': '' }]
  },
  metadata: { controllers: [dids[6].id], family: 'slash' },
  note: 'TileDocument content is plain JSON: {"/":...} is an ordinary map here, never a CID or bytes'
})
await genesis({
  name: 'special-strings',
  seed: 6,
  content: {
    quote: 'say "hi"',
    backslash: 'C:\\path\\file',
    controls: '\u0000\u0001\b\t\n\f\r\u001f',
    slash: 'a/b</script>',
    separators: '\u2028\u2029',
    bom: '\ufeffbom',
    nbsp: 'a\u00a0b',
    empty: '',
    high: '\u{10ffff}'
  },
  metadata: { controllers: [dids[6].id] }
})
await genesis({
  name: 'forbid-controller-change',
  seed: 1,
  content: { locked: true },
  metadata: { controllers: [did1], forbidControllerChange: true, tags: ['locked', 'tile'] }
})
await genesis({
  name: 'empty-content',
  seed: 2,
  content: {},
  metadata: { controllers: [dids[2].id] },
  note: 'content {} is not null, so it is signed with data {} (a0)'
})
await genesis({
  name: 'array-root',
  seed: 3,
  content: ['first', 2, { third: [3] }, null, true],
  metadata: { controllers: [dids[3].id], family: 'arrays' }
})
await genesis({
  name: 'default-controller',
  seed: 5,
  content: { controller: 'taken from the signer (metadata has no controllers)' },
  metadata: { family: 'default' }
})
await genesis({
  name: 'deep',
  seed: 6,
  content: (() => { let v = { leaf: 'bottom' }; for (let i = 19; i >= 0; i--) v = i % 2 ? { [`l${i}`]: v } : [i, v]; return { root: v } })(),
  metadata: { controllers: [dids[6].id] }
})
{
  // schema = a CommitID string (of the "nested" genesis)
  const schema = CommitID.make(streams.nested.sid, streams.nested.genesisCid).toString()
  await genesis({
    name: 'schema-family-tags',
    seed: 1,
    content: { $comment: 'schema points at a CommitID', value: 42 },
    metadata: { controllers: [did1], family: 'with-schema', tags: ['t1', 'T2', '日本'], schema }
  })
}

// unsigned genesis commits: content null
await genesis({ name: 'unsigned-family', seed: 1, content: null, metadata: { controllers: [did1], family: 'ceramicfs-det', deterministic: true } })
await genesis({ name: 'unsigned-tags', seed: 2, content: null, metadata: { controllers: [dids[2].id], tags: ['a', 'b', 'c'], deterministic: true } })
await genesis({ name: 'unsigned-family-tags', seed: 3, content: null, metadata: { controllers: [dids[3].id], family: 'fam', tags: ['x'], deterministic: true } })
await genesis({ name: 'unsigned-unicode', seed: 4, content: null, metadata: { controllers: [dids[4].id], family: 'fämïly-日本-🎉', tags: [], deterministic: true }, note: 'tags: [] is kept (only undefined keys are dropped)' })
await genesis({
  name: 'unsigned-with-unique',
  seed: 5,
  content: null,
  metadata: { controllers: [dids[5].id], family: 'not-deterministic' },
  note: 'TileDocument.create with null content and deterministic unset: unsigned, but header.unique is random (fixed here)'
})

// ---------------------------------------------------------------- 4. updates
async function update (streamName, { seed, content, metadata, label, note }) {
  const st = streams[streamName]
  const signer = dids[seed]
  const before = st.state$.value
  const old = clone(before.content)
  const prev = st.tip
  const commit = await st.doc.makeCommit({ did: signer.did }, content === undefined ? null : content, metadata ? clone(metadata) : undefined)
  const s = await recordSigned(signer.did, commit)
  const p = s.payload
  assert.deepEqual(Object.keys(p).sort(), ['data', 'header', 'id', 'prev'])
  assert.equal(p.id.toString(), st.genesisCid.toString())
  assert.equal(p.prev.toString(), prev.toString())
  const patch = p.data
  const next = content === undefined ? old : clone(content)
  assert.deepEqual(patch, jsonpatch.compare(old, next))
  const applied = jsonpatch.applyPatch(clone(old), clone(patch), true, false).newDocument
  assert.deepEqual(applied, next)
  const newMeta = { ...before.metadata, ...p.header }
  const c = add({
    kind: 'update',
    name: `update/${streamName}/${label}`,
    stream: `genesis/${streamName}`,
    seed_hex: hex(signer.seed),
    did: signer.id,
    kid: signer.kid,
    controller_before: before.metadata.controllers[0],
    genesis_cid: st.genesisCid.toString(),
    prev_cid: prev.toString(),
    metadata: metadata || {},
    header: p.header,
    old,
    old_json: JSON.stringify(old),
    new: next,
    new_json: JSON.stringify(next),
    patch,
    patch_json: JSON.stringify(patch),
    expect: {
      ...s.expect,
      ...ids(st.sid, s.envCid),
      state_content: applied,
      state_metadata: newMeta
    }
  })
  if (note) c.note = note
  st.tip = s.envCid
  st.state$.next({ ...before, content: applied, metadata: newMeta, log: [...before.log, { cid: s.envCid, type: 1 }] })
  return c
}

// chain on "nested": content edit, tags change, controller change, update by the new controller
await update('nested', {
  seed: 1,
  label: '1-content',
  content: {
    title: 'ceramicfs nested document, edited',
    nested: { a: [1, 2, { b: 'now a string', c: [true] }], t: true, n: null, added: { deep: [1] } },
    arr: [[], {}, [[]], [{}], 'x', 0, 'appended'],
    empty_obj: { k: 'v' },
    numbers: [0, 1]
  }
})
await update('nested', {
  seed: 1,
  label: '2-tags',
  content: {
    title: 'ceramicfs nested document, edited',
    nested: { a: [1, 2, { b: 'now a string', c: [true] }], t: true, n: null, added: { deep: [1] } },
    arr: [[], {}, 'x'],
    numbers: [0, 1],
    tagged: true
  },
  metadata: { tags: ['tagged', 'v2'] }
})
await update('nested', {
  seed: 1,
  label: '3-controller',
  metadata: { controllers: [dids[2].id] },
  note: 'metadata-only update (content unchanged => patch []), signed by the current controller, moving control to did/2'
})
await update('nested', {
  seed: 2,
  label: '4-by-new-controller',
  content: { replaced: 'entire content by the new controller', '日本': ['語'] },
  note: 'signed by did/2, the controller set by the previous commit'
})

// chain on "unicode": keys needing JSON-pointer escapes
await update('unicode', {
  seed: 2,
  label: '1-escapes',
  content: {
    café: 'crème brûlée',
    'a/b~c': 'changed (path /a~1b~0c)',
    '~1': 'new key "~1" (path /~01)',
    'x/y': { '~': 'nested escapes' },
    '😀': 'grinning face (4 UTF-8 bytes, 2 UTF-16 units)',
    Ωmega: 'Ω',
    é: 'two UTF-8 bytes, one UTF-16 unit'
  }
})
await update('unicode', {
  seed: 2,
  label: '2-family-tags',
  content: { café: '☕' },
  metadata: { family: 'new family', tags: ['ü'] }
})

// chain on "array-root": arrays grow, shrink, change type
await update('array-root', {
  seed: 3,
  label: '1-grow',
  content: ['first', 2, { third: [3, 4, 5] }, null, true, 'six', { seven: 7 }]
})
await update('array-root', {
  seed: 3,
  label: '2-shrink-retype',
  content: [{ first: 1 }, '2', { third: { was: 'array' } }]
})
await update('array-root', {
  seed: 3,
  label: '3-to-object',
  content: { now: 'an object' },
  note: 'root type change array -> object'
})

// "key-order": fast-json-patch walks keys in JS property order (integer-like keys first, ascending,
// then insertion order), from the last key to the first for removals/replacements.
await update('key-order', {
  seed: 3,
  label: '1-js-key-order',
  content: { b: 'one', a: 2, B: 3, aa: 5, '10': 'ten', '9': 12, '2': 13, '-1': 'minus one', '': 16, zz: { y: 1, x: 'two', yy: 3 }, new2: 1, '3': 'three' },
  note: 'patch op order follows JS object key order: integer-like keys ("1","2","3","9","10") sort numerically before string keys'
})

// chain on "integers": number edits incl. int <-> float
await update('integers', {
  seed: 4,
  label: '1-numbers',
  content: { i0: 0.5, i23: 24, big: 4294967296.5, max_safe: 9007199254740992, list: [1, 1.5, -0.5] }
})

// ---------------------------------------------------------------- 5. StreamID / CommitID parsing
function describeRef (ref) {
  const isCommit = CommitID.isInstance(ref)
  const out = {
    kind: isCommit ? 'commit-id' : 'stream-id',
    type: ref.type,
    genesis_cid: ref.cid.toString(),
    string: ref.toString(),
    bytes_hex: hex(ref.bytes),
    stream_id: ref.baseID.toString()
  }
  if (isCommit) {
    out.commit_cid = ref.commit.toString()
    out.commit_is_genesis = ref.commit.equals(ref.cid)
  }
  return out
}
function parseCase (name, parser, input, note) {
  const fn = { 'StreamID.fromString': StreamID.fromString, 'CommitID.fromString': CommitID.fromString, 'StreamRef.from': StreamRef.from }[parser]
  const c = { kind: 'streamid', name: `streamid/${name}`, op: 'parse', parser, input }
  try {
    c.ok = true
    c.expect = describeRef(fn(input))
  } catch (e) {
    c.ok = false
    c.expect = { error: e.message }
  }
  if (note) c.note = note
  return add(c)
}
function makeCase (name, type, genesisCid, commitCid, note) {
  const sid = new StreamID(type, genesisCid)
  const c = {
    kind: 'streamid',
    name: `streamid/${name}`,
    op: 'make',
    type,
    genesis_cid: genesisCid.toString(),
    commit_cid: commitCid ? commitCid.toString() : null,
    ok: true,
    expect: commitCid ? describeRef(CommitID.make(sid, commitCid)) : describeRef(sid)
  }
  if (note) c.note = note
  return add(c)
}
{
  const n = streams.nested
  const nU1 = byName.get('update/nested/1-content').expect.envelope_cid
  const sidS = n.sid.toString()
  const u = streams['unsigned-family']
  parseCase('plain', 'StreamID.fromString', sidS)
  parseCase('url', 'StreamID.fromString', `ceramic://${sidS}`)
  parseCase('legacy-path', 'StreamID.fromString', `/ceramic/${sidS}`)
  parseCase('unsigned-plain', 'StreamRef.from', u.sid.toString())
  parseCase('commit-plain', 'CommitID.fromString', CommitID.make(n.sid, CID.parse(nU1)).toString())
  parseCase('commit-genesis-plain', 'CommitID.fromString', CommitID.make(n.sid, n.genesisCid).toString())
  parseCase('legacy-commit-cid', 'CommitID.fromString', `/ceramic/${sidS}?commit=${nU1}`)
  parseCase('url-commit-cid', 'StreamRef.from', `ceramic://${sidS}?commit=${nU1}`)
  parseCase('legacy-commit-0', 'CommitID.fromString', `/ceramic/${sidS}?commit=0`)
  parseCase('legacy-commit-genesis-cid', 'CommitID.fromString', `ceramic://${sidS}?commit=${n.genesisCid.toString()}`,
    'a commit CID equal to the genesis CID is normalised to the 00 form')
  parseCase('legacy-commit-base58', 'CommitID.fromString', `${sidS}?commit=${CID.parse(nU1).toString(base58btc)}`,
    'the ?commit= CID may be in any multibase CID.parse accepts; here base58btc (z...)')
  parseCase('streamref-commit', 'StreamRef.from', CommitID.make(n.sid, CID.parse(nU1)).toString())
  parseCase('streamref-legacy-0', 'StreamRef.from', `ceramic://${sidS}?commit=0`)
  parseCase('err-streamid-given-commitid', 'StreamID.fromString', CommitID.make(n.sid, CID.parse(nU1)).toString())
  parseCase('err-streamid-given-query', 'StreamID.fromString', `${sidS}?commit=0`)
  parseCase('commitid-given-streamid', 'CommitID.fromString', sidS,
    'CommitID.fromString rejects a plain StreamID')
  parseCase('err-uppercase-K', 'StreamID.fromString', 'K' + sidS.slice(1).toUpperCase())
  parseCase('err-commit-number', 'CommitID.fromString', `${sidS}?commit=5`)
  parseCase('err-not-base36', 'StreamID.fromString', `z${sidS.slice(1)}`)
  parseCase('err-empty', 'StreamRef.from', '')
  parseCase('err-truncated', 'StreamID.fromString', sidS.slice(0, 30))
  parseCase('garbage-prefix', 'StreamID.fromString', `  ${sidS}`,
    'the URL regex is not anchored: leading junk that is not [A-Za-z0-9] is skipped')
  parseCase('trailing-junk', 'StreamID.fromString', `${sidS}/path#frag`,
    'the URL regex is not anchored: trailing junk after the base36 token is ignored')
  makeCase('make-caip10', 1, u.genesisCid, null)
  makeCase('make-model', 2, n.genesisCid, null)
  makeCase('make-mid-commit', 3, n.genesisCid, CID.parse(nU1))
  makeCase('make-type-200', 200, u.genesisCid, null, 'stream type 200 needs a 2-byte varint (c8 01); constructors accept any number')
  makeCase('make-type-200-commit', 200, u.genesisCid, u.genesisCid)
}

// ---------------------------------------------------------------- 6. pubsub messages (core 2.46.0 code)
function pubsubCase (name, msgType, input, message, extra = {}) {
  const bytes = pubsub.serialize(message)
  const json = Buffer.from(bytes).toString('utf8')
  // round trip through the real decoder
  const back = pubsub.deserialize({ data: bytes }) // codeco decode: throws on invalid input
  assert.equal(back.typ, message.typ, `pubsub decode failed for ${name}`)
  assert.equal(Buffer.from(pubsub.serialize(back)).toString('utf8'), json)
  return add({ kind: 'pubsub', name: `pubsub/${name}`, msg_type: msgType, typ: message.typ, input, expect: { json, ...extra } })
}
{
  for (const sname of ['nested', 'unicode', 'unsigned-family', 'array-root']) {
    const st = streams[sname]
    const q = pubsub.buildQueryMessage(st.sid)
    const hashInput = dagCbor.encode({ typ: 1, stream: st.sid.toString() })
    // recompute the id the documented way, from the real bytes
    const d = await sha256.digest(hashInput)
    const id2 = Buffer.from(createDigest(0x12, d.digest).bytes).toString('base64url')
    assert.equal(q.id, id2)
    pubsubCase(`query/${sname}`, 'query', { stream_id: st.sid.toString() }, q, {
      id: q.id,
      hash_input_hex: hex(hashInput),
      hash_hex: hex(d.digest)
    })
    pubsubCase(`update/${sname}/genesis`, 'update', { stream_id: st.sid.toString(), tip: st.genesisCid.toString() },
      { typ: pubsub.MsgType.UPDATE, stream: st.sid, tip: st.genesisCid })
    if (!st.tip.equals(st.genesisCid)) {
      pubsubCase(`update/${sname}/tip`, 'update', { stream_id: st.sid.toString(), tip: st.tip.toString() },
        { typ: pubsub.MsgType.UPDATE, stream: st.sid, tip: st.tip })
    }
    pubsubCase(`response/${sname}`, 'response', { id: q.id, tips: { [st.sid.toString()]: st.tip.toString() } },
      { typ: pubsub.MsgType.RESPONSE, id: q.id, tips: new Map([[st.sid.toString(), st.tip]]) })
  }
  const a = streams.nested; const b = streams['array-root']
  pubsubCase('update/with-model', 'update', { stream_id: a.sid.toString(), tip: a.tip.toString(), model: b.sid.toString() },
    { typ: pubsub.MsgType.UPDATE, stream: a.sid, tip: a.tip, model: b.sid })
  pubsubCase('response/two-tips', 'response',
    { id: 'EiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', tips: { [a.sid.toString()]: a.tip.toString(), [b.sid.toString()]: b.tip.toString() } },
    { typ: pubsub.MsgType.RESPONSE, id: 'EiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', tips: new Map([[a.sid.toString(), a.tip], [b.sid.toString(), b.tip]]) })
  pubsubCase('keepalive', 'keepalive', { ts: 1717171717171, ver: '2.46.0', ipfsVer: '0.18.1' },
    { typ: pubsub.MsgType.KEEPALIVE, ts: 1717171717171, ver: '2.46.0', ipfsVer: '0.18.1' })
  pubsubCase('keepalive/kubo', 'keepalive', { ts: 1, ver: '2.46.0', ipfsVer: '0.26.0' },
    { typ: pubsub.MsgType.KEEPALIVE, ts: 1, ver: '2.46.0', ipfsVer: '0.26.0' })
}

// ---------------------------------------------------------------- 7. anchors
function ethTxCid (bytes32) {
  return CID.create(1, 0x93, createDigest(0x1b, bytes32))
}
function blockOut (b) { return { hex: hex(b.bytes), cid: b.cid.toString() } }
function anchorCommitCase (streamName, prevCid, proofCid, path) {
  const st = streams[streamName]
  const commit = { id: st.genesisCid, prev: prevCid, proof: proofCid, path }
  const b = storeBlock(commit)
  return {
    stream: `genesis/${streamName}`,
    stream_id: st.sid.toString(),
    id: st.genesisCid.toString(),
    prev: prevCid.toString(),
    proof: proofCid.toString(),
    path,
    ...blockOut(b),
    ...Object.fromEntries(Object.entries(ids(st.sid, b.cid)).filter(([k]) => k.startsWith('commit_id')))
  }
}
{
  // 4-leaf Merkle tree (CIP-69 node shape [left, right]); leaf 1 is anchored with path "0/1"
  const leafStreams = ['nested', 'array-root', 'unicode', 'unsigned-family']
  const leaves = leafStreams.map((s) => streams[s].tip)
  const n0 = storeBlock([leaves[0], leaves[1]])
  const n1 = storeBlock([leaves[2], leaves[3]])
  const root = storeBlock([n0.cid, n1.cid])
  const txBytes = sha('ceramicfs-txhash-1')
  const txHash = ethTxCid(txBytes)
  const proofValue = { chainId: 'eip155:1337', root: root.cid, txHash, txType: 'f(bytes32)' }
  const proof = storeBlock(proofValue)
  const paths = ['0/0', '0/1', '1/0', '1/1']
  add({
    kind: 'anchor',
    name: 'anchor/merkle-4',
    chain_id: 'eip155:1337',
    tx_hash_hex: hex(txBytes),
    tx_type: 'f(bytes32)',
    tree: {
      leaves: leaves.map((c) => c.toString()),
      nodes: [
        { path: '0', left: leaves[0].toString(), right: leaves[1].toString(), ...blockOut(n0) },
        { path: '1', left: leaves[2].toString(), right: leaves[3].toString(), ...blockOut(n1) },
        { path: '', left: n0.cid.toString(), right: n1.cid.toString(), ...blockOut(root) }
      ],
      root_cid: root.cid.toString()
    },
    proof: {
      value: JSON.parse(JSON.stringify(proofValue, cidJson)),
      tx_hash_cid: txHash.toString(),
      tx_hash_cid_hex: hex(txHash.bytes),
      ...blockOut(proof)
    },
    anchors: leafStreams.map((s, i) => anchorCommitCase(s, leaves[i], proof.cid, paths[i]))
  })

  // single-leaf anchor (root = the anchored commit, path "")
  const st = streams.integers
  const tx2 = sha('ceramicfs-txhash-2')
  const proof2Value = { chainId: 'eip155:1337', root: st.tip, txHash: ethTxCid(tx2), txType: 'f(bytes32)' }
  const proof2 = storeBlock(proof2Value)
  add({
    kind: 'anchor',
    name: 'anchor/single',
    chain_id: 'eip155:1337',
    tx_hash_hex: hex(tx2),
    tx_type: 'f(bytes32)',
    tree: null,
    proof: { value: JSON.parse(JSON.stringify(proof2Value, cidJson)), tx_hash_cid: ethTxCid(tx2).toString(), tx_hash_cid_hex: hex(ethTxCid(tx2).bytes), ...blockOut(proof2) },
    anchors: [anchorCommitCase('integers', st.tip, proof2.cid, '')]
  })

  // legacy proof (pre-CIP-110 CAS): no txType, blockNumber/blockTimestamp present
  const s3 = streams['schema-family-tags']
  const tx3 = sha('ceramicfs-txhash-3')
  const proof3Value = { chainId: 'eip155:3', root: s3.tip, txHash: ethTxCid(tx3), blockNumber: 12345678, blockTimestamp: 1650000000 }
  const proof3 = storeBlock(proof3Value)
  add({
    kind: 'anchor',
    name: 'anchor/legacy-raw',
    chain_id: 'eip155:3',
    tx_hash_hex: hex(tx3),
    tx_type: null,
    tree: null,
    proof: { value: JSON.parse(JSON.stringify(proof3Value, cidJson)), tx_hash_cid: ethTxCid(tx3).toString(), tx_hash_cid_hex: hex(ethTxCid(tx3).bytes), ...blockOut(proof3) },
    anchors: [anchorCommitCase('schema-family-tags', s3.tip, proof3.cid, '')]
  })
}

// ---------------------------------------------------------------- 8. dag-json -> dag-cbor
function dagCase (name, text, note) {
  const c = { kind: 'dag', name: `dag/${name}`, dag_json: text }
  try {
    const value = dagJson.decode(new TextEncoder().encode(text))
    const bytes = dagCbor.encode(value)
    assert.equal(hex(dagCbor9.encode(value)), hex(bytes), 'dag-cbor 7.0.3 != 9.2.7')
    const cidBytes = crypto.createHash('sha256').update(bytes).digest()
    const cid = CID.create(1, 0x71, createDigest(0x12, cidBytes))
    c.ok = true
    c.expect = {
      cbor_hex: hex(bytes),
      cid: cid.toString(),
      dag_json_canonical: Buffer.from(dagJson.encode(dagCbor.decode(bytes))).toString('utf8')
    }
  } catch (e) {
    c.ok = false
    c.expect = { error: e.message }
  }
  if (note) c.note = note
  return add(c)
}
{
  const gN = byName.get('genesis/nested').expect
  const gU = byName.get('genesis/unsigned-family').expect
  dagCase('links', `{"envelope":{"/":"${gN.envelope_cid}"},"payload":{"/":"${gN.payload_cid}"},"list":[{"/":"${gU.payload_cid}"}],"n":1}`)
  dagCase('top-level-link', `{"/":"${gN.payload_cid}"}`)
  dagCase('cidv0-link', '{"v0":{"/":"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}}',
    'CIDv0 link: tag 42 over 00 || raw multihash (no version/codec bytes)')
  dagCase('bytes', '{"b":{"/":{"bytes":"AAECAwQFBgcICQ"}},"empty":{"/":{"bytes":""}},"one":{"/":{"bytes":"/w"}}}',
    'dag-json bytes: standard base64 alphabet without padding')
  dagCase('slash-with-sibling', '{"x":{"/":"not a cid","y":1}}', 'a "/" key with siblings is an ordinary map key')
  dagCase('bad-cid', '{"x":{"/":"not a cid"}}', 'a lone "/" string must parse as a CID')
  dagCase('slash-not-first', '{"x":{"y":1,"/":"not a cid"}}')
  dagCase('slash-number', '{"x":{"/":1}}')
  dagCase('numbers', '{"a":1,"b":-1,"c":1.5,"d":1.0,"e":1e2,"f":-0,"g":-0.0,"h":0.1,"i":1e300}',
    'numbers as @ipld/dag-json (cborg/json) reads them, then encoded by @ipld/dag-cbor')
  dagCase('int-2_53-plus-1', '{"n":9007199254740993}', 'integers beyond 2^53 are read exactly (BigInt)')
  dagCase('int-max-uint64', '{"n":18446744073709551615}')
  dagCase('int-min-nint64', '{"n":-18446744073709551616}')
  dagCase('int-over-uint64', '{"n":18446744073709551616}')
  dagCase('int-max-safe', '{"n":9007199254740991,"m":-9007199254740991}')
  dagCase('unicode-keys', '{"z":1,"é":2,"ab":3,"日":4,"abc":5,"😀":6,"abcd":7}',
    'sort by UTF-8 byte length, then bytewise')
  dagCase('nested', '{"a":[[],{},[{"b":[null,true,false]}]],"s":"日本","t":"\\u0000\\n"}')
  dagCase('dup-keys', '{"a":1,"a":2}', 'duplicate map keys are rejected')
  dagCase('top-level-array', '[1,"two",{"/":"' + gN.envelope_cid + '"},null]')
  dagCase('top-level-string', '"just a string"')
  dagCase('bytes-and-link-map', '{"/":{"bytes":"aGVsbG8"}}', 'top-level bytes')
}

// ---------------------------------------------------------------- write
const versions = Object.fromEntries([
  'dids', 'key-did-provider-ed25519', 'key-did-resolver', '@ipld/dag-cbor', '@ipld/dag-json', 'dag-jose', 'dag-jose-utils',
  'multiformats', '@ceramicnetwork/streamid', '@ceramicnetwork/stream-tile', '@ceramicnetwork/common', '@ceramicnetwork/codecs',
  'fast-json-patch', 'uint8arrays', 'cartonne', 'cborg', 'codeco', 'rxjs', '@stablelib/ed25519', '@stablelib/random', 'did-jwt'
].map((p) => [p, pkgVersion(p)]))
versions['cartonne>@ipld/dag-cbor'] = pkgVersion('cartonne/node_modules/@ipld/dag-cbor')
versions['dag-jose>@ipld/dag-cbor'] = pkgVersion('dag-jose/node_modules/@ipld/dag-cbor')
versions['dag-jose>cborg'] = pkgVersion('dag-jose/node_modules/cborg')
versions['@ipld/dag-json>multiformats'] = pkgVersion('@ipld/dag-json/node_modules/multiformats')
versions['@ceramicnetwork/core (vendored lib/pubsub/pubsub-message.js)'] = '2.46.0'

const out = {
  generator: 'tests/vectors/gen/gen.mjs',
  format: 1,
  versions,
  conventions: [
    'hex is lower case without separators; *_b64u is base64url without padding',
    'CIDs are CIDv1 strings (base32 "b..."); StreamID/CommitID strings are base36 ("k...")',
    'kinds: did, genesis, update, streamid, pubsub, anchor, dag; see tests/vectors/gen/README.md',
    'content_json / old_json / new_json / patch_json are the exact JSON texts; when a *_json text exists it is authoritative (e.g. -0)'
  ],
  cases
}
const text = JSON.stringify(out, null, 1) + '\n'
fs.writeFileSync(new URL('../js-cases.json', here), text)
const counts = {}
for (const c of cases) counts[c.kind] = (counts[c.kind] || 0) + 1
console.error(`wrote ../js-cases.json: ${cases.length} cases ${JSON.stringify(counts)}, ${text.length} bytes, sha256 ${crypto.createHash('sha256').update(text).digest('hex')}`)
