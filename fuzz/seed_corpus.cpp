// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/<name>) with the real encoders,
// so each target starts from valid input of every kind it takes. Run by hand after a format or
// target changes: build-fuzz/fuzz/seed_corpus fuzz/corpus. The selector byte in front of a seed is
// the one its target reads first (see each target's header comment).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "../tests/whatsapp/client/bundle_of.h"
#include "realtime/engineio_packet.h"
#include "realtime/socketio_packet.h"
#include "realtime/ws_frame.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/client/qr.h"
#include "whatsapp/client/signal_manager.h"
#include "whatsapp/crypto/primitives.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/frame.h"
#include "whatsapp/noise/handshake.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

std::filesystem::path root;

void Write(const std::string& target, const std::string& name, BytesView bytes) {
    const auto dir = root / target;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                       static_cast<std::streamsize>(bytes.size()));
}
void Write(const std::string& target, const std::string& name, std::string_view text) {
    Write(target, name, AsBytes(text));
}
void Write(const std::string& target, const std::string& name, std::uint8_t selector, BytesView bytes) {
    Write(target, name, Concat({BytesView(&selector, 1), bytes}));
}

// The fixed keys the targets use (FixedKey(seed): a private key of 32 bytes `seed`).
crypto::KeyPair FixedKey(std::uint8_t seed) {
    crypto::Key32 priv{};
    priv.fill(seed);
    return crypto::KeyPairFromPrivate(priv);
}

void BinaryDecoder() {
    const Node iq("iq", {{"id", "1"}, {"type", "result"}, {"from", "s.whatsapp.net"}},
                  NodeList{Node("pair-device", {}, NodeList{Node("ref", {}, ToBytes("2@AbCdEf=="))})});
    const Node message("message", {{"from", "15550001111@s.whatsapp.net"}, {"id", "3EB0A1"}, {"t", "1700000000"},
                                   {"participant", "200000000000011:2@lid"}},
                       NodeList{Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, Bytes(40, 0x5a))});
    const Node receipt("receipt", {{"from", "15550001111:3@s.whatsapp.net"}, {"id", "ABC"}, {"type", "read"}},
                       NodeList{Node("list", {}, NodeList{Node("item", {{"id", "DEF"}})})});
    Write("binary_decoder", "iq-pair-device", EncodeStanza(iq).value());
    Write("binary_decoder", "message-enc", EncodeStanza(message).value());
    Write("binary_decoder", "receipt-list", EncodeStanza(receipt).value());
    Write("binary_decoder", "message-zlib", EncodeStanza(message, Compression::kZlib).value());
}

void NoiseFrame() {
    Bytes client = noise::EncodeFrame(AsBytes("hello"), noise::Intro::kWaHeader).value();
    Append(client, noise::EncodeFrame(Bytes(300, 7)).value());
    Write("noise_frame", "client-stream", 1 | (3 << 1), client);
    const Bytes routed = Concat({Bytes{'E', 'D', 0, 1, 0, 0, 3, 0xaa, 0xbb, 0xcc}, client});
    Write("noise_frame", "client-stream-routed", 1 | (5 << 1), routed);
    Bytes server = noise::EncodeFrame(AsBytes("server hello")).value();
    Append(server, noise::EncodeFrame({}).value());
    Write("noise_frame", "server-stream", 0 | (2 << 1), server);
}

void NoiseHandshake() {
    const auto client_static = FixedKey(1), client_ephemeral = FixedKey(2), server_static = FixedKey(3),
               server_ephemeral = FixedKey(4), root_key = FixedKey(5), intermediate = FixedKey(6);
    const Bytes chain = noise::BuildCertChain(root_key, intermediate, server_static.pub, {1'600'000'000, 1'800'000'000},
                                              {1'600'000'000, 1'800'000'000});
    noise::Initiator initiator(client_static, client_ephemeral);
    noise::Responder responder(server_static, chain, server_ephemeral);
    const auto hello = initiator.WriteClientHello();
    const auto server_hello = responder.ReadClientHello(crypto::View(hello)).value();
    (void)initiator.ReadServerHello(server_hello).value();
    const auto finish = initiator.WriteClientFinish(AsBytes("client payload")).value();
    Write("noise_handshake", "client-hello", 0, noise::EncodeClientHello(hello));
    Write("noise_handshake", "server-hello", 1, noise::EncodeServerHello(server_hello));
    Write("noise_handshake", "client-finish", 2, noise::EncodeClientFinish(finish));
    Write("noise_handshake", "cert-chain", 3, chain);
    Write("noise_handshake", "cert-chain-resigned", 4, chain);
}

Message Text(const std::string& text) {
    Message m;
    m.set_conversation(text);
    return m;
}

