// session.mjs - wallet sessions as a user of js-did has them: did-session
// 2.0.1 DIDSession.authorize with @didtools/pkh-ethereum 0.1.0's
// EthereumNodeAuth, the account being an @ethersproject/wallet 5.8.0 Wallet
// behind an EIP-1193 provider (personal_sign), then DIDSession#serialize.
//
//   cd tests/vectors/gen && npm ci --ignore-scripts && TZ=UTC node session.mjs
//
// writes ../js-session.json: for each session the serialized string, the
// CACAO block (hex) and CID as did-session computes them (CacaoBlock), the
// session did:key and the account did:pkh, and whether js accepts it
// (DIDSession.fromSession, isExpired and Cacao.verify at 2026-12-01). Forged
// ones are real sessions with one part changed. The clock is fixed
// (Date.now) and @stablelib/random's source replaced by a sha256 stream, so
// the output is the same on every run.
import fs from 'node:fs'
import crypto from 'node:crypto'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Wallet } from '@ethersproject/wallet'
import { DIDSession } from 'did-session'
import { EthereumNodeAuth, getAccountId } from '@didtools/pkh-ethereum'
import { Cacao, CacaoBlock } from '@didtools/cacao'
import { getEIP191Verifier } from '@didtools/pkh-ethereum'

const require = createRequire(import.meta.url)
const here = new URL('.', import.meta.url)
const hex = (u8) => Buffer.from(u8).toString('hex')
const sha = (s) => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const pkgVersion = (p) => JSON.parse(fs.readFileSync(new URL(`node_modules/${p}/package.json`, here))).version

assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, 'UTC', 'run with TZ=UTC')
const NOW = Date.parse('2026-01-15T12:00:00.000Z')
const LATER = Date.parse('2026-12-01T00:00:00.000Z')  // isExpired is asked at this time
let clock = NOW
const RealDate = Date
globalThis.Date = class extends RealDate {
  constructor (...a) { if (a.length) super(...a); else super(clock) }
  static now () { return clock }
}

// deterministic randomness: the n-th call gets sha256("ceramicfs-session-random-<n>") bytes
let draws = 0
const src = require('@stablelib/random').defaultRandomSource
src.randomBytes = (n) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 32) out.set(sha(`ceramicfs-session-random-${draws}-${i}`).slice(0, n - i), i)
  draws++
  return out
}

const wallet = new Wallet(sha('ceramicfs-session-eth-1'))
const provider = {
  async request ({ method, params }) {
    if (method === 'eth_chainId') return '0x1'
    if (method === 'personal_sign') return wallet.signMessage(params[0])
    throw new Error(`provider: ${method}`)
  }
}
const accountId = await getAccountId(provider, wallet.address)
const authMethod = await EthereumNodeAuth.getAuthMethod(provider, accountId, 'ceramicfs-wallet-test')
const toString = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
const fromString = (s) => JSON.parse(Buffer.from(s, 'base64url').toString())

const out = { generator: 'tests/vectors/gen/session.mjs', format: 1, now_ms: NOW, later_ms: LATER, versions: {},
  account: { secret_hex: hex(sha('ceramicfs-session-eth-1')), address: wallet.address,
    did: `did:pkh:eip155:1:${wallet.address}` }, sessions: [] }
for (const p of ['did-session', '@didtools/pkh-ethereum', '@didtools/cacao', '@ethersproject/wallet', 'dids'])
  out.versions[p] = pkgVersion(p)

async function describe (name, what, serialized) {
  const { sessionKeySeed, cacao } = fromString(serialized)
  const block = await CacaoBlock.fromCacao(cacao)
  const e = { name, what, serialized, session_seed_hex: hex(Buffer.from(sessionKeySeed, 'base64')),
    cacao_json: cacao, cacao_hex: hex(block.bytes), cacao_cid: block.cid.toString(), iss: cacao.p.iss, aud: cacao.p.aud }
  try {
    const s = await DIDSession.fromSession(serialized)
    clock = LATER
    e.js = { loads: true, session: s.did.id, parent: s.did.parent, expired_later: s.isExpired }
  } catch (err) {
    e.js = { loads: false, error: String(err.message ?? err) }
  } finally {
    clock = NOW
  }
  // what js-ceramic's verifiers say of the CACAO at LATER (Cacao.verify with pkh-ethereum's eip191)
  try {
    await Cacao.verify(cacao, { verifiers: getEIP191Verifier(), atTime: new Date(LATER) })
    e.js.cacao_verifies_later = true
  } catch (err) {
    e.js.cacao_verifies_later = false
    e.js.cacao_error = String(err.message ?? err)
  }
  out.sessions.push(e)
  return e
}

const years = (n) => n * 365 * 24 * 3600
const good = await DIDSession.authorize(authMethod, { resources: ['ceramic://*'], expiresInSecs: years(70) })
const g = await describe('good', 'ceramic://*, expires in 2096', good.serialize())
const expired = await DIDSession.authorize(authMethod, { resources: ['ceramic://*'], expiresInSecs: 3600 })
await describe('expired', 'ceramic://*, expired at 2026-01-15T13:00Z', expired.serialize())
const model = 'kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9'
const modelOnly = await DIDSession.authorize(authMethod, { resources: [`ceramic://*?model=${model}`],
  expiresInSecs: years(70) })
await describe('model-only', 'covers only documents of one model', modelOnly.serialize())
const web = await DIDSession.authorize(authMethod, { resources: ['https://example.com/'], expiresInSecs: years(70) })
await describe('not-ceramic', 'resources name no Ceramic stream', web.serialize())
// forged: the good CACAO with another session key (its aud is not that key)
const gs = fromString(g.serialized)
await describe('other-key', 'good CACAO, another session key', toString({ ...gs,
  sessionKeySeed: Buffer.from(sha('ceramicfs-session-other-key')).toString('base64') }))
// forged: a resource added after signing
const t = structuredClone(gs)
t.cacao.p.resources = [...t.cacao.p.resources, 'ceramic://extra']
await describe('tampered', 'a resource added after the wallet signed', toString(t))
// forged: signed by another account (the signature of another wallet's message)
const other = new Wallet(sha('ceramicfs-session-eth-2'))
const o = structuredClone(gs)
o.cacao.s.s = await other.signMessage('not the SIWE message')
await describe('other-signer', 'signature by another account', toString(o))

fs.writeFileSync(new URL('../js-session.json', here), JSON.stringify(out, null, 2) + '\n')
console.log(`js-session.json: ${out.sessions.length} sessions, draws ${draws}`)
