#include "whatsapp/client/connection.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/clock.h"
#include "core/log.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/client/pairing_code.h"
#include "whatsapp/client/qr.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/frame.h"
#include "whatsapp/noise/handshake.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

namespace {

const std::string kServerJid = "@s.whatsapp.net";
constexpr std::string_view kServerFrom = "s.whatsapp.net";

Bytes BigEndian(std::uint32_t v, int width) {
    Bytes out;
    for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return out;
}

std::optional<std::uint32_t> FromBigEndian(const Bytes* b) {
    if (!b || b->empty() || b->size() > 4) return std::nullopt;
    std::uint32_t v = 0;
    for (auto c : *b) v = (v << 8) | c;
    return v;
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

Bytes Md5(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_md5(), nullptr);
    return Bytes(md, md + len);
}

Node BytesNode(std::string tag, Bytes content) { return Node(std::move(tag), {}, std::move(content)); }

std::string Hex4() {
    Bytes r = RandomBytes(2);
    return std::to_string((r[0] << 8) | r[1]);
}

}  // namespace

std::string_view CloseKindName(CloseKind kind) {
    switch (kind) {
        case CloseKind::kRestartRequired: return "restart_required";
        case CloseKind::kLoggedOut: return "logged_out";
        case CloseKind::kReplaced: return "replaced";
        case CloseKind::kQrTimeout: return "qr_timeout";
        case CloseKind::kTransient: return "transient";
        case CloseKind::kFatal: return "fatal";
        case CloseKind::kStopped: return "stopped";
    }
    return "unknown";
}

std::string NewMessageId() {
    std::string hex = ToHex(RandomBytes(9));
    std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    return "3EB0" + hex;
}

// ---- Impl --------------------------------------------------------------------------------------

struct Connection::Impl {
    const ClientConfig& config;
    Credentials& creds;
    CredentialStore& store;
    SignalManager& signal;
    ConnectionSink& sink;
    ClientEvents& events;

    Phase phase = Phase::kIdle;
    std::optional<noise::Initiator> initiator;
    noise::FrameReader reader;
    std::optional<noise::TransportKeys> transport;
    TimePoint now{};
    TimePoint handshake_deadline{};
    TimePoint last_receive{};
    std::optional<TimePoint> next_ping;

    // Pairing.
    std::vector<std::string> refs;
    std::size_t next_ref = 0;
    std::optional<TimePoint> qr_deadline;
    // Pairing by code (§5.2), after RequestPairingCode.
    struct LinkCode {
        std::string code;
        std::string phone_jid;
        crypto::KeyPair ephemeral;
        std::string ref;  // from the companion_hello result
    };
    std::optional<LinkCode> link_code;
    std::optional<TimePoint> link_code_deadline;

    // IQs.
    struct PendingIq {
        TimePoint deadline;
        std::function<void(const Node*)> on_response;
    };
    std::map<std::string, PendingIq> pending;
    std::string iq_prefix = Hex4() + "." + Hex4() + "-";
    std::uint64_t iq_counter = 1;
    bool sent_available = false;

    Impl(const ClientConfig& c, Credentials& cr, CredentialStore& s, SignalManager& sig, ConnectionSink& k,
         ClientEvents& e)
        : config(c), creds(cr), store(s), signal(sig), sink(k), events(e) {}

    bool Open() const { return phase != Phase::kClosed && phase != Phase::kIdle; }

    void SaveCredentials() { store.Put(store_keys::kCredentials, EncodeCredentials(creds)); }

    void Close(CloseInfo info) {
        if (phase == Phase::kClosed) return;
        phase = Phase::kClosed;
        qr_deadline.reset();
        link_code_deadline.reset();
        next_ping.reset();
        pending.clear();  // outstanding IQ callbacks are dropped, not called: the connection is gone
        spdlog::debug("wa connection closed: {} {} {}", CloseKindName(info.kind), info.code, info.reason);
        sink.Close(info);
    }

    void Fail(CloseKind kind, std::string reason, int code = 0) { Close(CloseInfo{kind, code, std::move(reason)}); }

    // ---- output
    void SendNode(const Node& node) {
        if (!transport || phase == Phase::kClosed) return;
        auto plain = EncodeStanza(node);
        if (!plain) {
            spdlog::warn("wa: cannot encode <{}>: {}", node.tag, plain.error().message);
            return;
        }
        auto sealed = transport->send.Encrypt(*plain);
        if (!sealed) return Fail(CloseKind::kTransient, "encrypt_failed");
        auto frame = noise::EncodeFrame(*sealed);
        if (!frame) {
            spdlog::warn("wa: stanza <{}> too large", node.tag);
            return;
        }
        sink.SendBytes(std::move(*frame));
    }

