// cacao.mjs - CACAO / did:pkh vectors made by the libraries of the
// @ceramicnetwork/cli@2.44.0 tree (core 2.46.0):
//
//   cd tests/vectors/gen && npm ci --ignore-scripts && TZ=UTC node cacao.mjs
//
// writes ../js-cacao.json (see README.md). Real code paths:
//   - SIWE text: @didtools/cacao 2.1.0 SiweMessage#toMessage (new field order)
//     and asLegacyChainIdString (the order of CACAOs issued up to 2022-09-20);
//   - personal_sign: @ethersproject/wallet 5.8.0 Wallet#signMessage, what a
//     wallet answers to EthereumNodeAuth's createCACAO (pkh-ethereum 0.1.0);
//   - the CACAO: Cacao.fromSiweMessage / fromSiwsMessage, its block
//     CacaoBlock.fromCacao (dag-cbor, sha2-256);
//   - session-signed commits: dids 4.0.4 DID#withCapability + createDagJWS
//     with key-did-provider-ed25519 3.0.2 (the 'cap' header);
//   - every verdict: SignatureUtils.verifyCommitSignature of
//     @ceramicnetwork/common 2.39.0 (what js-ceramic's stream handlers call),
//     with its own verifiers (pkh-ethereum 0.1.0, pkh-solana 0.1.1).
// The clock is fixed (Date.now = NOW) while signing, so the output is the same
// on every run; times are chosen so that "valid at now" cases stay valid until
// 2099 and verdicts at explicit anchor times do not depend on the clock.
import fs from 'node:fs'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { DID } from 'dids'
import { Ed25519Provider } from 'key-did-provider-ed25519'
import KeyResolver from 'key-did-resolver'
import { Wallet } from '@ethersproject/wallet'
import { Cacao, CacaoBlock, SiweMessage, SiwsMessage, asLegacyChainIdString } from '@didtools/cacao'
import { ed25519 } from '@noble/curves/ed25519'
import { base58btc } from 'multiformats/bases/base58'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { StreamID } from '@ceramicnetwork/streamid'
import { SignatureUtils } from '@ceramicnetwork/common'

const here = new URL('.', import.meta.url)
const hex = (u8) => Buffer.from(u8).toString('hex')
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const pkgVersion = (p) => JSON.parse(fs.readFileSync(new URL(`node_modules/${p}/package.json`, here))).version

assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, 'UTC', 'run with TZ=UTC')
const NOW = Date.parse('2026-01-15T12:00:00.000Z')
const realNow = Date.now
Date.now = () => NOW

const out = { generator: 'tests/vectors/gen/cacao.mjs', format: 1, now_ms: NOW, versions: {}, accounts: [],
  sessions: [], dates: [], cacaos: [], commits: [] }

// ---------------------------------------------------------------- keys
const wallets = {}
for (const n of [1, 2]) {
  const secret = sha(`ceramicfs-cacao-eth-${n}`)
  const w = new Wallet(secret)
  wallets[n] = w
  out.accounts.push({ name: `eth-${n}`, secret_hex: hex(secret), address: w.address,
    address_lower: w.address.toLowerCase() })
}
const solSeed = sha('ceramicfs-cacao-sol-1')
const solPub = ed25519.getPublicKey(solSeed)
const solAddress = base58btc.encode(solPub).slice(1)
out.accounts.push({ name: 'sol-1', secret_hex: hex(solSeed), address: solAddress })

const sessions = {}
for (const n of [1, 2]) {
  const seed = sha(`ceramicfs-cacao-session-${n}`)
  const did = new DID({ provider: new Ed25519Provider(seed), resolver: KeyResolver.getResolver() })
  await did.authenticate()
  sessions[n] = did
  out.sessions.push({ name: `session-${n}`, seed_hex: hex(seed), did: did.id })
}
const verifier = new DID({ resolver: KeyResolver.getResolver() })

