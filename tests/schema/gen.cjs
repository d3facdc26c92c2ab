// gen.cjs — deterministic generator of JSON Schema cases for the
// differential test (tests/schema_js_test.sh): schemas shaped like the ones
// ComposeDB and TileDocument users write, plus the shapes Ajv's strict mode
// refuses, each with instances near its edge (valid ones, and each mutated
// a little). Output: one JSON object per line, {mode, schema, data}, as
// tests/schema/schema_run.c and tests/schema/ajv_run.cjs read it.
//
// usage: node gen.cjs SEED COUNT > cases.jsonl
'use strict'

const seed = Number(process.argv[2] || 1)
const count = Number(process.argv[3] || 1000)

// mulberry32: small, seeded, the same on every Node
let state = seed >>> 0
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1))
const pick = (arr) => arr[Math.floor(rnd() * arr.length)]
const chance = (p) => rnd() < p

const NAMES = ['t', 'e', 'w', 'q', 'zz', 'z1', 'toString', 'constructor', 'title', 'body', 'count', 'tags', 'owner', 'created', 'score', 'a', 'b', 'c', 'x-y', 'ünï',
  'url', 'email', 'nested', 'list', 'flag', 'kind', 'ref', 'n']
const PATTERNS = ['^[a-z]+$', '^\\d{3}-\\d{4}$', '^.{2,5}$', '\\s', '^\\S+$', '^[\\p{L}]+$', '^(a|b)*c$',
  '[^\\x00-\\x7f]', '^\\w+@\\w+\\.com$', '^$', 'é', '^[A-Z][a-z]*(?: [A-Z][a-z]*)*$', '^(?<y>\\d{4})-\\k<y>$',
  '^\\u{1F600}', '.', '^.$', '(?=.*\\d)(?=.*[a-z])', '\\bfoo\\b', '^[^]+$', '^[\\s\\S]{0,3}$']
const BAD_PATTERNS = ['\\-', '(', 'a{', '[z-a]', '\\p{Nope}', '*a', '(?<n>a)(?<n>b)']
const FORMATS = ['date-time', 'date', 'time', 'uri', 'uri-reference', 'email', 'hostname', 'ipv4', 'ipv6',
  'uuid', 'regex', 'json-pointer', 'relative-json-pointer', 'uri-template', 'url', 'duration', 'byte']
const FORMAT_SAMPLES = {
  'date-time': ['2020-01-01T00:00:00Z', '2020-01-01t10:11:12.5+01:00', '2020-13-01T00:00:00Z', '2020-01-01 00:00:00',
    '2020-02-30T00:00:00Z', '2020-01-01T25:00:00Z', '2020-01-01T23:59:60Z', '2020-01-01'],
  date: ['2020-02-29', '2021-02-29', '2020-1-1', '1999-12-31', 'x'],
  time: ['12:00:00', '12:00:00Z', '23:59:60', '24:00:00', '12:00:00.123+05:30', '12:00'],
  uri: ['https://ceramic.network/a?b=c#d', 'urn:isbn:123', 'example', '//x.y/z', 'http://[::1]:80/', 'a:b c'],
  'uri-reference': ['../a/b', '#frag', 'http://x/y', '\\\\bad', ''],
  email: ['a@b.co', 'first.last@example.com', 'a..b@example.com', '@x.com', 'üser@example.com'],
  hostname: ['example.com', '-bad.com', 'a'.repeat(64) + '.com', 'xn--bcher-kva.example', 'ok.'],
  ipv4: ['127.0.0.1', '256.1.1.1', '1.2.3', '01.2.3.4'],
  ipv6: ['::1', '1:2:3:4:5:6:7:8', '1::2::3', 'fe80::1%eth0'],
  uuid: ['2eb8aa08-aa98-11ea-b4aa-73b441d16380', '2eb8aa08aa9811eab4aa73b441d16380', 'urn:uuid:2eb8aa08-aa98-11ea-b4aa-73b441d16380'],
  regex: ['^a+$', '(', '\\Z', 'a\\Z', '[a-'],
  'json-pointer': ['/a/b', 'a', '/a~2', ''],
  'relative-json-pointer': ['0', '1/a', '-1', '0#'],
  'uri-template': ['http://x/{y}', '{', 'a{b,c}'],
  url: ['http://example.com', 'ftp://a.b/c', 'http://localhost', 'http://10.0.0.1'],
  duration: ['P1D', 'PT1H', 'P', 'P1W', 'P1Y2M'],
  byte: ['QUJD', 'QUI=', 'QQ==', 'Q', '!!'],
}
const STRINGS = ['', 'a', 'abc', 'hello world', 'ünïcödé', '😀😀', 'a\u0000b', 'x\ny', '\r', '\u00a0',
  'ABC', '123-4567', 'foo bar', 'aac', 'Hello World', '2020-2020', 'a1', 'test@site.com']

