#pragma once
// In-memory WhatsApp server side for Connection tests: a real Noise responder with its own
// certificate chain, the real frame codec and binary node codec. The test plays the server's
// and the phone's logic by reading Received() stanzas and calling Send().
#include <gtest/gtest.h>

#include <deque>
#include <optional>

#include "core/clock.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/client/connection.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/frame.h"
#include "whatsapp/noise/handshake.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa::testing {

struct ServerKeys {
    crypto::KeyPair root = crypto::GenerateKeyPair();
    crypto::KeyPair intermediate = crypto::GenerateKeyPair();
    crypto::KeyPair server_static = crypto::GenerateKeyPair();

    Bytes Chain() const {
        const auto now = static_cast<std::uint64_t>(NowSeconds());
        noise::Validity v{now - 3600, now + 86400};
        return noise::BuildCertChain(root, intermediate, server_static.pub, v, v);
    }
};

// One server-side connection.
class FakeServerConnection {
public:
    explicit FakeServerConnection(const ServerKeys& keys)
        : responder_(keys.server_static, keys.Chain()), reader_(noise::Intro::kWaHeader) {}

    // Bytes the client sent (one websocket message).
    void FromClient(BytesView bytes) {
        ASSERT_TRUE(reader_.Feed(bytes));
        Bytes frame;
        while (reader_.Next(frame)) {
            if (step_ == 0) {
                auto eph = noise::ParseClientHello(frame);
                ASSERT_TRUE(eph) << eph.error().message;
                auto hello = responder_.ReadClientHello(*eph);
                ASSERT_TRUE(hello);
                auto out = noise::EncodeFrame(noise::EncodeServerHello(*hello));
                ASSERT_TRUE(out);
                to_client_.push_back(std::move(*out));
                step_ = 1;
            } else if (step_ == 1) {
                auto finish = noise::ParseClientFinish(frame);
                ASSERT_TRUE(finish) << finish.error().message;
                auto id = responder_.ReadClientFinish(*finish);
                ASSERT_TRUE(id) << id.error().message;
                client_static_ = id->client_static;
                auto payload = ParseProto<ClientPayload>(id->payload);
                ASSERT_TRUE(payload);
                payload_ = *payload;
                auto keys = responder_.Split();
                ASSERT_TRUE(keys);
                keys_ = std::move(*keys);
                step_ = 2;
            } else {
                auto plain = keys_->recv.Decrypt(frame);
                ASSERT_TRUE(plain) << "client frame does not decrypt";
                auto node = DecodeStanza(*plain);
                ASSERT_TRUE(node) << node.error().message;
                received_.push_back(std::move(*node));
            }
        }
    }

    void Send(const Node& node) {
        ASSERT_TRUE(keys_.has_value());
        auto plain = EncodeStanza(node);
        ASSERT_TRUE(plain);
        auto sealed = keys_->send.Encrypt(*plain);
        ASSERT_TRUE(sealed);
        auto frame = noise::EncodeFrame(*sealed);
        ASSERT_TRUE(frame);
        to_client_.push_back(std::move(*frame));
    }

    // Raw bytes to the client (for garbage tests).
    void SendRaw(Bytes bytes) { to_client_.push_back(std::move(bytes)); }

    bool Handshaken() const { return step_ == 2; }
    const ClientPayload& Payload() const { return payload_; }
    const crypto::Key32& ClientStatic() const { return client_static_; }

    // Next stanza the client sent, or nullopt.
    std::optional<Node> Pop() {
        if (received_.empty()) return std::nullopt;
        Node n = std::move(received_.front());
        received_.pop_front();
        return n;
    }
    std::deque<Bytes>& ToClient() { return to_client_; }

private:
    noise::Responder responder_;
    noise::FrameReader reader_;
    std::optional<noise::TransportKeys> keys_;
    int step_ = 0;
    crypto::Key32 client_static_{};
    ClientPayload payload_;
    std::deque<Node> received_;
    std::deque<Bytes> to_client_;
};

// Captures what a Connection emits.
struct RecordingSink : ConnectionSink {
    std::deque<Bytes> sent;
    std::optional<CloseInfo> closed;
    void SendBytes(Bytes data) override { sent.push_back(std::move(data)); }
    void Close(const CloseInfo& info) override { closed = info; }
};

struct RecordingEvents : ClientEvents {
    std::vector<std::pair<std::string, std::chrono::seconds>> qrs;
    std::optional<Me> paired;
    std::optional<Me> connected;
    std::vector<IncomingMessage> messages;
    std::vector<ReceiptEvent> receipts;
    std::vector<std::pair<std::string, int>> acks;
    void OnQr(const std::string& text, std::chrono::seconds ttl) override { qrs.emplace_back(text, ttl); }
    void OnPaired(const Me& me) override { paired = me; }
    void OnConnected(const Me& me) override { connected = me; }
    bool OnMessage(const IncomingMessage& m, const CredentialWrites&) override {
        messages.push_back(m);
        return true;
    }
    void OnReceipt(const ReceiptEvent& r) override { receipts.push_back(r); }
    void OnSendAck(const std::string& id, int error) override { acks.emplace_back(id, error); }
    std::vector<std::pair<std::string, std::string>> send_failures;
    void OnSendFailed(const std::string& id, const std::string& reason) override { send_failures.emplace_back(id, reason); }
};

// Moves bytes both ways until quiet.
inline void Pump(Connection& client, RecordingSink& sink, FakeServerConnection& server, TimePoint now) {
    for (int guard = 0; guard < 1000; ++guard) {
        bool moved = false;
        while (!sink.sent.empty()) {
            Bytes b = std::move(sink.sent.front());
            sink.sent.pop_front();
            server.FromClient(b);
            moved = true;
        }
        while (!server.ToClient().empty()) {
            Bytes b = std::move(server.ToClient().front());
            server.ToClient().pop_front();
            client.OnData(b, now);
            moved = true;
        }
        if (!moved) return;
    }
    FAIL() << "pump did not settle";
}

}  // namespace wadesk::wa::testing
