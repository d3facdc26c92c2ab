// caip10.mjs — writes ../js-caip10.json: Caip10Link (account-link, stream
// type 1) commits as js-ceramic 2.44's packages make them, and the verdict
// of its own handler on each (@ceramicnetwork/stream-caip10-link-handler
// Caip10LinkHandler#applyCommit, whose link proofs are checked by
// @ceramicnetwork/blockchain-utils-validation), without a node:
//   - genesis: Caip10Link.makeGenesis(normalizeAccountId(account));
//   - updates: {data: proof, prev, id} (Caip10Link#makeCommit) where proof
//     is EthereumAuthProvider#createLink(did) (blockchain-utils-linking)
//     over a wallet of ethers 5 (@ethersproject/wallet) with a fixed key
//     and a fixed clock, or a proof altered by hand (the bad cases).
// Each stream is a chain: an update the handler rejects is left out of the
// chain (the next update follows the last accepted one).
//
// Run with the packages of the installed js-ceramic tree (tests/peers/ceramic.sh):
//   node tests/vectors/gen/caip10.mjs      (CERAMIC_DIR: default ~/.cache/ceramicfs/ceramic)
// The output is byte-identical on every run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const dir = process.env.CERAMIC_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(pathToFileURL(require.resolve(name)).href)
const version = (name) => JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'))).version
function esm (from, pkg, sub = '.') {
  let d = path.dirname(require.resolve(from))
  while (!fs.existsSync(path.join(d, 'node_modules', pkg, 'package.json'))) d = path.dirname(d)
  const pdir = path.join(d, 'node_modules', pkg)
  const x = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'))).exports
  let e = sub === '.' && !x['.'] ? x : x[sub]
  while (typeof e === 'object') e = e.import || e.default
  return import(pathToFileURL(path.join(pdir, e)).href)
}

const { Caip10Link } = await imp('@ceramicnetwork/stream-caip10-link')
const { Caip10LinkHandler } = await imp('@ceramicnetwork/stream-caip10-link-handler')
const { EthereumAuthProvider } = await imp('@ceramicnetwork/blockchain-utils-linking')
const { normalizeAccountId } = await imp('@ceramicnetwork/common')
const { StreamID } = await imp('@ceramicnetwork/streamid')
const { Wallet } = createRequire(require.resolve('@ceramicnetwork/blockchain-utils-validation'))('@ethersproject/wallet')
const { arrayify } = createRequire(require.resolve('@ceramicnetwork/blockchain-utils-validation'))('@ethersproject/bytes')
const dagCbor = await esm('@ceramicnetwork/stream-caip10-link', '@ipld/dag-cbor')
const { CID } = await esm('@ceramicnetwork/streamid', 'multiformats', './cid')
const { sha256 } = await esm('@ceramicnetwork/streamid', 'multiformats', './hashes/sha2')

const hex = (u8) => Buffer.from(u8).toString('hex')
const keyOf = (n) => '0x' + crypto.createHash('sha256').update(`ceramicfs-caip10-${n}`).digest('hex')

async function block (value) {
  const bytes = dagCbor.encode(value)
  return { cid: CID.create(1, dagCbor.code, await sha256.digest(bytes)), bytes }
}

// an EIP-1193 provider over a wallet (mainnet, no contract code)
function providerOf (wallet) {
  return {
    request: async ({ method, params }) => {
      if (method === 'eth_chainId') return '0x1'
      if (method === 'eth_getCode') return '0x'
      if (method === 'personal_sign') return wallet.signMessage(arrayify(params[0]))
      throw new Error(`unexpected ${method}`)
    }
  }
}

async function linkProof (wallet, did, at) {
  const now = Date.now
  Date.now = () => at * 1000
  try {
    return await new EthereumAuthProvider(providerOf(wallet), wallet.address).createLink(did)
  } finally { Date.now = now }
}

const handler = new Caip10LinkHandler()
const wallets = [new Wallet(keyOf(1)), new Wallet(keyOf(2))]
const DID1 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const DID2 = 'did:pkh:eip155:1:0x0000000000000000000000000000000000000001'
const T = 1700000000

