// mid.mjs — Models, ModelInstanceDocuments and a Caip10Link made by js-ceramic
// (cli 2.44 / core 2.46) through @ceramicnetwork/http-client, for
// interop_test's part 8. Runs with the packages of the installed ceramic tree
// (CERAMIC_DIR, default ~/.cache/ceramicfs/ceramic), as tile.mjs.
//
// Usage (every command prints ONE line of JSON):
//   mid.mjs model DEFINITION_JSON            Model.create -> {streamId, content}
//   mid.mjs create MODEL_ID CONTENT_JSON     ModelInstanceDocument.create (list) -> {streamId, content, tip}
//   mid.mjs replace STREAMID CONTENT_JSON    ModelInstanceDocument#replace -> {streamId, content, tip}
//   mid.mjs link DID                         with ETH_KEY: Caip10Link.fromAccount for the key's
//                                            account on eip155:1, then setDid(DID) with an
//                                            EthereumAuthProvider over an ethers wallet
//                                            -> {streamId, account, did}
// Env: CERAMIC_URL, SEED (64 hex chars: the did:key seed), ETH_KEY (0x + 64 hex).
import { createRequire } from 'node:module'
import path from 'node:path'
import os from 'node:os'

const dir = process.env.CERAMIC_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ceramicfs', 'ceramic')
const require = createRequire(path.join(dir, 'package.json'))
const imp = async (name) => import(require.resolve(name))
const { CeramicClient } = await imp('@ceramicnetwork/http-client')
const { Model } = await imp('@ceramicnetwork/stream-model')
const { ModelInstanceDocument } = await imp('@ceramicnetwork/stream-model-instance')
const { Caip10Link } = await imp('@ceramicnetwork/stream-caip10-link')
const { EthereumAuthProvider } = await imp('@ceramicnetwork/blockchain-utils-linking')
const { StreamID } = await imp('@ceramicnetwork/streamid')
const { DID } = await imp('dids')
const { Ed25519Provider } = await imp('key-did-provider-ed25519')
const KeyResolver = (await imp('key-did-resolver')).default

const url = process.env.CERAMIC_URL || 'http://127.0.0.1:7007'
const seedHex = process.env.SEED || '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('SEED: 64 hex characters')

const ceramic = new CeramicClient(url, { syncInterval: 500 })
const did = new DID({ provider: new Ed25519Provider(Uint8Array.from(Buffer.from(seedHex, 'hex'))), resolver: KeyResolver.getResolver() })
await did.authenticate()
ceramic.did = did

// an EIP-1193 provider over an ethers wallet: an account, no contract code
async function providerOf (wallet) {
  const { arrayify } = await imp('@ethersproject/bytes')
  return {
    request: async ({ method, params }) => {
      if (method === 'eth_chainId') return '0x1'
      if (method === 'eth_getCode') return '0x'
      if (method === 'personal_sign') return wallet.signMessage(arrayify(params[0]))
      throw new Error(`unexpected ${method}`)
    }
  }
}

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const mid = (doc) => ({ streamId: doc.id.toString(), content: doc.content, tip: doc.tip.toString(),
  model: doc.metadata.model?.toString(), controller: doc.metadata.controller })
const args = process.argv.slice(2)
try {
  switch (args[0]) {
    case 'model': {
      const m = await Model.create(ceramic, JSON.parse(args[1]))
      out({ streamId: m.id.toString(), content: m.content })
      break
    }
    case 'create':
      out(mid(await ModelInstanceDocument.create(ceramic, JSON.parse(args[2]), { model: StreamID.fromString(args[1]) })))
      break
    case 'replace': {
      const doc = await ModelInstanceDocument.load(ceramic, args[1])
      await doc.replace(JSON.parse(args[2]))
      out(mid(doc))
      break
    }
    case 'link': {
      const { Wallet } = await imp('@ethersproject/wallet')
      const wallet = new Wallet(process.env.ETH_KEY)
      const account = `${wallet.address.toLowerCase()}@eip155:1`
      const link = await Caip10Link.fromAccount(ceramic, account)
      await link.setDid(args[1], new EthereumAuthProvider(await providerOf(wallet), wallet.address))
      out({ streamId: link.id.toString(), account, did: link.did })
      break
    }
    default:
      throw new Error('usage: mid.mjs model|create|replace|link ...')
  }
} finally {
  await ceramic.close()
}
