// ajv_run.cjs — the reference side of the differential test: each case of
// a gen.cjs file through Ajv built exactly as js-ceramic 2.44 builds it
// (stream-model-instance-handler's and stream-tile-handler's
// schema-utils.js), printing what tests/schema/schema_run.c prints:
// "C" when Ajv throws compiling, else v/i per instance (a throw while
// validating, e.g. fast-deep-equal calling an own "toString" key, is "i":
// js-ceramic's handler rejects the content as it does an invalid one).
//
// usage: AJV_DIR=~/.cache/ceramicfs/ajv node ajv_run.cjs < cases.jsonl
'use strict'
const path = require('path')
const readline = require('readline')
const nm = path.join(process.env.AJV_DIR, 'node_modules')
const Ajv2020 = require(path.join(nm, 'ajv/dist/2020.js')).default
const Ajv = require(path.join(nm, 'ajv')).default
const addFormats = require(path.join(nm, 'ajv-formats')).default

function build(mode) {
  let ajv
  if (mode === 'model') {
    ajv = new Ajv2020({ strict: true, allErrors: true, allowMatchingProperties: false, ownProperties: false,
      unevaluated: false })
  } else if (mode === 'tile') {
    ajv = new Ajv({ allErrors: true, strictTypes: false, strictTuples: false })
  } else if (mode === 'loose2020') {
    ajv = new Ajv2020({ strict: false, allErrors: true })
  } else {
    ajv = new Ajv({ strict: false, allErrors: true })
  }
  addFormats(ajv)
  return ajv
}

const noop = () => {}
// one instance per mode, as a node keeps one per schema; each schema is
// removed after its case so none sees another's
const instances = {}
console.warn = noop // strict "log" warnings of the tile options
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
rl.on('line', (line) => {
  if (!line) return
  const c = JSON.parse(line)
  const ajv = instances[c.mode] || (instances[c.mode] = build(c.mode))
  ajv.logger = { log: noop, warn: noop, error: noop }
  let validate
  try {
    validate = ajv.compile(c.schema)
  } catch (e) {
    ajv.removeSchema(c.schema)
    out.push('C')
    return
  }
  ajv.removeSchema(c.schema)
  let r = ''
  for (const d of c.data) {
    try {
      r += validate(d) ? 'v' : 'i'
    } catch (e) {
      r += 'i'
    }
  }
  out.push(r)
})
rl.on('close', () => process.stdout.write(out.join('\n') + '\n'))