    std::string SendIq(Node iq, std::function<void(const Node*)> on_response) {
        std::string id(iq.AttrOr("id", ""));
        if (id.empty()) {
            id = iq_prefix + std::to_string(iq_counter++);
            iq.attrs.Set("id", id);
        }
        if (!iq.attrs.Has("to")) iq.attrs.Set("to", kServerJid);
        if (on_response) pending[id] = PendingIq{now + config.iq_timeout, std::move(on_response)};
        SendNode(iq);
        return id;
    }

    void SendIqResult(const Node& request) {
        Node reply("iq", {{"to", std::string(request.AttrOr("from", kServerJid))},
                          {"type", "result"},
                          {"id", std::string(request.AttrOr("id", ""))}});
        SendNode(reply);
    }

    void SendAck(const Node& stanza) {
        Node ack("ack", {{"class", stanza.tag},
                         {"id", std::string(stanza.AttrOr("id", ""))},
                         {"to", std::string(stanza.AttrOr("from", kServerJid))}});
        if (auto type = stanza.GetAttr("type"); type && stanza.tag != "message") ack.attrs.Set("type", std::string(*type));
        if (auto participant = stanza.GetAttr("participant")) ack.attrs.Set("participant", std::string(*participant));
        SendNode(ack);
    }

    // ---- handshake
    Bytes BuildClientPayload() {
        ClientPayload p;
        auto* ua = p.mutable_useragent();
        ua->set_platform(ClientPayload::UserAgent::WEB);
        auto* v = ua->mutable_appversion();
        v->set_primary(config.version_primary);
        v->set_secondary(config.version_secondary);
        v->set_tertiary(config.version_tertiary);
        ua->set_mcc("000");
        ua->set_mnc("000");
        ua->set_osversion("0.1");
        ua->set_manufacturer("");
        ua->set_device("Desktop");
        ua->set_osbuildnumber("0.1");
        ua->set_releasechannel(ClientPayload::UserAgent::RELEASE);
        ua->set_localelanguageiso6391("en");
        ua->set_localecountryiso31661alpha2("US");
        p.mutable_webinfo()->set_websubplatform(ClientPayload::WebInfo::WEB_BROWSER);
        p.set_connecttype(ClientPayload::WIFI_UNKNOWN);
        p.set_connectreason(ClientPayload::USER_ACTIVATED);

        if (creds.Registered()) {
            auto jid = ParseJid(creds.me->jid);
            std::uint64_t username = 0;
            if (jid) std::from_chars(jid->user.data(), jid->user.data() + jid->user.size(), username);
            p.set_username(username);
            p.set_device(jid ? jid->device : 0);
            p.set_passive(true);
            p.set_pull(true);
            p.set_liddbmigrated(false);
        } else {
            const std::string version = std::to_string(config.version_primary) + "." +
                                        std::to_string(config.version_secondary) + "." +
                                        std::to_string(config.version_tertiary);
            DeviceProps props;
            props.set_os(config.os_name);
            auto* pv = props.mutable_version();
            pv->set_primary(10);
            pv->set_secondary(15);
            pv->set_tertiary(7);
            props.set_platformtype(DeviceProps::CHROME);
            props.set_requirefullsync(false);
            auto* hs = props.mutable_historysyncconfig();
            hs->set_storagequotamb(10240);
            hs->set_inlineinitialpayloadine2eemsg(true);
            hs->set_supportcallloghistory(false);
            hs->set_supportbotuseragentchathistory(true);
            auto* reg = p.mutable_devicepairingdata();
            const Bytes reg_id = BigEndian(creds.registration_id, 4);
            reg->set_eregid(reg_id.data(), reg_id.size());
            reg->set_ekeytype(std::string(1, '\x05'));
            reg->set_eident(creds.identity.pub.data(), creds.identity.pub.size());
            const Bytes spk_id = BigEndian(creds.signed_pre_key.id, 3);
            reg->set_eskeyid(spk_id.data(), spk_id.size());
            reg->set_eskeyval(creds.signed_pre_key.key.pub.data(), creds.signed_pre_key.key.pub.size());
            reg->set_eskeysig(creds.signed_pre_key.signature.data(), creds.signed_pre_key.signature.size());
            const Bytes hash = Md5(version);
            reg->set_buildhash(hash.data(), hash.size());
            reg->set_deviceprops(props.SerializeAsString());
            p.set_passive(false);
            p.set_pull(false);
        }
        return SerializeProto(p);
    }

