// Linking by pairing code (wa-protocol §5.2), server and phone side: companion_hello (validated,
// answered with a ref), the phone entering the code (primary_hello notification), companion_finish
// (key bundle opened with the secret both sides derived), then the same pair-success path as a
// QR scan.
#include <spdlog/spdlog.h>

#include "sim/link_code.h"
#include "sim/server.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

const Bytes* ChildBytes(const Node& parent, std::string_view tag) {
    const Node* c = parent.Child(tag);
    return c ? c->ContentBytes() : nullptr;
}

std::string ChildText(const Node& parent, std::string_view tag) {
    const Node* c = parent.Child(tag);
    if (!c) return {};
    if (auto s = c->ContentString()) return std::string(*s);
    return {};
}

}  // namespace

void SimConnection::HandleLinkCodeIq(const Node& iq) {
    const Node& lc = *iq.Child("link_code_companion_reg");
    const std::string stage(lc.AttrOr("stage", ""));
    auto& reg = *registration_;
    if (reg.pairing) return SendIqError(iq, 409, "conflict");

    if (stage == "companion_hello") {
        auto jid = wa::ParseJid(lc.AttrOr("jid", ""));
        if (!jid || !jid->IsPnUser() || jid->device != 0) return SendIqError(iq, 400, "bad-request");
        const Bytes* wrapped = ChildBytes(lc, "link_code_pairing_wrapped_companion_ephemeral_pub");
        const Bytes* auth_key = ChildBytes(lc, "companion_server_auth_key_pub");
        const std::string platform_id = ChildText(lc, "companion_platform_id");
        if (!wrapped || wrapped->size() != kWrappedKeySize || !auth_key || platform_id.empty())
            return SendIqError(iq, 400, "bad-request");
        // The companion names the noise key it registered with.
        if (!ConstantTimeEqual(*auth_key, crypto::View(noise_key_))) return SendIqError(iq, 400, "bad-request");
        // Nonce: the string "0" (Baileys) or the byte 0x00 (whatsmeow).
        if (const Node* nonce = lc.Child("link_code_pairing_nonce")) {
            const Bytes* b = nonce->ContentBytes();
            const bool ok = b && (*b == Bytes{'0'} || *b == Bytes{0x00});
            if (!ok && nonce->ContentString().value_or("") != "0") return SendIqError(iq, 400, "bad-request");
        }
        if (!server_.FindAccount(jid->user)) return SendIqError(iq, 404, "item-not-found");
        Registration::LinkCode code;
        code.phone = jid->user;
        code.wrapped_companion_ephemeral = *wrapped;
        code.ref = "2@" + Base64Encode(RandomBytes(18));
        code.platform_id = platform_id;
        reg.link_code = std::move(code);
        SendIqResult(iq, {Node("link_code_companion_reg", Attrs{},
                               NodeList{Node("link_code_pairing_ref", Attrs{}, ToBytes(reg.link_code->ref))})});
        spdlog::info("[sim] companion asks to link {} by code", jid->user);
        return;
    }

    if (stage == "companion_finish") {
        if (!reg.link_code || !reg.link_code->primary_ephemeral) return SendIqError(iq, 400, "bad-request");
        auto& code = *reg.link_code;
        const Bytes* bundle = ChildBytes(lc, "link_code_pairing_wrapped_key_bundle");
        const Bytes* identity = ChildBytes(lc, "companion_identity_public");
        const Bytes* ref = ChildBytes(lc, "link_code_pairing_ref");
        auto jid = wa::ParseJid(lc.AttrOr("jid", ""));
        if (!bundle || !identity || !ref || !jid || jid->user != code.phone) return SendIqError(iq, 400, "bad-request");
        if (AsString(*ref) != code.ref) return SendIqError(iq, 404, "item-not-found");
        if (!ConstantTimeEqual(*identity, crypto::View(reg.identity))) return SendIqError(iq, 400, "bad-request");
        Account* account = server_.MutableAccount(code.phone);
        if (!account) return SendIqError(iq, 404, "item-not-found");
        LinkCodeAttempt& attempt = server_.link_attempts_[code.phone];

        auto shared = crypto::SharedSecret(code.primary_ephemeral->priv, code.companion_ephemeral);
        Result<KeyBundle> opened = shared ? OpenKeyBundle(*bundle, *shared) : Result<KeyBundle>(shared.error());
        code.primary_ephemeral.reset();  // one try per entered code
        if (!opened) {
            const bool wrong = opened.error().code == "wrong_code" || opened.error().code == "weak_public_key";
            attempt.status = wrong ? "wrong_code" : "failed";
            attempt.message = opened.error().message;
            spdlog::info("[sim] {}: pairing code rejected ({})", code.phone, attempt.status);
            return SendIqError(iq, wrong ? 401 : 400, wrong ? "not-authorized" : "bad-request");
        }
        if (opened->companion_identity != reg.identity || opened->primary_identity != account->identity.pub) {
            attempt.status = "failed";
            attempt.message = "the key bundle names other identities";
            return SendIqError(iq, 400, "bad-request");
        }
        auto identity_shared = crypto::SharedSecret(account->identity.priv, reg.identity);
        if (!identity_shared) {
            attempt.status = "failed";
            attempt.message = identity_shared.error().message;
            return SendIqError(iq, 400, "bad-request");
        }
        const Bytes adv_secret = DeriveLinkCodeAdvSecret(*shared, *identity_shared, opened->random);
        SendIqResult(iq);
        const ScanResult paired = server_.BeginPairing(*account, *this, adv_secret, code.platform_id);
        attempt.status = "paired";
        attempt.message.clear();
        attempt.device_id = paired.device_id;
        spdlog::info("[sim] {} linked by code: pairing device {}", code.phone, paired.device_id);
        return;
    }
    SendIqError(iq, 400, "bad-request");
}

