// json-print.mjs - what JavaScript's own JSON.parse / JSON.stringify do, as
// expected values for tests/test_json.c (core/json.c must match them).
//
//   cd tests/vectors/gen && node json-print.mjs
//
// writes ../json-print.json. Needs only node (no npm packages); the output is
// deterministic (no clock, no Math.random). Layout (see README.md):
//   print:         [{name, text, compact, pretty}]  compact = JSON.stringify(JSON.parse(text)),
//                  pretty = JSON.stringify(JSON.parse(text), null, 2). The texts are every
//                  *_json text of js-cases.json (genesis and update cases; then name is
//                  "<case name>/<field>" and text is null: read it from js-cases.json) and the
//                  samples below. To keep the file small, compact is null when it equals
//                  the text, and pretty is null when the text is over 10000 characters.
//   numbers:       [[bits, text]]  text = JSON.stringify(x) of the double whose IEEE-754
//                  bits (16 hex digits, big-endian) are given.
//   parse_numbers: [[literal, bits|null]]  bits of JSON.parse(literal); null when JSON.parse
//                  gives +-Infinity (ceramicfs rejects those literals).
//   strings:       [{text, utf8_hex}]  the UTF-8 bytes (TextEncoder, as every JS library
//                  that writes UTF-8 does) of the string JSON.parse(text) returns; lone
//                  surrogates become U+FFFD.
import fs from 'node:fs'

const here = new URL('.', import.meta.url)
const cases = JSON.parse(fs.readFileSync(new URL('../js-cases.json', here), 'utf8')).cases

// ---------------------------------------------------------------- print
const samples = {
  'scalars-null': 'null',
  'scalars-true': 'true',
  'scalars-false': 'false',
  'scalars-zero': '0',
  'scalars-string': '"x"',
  'empty-object': '{}',
  'empty-array': '[]',
  'whitespace-everywhere': ' \t\r\n{ "a" : [ 1 , 2 , { } , [ ] ] , "b" : { "c" : null } }\n',
  'nested-pretty': '{"a":[],"b":{},"c":[1,{"d":[]},[[[]]],{"e":{"f":{}}}],"g":"h","i":[null,true,false,-1.5e-9]}',
  'array-of-empties': '[[],{},[[]],[{}],{"a":{}},{"a":[]}]',
  'deep-mixed': '[{"a":[{"b":[{"c":[{"d":[1,2,3]}]}]}]}]',
  'integer-like-keys': '{"b":1,"10":2,"2":3,"0":4,"4294967294":5,"4294967295":6,"01":7,"-1":8,"1.5":9,"a":10," 3":11,"3 ":12,"00":13}',
  'integer-like-keys-nested': '{"z":{"9":1,"1":2,"x":3},"1":[{"20":1,"3":2}]}',
  'escapes': '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\\u0020\\u007f\\u0080\\u00ff"',
  'escape-all-controls': '["\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\u0009\\u000a\\u000b\\u000c\\u000d\\u000e\\u000f","\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"]',
  'unicode-escaped': '"\\u00e9\\u65E5\\uD83D\\uDE00\\u2028\\u2029\\uFEFF\\uffff\\udbff\\udfff"',
  'unicode-raw': '{"café":"crème","日本":"語","😀":"\u{10ffff}","sep":"\u2028\u2029","del":"\u007f"}',
  'nul-in-keys-and-values': '{"\\u0000":"a\\u0000b","k\\u0000":["\\u0000"]}',
  'slash-and-html': '"</script><!-- & \' />"',
  'numbers-mixed': '[0,-0,1,-1,0.1,0.5,1.5,1e21,1e-7,123456789012345680000,5e-324,1.7976931348623157e308,9007199254740992,0.000001,1e-6,100,1e2,1E2,1e+2,-0.0,0e0,0E-0,1.0,12.50,4.2e1,-2.5e-3,1e20,1e-5,123e-20,0.1e1]',
  'numbers-in-objects': '{"a":1e300,"b":-1e-300,"c":2.5,"d":[1e6,1e7,1e15,1e16,1e17,1e21,1e22]}',
  'big-integers': '[9007199254740993,18446744073709551615,18446744073709551616,-18446744073709551617,100000000000000000000000]',
  'long-fraction': '[0.1000000000000000055511151231257827021181583404541015625,3.14159265358979323846264338327950288]',
}
const print = []
const addPrint = (name, text, inline) => {
  const v = JSON.parse(text)
  const compact = JSON.stringify(v)
  print.push({
    name,
    text: inline ? text : null,
    compact: compact === text ? null : compact,
    pretty: text.length > 10000 ? null : JSON.stringify(v, null, 2),
  })
}
for (const c of cases) {
  if (c.kind !== 'genesis' && c.kind !== 'update') continue
  for (const k of ['content_json', 'old_json', 'new_json', 'patch_json'])
    if (typeof c[k] === 'string') addPrint(`${c.name}/${k}`, c[k], false)
}
for (const [name, text] of Object.entries(samples)) addPrint(`sample/${name}`, text, true)

