#pragma once
// Binary node decoder (see wire.h for the format).
//
// Input is peer bytes: every malformed, truncated or oversized input gives an Error, never a
// crash, an out-of-bounds read or an allocation sized by an unchecked length field. Error codes:
//   empty_stanza, truncated, bad_tag, bad_token, bad_list, bad_packed, bad_jid, bad_node,
//   too_deep, too_many_nodes, too_large, trailing_bytes, inflate_failed, inflate_too_large.
// JID encodings decode to their text form (AD_JID device 0 prints without ":0"; AD_JID domain
// types other than 0/1/128/129 print as `user_<domain>:device@s.whatsapp.net`). String-encoded
// content (tokens, packed text, JIDs) decodes to the bytes of that text.
#include <cstddef>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/binary/node.h"

namespace wadesk::wa {

struct DecodeLimits {
    std::size_t max_depth = 64;                     // nesting of nodes; separately, of JIDs within JIDs
    std::size_t max_nodes = 1u << 18;               // nodes in one stanza
    std::size_t max_inflated_bytes = 4u << 20;      // decompressed size of a zlib stanza
    std::size_t max_decoded_bytes = 64u << 20;      // approximate memory of the decoded Node tree
};

// One node with no flags byte; the whole input must be consumed.
Result<Node> DecodeNode(BytesView data, const DecodeLimits& limits = {});

// A frame plaintext: flags byte, then the node (inflated first when flag 0x02 is set).
Result<Node> DecodeStanza(BytesView data, const DecodeLimits& limits = {});

// Inflates a zlib (RFC 1950) stream of at most `max_output` decompressed bytes. The stream must
// end exactly at the end of `data`.
Result<Bytes> ZlibInflate(BytesView data, std::size_t max_output);

// Compresses with zlib (RFC 1950, default level).
Bytes ZlibDeflate(BytesView data);

}  // namespace wadesk::wa