Result<LinkCodeAttempt> SimServer::EnterLinkCode(std::string_view phone, std::string_view typed) {
    Account* account = MutableAccount(phone);
    if (!account) return MakeError("no_account", "no such account");
    auto code = NormalizeLinkCode(typed);
    if (!code) return code.error();
    // The newest companion that asked to link this number and is not pairing yet.
    SimConnection* conn = nullptr;
    for (auto& [key, c] : pending_) {
        if (c->closed() || !c->registration_ || c->registration_->pairing) continue;
        const auto& lc = c->registration_->link_code;
        if (lc && lc->phone == account->phone) conn = c;
    }
    if (!conn) return MakeError("no_waiting_device", "no connected device asked to link this number by code");
    auto& lc = *conn->registration_->link_code;
    auto companion = UnwrapWithLinkCode(*code, lc.wrapped_companion_ephemeral);
    if (!companion) return companion.error();
    lc.companion_ephemeral = *companion;
    lc.primary_ephemeral = crypto::GenerateKeyPair();
    const Bytes wrapped = WrapWithLinkCode(*code, lc.primary_ephemeral->pub, RandomBytes(32), RandomBytes(16));
    conn->Send(Node("notification",
                    Attrs{{"from", "s.whatsapp.net"}, {"type", "link_code_companion_reg"}, {"id", ToHex(RandomBytes(8))},
                          {"t", std::to_string(now())}},
                    NodeList{Node("link_code_companion_reg", Attrs{{"stage", "primary_hello"}},
                                  NodeList{Node("link_code_pairing_ref", Attrs{}, ToBytes(lc.ref)),
                                           Node("primary_identity_pub", Attrs{}, crypto::ToBytes(account->identity.pub)),
                                           Node("link_code_pairing_wrapped_primary_ephemeral_pub", Attrs{}, wrapped)})}));
    LinkCodeAttempt attempt{lc.ref, "waiting", {}, 0};
    link_attempts_[account->phone] = attempt;
    spdlog::info("[sim] {} entered a pairing code", account->phone);
    return attempt;
}

const LinkCodeAttempt* SimServer::LinkCodeStatus(std::string_view phone) const {
    auto it = link_attempts_.find(std::string(phone));
    return it == link_attempts_.end() ? nullptr : &it->second;
}

}  // namespace wadesk::sim