    void Start(TimePoint t) {
        now = t;
        phase = Phase::kHandshake;
        handshake_deadline = now + config.handshake_timeout;
        last_receive = now;
        initiator.emplace(creds.noise);
        auto frame = noise::EncodeFrame(noise::EncodeClientHello(initiator->WriteClientHello()), noise::Intro::kWaHeader);
        if (!frame) return Fail(CloseKind::kFatal, "client_hello");
        sink.SendBytes(std::move(*frame));
    }

    void HandleServerHello(const Bytes& frame) {
        auto fields = noise::ParseServerHello(frame);
        if (!fields) return Fail(CloseKind::kTransient, "bad_server_hello");
        auto identity = initiator->ReadServerHello(*fields);
        if (!identity) return Fail(CloseKind::kTransient, "handshake_failed: " + identity.error().code);
        auto verified =
            noise::VerifyCertChain(identity->cert_chain, identity->server_static, config.trust_root, NowSeconds());
        if (!verified) return Fail(CloseKind::kFatal, "bad_certificate: " + verified.error().code);
        auto finish = initiator->WriteClientFinish(BuildClientPayload());
        if (!finish) return Fail(CloseKind::kTransient, "handshake_failed: " + finish.error().code);
        auto bytes = noise::EncodeFrame(noise::EncodeClientFinish(*finish));
        if (!bytes) return Fail(CloseKind::kFatal, "client_finish");
        sink.SendBytes(std::move(*bytes));
        auto keys = initiator->Split();
        if (!keys) return Fail(CloseKind::kTransient, "handshake_failed");
        transport = std::move(*keys);
        initiator.reset();
        phase = Phase::kAwaitingServer;
    }

    // ---- input
    void OnData(BytesView data, TimePoint t) {
        now = t;
        if (!Open()) return;
        last_receive = now;
        if (auto fed = reader.Feed(data); !fed) return Fail(CloseKind::kTransient, "bad_frame");
        Bytes frame;
        while (Open() && reader.Next(frame)) {
            if (phase == Phase::kHandshake) {
                HandleServerHello(frame);
                continue;
            }
            auto plain = transport->recv.Decrypt(frame);
            if (!plain) return Fail(CloseKind::kTransient, "decrypt_failed");
            auto node = DecodeStanza(*plain);
            if (!node) {
                spdlog::warn("wa: undecodable stanza: {}", node.error().code);
                continue;
            }
            HandleNode(*node);
        }
    }

    void HandleNode(const Node& node) {
        if (node.tag == "iq") return HandleIq(node);
        if (node.tag == "stream:error") return HandleStreamError(node);
        if (node.tag == "failure") return HandleFailure(node);
        if (node.tag == "success") return HandleSuccess(node);
        if (node.tag == "xmlstreamend") return Fail(CloseKind::kTransient, "stream_end", 428);
        if (node.tag == "ib") return HandleIb(node);
        if (node.tag == "notification") return HandleNotification(node);
        if (node.tag == "message") return HandleMessage(node);
        if (node.tag == "receipt") return HandleReceipt(node);
        if (node.tag == "ack") return HandleAck(node);
        if (node.tag == "call") return SendAck(node);
    }

    void HandleIq(const Node& node) {
        const std::string_view type = node.AttrOr("type", "");
        const std::string id(node.AttrOr("id", ""));
        if (type == "result" || type == "error") {
            auto it = pending.find(id);
            if (it == pending.end()) return;
            auto callback = std::move(it->second.on_response);
            pending.erase(it);
            if (callback) callback(&node);
            return;
        }
        if (type == "get" && node.AttrOr("xmlns", "") == "urn:xmpp:ping") return SendIqResult(node);
        if (type == "set" && node.AttrOr("from", "") == kServerFrom) {
            if (const Node* pd = node.Child("pair-device")) return HandlePairDevice(node, *pd);
            if (const Node* ps = node.Child("pair-success")) return HandlePairSuccess(node, *ps);
        }
        Node error("iq", {{"to", std::string(node.AttrOr("from", kServerJid))}, {"type", "error"}, {"id", id}},
                   NodeList{Node("error", {{"code", "501"}, {"text", "feature-not-implemented"}})});
        SendNode(error);
    }

