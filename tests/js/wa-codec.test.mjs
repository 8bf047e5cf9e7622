// Cross-checks the C++ binary node codec and wa.proto against Baileys (the reference peer), in
// both directions, through the wa-codec-tool test helper:
//  - corpus nodes (tests/vectors/binary_corpus.json): our encoding is byte-identical to Baileys',
//    our bytes decode in Baileys to the same node, Baileys' bytes decode in ours to the same node
//    and re-encode identically;
//  - decode-only stanzas (FB/INTEROP JIDs, zlib, alternative empty strings): same node in both;
//  - a few hundred random nodes, same checks;
//  - protobuf messages built with Baileys' WAProto: ours parses them to the same fields and our
//    re-serialization decodes in WAProto to the same message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBinaryNode, decodeBinaryNode, proto } from 'baileys';
import * as constants from 'baileys/lib/WABinary/constants.js';
import { CodecTool } from './lib/wa-codec-tool.mjs';
import { expand, toBaileys, fromBaileys } from './lib/wa-codec-nodes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = JSON.parse(readFileSync(join(here, '../vectors/binary_corpus.json'), 'utf8'));
let tool;

before(() => { tool = new CodecTool(); });
after(async () => { await tool?.close(); });

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function checkBothWays(name, node) {
  const want = expand(node);
  const theirs = encodeBinaryNode(toBaileys(node));
  const ours = await tool.encode(node);
  assert.equal(ours.ok, true, `${name}: our encode failed: ${ours.message}`);
  assert.equal(ours.hex, theirs.toString('hex'), `${name}: encodings differ for ${JSON.stringify(node).slice(0, 400)}`);
  // ours -> Baileys
  assert.deepEqual(fromBaileys(await decodeBinaryNode(Buffer.from(ours.hex, 'hex'))), want, `${name}: Baileys decodes ours differently`);
  // Baileys -> ours
  const decoded = await tool.decode(theirs.toString('hex'));
  assert.equal(decoded.ok, true, `${name}: our decode failed: ${decoded.message}`);
  assert.deepEqual(decoded.node, want, `${name}: we decode Baileys' bytes differently`);
  assert.equal(decoded.reencoded, theirs.toString('hex'), `${name}: our re-encoding differs`);
  return theirs;
}

test('corpus nodes encode identically and decode the same in both codecs', async () => {
  assert.ok(corpus.roundTrip.length >= 25);
  for (const { name, node, hex, sha256: digest, length } of corpus.roundTrip) {
    const bytes = await checkBothWays(name, node);
    assert.equal(bytes.length, length, `${name}: corpus length is stale`);
    if (hex) assert.equal(bytes.toString('hex'), hex, `${name}: corpus bytes are stale`);
    else assert.equal(sha256(bytes), digest, `${name}: corpus digest is stale`);
  }
});

test('corpus covers every wire marker and all four double-byte dictionaries', () => {
  const seen = new Set();
  const scan = (hex) => { for (let i = 0; i < hex.length; i += 2) seen.add(parseInt(hex.slice(i, i + 2), 16)); };
  for (const e of corpus.roundTrip) if (e.hex) scan(e.hex);
  for (const e of corpus.decodeOnly) scan(e.hex);
  // Byte presence is a necessary (not sufficient) check; the per-entry names document intent.
  for (const marker of [0, 236, 237, 238, 239, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255]) {
    assert.ok(seen.has(marker), `marker ${marker} never appears`);
  }
  const names = corpus.roundTrip.map((e) => e.name);
  for (const n of ['content-binary20', 'content-binary32', 'prekey-upload-812', 'dictionary-0-values', 'dictionary-3-values']) {
    assert.ok(names.includes(n), n);
  }
});

test('decode-only stanzas decode to the same node in both codecs', async () => {
  for (const { name, hex, node } of corpus.decodeOnly) {
    assert.deepEqual(fromBaileys(await decodeBinaryNode(Buffer.from(hex, 'hex'))), node, `${name}: corpus is stale`);
    const ours = await tool.decode(hex);
    assert.equal(ours.ok, true, `${name}: our decode failed: ${ours.message}`);
    assert.deepEqual(ours.node, node, `${name}: decoded differently`);
    // Our re-encoding of the decoded node must decode (in Baileys too) to the same node.
    assert.deepEqual(fromBaileys(await decodeBinaryNode(Buffer.from(ours.reencoded, 'hex'))), node, `${name}: re-encoding`);
  }
});

test('malformed stanzas are errors in our decoder', async () => {
  for (const hex of ['', '00', '00f8', '00f80119ff', '00f80219fe7fffffff', '00f801f0', '00f80119' + '00', '02deadbeef']) {
    const r = await tool.decode(hex);
    assert.equal(r.ok, false, `${hex} should not decode`);
    assert.match(r.error, /^[a-z_]+$/);
  }
});

// Deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random nodes encode identically and decode the same in both codecs', async () => {
  const rand = rng(20261128);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (n) => Math.floor(rand() * n);
  const S = constants.SINGLE_BYTE_TOKENS.slice(1);
  const D = constants.DOUBLE_BYTE_TOKENS.flat();
  const digits = (n) => Array.from({ length: n }, () => int(10)).join('');
  const safe = (s) => !(s in Object.prototype) && !/^(0|[1-9]\d*)$/.test(s);
  const strings = [
    () => pick(S), () => pick(D), () => digits(1 + int(30)), () => digits(int(3)) + '.' + digits(1 + int(4)) + '-' + digits(1),
    () => Array.from({ length: 1 + int(40) }, () => '0123456789ABCDEF'[int(16)]).join(''),
    () => `${digits(11)}@s.whatsapp.net`, () => `${digits(11)}:${1 + int(255)}@s.whatsapp.net`,
    () => `${digits(15)}@lid`, () => `${digits(15)}:${1 + int(99)}@lid`, () => `${digits(11)}:99@hosted`,
    () => `${digits(15)}:99@hosted.lid`, () => `${digits(18)}@g.us`, () => '@s.whatsapp.net', () => 'status@broadcast',
    // Printable text without '@': strings with '@' that are not well-formed JIDs are encoded
    // differently on purpose (ours keeps the text, Baileys may mangle it), see encoder.h.
    () => Array.from({ length: int(20) }, () => String.fromCharCode(32 + int(95))).join('').replaceAll('@', '#'),
    () => 'x'.repeat(int(400)), () => '',
  ];
  const str = () => pick(strings)();
  const key = () => { for (;;) { const k = pick(strings.slice(0, 2))(); if (safe(k) && k !== '') return k; } };
  const tagName = () => { for (;;) { const t = str(); if (t !== '' && safe(t)) return t; } };
  const node = (depth) => {
    const attrs = [];
    const used = new Set();
    for (let i = int(6); i > 0; i--) { const k = key(); if (!used.has(k)) { used.add(k); attrs.push([k, str()]); } }
    let content = null;
    const c = int(4);
    if (c === 1 && depth < 5) content = Array.from({ length: int(5) }, () => node(depth + 1));
    else if (c === 2) content = { hex: Buffer.from(Array.from({ length: pick([0, 3, 32, 255, 256, 600]) }, () => int(256))).toString('hex') };
    return { tag: tagName(), attrs, content };
  };
  for (let i = 0; i < 400; i++) await checkBothWays(`random #${i}`, node(0));
});

// ---- protobuf ----

const toObj = (type, msg) => type.toObject(msg, { longs: String, enums: String, bytes: String });

async function checkProto(typeName, type, object) {
  const msg = type.fromObject(object);
  const bytes = Buffer.from(type.encode(msg).finish());
  const ours = await tool.proto(typeName, bytes.toString('hex'));
  assert.equal(ours.ok, true, `${typeName}: ${ours.message}`);
  const want = toObj(type, type.decode(bytes));
  // Our parse sees the same fields (unknown fields would be missing from our JSON).
  assert.deepEqual(ours.json, JSON.parse(JSON.stringify(want)), `${typeName}: fields differ`);
  // Our serialization decodes in WAProto to the same message.
  assert.deepEqual(toObj(type, type.decode(Buffer.from(ours.hex, 'hex'))), want, `${typeName}: re-serialization differs`);
  return bytes;
}

const b64 = (n, fill = 1) => Buffer.alloc(n, fill).toString('base64');

test('protobuf vectors of the protocol notes match WAProto', async () => {
  assert.equal((await checkProto('Message', proto.Message, { conversation: 'hi' })).toString('hex'), '0a026869');
  assert.equal((await checkProto('Message', proto.Message, { extendedTextMessage: { text: 'hi' } })).toString('hex'), '32040a026869');
  assert.equal((await checkProto('Message', proto.Message, {
    deviceSentMessage: { destinationJid: '15550002222@s.whatsapp.net', message: { conversation: 'hi' } },
  })).toString('hex'), 'fa01220a1a313535353030303232323240732e77686174736170702e6e657412040a026869');
});

