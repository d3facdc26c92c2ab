// cas-request.mjs — writes ../cas-request.json: the CAR body js-ceramic core
// 2.46.0 posts to a Ceramic Anchor Service (AnchorRequestCarBuilder, the real
// class of the installed tree), for the signed genesis and signed update of
// ../js-vectors.json, with the clock fixed. test_anchor builds the same
// requests and compares bytes.
//
//   node cas-request.mjs [CERAMIC_TREE]   (default ~/.cache/ceramicfs/ceramic,
//                                          where tests/peers/ceramic.sh installs)
import { readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const tree = join(process.argv[2] || join(homedir(), '.cache/ceramicfs/ceramic'), 'node_modules')
const load = (p) => import(pathToFileURL(join(tree, p)).href)
const { AnchorRequestCarBuilder } = await load('@ceramicnetwork/core/lib/anchor/anchor-request-car-builder.js')
const { CarBlock } = await load('cartonne/dist/block.js')
const { CID } = await load('multiformats/src/cid.js')
const { StreamID } = await load('@ceramicnetwork/streamid/lib/index.js')
const core = JSON.parse(readFileSync(join(tree, '@ceramicnetwork/core/package.json'), 'utf8')).version

const v = JSON.parse(readFileSync(join(here, '../js-vectors.json'), 'utf8')).signed
const hex = (h) => Uint8Array.from(Buffer.from(h, 'hex'))
const blocks = new Map()
for (const c of [v.genesis, v.update]) {
  blocks.set(c.dag_jose_cid, hex(c.dag_jose_block_hex))
  blocks.set(c.payload_cid, hex(c.payload_block_hex))
}
const dispatcher = { getIpfsBlock: async (cid) => new CarBlock(cid, blocks.get(cid.toString())) }

const TIME = '2026-11-25T01:02:03.000Z'
const RealDate = Date
globalThis.Date = class extends RealDate { constructor (...a) { super(...(a.length ? a : [TIME])) } }

const streamId = StreamID.fromString(v.stream_id)
const cases = []
for (const [name, tip] of [['genesis', v.genesis.dag_jose_cid], ['update', v.update.dag_jose_cid]]) {
  const car = await new AnchorRequestCarBuilder(dispatcher).build(streamId, CID.parse(tip))
  cases.push({ name, tip, car_hex: Buffer.from(car.bytes).toString('hex') })
}
globalThis.Date = RealDate
const out = { generator: 'gen/cas-request.mjs', core_version: core, stream_id: v.stream_id, timestamp: TIME, cases }
writeFileSync(join(here, '../cas-request.json'), JSON.stringify(out, null, 2) + '\n')
console.log(`cas-request.json: ${cases.length} cases from @ceramicnetwork/core ${core}`)
