#pragma once
// Binary node encoder (see wire.h for the format).
//
// Strings (tags, attribute keys and values) are encoded in this order of preference, the order
// Baileys and whatsmeow use, so output is byte-identical to Baileys' encodeBinaryNode for the
// same node:
//   1. single-byte token, 2. double-byte token,
//   3. NIBBLE_8 if all of `0-9 - .` and at most 127 characters,
//   4. HEX_8 if all of `0-9 A-F` (uppercase) and at most 127 characters,
//   5. a JID if it contains '@': AD_JID when the user part has a `:device`, else JID_PAIR,
//   6. raw bytes as BINARY_8 / BINARY_20 / BINARY_32 (the empty string is BINARY_8 00).
// Every choice decodes back to exactly the same text. Where Baileys' JID handling would lose
// information (a `:0` device, a device on a non-user server, `user_agent` without a device, a
// malformed device), the encoder falls back to a form that keeps the text.
// Byte content is always BINARY_8 / BINARY_20 / BINARY_32.
#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/binary/node.h"

namespace wadesk::wa {

// The node alone, without a flags byte. Fails (code "node_too_large") only when a list has more
// than 65535 entries or a string or blob is 4 GiB or more.
Result<Bytes> EncodeNode(const Node& node);

enum class Compression { kNone, kZlib };

// A frame plaintext: flags byte 0x00 followed by the node, or with kZlib flags 0x02 followed by
// the zlib-compressed node.
Result<Bytes> EncodeStanza(const Node& node, Compression compression = Compression::kNone);

}  // namespace wadesk::wa