test('wa.proto field numbers agree with WAProto for the messages we use', async () => {
  const key = { remoteJid: '15550002222@s.whatsapp.net', fromMe: true, id: '3EB0ABCDEF', participant: '1@lid' };
  const media = { url: 'https://mmg.whatsapp.net/x', mimetype: 'image/jpeg', fileSha256: b64(32), fileLength: '12345', mediaKey: b64(32, 2), fileEncSha256: b64(32, 3), directPath: '/v/t62/x', mediaKeyTimestamp: '1700000000' };
  const messages = [
    { extendedTextMessage: { text: 'reply', matchedText: 'm', contextInfo: { stanzaId: 'ABC', participant: '1@s.whatsapp.net', quotedMessage: { conversation: 'q' }, remoteJid: 'g@g.us', mentionedJid: ['a@s.whatsapp.net', 'b@lid'], isForwarded: true, forwardingScore: 2, expiration: 86400 } } },
    { imageMessage: { ...media, caption: 'c', height: 10, width: 20, jpegThumbnail: b64(8), viewOnce: true } },
    { videoMessage: { url: 'u', mimetype: 'video/mp4', fileSha256: b64(32), fileLength: '99', seconds: 5, mediaKey: b64(32), caption: 'v', gifPlayback: true, height: 1, width: 2, fileEncSha256: b64(32), directPath: '/d', mediaKeyTimestamp: '5' } },
    { audioMessage: { url: 'u', mimetype: 'audio/ogg', fileSha256: b64(32), fileLength: '7', seconds: 3, ptt: true, mediaKey: b64(32), fileEncSha256: b64(32), directPath: '/d', mediaKeyTimestamp: '6', waveform: b64(4) } },
    { documentMessage: { url: 'u', mimetype: 'application/pdf', title: 't', fileSha256: b64(32), fileLength: '8', pageCount: 2, mediaKey: b64(32), fileName: 'f.pdf', fileEncSha256: b64(32), directPath: '/d', mediaKeyTimestamp: '7', caption: 'doc' } },
    { stickerMessage: { url: 'u', fileSha256: b64(32), fileEncSha256: b64(32), mediaKey: b64(32), mimetype: 'image/webp', height: 64, width: 64, directPath: '/d', fileLength: '100', mediaKeyTimestamp: '8', isAnimated: true } },
    { locationMessage: { degreesLatitude: 52.5, degreesLongitude: 13.25, name: 'n', address: 'a', url: 'u', comment: 'c' } },
    { contactMessage: { displayName: 'Bob', vcard: 'BEGIN:VCARD\nEND:VCARD' } },
    { reactionMessage: { key, text: '\u{1F44D}', senderTimestampMs: '1700000000000' } },
    { protocolMessage: { key, type: 'HISTORY_SYNC_NOTIFICATION', historySyncNotification: { fileSha256: b64(32), fileLength: '1000', mediaKey: b64(32), fileEncSha256: b64(32), directPath: '/h', syncType: 'INITIAL_BOOTSTRAP', chunkOrder: 1, originalMessageId: 'ID', progress: 50, oldestMsgInChunkTimestampSec: '1600000000', initialHistBootstrapInlinePayload: b64(10) } } },
    { protocolMessage: { key, type: 'REVOKE' } },
    { protocolMessage: { type: 'MESSAGE_EDIT', editedMessage: { conversation: 'edited' }, timestampMs: '1700000000001' } },
    { protocolMessage: { type: 'LID_MIGRATION_MAPPING_SYNC', lidMigrationMappingSyncMessage: { encodedMappingPayload: b64(12) } } },
    { senderKeyDistributionMessage: { groupId: '1@g.us', axolotlSenderKeyDistributionMessage: b64(40) }, conversation: 'g' },
    { messageContextInfo: { deviceListMetadata: { senderKeyHash: b64(10), senderTimestamp: '1700000000', recipientKeyHash: b64(10), recipientTimestamp: '1700000001' }, deviceListMetadataVersion: 2, messageSecret: b64(32), paddingBytes: b64(3) }, conversation: 'x' },
    { ephemeralMessage: { message: { viewOnceMessageV2: { message: { imageMessage: { caption: 'once' } } } } } },
    { viewOnceMessage: { message: { conversation: 'a' } } },
    { documentWithCaptionMessage: { message: { documentMessage: { caption: 'b' } } } },
    { editedMessage: { message: { conversation: 'c' } } },
    { viewOnceMessageV2Extension: { message: { audioMessage: { ptt: true } } } },
  ];
  for (const m of messages) await checkProto('Message', proto.Message, m);

  const deviceProps = { os: 'Mac OS', version: { primary: 10, secondary: 15, tertiary: 7 }, platformType: 'CHROME', requireFullSync: false, historySyncConfig: { storageQuotaMb: 10240, inlineInitialPayloadInE2EeMsg: true, supportCallLogHistory: false, supportBotUserAgentChatHistory: true, supportCagReactionsAndPolls: true, supportBizHostedMsg: true, supportRecentSyncChunkMessageCountTuning: true, supportHostedGroupMsg: true, supportFbidBotChatHistory: true, supportMessageAssociation: true, supportGroupHistory: false, thumbnailSyncDaysLimit: 60 } };
  const dpBytes = await checkProto('DeviceProps', proto.DeviceProps, deviceProps);
  const common = {
    userAgent: { platform: 'WEB', appVersion: { primary: 2, secondary: 3000, tertiary: 1043857760 }, mcc: '000', mnc: '000', osVersion: '0.1', manufacturer: '', device: 'Desktop', osBuildNumber: '0.1', releaseChannel: 'RELEASE', localeLanguageIso6391: 'en', localeCountryIso31661Alpha2: 'US' },
    webInfo: { webSubPlatform: 'WEB_BROWSER' }, connectType: 'WIFI_UNKNOWN', connectReason: 'USER_ACTIVATED',
  };
  await checkProto('ClientPayload', proto.ClientPayload, { ...common, passive: false, pull: false, devicePairingData: { eRegid: b64(4), eKeytype: Buffer.from([5]).toString('base64'), eIdent: b64(32), eSkeyId: b64(3), eSkeyVal: b64(32), eSkeySig: b64(64), buildHash: b64(16), deviceProps: dpBytes.toString('base64') } });
  await checkProto('ClientPayload', proto.ClientPayload, { ...common, username: '15551234567', passive: true, pull: true, device: 3, lidDbMigrated: false, lc: 1, sessionId: -5, shards: [1, 2] });
  await checkProto('ClientPairingProps', proto.ClientPairingProps, { isChatDbLidMigrated: true, isSyncdPureLidSession: true });
  await checkProto('HandshakeMessage', proto.HandshakeMessage, { clientHello: { ephemeral: b64(32) } });
  await checkProto('HandshakeMessage', proto.HandshakeMessage, { serverHello: { ephemeral: b64(32), static: b64(48), payload: b64(100) } });
  await checkProto('HandshakeMessage', proto.HandshakeMessage, { clientFinish: { static: b64(48), payload: b64(200) } });
  const details = { serial: 1, issuerSerial: 0, key: b64(32), notBefore: '1700000000', notAfter: '1800000000' };
  const detailsBytes = await checkProto('CertChain.NoiseCertificate.Details', proto.CertChain.NoiseCertificate.Details, details);
  await checkProto('CertChain', proto.CertChain, { leaf: { details: detailsBytes.toString('base64'), signature: b64(64) }, intermediate: { details: b64(50), signature: b64(64) } });
  await checkProto('ADVDeviceIdentity', proto.ADVDeviceIdentity, { rawId: 123, timestamp: '1700000000', keyIndex: 2, accountType: 'E2EE', deviceType: 'HOSTED' });
  await checkProto('ADVSignedDeviceIdentity', proto.ADVSignedDeviceIdentity, { details: b64(20), accountSignatureKey: b64(32), accountSignature: b64(64), deviceSignature: b64(64) });
  await checkProto('ADVSignedDeviceIdentityHMAC', proto.ADVSignedDeviceIdentityHMAC, { details: b64(100), hmac: b64(32), accountType: 'HOSTED' });
  await checkProto('ADVKeyIndexList', proto.ADVKeyIndexList, { rawId: 1, timestamp: '2', currentIndex: 3, validIndexes: [0, 1, 5, 300], accountType: 'E2EE' });
  await checkProto('ADVSignedKeyIndexList', proto.ADVSignedKeyIndexList, { details: b64(20), accountSignature: b64(64), accountSignatureKey: b64(32) });
  const wmi = { key, message: { conversation: 'old' }, messageTimestamp: '1600000000', status: 'READ', participant: 'p@s.whatsapp.net', pushName: 'Alice', broadcast: false, messageStubParameters: ['a'], messageSecret: b64(32) };
  await checkProto('WebMessageInfo', proto.WebMessageInfo, wmi);
  await checkProto('HistorySync', proto.HistorySync, {
    syncType: 'RECENT', chunkOrder: 2, progress: 80,
    conversations: [{ id: '15550002222@s.whatsapp.net', messages: [{ message: wmi, msgOrderId: '1' }], unreadCount: 3, name: 'Chat', conversationTimestamp: '1600000001', archived: true, pnJid: '1@s.whatsapp.net', lidJid: '2@lid', displayName: 'D', username: 'u' }],
    pushnames: [{ id: '15550002222@s.whatsapp.net', pushname: 'Bob' }],
    phoneNumberToLidMappings: [{ pnJid: '15550002222@s.whatsapp.net', lidJid: '100000000000022@lid' }],
  });
  await checkProto('HistorySync', proto.HistorySync, { syncType: 'INITIAL_BOOTSTRAP', conversations: [{ id: 'x@g.us' }] });
  await checkProto('LIDMigrationMappingSyncPayload', proto.LIDMigrationMappingSyncPayload, { pnToLidMappings: [{ pn: '15550002222', assignedLid: '100000000000022', latestLid: '100000000000023' }], chatDbMigrationTimestamp: '1700000000' });
});
