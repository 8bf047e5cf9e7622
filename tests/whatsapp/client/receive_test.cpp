#include "whatsapp/client/receive.h"

#include <gtest/gtest.h>

#include "bundle_of.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {
namespace {

// The sender: a contact's phone with its own Signal state.
struct Sender {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore store;
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(store, creds));
};

// The receiver as the session runs it: a durable store under a write batch.
struct Receiver {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore durable;  // what a commit reaches
    BatchingCredentialStore batch{durable};
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(batch, creds));
    RetryCounter retries;

    Receiver() { creds.me = Me{"15550009999:3@s.whatsapp.net", "200000000000099:3@lid", "Shop"}; }

    PreKeyBundle Bundle(PreKeyPublic one_time) const { return testing::BundleOf(creds, one_time); }
};

// Events that commit the batch's writes into the durable store, or refuse (a failed commit).
struct CommittingEvents : ClientEvents {
    explicit CommittingEvents(MemoryCredentialStore& durable) : durable_(durable) {}
    bool OnMessage(const IncomingMessage& m, const CredentialWrites& writes) override {
        if (refuse) return false;
        for (const auto& w : writes) {
            if (w.value) durable_.Put(w.key, *w.value);
            else durable_.Delete(w.key);
        }
        messages.push_back(m);
        return true;
    }
    bool refuse = false;
    std::vector<IncomingMessage> messages;

private:
    MemoryCredentialStore& durable_;
};

const SignalAddress kReceiverAddr{"15550009999", 3};
constexpr std::string_view kSenderJid = "15550001111@s.whatsapp.net";

Node Stanza(const std::string& id, const Ciphertext& ct, Attrs extra = {}) {
    Attrs attrs{{"from", std::string(kSenderJid)}, {"id", id}, {"t", "1700000000"}, {"notify", "Ann"}};
    for (const auto& [k, v] : extra) attrs.Set(k, v);
    return Node("message", std::move(attrs),
                NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct.type))}}, ct.bytes)});
}

Ciphertext Encrypt(Sender& s, const Message& m) {
    auto ct = s.signal->Encrypt(kReceiverAddr, PadMessage(SerializeProto(m)));
    EXPECT_TRUE(ct) << ct.error().message;
    return *ct;
}

Message Text(const std::string& text) {
    Message m;
    m.set_conversation(text);
    return m;
}

class Receive : public ::testing::Test {
protected:
    void SetUp() override {
        auto keys = receiver.signal->GeneratePreKeys(1, 2);
        ASSERT_TRUE(keys);
        ASSERT_TRUE(sender.signal->ProcessBundle(kReceiverAddr, receiver.Bundle((*keys)[0])));
    }
    MessageOutcome Run(const Node& stanza) {
        ReceiveContext ctx{receiver.creds, *receiver.signal, &receiver.batch, receiver.batch, events, receiver.retries};
        return ReceiveMessage(ctx, stanza);
    }

    Sender sender;
    Receiver receiver;
    CommittingEvents events{receiver.durable};
};

TEST_F(Receive, CommitsTheMessageWithTheSignalStateItAdvanced) {
    const Node stanza = Stanza("3EB0A1", Encrypt(sender, Text("hello")));
    const std::size_t before = receiver.durable.size();
    MessageOutcome out = Run(stanza);
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].text, "hello");
    EXPECT_EQ(events.messages[0].kind, MessageKind::kContent);
    EXPECT_GT(receiver.durable.size(), before) << "session, identity and the buffered plaintext were committed";
    EXPECT_FALSE(receiver.durable.Get(store_keys::PreKey(1))) << "the consumed pre-key is deleted by the commit";
}

// The field's failure: the ratchet was saved before the message commit failed, so the
// redelivered stanza could never be decrypted again. Now a failed commit keeps nothing.
TEST_F(Receive, AFailedCommitKeepsNothingAndTheRedeliveryDecrypts) {
    const Node stanza = Stanza("3EB0A2", Encrypt(sender, Text("first try fails")));
    const auto before = receiver.durable.items();
    events.refuse = true;
    EXPECT_EQ(Run(stanza).reply, MessageOutcome::Reply::kNone);
    EXPECT_EQ(receiver.durable.items(), before) << "no Signal state, no pre-key deletion, no buffer";
    events.refuse = false;
    EXPECT_EQ(Run(stanza).reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].text, "first try fails");
}