// ---------------------------------------------------------------- numbers
const dv = new DataView(new ArrayBuffer(8))
const bitsOf = (x) => { dv.setFloat64(0, x); return dv.getBigUint64(0).toString(16).padStart(16, '0') }
const ofBits = (b) => { dv.setBigUint64(0, b); return dv.getFloat64(0) }

const doubles = new Map()  // bits -> value, insertion ordered, no repeats
const addDouble = (x) => { if (Number.isFinite(x)) doubles.set(bitsOf(x), x) }
for (const x of [0, -0, 1, -1, 0.1, 0.5, 1.5, 1e21, 1e-7, 123456789012345680000, 5e-324,
  1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, 2 ** 53 - 1, -(2 ** 53), 0.000001, 1e-6, 100, 1e2,
  1e20, 1e-6 * 0.999999, 9.999999999999999e20, 999999999999999900000, 1.5e-7, 2.2250738585072014e-308,
  2.225073858507201e-308, 4.35, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, Math.PI, Math.E, 123.456, -123.456e-10,
  4294967295, 4294967296, 1e15, 1e16, 1e17, 12345678901234567890])
  addDouble(x)
for (let e = -1074; e <= 1023; e++) addDouble(2 ** e)  // the asymmetric-interval cases
for (let e = -323; e <= 308; e++) {                       // powers of ten and their neighbours
  const x = Number(`1e${e}`)
  addDouble(x)
  dv.setFloat64(0, x)
  const b = dv.getBigUint64(0)
  addDouble(ofBits(b + 1n))
  if (b > 1n) addDouble(ofBits(b - 1n))
}
let s = 0x9e3779b97f4a7c15n  // xorshift64*, fixed seed
const next = () => {
  s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n
  return (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn
}
for (let i = 0; i < 1000; i++) addDouble(ofBits(next()))
for (let i = 0; i < 300; i++) addDouble(Number(next() % 10000000000000000000000n) / 1e6)
const numbers = [...doubles].map(([bits, x]) => [bits, JSON.stringify(x)])

const literals = ['0', '-0', '0.0', '-0.0', '0e5', '-0e-5', '1', '1.0', '1e0', '1E+0', '10e-1',
  '0.1', '0.2', '0.3', '1e21', '1e22', '1e23', '8.98846567431158e307', '1.7976931348623157e308',
  '1.7976931348623158e308', '1.7976931348623159e308', '1e308', '1e309', '1e400', '-1e400',
  '2.2250738585072011e-308', '2.2250738585072012e-308', '2.2250738585072014e-308',
  '4.9406564584124654e-324', '2.4703282292062327e-324', '2.4703282292062328e-324',
  '2.47032822920623272e-324', '1e-323', '1e-324', '1e-400', '-1e-400',
  '9007199254740991', '9007199254740992', '9007199254740993', '9007199254740995',
  '18446744073709551615', '18446744073709551616', '-18446744073709551616',
  '123456789012345678901234567890', '0.1000000000000000055511151231257827021181583404541015625',
  '0.1000000000000000055511151231257827021181583404541015624',
  '0.1000000000000000055511151231257827021181583404541015626',
  '1' + '0'.repeat(400) + 'e-400', '0.' + '0'.repeat(400) + '1e400', '1e-1000000000000',
  '1e1000000000000', '0e1000000000000', '3.141592653589793238462643383279', '1e-7', '1E-7',
  '100000000000000000000000', '-2.5e-3', '4.2e1', '5e-324', '-5e-324']
const parseNumbers = literals.map((l) => {
  const x = JSON.parse(l)
  return [l, Number.isFinite(x) ? bitsOf(x) : null]
})

// ---------------------------------------------------------------- strings
const stringTexts = ['"\\ud800"', '"\\udc00"', '"\\udbff\\udfff"', '"\\ud800\\u0041"', '"a\\ud800b"',
  '"\\udc00\\ud800"', '"\\ud800\\ud800\\udc00"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00\\ud83d"',
  '"x\\ud800"', '"\\ud800\\n"', '"\\u0000"', '"\\uffff"', '"\\ufffd"']
const enc = new TextEncoder()
const strings = stringTexts.map((text) => ({ text, utf8_hex: Buffer.from(enc.encode(JSON.parse(text))).toString('hex') }))

const out = {
  generator: 'tests/vectors/gen/json-print.mjs',
  node: process.version,
  print,
  numbers,
  parse_numbers: parseNumbers,
  strings,
}
fs.writeFileSync(new URL('../json-print.json', here), JSON.stringify(out, null, 1) + '\n')
console.log(`json-print.json: ${print.length} print, ${numbers.length} numbers, ` +
  `${parseNumbers.length} parse_numbers, ${strings.length} strings`)
