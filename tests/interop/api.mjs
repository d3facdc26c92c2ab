// api.mjs — one app session through @ceramicnetwork/http-client against a
// node's HTTP API (CERAMIC_URL): ceramicfs's --api or js-ceramic 2.44, for
// api_js_test.sh, which runs it against both and compares the output.
// Packages resolve from the installed js-ceramic tree, as tile.mjs does.
//
//   api.mjs PART[,PART...] FAMILY   runs the parts in order on one client and
//                            prints one JSON line {PART: what it gives}:
//   session                  a deterministic TileDocument of FAMILY, two
//                            updates signed by SEED's did:key (no anchors), then
//                            loads by StreamID and by CommitID, a multiquery,
//                            the content route, and the admin API's pins (SEED's
//                            DID must be an admin DID of the node): unpin, list,
//                            pin, list:
//                            {streamId, state, loaded, atCommit1, multiquery, content, pins}
//                            (states as StreamUtils.serializeState gives them)
//   cacao                    the same as the Ethereum account of ETH_KEY through
//                            a DIDSession (did:pkh; SEED's did:key the session
//                            key, under a SIWE CACAO with fixed times, so both
//                            nodes see the same blocks): a deterministic
//                            TileDocument, one update, a load; then an update
//                            under a CACAO for other streams only, which the
//                            node must refuse (FAMILY-cacao):
//                            {streamId, state, loaded, refused, unchanged}
//   models                   ComposeDB's streams through @ceramicnetwork/stream-model
//                            and stream-model-instance: two Models (list and
//                            single, named after FAMILY) created and loaded; a
//                            list MID created, replaced, loaded (no anchors),
//                            a replace that breaks the schema (refused); the
//                            single model's MID (deterministic) made and
//                            replaced: {models, modelsLoaded, mid,
//                            midLoaded, refused, midTip, single, singleLoaded}:
//                            a Model's state without its anchor fields
//                            (Model.create always asks for an anchor; a node
//                            without anchors has none), the list MID without
//                            what its genesis's random 'unique' changes
// Env: CERAMIC_URL (default http://127.0.0.1:7007), SEED (64 hex), CERAMIC_DIR,
//   ETH_KEY (0x + 64 hex; cacao).
import { createRequire } from 'node:module'
import path from 'node:path'
import os from 'node:os'

const dir = process.env.CERAMIC_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(require.resolve(name))
const { CeramicClient } = await imp('@ceramicnetwork/http-client')
const { TileDocument } = await imp('@ceramicnetwork/stream-tile')
const { StreamUtils } = await imp('@ceramicnetwork/common')
const { Model } = await imp('@ceramicnetwork/stream-model')
const { ModelInstanceDocument } = await imp('@ceramicnetwork/stream-model-instance')
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default

const url = process.env.CERAMIC_URL || 'http://127.0.0.1:7007'
const seedHex = process.env.SEED || '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('SEED: 64 hex characters')
const [cmds, family] = process.argv.slice(2)
const parts = { session, cacao, models }
if (!cmds || !family || !cmds.split(',').every((c) => c in parts)) throw new Error('usage: api.mjs session|cacao|models[,...] FAMILY')

const did = new DID({ provider: new Ed25519Provider(Uint8Array.from(Buffer.from(seedHex, 'hex'))), resolver: KeyResolver.getResolver() })
await did.authenticate()
const ceramic = new CeramicClient(url, { syncInterval: 500 })
ceramic.did = did
const ser = (s) => StreamUtils.serializeState(s)
// no anchors; a deterministic create does not wait for the network
// (syncTimeoutSeconds 0): both nodes then make the same commits
const opts = { anchor: false, publish: true }
const createOpts = { ...opts, syncTimeoutSeconds: 0 }

async function session() {
  const doc = await TileDocument.create(ceramic, null, { controllers: [did.id], family, deterministic: true }, createOpts)
  await doc.update({ title: 'from the app', n: 1, tags: ['a', 'b'] }, undefined, opts)
  await doc.update({ title: 'from the app', n: 2, nested: { x: [1, 2.5, null, 'é'] } }, undefined, opts)
  const loaded = await TileDocument.load(ceramic, doc.id)
  const atCommit1 = await TileDocument.load(ceramic, doc.allCommitIds[1])
  const mq = await ceramic.multiQuery([{ streamId: doc.id }, { streamId: doc.allCommitIds[1] }])
  const content = await (await fetch(`${url}/api/v0/streams/${doc.id}/content`)).json()
  const ls = async () => { const r = []; for await (const id of await ceramic.admin.pin.ls(doc.id)) r.push(id); return r }
  await ceramic.admin.pin.rm(doc.id)
  const unpinned = await ls()
  await ceramic.admin.pin.add(doc.id)
  const pins = { unpinned, pinned: await ls() }
  return {
    streamId: doc.id.toString(),
    state: ser(doc.state),
    loaded: ser(loaded.state),
    atCommit1: ser(atCommit1.state),
    multiquery: Object.fromEntries(Object.entries(mq).map(([k, v]) => [k, ser(v.state)])),
    content,
    pins,
  }
}

