#include "whatsapp/client/connection.h"

#include <algorithm>
#include <charconv>

#include "core/clock.h"
#include "core/log.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/client/connection_impl.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/messages.h"

namespace wadesk::wa {

namespace detail {

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

Node BytesNode(std::string tag, Bytes content) { return Node(std::move(tag), {}, std::move(content)); }

}  // namespace detail

using namespace detail;

namespace {

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

// ---- Impl: framing, handshake, IQs, dispatch, timers, termination ------------------------------

Connection::Impl::Impl(const ClientConfig& c, Credentials& cr, CredentialStore& s, SignalManager& sig,
                       ConnectionSink& k, ClientEvents& e)
    : config(c), creds(cr), store(s), signal(sig), sink(k), events(e), iq_prefix(Hex4() + "." + Hex4() + "-") {}

void Connection::Impl::Close(CloseInfo info) {
    if (phase == Phase::kClosed) return;
    phase = Phase::kClosed;
    qr_deadline.reset();
    link_code_deadline.reset();
    next_ping.reset();
    pending.clear();  // outstanding IQ callbacks are dropped, not called: the connection is gone
    media_retries.clear();
    spdlog::debug("wa connection closed: {} {} {}", CloseKindName(info.kind), info.code, info.reason);
    sink.Close(info);
}

void Connection::Impl::SendNode(const Node& node) {
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

std::string Connection::Impl::SendIq(Node iq, std::function<void(const Node*)> on_response) {
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

void Connection::Impl::SendIqResult(const Node& request) {
    Node reply("iq", {{"to", std::string(request.AttrOr("from", kServerJid))},
                      {"type", "result"},
                      {"id", std::string(request.AttrOr("id", ""))}});
    SendNode(reply);
}

void Connection::Impl::SendAck(const Node& stanza) {
    Node ack("ack", {{"class", stanza.tag},
                     {"id", std::string(stanza.AttrOr("id", ""))},
                     {"to", std::string(stanza.AttrOr("from", kServerJid))}});
    if (auto type = stanza.GetAttr("type"); type && stanza.tag != "message") ack.attrs.Set("type", std::string(*type));
    if (auto participant = stanza.GetAttr("participant")) ack.attrs.Set("participant", std::string(*participant));
    SendNode(ack);
}

void Connection::Impl::Start(TimePoint t) {
    now = t;
    phase = Phase::kHandshake;
    handshake_deadline = now + config.handshake_timeout;
    last_receive = now;
    initiator.emplace(creds.noise);
    auto frame = noise::EncodeFrame(noise::EncodeClientHello(initiator->WriteClientHello()), noise::Intro::kWaHeader);
    if (!frame) return Fail(CloseKind::kFatal, "client_hello");
    sink.SendBytes(std::move(*frame));
}

void Connection::Impl::HandleServerHello(const Bytes& frame) {
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

void Connection::Impl::OnData(BytesView data, TimePoint t) {
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

// Stanza handlers by tag; a tag with no entry is ignored.
void Connection::Impl::HandleNode(const Node& node) {
    using Handler = void (Impl::*)(const Node&);
    static const std::map<std::string, Handler, std::less<>> kHandlers = {
        {"iq", &Impl::HandleIq},
        {"stream:error", &Impl::HandleStreamError},
        {"failure", &Impl::HandleFailure},
        {"success", &Impl::HandleSuccess},
        {"xmlstreamend", &Impl::HandleStreamEnd},
        {"ib", &Impl::HandleIb},
        {"notification", &Impl::HandleNotification},
        {"message", &Impl::HandleMessage},
        {"receipt", &Impl::HandleReceipt},
        {"ack", &Impl::HandleAck},
        {"call", &Impl::SendAck},
    };
    if (auto it = kHandlers.find(node.tag); it != kHandlers.end()) (this->*(it->second))(node);
}

void Connection::Impl::HandleStreamEnd(const Node&) { Fail(CloseKind::kTransient, "stream_end", 428); }

void Connection::Impl::HandleIq(const Node& node) {
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

void Connection::Impl::HandleStreamError(const Node& node) {
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

void Connection::Impl::HandleFailure(const Node& node) {
    const int code = static_cast<int>(ParseInt(node.AttrOr("reason", "")).value_or(500));
    if (code == 401 || code == 403 || code == 406) return Fail(CloseKind::kLoggedOut, "failure", code);
    if (code == 405 || code == 409 || code == 402) return Fail(CloseKind::kFatal, "failure", code);
    return Fail(CloseKind::kTransient, "failure", code);
}

void Connection::Impl::HandleIb(const Node& node) {
    if (node.Child("downgrade_webclient")) return Fail(CloseKind::kFatal, "downgrade_webclient", 411);
    if (const Node* edge = node.Child("edge_routing")) {
        if (const Node* info = edge->Child("routing_info"); info && info->ContentBytes()) {
            creds.routing_info = *info->ContentBytes();
            SaveCredentials();
        }
    }
}

void Connection::Impl::OnTick(TimePoint t) {
    now = t;
    if (!Open()) return;
    if (phase == Phase::kHandshake && now >= handshake_deadline) return Fail(CloseKind::kTransient, "handshake_timeout", 408);
    if (qr_deadline && now >= *qr_deadline) ShowNextQr();
    if (link_code_deadline && now >= *link_code_deadline)
        return Fail(CloseKind::kQrTimeout, "pairing_code_timeout", 408);
    if (!Open()) return;
    ExpireMediaRetries();
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

std::optional<TimePoint> Connection::Impl::NextDeadline() const {
    if (!Open()) return std::nullopt;
    std::optional<TimePoint> d;
    auto take = [&](TimePoint t) {
        if (!d || t < *d) d = t;
    };
    if (phase == Phase::kHandshake) take(handshake_deadline);
    if (qr_deadline) take(*qr_deadline);
    if (link_code_deadline) take(*link_code_deadline);
    for (const auto& [id, p] : pending) take(p.deadline);
    for (const auto& [id, r] : media_retries) take(r.deadline);
    if (phase == Phase::kConnected || phase == Phase::kLoggingIn) {
        take(last_receive + config.idle_timeout);
        if (next_ping) take(*next_ping);
    }
    return d;
}

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
void Connection::CompleteMessage(const Node& stanza, const MessageOutcome& outcome) {
    impl_->CompleteMessage(stanza, outcome);
}
std::string Connection::SendIq(Node iq, std::function<void(const Node*)> on_response) {
    return impl_->SendIq(std::move(iq), std::move(on_response));
}
void Connection::ManageGroup(const GroupAction& action, std::function<void(Result<GroupActionResult>)> done) {
    impl_->ManageGroup(action, std::move(done));
}

void Connection::QueryGroup(const std::string& group_jid) { impl_->QueryGroup(group_jid); }

void Connection::RequestPairingCode(std::string phone_digits, std::function<void(Result<std::string>)> done) {
    impl_->RequestPairingCode(phone_digits, std::move(done));
}
Result<std::string> Connection::SendText(std::string_view to_jid, std::string_view text) {
    OutgoingText out;
    out.to = std::string(to_jid);
    out.text = std::string(text);
    return impl_->Send(out);
}

Result<std::string> Connection::Send(const OutgoingText& message) {
    return impl_->Send(message);
}

void Connection::Logout() {
    if (impl_->phase == Phase::kClosed) return;
    if (impl_->creds.me && impl_->transport) {
        Node remove("remove-companion-device", {{"jid", impl_->creds.me->jid}, {"reason", "user_initiated"}});
        impl_->SendIq(Node("iq", {{"xmlns", "md"}, {"type", "set"}}, NodeList{std::move(remove)}), nullptr);
    }
    impl_->Fail(CloseKind::kLoggedOut, "logout", 401);
}

}  // namespace wadesk::wa