    // ---- pairing
    void HandlePairDevice(const Node& iq, const Node& pair_device) {
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

    void ShowNextQr() {
        if (next_ref >= refs.size()) return Fail(CloseKind::kQrTimeout, "qr_timeout", 408);
        const auto ttl = next_ref == 0 ? config.first_qr_ttl : config.next_qr_ttl;
        const std::string text = BuildQrText(refs[next_ref], crypto::View(creds.noise.pub),
                                             crypto::View(creds.identity.pub), creds.adv_secret, config.platform_id);
        ++next_ref;
        qr_deadline = now + ttl;
        events.OnQr(text, ttl);
    }

    // ---- pairing by code (§5.2)
    void RequestPairingCode(const std::string& phone, std::function<void(Result<std::string>)> done) {
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

    void HandlePrimaryHello(const Node& notification) {
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

    void HandlePairSuccess(const Node& iq, const Node& ps) {
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

        Node sign("pair-device-sign", {},
                  NodeList{Node("device-identity", {{"key-index", std::to_string(paired->key_index)}},
                                paired->reply_identity)});
        Node reply("iq", {{"to", kServerJid}, {"type", "result"}, {"id", id}}, NodeList{std::move(sign)});
        SendNode(reply);
        events.OnPaired(me);
    }

    // ---- login
    void HandleSuccess(const Node& node) {
        if (!creds.Registered()) return Fail(CloseKind::kFatal, "unexpected_success");
        phase = Phase::kLoggingIn;
        if (auto lid = node.GetAttr("lid"); lid && !lid->empty() && creds.me->lid != *lid) {
            creds.me->lid = std::string(*lid);
            SaveCredentials();
        }
        next_ping = now + config.ping_interval;
        // After-login sequence (§6): pre-key count (upload when low), passive active, then
        // digest and privacy settings.
        SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("count")}), [this](const Node* r) {
            if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
            std::int64_t count = 0;
            if (const Node* c = r->Child("count")) count = ParseInt(c->AttrOr("value", "0")).value_or(0);
            if (r->AttrOr("type", "") == "error" || count < static_cast<std::int64_t>(config.min_pre_keys)) {
                UploadPreKeys([this] { SetActive(); });
            } else {
                SetActive();
            }
        });
    }