void WaMessage(std::vector<Message>& out) {
    out.push_back(Text("hello"));
    Message reply;
    reply.mutable_extendedtextmessage()->set_text("a reply");
    reply.mutable_extendedtextmessage()->mutable_contextinfo()->set_stanzaid("3EB0A1");
    out.push_back(reply);
    Message image;
    image.mutable_imagemessage()->set_mimetype("image/jpeg");
    image.mutable_imagemessage()->set_filelength(12345);
    image.mutable_imagemessage()->set_caption("a photo");
    out.push_back(image);
    Message document;
    document.mutable_documentwithcaptionmessage()->mutable_message()->mutable_documentmessage()->set_filename("a.pdf");
    out.push_back(document);
    Message location;
    location.mutable_locationmessage()->set_degreeslatitude(55.75);
    location.mutable_locationmessage()->set_degreeslongitude(37.61);
    location.mutable_locationmessage()->set_name("Red Square");
    out.push_back(location);
    Message reaction;
    reaction.mutable_reactionmessage()->set_text("👍");
    reaction.mutable_reactionmessage()->mutable_key()->set_id("3EB0A1");
    out.push_back(reaction);
    Message revoke;
    revoke.mutable_protocolmessage()->set_type(Message::ProtocolMessage::REVOKE);
    revoke.mutable_protocolmessage()->mutable_key()->set_id("3EB0A1");
    out.push_back(revoke);
    Message edit;
    edit.mutable_protocolmessage()->set_type(Message::ProtocolMessage::MESSAGE_EDIT);
    *edit.mutable_protocolmessage()->mutable_editedmessage() = Text("edited");
    out.push_back(edit);
    LIDMigrationMappingSyncPayload payload;
    auto* mapping = payload.add_pntolidmappings();
    mapping->set_pn(15550001111);
    mapping->set_assignedlid(200000000000011);
    Message sync;
    sync.mutable_protocolmessage()->set_type(Message::ProtocolMessage::LID_MIGRATION_MAPPING_SYNC);
    sync.mutable_protocolmessage()->mutable_lidmigrationmappingsyncmessage()->set_encodedmappingpayload(
        ToString(SerializeProto(payload)));
    out.push_back(sync);
    Message sent;
    sent.mutable_devicesentmessage()->set_destinationjid("15550001111@s.whatsapp.net");
    *sent.mutable_devicesentmessage()->mutable_message() = Text("from my phone");
    out.push_back(sent);
    Message ephemeral;
    *ephemeral.mutable_ephemeralmessage()->mutable_message() = Text("disappearing");
    out.push_back(ephemeral);
    for (std::size_t i = 0; i < out.size(); ++i)
        Write("wa_message", "message-" + std::to_string(i), SerializeProto(out[i]));
}

// A history chunk as a phone encodes it: conversations (1:1 with pnJid/lidJid, a group), messages
// in both directions newest first, a PN<->LID pair; a PUSH_NAME chunk; and the notification
// carrying the first inline.
void HistorySyncSeeds() {
    HistorySync sync;
    sync.set_synctype(HistorySync::INITIAL_BOOTSTRAP);
    sync.set_progress(100);
    Conversation* one = sync.add_conversations();
    one->set_id("15550002222@s.whatsapp.net");
    one->set_pnjid("15550002222@s.whatsapp.net");
    one->set_lidjid("200000000000022@lid");
    one->set_name("Pat (customer)");
    one->set_unreadcount(1);
    for (int i = 0; i < 3; ++i) {
        HistorySyncMsg* hm = one->add_messages();
        hm->set_msgorderid(static_cast<std::uint64_t>(i + 1));
        WebMessageInfo* info = hm->mutable_message();
        info->mutable_key()->set_remotejid(one->id());
        info->mutable_key()->set_fromme(i == 1);
        info->mutable_key()->set_id("3EB0H" + std::to_string(i));
        info->mutable_message()->set_conversation("history " + std::to_string(i));
        info->set_messagetimestamp(static_cast<std::uint64_t>(1700000000 - i * 60));
        if (i == 1) info->set_status(WebMessageInfo::READ);
        else info->set_pushname("Pat");
    }
    Conversation* group = sync.add_conversations();
    group->set_id("120363000000000001@g.us");
    group->set_name("Team");
    HistorySyncMsg* gm = group->add_messages();
    gm->mutable_message()->mutable_key()->set_remotejid(group->id());
    gm->mutable_message()->mutable_key()->set_id("3EB0G1");
    gm->mutable_message()->mutable_key()->set_participant("200000000000022@lid");
    gm->mutable_message()->mutable_message()->set_conversation("hello team");
    gm->mutable_message()->set_messagetimestamp(1700000100);
    auto* pair = sync.add_phonenumbertolidmappings();
    pair->set_pnjid("15550002222@s.whatsapp.net");
    pair->set_lidjid("200000000000022@lid");
    const Bytes raw = SerializeProto(sync);
    const Bytes deflated = ZlibDeflate(raw);
    Message::HistorySyncNotification notification;
    notification.set_synctype(Message::INITIAL_BOOTSTRAP);
    notification.set_progress(100);
    notification.set_initialhistbootstrapinlinepayload(ToString(deflated));
    Write("history_sync", "notification-inline", 0x00, SerializeProto(notification));
    Write("history_sync", "payload-zlib", 0x01, deflated);
    Write("history_sync", "sync-bootstrap", 0x02, raw);
    HistorySync names;
    names.set_synctype(HistorySync::PUSH_NAME);
    auto* pushname = names.add_pushnames();
    pushname->set_id("15550002222@s.whatsapp.net");
    pushname->set_pushname("Pat");
    Write("history_sync", "sync-push-names", 0x02, SerializeProto(names));
    Message::HistorySyncNotification blob;
    blob.set_synctype(Message::FULL);
    blob.set_filelength(123456);
    blob.set_directpath("/v/t62.7117-24/history");
    Write("history_sync", "notification-blob", 0x00, SerializeProto(blob));
}

