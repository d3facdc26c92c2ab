// models.mjs — writes ../js-models.json: Model and ModelInstanceDocument
// commits made by js-ceramic 2.44's own packages, without a node:
//   - Model genesis: Model._makeGenesis (@ceramicnetwork/stream-model 1.21.0)
//     after the checks Model.create makes (assertVersionValid 'minor',
//     assertComplete);
//   - MID genesis: ModelInstanceDocument._makeGenesis (stream-model-instance
//     1.21.0): signed with a 12-byte `unique` (accountRelation list; the
//     bytes @stablelib/random would draw are fixed here), or the
//     deterministic unsigned genesis of ModelInstanceDocument.single
//     ({data: null, header} without unique);
//   - MID updates: ModelInstanceDocument#replace's commit (_makeCommit:
//     fast-json-patch compare of the current content and the new one) and
//     #patch's commit ({data: patch, prev, id}), signed, on a document whose
//     state is an rxjs BehaviorSubject as js-ceramic's RunningState is.
// Keys: did:key ed25519 from seeds sha256("ceramicfs-models-<n>") through
// key-did-provider-ed25519 and dids (DID#createDagJWS). Blocks are encoded
// with @ipld/dag-cbor and dag-jose as the node stores them.
//
// Run with the packages of the installed js-ceramic tree (tests/peers/ceramic.sh):
//   node tests/vectors/gen/models.mjs       (CERAMIC_DIR: default ~/.cache/ceramicfs/ceramic)
// The output is byte-identical on every run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const dir = process.env.CERAMIC_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(pathToFileURL(require.resolve(name)).href)
// a package as another package sees it (its nested copy if it has one)
const requireFrom = (pkg) => createRequire(require.resolve(pkg))
const version = (name) => JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'))).version

const { Model } = await imp('@ceramicnetwork/stream-model')
const { ModelInstanceDocument } = await imp('@ceramicnetwork/stream-model-instance')
const { StreamID } = await imp('@ceramicnetwork/streamid')
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default
const { BehaviorSubject } = await imp('rxjs')
const midRequire = requireFrom('@ceramicnetwork/stream-model-instance')
// an ESM-only package as package `from` sees it: its "import" entry
function esm (from, pkg, sub = '.') {
  let d = path.dirname(require.resolve(from))
  while (!fs.existsSync(path.join(d, 'node_modules', pkg, 'package.json'))) d = path.dirname(d)
  const pdir = path.join(d, 'node_modules', pkg)
  const x = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'))).exports
  let e = sub === '.' && !x['.'] ? x : x[sub]
  while (typeof e === 'object') e = e.import || e.default
  return import(pathToFileURL(path.join(pdir, e)).href)
}
const dagCbor = await esm('@ceramicnetwork/stream-model-instance', '@ipld/dag-cbor')
const dagJose = await esm('dids', 'dag-jose')
const stablelibRandom = midRequire('@stablelib/random')
const { CID } = await esm('@ceramicnetwork/streamid', 'multiformats', './cid')
const { sha256 } = await esm('@ceramicnetwork/streamid', 'multiformats', './hashes/sha2')

const hex = (u8) => Buffer.from(u8).toString('hex')
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const clone = (v) => JSON.parse(JSON.stringify(v))

async function didOf (n) {
  const seed = sha(`ceramicfs-models-${n}`)
  const did = new DID({ provider: new Ed25519Provider(seed), resolver: KeyResolver.getResolver() })
  await did.authenticate()
  return { seed, did }
}

async function block (value, codec) {
  const bytes = codec === 'dag-jose' ? dagJose.encode(value) : dagCbor.encode(value)
  const cid = CID.create(1, codec === 'dag-jose' ? dagJose.code : dagCbor.code, await sha256.digest(bytes))
  return { cid, bytes }
}

// A commit as the node stores it: {commit_cid, commit_hex, payload_cid?, payload_hex?}
async function blocksOf (commit) {
  if (commit.jws) {
    const env = await block(commit.jws, 'dag-jose')
    const payload = { cid: commit.linkedBlock && CID.asCID(commit.jws.link), bytes: commit.linkedBlock }
    const check = await block(dagCbor.decode(payload.bytes), 'dag-cbor')
    assert.equal(check.cid.toString(), payload.cid.toString())
    return { signed: true, commit_cid: env.cid.toString(), commit_hex: hex(env.bytes),
      payload_cid: payload.cid.toString(), payload_hex: hex(payload.bytes) }
  }
  const b = await block(commit, 'dag-cbor')
  return { signed: false, commit_cid: b.cid.toString(), commit_hex: hex(b.bytes) }
}

async function withFixedRandom (bytes, fn) {
  const src = stablelibRandom.defaultRandomSource
  const orig = src.randomBytes
  let used = 0
  src.randomBytes = (n) => { used++; assert.equal(n, bytes.length); return Uint8Array.from(bytes) }
  try { const r = await fn(); assert.equal(used, 1, 'randomBytes was not used'); return r } finally { src.randomBytes = orig }
}

const out = {
  generator: 'tests/vectors/gen/models.mjs',
  versions: Object.fromEntries(['@ceramicnetwork/stream-model', '@ceramicnetwork/stream-model-instance',
    '@ceramicnetwork/streamid', 'dids', 'key-did-provider-ed25519', 'fast-json-patch'].map((p) => [p, version(p)])),
  meta_model: Model.MODEL.toString(),
  models: [],
  mids: []
}

