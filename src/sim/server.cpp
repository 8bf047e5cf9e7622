#include "sim/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/crypto/primitives.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

constexpr std::string_view kServer = "s.whatsapp.net";
constexpr std::size_t kRefCount = 6;

std::optional<std::uint32_t> FromBe(BytesView b) {
    if (b.empty() || b.size() > 4) return std::nullopt;
    std::uint32_t v = 0;
    for (auto x : b) v = (v << 8) | x;
    return v;
}


std::string NewStanzaId() { return ToHex(RandomBytes(8)); }

std::string DeviceJid(const std::string& user, std::uint16_t device, std::string_view server) {
    return wa::Jid::Make(user, server, device).ToString();
}



}  // namespace

// ===== SimServer ===============================================================================

Result<std::unique_ptr<SimServer>> SimServer::Open(const std::string& state_dir) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    auto state = LoadOrCreateState(state_dir, now);
    if (!state) return state.error();
    return std::make_unique<SimServer>(std::move(*state), state_dir);
}

SimServer::SimServer(SimState state, std::string state_dir) : state_(std::move(state)), state_dir_(std::move(state_dir)) {
    const auto& k = state_.keys;
    cert_chain_ = wa::noise::BuildCertChain(k.root, k.intermediate, k.server_static.pub, {k.not_before, k.not_after},
                                            {k.not_before, k.not_after});
}

void SimServer::Persist() {
    if (state_dir_.empty()) return;
    if (auto r = SaveState(state_dir_, state_); !r) spdlog::error("[sim] cannot save state: {}", r.error().message);
}

void SimServer::Persist(const Account& account) {
    if (state_dir_.empty()) return;
    if (auto r = SaveAccount(state_dir_, account); !r)
        spdlog::error("[sim] cannot save account {}: {}", account.phone, r.error().message);
}

Result<const Account*> SimServer::CreateAccount(std::string phone, std::string name) {
    if (phone.starts_with('+')) phone.erase(0, 1);
    if (phone.size() < 5 || phone.size() > 15 || !std::all_of(phone.begin(), phone.end(), ::isdigit) ||
        phone[0] == '0') {
        return MakeError("bad_phone", "phone must be 5-15 digits (international form, no leading 0)");
    }
    if (state_.accounts.count(phone)) return MakeError("account_exists", "an account with this phone exists");
    Account a = NewAccount(state_, phone, std::move(name), kPhonePrekeys);
    state_.lid_to_phone[a.lid] = phone;
    auto [it, _] = state_.accounts.emplace(phone, std::move(a));
    Persist(it->second);
    spdlog::info("[sim] account {} created (lid {})", phone, it->second.lid);
    return &it->second;
}

const Account* SimServer::FindAccount(std::string_view phone) const {
    auto it = state_.accounts.find(std::string(phone));
    return it == state_.accounts.end() ? nullptr : &it->second;
}

Account* SimServer::MutableAccount(std::string_view phone) {
    auto it = state_.accounts.find(std::string(phone));
    return it == state_.accounts.end() ? nullptr : &it->second;
}

Account* SimServer::AccountForUser(const std::string& user, bool lid) {
    if (!lid) return MutableAccount(user);
    auto it = state_.lid_to_phone.find(user);
    return it == state_.lid_to_phone.end() ? nullptr : MutableAccount(it->second);
}

Result<ScanResult> SimServer::Scan(std::string_view phone, std::string_view qr) {
    Account* account = MutableAccount(phone);
    if (!account) return MakeError("no_account", "no such account");
    auto data = ParseQr(qr);
    if (!data) return data.error();
    auto it = pending_.find(data->noise_key);
    if (it == pending_.end() || !it->second->registration_) {
        return MakeError("no_waiting_device", "no connected device is waiting with this QR's noise key");
    }
    SimConnection* conn = it->second;
    auto& reg = *conn->registration_;
    if (std::find(reg.refs.begin(), reg.refs.end(), data->ref) == reg.refs.end()) {
        return MakeError("bad_ref", "QR ref was not issued to this connection");
    }
    if (reg.identity != data->identity) {
        return MakeError("identity_mismatch", "QR identity differs from the registration identity");
    }
    if (reg.pairing) return MakeError("already_scanned", "this device is already being paired");
    ScanResult result = BeginPairing(*account, *conn, data->adv_secret, data->platform_id);
    spdlog::info("[sim] {} scanned a QR: pairing device {}", account->phone, result.device_id);
    return result;
}

