#!/usr/bin/env node
// Produces tests/vectors/binary_corpus.json: binary nodes covering every wire marker and all four
// double-byte dictionaries, with the bytes Baileys' encodeBinaryNode produces for them, plus
// hand-made decode-only stanzas (FB/INTEROP JIDs, zlib, alternative empty strings) with the node
// Baileys' decodeBinaryNode produces. Used by tests/js/wa-codec.test.mjs (both directions against
// wa-codec-tool) and as the fuzz seed corpus (scripts/run-fuzz.sh).
//
// Usage: node tests/vectors/gen-binary-corpus.mjs   (needs tests/js/node_modules)
//
// Node JSON: {"tag","attrs":[[k,v],...],"content": null | [nodes] | {"hex"} | {"fill","len"}}.
// Attribute keys never look like array indices (JS objects would reorder them) and no string is
// an Object.prototype property name (Baileys' token map is a plain object).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toBaileys, fromBaileys, expand } from '../js/lib/wa-codec-nodes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const baileys = await import(join(here, '../js/node_modules/baileys/lib/index.js'));
const constants = await import(join(here, '../js/node_modules/baileys/lib/WABinary/constants.js'));
const { encodeBinaryNode, decodeBinaryNode } = baileys;

const N = (tag, attrs = [], content = null) => ({ tag, attrs, content });
const hex = (s) => ({ hex: Buffer.from(s, 'utf8').toString('hex') });
const blob = (bytes) => ({ hex: Buffer.from(bytes).toString('hex') });
const safe = (s) => !(s in Object.prototype) && !/^(0|[1-9]\d*)$/.test(s);

const S = constants.SINGLE_BYTE_TOKENS;
const D = constants.DOUBLE_BYTE_TOKENS;

const roundTrip = [];
const add = (name, node) => roundTrip.push({ name, node });

// The protocol-notes vectors.
add('iq-ping', N('iq', [['id', '1234.5678-1'], ['to', '@s.whatsapp.net'], ['type', 'get'], ['xmlns', 'w:p']], [N('ping')]));
add('receipt-read', N('receipt', [['id', '3EB0ABCDEF0123456789AB'], ['to', '15550001111:5@s.whatsapp.net'], ['type', 'read'], ['t', '1700000000']]));
add('user-lid', N('user', [['jid', '100000000000011:5@lid']]));
add('enc-pkmsg', N('enc', [['v', '2'], ['type', 'pkmsg']], blob([1, 2, 3])));
add('message-body', N('message', [['to', '15550002222@s.whatsapp.net'], ['id', 'abc']], [N('body', [], hex('hi'))]));

