// SimConnection::HandleIq: the server's answers to a logged-in client's IQs (wa-protocol §6, §7,
// §10, §12). Every IQ gets exactly one reply; unknown ones get error 501.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sim/server.h"
#include "whatsapp/binary/jid.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

Bytes Be(std::uint32_t v, std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    return out;
}
std::optional<std::uint32_t> FromBe(const Bytes* b) {
    if (!b || b->empty() || b->size() > 4) return std::nullopt;
    std::uint32_t v = 0;
    for (auto x : *b) v = (v << 8) | x;
    return v;
}
Bytes K(const Key32& k) { return Bytes(k.begin(), k.end()); }
const Bytes* ChildBytes(const Node* parent, std::string_view tag) {
    const Node* c = parent ? parent->Child(tag) : nullptr;
    return c ? c->ContentBytes() : nullptr;
}
std::optional<Key32> ChildKey(const Node* parent, std::string_view tag) {
    const Bytes* b = ChildBytes(parent, tag);
    if (!b) return std::nullopt;
    auto k = crypto::ToKey32(*b);
    if (!k) return std::nullopt;
    return *k;
}

Node Bundle(std::string jid, std::uint32_t reg_id, const Key32& identity, const SignedPreKey& spk,
            std::optional<PreKey> one_time) {
    NodeList c;
    c.emplace_back("registration", Attrs{}, Be(reg_id, 4));
    c.emplace_back("type", Attrs{}, Bytes{0x05});
    c.emplace_back("identity", Attrs{}, K(identity));
    if (one_time) {
        c.emplace_back("key", Attrs{}, NodeList{Node("id", {}, Be(one_time->id, 3)), Node("value", {}, K(one_time->pub))});
    }
    c.emplace_back("skey", Attrs{},
                   NodeList{Node("id", {}, Be(spk.id, 3)), Node("value", {}, K(spk.pub)),
                            Node("signature", {}, spk.signature)});
    return Node("user", Attrs{{"jid", std::move(jid)}}, std::move(c));
}

}  // namespace