ScanResult SimServer::BeginPairing(Account& account, SimConnection& conn, BytesView adv_secret,
                                   std::string_view platform_id) {
    auto& reg = *conn.registration_;
    const std::uint16_t device_id = account.next_device_id++;
    const std::uint32_t key_index = account.next_key_index++;
    Persist(account);
    reg.pairing = BuildAdvPairing(account, reg.identity, adv_secret, key_index, now());
    reg.phone = account.phone;
    reg.device_id = device_id;
    reg.platform = PlatformName(platform_id);
    conn.SendPairSuccess(account, reg);
    return ScanResult{device_id, DeviceJid(account.phone, device_id, wa::kServerUser),
                      DeviceJid(account.lid, device_id, wa::kServerLid)};
}

Result<void> SimServer::Unlink(std::string_view phone, std::uint16_t device_id) {
    Account* account = MutableAccount(phone);
    if (!account) return MakeError("no_account", "no such account");
    if (!account->devices.erase(device_id)) return MakeError("no_device", "no such linked device");
    offline_.erase({account->phone, device_id});
    unsettled_.erase({account->phone, device_id});
    Persist(*account);
    auto it = online_.find({account->phone, device_id});
    if (it != online_.end()) {
        SimConnection* conn = it->second;
        conn->Terminate(Node("stream:error", Attrs{{"code", "401"}},
                             NodeList{Node("conflict", Attrs{{"type", "device_removed"}})}),
                        "device removed by the phone");
    }
    spdlog::info("[sim] {} unlinked device {}", phone, device_id);
    return {};
}

Result<std::vector<DeviceInfo>> SimServer::Devices(std::string_view phone) const {
    const Account* account = FindAccount(phone);
    if (!account) return MakeError("no_account", "no such account");
    std::vector<DeviceInfo> out;
    for (const auto& [id, d] : account->devices) {
        out.push_back(DeviceInfo{id, DeviceJid(account->phone, id, wa::kServerUser),
                                 DeviceJid(account->lid, id, wa::kServerLid), d.key_index, d.platform, d.paired_at,
                                 online_.count({account->phone, id}) > 0, d.require_full_sync});
    }
    return out;
}

std::size_t SimServer::QueuedFor(std::string_view phone, std::uint16_t device) const {
    auto it = offline_.find({std::string(phone), device});
    return it == offline_.end() ? 0 : it->second.size();
}

std::size_t SimServer::UnsettledFor(std::string_view phone, std::uint16_t device) const {
    auto it = unsettled_.find({std::string(phone), device});
    return it == unsettled_.end() ? 0 : it->second.size();
}

namespace {
constexpr std::size_t kQueueLimit = 100000;  // per device, offline and unsettled alike
}  // namespace

void SimServer::Deliver(const DeviceKey& to, Node stanza) {
    if (to.second == 0) {
        // The emulated phone is always there: it handles the stanza now.
        Account* account = MutableAccount(to.first);
        if (!account) return;
        if (stanza.tag == "message") PhoneOnMessage(*account, stanza);
        if (stanza.tag == "receipt") PhoneOnReceipt(*account, stanza);
        return;
    }
    if (auto it = online_.find(to); it != online_.end() && !it->second->closed()) {
        it->second->Send(stanza);
        if (stanza.tag == "message") {
            auto& u = unsettled_[to];
            if (u.size() >= kQueueLimit) u.pop_front();
            u.push_back(std::move(stanza));
        }
        return;
    }
    auto& q = offline_[to];
    if (q.size() >= kQueueLimit) q.pop_front();  // bounded: the oldest is dropped
    q.push_back(std::move(stanza));
}

void SimServer::Settle(const DeviceKey& device, const std::string& id, bool all_copies) {
    auto it = unsettled_.find(device);
    if (it == unsettled_.end() || id.empty()) return;
    auto& q = it->second;
    for (auto m = q.begin(); m != q.end();) {
        if (m->AttrOr("id", "") != id) {
            ++m;
            continue;
        }
        m = q.erase(m);
        if (!all_copies) break;
    }
    if (q.empty()) unsettled_.erase(it);
}

void SimServer::Detach(SimConnection* conn) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        it = it->second == conn ? pending_.erase(it) : std::next(it);
    }
    for (auto it = online_.begin(); it != online_.end();) {
        if (it->second != conn) {
            ++it;
            continue;
        }
        // What the device got but never settled is delivered again at its next login, first.
        if (auto u = unsettled_.find(it->first); u != unsettled_.end()) {
            auto& q = offline_[it->first];
            q.insert(q.begin(), std::make_move_iterator(u->second.begin()), std::make_move_iterator(u->second.end()));
            while (q.size() > kQueueLimit) q.pop_front();
            spdlog::debug("[sim] {}:{} left with {} unsettled message(s): queued again", it->first.first,
                          it->first.second, u->second.size());
            unsettled_.erase(u);
        }
        it = online_.erase(it);
    }
}