function scalarSchema(depth, strict) {
  const t = pick(['string', 'string', 'integer', 'number', 'boolean', 'null'])
  const s = { type: t }
  if (t === 'string') {
    if (chance(0.3)) s.minLength = int(0, 3)
    if (chance(0.3)) s.maxLength = int(1, 6)
    if (chance(0.25)) s.pattern = pick(PATTERNS)
    if (chance(0.25)) s.format = pick(FORMATS)
    if (s.format && ['date', 'time', 'date-time'].includes(s.format) && chance(0.3))
      s[pick(['formatMinimum', 'formatMaximum', 'formatExclusiveMinimum', 'formatExclusiveMaximum'])] =
        pick(FORMAT_SAMPLES[s.format])
    if (chance(0.1)) s.enum = [pick(STRINGS), pick(STRINGS)]
    if (chance(0.05)) s.const = pick(STRINGS)
  } else if (t === 'integer' || t === 'number') {
    if (chance(0.3)) s.minimum = int(-5, 5)
    if (chance(0.3)) s.maximum = int(0, 100)
    if (chance(0.15)) s.exclusiveMinimum = int(-5, 5)
    if (chance(0.15)) s.exclusiveMaximum = int(0, 100) + (t === 'number' ? 0.5 : 0)
    if (chance(0.2)) s.multipleOf = pick([2, 3, 0.5, 0.1, 0.01, 1e-3])
    if (chance(0.1)) s.format = pick(['int32', 'int64', 'float', 'double'])
  }
  if (chance(0.1)) s.nullable = true
  if (chance(0.1)) { s.title = 'x'; s.description = 'd'; s.$comment = 'c' }
  return s
}

