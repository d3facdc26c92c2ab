// jsonpatch-diff.mjs — expected outputs of fast-json-patch 3.1.1 compare()
// for tests/test_jsonpatch.c. Copy it into a scratch directory (outside the
// repository), run `npm install fast-json-patch@3.1.1` there, then:
//   node jsonpatch-diff.mjs table    prints the rows of diff_table
//   node jsonpatch-diff.mjs random > jsonpatch-diff.json
// Inputs are JSON texts; each is given to compare() through JSON.parse, so
// JavaScript's own key order (integer-like keys first) applies, while the C
// test parses the same text with cJSON in written order.
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const jsonpatch = require('fast-json-patch');
const version = require('fast-json-patch/package.json').version;

const table = [
  ['{}', '{}'],
  ['{"a":1}', '{"a":1}'],
  ['{"a":1}', '{"a":2}'],
  ['{"a":1,"b":2}', '{"b":2}'],
  ['{"a":1}', '{"a":1,"b":2}'],
  ['{"a":1,"b":2,"c":3}', '{"c":4,"d":5,"a":1}'],
  ['{"a":{"b":{"c":1,"d":[1,2]}}}', '{"a":{"b":{"c":2,"d":[1,3,4]}}}'],
  ['[1,2,3]', '[4]'],
  ['[1]', '[1,2,3]'],
  ['[]', '[1,[2],{"a":3}]'],
  ['[1,2,3]', '[]'],
  ['[{"a":1},{"b":2}]', '[{"a":2},{"b":2},{"c":3}]'],
  ['[[1,2],[3]]', '[[1],[3,4],[5]]'],
  ['[{"a":[1,2,3]}]', '[{"a":[1,2]},5]'],
  ['{"a":[1]}', '{"a":{"0":1}}'],
  ['{"a":{}}', '{"a":[]}'],
  ['{"a":[]}', '{"a":{}}'],
  ['{"n":1,"s":"1","t":true,"z":null,"f":false}', '{"n":"1","s":1,"t":1,"z":false,"f":null}'],
  ['{"a":null,"b":{}}', '{"a":{},"b":null}'],
  ['{"a":[1,2]}', '{"a":"[1,2]"}'],
  ['{"t":true}', '{"t":false}'],
  ['{"a":1,"b":1.5,"c":0}', '{"a":1.0,"b":1.50,"c":-0}'],
  ['{"a":0.30000000000000004,"b":1e21}', '{"a":0.3,"b":1000000000000000000000}'],
  ['{"a":"x"}', '{"a":"x "}'],
  ['{"a/b":1,"m~n":2,"~1":3}', '{"a/b":2,"m~n":3,"~1":4,"x/~y":5}'],
  ['{"":1}', '{"":2}'],
  ['{"":{"":1}}', '{"":{"":2,"/":3}}'],
  ['{"b":1,"a":2,"10":3,"2":4}', '{"b":1,"10":4,"x":5,"1":6}'],
  ['{"x":1,"01":2,"-1":3,"4294967295":4,"4294967294":5,"1":6}', '{"y":1}'],
  ['{"z":1,"y":2,"x":3}', '{}'],
  ['{}', '{"z":1,"7":2,"y":3,"3":4}'],
  ['{"\u00e9":1,"\u65e5\u672c":2}', '{"\u65e5\u672c":3,"\u00fc":4}'],
  ['{"a":1,"b":2}', '{"c":1,"d":2}'],
  ['{"a":1,"b":2}', '{"b":3,"a":1}'],
  ['{"a":1}', '{"a":1,"b":{"c":[1,{"d":null}]}}'],
  ['{"a":{"b":1}}', '{"a":{"b":1},"c":{"d":{}}}'],
  ['{"list":[{"id":1,"tags":["x"]},{"id":2}],"n":null}', '{"list":[{"id":1,"tags":["x","y"]}],"n":0,"extra":[[]]}'],
  ['{"a":[[[1]]]}', '{"a":[[[2]],[]]}'],
];

function cstr(s) {
  let out = '"';
  for (const ch of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(ch);
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (ch >= 0x20 && ch < 0x7f) out += c;
    else out += '\\' + ch.toString(8).padStart(3, '0');
  }
  return out + '"';
}

