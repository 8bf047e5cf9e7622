#include "whatsapp/client/connection_impl.h"

#include <algorithm>

#include "core/log.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/client/pairing_code.h"
#include "whatsapp/client/qr.h"

namespace wadesk::wa {

using namespace detail;

void Connection::Impl::HandlePairDevice(const Node& iq, const Node& pair_device) {
    if (creds.Registered()) return;
    SendIqResult(iq);
    refs.clear();
    for (const Node* ref : pair_device.Children("ref")) {
        if (auto s = ref->ContentString(); s && !s->empty()) refs.emplace_back(*s);
    }
    if (refs.empty()) return Fail(CloseKind::kTransient, "no_qr_refs");
    phase = Phase::kPairing;
    next_ref = 0;
    ShowNextQr();
}

void Connection::Impl::ShowNextQr() {
    if (next_ref >= refs.size()) return Fail(CloseKind::kQrTimeout, "qr_timeout", 408);
    if (next_ref == 0) qr_first_shown = now;
    auto ttl = std::chrono::duration_cast<std::chrono::seconds>(next_ref == 0 ? config.first_qr_ttl : config.next_qr_ttl);
    if (config.qr_wait_limit.count() > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(qr_first_shown + config.qr_wait_limit - now);
        if (left.count() <= 0) return Fail(CloseKind::kQrTimeout, "qr_timeout", 408);
        ttl = std::min(ttl, left);
    }
    const std::string text = BuildQrText(refs[next_ref], crypto::View(creds.noise.pub),
                                         crypto::View(creds.identity.pub), creds.adv_secret, config.platform_id);
    ++next_ref;
    qr_deadline = now + ttl;
    events.OnQr(text, ttl);
}

void Connection::Impl::RequestPairingCode(const std::string& phone, std::function<void(Result<std::string>)> done) {
    if (phase != Phase::kPairing || creds.Registered())
        return done(MakeError("session_not_pairing", "the session is not waiting to be linked"));
    if (phone.size() < 7 || phone.size() > 15 || phone[0] == '0' ||
        !std::all_of(phone.begin(), phone.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return done(MakeError("bad_phone", "phone number must be 7-15 digits in international form"));
    LinkCode lc;
    lc.code = NewPairingCode();
    lc.phone_jid = phone + "@s.whatsapp.net";
    lc.ephemeral = crypto::GenerateKeyPair();
    auto wrapped = WrapEphemeral(lc.code, lc.ephemeral.pub, RandomBytes(32), RandomBytes(16));
    if (!wrapped) return done(wrapped.error());
    const std::string platform_display = config.browser + " (" + config.os_name + ")";
    Node reg("link_code_companion_reg",
             {{"jid", lc.phone_jid}, {"stage", "companion_hello"}, {"should_show_push_notification", "true"}},
             NodeList{BytesNode("link_code_pairing_wrapped_companion_ephemeral_pub", std::move(*wrapped)),
                      BytesNode("companion_server_auth_key_pub", crypto::ToBytes(creds.noise.pub)),
                      BytesNode("companion_platform_id", ToBytes(config.platform_id)),
                      BytesNode("companion_platform_display", ToBytes(platform_display)),
                      BytesNode("link_code_pairing_nonce", ToBytes("0"))});
    link_code = std::move(lc);
    SendIq(Node("iq", {{"xmlns", "md"}, {"type", "set"}}, NodeList{std::move(reg)}),
           [this, code = link_code->code, done = std::move(done)](const Node* r) {
               if (!link_code || link_code->code != code) return done(MakeError("pairing_code_refused", "superseded"));
               if (!r) return done(MakeError("iq_timeout", "the server did not answer companion_hello"));
               if (r->AttrOr("type", "") != "result") {
                   const Node* e = r->Child("error");
                   const bool unknown = e && e->AttrOr("code", "") == "404";
                   link_code.reset();
                   return done(unknown ? MakeError("phone_not_registered", "this number is not on WhatsApp")
                                       : MakeError("pairing_code_refused", "the server refused companion_hello"));
               }
               if (const Node* reg_node = r->Child("link_code_companion_reg")) {
                   if (const Node* ref = reg_node->Child("link_code_pairing_ref"); ref && ref->ContentBytes())
                       link_code->ref = ToString(*ref->ContentBytes());
               }
               qr_deadline.reset();  // the code replaces the QR codes
               link_code_deadline = now + kPairingCodeTtl;
               done(Result<std::string>(boost::system::in_place_value, code));
           });
}

void Connection::Impl::HandlePrimaryHello(const Node& notification) {
    const Node* reg = notification.Child("link_code_companion_reg");
    if (!reg || !link_code || creds.Registered() || phase != Phase::kPairing) return;
    auto bytes_of = [&](std::string_view tag) -> const Bytes* {
        const Node* n = reg->Child(tag);
        return n ? n->ContentBytes() : nullptr;
    };
    const Bytes* ref = bytes_of("link_code_pairing_ref");
    const Bytes* primary_identity = bytes_of("primary_identity_pub");
    const Bytes* wrapped = bytes_of("link_code_pairing_wrapped_primary_ephemeral_pub");
    if (!ref || !primary_identity || !wrapped) {
        spdlog::warn("wa: primary_hello lacks ref, identity or wrapped key");
        return;
    }
    if (!link_code->ref.empty() && ToString(*ref) != link_code->ref) {
        spdlog::warn("wa: primary_hello for another pairing ref");
        return;
    }
    auto identity = crypto::ToKey32(*primary_identity);
    auto primary_ephemeral = UnwrapEphemeral(link_code->code, *wrapped);
    if (!identity || !primary_ephemeral) {
        spdlog::warn("wa: malformed primary_hello");
        return;
    }
    auto finish = BuildCompanionFinish(link_code->ephemeral, *primary_ephemeral, creds.identity, *identity,
                                       RandomBytes(32), RandomBytes(32), RandomBytes(12));
    if (!finish) {
        spdlog::warn("wa: cannot answer primary_hello: {}", finish.error().code);
        return;
    }
    // pair-success will be keyed with this secret (a wrong code on the phone gives a different
    // one, and the phone then fails to open the bundle).
    creds.adv_secret = finish->adv_secret;
    Node reg_out("link_code_companion_reg", {{"jid", link_code->phone_jid}, {"stage", "companion_finish"}},
                 NodeList{BytesNode("link_code_pairing_wrapped_key_bundle", std::move(finish->wrapped_key_bundle)),
                          BytesNode("companion_identity_public", crypto::ToBytes(creds.identity.pub)),
                          BytesNode("link_code_pairing_ref", *ref)});
    SendIq(Node("iq", {{"xmlns", "md"}, {"type", "set"}}, NodeList{std::move(reg_out)}), [](const Node* r) {
        if (r && r->AttrOr("type", "") == "error")
            spdlog::info("wa: companion_finish refused (wrong code entered on the phone?)");
    });
}

void Connection::Impl::HandlePairSuccess(const Node& iq, const Node& ps) {
    if (creds.Registered()) return;
    qr_deadline.reset();
    link_code_deadline.reset();
    const std::string id(iq.AttrOr("id", ""));
    auto reply_error = [&](int code, std::string text) {
        Node error("iq", {{"to", kServerJid}, {"type", "error"}, {"id", id}},
                   NodeList{Node("error", {{"code", std::to_string(code)}, {"text", text}})});
        SendNode(error);
        Fail(CloseKind::kFatal, "pairing_failed: " + text);
    };
    const Node* identity_node = ps.Child("device-identity");
    const Node* device = ps.Child("device");
    if (!identity_node || !identity_node->ContentBytes() || !device || !device->GetAttr("jid"))
        return reply_error(500, "internal-error");
    auto jid = ParseJid(*device->GetAttr("jid"));
    if (!jid || !jid->IsPnUser()) return reply_error(500, "internal-error");
    auto paired = VerifyAndSignDeviceIdentity(*identity_node->ContentBytes(), creds);
    if (!paired) {
        const std::string& code = paired.error().code;
        if (code == "hmac-mismatch" || code == "signature-mismatch") return reply_error(401, code);
        return reply_error(500, "internal-error");
    }
    Me me;
    me.jid = jid->ToString();
    me.lid = std::string(device->AttrOr("lid", ""));
    if (const Node* biz = ps.Child("biz")) me.name = std::string(biz->AttrOr("name", ""));
    if (const Node* platform = ps.Child("platform")) creds.platform = std::string(platform->AttrOr("name", ""));
    creds.me = me;
    creds.account = paired->account;
    SaveCredentials();
    if (!me.lid.empty()) signal.lid_map().LearnJids(me.jid, me.lid);  // own PN↔LID pair (§13 source 1)

    Node sign("pair-device-sign", {},
              NodeList{Node("device-identity", {{"key-index", std::to_string(paired->key_index)}},
                            paired->reply_identity)});
    Node reply("iq", {{"to", kServerJid}, {"type", "result"}, {"id", id}}, NodeList{std::move(sign)});
    SendNode(reply);
    events.OnPaired(me);
}

}  // namespace wadesk::wa
