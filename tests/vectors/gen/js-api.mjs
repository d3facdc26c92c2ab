// js-api.mjs — records js-ceramic 2.44's HTTP API as the real client uses
// it: writes ../js-api/exchanges.json and ../js-api/blocks.json.
//
// A small recording proxy sits between @ceramicnetwork/http-client 2.x
// (with @ceramicnetwork/stream-tile, from the installed js-ceramic tree) and
// a running js-ceramic daemon (tests/peers/ceramic.sh, network inmemory, so
// anchors are the daemon's in-memory ones, made at once on request). Every
// request the client sends and every response the daemon returns is kept
// byte for byte, in order, labelled by the step that made it. Then every
// block of every stream state seen (commits, signed payloads, anchor proofs)
// is read from the daemon's IPFS node.
//
//   CERAMIC_URL   the daemon (default http://127.0.0.1:7007)
//   IPFS_API      its IPFS node's RPC (default http://127.0.0.1:5311/api/v0)
//   CERAMIC_DIR   the js-ceramic tree (default ~/.cache/ceramicfs/ceramic)
// The daemon must list the seed's DID (00..1f:
// did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd) as an admin DID
// (CERAMIC_ADMIN_DIDS for ceramic.sh), for the pin calls.
//
// Not byte-identical on a rerun: TileDocument.create draws a random
// `unique`, the in-memory anchors a random txHash, and times move.
import http from 'node:http'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const outDir = path.join(here, '..', 'js-api')
const dir = process.env.CERAMIC_DIR || path.join(os.homedir(), '.cache', 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(require.resolve(name))
const impEsm = async (pkg, sub = '.') => {
  const pdir = path.join(dir, 'node_modules', pkg)
  const e = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'))).exports[sub]
  return import(pathToFileURL(path.join(pdir, typeof e === 'string' ? e : e.import)).href)
}
const version = (pkg) => JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'))).version
const { CeramicClient } = await imp('@ceramicnetwork/http-client')
const { TileDocument } = await imp('@ceramicnetwork/stream-tile')
const { AnchorStatus } = await imp('@ceramicnetwork/common')
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default
const { CID } = await impEsm('multiformats', './cid')
const dagJose = await impEsm('dag-jose')
const dagCbor = await imp('@ipld/dag-cbor')

const upstream = new URL(process.env.CERAMIC_URL || 'http://127.0.0.1:7007')
const ipfsApi = process.env.IPFS_API || 'http://127.0.0.1:5311/api/v0'
const seed = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'))

// ---- the recording proxy ----
const exchanges = []
let label = 'start'
const proxy = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const headers = { ...req.headers, host: upstream.host }
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (ur) => {
      const rc = []
      ur.on('data', (c) => rc.push(c))
      ur.on('end', () => {
        const rbody = Buffer.concat(rc)
        exchanges.push({
          label, method: req.method, url: req.url,
          ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
          ...(req.headers.authorization ? { authorization: true } : {}),
          ...(body.length ? { body: body.length > 4096 ? null : body.toString('utf8'), bodyLength: body.length } : {}),
          status: ur.statusCode, responseType: ur.headers['content-type'] ?? null,
          response: rbody.toString('utf8'),
        })
        res.writeHead(ur.statusCode, ur.headers)
        res.end(rbody)
      })
    })
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)) })
    up.end(body)
  })
})
await new Promise((r) => proxy.listen(0, '127.0.0.1', r))
const proxyUrl = `http://127.0.0.1:${proxy.address().port}`

const did = new DID({ provider: new Ed25519Provider(seed), resolver: KeyResolver.getResolver() })
await did.authenticate()
const client = new CeramicClient(proxyUrl, { syncInterval: 500 })
client.did = did