void AdvIdentity() {
    ADVDeviceIdentity identity;
    identity.set_rawid(1234);
    identity.set_timestamp(1'700'000'000);
    identity.set_keyindex(3);
    const Bytes details = SerializeProto(identity);
    Write("adv_identity", "device-identity", 2, details);
    // The same signed by an account key, and wrapped with the target's adv secret (0x42 * 32).
    const auto account = FixedKey(8), companion = FixedKey(7);
    const auto signature =
        crypto::Sign(account.priv, Concat({BytesView(kAdvPrefixAccountSignature), details, crypto::View(companion.pub)}));
    ADVSignedDeviceIdentity signed_identity;
    signed_identity.set_details(ToString(details));
    signed_identity.set_accountsignaturekey(ToString(crypto::View(account.pub)));
    signed_identity.set_accountsignature(std::string(signature.begin(), signature.end()));
    const Bytes signed_bytes = SerializeProto(signed_identity);
    Write("adv_identity", "signed-identity", 1, signed_bytes);
    ADVSignedDeviceIdentityHMAC container;
    container.set_details(ToString(signed_bytes));
    const auto mac = crypto::HmacSha256(Bytes(32, 0x42), signed_bytes);
    container.set_hmac(std::string(mac.begin(), mac.end()));
    Write("adv_identity", "container", 0, SerializeProto(container));
}

void ReceiveMessage(const std::vector<Message>& messages) {
    // Plaintexts the target's sender encrypts, with a few stanza shapes.
    const std::uint8_t shapes[] = {0x00, 0x02, 0x04, 0x08, 0x10, 0x14, 0x18};
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const std::uint8_t flags = shapes[i % std::size(shapes)];
        Write("receive_message", "plain-" + std::to_string(i), flags, SerializeProto(messages[i]));
    }
    // Real ciphertexts between two fresh parties (their keys are not the target's: these reach
    // the Signal parsers and fail there, as a forged or stale ciphertext does).
    const Credentials alice = GenerateCredentials(), bob = GenerateCredentials();
    MemoryCredentialStore alice_store, bob_store;
    auto a = SignalManager::Create(alice_store, alice).value();
    auto b = SignalManager::Create(bob_store, bob).value();
    const auto pre_keys = b->GeneratePreKeys(1, 1).value();
    const PreKeyBundle bundle = testing::BundleOf(bob, pre_keys[0]);
    const SignalAddress bob_address{"15550009999", 3};
    (void)a->ProcessBundle(bob_address, bundle).value();
    const auto pkmsg = a->Encrypt(bob_address, PadMessage(SerializeProto(Text("hi")))).value();
    Write("receive_message", "ciphertext-pkmsg", 0x03, pkmsg.bytes);
    (void)b->Decrypt({"15550001111", 0}, CiphertextType::kPkMsg, pkmsg.bytes).value();
    const auto reply = b->Encrypt({"15550001111", 0}, PadMessage(SerializeProto(Text("hello back")))).value();
    Write("receive_message", "ciphertext-msg", 0x01, reply.bytes);
}