void SimConnection::HandleIq(const Node& iq) {
    const std::string xmlns(iq.AttrOr("xmlns", ""));
    const std::string type(iq.AttrOr("type", ""));
    Account* me = server_.MutableAccount(phone_);
    if (!me || !me->devices.count(device_)) return Terminate(std::nullopt, "device no longer registered");
    Device& dev = me->devices[device_];

    if (xmlns == "w:p") return SendIqResult(iq);
    if (xmlns == "passive") return SendIqResult(iq);

    if (xmlns == "encrypt") {
        if (type == "get" && iq.Child("count")) {
            return SendIqResult(iq, {Node("count", Attrs{{"value", std::to_string(dev.prekeys.size())}})});
        }
        if (type == "get" && iq.Child("digest")) {
            NodeList list;
            for (const auto& p : dev.prekeys) list.emplace_back("id", Attrs{}, Be(p.id, 3));
            return SendIqResult(
                iq, {Node("digest", Attrs{},
                          NodeList{Node("registration", {}, Be(dev.registration_id, 4)), Node("type", {}, Bytes{0x05}),
                                   Node("identity", {}, K(dev.identity)),
                                   Node("skey", {},
                                        NodeList{Node("id", {}, Be(dev.signed_prekey.id, 3)),
                                                 Node("value", {}, K(dev.signed_prekey.pub)),
                                                 Node("signature", {}, dev.signed_prekey.signature)}),
                                   Node("list", {}, std::move(list))})});
        }
        if (type == "set" && (iq.Child("list") || iq.Child("skey") || iq.Child("rotate"))) {
            // Prekey upload: <registration><type><identity><list><key><id><value>...</list><skey>.
            if (auto reg = FromBe(ChildBytes(&iq, "registration")); reg && ChildBytes(&iq, "registration")->size() == 4) {
                dev.registration_id = *reg;
            }
            if (auto ident = ChildKey(&iq, "identity"); ident && *ident != dev.identity) {
                return SendIqError(iq, 400, "identity-mismatch");
            }
            if (const Node* list = iq.Child("list")) {
                for (const Node* key : list->Children("key")) {
                    auto id = FromBe(ChildBytes(key, "id"));
                    auto value = ChildKey(key, "value");
                    if (!id || !value) return SendIqError(iq, 400, "bad-request");
                    std::erase_if(dev.prekeys, [&](const PreKey& p) { return p.id == *id; });
                    dev.prekeys.push_back(PreKey{*id, *value, Key32{}});
                }
            }
            const Node* skey = iq.Child("skey");
            if (!skey && iq.Child("rotate")) skey = iq.Child("rotate")->Child("skey");
            if (skey) {
                auto id = FromBe(ChildBytes(skey, "id"));
                auto value = ChildKey(skey, "value");
                const Bytes* sig = ChildBytes(skey, "signature");
                if (!id || !value || !sig || sig->size() != 64) return SendIqError(iq, 400, "bad-request");
                Bytes msg{0x05};
                msg.insert(msg.end(), value->begin(), value->end());
                if (!crypto::Verify(dev.identity, msg, *sig)) return SendIqError(iq, 406, "bad-signature");
                dev.signed_prekey = SignedPreKey{*id, *value, Key32{}, *sig};
            }
            server_.Persist(*me);
            SendIqResult(iq);
            // A new companion has keys now: the phone pushes its history (wa-protocol §10).
            if (device_ != 0) server_.PhonePushHistory(*me, device_);
            return;
        }
        if (type == "get" && iq.Child("key")) {
            NodeList users;
            std::vector<const Account*> changed;  // accounts whose one-time prekeys were popped
            for (const Node* u : iq.Child("key")->Children("user")) {
                const std::string jid_text(u->AttrOr("jid", ""));
                auto jid = wa::ParseJid(jid_text);
                Account* acct = jid ? server_.AccountForUser(jid->user, jid->IsLid()) : nullptr;
                if (jid && acct && jid->device == 0) {
                    // The phone keeps the private half until a pkmsg uses it, and its pool stocked.
                    std::optional<PreKey> otk = IssuePhonePrekey(*acct);
                    changed.push_back(acct);
                    users.push_back(Bundle(jid_text, acct->registration_id, acct->identity.pub, acct->signed_prekey, otk));
                    continue;
                }
                if (jid && acct && acct->devices.count(jid->device)) {
                    Device& d = acct->devices[jid->device];
                    std::optional<PreKey> otk;
                    if (!d.prekeys.empty()) {
                        otk = d.prekeys.front();
                        d.prekeys.erase(d.prekeys.begin());
                        changed.push_back(acct);
                    }
                    users.push_back(Bundle(jid_text, d.registration_id, d.identity, d.signed_prekey, otk));
                    continue;
                }
                users.emplace_back("user", Attrs{{"jid", jid_text}},
                                   NodeList{Node("error", Attrs{{"code", "404"}, {"text", "item-not-found"}})});
            }
            std::sort(changed.begin(), changed.end());
            changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
            for (const Account* a : changed) server_.Persist(*a);
            return SendIqResult(iq, {Node("list", Attrs{}, std::move(users))});
        }
        return SendIqError(iq, 501, "feature-not-implemented");
    }

    if (xmlns == "usync" && iq.Child("usync")) {
        const Node& usync = *iq.Child("usync");
        const Node* query = usync.Child("query");
        const bool want_devices = query && query->Child("devices");
        const bool want_lid = query && query->Child("lid");
        NodeList users;
        const Node* list = usync.Child("list");
        for (const Node* u : list ? list->Children("user") : std::vector<const Node*>{}) {
            const std::string jid_text(u->AttrOr("jid", ""));
            auto jid = wa::ParseJid(jid_text);
            Account* acct = nullptr;
            if (jid) acct = server_.AccountForUser(jid->user, jid->IsLid());
            if (!jid && u->Child("contact")) {
                // onWhatsApp by phone number: <contact>+digits</contact>
                auto text = u->Child("contact")->ContentString();
                std::string digits;
                for (char ch : text.value_or("")) {
                    if (ch >= '0' && ch <= '9') digits += ch;
                }
                acct = server_.MutableAccount(digits);
            }
            NodeList children;
            if (want_devices) {
                NodeList devices;
                if (acct) {
                    devices.emplace_back("device", Attrs{{"id", "0"}});
                    for (const auto& [id, d] : acct->devices) {
                        devices.emplace_back("device",
                                             Attrs{{"id", std::to_string(id)}, {"key-index", std::to_string(d.key_index)}});
                    }
                }
                children.emplace_back("devices", Attrs{}, NodeList{Node("device-list", Attrs{}, std::move(devices))});
            }
            if (want_lid && acct) children.emplace_back("lid", Attrs{{"val", acct->lid + "@lid"}});
            if (query && query->Child("contact")) {
                children.emplace_back("contact", Attrs{{"type", acct ? "in" : "out"}});
            }
            Attrs attrs;
            if (!jid_text.empty()) {
                attrs.Add("jid", jid_text);
            } else if (acct) {
                attrs.Add("jid", acct->phone + "@s.whatsapp.net");
            }
            users.emplace_back("user", std::move(attrs), std::move(children));
        }
        return SendIqResult(iq, {Node("usync", usync.attrs, NodeList{Node("list", Attrs{}, std::move(users))})});
    }

    if (xmlns == "w:m" && iq.Child("media_conn")) {
        // wa-protocol §11: a fresh upload credential and the media host(s).
        NodeList hosts;
        if (!server_.media().hostname.empty()) {
            hosts.emplace_back("host", Attrs{{"hostname", server_.media().hostname},
                                             {"maxContentLengthBytes", std::to_string(MediaHost::kMaxUpload)}});
        }
        return SendIqResult(iq, {Node("media_conn",
                                      Attrs{{"auth", server_.media().IssueAuth(server_.now())},
                                            {"ttl", std::to_string(MediaHost::kConnTtl)},
                                            {"auth_ttl", std::to_string(MediaHost::kAuthTtl)},
                                            {"max_buckets", "12"}},
                                      std::move(hosts))});
    }
    if (xmlns == "w:g2") return HandleGroupIq(iq);
    if (xmlns == "abt") return SendIqResult(iq, {Node("props", Attrs{{"protocol", "1"}, {"hash", "sim"}})});
    if (xmlns == "blocklist") return SendIqResult(iq, {Node("list", Attrs{}, NodeList{})});
    if (xmlns == "privacy") {
        if (type == "get" && iq.Child("privacy")) {
            NodeList cats;
            for (auto [name, value] : {std::pair{"last", "all"}, {"online", "all"}, {"profile", "all"},
                                       {"status", "all"}, {"groupadd", "all"}, {"readreceipts", "all"},
                                       {"calladd", "all"}}) {
                cats.emplace_back("category", Attrs{{"name", name}, {"value", value}});
            }
            return SendIqResult(iq, {Node("privacy", Attrs{}, std::move(cats))});
        }
        return SendIqResult(iq);  // tokens set, settings set
    }
    if (xmlns == "w:sync:app:state" && iq.Child("sync")) {
        NodeList cols;
        for (const Node* c : iq.Child("sync")->Children("collection")) {
            cols.emplace_back("collection", Attrs{{"name", std::string(c->AttrOr("name", ""))},
                                                  {"version", std::string(c->AttrOr("version", "0"))}});
        }
        return SendIqResult(iq, {Node("sync", Attrs{}, std::move(cols))});
    }
    if (xmlns == "md" && iq.Child("remove-companion-device")) {
        const std::string jid_text(iq.Child("remove-companion-device")->AttrOr("jid", ""));
        auto jid = wa::ParseJid(jid_text);
        const bool self = jid && jid->device == device_ &&
                          ((jid->IsPnUser() && jid->user == phone_) || (jid->IsLid() && jid->user == me->lid));
        if (!self) return SendIqError(iq, 403, "forbidden");
        SendIqResult(iq);
        me->devices.erase(device_);
        server_.Persist(*me);
        spdlog::info("[sim] {}:{} logged out (remove-companion-device)", phone_, device_);
        return Terminate(std::nullopt, "device removed itself");
    }
    SendIqError(iq, 501, "feature-not-implemented");
}

}  // namespace wadesk::sim
