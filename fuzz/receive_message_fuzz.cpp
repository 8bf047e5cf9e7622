// libFuzzer target: the receive path of one <message> stanza (ReceiveMessage: addressing, LID
// learning, Signal decryption, unpadding, protobuf parsing, classification), with a real sender.
// Input: byte 0 holds flags, the rest is the payload.
//   bit 0  the payload is the <enc> ciphertext itself (bit 1: pkmsg, else msg); without it the
//          payload is a plaintext Message that the sender encrypts over a real Signal session
//          (bit 1: v="3", unpadded; else padded)
//   bit 2  the stanza comes from another device of our own account (recipient = the contact)
//   bit 3  the stanza comes from a group (participant = the contact)
//   bit 4  the stanza names the contact's LID (sender_lid / participant_lid)
// Every receive is refused at the commit (OnMessage returns false), so the receiver's state is
// the same for every input.
// Invariants: a refused commit leaves the receiver's durable store untouched; what the real sender
// encrypted always decrypts: it is a message when the plaintext parses as one (its text is the
// conversation text), else "bad_protobuf" answered with NACK 491; a content message carries a
// serialized Message that parses.
#include <cstdint>
#include <memory>
#include <optional>

#include "../tests/whatsapp/client/bundle_of.h"
#include "fuzz_check.h"
#include "quiet_protobuf.h"
#include "whatsapp/client/receive.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

constexpr std::string_view kContactJid = "15550001111@s.whatsapp.net";
constexpr std::string_view kContactLid = "200000000000011@lid";
constexpr std::string_view kOwnOtherDevice = "15550009999:7@s.whatsapp.net";
const SignalAddress kReceiverAddr{"15550009999", 3};

using testing::BundleOf;

// A party with its Signal state behind a write batch, so a unit of work can be dropped.
struct Party {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore durable;
    BatchingCredentialStore batch{durable};
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(batch, creds));
};

struct RefusingEvents : ClientEvents {
    bool OnMessage(const IncomingMessage& m, const CredentialWrites&) override {
        last = m;
        return false;
    }
    std::optional<IncomingMessage> last;
};

struct World {
    Party receiver;
    Party sender;
    RetryCounter retries;
    World() {
        receiver.creds.me = Me{"15550009999:3@s.whatsapp.net", "200000000000099:3@lid", "Shop"};
        auto keys = receiver.signal->GeneratePreKeys(1, 1).value();
        FUZZ_CHECK(sender.signal->ProcessBundle(kReceiverAddr, BundleOf(receiver.creds, keys[0])), "no session");
    }
};

World& TheWorld() {
    static World world;
    return world;
}

Node Stanza(std::uint8_t flags, std::string_view type, std::string_view version, Bytes ciphertext) {
    Attrs attrs{{"id", "3EB0F00D"}, {"t", "1700000000"}, {"notify", "Ann"}};
    const bool lid = flags & 16;
    if (flags & 8) {
        attrs.Set("from", "120363000000000001@g.us");
        attrs.Set("participant", std::string(kContactJid));
        if (lid) attrs.Set("participant_lid", std::string(kContactLid));
    } else if (flags & 4) {
        attrs.Set("from", std::string(kOwnOtherDevice));
        attrs.Set("recipient", std::string(kContactJid));
        if (lid) attrs.Set("recipient_lid", std::string(kContactLid));
    } else {
        attrs.Set("from", std::string(kContactJid));
        if (lid) attrs.Set("sender_lid", std::string(kContactLid));
    }
    return Node("message", std::move(attrs),
                NodeList{Node("enc", {{"v", std::string(version)}, {"type", std::string(type)}}, std::move(ciphertext))});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    World& w = TheWorld();
    const std::uint8_t flags = data[0];
    const BytesView payload(data + 1, size - 1);
    const bool raw = flags & 1;
    const bool v3 = !raw && (flags & 2);

    Node stanza = [&] {
        if (raw) return Stanza(flags, (flags & 2) ? "pkmsg" : "msg", "2", Bytes(payload.begin(), payload.end()));
        w.sender.batch.Begin();  // the sender's ratchet is put back after encrypting
        auto ct = w.sender.signal->Encrypt(kReceiverAddr, v3 ? Bytes(payload.begin(), payload.end())
                                                              : PadMessage(payload));
        w.sender.batch.Discard();
        FUZZ_CHECK(ct, "the sender cannot encrypt");
        return Stanza(flags, CiphertextTypeName(ct->type), v3 ? "3" : "2", ct->bytes);
    }();

    const auto before = w.receiver.durable.items();
    RefusingEvents events;
    ReceiveContext ctx{w.receiver.creds, *w.receiver.signal, &w.receiver.batch, w.receiver.batch, events, w.retries};
    const MessageOutcome out = ReceiveMessage(ctx, stanza);
    w.receiver.signal->lid_map().ClearCache();  // as after any unit of work that was not committed

    FUZZ_CHECK(w.receiver.durable.items() == before, "a refused commit changed the receiver's store");
    FUZZ_CHECK(out.reply == MessageOutcome::Reply::kNone && events.last, "a refused commit was answered");
    const IncomingMessage& msg = *events.last;
    if (!raw) {
        auto plain = ParseProto<Message>(payload);
        if (plain) {
            FUZZ_CHECK(msg.kind != MessageKind::kUndecryptable, "a message the real sender encrypted is undecryptable");
            const Message& content = plain->has_devicesentmessage() ? plain->devicesentmessage().message() : *plain;
            const Message& inner = UnwrapMessage(content);
            if (msg.kind == MessageKind::kContent && inner.has_conversation())
                FUZZ_CHECK(msg.text == inner.conversation(), "the text is not the conversation sent");
        } else {
            FUZZ_CHECK(msg.kind == MessageKind::kUndecryptable && msg.failure == "bad_protobuf",
                       "an encrypted non-message is not reported as bad_protobuf");
        }
    }
    if (msg.kind == MessageKind::kContent)
        FUZZ_CHECK(ParseProto<Message>(msg.message), "a content message carries bytes that do not parse");
    return 0;
}