function printTable() {
  for (const [a, b] of table) {
    const p = JSON.stringify(jsonpatch.compare(JSON.parse(a), JSON.parse(b)));
    console.log(`    {${cstr(a)},\n     ${cstr(b)},\n     ${cstr(p)}},`);
  }
}

/* A small deterministic PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'c', 'd', 'xy', '', '0', '1', '2', '10', '01', '-1', 'a/b', 'm~n', '~1', '\u00e9', 'k k'];
const STRS = ['', 'a', 'b', 'hello', '~/', '\u65e5'];
const NUMS = [0, 1, 2, -1, 1.5, -0.25, 1e21, 123456789, 0.1];

function pick(r, a) { return a[Math.floor(r() * a.length)]; }

function scalar(r) {
  switch (Math.floor(r() * 5)) {
  case 0: return pick(r, NUMS);
  case 1: return pick(r, STRS);
  case 2: return r() < 0.5;
  case 3: return null;
  default: return Math.floor(r() * 5);
  }
}

/* A random value as [text, value]: objects are written in a shuffled key
 * order that JSON.parse then normalises, so the C side sees other orders. */
function gen(r, depth) {
  const x = r();
  if (depth <= 0 || x < 0.4) {
    const v = scalar(r);
    return JSON.stringify(v);
  }
  if (x < 0.65) {
    const n = Math.floor(r() * 5);
    const items = [];
    for (let i = 0; i < n; i++) items.push(gen(r, depth - 1));
    return '[' + items.join(',') + ']';
  }
  const n = Math.floor(r() * 6);
  const keys = [];
  for (let i = 0; i < n; i++) {
    const k = pick(r, KEYS);
    if (!keys.includes(k)) keys.push(k);
  }
  return '{' + keys.map(k => JSON.stringify(k) + ':' + gen(r, depth - 1)).join(',') + '}';
}

/* Rewrite a text value with random edits, keeping most of it. */
function mutate(r, text, depth) {
  const v = JSON.parse(text);
  if (r() < 0.15) return gen(r, depth);
  if (Array.isArray(v)) {
    const items = v.map(e => JSON.stringify(e));
    const out = [];
    for (const it of items) {
      const y = r();
      if (y < 0.15) continue;
      out.push(y < 0.5 ? mutate(r, it, depth - 1) : it);
    }
    while (r() < 0.3) out.push(gen(r, depth - 1));
    return '[' + out.join(',') + ']';
  }
  if (v !== null && typeof v === 'object') {
    // keep the original text order of keys: re-read it from the text
    const entries = Object.entries(v);
    const order = entries.map(([k]) => k).sort(() => r() - 0.5);
    const out = [];
    for (const k of order) {
      const y = r();
      if (y < 0.15) continue;
      const t = JSON.stringify(v[k]);
      out.push([k, y < 0.5 ? mutate(r, t, depth - 1) : t]);
    }
    while (r() < 0.3) {
      const k = pick(r, KEYS);
      if (!out.some(([q]) => q === k)) out.push([k, gen(r, depth - 1)]);
    }
    return '{' + out.map(([k, t]) => JSON.stringify(k) + ':' + t).join(',') + '}';
  }
  return r() < 0.5 ? text : JSON.stringify(scalar(r));
}

function printRandom() {
  const r = rng(6902);
  const cases = [];
  while (cases.length < 400) {
    let a = gen(r, 4);
    if (!a.startsWith('{') && !a.startsWith('[')) a = '{"root":' + a + '}';
    let b = mutate(r, a, 4);
    const ka = a[0], kb = b[0];
    if (ka !== kb) continue;  // compare() is only meaningful on same-kind roots
    cases.push({ from: a, to: b, patch: jsonpatch.compare(JSON.parse(a), JSON.parse(b)) });
  }
  console.log(JSON.stringify({
    generator: 'jsonpatch-diff.mjs random',
    'fast-json-patch': version,
    notes: ['patch = JSON.stringify(compare(JSON.parse(from), JSON.parse(to))); from and to are the texts as written (key order not normalised)'],
    cases,
  }, null, 1));
}

if (process.argv[2] === 'table') printTable();
else if (process.argv[2] === 'random') printRandom();
else { console.error('usage: node jsonpatch-diff.mjs table|random'); process.exit(2); }