const signers = [await didOf(1), await didOf(2)]

const schema = (props, required = []) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object', properties: props, required, additionalProperties: false
})
const modelDefs = [
  { name: 'list-v2', signer: 0, def: {
    version: '2.0', name: 'Note', description: 'A short note', interface: false, implements: [],
    accountRelation: { type: 'list' },
    schema: schema({ title: { type: 'string', maxLength: 100 }, body: { type: 'string' }, n: { type: 'integer' } }, ['title'])
  } },
  { name: 'single-v2', signer: 0, def: {
    version: '2.0', name: 'Profile', interface: false, implements: [],
    accountRelation: { type: 'single' },
    schema: schema({ name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }),
    views: { owner: { type: 'documentAccount' } }
  } },
  { name: 'list-v1', signer: 1, def: {
    version: '1.0', name: 'Post', accountRelation: { type: 'list' },
    schema: schema({ text: { type: 'string' }, ref: { type: 'string' } }),
    relations: { ref: { type: 'account' } }
  } }
]

const models = {}
for (const m of modelDefs) {
  const s = signers[m.signer]
  Model.assertVersionValid(m.def, 'minor')
  Model.assertComplete(m.def)
  const commit = await Model._makeGenesis({ did: s.did }, clone(m.def))
  const b = await blocksOf(commit)
  const id = new StreamID('model', CID.parse(b.commit_cid))
  models[m.name] = { id, def: m.def }
  out.models.push({ name: m.name, seed_hex: hex(s.seed), did: s.did.id, definition: m.def, ...b, stream_id: id.toString() })
}

function docOf (type, genesisCid, content, metadata) {
  const state = { type, content, metadata, signature: 2, anchorStatus: 0, log: [{ cid: genesisCid, type: 0 }] }
  return new ModelInstanceDocument(new BehaviorSubject(state), { api: null })
}
function advance (doc, cid, content) {
  const st = doc.state$.value
  doc.state$.next({ ...st, content, log: [...st.log, { cid, type: 1 }] })
}

const midCases = [
  { name: 'note-1', model: 'list-v2', signer: 0, unique: 1, content: { title: 'Hello', body: 'first', n: 1 },
    updates: [{ replace: { title: 'Hello again', n: 2 } }, { patch: [{ op: 'add', path: '/body', value: 'ünïcode ✓' }] }] },
  { name: 'note-2', model: 'list-v2', signer: 1, unique: 2, content: { title: '' }, updates: [] },
  { name: 'profile', model: 'single-v2', signer: 0, content: null,
    updates: [{ replace: { name: 'Alice', tags: ['a', 'b'] } }, { replace: { name: 'Alice', tags: ['b'] } }] },
  { name: 'profile-other', model: 'single-v2', signer: 1, content: null, updates: [{ replace: { name: 'Bob' } }] },
  { name: 'post', model: 'list-v1', signer: 1, unique: 3, content: { text: 'x'.repeat(300), ref: 'did:key:z6Mk' }, updates: [] }
]
for (const c of midCases) {
  const s = signers[c.signer]
  const model = models[c.model].id
  const unique = c.unique ? sha(`ceramicfs-models-unique-${c.unique}`).slice(0, 12) : null
  const make = () => ModelInstanceDocument._makeGenesis({ did: s.did }, c.content == null ? null : clone(c.content),
    unique ? { model } : { model, deterministic: true })
  const commit = unique ? await withFixedRandom(unique, make) : await make()
  const g = await blocksOf(commit)
  const gcid = CID.parse(g.commit_cid)
  const id = new StreamID('MID', gcid)
  const doc = docOf(3, gcid, c.content || {}, { controllers: [s.did.id], model })
  const rec = { name: c.name, model: model.toString(), seed_hex: hex(s.seed), did: s.did.id,
    unique_hex: unique ? hex(unique) : null, content: c.content, genesis: g, stream_id: id.toString(), updates: [] }
  for (const u of c.updates) {
    let commit, patch, content
    if (u.replace) {
      content = clone(u.replace)
      commit = await doc._makeCommit({ did: s.did }, content)
    } else {
      patch = clone(u.patch)
      commit = await ModelInstanceDocument._signDagJWS({ did: s.did }, { data: patch, prev: doc.tip, id: doc.id.cid })
    }
    const b = await blocksOf(commit)
    const payload = dagCbor.decode(Buffer.from(b.payload_hex, 'hex'))
    assert.deepEqual(Object.keys(payload).sort(), ['data', 'id', 'prev'])
    if (!content) content = (await imp('fast-json-patch')).default.applyPatch(clone(doc.content), payload.data).newDocument
    rec.updates.push({ prev: doc.tip.toString(), patch: payload.data, content, ...b })
    advance(doc, CID.parse(b.commit_cid), content)
  }
  out.mids.push(rec)
}

const text = JSON.stringify(out, null, 2) + '\n'
fs.writeFileSync(new URL('../js-models.json', import.meta.url), text)
console.log(`js-models.json: ${out.models.length} models, ${out.mids.length} MIDs, sha256 ${crypto.createHash('sha256').update(text).digest('hex')}`)