    void UploadPreKeys(std::function<void()> then) {
        auto keys = signal.GeneratePreKeys(creds.next_pre_key_id, config.pre_key_upload_count);
        if (!keys) return Fail(CloseKind::kFatal, "prekey_generation");
        creds.next_pre_key_id = keys->empty() ? creds.next_pre_key_id : keys->back().id + 1;
        creds.first_unuploaded_pre_key_id = creds.next_pre_key_id;
        SaveCredentials();
        NodeList list;
        for (const auto& k : *keys) {
            list.push_back(Node("key", {},
                                NodeList{BytesNode("id", BigEndian(k.id, 3)), BytesNode("value", crypto::ToBytes(k.pub))}));
        }
        NodeList children;
        children.push_back(BytesNode("registration", BigEndian(creds.registration_id, 4)));
        children.push_back(BytesNode("type", Bytes{0x05}));
        children.push_back(BytesNode("identity", crypto::ToBytes(creds.identity.pub)));
        children.push_back(Node("list", {}, std::move(list)));
        children.push_back(Node(
            "skey", {},
            NodeList{BytesNode("id", BigEndian(creds.signed_pre_key.id, 3)),
                     BytesNode("value", crypto::ToBytes(creds.signed_pre_key.key.pub)),
                     BytesNode("signature", Bytes(creds.signed_pre_key.signature.begin(),
                                                  creds.signed_pre_key.signature.end()))}));
        SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "set"}}, std::move(children)),
               [this, then = std::move(then)](const Node* r) {
                   if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
                   if (r->AttrOr("type", "") == "error") spdlog::warn("wa: pre-key upload refused");
                   if (then) then();
               });
    }

    void SetActive() {
        SendIq(Node("iq", {{"xmlns", "passive"}, {"type", "set"}}, NodeList{Node("active")}), [this](const Node* r) {
            if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
            phase = Phase::kConnected;
            SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("digest")}), [](const Node*) {});
            SendIq(Node("iq", {{"xmlns", "privacy"}, {"type", "get"}}, NodeList{Node("privacy")}), [](const Node*) {});
            if (!creds.me->name.empty()) {
                SendNode(Node("presence", {{"name", creds.me->name}, {"type", "available"}}));
                sent_available = true;
            }
            events.OnConnected(*creds.me);
        });
    }

    // ---- termination
    void HandleStreamError(const Node& node) {
        const int code = static_cast<int>(ParseInt(node.AttrOr("code", "")).value_or(0));
        if (const Node* conflict = node.Child("conflict")) {
            const std::string_view type = conflict->AttrOr("type", "");
            if (type == "device_removed") return Fail(CloseKind::kLoggedOut, "device_removed", 401);
            return Fail(CloseKind::kReplaced, std::string(type.empty() ? "conflict" : type), 440);
        }
        if (code == 515) return Fail(CloseKind::kRestartRequired, "restart_required", 515);
        if (code == 401 || code == 403 || code == 406) return Fail(CloseKind::kLoggedOut, "stream_error", code);
        return Fail(CloseKind::kTransient, "stream_error", code == 0 ? 500 : code);
    }

    void HandleFailure(const Node& node) {
        const int code = static_cast<int>(ParseInt(node.AttrOr("reason", "")).value_or(500));
        if (code == 401 || code == 403 || code == 406) return Fail(CloseKind::kLoggedOut, "failure", code);
        if (code == 405 || code == 409 || code == 402) return Fail(CloseKind::kFatal, "failure", code);
        return Fail(CloseKind::kTransient, "failure", code);
    }

    void HandleIb(const Node& node) {
        if (node.Child("downgrade_webclient")) return Fail(CloseKind::kFatal, "downgrade_webclient", 411);
        if (const Node* edge = node.Child("edge_routing")) {
            if (const Node* info = edge->Child("routing_info"); info && info->ContentBytes()) {
                creds.routing_info = *info->ContentBytes();
                SaveCredentials();
            }
        }
    }

    void HandleNotification(const Node& node) {
        SendAck(node);
        if (node.AttrOr("type", "") == "link_code_companion_reg" && node.AttrOr("from", "") == kServerFrom)
            return HandlePrimaryHello(node);
        if (node.AttrOr("type", "") == "encrypt" && node.AttrOr("from", "") == kServerFrom) {
            if (const Node* count = node.Child("count")) {
                const auto n = ParseInt(count->AttrOr("value", "")).value_or(0);
                if (n < static_cast<std::int64_t>(config.min_pre_keys) && phase == Phase::kConnected)
                    UploadPreKeys(nullptr);
            }
        }
    }

    void HandleReceipt(const Node& node) {
        SendAck(node);
        ReceiptEvent r;
        r.from = std::string(node.AttrOr("from", ""));
        r.type = std::string(node.AttrOr("type", ""));
        r.timestamp = ParseInt(node.AttrOr("t", "0")).value_or(0);
        r.ids.emplace_back(node.AttrOr("id", ""));
        if (const Node* list = node.Child("list")) {
            for (const Node* item : list->Children("item")) r.ids.emplace_back(item->AttrOr("id", ""));
        }
        if (r.type != "retry") events.OnReceipt(r);
    }

    void HandleAck(const Node& node) {
        if (node.AttrOr("class", "") != "message") return;
        const int error = static_cast<int>(ParseInt(node.AttrOr("error", "0")).value_or(500));
        events.OnSendAck(std::string(node.AttrOr("id", "")), error);
    }

    // ---- messages in
    bool IsOwnUser(const Jid& jid) const {
        if (!creds.me) return false;
        auto pn = ParseJid(creds.me->jid);
        auto lid = ParseJid(creds.me->lid);
        return (pn && pn->user == jid.user && jid.IsPnUser()) || (lid && lid->user == jid.user && jid.IsLid());
    }

    void HandleMessage(const Node& node) {
        const std::string id(node.AttrOr("id", ""));
        const std::string from(node.AttrOr("from", ""));
        auto from_jid = ParseJid(from);
        auto nack = [&](int code) {
            Node ack("ack", {{"class", "message"}, {"id", id}, {"to", from}, {"error", std::to_string(code)}});
            if (auto p = node.GetAttr("participant")) ack.attrs.Set("participant", std::string(*p));
            SendNode(ack);
        };
        if (!from_jid) return nack(487);
        if (from_jid->IsGroup() || from_jid->IsBroadcast()) return nack(500);  // sender keys: not yet
        IncomingMessage msg;
        msg.id = id;
        msg.sender = from;
        msg.sender_alt = std::string(node.AttrOr("sender_lid", node.AttrOr("sender_pn", "")));
        msg.push_name = std::string(node.AttrOr("notify", ""));
        msg.timestamp = ParseInt(node.AttrOr("t", "0")).value_or(0);
        msg.from_me = IsOwnUser(*from_jid);
        msg.chat = msg.from_me ? std::string(node.AttrOr("recipient", "")) : from_jid->ToNonAd().ToString();

        auto address = SignalAddressFromJid(from);
        if (!address) return nack(487);
        bool decrypted = false;
        for (const Node* enc : node.Children("enc")) {
            const std::string_view type = enc->AttrOr("type", "");
            if ((type != "pkmsg" && type != "msg") || !enc->ContentBytes()) continue;
            auto plain = signal.Decrypt(*address, type == "pkmsg" ? CiphertextType::kPkMsg : CiphertextType::kMsg,
                                        *enc->ContentBytes());
            if (!plain) {
                spdlog::warn("wa: cannot decrypt message {}: {}", id, plain.error().code);
                continue;
            }
            Result<Bytes> unpadded = enc->AttrOr("v", "2") == "3" ? Result<Bytes>(*plain) : UnpadMessage(*plain);
            if (!unpadded) continue;
            auto parsed = ParseProto<Message>(*unpadded);
            if (!parsed) continue;
            const Message* content = &*parsed;
            if (parsed->has_devicesentmessage()) {
                if (msg.chat.empty() || msg.from_me) msg.chat = parsed->devicesentmessage().destinationjid();
                content = &parsed->devicesentmessage().message();
            }
            const Message& inner = UnwrapMessage(*content);
            if (inner.has_conversation())
                msg.text = inner.conversation();
            else if (inner.has_extendedtextmessage())
                msg.text = inner.extendedtextmessage().text();
            msg.content = DescribeMessage(*content);
            msg.message = SerializeProto(*content);
            decrypted = true;
        }
        if (!decrypted) return nack(500);
        if (!events.OnMessage(msg)) return;
        Node receipt("receipt", {{"id", id}, {"to", from}});
        if (msg.from_me) {
            receipt.attrs.Set("type", "sender");
            if (!msg.chat.empty()) receipt.attrs.Set("recipient", msg.chat);
        } else if (!sent_available) {
            receipt.attrs.Set("type", "inactive");
        }
        SendNode(receipt);
    }

    // ---- timers
    void OnTick(TimePoint t) {
        now = t;
        if (!Open()) return;
        if (phase == Phase::kHandshake && now >= handshake_deadline) return Fail(CloseKind::kTransient, "handshake_timeout", 408);
        if (qr_deadline && now >= *qr_deadline) ShowNextQr();
        if (link_code_deadline && now >= *link_code_deadline)
            return Fail(CloseKind::kQrTimeout, "pairing_code_timeout", 408);
        if (!Open()) return;
        for (auto it = pending.begin(); it != pending.end();) {
            if (now >= it->second.deadline) {
                auto callback = std::move(it->second.on_response);
                it = pending.erase(it);
                if (callback) callback(nullptr);
                if (!Open()) return;
            } else {
                ++it;
            }
        }
        if (phase == Phase::kConnected || phase == Phase::kLoggingIn) {
            if (now - last_receive >= config.idle_timeout) return Fail(CloseKind::kTransient, "connection_lost", 408);
            if (next_ping && now >= *next_ping) {
                next_ping = now + config.ping_interval;
                SendIq(Node("iq", {{"xmlns", "w:p"}, {"type", "get"}}, NodeList{Node("ping")}), [](const Node*) {});
            }
        }
    }

    std::optional<TimePoint> NextDeadline() const {
        if (!Open()) return std::nullopt;
        std::optional<TimePoint> d;
        auto take = [&](TimePoint t) {
            if (!d || t < *d) d = t;
        };
        if (phase == Phase::kHandshake) take(handshake_deadline);
        if (qr_deadline) take(*qr_deadline);
        if (link_code_deadline) take(*link_code_deadline);
        for (const auto& [id, p] : pending) take(p.deadline);
        if (phase == Phase::kConnected || phase == Phase::kLoggingIn) {
            take(last_receive + config.idle_timeout);
            if (next_ping) take(*next_ping);
        }
        return d;
    }

    // ---- sending messages
    struct SendJob {
        std::string id;
        Jid peer;
        Message message;
        std::vector<Jid> devices;
    };

    Result<std::string> SendText(std::string_view to, std::string_view text) {
        if (phase != Phase::kConnected) return MakeError("not_connected", "session is not connected");
        auto peer = ParseJid(to);
        if (!peer || !peer->IsUserServer()) return MakeError("bad_jid", "recipient must be a user JID");
        auto job = std::make_shared<SendJob>();
        job->id = NewMessageId();
        job->peer = peer->ToNonAd();
        job->message.set_conversation(std::string(text));
        auto own = ParseJid(creds.me->jid);
        if (!own) return MakeError("bad_credentials", "own JID is malformed");
        const Jid own_user = own->ToNonAd();

        NodeList users{Node("user", {{"jid", own_user.ToString()}})};
        if (job->peer != own_user) users.push_back(Node("user", {{"jid", job->peer.ToString()}}));
        Node usync("usync",
                   {{"context", "message"}, {"mode", "query"}, {"sid", iq_prefix + std::to_string(iq_counter++)},
                    {"last", "true"}, {"index", "0"}},
                   NodeList{Node("query", {}, NodeList{Node("devices", {{"version", "2"}}), Node("lid")}),
                            Node("list", {}, std::move(users))});
        SendIq(Node("iq", {{"xmlns", "usync"}, {"type", "get"}}, NodeList{std::move(usync)}),
               [this, job, own = *own](const Node* r) {
                   if (!r || r->AttrOr("type", "") != "result") return events.OnSendAck(job->id, 500);
                   const Node* list = r->Child("usync") ? r->Child("usync")->Child("list") : nullptr;
                   if (!list) return events.OnSendAck(job->id, 500);
                   for (const Node* user : list->Children("user")) {
                       auto user_jid = ParseJid(user->AttrOr("jid", ""));
                       const Node* devices = user->Child("devices");
                       const Node* device_list = devices ? devices->Child("device-list") : nullptr;
                       if (!user_jid || !device_list) continue;
                       for (const Node* d : device_list->Children("device")) {
                           auto dev = ParseInt(d->AttrOr("id", ""));
                           if (!dev || *dev < 0 || *dev > 0xFFFF) continue;
                           if (*dev != 0 && !d->GetAttr("key-index")) continue;
                           Jid device = Jid::Make(user_jid->user, user_jid->server, static_cast<std::uint16_t>(*dev));
                           if (device.user == own.user && device.device == own.device) continue;
                           job->devices.push_back(device);
                       }
                   }
                   FetchMissingSessions(job);
               });
        return Result<std::string>(boost::system::in_place_value, job->id);
    }

    void FetchMissingSessions(const std::shared_ptr<SendJob>& job) {
        NodeList users;
        for (const Jid& d : job->devices) {
            auto address = SignalAddressFromJid(d.ToString());
            if (address && !signal.HasSession(*address)) users.push_back(Node("user", {{"jid", d.ToString()}}));
        }
        if (users.empty()) return EncryptAndSend(job);
        SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("key", {}, std::move(users))}),
               [this, job](const Node* r) {
                   if (!r || r->AttrOr("type", "") != "result") return events.OnSendAck(job->id, 500);
                   if (const Node* list = r->Child("list")) {
                       for (const Node* user : list->Children("user")) ProcessBundleNode(*user);
                   }
                   EncryptAndSend(job);
               });
    }

    void ProcessBundleNode(const Node& user) {
        auto address = SignalAddressFromJid(user.AttrOr("jid", ""));
        if (!address || user.Child("error")) return;
        auto bytes_of = [&](const Node* n) -> const Bytes* { return n ? n->ContentBytes() : nullptr; };
        const Node* skey = user.Child("skey");
        const Bytes* identity = bytes_of(user.Child("identity"));
        auto reg = FromBigEndian(bytes_of(user.Child("registration")));
        if (!skey || !identity || !reg) return;
        auto spk_id = FromBigEndian(bytes_of(skey->Child("id")));
        const Bytes* spk = bytes_of(skey->Child("value"));
        const Bytes* sig = bytes_of(skey->Child("signature"));
        if (!spk_id || !spk || !sig) return;
        PreKeyBundle bundle;
        bundle.registration_id = *reg;
        auto id_key = crypto::ToKey32(*identity);
        auto spk_key = crypto::ToKey32(*spk);
        if (!id_key || !spk_key) return;
        bundle.identity = *id_key;
        bundle.signed_pre_key_id = *spk_id;
        bundle.signed_pre_key = *spk_key;
        bundle.signed_pre_key_signature = *sig;
        if (const Node* key = user.Child("key")) {
            auto pk_id = FromBigEndian(bytes_of(key->Child("id")));
            const Bytes* pk = bytes_of(key->Child("value"));
            if (pk_id && pk) {
                if (auto pk_key = crypto::ToKey32(*pk)) bundle.pre_key = PreKeyPublic{*pk_id, *pk_key};
            }
        }
        if (auto r = signal.ProcessBundle(*address, bundle); !r)
            spdlog::warn("wa: bundle for {} rejected: {}", user.AttrOr("jid", ""), r.error().code);
    }

    void EncryptAndSend(const std::shared_ptr<SendJob>& job) {
        if (phase == Phase::kClosed) return;
        auto own = ParseJid(creds.me->jid);
        Message dsm;
        dsm.mutable_devicesentmessage()->set_destinationjid(job->peer.ToString());
        *dsm.mutable_devicesentmessage()->mutable_message() = job->message;
        const Bytes plain_peer = SerializeProto(job->message);
        const Bytes plain_own = SerializeProto(dsm);
        NodeList participants;
        bool any_pkmsg = false;
        for (const Jid& d : job->devices) {
            auto address = SignalAddressFromJid(d.ToString());
            if (!address || !signal.HasSession(*address)) continue;
            const bool own_device = own && d.user == own->user && d.server == own->server;
            auto ct = signal.Encrypt(*address, PadMessage(own_device ? plain_own : plain_peer));
            if (!ct) continue;
            any_pkmsg = any_pkmsg || ct->type == CiphertextType::kPkMsg;
            participants.push_back(
                Node("to", {{"jid", d.ToString()}},
                     NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}},
                                   std::move(ct->bytes))}));
        }
        const bool peer_reached = std::any_of(participants.begin(), participants.end(), [&](const Node& n) {
            auto j = ParseJid(n.AttrOr("jid", ""));
            return j && j->user == job->peer.user;
        });
        if (!peer_reached) return events.OnSendAck(job->id, 404);
        Node message("message", {{"id", job->id}, {"to", job->peer.ToString()}, {"type", "text"}},
                     NodeList{Node("participants", {}, std::move(participants))});
        if (any_pkmsg) message.AddChild(BytesNode("device-identity", creds.account));
        SendNode(message);
    }
};

