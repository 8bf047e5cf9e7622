#pragma once
// WhatsApp's media connection (wa-protocol §11): the `media_conn` IQ that names the media hosts
// and issues an upload credential, and the answer's lifetime. Pure; Session sends the IQ and
// caches the answer.
#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "whatsapp/binary/node.h"

namespace wadesk::wa {

struct MediaConn {
    std::string auth;                // upload credential (standard base64; URL-encode it)
    std::chrono::seconds ttl{0};     // how long hosts and auth may be reused
    std::vector<std::string> hosts;  // hostname[:port], in the server's order
    std::chrono::steady_clock::time_point fetched_at{};

    bool Fresh(std::chrono::steady_clock::time_point now) const { return now < fetched_at + ttl; }
};

// <iq xmlns='w:m' type='set' to='s.whatsapp.net'><media_conn/></iq>
Node MediaConnIq();

// The IQ's answer. Errors: media_conn_failed (no answer, an error answer, no host, no auth).
Result<MediaConn> ParseMediaConn(const Node* reply, std::chrono::steady_clock::time_point now);

}  // namespace wadesk::wa
