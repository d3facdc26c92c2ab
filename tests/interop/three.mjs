// three.mjs — a document written as a 3ID with js-3id's own DID provider
// (@3id/did-provider 0.4.1: ThreeIdProvider makes the 3ID document, a
// TileDocument of family 3id, and signs as the did:3) through js-ceramic's
// HTTP API, for the interop tests. It runs in the tree tests/peers/threeid.sh
// installs: copy it into that directory (its imports resolve from there).
//
//   node DIR/three.mjs JSON JSON2   (CERAMIC_URL, default http://127.0.0.1:7007)
//
// creates a document controlled by a new 3ID with JSON, updates it to JSON2
// and prints ONE line: {streamId, controller, content, log:[{cid,type}],
// threeId, threeIdContent}.
import crypto from 'node:crypto'
import { ThreeIdProvider } from '@3id/did-provider'
import { CeramicClient } from '@ceramicnetwork/http-client'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import * as ThreeIdResolver from '@ceramicnetwork/3id-did-resolver'
import { DID } from 'dids'
import KeyResolver from 'key-did-resolver'

const ceramic = new CeramicClient(process.env.CERAMIC_URL || 'http://127.0.0.1:7007')
const [content, content2] = process.argv.slice(2).map((a) => JSON.parse(a))
try {
  const provider = await ThreeIdProvider.create({ ceramic, seed: new Uint8Array(crypto.randomBytes(32)),
    getPermission: async (request) => request.payload.paths })
  const did = new DID({ provider: provider.getDidProvider(),
    resolver: { ...KeyResolver.getResolver(), ...ThreeIdResolver.getResolver(ceramic) } })
  await did.authenticate()
  ceramic.did = did
  const doc = await TileDocument.create(ceramic, content, { controllers: [did.id], family: 'interop-3id' },
    { anchor: false, publish: true })
  await doc.update(content2, undefined, { anchor: false, publish: true })
  const threeId = did.id.slice('did:3:'.length)
  const three = await TileDocument.load(ceramic, threeId)
  process.stdout.write(JSON.stringify({ streamId: doc.id.toString(), controller: doc.metadata.controllers[0],
    content: doc.content, log: doc.state.log.map((e) => ({ cid: e.cid.toString(), type: e.type })),
    threeId, threeIdContent: three.content }) + '\n')
} finally {
  await ceramic.close()
}
process.exit(0)  // the provider's subscriptions would keep node running