// ===== SimConnection ===========================================================================

SimConnection::SimConnection(SimServer& server, ConnectionSink& sink) : server_(server), sink_(sink) {
    responder_ = std::make_unique<wa::noise::Responder>(server_.state_.keys.server_static, server_.cert_chain_);
}

SimConnection::~SimConnection() { server_.Detach(this); }

void SimConnection::OnClosed() {
    phase_ = Phase::kClosed;
    server_.Detach(this);
}

void SimConnection::Terminate(std::optional<Node> last, std::string_view why) {
    if (phase_ == Phase::kClosed) return;
    if (last && (phase_ == Phase::kRegistering || phase_ == Phase::kLoggedIn)) Send(*last);
    spdlog::info("[sim] closing connection ({}): {}", phone_.empty() ? "unauthenticated" : phone_, why);
    phase_ = Phase::kClosed;
    server_.Detach(this);
    sink_.Close();
}

void SimConnection::OnMessage(BytesView data) {
    if (phase_ == Phase::kClosed) return;
    if (auto r = reader_.Feed(data); !r) {
        Terminate(std::nullopt, "bad framing: " + r.error().message);
        return;
    }
    Bytes frame;
    while (phase_ != Phase::kClosed && reader_.Next(frame)) HandleFrame(frame);
}

void SimConnection::HandleFrame(const Bytes& frame) {
    switch (phase_) {
        case Phase::kClientHello:
            HandleClientHello(frame);
            return;
        case Phase::kClientFinish:
            HandleClientFinish(frame);
            return;
        case Phase::kRegistering:
        case Phase::kLoggedIn: {
            auto plain = keys_.recv.Decrypt(frame);
            if (!plain) return Terminate(std::nullopt, "undecryptable frame");
            auto node = wa::DecodeStanza(*plain);
            if (!node) return Terminate(std::nullopt, "bad stanza: " + node.error().message);
            spdlog::debug("[sim] <- {}", wa::ToDebugString(*node));
            HandleStanza(*node);
            return;
        }
        case Phase::kClosed:
            return;
    }
}

void SimConnection::HandleClientHello(const Bytes& frame) {
    auto e = wa::noise::ParseClientHello(frame);
    if (!e) return Terminate(std::nullopt, e.error().message);
    auto hello = responder_->ReadClientHello(BytesView(e->data(), e->size()));
    if (!hello) return Terminate(std::nullopt, hello.error().message);
    auto out = wa::noise::EncodeFrame(wa::noise::EncodeServerHello(*hello));
    if (!out) return Terminate(std::nullopt, out.error().message);
    sink_.Send(std::move(*out));
    phase_ = Phase::kClientFinish;
}

void SimConnection::HandleClientFinish(const Bytes& frame) {
    auto f = wa::noise::ParseClientFinish(frame);
    if (!f) return Terminate(std::nullopt, f.error().message);
    auto id = responder_->ReadClientFinish(*f);
    if (!id) return Terminate(std::nullopt, "handshake failed: " + id.error().message);
    keys_ = responder_->Split().value();
    responder_.reset();
    noise_key_ = id->client_static;
    auto payload = wa::ParseProto<wa::ClientPayload>(id->payload);
    if (!payload) return Terminate(std::nullopt, "malformed ClientPayload");
    if (payload->has_username()) {
        phase_ = Phase::kLoggedIn;  // provisional: StartLogin sends failure or success
        return StartLogin(std::to_string(payload->username()), static_cast<std::uint16_t>(payload->device()));
    }
    phase_ = Phase::kRegistering;
    if (!payload->has_devicepairingdata()) {
        return Terminate(Node("failure", Attrs{{"reason", "401"}, {"location", "sim"}}),
                         "login without username and no pairing data");
    }
    StartRegistration(noise_key_, id->payload);
}

