// tile.mjs — drive a js-ceramic node (cli 2.44 / core 2.46) through
// @ceramicnetwork/http-client with a did:key, for the interop tests.
// Runs with the packages of the installed ceramic tree:
//   NODE_PATH is not used by ESM, so run it as
//   node tests/interop/tile.mjs ... with CERAMIC_DIR set (default
//   ~/.cache/ceramicfs/ceramic); the imports are resolved from there.
//
// Usage (every command prints ONE line of JSON: the stream's state):
//   tile.mjs did                                  -> {"did"}
//   tile.mjs create JSON [--family F] [--deterministic] [--no-anchor]
//   tile.mjs update STREAMID JSON [--no-anchor] [--hold FILE]
//                                                 (--hold: after loading, create FILE.loaded and
//                                                 wait for FILE before committing: the commit's prev
//                                                 is the tip as loaded, so a test can fork the log;
//                                                 if the node rejects it, prints {rejected, commit, prev})
//   tile.mjs load STREAMID [--sync]                (--sync: ask the network, SyncOptions.SYNC_ALWAYS)
//   tile.mjs stream STREAMID                      any stream type (Model, MID): the state, and its model
//   tile.mjs genesis CONTROLLER_DID FAMILY         deterministic, no content, created by this
//                                                  client but controlled by CONTROLLER_DID
//   tile.mjs anchor STREAMID                      request an anchor, wait for ANCHORED
//   tile.mjs updates STREAMID N START               N updates one after the other, {"n":START+i,...},
//                                                 no anchor, published: prints {n, ms} (the
//                                                 updates' wall time only; the bench's js side)
//   tile.mjs sign STREAMID N                       N update commits made and signed, not sent:
//                                                 prints {n, ms} (the client's own cost per update)
// Env: CERAMIC_URL (default http://127.0.0.1:7007), SEED (64 hex chars, the
//   did:key seed; default a fixed test seed), CERAMIC_DIR, ETH_KEY (0x + 64 hex
//   chars: write as that Ethereum account, did:pkh:eip155:1:<address>, the
//   SEED key being the session key of a CACAO the account signs, as js-did's
//   DIDSession with pkh-ethereum does).
// Output state: {streamId, controller, content, tip, anchorStatus,
//   log:[{cid,type}], commitIds, and once anchored anchorChain, anchorTime,
//   anchorTx, anchorTxHex, anchorRoot, anchorRootHex}; anchorStatus is the name
//   (NOT_REQUESTED|PENDING|PROCESSING|ANCHORED|FAILED|REPLACED).
import { createRequire } from 'node:module'
import path from 'node:path'
import os from 'node:os'
import { pathToFileURL } from 'node:url'

const dir = process.env.CERAMIC_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(require.resolve(name))
// ESM-only packages (no "require" export): their "import" entry, read from package.json
const impEsm = async (pkg, sub = '.') => {
  const pdir = path.join(dir, 'node_modules', pkg)
  const { default: fs } = await import('node:fs')
  const e = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'))).exports[sub]
  return import(pathToFileURL(path.join(pdir, typeof e === 'string' ? e : e.import)).href)
}
const { CeramicClient } = await imp('@ceramicnetwork/http-client')
const { TileDocument } = await imp('@ceramicnetwork/stream-tile')
const { AnchorStatus, SyncOptions } = await imp('@ceramicnetwork/common')
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default
const { CID } = await impEsm('multiformats', './cid')

const url = process.env.CERAMIC_URL || 'http://127.0.0.1:7007'
const seedHex = process.env.SEED || '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('SEED: 64 hex characters')
const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'))

const args = process.argv.slice(2)
const cmd = args.shift()
const flag = (f) => { const i = args.indexOf(f); if (i < 0) return false; args.splice(i, 1); return true }
const opt = (f) => { const i = args.indexOf(f); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v }

function state(doc) {
  const s = doc.state
  return {
    streamId: doc.id.toString(),
    controller: s.metadata.controllers[0],
    family: doc.metadata.family,
    content: doc.content,
    tip: doc.tip.toString(),
    anchorStatus: AnchorStatus[s.anchorStatus],
    anchorTime: s.anchorProof?.blockTimestamp,
    anchorChain: s.anchorProof?.chainId,
    ...(s.anchorProof ? anchorProof(s.anchorProof) : {}),
    log: s.log.map((e) => ({ cid: e.cid.toString(), type: e.type, ...(e.timestamp ? { timestamp: e.timestamp } : {}) })),
    commitIds: doc.allCommitIds.map(String),
  }
}

// the proof's CIDs as strings, and the transaction hash as Ethereum writes it
function anchorProof(p) {
  const cid = (c) => (typeof c === 'string' ? CID.parse(c) : CID.asCID(c))
  const tx = cid(p.txHash)
  return { anchorTx: tx.toString(), anchorTxHex: '0x' + Buffer.from(tx.multihash.digest).toString('hex'), anchorRoot: cid(p.root).toString(),
    anchorRootHex: Buffer.from(cid(p.root).multihash.digest).toString('hex') }
}

