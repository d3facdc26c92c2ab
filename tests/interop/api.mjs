// api.mjs — one app session through @ceramicnetwork/http-client against a
// node's HTTP API (CERAMIC_URL): ceramicfs's --api or js-ceramic 2.44, for
// api_js_test.sh, which runs it against both and compares the output.
// Packages resolve from the installed js-ceramic tree, as tile.mjs does.
//
//   api.mjs session FAMILY   a deterministic TileDocument of FAMILY, two
//                            updates signed by SEED's did:key (no anchors), then
//                            loads by StreamID and by CommitID, a multiquery,
//                            the content route, and the admin API's pins (SEED's
//                            DID must be an admin DID of the node): unpin, list,
//                            pin, list; prints one JSON line:
//                            {streamId, state, loaded, atCommit1, multiquery, content, pins}
//                            (states as StreamUtils.serializeState gives them)
//   api.mjs cacao FAMILY     the same as the Ethereum account of ETH_KEY through
//                            a DIDSession (did:pkh; SEED's did:key the session
//                            key, under a SIWE CACAO with fixed times, so both
//                            nodes see the same blocks): a deterministic
//                            TileDocument, one update, a load; then an update
//                            under a CACAO for other streams only, which the
//                            node must refuse; prints {streamId, state, loaded,
//                            refused}
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
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default

const url = process.env.CERAMIC_URL || 'http://127.0.0.1:7007'
const seedHex = process.env.SEED || '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('SEED: 64 hex characters')
const [cmd, family] = process.argv.slice(2)
if (!['session', 'cacao'].includes(cmd) || !family) throw new Error('usage: api.mjs session|cacao FAMILY')

const did = new DID({ provider: new Ed25519Provider(Uint8Array.from(Buffer.from(seedHex, 'hex'))), resolver: KeyResolver.getResolver() })
await did.authenticate()
const ceramic = new CeramicClient(url, { syncInterval: 500 })
ceramic.did = did
const ser = (s) => StreamUtils.serializeState(s)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const opts = { anchor: false, publish: true }

async function session() {
  const doc = await TileDocument.create(ceramic, null, { controllers: [did.id], family, deterministic: true }, opts)
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
  out({
    streamId: doc.id.toString(),
    state: ser(doc.state),
    loaded: ser(loaded.state),
    atCommit1: ser(atCommit1.state),
    multiquery: Object.fromEntries(Object.entries(mq).map(([k, v]) => [k, ser(v.state)])),
    content,
    pins,
  })
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
  const doc = await TileDocument.create(ceramic, null, { controllers: [session.parent], family, deterministic: true }, opts)
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
  out({ streamId: doc.id.toString(), state: ser(doc.state), loaded: ser(loaded.state), refused,
    unchanged: after.tip.toString() === loaded.tip.toString() })
}

try {
  await (cmd === 'session' ? session() : cacao())
} finally {
  await ceramic.close()
}