void SimConnection::StartRegistration(const Key32& noise_key, const Bytes& payload_bytes) {
    const auto payload = wa::ParseProto<wa::ClientPayload>(payload_bytes).value();
    const auto& d = payload.devicepairingdata();
    auto reg_id = FromBe(AsBytes(d.eregid()));
    auto spk_id = FromBe(AsBytes(d.eskeyid()));
    auto identity = crypto::ToKey32(AsBytes(d.eident()));
    auto spk = crypto::ToKey32(AsBytes(d.eskeyval()));
    if (!reg_id || d.eregid().size() != 4 || !spk_id || !identity || !spk || d.eskeysig().size() != 64) {
        return Terminate(Node("failure", Attrs{{"reason", "400"}, {"location", "sim"}}), "bad pairing data");
    }
    Bytes spk_msg{0x05};
    spk_msg.insert(spk_msg.end(), spk->begin(), spk->end());
    if (!crypto::Verify(*identity, spk_msg, AsBytes(d.eskeysig()))) {
        return Terminate(Node("failure", Attrs{{"reason", "400"}, {"location", "sim"}}),
                         "signed prekey signature does not verify");
    }
    Registration reg;
    reg.noise_key = noise_key;
    reg.identity = *identity;
    reg.registration_id = *reg_id;
    reg.signed_prekey = SignedPreKey{*spk_id, *spk, Key32{}, ToBytes(d.eskeysig())};
    if (d.has_deviceprops()) {
        if (auto props = wa::ParseProto<wa::DeviceProps>(AsBytes(d.deviceprops())))
            reg.require_full_sync = props->requirefullsync();
    }
    NodeList refs;
    for (std::size_t i = 0; i < kRefCount; ++i) {
        std::string ref = "2@" + Base64Encode(RandomBytes(24));
        reg.refs.push_back(ref);
        refs.emplace_back("ref", Attrs{}, ToBytes(ref));
    }
    reg.pair_device_id = NewStanzaId();
    registration_ = std::move(reg);
    if (auto old = server_.pending_.find(noise_key); old != server_.pending_.end() && old->second != this) {
        old->second->Terminate(std::nullopt, "replaced by a new registration with the same noise key");
    }
    server_.pending_[noise_key] = this;
    Send(Node("iq", Attrs{{"from", std::string(kServer)}, {"type", "set"}, {"id", registration_->pair_device_id},
                          {"xmlns", "md"}},
              NodeList{Node("pair-device", Attrs{}, std::move(refs))}));
    spdlog::info("[sim] device registering, waiting for a QR scan");
}

void SimConnection::SendPairSuccess(const Account& account, Registration& reg) {
    reg.pair_success_id = NewStanzaId();
    NodeList children;
    children.emplace_back("device-identity", Attrs{}, reg.pairing->hmac_container);
    children.emplace_back("platform", Attrs{{"name", "android"}});
    children.emplace_back("device", Attrs{{"jid", DeviceJid(account.phone, reg.device_id, wa::kServerUser)},
                                          {"lid", DeviceJid(account.lid, reg.device_id, wa::kServerLid)}});
    if (!account.name.empty()) children.emplace_back("biz", Attrs{{"name", account.name}});
    Send(Node("iq", Attrs{{"from", std::string(kServer)}, {"type", "set"}, {"id", reg.pair_success_id},
                          {"xmlns", "md"}, {"t", std::to_string(server_.now())}},
              NodeList{Node("pair-success", Attrs{}, std::move(children))}));
}

void SimConnection::HandleRegistrationReply(const Node& iq) {
    auto& reg = *registration_;
    const auto id = iq.AttrOr("id", "");
    if (id == reg.pair_device_id) return;  // ack of pair-device
    if (!reg.pairing || id != reg.pair_success_id) return;
    const Node* sign = iq.Child("pair-device-sign");
    const Node* ident = sign ? sign->Child("device-identity") : nullptr;
    const Bytes* bytes = ident ? ident->ContentBytes() : nullptr;
    if (iq.AttrOr("type", "") != "result" || !bytes) {
        return Terminate(std::nullopt, "pairing rejected by the companion");
    }
    Account* account = server_.MutableAccount(reg.phone);
    if (!account) return Terminate(std::nullopt, "account vanished during pairing");
    auto device_sig = VerifyDeviceSign(*bytes, *reg.pairing, reg.identity, account->identity.pub);
    if (!device_sig) {
        return Terminate(Node("stream:error", Attrs{{"code", "401"}}), "bad pair-device-sign: " + device_sig.error().message);
    }
    Device dev;
    dev.id = reg.device_id;
    dev.noise_key = reg.noise_key;
    dev.identity = reg.identity;
    dev.registration_id = reg.registration_id;
    dev.signed_prekey = reg.signed_prekey;
    dev.key_index = reg.pairing->key_index;
    dev.platform = reg.platform;
    dev.require_full_sync = reg.require_full_sync;
    dev.paired_at = server_.now();
    dev.account_signature = reg.pairing->account_signature;
    dev.device_signature = *device_sig;
    dev.adv_details = reg.pairing->details;
    account->devices[dev.id] = std::move(dev);
    server_.Persist(*account);
    spdlog::info("[sim] {} linked device {}", account->phone, reg.device_id);
    Terminate(Node("stream:error", Attrs{{"code", "515"}}), "paired, restart required");
}

