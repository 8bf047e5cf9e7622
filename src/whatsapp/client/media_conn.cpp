#include "whatsapp/client/media_conn.h"

namespace wadesk::wa {

Node MediaConnIq() {
    return Node("iq", Attrs{{"xmlns", "w:m"}, {"type", "set"}, {"to", "s.whatsapp.net"}}, NodeList{Node("media_conn")});
}

Result<MediaConn> ParseMediaConn(const Node* reply, std::chrono::steady_clock::time_point now) {
    if (!reply) return MakeError("media_conn_failed", "no answer to media_conn");
    if (reply->AttrOr("type", "") != "result") return MakeError("media_conn_failed", "media_conn refused");
    const Node* mc = reply->Child("media_conn");
    if (!mc) return MakeError("media_conn_failed", "media_conn answer without <media_conn>");
    MediaConn out;
    out.auth = std::string(mc->AttrOr("auth", ""));
    out.ttl = std::chrono::seconds(std::max<std::int64_t>(0, mc->GetAttrInt("ttl").value_or(0)));
    out.fetched_at = now;
    for (const Node* host : mc->Children("host")) {
        const std::string name(host->AttrOr("hostname", ""));
        if (!name.empty()) out.hosts.push_back(name);
    }
    if (out.auth.empty() || out.hosts.empty()) return MakeError("media_conn_failed", "media_conn without auth or host");
    return out;
}

}  // namespace wadesk::wa