// One stream: the genesis for account, then each update made by
// make(prev, id) -> proof; returns the vector with js's verdicts.
async function stream (name, account, updates, genesisExtra) {
  const genesis = { ...Caip10Link.makeGenesis(normalizeAccountId(account)), ...(genesisExtra || {}) }
  const g = await block(genesis)
  const out = { name, account, stream_id: new StreamID('caip10-link', g.cid).toString(),
    genesis: { cid: g.cid.toString(), hex: hex(g.bytes) }, updates: [] }
  let state
  try {
    state = await handler.applyCommit({ cid: g.cid, commit: genesis }, {}, null)
    out.genesis.js = { ok: true, content: state.content ?? null, metadata: state.metadata }
  } catch (e) {
    out.genesis.js = { ok: false, error: e.message }
    return out
  }
  for (const [what, makeProof] of updates) {
    const tip = state.log[state.log.length - 1].cid
    const commit = { data: await makeProof(), prev: tip, id: g.cid }
    const b = await block(commit)
    const u = { what, cid: b.cid.toString(), hex: hex(b.bytes), prev: tip.toString() }
    try {
      // the handler throws before it changes state (log.push comes last)
      state = await handler.applyCommit({ cid: b.cid, commit }, {}, state)
      u.js = { ok: true, content: state.next.content ?? null, metadata: state.next.metadata }
    } catch (e) {
      u.js = { ok: false, error: e.message }
    }
    out.updates.push(u)
  }
  return out
}

const a = wallets[0], b = wallets[1]
const accountA = `eip155:1:${a.address}`
const accountB = `eip155:1:${b.address}`
const streams = [
  await stream('link, relink, clear', accountA, [
    ['link DID1', () => linkProof(a, DID1, T)],
    ['relink DID2 later', () => linkProof(a, DID2, T + 100)],
    ['same timestamp', () => linkProof(a, DID1, T + 100)],
    ['older timestamp', () => linkProof(a, DID2, T + 99)],
    ['tampered message', async () => { const p = await linkProof(a, DID2, T + 200); p.message = p.message.replace('Link this', 'Link that'); return p }],
    ['tampered timestamp field', async () => { const p = await linkProof(a, DID2, T + 200); p.timestamp = T + 300; return p }],
    ['signature 0x1b/0x1c v as 0/1', async () => { const p = await linkProof(a, DID1, T + 400); p.signature = p.signature.slice(0, -2) + (p.signature.endsWith('1b') ? '00' : '01'); return p }],
    ['account in checksum case', async () => { const p = await linkProof(a, DID2, T + 500); p.account = `${a.address}@eip155:1`; return p }],
    ['U+0000 in the DID, U+00A0 after it', () => linkProof(a, 'did:key:z6Mk\u0000x\u00a0tail', T + 550)],
    ['clear', () => linkProof(a, '', T + 600)]
  ]),
  await stream('wrong account', accountB, [
    ['proof by A for A on B\'s link', () => linkProof(a, DID1, T)],
    ['proof by A claiming B', async () => { const p = await linkProof(a, DID1, T); p.account = `${b.address.toLowerCase()}@eip155:1`; return p }],
    ['proof by B', () => linkProof(b, DID2, T)]
  ]),
  await stream('genesis with data', accountA, [], { data: DID1 })
]

const out = {
  generator: 'tests/vectors/gen/caip10.mjs',
  versions: Object.fromEntries(['@ceramicnetwork/stream-caip10-link', '@ceramicnetwork/stream-caip10-link-handler',
    '@ceramicnetwork/blockchain-utils-linking', '@ceramicnetwork/blockchain-utils-validation',
    '@ethersproject/wallet'].map((p) => [p, version(p)])),
  keys: wallets.map((w, i) => ({ secret: keyOf(i + 1), address: w.address })),
  streams
}
fs.writeFileSync(new URL('../js-caip10.json', import.meta.url), JSON.stringify(out, null, 1) + '\n')

// Two CAR v1 files for `ceramicfs import` (header {roots, version: 1}, then varint || CID || block) of
// the first stream: caip10-link.car up to 'relink DID2 later'; caip10-old.car up to 'older timestamp'
// (refused; what stands is 'same timestamp').
function varint (n) { const b = []; while (n >= 0x80) { b.push((n & 0x7f) | 0x80); n >>>= 7 } b.push(n); return Buffer.from(b) }
function writeCar (file, last) {
  const s = streams[0]
  const bs = [s.genesis, ...s.updates.slice(0, s.updates.findIndex((u) => u.what === last) + 1)]
  const header = dagCbor.encode({ roots: [CID.parse(bs[bs.length - 1].cid)], version: 1 })
  const parts = [varint(header.length), Buffer.from(header)]
  for (const b of bs) {
    const bytes = Buffer.concat([Buffer.from(CID.parse(b.cid).bytes), Buffer.from(b.hex, 'hex')])
    parts.push(varint(bytes.length), bytes)
  }
  fs.writeFileSync(new URL(`../${file}`, import.meta.url), Buffer.concat(parts))
}
writeCar('caip10-link.car', 'relink DID2 later')
writeCar('caip10-old.car', 'older timestamp')