// Every single-byte token, as tag, key and value.
{
  const tokens = S.slice(1).filter((t) => t !== '');
  const children = [];
  for (let i = 0; i < tokens.length; i += 8) {
    const group = tokens.slice(i, i + 8);
    const attrs = [];
    for (const [j, t] of group.entries()) attrs.push([safe(t) ? t : `k${j}`, t]);
    children.push(N(safe(group[0]) ? group[0] : 'x', attrs.filter(([k], idx, all) => all.findIndex(([kk]) => kk === k) === idx)));
  }
  add('single-byte-tokens', N('iq', [], children));
}
// Every double-byte token of each dictionary as an attribute value (256 attributes -> LIST_16),
// and a few as tags and keys.
for (let d = 0; d < 4; d++) {
  add(`dictionary-${d}-values`, N(D[d][0], D[d].map((t, i) => [`a${i}`, t])));
  add(`dictionary-${d}-keys`, N(D[d][1], D[d].slice(2, 40).filter(safe).map((t, i) => [t, D[(d + 1) % 4][i]])));
}
// Packed strings.
add('nibble', N('n', [['even', '1234'], ['odd', '123'], ['dots', '1.5-7'], ['max', '9'.repeat(127)], ['over', '9'.repeat(128)], ['dash', '-.-.']]));
add('hex', N('h', [['even', '3EB0ABCDEF01'], ['odd', 'ABCDE'], ['all', '0123456789ABCDEF'], ['max', 'F'.repeat(127)], ['over', 'A'.repeat(128)], ['lower', 'abcdef'], ['mixed', '12ab']]));
// Raw strings.
add('raw', N('r', [['ascii', 'hello world'], ['utf8', 'h\u00e9llo \u2713 \u{1F600}'], ['empty', ''], ['long', 'x'.repeat(300)]]));
// JIDs.
add('jids', N('j', [
  ['server', '@s.whatsapp.net'],
  ['pn', '15551234567@s.whatsapp.net'],
  ['pndev', '15551234567:5@s.whatsapp.net'],
  ['lid', '100000000000011@lid'],
  ['liddev', '100000000000011:33@lid'],
  ['hosted', '15551234567:99@hosted'],
  ['hostedlid', '100000000000011:99@hosted.lid'],
  ['group', '120363000000000000@g.us'],
  ['oldgroup', '15551234567-1600000000@g.us'],
  ['status', 'status@broadcast'],
  ['bcast', '1600000000@broadcast'],
  ['channel', '120363000000000001@newsletter'],
  ['bot', '13135550002@bot'],
  ['tokenuser', 'status@s.whatsapp.net'],
  ['rawuser', 'someone@example.com'],
  ['lidserver', '@lid'],
  ['maxdev', '15551234567:255@s.whatsapp.net'],
]));
// Content forms.
add('content-empty-list', N('list', [], []));
add('content-empty-bytes', N('b', [], blob([])));
add('content-binary8', N('b', [], blob([...Array(255).keys()])));
add('content-binary20', N('b', [], blob([...Array(300).keys()].map((i) => (i * 7) & 0xff))));
add('content-binary20-large', N('b', [['type', 'media']], { fill: '0123456789abcdef', len: 70000 }));
add('content-binary20-max', N('b', [], { fill: 'a5', len: (1 << 20) - 1 }));
add('content-binary32', N('b', [], { fill: '5a', len: 1 << 20 }));
add('content-text', N('body', [], hex('Hello, \u4e16\u754c')));
// LIST_16 children: an 812-prekey upload.
{
  const keys = [];
  for (let i = 1; i <= 812; i++) {
    const id = [(i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff];
    const pub = Array.from({ length: 32 }, (_, j) => (i * 31 + j) & 0xff);
    keys.push(N('key', [], [N('id', [], blob(id)), N('value', [], blob(pub))]));
  }
  add('prekey-upload-812', N('iq', [['xmlns', 'encrypt'], ['type', 'set'], ['to', '@s.whatsapp.net'], ['id', '3EB0C0FFEE']], [
    N('registration', [], blob([0, 0, 0x12, 0x34])),
    N('type', [], blob([5])),
    N('identity', [], blob(Array(32).fill(9))),
    N('list', [], keys),
    N('skey', [], [N('id', [], blob([0, 0, 1])), N('value', [], blob(Array(32).fill(7))), N('signature', [], blob(Array(64).fill(8)))]),
  ]));
}
// Nesting.
{
  let node = N('leaf', [['depth', '24']]);
  for (let i = 23; i >= 0; i--) node = N('n', [['depth', String(i)]], [node]);
  add('nested-24', node);
}
// A realistic message stanza.
add('message-pkmsg', N('message', [['id', '3EB0A1B2C3D4E5F60718'], ['to', '100000000000022@lid'], ['type', 'text'], ['t', '1700000123']], [
  N('participants', [], [
    N('to', [['jid', '100000000000022@lid']], [N('enc', [['v', '2'], ['type', 'pkmsg']], blob(Array(180).fill(0xee)))]),
    N('to', [['jid', '100000000000011:7@lid']], [N('enc', [['v', '2'], ['type', 'msg']], blob(Array(90).fill(0xdd)))]),
  ]),
  N('device-identity', [], blob(Array(150).fill(0x42))),
]));

// Decode-only stanzas: forms Baileys never encodes, decoded by Baileys to record the node.
const decodeOnly = [
  ['fb-jid', '00f8031d0cf6ff0212340005cc'],
  ['fb-jid-device0', '00f8031d0cf6ff021234000003'],
  ['interop-jid-server', '00f8031d0cf5ff02123400050007fc07696e7465726f70'],
  ['interop-jid-default-server', '00f8031d0cf5ff0212340005' + '0007'],
  ['nibble-empty-string', '00f8031d0cff00'],
  ['list-empty-string', '00f8031d0c00'],
  ['binary20-string', '00f8031d0cfd0000026869'],
  ['binary32-string', '00f8031d0cfe000000026869'],
  ['ad-jid-device0-lid', '00f8031d0cf70100ff03123456'],
  ['ad-jid-device0-pn', '00f8031d0cf70000ff03123456'],
  ['jid-pair-raw-user', '00f8031d0cfafc0161fc0162'],
  ['token-content', '00f8021919'],
  ['nibble-content', '00f80219ff021234'],
  ['jid-content', '00f80219fa0003'],
  ['double-token-content', '00f80219ef10'],
  ['flags-other-bits', '01f80119'],
  ['zlib-iq-ping', '02789cfbc125c9f1bf4dc8646b7a97bce02f0666164db1f01f8c3f18c30075ad08a4'],
];

const out = { about: 'Generated by tests/vectors/gen-binary-corpus.mjs with Baileys encodeBinaryNode/decodeBinaryNode.', roundTrip: [], decodeOnly: [] };
for (const { name, node } of roundTrip) {
  const bytes = encodeBinaryNode(toBaileys(node));
  const back = fromBaileys(await decodeBinaryNode(bytes));
  if (JSON.stringify(back) !== JSON.stringify(expand(node))) throw new Error(`${name}: Baileys does not round-trip its own node`);
  const entry = { name, node, length: bytes.length };
  if (bytes.length <= 4096) entry.hex = bytes.toString('hex');
  else entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  out.roundTrip.push(entry);
}
for (const [name, h] of decodeOnly) {
  const node = fromBaileys(await decodeBinaryNode(Buffer.from(h, 'hex')));
  out.decodeOnly.push({ name, hex: h, node });
}
const file = join(here, 'binary_corpus.json');
const lines = (list) => list.map((e) => JSON.stringify(e)).join(',\n');
writeFileSync(file, `{"about": ${JSON.stringify(out.about)},\n"roundTrip": [\n${lines(out.roundTrip)}\n],\n"decodeOnly": [\n${lines(out.decodeOnly)}\n]}\n`);
console.log(`wrote ${file}: ${out.roundTrip.length} round-trip, ${out.decodeOnly.length} decode-only`);