// A SIWE CACAO from the account of ETH_KEY for the session key did (pkh-ethereum's createCACAO).
async function capability(did) {
  const { Wallet } = await imp('@ethersproject/wallet')
  const { SiweMessage, Cacao } = await impEsm('@didtools/cacao')
  const wallet = new Wallet(process.env.ETH_KEY)
  const now = new Date()
  const msg = new SiweMessage({ domain: 'interop.test', address: wallet.address, uri: did.id, version: '1',
    statement: 'Give this application access to some of your data on Ceramic', nonce: `n${now.getTime()}`,
    issuedAt: now.toISOString(), expirationTime: new Date(now.getTime() + 3600e3).toISOString(), chainId: '1',
    resources: ['ceramic://*'] })
  msg.signature = await wallet.signMessage(msg.signMessage())
  return Cacao.fromSiweMessage(msg)
}

async function client() {
  let did = new DID({ provider: new Ed25519Provider(seed), resolver: KeyResolver.getResolver() })
  await did.authenticate()
  if (process.env.ETH_KEY) {
    did = did.withCapability(await capability(did))
    await did.authenticate()
  }
  const c = new CeramicClient(url, { syncInterval: 500 })
  c.did = did
  return c
}

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const ceramic = await client()
// the DID this client writes as: the account under a capability, else the key
const me = ceramic.did.hasParent ? ceramic.did.parent : ceramic.did.id
try {
  switch (cmd) {
    case 'did':
      out({ did: me, ...(ceramic.did.hasParent ? { session: ceramic.did.id } : {}) })
      break
    case 'create': {
      const family = opt('--family') || 'interop'
      const deterministic = flag('--deterministic')
      const anchor = !flag('--no-anchor')
      const content = JSON.parse(args[0] ?? '{}')
      const doc = await TileDocument.create(ceramic, deterministic ? null : content,
        { controllers: [me], family, deterministic }, { anchor, publish: true })
      if (deterministic && args[0] !== undefined) await doc.update(content, undefined, { anchor, publish: true })
      out(state(doc))
      break
    }
    case 'genesis': {
      const [controller, family] = args
      const doc = await TileDocument.create(ceramic, null,
        { controllers: [controller], family, deterministic: true }, { anchor: false, publish: true })
      out(state(doc))
      break
    }
    case 'update': {
      const anchor = !flag('--no-anchor')
      const hold = opt('--hold')
      const doc = await TileDocument.load(ceramic, args[0])
      if (hold) {
        const fs = await import('node:fs')
        fs.writeFileSync(hold + '.loaded', doc.tip.toString() + '\n')
        for (let i = 0; i < 600 && !fs.existsSync(hold); i++) await new Promise((r) => setTimeout(r, 50))
        if (!fs.existsSync(hold)) throw new Error('--hold: ' + hold + ' did not appear')
      }
      // the commit is made here, on the tip as loaded, so that its CID can be
      // reported even when the node resolves a fork against it
      const commit = await doc.makeCommit(ceramic, JSON.parse(args[1]))
      const dagJose = await impEsm('dag-jose')
      const { sha256 } = await impEsm('multiformats', './hashes/sha2')
      const cid = CID.create(1, dagJose.code, await sha256.digest(dagJose.encode(commit.jws)))
      let updated
      try {
        updated = await ceramic.applyCommit(doc.id, commit, { anchor, publish: true })
      } catch (e) {
        // the node refuses a commit that loses the fork against its tip ("builds on stale state")
        if (!hold) throw e
        out({ rejected: String(e.message ?? e), commit: cid.toString(), prev: doc.tip.toString() })
        break
      }
      out({ ...state(updated), commit: cid.toString(), prev: doc.tip.toString() })
      break
    }
    case 'load': {
      const sync = flag('--sync')
      const doc = await TileDocument.load(ceramic, args[0], sync ? { sync: SyncOptions.SYNC_ALWAYS, syncTimeoutSeconds: 5 } : {})
      out(state(doc))
      break
    }
    case 'stream': {
      // any stream type (Model, ModelInstanceDocument): what the node loads
      const doc = await ceramic.loadStream(args[0])
      out({ ...state(doc), model: doc.state.metadata.model?.toString() })
      break
    }
    case 'anchor': {
      let doc = await TileDocument.load(ceramic, args[0])
      await ceramic.requestAnchor(doc.id)
      for (let i = 0; i < 60 && doc.state.anchorStatus !== AnchorStatus.ANCHORED; i++) {
        await new Promise((r) => setTimeout(r, 500))
        doc = await TileDocument.load(ceramic, args[0])
      }
      out(state(doc))
      break
    }
    case 'updates': {
      const doc = await TileDocument.load(ceramic, args[0])
      const n = Number(args[1]), start = Number(args[2] ?? 0)
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++)
        await doc.update({ n: start + i + 1, pad: 'x'.repeat(64) }, undefined, { anchor: false, publish: true })
      out({ n, ms: Number(process.hrtime.bigint() - t0) / 1e6 })
      break
    }
    case 'sign': {
      const doc = await TileDocument.load(ceramic, args[0])
      const n = Number(args[1])
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < n; i++) await doc.makeCommit(ceramic, { n: i + 1, pad: 'x'.repeat(64) })
      out({ n, ms: Number(process.hrtime.bigint() - t0) / 1e6 })
      break
    }
    default:
      throw new Error('usage: tile.mjs did|create|update|load|genesis|anchor|updates|sign ...')
  }
} finally {
  await ceramic.close()
}