function objectSchema(depth, strict, defs) {
  const s = { type: 'object', properties: {} }
  const n = int(0, 5)
  const names = []
  for (let i = 0; i < n; i++) {
    const name = pick(NAMES)
    if (names.includes(name)) continue
    names.push(name)
    s.properties[name] = anySchema(depth + 1, strict, defs)
  }
  if (names.length && chance(0.7)) s.required = names.filter(() => chance(0.5))
  if (chance(0.6)) s.additionalProperties = chance(0.8) ? false : scalarSchema(depth + 1, strict)
  if (chance(0.1)) s.minProperties = int(0, 2)
  if (chance(0.1)) s.maxProperties = int(1, 4)
  if (chance(0.1)) s.patternProperties = { '^z[0-9]+$': scalarSchema(depth + 1, strict) }
  if (chance(0.08)) s.propertyNames = { type: 'string', maxLength: int(1, 5) }
  if (chance(0.08) && names.length >= 2) s.dependentRequired = { [names[0]]: [names[1]] }
  if (chance(0.05) && names.length >= 1)
    s.dependentSchemas = { [names[0]]: { type: 'object', properties: { [names[0]]: { type: 'string' } } } }
  if (chance(0.06) && names.length) {
    s.if = { type: 'object', properties: { [names[0]]: { const: null } }, required: [names[0]] }
    s.then = { type: 'object', required: names.slice(0, 1) }
    if (chance(0.5)) s.else = { type: 'object', maxProperties: 3 }
  }
  if (chance(0.12)) {
    // beside the in-place applicators whose evaluated properties Ajv merges
    // in its own way (at compile time, into variables set only where the
    // branch runs)
    s.unevaluatedProperties = chance(0.7) ? false : { type: 'string' }
    delete s.additionalProperties
    if (names.length && chance(0.5)) s.anyOf = [{ type: 'object', properties: { [pick(names)]: { type: 'string' } } }, { type: 'object', patternProperties: { '^z': {} } }]
    if (names.length && chance(0.3)) s.oneOf = [{ type: 'object', required: [pick(names)] }, { type: 'object', properties: { q: { type: 'integer' } } }]
    if (chance(0.3)) s.allOf = [{ type: 'object', properties: { zz: { type: 'null' } } }]
    if (names.length && chance(0.3)) s.dependentSchemas = { [pick(names)]: { type: 'object', properties: { w: { type: 'boolean' } } } }
    if (names.length && chance(0.3) && !s.if) {
      s.if = { type: 'object', properties: { [names[0]]: { type: 'string' } }, required: [names[0]] }
      if (chance(0.6)) s.then = { type: 'object', properties: { t: {} } }
      if (chance(0.6) || !s.then) s.else = { type: 'object', properties: { e: {} } }
    }
  }
  if (chance(0.05) && names.length) s.not = { type: 'object', required: [names[names.length - 1]] }
  if (!s.required?.length) delete s.required
  return s
}

function arraySchema(depth, strict, defs) {
  const s = { type: 'array' }
  const r = rnd()
  if (r < 0.6) s.items = anySchema(depth + 1, strict, defs)
  else if (r < 0.8) {
    const k = int(1, 3)
    s.prefixItems = Array.from({ length: k }, () => scalarSchema(depth + 1, strict))
    s.minItems = k
    if (chance(0.5)) s.items = false
    else s.maxItems = k
  }
  if (chance(0.3) && s.minItems === undefined) s.minItems = int(0, 2)
  if (chance(0.3) && s.maxItems === undefined && s.items !== false) s.maxItems = int(1, 5)
  if (chance(0.2)) s.uniqueItems = true
  if (chance(0.15)) {
    s.contains = scalarSchema(depth + 1, strict)
    if (chance(0.4)) s.minContains = int(1, 2)
    if (chance(0.4)) s.maxContains = int(1, 3)
  }
  if (chance(0.08)) {
    s.unevaluatedItems = chance(0.7) ? false : { type: 'string' }
    if (s.items !== false) delete s.items
    if (chance(0.4)) s.anyOf = [{ type: 'array', prefixItems: [{}, {}], minItems: 2, maxItems: 2 }, { type: 'array', items: { type: 'integer' } }]
    if (chance(0.3)) s.allOf = [{ type: 'array', prefixItems: [{ type: 'string' }], minItems: 1, maxItems: 4 }]
  }
  return s
}

function anySchema(depth, strict, defs) {
  if (depth > 3) return scalarSchema(depth, strict)
  const r = rnd()
  if (r < 0.5) return scalarSchema(depth, strict)
  if (r < 0.65) return objectSchema(depth, strict, defs)
  if (r < 0.8) return arraySchema(depth, strict, defs)
  if (r < 0.88 && defs) {
    const name = 'd' + int(0, 2)
    if (!defs[name]) defs[name] = chance(0.5) ? scalarSchema(depth, strict) : objectSchema(depth + 1, strict, null)
    return { $ref: '#/$defs/' + name }
  }
  if (r < 0.94) {
    const a = scalarSchema(depth, strict), b = scalarSchema(depth, strict)
    if (a.nullable || b.nullable) { delete a.nullable; delete b.nullable }
    return { [pick(['anyOf', 'oneOf'])]: [a, b] }
  }
  const t = pick(['string', 'integer'])
  return { type: t, allOf: [{ type: t }, t === 'string' ? { maxLength: 4 } : { minimum: 0 }] }
}