// ---- Connection --------------------------------------------------------------------------------

Connection::Connection(const ClientConfig& config, Credentials& creds, CredentialStore& store, SignalManager& signal,
                       ConnectionSink& sink, ClientEvents& events)
    : impl_(std::make_unique<Impl>(config, creds, store, signal, sink, events)) {}
Connection::~Connection() = default;

Connection::Phase Connection::phase() const { return impl_->phase; }
void Connection::Start(TimePoint now) { impl_->Start(now); }
void Connection::OnData(BytesView data, TimePoint now) { impl_->OnData(data, now); }
void Connection::OnTick(TimePoint now) { impl_->OnTick(now); }
std::optional<TimePoint> Connection::NextDeadline() const { return impl_->NextDeadline(); }
void Connection::OnTransportClosed(std::string reason) { impl_->Fail(CloseKind::kTransient, std::move(reason)); }
void Connection::Stop() { impl_->Fail(CloseKind::kStopped, "stopped"); }
void Connection::SendNode(const Node& node) { impl_->SendNode(node); }
std::string Connection::SendIq(Node iq, std::function<void(const Node*)> on_response) {
    return impl_->SendIq(std::move(iq), std::move(on_response));
}
void Connection::RequestPairingCode(std::string phone_digits, std::function<void(Result<std::string>)> done) {
    impl_->RequestPairingCode(phone_digits, std::move(done));
}
Result<std::string> Connection::SendText(std::string_view to_jid, std::string_view text) {
    return impl_->SendText(to_jid, text);
}