void QrPairing() {
    const auto noise = FixedKey(9), identity = FixedKey(10);
    Write("qr_pairing", "ref", 0, AsBytes("2@XxYyZz0123456789abcdefABCDEF+/==,"));
    Write("qr_pairing", "ref-plain", 0, AsBytes("2@XxYyZz0123456789abcdefABCDEF+/=="));
    Write("qr_pairing", "scanned", 1,
          AsBytes(BuildQrText("2@ref", crypto::View(noise.pub), crypto::View(identity.pub), Bytes(32, 0x33), "1")));
    Write("qr_pairing", "primary-hello", 2, Concat({crypto::View(FixedKey(12).pub), crypto::View(FixedKey(13).pub)}));
    Write("qr_pairing", "pairing-code", 3, AsBytes("2K3Z7QHA"));
}

void JsonBody() {
    Write("json_body", "login", R"({"email":"admin@acme.test","password":"a-long-password"})");
    Write("json_body", "send", R"({"message":"Hello! \u00e9\ud83d\ude00","clientMessageId":"order-42"})");
    Write("json_body", "access", R"({"managerId":"m1","canRead":true,"canWrite":false,"canManageChats":null})");
    Write("json_body", "nested", R"({"a":[1,2.5e10,-0,{"b":{"c":[null,"x"]}}],"d":"\n\t\""})");
}

void RequestTarget() {
    Write("request_target", "send", "/api/whatsapp/sessions/6f1c/chats/79001234567/send");
    Write("request_target", "page", "/api/whatsapp/sessions/6f1c/chats?page=1&limit=50&unread=true");
    Write("request_target", "events", "/api/events?after=12&x=%20y+z");
    Write("request_target", "jids", "/c/79001234567%40c.us/120363012345678901@g.us/200000000000011@lid/+79001234567");
    Write("request_target", "device-jid", "/j/15550001111:3@s.whatsapp.net/200000000000011_1:2@lid");
}

void SocketIo() {
    using namespace realtime;
    SioPacket connect{SioType::kConnect, "/", std::nullopt, boost::json::object{{"token", "abc"}}};
    SioPacket event{SioType::kEvent, "/", 7, boost::json::array{"ping", boost::json::object{{"x", 1}}}};
    SioPacket ack{SioType::kAck, "/admin", 3, boost::json::array{}};
    const std::string c = EncodeEioPacket(EioType::kMessage, EncodeSioPacket(connect));
    const std::string e = EncodeEioPacket(EioType::kMessage, EncodeSioPacket(event));
    const std::string a = EncodeEioPacket(EioType::kMessage, EncodeSioPacket(ack));
    const std::string ping = EncodeEioPacket(EioType::kPing), pong = EncodeEioPacket(EioType::kPong);
    Write("socketio", "connect", c);
    Write("socketio", "session", JoinPollingPayload({c, e, pong, a}));
    Write("socketio", "probe", JoinPollingPayload({ping, EncodeEioPacket(EioType::kPing, "probe"),
                                                   EncodeEioPacket(EioType::kUpgrade),
                                                   EncodeEioPacket(EioType::kClose)}));
    Write("socketio", "disconnect", EncodeEioPacket(EioType::kMessage, EncodeSioPacket({SioType::kDisconnect})));
}

// A client frame: the server encoding with the mask bit set and the payload masked.
std::string Masked(realtime::WsOpcode opcode, std::string_view payload, bool fin = true) {
    std::string frame = realtime::EncodeWsFrame(opcode, payload);
    const std::size_t header = frame.size() - payload.size();
    if (!fin) frame[0] = static_cast<char>(frame[0] & 0x7F);
    frame[1] = static_cast<char>(frame[1] | 0x80);
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::string out = frame.substr(0, header) + std::string(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ mask[i % 4]);
    return out;
}

void WsFrame() {
    using realtime::WsOpcode;
    Write("ws_frame", "text", 0x07, AsBytes(Masked(WsOpcode::kText, "42[\"ping\",{}]")));
    Write("ws_frame", "fragmented",
          0x03, AsBytes(Masked(WsOpcode::kText, "4", false) + Masked(WsOpcode::kPing, "p") +
                        Masked(WsOpcode::kContinuation, "2[\"é\"]")));
    Write("ws_frame", "long", 0x20, AsBytes(Masked(WsOpcode::kBinary, std::string(300, 'b'))));
    Write("ws_frame", "close", 0x01, AsBytes(Masked(WsOpcode::kClose, realtime::EncodeWsClosePayload(1000, "bye"))));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: seed_corpus <fuzz/corpus>\n";
        return 2;
    }
    root = argv[1];
    std::vector<Message> messages;
    BinaryDecoder();
    NoiseFrame();
    NoiseHandshake();
    WaMessage(messages);
    HistorySyncSeeds();
    AdvIdentity();
    ReceiveMessage(messages);
    QrPairing();
    JsonBody();
    RequestTarget();
    SocketIo();
    WsFrame();
    return 0;
}