// A SIWE CACAO from ETH_KEY's account for the session key, as
// pkh-ethereum's createCACAO makes it, with fixed times and nonce
async function capability(resources) {
  const { Wallet } = await imp('@ethersproject/wallet')
  const { SiweMessage, Cacao } = await imp('@didtools/cacao')
  if (!/^0x[0-9a-fA-F]{64}$/.test(process.env.ETH_KEY || '')) throw new Error('ETH_KEY: 0x + 64 hex characters')
  const wallet = new Wallet(process.env.ETH_KEY)
  const msg = new SiweMessage({ domain: 'api.test', address: wallet.address, uri: did.id, version: '1',
    statement: 'Give this application access to some of your data on Ceramic', nonce: 'apitest1',
    issuedAt: '2026-01-01T00:00:00.000Z', expirationTime: '2099-01-01T00:00:00.000Z', chainId: '1', resources })
  msg.signature = await wallet.signMessage(msg.signMessage())
  return Cacao.fromSiweMessage(msg)
}

async function cacao() {
  const session = did.withCapability(await capability(['ceramic://*']))
  await session.authenticate()
  ceramic.did = session
  const doc = await TileDocument.create(ceramic, null, { controllers: [session.parent], family: `${family}-cacao`, deterministic: true }, createOpts)
  await doc.update({ by: 'a DIDSession', n: 1 }, undefined, opts)
  const loaded = await TileDocument.load(ceramic, doc.id)
  // a session for other streams only: js's handler refuses its commit
  const other = did.withCapability(await capability(['ceramic://kjzl6cwe1jw14abcdefnotthisstream']))
  await other.authenticate()
  ceramic.did = other
  let refused = false
  try {
    await doc.update({ by: 'a session for other streams' }, undefined, opts)
  } catch (e) {
    refused = true
  }
  const after = await TileDocument.load(ceramic, doc.id)
  ceramic.did = did  // the next parts write as the key itself
  return { streamId: doc.id.toString(), state: ser(doc.state), loaded: ser(loaded.state), refused,
    unchanged: after.tip.toString() === loaded.tip.toString() }
}

async function models() {
  const schema = (props, required = []) => ({ $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object', properties: props, required, additionalProperties: false })
  const list = await Model.create(ceramic, { version: '2.0', name: `${family}-note`, interface: false, implements: [],
    accountRelation: { type: 'list' },
    schema: schema({ title: { type: 'string', maxLength: 100 }, n: { type: 'integer' } }, ['title']) })
  const single = await Model.create(ceramic, { version: '2.0', name: `${family}-profile`, interface: false,
    implements: [], accountRelation: { type: 'single' }, schema: schema({ name: { type: 'string' } }) })
  // a Model as both nodes show it: no anchor fields (anchors differ by node)
  const model = (s) => {
    const { anchorStatus, anchorProof, ...rest } = ser(s)
    return { ...rest, log: rest.log.filter((e) => e.type !== 2).map(({ timestamp, ...e }) => e) }
  }
  const mid = await ModelInstanceDocument.create(ceramic, { title: 'first', n: 1 }, { model: list.id }, opts)
  await mid.replace({ title: 'second', n: 2 }, opts)
  let refused = false
  try {
    await mid.replace({ title: 'x'.repeat(101) }, opts)
  } catch (e) {
    refused = true
  }
  const midLoaded = await ModelInstanceDocument.load(ceramic, mid.id)
  // a list MID's genesis has a random 'unique': what does not depend on it
  const shape = (s) => {
    const j = ser(s)
    return { type: j.type, content: j.content, controller: j.metadata.controller, model: j.metadata.model,
      signature: j.signature, anchorStatus: j.anchorStatus, log: j.log.map((e) => e.type) }
  }
  const one = await ModelInstanceDocument.single(ceramic, { controller: did.id, model: single.id }, { syncTimeoutSeconds: 0 })
  await one.replace({ name: 'me' }, opts)
  const oneLoaded = await ModelInstanceDocument.load(ceramic, one.id)
  return {
    models: [model(list.state), model(single.state)],
    modelsLoaded: [model((await Model.load(ceramic, list.id)).state), model((await Model.load(ceramic, single.id)).state)],
    mid: shape(mid.state), midLoaded: shape(midLoaded.state), refused, midTip: midLoaded.tip.toString() === mid.tip.toString(),
    midId: mid.id.toString(), single: ser(one.state), singleLoaded: ser(oneLoaded.state),
  }
}

try {
  const res = {}
  for (const c of cmds.split(',')) res[c] = await parts[c]()
  process.stdout.write(JSON.stringify(res) + '\n')
} finally {
  await ceramic.close()
}
