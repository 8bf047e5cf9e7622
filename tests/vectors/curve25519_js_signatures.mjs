// Produces the curve25519-js (libsignal-node, as used by Baileys) signature vectors embedded in
// tests/whatsapp/crypto/curve25519_test.cpp. Run from tests/js: node ../vectors/curve25519_js_signatures.mjs
import { createRequire } from 'node:module';
const require = createRequire(new URL('../js/package.json', import.meta.url));
const curve = require('libsignal/src/curve.js');

for (const [privHex, msgHex] of [
  ['4444444444444444444444444444444444444444444444444444444444444444', '050faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20'],
  ['a8abababababababababababababababababababababababababababababab6b', '68656c6c6f'],
]) {
  const priv = Buffer.from(privHex, 'hex');
  const pub = Buffer.from(curve.getPublicFromPrivateKey ? curve.getPublicFromPrivateKey(priv) : curve.generateKeyPair(priv).pubKey).subarray(1);
  const sig = Buffer.from(curve.calculateSignature(priv, Buffer.from(msgHex, 'hex')));
  console.log(JSON.stringify({ priv: privHex, pub: pub.toString('hex'), msg: msgHex, sig: sig.toString('hex') }));
}