// ---------------------------------------------------------------- Date.parse
for (const s of ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00Z', '2025-01-01T00:00Z', '2025-01-01',
  '2025-01-01T00:00:00.1Z', '2025-01-01T00:00:00.123456Z', '2025-01-01T01:00:00+01:00',
  '2025-01-01T00:00:00-05:30', '2025-01-01T00:00:00', '2025-01', '2025', '+002025-01-01T00:00:00Z',
  '2024-02-29T23:59:59.999Z', '2023-02-29T00:00:00Z', '2025-13-01T00:00:00Z', '2025-01-01T24:00:00Z',
  '2025-01-01T24:00:01Z', '2025-01-01T23:60:00Z', '2025-01-01t00:00:00z', '2025-01-01 00:00:00Z',
  '2025-1-1T00:00:00Z', '', 'yesterday', '2025-01-01T00:00:00.Z', '2025-01-01T00:00:00+0100',
  '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2099-12-31T00:00:00.000Z']) {
  const v = Date.parse(s)
  out.dates.push([s, Number.isNaN(v) ? null : v])
}

// ---------------------------------------------------------------- CACAOs
const blocks = new Map()  // cid -> hex
async function cacaoBlock (cacao) {
  const b = await CacaoBlock.fromCacao(cacao)
  blocks.set(b.cid.toString(), hex(b.bytes))
  assert.equal(hex(dagCbor.encode(cacao)), hex(b.bytes))
  return b
}
const cacaos = {}
// A SIWE CACAO as EthereumNodeAuth's createCACAO makes it, with fixed fields.
async function siwe (name, { wallet = 1, chain = '1', lower = false, aud, iat = '2025-01-01T00:00:00.000Z',
  exp = '2099-12-31T00:00:00.000Z', nbf, statement = 'Give this application access to some of your data on Ceramic',
  requestId, resources = ['ceramic://*'], legacy = false, signWith, edit, note }) {
  const w = wallets[wallet]
  const address = lower ? w.address.toLowerCase() : w.address
  const p = { domain: 'ceramicfs.test', address, statement, uri: aud ?? sessions[1].id, version: '1',
    nonce: `n0nce${name.replace(/[^a-z0-9]/gi, '').slice(0, 12)}`, issuedAt: iat, chainId: chain, resources }
  if (exp) p.expirationTime = exp
  if (nbf) p.notBefore = nbf
  if (requestId) p.requestId = requestId
  if (!statement) delete p.statement
  if (!resources) delete p.resources
  const msg = new SiweMessage(p)
  const text = legacy ? asLegacyChainIdString(msg, 'Ethereum') : msg.signMessage()
  msg.signature = await (signWith ? wallets[signWith] : w).signMessage(text)
  let cacao = Cacao.fromSiweMessage(msg)
  if (edit) cacao = edit(cacao)
  const b = await cacaoBlock(cacao)
  cacaos[name] = { cacao, cid: b.cid }
  out.cacaos.push({ name, cid: b.cid.toString(), signed_message: text, note })
  return cacao
}
// A SIWS CACAO (pkh-solana's verifier: ed25519 over the UTF-8 message).
async function siws (name, { aud, resources = ['ceramic://*'], tamper = false, note }) {
  const p = { domain: 'ceramicfs.test', address: solAddress, statement: 'Sign in to Ceramic', uri: aud ?? sessions[1].id,
    version: '1', nonce: 'solnonce1', issuedAt: '2025-01-01T00:00:00.000Z', expirationTime: '2099-12-31T00:00:00.000Z',
    chainId: '4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZ', resources }
  const msg = new SiwsMessage(p)
  const bytes = msg.signMessage()
  const sig = ed25519.sign(bytes, solSeed)
  if (tamper) sig[5] ^= 1
  msg.signature = base58btc.encode(sig).slice(1)
  const cacao = Cacao.fromSiwsMessage(msg)
  const b = await cacaoBlock(cacao)
  cacaos[name] = { cacao, cid: b.cid }
  out.cacaos.push({ name, cid: b.cid.toString(), signed_message: new TextDecoder().decode(bytes), note })
}

const flipHex = (s, i) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1)
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
function sigParts (s) {
  const b = Buffer.from(s.slice(2), 'hex')
  return { r: b.subarray(0, 32), s: b.subarray(32, 64), v: b[64] }
}

await siwe('good', { note: 'checksummed address, resources ceramic://*' })
await siwe('good-lower', { lower: true, note: 'lower-case address in the message and iss' })
await siwe('good-full', { nbf: '2025-01-01T00:00:00.000Z', requestId: 'req-1',
  resources: ['ipfs://bafy', 'ceramic://*', 'https://example.com/x'], note: 'nbf, requestId, three resources' })
