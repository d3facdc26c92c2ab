// merkle.mjs — writes ../../merkle.json: CIP-69 Merkle trees built by js-ceramic's own
// code (@ceramicnetwork/anchor-utils MerkleTreeFactory + IpfsMerge, as the anchor
// service uses them), with a store that encodes nodes as dag-cbor / sha2-256 CIDv1.
// Leaves are the dag-cbor CIDs of {"leaf": i}; inputs are fixed, output is deterministic.
import { writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  MerkleTreeFactory, IpfsMerge, IpfsLeafCompare, pathString, pathByIndex,
  contractInterface, convertEthHashToCid, ANCHOR_CONTRACT_ADDRESS,
} from '@ceramicnetwork/anchor-utils'

const hex = (u8) => Buffer.from(u8).toString('hex')
const logger = { debug () {}, err () {}, imp () {}, warn () {} }

function makeStore () {
  const blocks = new Map()
  return {
    blocks,
    async storeRecord (record) {
      const bytes = dagCbor.encode(record)
      const cid = CID.create(1, dagCbor.code, await sha256.digest(bytes))
      blocks.set(cid.toString(), hex(bytes))
      return cid
    },
  }
}

async function leafCid (i) {
  const bytes = dagCbor.encode({ leaf: i })
  return CID.create(1, dagCbor.code, await sha256.digest(bytes))
}

async function tree (n, withMetadata) {
  const store = makeStore()
  const metadataFn = withMetadata ? { generateMetadata: (leaves) => ({ numEntries: leaves.length }) } : undefined
  const factory = new MerkleTreeFactory(new IpfsMerge(store, logger), undefined, metadataFn)
  const leaves = []
  for (let i = 0; i < n; i++) leaves.push({ cid: await leafCid(i) })
  const t = await factory.build(leaves)
  const paths = t.leafNodes.map((_, i) => pathString(t.getDirectPathFromRoot(i)))
  const byIndex = t.leafNodes.map((_, i) => pathString(pathByIndex(i, n)))
  return {
    n,
    metadata: withMetadata,
    leaves: leaves.map((l) => l.cid.toString()),
    root: t.root.data.cid.toString(),
    depth: t.depth,
    paths,
    path_by_index: byIndex,
    blocks: Object.fromEntries([...store.blocks.entries()].sort()),
  }
}

// IpfsLeafCompare: the order the anchor service sorts candidates in
function leafOrder () {
  const cands = [
    ['did:key:z6MkB', 'kjzl6cwe1jw14b'], ['did:key:z6Mka', 'kjzl6cwe1jw14a'],
    ['did:key:z6MkA', 'kjzl6cwe1jw14c'], ['did:key:z6Mkb', 'kjzl6cwe1jw14d'],
    ['did:key:z6Mka', 'kjzl6cwe1jw149'], ['did:key:z6Mk1', 'kjzl6cwe1jw14e'],
    ['did:pkh:eip155:1:0xab', 'k2t6wyfsu4pfa'], ['did:key:z6MkZz', 'kjzl6cwe1jw14f'],
    ['did:key:z6Mkz', 'kjzl6cwe1jw14g'], ['did:key:z6Mka', 'k2t6wyfsu4pfb'],
  ]
  const nodes = cands.map(([c, s]) => ({ data: { metadata: { controllers: [c] }, streamId: s } }))
  const cmp = new IpfsLeafCompare(logger)
  const sorted = [...nodes].sort(cmp.compare)
  return {
    input: cands.map(([controller, stream]) => ({ controller, stream })),
    sorted: sorted.map((n) => nodes.indexOf(n)),
  }
}

function txInput () {
  const digest = createHash('sha256').update('ceramicfs-root').digest()
  const root = CID.create(1, dagCbor.code, { code: 0x12, size: 32, digest, bytes: Uint8Array.from([0x12, 0x20, ...digest]) })
  const txHash = '0x' + createHash('sha256').update('ceramicfs-tx').digest('hex')
  return {
    root: root.toString(),
    v1_to: ANCHOR_CONTRACT_ADDRESS,
    v1_input: contractInterface.encodeFunctionData('anchorDagCbor', ['0x' + hex(digest)]),
    tx_hash: txHash,
    tx_hash_cid: convertEthHashToCid(txHash).toString(),
  }
}

const out = { generator: 'tests/vectors/gen/merkle/merkle.mjs', anchor_utils: '5.4.0', trees: [] }
for (const n of [1, 2, 3, 4, 5, 7, 8, 13]) out.trees.push(await tree(n, false))
for (const n of [1, 3, 6]) out.trees.push(await tree(n, true))
out.leaf_order = leafOrder()
out.tx = txInput()
const text = JSON.stringify(out, null, 1) + '\n'
writeFileSync(new URL('../../merkle.json', import.meta.url), text)
console.log('trees', out.trees.length, 'sha256', createHash('sha256').update(text).digest('hex'))