void SimConnection::StartLogin(const std::string& phone, std::uint16_t device) {
    Account* account = server_.MutableAccount(phone);
    const Device* dev = nullptr;
    if (account && device != 0) {
        auto it = account->devices.find(device);
        if (it != account->devices.end()) dev = &it->second;
    }
    if (!dev || !ConstantTimeEqual(BytesView(dev->noise_key.data(), 32), BytesView(noise_key_.data(), 32))) {
        return Terminate(Node("failure", Attrs{{"reason", "401"}, {"location", "sim"}}),
                         "login refused: unknown device or wrong noise key");
    }
    phone_ = phone;
    device_ = device;
    if (auto it = server_.online_.find({phone, device}); it != server_.online_.end() && it->second != this) {
        it->second->Terminate(
            Node("stream:error", Attrs{}, NodeList{Node("conflict", Attrs{{"type", "replaced"}})}),
            "replaced by a newer connection of the same device");
    }
    server_.online_[{phone, device}] = this;
    const auto now = std::to_string(server_.now());
    Send(Node("success", Attrs{{"t", now},
                               {"lid", DeviceJid(account->lid, device, wa::kServerLid)},
                               {"props", "1"},
                               {"abprops", "1"},
                               {"location", "sim"},
                               {"creation", std::to_string(dev->paired_at)}}));
    std::size_t flushed = 0;
    if (auto q = server_.offline_.find({phone, device}); q != server_.offline_.end()) {
        std::deque<Node> queued = std::move(q->second);
        server_.offline_.erase(q);
        for (Node& n : queued) {
            n.attrs.Set("offline", "1");
            server_.Deliver({phone, device}, std::move(n));  // online now: sent and tracked
            ++flushed;
        }
    }
    Send(Node("ib", Attrs{{"from", std::string(kServer)}},
              NodeList{Node("offline", Attrs{{"count", std::to_string(flushed)}})}));
    spdlog::info("[sim] {}:{} logged in", phone, device);
}

void SimConnection::Send(const Node& node) {
    if (phase_ == Phase::kClosed) return;
    auto plain = wa::EncodeStanza(node);
    if (!plain) {
        spdlog::error("[sim] cannot encode {}: {}", node.tag, plain.error().message);
        return;
    }
    auto ct = keys_.send.Encrypt(*plain);
    if (!ct) return;
    auto frame = wa::noise::EncodeFrame(*ct);
    if (!frame) return;
    spdlog::debug("[sim] -> {}", wa::ToDebugString(node));
    sink_.Send(std::move(*frame));
}

void SimConnection::SendIqResult(const Node& iq, NodeList children) {
    Node out("iq", Attrs{{"from", std::string(kServer)}, {"type", "result"}, {"id", std::string(iq.AttrOr("id", ""))}});
    if (!children.empty()) out.content = std::move(children);
    Send(out);
}

void SimConnection::SendIqError(const Node& iq, int code, std::string_view text) {
    Send(Node("iq", Attrs{{"from", std::string(kServer)}, {"type", "error"}, {"id", std::string(iq.AttrOr("id", ""))}},
              NodeList{Node("error", Attrs{{"code", std::to_string(code)}, {"text", std::string(text)}})}));
}

void SimConnection::HandleStanza(const Node& node) {
    if (node.tag == "iq") {
        const auto type = node.AttrOr("type", "");
        if (type == "result" || type == "error") {
            if (phase_ == Phase::kRegistering && registration_) HandleRegistrationReply(node);
            if (phase_ == Phase::kLoggedIn) server_.OnIqReply({phone_, device_}, node);
            return;  // replies to server-initiated IQs
        }
        if (!node.GetAttr("id")) return Terminate(std::nullopt, "iq without id");
        if (phase_ == Phase::kRegistering) {
            // Before pairing only pings are meaningful.
            if (node.AttrOr("xmlns", "") == "w:p") return SendIqResult(node);
            if (node.AttrOr("xmlns", "") == "md" && node.Child("link_code_companion_reg")) return HandleLinkCodeIq(node);
            return SendIqError(node, 401, "not-authorized");
        }
        return HandleIq(node);
    }
    if (phase_ != Phase::kLoggedIn) return;
    if (node.tag == "message") return HandleMessage(node);
    if (node.tag == "receipt") return HandleReceipt(node);
    if (node.tag == "ack") return HandleAck(node);
    // presence, ib (unified_session, offline_batch), ack, notification: nothing to do.
}

}  // namespace wadesk::sim