// The strict-mode traps: schemas Ajv's js-ceramic options refuse
function strictTrap() {
  return pick([
    () => ({ type: 'object', properties: { a: { minLength: 1 } } }),
    () => ({ type: ['string', 'number'] }),
    () => ({ type: 'object', required: ['zz'] }),
    () => ({ type: 'string', format: 'nope' }),
    () => ({ type: 'string', fooKeyword: 1 }),
    () => ({ type: 'object', properties: { abc: { type: 'string' } }, patternProperties: { '^a': { type: 'string' } } }),
    () => ({ type: 'array', prefixItems: [{ type: 'string' }] }),
    () => ({ type: 'string', pattern: pick(BAD_PATTERNS) }),
    () => ({ type: 'array', contains: { type: 'string' }, minContains: 0 }),
    () => ({ type: 'string', $anchor: 'x' }),
    () => ({ type: 'object', then: { type: 'object' } }),
    () => ({ type: 'object', if: { type: 'object' } }),
    () => ({ minimum: 1 }),
    () => ({ type: 'string', minLength: -1 }),
    () => ({ type: 'string', nullable: 'yes' }),
    () => ({ type: 'integer', multipleOf: 0 }),
    () => ({ type: 'object', properties: { a: { $ref: 'http://example.com/s.json' } } }),
    () => ({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }),
    () => ({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' }),
    () => ({ type: 'string', format: 'date-time', formatMaximum: 5 }),
    () => ({ type: 'string', formatMinimum: '2020-01-01' }),
    () => ({ enum: [] }),
    () => ({ type: 'object', additionalItems: false }),
  ])()
}

// prefixItems -> items array (+ additionalItems), dependentRequired/
// dependentSchemas -> dependencies, $defs -> definitions (mostly)
function draft7ize(s) {
  if (!s || typeof s !== 'object') return
  if (Array.isArray(s)) { s.forEach(draft7ize); return }
  if (s.prefixItems) {
    const extra = s.items
    s.items = s.prefixItems
    delete s.prefixItems
    if (extra !== undefined) s.additionalItems = extra
  }
  if (s.dependentRequired || s.dependentSchemas) {
    s.dependencies = { ...(s.dependentRequired || {}), ...(s.dependentSchemas || {}) }
    delete s.dependentRequired
    delete s.dependentSchemas
  }
  delete s.unevaluatedProperties
  delete s.unevaluatedItems
  delete s.minContains
  delete s.maxContains
  if (s.$defs && chance(0.7)) {
    s.definitions = s.$defs
    delete s.$defs
    const fix = (x) => {
      if (!x || typeof x !== 'object') return
      if (typeof x.$ref === 'string') x.$ref = x.$ref.replace('#/$defs/', '#/definitions/')
      Object.values(x).forEach(fix)
    }
    fix(s)
  }
  for (const v of Object.values(s)) draft7ize(v)
}

// An instance for schema s: usually valid-looking, then perhaps broken
function instance(s, defs, depth = 0) {
  if (s === true || s === undefined) return pick([1, 'x', null, {}, []])
  if (s === false) return 1
  if (depth > 6) return null
  if (s.$ref) {
    const name = s.$ref.split('/').pop()
    return instance(defs?.[name], defs, depth + 1)
  }
  if (Array.isArray(s.items)) {
    const a = s.items.map((p) => instance(p, defs, depth + 1))
    if (chance(0.3)) a.push(1)
    return a
  }
  if (s.anyOf || s.oneOf) return instance(pick(s.anyOf || s.oneOf), defs, depth + 1)
  if (s.const !== undefined && chance(0.5)) return s.const
  if (s.enum && chance(0.6)) return pick(s.enum)
  const t = Array.isArray(s.type) ? pick(s.type) : s.type
  if (s.nullable && chance(0.2)) return null
  switch (t) {
    case 'string':
      if (s.format && FORMAT_SAMPLES[s.format] && chance(0.7)) return pick(FORMAT_SAMPLES[s.format])
      return pick(STRINGS)
    case 'integer': return pick([0, 1, -1, 2, 3, 6, 7, 100, 101, 2147483648, -3, 1e15, 4.0])
    case 'number': return pick([0, 0.5, 1.5, 0.3, 0.1, 0.01, -2.5, 99.5, 100, 1e308, 5e-324, 3])
    case 'boolean': return chance(0.5)
    case 'null': return null
    case 'object': {
      const o = {}
      for (const [k, v] of Object.entries(s.properties || {})) {
        if ((s.required || []).includes(k) || chance(0.6)) o[k] = instance(v, defs, depth + 1)
      }
      if (s.patternProperties && chance(0.3)) o['z' + int(0, 9)] = pick(STRINGS)
      return o
    }
    case 'array': {
      if (s.prefixItems) {
        const a = s.prefixItems.map((p) => instance(p, defs, depth + 1))
        if (chance(0.2)) a.push(1)
        return a
      }
      const n = int(0, 4)
      const a = []
      for (let i = 0; i < n; i++) a.push(s.items ? instance(s.items, defs, depth + 1) : pick(STRINGS))
      if (s.uniqueItems && a.length && chance(0.3)) a.push(a[0])
      return a
    }
    default: return pick([1, 'x', null, true, {}, []])
  }
}

function mutate(v) {
  const r = rnd()
  if (v === null || typeof v !== 'object') {
    if (r < 0.3) return pick([1, 'x', null, true, 1.5, -1, '', [], {}])
    if (typeof v === 'string') return r < 0.6 ? v + pick(STRINGS) : v.slice(1)
    if (typeof v === 'number') return r < 0.6 ? v + 1 : v / 3
    return v
  }
  if (Array.isArray(v)) {
    const a = v.slice()
    if (r < 0.3 && a.length) a.splice(int(0, a.length - 1), 1)
    else if (r < 0.6) a.push(pick([1, 'x', null, {}]))
    else if (a.length) { const i = int(0, a.length - 1); a[i] = mutate(a[i]) }
    return a
  }
  const o = { ...v }
  const keys = Object.keys(o)
  if (r < 0.25 && keys.length) delete o[pick(keys)]
  else if (r < 0.45) o[pick(NAMES)] = pick([1, 'x', null, true])
  else if (keys.length) { const k = pick(keys); o[k] = mutate(o[k]) }
  return o
}

for (let i = 0; i < count; i++) {
  const mode = rnd() < 0.8 ? 'model' : 'tile'
  let schema
  const defs = {}
  if (rnd() < 0.15) {
    schema = strictTrap()
  } else {
    schema = objectSchema(0, mode === 'model', defs)
    if (Object.keys(defs).length) schema.$defs = defs
  }
  if (rnd() < 0.08 && schema.type === 'object' && schema.properties) {
    // a recursive schema: a tree of nodes
    defs.node = { type: 'object', properties: { v: { type: 'integer' }, kids: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 3 } },
      required: ['v'], additionalProperties: false }
    schema.$defs = defs
    schema.properties.tree = { $ref: '#/$defs/node' }
  }
  if (rnd() < 0.05 && schema.type === 'object' && schema.properties) {
    schema.properties.deep = { type: 'array', uniqueItems: true, items: { type: 'object', properties: { k: { type: 'array', items: { type: 'number' } } } } }
    schema.properties.choice = { enum: [{ a: 1 }, [1, 2], 'x', null, 1.5] }
  }
  if (mode === 'tile') {
    // draft-07 spellings of what 2020-12 writes otherwise
    draft7ize(schema)
    if (chance(0.5)) schema.$schema = 'http://json-schema.org/draft-07/schema#'
  }
  const data = []
  const base = instance(schema, defs)
  data.push(base)
  for (let k = 0; k < 5; k++) data.push(mutate(chance(0.5) ? base : instance(schema, defs)))
  process.stdout.write(JSON.stringify({ mode, schema, data }) + '\n')
}