await siwe('no-statement-no-exp', { statement: null, exp: null, note: 'no statement, no exp' })
await siwe('legacy', { iat: '2022-09-01T00:00:00.000Z', legacy: true, note: 'legacy order (Chain ID after Request ID), issued before 2022-09-20' })
await siwe('legacy-late', { iat: '2022-10-01T00:00:00.000Z', legacy: true, note: 'legacy order but issued after 2022-09-20' })
await siwe('legacy-noresources', { iat: '2022-09-01T00:00:00.000Z', legacy: true, resources: [],
  note: 'legacy order with an empty resources list ("Resources:" alone)' })
await siwe('chain-5', { chain: '5', note: 'chain 5' })
await siwe('window', { iat: '2025-01-01T00:00:00.000Z', exp: '2025-01-02T00:00:00.000Z', note: 'valid one day' })
await siwe('expired', { iat: '2023-01-01T00:00:00.000Z', exp: '2024-01-01T00:00:00.000Z' })
await siwe('future-iat', { iat: '2098-01-01T00:00:00.000Z' })
await siwe('future-nbf', { nbf: '2098-01-01T00:00:00.000Z' })
await siwe('other-aud', { aud: sessions[2].id, note: 'delegates to session-2' })
await siwe('resources-other', { resources: ['ceramic://kjzl6cwe1jw145as6b4bgg5chb1x3jz3llz2yfp4h07pwjw3tsrh8yzfu7h1z2f'] })
await siwe('resources-none', { resources: null, note: 'no resources field' })
await siwe('bad-sig', { edit: (c) => ({ ...c, s: { ...c.s, s: flipHex(c.s.s, 40) } }), note: 's.s with one hex digit changed' })
await siwe('wrong-chain', { edit: (c) => ({ ...c, p: { ...c.p, iss: c.p.iss.replace('eip155:1:', 'eip155:5:') } }),
  note: 'signed for chain 1, iss says chain 5' })
await siwe('tampered', { edit: (c) => ({ ...c, p: { ...c.p, statement: c.p.statement + '!' } }), note: 'statement changed after signing' })
await siwe('other-account', { signWith: 2, note: 'eth-2 signed a message naming eth-1' })
await siwe('eip1271', { edit: (c) => ({ ...c, s: { ...c.s, t: 'eip1271' } }) })
await siwe('unsigned', { edit: (c) => { const { s, ...rest } = c; return rest } })
await siwe('v01', { edit: (c) => { const { r, s, v } = sigParts(c.s.s); return { ...c, s: { ...c.s, s: '0x' + hex(Buffer.concat([r, s, Buffer.from([v - 27])])) } } },
  note: 'v as 0/1' })
await siwe('compact', { edit: (c) => { const { r, s, v } = sigParts(c.s.s); const s2 = Buffer.from(s); if (v === 28) s2[0] |= 0x80; return { ...c, s: { ...c.s, s: '0x' + hex(Buffer.concat([r, s2])) } } },
  note: 'EIP-2098 64-byte signature' })
await siwe('high-s', { edit: (c) => { const { r, s, v } = sigParts(c.s.s); const hs = (N - BigInt('0x' + hex(s))).toString(16).padStart(64, '0'); return { ...c, s: { ...c.s, s: '0x' + hex(r) + hs + (v === 27 ? '1c' : '1b') } } },
  note: 'the same signature with S = n - S and v flipped' })
await siwe('v-bad', { edit: (c) => { const { r, s } = sigParts(c.s.s); return { ...c, s: { ...c.s, s: '0x' + hex(Buffer.concat([r, s, Buffer.from([5])])) } } },
  note: 'v = 5' })
await siws('sol', {})
await siws('sol-bad', { tamper: true })

