// car.mjs — writes ../car.json: CAR v1 files written by @ipld/car's
// CarWriter (the writer of `ipfs dag export` in js-ipfs and of
// js-ceramic's tools) for the blocks of the signed stream of
// ../js-vectors.json; test_car writes the same roots and blocks and
// compares bytes, and imports them.
//
//   node car.mjs [IPFS_TREE]   (default ~/.cache/ceramicfs/peers/ipfs,
//                               where tests/peers/peers.sh installs js-ipfs)
import { readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const tree = join(process.argv[2] || join(homedir(), '.cache/ceramicfs/peers/ipfs'), 'node_modules')
const load = (p) => import(pathToFileURL(join(tree, p)).href)
const { CarWriter } = await load('@ipld/car/src/writer.js')
const { CID } = await load('multiformats/src/cid.js')
const version = JSON.parse(readFileSync(join(tree, '@ipld/car/package.json'), 'utf8')).version

const v = JSON.parse(readFileSync(join(here, '../js-vectors.json'), 'utf8')).signed
const blk = (cid, hex) => ({ cid, hex })
const g = [blk(v.genesis.dag_jose_cid, v.genesis.dag_jose_block_hex), blk(v.genesis.payload_cid, v.genesis.payload_block_hex)]
const u = [blk(v.update.dag_jose_cid, v.update.dag_jose_block_hex), blk(v.update.payload_cid, v.update.payload_block_hex)]

async function car (roots, blocks) {
  const { writer, out } = CarWriter.create(roots.map((r) => CID.parse(r)))
  const chunks = []
  const done = (async () => { for await (const c of out) chunks.push(c) })()
  for (const b of blocks) await writer.put({ cid: CID.parse(b.cid), bytes: Buffer.from(b.hex, 'hex') })
  await writer.close()
  await done
  return Buffer.concat(chunks).toString('hex')
}

const cases = []
for (const [name, roots, blocks] of [
  ['genesis', [v.genesis.dag_jose_cid], g],
  ['update', [v.update.dag_jose_cid], [...u, ...g]],
  ['two-roots', [v.update.dag_jose_cid, v.genesis.dag_jose_cid], [...g, ...u]],
]) cases.push({ name, roots, blocks, car_hex: await car(roots, blocks) })
const out = { generator: 'gen/car.mjs', ipld_car_version: version, stream_id: v.stream_id, cases }
writeFileSync(join(here, '../car.json'), JSON.stringify(out, null, 2) + '\n')
console.log(`car.json: ${cases.length} cases from @ipld/car ${version}`)