const step = (l) => { label = l }
const raw = async (l, method, p, body, contentType = 'application/json') => {
  step(l)
  const r = await fetch(proxyUrl + p, { method, body, headers: body === undefined ? {} : { 'content-type': contentType } })
  await r.text()
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// load until the daemon says ANCHORED (its in-memory anchor is quick), then
// once more under the final label
async function waitAnchored(id, l) {
  for (let i = 0; i < 100; i++) {
    step(l + '-poll')
    const d = await TileDocument.load(client, id)
    if (d.state.anchorStatus === AnchorStatus.ANCHORED) break
    await sleep(200)
  }
  step(l)
  return TileDocument.load(client, id)
}

// ---- the steps ----
await raw('healthcheck', 'GET', '/api/v0/node/healthcheck')
await raw('healthcheck-noipfs', 'GET', '/api/v0/node/healthcheck?checkIpfs=false')
step('chains'); await client.getSupportedChains()

step('create-schema')
const schema = await TileDocument.create(client, {
  type: 'object', properties: { title: { type: 'string' }, n: { type: 'number' } }, required: ['title'],
}, { controllers: [did.id], family: 'schema' }, { anchor: false, publish: true })

step('create')
const content1 = {
  title: 'first', 10: 'ten', 2: 'two', zeta: { y: 1, x: [true, null, 1.5, 'é😀\u0007"\\/'] },
  alpha: 'a', n: 1e21, small: 0.1, neg: -42,
}
const doc = await TileDocument.create(client, content1,
  { controllers: [did.id], family: 'api-vectors', tags: ['t1', 't2'], schema: schema.commitId.toString() },
  { anchor: false, publish: true })

step('update-1')
await doc.update({ ...content1, title: 'second', zeta: { y: 2, x: [] }, added: { k: 'v' }, alpha: undefined },
  undefined, { anchor: false, publish: true })
step('load'); await TileDocument.load(client, doc.id)
step('commits'); await client.loadStreamCommits(doc.id)
await raw('content', 'GET', `/api/v0/streams/${doc.id}/content`)
const commitIds1 = doc.allCommitIds
step('load-commit-genesis'); await TileDocument.load(client, commitIds1[0])
step('load-commit-1'); await TileDocument.load(client, commitIds1[1])

step('anchor-request'); await client.requestAnchor(doc.id)
await waitAnchored(doc.id, 'load-anchored')

step('update-2')
const d2 = await TileDocument.load(client, doc.id)
await d2.update({ ...d2.content, title: 'third', 0: 'zero' }, { tags: ['t3'] }, { anchor: false, publish: true })
step('load-after-anchor'); await TileDocument.load(client, doc.id)

step('update-3-anchor')
const d3 = await TileDocument.load(client, doc.id)
await d3.update({ ...d3.content, title: 'fourth' }, undefined, { anchor: true, publish: true })
const anchored2 = await waitAnchored(doc.id, 'load-anchored-2')
step('commits-anchored'); await client.loadStreamCommits(doc.id)
step('load-commit-anchor'); await TileDocument.load(client, anchored2.allCommitIds[2])

step('create-anchored')
const doc2 = await TileDocument.create(client, { link: doc.id.toString(), list: [doc.id.toString()] },
  { controllers: [did.id], family: 'api-vectors' }, { anchor: true, publish: true })
await waitAnchored(doc2.id, 'load-anchored-3')

step('deterministic')
const det = await TileDocument.deterministic(client, { controllers: [did.id], family: 'api-det', tags: ['x'] },
  { anchor: false, publish: true })

step('commits-det'); await client.loadStreamCommits(det.id)
step('load-det'); await TileDocument.load(client, det.id)

step('multiquery')
const firstAnchorTime = anchored2.state.log.find((e) => e.type === 2).timestamp
await client.multiQuery([
  { streamId: doc2.id, paths: ['/link'] },
  { streamId: commitIds1[1] },
  { streamId: det.id.toString() },
  { streamId: doc.id, atTime: firstAnchorTime },
], 5000)

step('pin-add'); await client.admin.pin.add(doc.id)
step('pin-ls'); for await (const x of await client.admin.pin.ls()) void x
step('pin-ls-one'); for await (const x of await client.admin.pin.ls(doc.id)) void x
step('pin-rm'); await client.admin.pin.rm(doc.id)

// errors as the daemon answers them
await raw('err-bad-streamid', 'GET', '/api/v0/streams/notastreamid')
await raw('err-bad-json', 'POST', '/api/v0/streams', '{"type":0,')
await raw('err-oversize', 'POST', '/api/v0/streams', JSON.stringify({ type: 0, genesis: { header: { controllers: [did.id] } }, pad: 'x'.repeat(1100000) }))
await raw('err-commits-missing', 'POST', '/api/v0/commits', '{}')
await raw('err-genesis-unsigned-data', 'POST', '/api/v0/streams', JSON.stringify({ type: 0, genesis: { header: { controllers: [did.id] }, data: { a: 1 } }, opts: { anchor: false } }))
await raw('err-genesis-bad-block', 'POST', '/api/v0/streams', JSON.stringify({ type: 0, genesis: { jws: { payload: 'AXESIA', signatures: [{ protected: 'e30', signature: 'AA' }], link: 'bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4' }, linkedBlock: 'oA' }, opts: { anchor: false } }))
step('err-stale-commit')
try {
  const stale = await doc.makeCommit(client, { stale: true })  // doc's tip is long gone
  await client.applyCommit(doc.id, stale, { anchor: false })
} catch { /* recorded */ }
await raw('err-legacy-pins', 'GET', '/api/v0/pins')
await raw('err-admin-noauth', 'GET', '/api/v0/admin/pins')
await raw('err-no-route', 'GET', '/api/v0/nope')

proxy.close()

// ---- the blocks of every state seen ----
const cids = new Set()
for (const x of exchanges) {
  let j
  try { j = JSON.parse(x.response) } catch { continue }
  const states = j?.state ? [j.state] : x.label === 'multiquery' ? Object.values(j) : []
  for (const s of states) for (const e of s.log ?? []) cids.add(e.cid)
  for (const c of j?.commits ?? []) cids.add(typeof c.cid === 'string' ? c.cid : c.cid['/'])
}
async function blockGet(cid) {
  const r = await fetch(`${ipfsApi}/block/get?arg=${cid}&timeout=5s`, { method: 'POST' })
  if (!r.ok) throw new Error(`block/get ${cid}: ${r.status} ${await r.text()}`)
  return new Uint8Array(await r.arrayBuffer())
}
const blocks = {}
const todo = [...cids]
while (todo.length) {
  const s = todo.shift()
  if (blocks[s]) continue
  const cid = CID.parse(s)
  const bytes = await blockGet(s)
  blocks[s] = Buffer.from(bytes).toString('base64')
  if (cid.code === dagJose.code) {
    todo.push(dagJose.decode(bytes).link.toString())
  } else if (cid.code === dagCbor.code) {
    const v = dagCbor.decode(bytes)
    if (v && v.proof) todo.push(CID.asCID(v.proof).toString())
  }
}

fs.mkdirSync(outDir, { recursive: true })
const meta = {
  generator: 'tests/vectors/gen/js-api.mjs',
  versions: Object.fromEntries(['cli', 'core', 'common', 'http-client', 'stream-tile', 'streamid'].map((p) => [`@ceramicnetwork/${p}`, version(`@ceramicnetwork/${p}`)])),
  did: did.id,
}
fs.writeFileSync(path.join(outDir, 'exchanges.json'), JSON.stringify({ ...meta, exchanges }, null, 1) + '\n')
fs.writeFileSync(path.join(outDir, 'blocks.json'), JSON.stringify({ ...meta, blocks }, null, 1) + '\n')
console.log(`js-api: ${exchanges.length} exchanges, ${Object.keys(blocks).length} blocks`)