// ---------------------------------------------------------------- commits
async function storeEnvelope (jws) {
  const bytes = dagJose.encode(jws)
  const cid = CID.create(1, dagJose.code, await sha256.digest(bytes))
  blocks.set(cid.toString(), hex(bytes))
  return { cid, bytes }
}
// Sign payload as session n through CACAO name (null: plain did:key).
async function sign (payload, n, cacaoName, { tamperSig = false } = {}) {
  let did = sessions[n]
  if (cacaoName) {
    did = did.withCapability(cacaos[cacaoName].cacao)
    await did.authenticate()  // as did-session does with its session key
  }
  // signed while the CACAO was current (createJWS refuses an expired one)
  if (cacaoName) Date.now = () => Date.parse(cacaos[cacaoName].cacao.p.iat)
  const { jws, linkedBlock } = await did.createDagJWS(payload)
  Date.now = () => NOW
  if (tamperSig) {
    const b = Buffer.from(jws.signatures[0].signature, 'base64url')
    b[3] ^= 1
    jws.signatures[0].signature = b.toString('base64url')
  }
  blocks.set(jws.link.toString(), hex(linkedBlock))
  const env = await storeEnvelope(jws)
  return { jws, env, payloadCid: jws.link, payloadHex: hex(linkedBlock) }
}
async function verdict (commitData, controller, model, streamId) {
  try {
    await SignatureUtils.verifyCommitSignature(commitData, verifier, controller, model, streamId)
    return { valid: true }
  } catch (e) {
    return { valid: false, error: e.message }
  }
}
const pkh = (w = 1, chain = '1', lower = false) => `did:pkh:eip155:${chain}:${lower ? wallets[w].address.toLowerCase() : wallets[w].address}`
const solPkh = `did:pkh:solana:4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZ:${solAddress}`
const MODEL = StreamID.fromString('kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xoazdh6t0pbo2ms0z1w6xj4')
const uniq = (name) => sha(`ceramicfs-cacao-unique-${name}`).slice(0, 12)

// A commit case: genesis (type 'tile' | 'MID') or an update of a stream made by a good genesis.
const streams = {}
async function commitCase (name, { kind = 'genesis', type = 'tile', controller = pkh(), cacao = 'good', session = 1,
  at = null, content = { hello: name }, tamperSig = false, base = 'tile', note }) {
  let payload, streamId, model = null, prev = null, id = null
  if (kind === 'genesis') {
    const header = { controllers: [controller], ...(type === 'MID'
      ? { model: MODEL.bytes, sep: 'model', unique: uniq(name) } : { family: 'cacao-test', unique: Buffer.from(uniq(name)).toString('base64').replace(/=+$/, '') }) }
    payload = { header, data: content }
    if (type === 'MID') model = MODEL
  } else {
    const s = streams[base]
    payload = { header: {}, data: [{ op: 'replace', path: '/hello', value: name }], prev: s.tip, id: s.genesis }
    streamId = s.streamId
    prev = s.tip.toString()
    id = s.genesis.toString()
    model = s.model
  }
  const signed = await sign(payload, session, cacao, { tamperSig })
  if (kind === 'genesis') {
    // what the handlers pass: StreamID.fromGenesis(type, payload), not the envelope's StreamID
    streamId = await StreamID.fromGenesis(type, payload)
  }
  const commitData = { cid: signed.env.cid, type: kind === 'genesis' ? 0 : 1, commit: payload, envelope: signed.jws,
    capability: cacao ? cacaos[cacao].cacao : undefined, timestamp: at ?? undefined }
  const v = await verdict(commitData, controller, model, streamId)
  const realId = kind === 'genesis' ? new StreamID(type, signed.env.cid) : streamId
  out.commits.push({ name, kind, stream_type: type, controller, cacao, session: `session-${session}`,
    cacao_cid: cacao ? cacaos[cacao].cid.toString() : null, model: model ? model.toString() : null,
    stream_id: realId.toString(), handler_stream_id: streamId.toString(), prev, id,
    envelope_cid: signed.env.cid.toString(),
    payload_cid: signed.payloadCid.toString(),
    protected_json: Buffer.from(signed.jws.signatures[0].protected, 'base64url').toString(),
    at, ...v, note })
  return { signed, streamId: realId, model }
}

// good streams first (updates build on them)
for (const [base, type] of [['tile', 'tile'], ['mid', 'MID']]) {
  const g = await commitCase(`genesis-${base}`, { type, cacao: type === 'MID' ? 'good' : 'good' })
  streams[base] = { genesis: g.signed.env.cid, tip: g.signed.env.cid, streamId: g.streamId, model: g.model }
}
const u1 = await commitCase('update-tile', { kind: 'update' })
streams.tile.tip = u1.signed.env.cid