// Committed, but the receipt never reached WhatsApp (crash, lost connection): the redelivery
// comes from the buffer as the same message, not as a Signal duplicate.
TEST_F(Receive, ARedeliveryAfterTheCommitYieldsTheSameMessage) {
    const Node stanza = Stanza("3EB0A3", Encrypt(sender, Text("once")));
    ASSERT_EQ(Run(stanza).reply, MessageOutcome::Reply::kReceipt);
    // A second message advances the ratchet further before the redelivery.
    ASSERT_EQ(Run(Stanza("3EB0A4", Encrypt(sender, Text("twice")))).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(Run(stanza).reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 3u);
    EXPECT_EQ(events.messages[2].id, "3EB0A3");
    EXPECT_EQ(events.messages[2].text, "once");
    EXPECT_EQ(events.messages[2].kind, MessageKind::kContent);
}

TEST_F(Receive, AnUndecryptableMessageIsReportedAndRetriedABoundedNumberOfTimes) {
    Ciphertext garbage{CiphertextType::kMsg, Bytes{0x33, 9, 9, 9, 9}};
    MessageOutcome first = Run(Stanza("3EB0B1", garbage));
    EXPECT_EQ(first.reply, MessageOutcome::Reply::kRetry);
    EXPECT_EQ(first.retry_count, 1);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kUndecryptable);
    EXPECT_FALSE(events.messages[0].failure.empty());
    // The resend fails again: the count follows the stanza's <enc count> and stops at the bound.
    Node resend = Stanza("3EB0B1", garbage);
    resend.Child("enc")->attrs.Set("count", "4");
    EXPECT_EQ(Run(resend).retry_count, 5);
    EXPECT_EQ(Run(resend).reply, MessageOutcome::Reply::kReceipt) << "after the fifth retry it is settled as is";
    EXPECT_EQ(events.messages.size(), 3u) << "each attempt is still reported";
}

TEST_F(Receive, RevokeAndEditNameTheirTarget) {
    Message revoke;
    revoke.mutable_protocolmessage()->set_type(Message::ProtocolMessage::REVOKE);
    revoke.mutable_protocolmessage()->mutable_key()->set_id("3EB0OLD");
    ASSERT_EQ(Run(Stanza("3EB0C1", Encrypt(sender, revoke))).reply, MessageOutcome::Reply::kReceipt);
    Message edit;
    edit.mutable_protocolmessage()->set_type(Message::ProtocolMessage::MESSAGE_EDIT);
    edit.mutable_protocolmessage()->mutable_key()->set_id("3EB0OLD2");
    edit.mutable_protocolmessage()->mutable_editedmessage()->set_conversation("fixed typo");
    ASSERT_EQ(Run(Stanza("3EB0C2", Encrypt(sender, edit))).reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 2u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kRevoke);
    EXPECT_EQ(events.messages[0].target_id, "3EB0OLD");
    EXPECT_EQ(events.messages[1].kind, MessageKind::kEdit);
    EXPECT_EQ(events.messages[1].target_id, "3EB0OLD2");
    EXPECT_EQ(events.messages[1].content.body, "fixed typo");
}

// The phone's history push after linking comes from our own user with no chat: it is kept raw,
// committed, flagged for the import, and answered with a hist_sync receipt (it used to fail "a
// chat needs a jid"). The same notification from anyone else is spoofed: settled, not kept.
TEST_F(Receive, AHistorySyncNotificationIsKeptAndReceipted) {
    Message m;
    auto* pm = m.mutable_protocolmessage();
    pm->set_type(Message::ProtocolMessage::HISTORY_SYNC_NOTIFICATION);
    pm->mutable_historysyncnotification()->set_chunkorder(1);
    Node stanza = Stanza("3EB0D1", Encrypt(sender, m), {{"category", "peer"}, {"from", "15550009999@s.whatsapp.net"}});
    MessageOutcome out = Run(stanza);
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(out.receipt, MessageOutcome::ReceiptKind::kHistSync);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kProtocol);
    EXPECT_TRUE(events.messages[0].history_notification);
    auto kept = receiver.durable.Get(store_keys::HistoryNotification("3EB0D1"));
    ASSERT_TRUE(kept);
    auto parsed = ParseProto<Message::HistorySyncNotification>(*kept);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->chunkorder(), 1u);
}