void Connection::Logout() {
    if (impl_->phase == Phase::kClosed) return;
    if (impl_->creds.me && impl_->transport) {
        Node remove("remove-companion-device", {{"jid", impl_->creds.me->jid}, {"reason", "user_initiated"}});
        impl_->SendIq(Node("iq", {{"xmlns", "md"}, {"type", "set"}}, NodeList{std::move(remove)}), nullptr);
    }
    impl_->Fail(CloseKind::kLoggedOut, "logout", 401);
}

Result<void> Connection::MarkRead(std::string_view chat_jid, std::string_view sender_jid,
                                  const std::vector<std::string>& ids) {
    if (impl_->phase != Phase::kConnected) return MakeError("not_connected", "session is not connected");
    if (ids.empty()) return {};
    Node receipt("receipt", {{"id", ids.front()}, {"to", std::string(chat_jid)}, {"type", "read"},
                             {"t", std::to_string(NowSeconds())}});
    if (!sender_jid.empty() && sender_jid != chat_jid) receipt.attrs.Set("participant", std::string(sender_jid));
    if (ids.size() > 1) {
        NodeList items;
        for (std::size_t i = 1; i < ids.size(); ++i) items.push_back(Node("item", {{"id", ids[i]}}));
        receipt.AddChild(Node("list", {}, std::move(items)));
    }
    impl_->SendNode(receipt);
    return {};
}

}  // namespace wadesk::wa