// A CACAO whose resources name the tile stream exactly, and one naming the model
await siwe('resources-stream', { resources: [`ceramic://${streams.tile.streamId}`] })
await siwe('resources-model', { resources: [`ceramic://*?model=${MODEL}`] })
await siwe('resources-other-model', { resources: ['ceramic://*?model=kjzl6hvfrbw6c7cp6ybi42j1nw4jv5ba5ks7vzxrvw8v0cehlsoqsalz2uly0vs'] })
{
  const payload = { header: {}, data: [{ op: 'replace', path: '/hello', value: 'update-resource-payload' }], prev: streams.tile.tip, id: streams.tile.genesis }
  const { cid } = await dagJoseUtilsPayloadCid(payload)
  await siwe('resources-payload', { resources: [`ceramic://${streams.tile.streamId}?payload=${cid}`] })
}
async function dagJoseUtilsPayloadCid (payload) {
  const bytes = dagCbor.encode(payload)
  return { cid: CID.create(1, dagCbor.code, await sha256.digest(bytes)) }
}

await commitCase('update-resource-stream', { kind: 'update', cacao: 'resources-stream' })
await commitCase('update-resource-payload', { kind: 'update', cacao: 'resources-payload', content: null })
await commitCase('genesis-mid-model', { type: 'MID', cacao: 'resources-model' })
await commitCase('genesis-mid-other-model', { type: 'MID', cacao: 'resources-other-model' })
await commitCase('genesis-tile-model-resource', { cacao: 'resources-model', note: 'a TileDocument has no model' })
await commitCase('update-mid-model', { kind: 'update', base: 'mid', cacao: 'resources-model' })
await commitCase('genesis-lower', { controller: pkh(1, '1', true), cacao: 'good-lower' })
await commitCase('genesis-lower-controller-mismatch', { controller: pkh(1, '1', false), cacao: 'good-lower',
  note: 'controller checksummed, iss lower-case: dids 4.0.4 compares them as strings' })
await commitCase('genesis-full', { cacao: 'good-full' })
await commitCase('genesis-no-exp', { cacao: 'no-statement-no-exp' })
await commitCase('genesis-legacy', { cacao: 'legacy' })
await commitCase('genesis-legacy-late', { cacao: 'legacy-late' })
await commitCase('genesis-legacy-noresources', { cacao: 'legacy-noresources', note: 'no ceramic resource' })
await commitCase('genesis-chain-5', { controller: pkh(1, '5'), cacao: 'chain-5' })
await commitCase('genesis-chain-mismatch', { controller: pkh(1, '5'), cacao: 'good', note: 'controller chain 5, CACAO chain 1' })
await commitCase('genesis-expired', { cacao: 'expired' })
await commitCase('genesis-future-iat', { cacao: 'future-iat' })
await commitCase('genesis-future-nbf', { cacao: 'future-nbf' })
await commitCase('genesis-wrong-aud', { cacao: 'other-aud', note: 'signed by session-1, CACAO for session-2' })
await commitCase('genesis-other-session', { cacao: 'other-aud', session: 2, note: 'session-2 with its own CACAO' })
await commitCase('update-resources-other', { kind: 'update', cacao: 'resources-other' })
await commitCase('update-resources-none', { kind: 'update', cacao: 'resources-none' })
await commitCase('genesis-bad-sig', { cacao: 'bad-sig' })
await commitCase('genesis-wrong-chain', { controller: pkh(1, '5'), cacao: 'wrong-chain' })
await commitCase('genesis-tampered', { cacao: 'tampered' })
await commitCase('genesis-other-account', { cacao: 'other-account' })
await commitCase('genesis-controller-other', { controller: pkh(2), cacao: 'good', note: 'stream of eth-2, CACAO of eth-1' })
await commitCase('genesis-eip1271', { cacao: 'eip1271' })
await commitCase('genesis-unsigned-cacao', { cacao: 'unsigned' })
await commitCase('genesis-jws-tampered', { cacao: 'good', tamperSig: true })
await commitCase('genesis-no-cap', { cacao: null, note: 'did:pkh controller, session signature without a capability' })
await commitCase('genesis-v01', { cacao: 'v01' })
await commitCase('genesis-compact', { cacao: 'compact' })
await commitCase('genesis-high-s', { cacao: 'high-s' })
await commitCase('genesis-v-bad', { cacao: 'v-bad' })
await commitCase('genesis-sol', { controller: solPkh, cacao: 'sol' })
await commitCase('genesis-sol-bad', { controller: solPkh, cacao: 'sol-bad' })
await commitCase('genesis-didkey-with-cap', { controller: sessions[1].id, cacao: 'resources-other',
  note: 'the controller is the session key itself: only the resources are checked' })
