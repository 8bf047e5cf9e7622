#include "engine/identity.h"

#include "whatsapp/binary/jid.h"

namespace wadesk::engine {

namespace {

struct Pair {
    std::string pn;    // user@s.whatsapp.net, or empty
    std::string lid;   // user@lid, or empty
    std::string seen;  // the primary JID without device (or as given when it does not parse)
};

Pair Split(const std::string& primary, const std::string& alternate) {
    Pair p;
    auto a = wa::ParseJid(primary);
    p.seen = a ? a->ToNonAd().ToString() : primary;
    for (const std::string* text : {&primary, &alternate}) {
        auto j = wa::ParseJid(*text);
        if (!j) continue;
        if (j->IsPnUser() && p.pn.empty()) p.pn = j->ToNonAd().ToString();
        if (j->IsLid() && p.lid.empty()) p.lid = j->ToNonAd().ToString();
    }
    return p;
}

}  // namespace

void FillIdentities(const wa::IncomingMessage& m, service::IncomingMessage& out) {
    const Pair chat = Split(m.chat, m.chat_alt);
    out.chat_jid = chat.pn.empty() ? chat.seen : chat.pn;
    out.chat_lid = chat.pn.empty() ? std::string() : chat.lid;  // a LID-only chat's JID is its LID
    const Pair sender = Split(m.sender, m.sender_alt);
    out.sender_jid = sender.pn.empty() ? sender.seen : sender.pn;
    out.sender_lid = sender.lid;
    out.sender_phone.clear();
    if (auto pn = wa::ParseJid(sender.pn)) out.sender_phone = pn->user;
}

domain::GroupParticipant PersonOf(const std::string& jid, const std::string& alternate) {
    const Pair p = Split(jid, alternate);
    domain::GroupParticipant out;
    out.jid = p.pn.empty() ? p.seen : p.pn;
    out.lid = p.lid;
    if (auto pn = wa::ParseJid(p.pn)) out.phone = pn->user;
    return out;
}

}  // namespace wadesk::engine