TEST_F(Receive, AHistorySyncNotificationFromSomeoneElseIsNotKept) {
    Message m;
    auto* pm = m.mutable_protocolmessage();
    pm->set_type(Message::ProtocolMessage::HISTORY_SYNC_NOTIFICATION);
    pm->mutable_historysyncnotification()->set_chunkorder(1);
    MessageOutcome out = Run(Stanza("3EB0D2", Encrypt(sender, m), {{"category", "peer"}}));
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(out.receipt, MessageOutcome::ReceiptKind::kPeer);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kProtocol);
    EXPECT_FALSE(events.messages[0].history_notification);
    EXPECT_FALSE(receiver.durable.Get(store_keys::HistoryNotification("3EB0D2")));
}

TEST_F(Receive, AMalformedPlaintextIsNackedButItsStateIsKept) {
    auto ct = sender.signal->Encrypt(kReceiverAddr, PadMessage(Bytes{0xFF, 0xFF, 0xFF}));
    ASSERT_TRUE(ct);
    MessageOutcome out = Run(Stanza("3EB0E1", *ct));
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kNack);
    EXPECT_EQ(out.nack_code, 491);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kUndecryptable);
    // The ratchet moved on with the commit: the next message decrypts.
    EXPECT_EQ(Run(Stanza("3EB0E2", Encrypt(sender, Text("after")))).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().text, "after");
}

// Bad stanzas from the server get an answer and never a throw; what can be shown is reported.
TEST_F(Receive, BadStanzasAreAnsweredAndNothingIsDropped) {
    // No id or an unparsable sender: refused, nothing reported.
    Node no_id("message", {{"from", std::string(kSenderJid)}}, NodeList{});
    MessageOutcome out = Run(no_id);
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kNack);
    EXPECT_EQ(out.nack_code, 487);
    Node bad_from("message", {{"from", "no-at-sign"}, {"id", "3EB0F0"}}, NodeList{});
    EXPECT_EQ(Run(bad_from).nack_code, 487);
    EXPECT_TRUE(events.messages.empty());

    // Nothing to decrypt (an <unavailable> placeholder): shown as undecryptable, settled.
    Node unavailable("message", {{"from", std::string(kSenderJid)}, {"id", "3EB0F1"}, {"t", "x"}},
                     NodeList{Node("unavailable", {{"type", "view_once"}})});
    EXPECT_EQ(Run(unavailable).reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kUndecryptable);
    EXPECT_EQ(events.messages[0].failure, "unavailable");
    EXPECT_EQ(events.messages[0].timestamp, 0) << "a time that is no number is no time";

    // An encryption we do not know, a count that is no number, an enc without bytes.
    Node odd("message", {{"from", std::string(kSenderJid)}, {"id", "3EB0F2"}},
             NodeList{Node("enc", {{"v", "2"}, {"type", "zzz"}, {"count", "-7"}}, Bytes{1, 2, 3}),
                      Node("enc", {{"v", "2"}, {"type", "msg"}})});
    EXPECT_EQ(Run(odd).reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 2u);
    EXPECT_EQ(events.messages[1].kind, MessageKind::kUndecryptable);
    EXPECT_EQ(events.messages[1].failure, "unsupported_encryption");
    EXPECT_EQ(events.messages[1].retry_count, 0);

    // The Signal state is untouched by all of it: a real message still decrypts.
    EXPECT_EQ(Run(Stanza("3EB0F3", Encrypt(sender, Text("still fine")))).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().text, "still fine");
}

TEST(BatchingCredentialStore, HoldsWritesOnTheBatchThreadOnly) {
    MemoryCredentialStore inner;
    inner.Put("a", ToBytes("1"));
    BatchingCredentialStore batch(inner);
    batch.Begin();
    batch.Put("b", ToBytes("2"));
    batch.Delete("a");
    EXPECT_FALSE(batch.Get("a"));
    EXPECT_EQ(*batch.Get("b"), ToBytes("2"));
    EXPECT_TRUE(inner.Get("a")) << "nothing reaches the inner store before the commit";
    EXPECT_FALSE(inner.Get("b"));
    std::thread([&] { batch.Put("c", ToBytes("3")); }).join();
    EXPECT_TRUE(inner.Get("c")) << "another thread writes through";
    CredentialWrites writes = batch.Take();
    ASSERT_EQ(writes.size(), 2u);
    EXPECT_EQ(writes[0].key, "b");
    EXPECT_FALSE(writes[1].value);
    batch.Put("d", ToBytes("4"));
    EXPECT_TRUE(inner.Get("d")) << "outside a batch, writes pass through";
    batch.Begin();
    batch.Put("e", ToBytes("5"));
    batch.Discard();
    EXPECT_FALSE(batch.Get("e"));
    EXPECT_FALSE(inner.Get("e"));
}

}  // namespace
}  // namespace wadesk::wa