await commitCase('genesis-didkey-with-bad-cacao', { controller: sessions[1].id, cacao: 'bad-sig',
  note: 'the controller is the session key itself: the CACAO is not verified, only its resources' })
{
  // for a genesis the handlers build the StreamID from the payload (StreamID.fromGenesis), so a
  // resource naming that (not the envelope's StreamID) covers it
  const name = 'genesis-resource-payload-streamid'
  const payload = { header: { controllers: [pkh()], family: 'cacao-test', unique: Buffer.from(uniq(name)).toString('base64').replace(/=+$/, '') },
    data: { hello: name } }
  await siwe('resources-payload-streamid', { resources: [`ceramic://${await StreamID.fromGenesis('tile', payload)}`] })
  await commitCase(name, { cacao: 'resources-payload-streamid' })
}
// time window: 'window' is valid from 2025-01-01 (iat) to 2025-01-02 (exp); 5 min skew, 24 h phase-out
const T = (s) => Date.parse(s) / 1000
for (const [label, at] of [['before-skew', T('2024-12-31T23:54:59Z')], ['at-skew', T('2024-12-31T23:55:00Z')],
  ['inside', T('2025-01-01T12:00:00Z')], ['phase-out-end', T('2025-01-03T00:05:00Z')],
  ['after-phase-out', T('2025-01-03T00:05:01Z')]]) {
  await commitCase(`window-${label}`, { cacao: 'window', at, content: { window: label } })
}
await commitCase('expired-anchored-in-time', { cacao: 'expired', at: T('2023-06-01T00:00:00Z'),
  note: 'the expired CACAO at an anchor time inside its window' })

out.blocks = Object.fromEntries([...blocks.entries()].sort())

// Two CAR v1 files for `ceramicfs import` (header {roots, version: 1}, then varint || CID || block):
// cacao-tile.car, the TileDocument genesis-tile -> update-tile and its CACAO; cacao-forged.car, the same
// stream with update-resources-other on it (a capability that does not cover the stream).
function varint (n) { const b = []; while (n >= 0x80) { b.push((n & 0x7f) | 0x80); n >>>= 7 } b.push(n); return Buffer.from(b) }
function writeCar (file, commitNames) {
  const cs = commitNames.map((n) => out.commits.find((c) => c.name === n))
  const cids = [...new Set(cs.flatMap((c) => [c.envelope_cid, c.payload_cid, c.cacao_cid]))]
  const header = dagCbor.encode({ roots: [CID.parse(cs[cs.length - 1].envelope_cid)], version: 1 })
  const parts = [varint(header.length), Buffer.from(header)]
  for (const cid of cids) {
    const bytes = Buffer.concat([Buffer.from(CID.parse(cid).bytes), Buffer.from(blocks.get(cid), 'hex')])
    parts.push(varint(bytes.length), bytes)
  }
  fs.writeFileSync(new URL(`../${file}`, here), Buffer.concat(parts))
}
writeCar('cacao-tile.car', ['genesis-tile', 'update-tile'])
writeCar('cacao-forged.car', ['genesis-tile', 'update-tile', 'update-resources-other'])
for (const p of ['@didtools/cacao', '@didtools/siwx', '@didtools/pkh-ethereum', '@didtools/pkh-solana',
  '@ethersproject/wallet', '@ceramicnetwork/common', '@ceramicnetwork/streamid', 'dids', 'key-did-provider-ed25519',
  'key-did-resolver', '@noble/curves', 'caip', 'elliptic', 'dag-jose', '@ipld/dag-cbor', 'multiformats']) {
  out.versions[p] = pkgVersion(p)
}
Date.now = realNow
const text = JSON.stringify(out, null, 1) + '\n'
fs.writeFileSync(new URL('../js-cacao.json', here), text)
const counts = out.commits.reduce((a, c) => { a[c.valid ? 'valid' : 'invalid']++; return a }, { valid: 0, invalid: 0 })
console.log(`js-cacao.json: ${out.cacaos.length} cacaos, ${out.commits.length} commits (${counts.valid} valid, ${counts.invalid} invalid), ${out.dates.length} dates; sha256 ${crypto.createHash('sha256').update(text).digest('hex')}`)
