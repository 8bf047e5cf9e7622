// Receiving group messages (wa-protocol §18.4): the sender key distribution that comes pairwise in
// the stanza is stored per (group, sender device) with the commit, the skmsg decrypts with it
// (whichever order the <enc>s come in), a later bare skmsg decrypts from the stored key, a
// redelivery yields the same message, and a missing key is an undecryptable message answered with
// a retry receipt — never a drop.
#include <gtest/gtest.h>

#include "bundle_of.h"
#include "whatsapp/client/receive.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {
namespace {

constexpr std::string_view kGroup = "120363000000000077@g.us";
constexpr std::string_view kParticipant = "100000000000011:2@lid";  // the sender device
const SignalAddress kSenderAddr{"100000000000011_1", 2};
const SignalAddress kReceiverAddr{"200000000000099_1", 3};

struct Member {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore store;
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(store, creds));
};

struct Events : ClientEvents {
    explicit Events(MemoryCredentialStore& durable) : durable_(durable) {}
    bool OnMessage(const IncomingMessage& m, const CredentialWrites& writes) override {
        for (const auto& w : writes) {
            if (w.value) durable_.Put(w.key, *w.value);
            else durable_.Delete(w.key);
        }
        messages.push_back(m);
        return true;
    }
    std::vector<IncomingMessage> messages;

private:
    MemoryCredentialStore& durable_;
};

class ReceiveGroup : public ::testing::Test {
protected:
    void SetUp() override {
        creds.me = Me{"15550009999:3@s.whatsapp.net", "200000000000099:3@lid", "Shop"};
        auto keys = signal->GeneratePreKeys(1, 2);
        ASSERT_TRUE(keys);
        ASSERT_TRUE(sender.signal->ProcessBundle(kReceiverAddr, testing::BundleOf(creds, (*keys)[0])));
    }
    // The sender's SKDM for the group, pairwise for the receiver.
    Node KeyEnc() {
        auto skdm = sender.signal->OwnSenderKeyDistribution(kGroup, kSenderAddr);
        EXPECT_TRUE(skdm);
        Message m;
        m.mutable_senderkeydistributionmessage()->set_groupid(std::string(kGroup));
        m.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
            std::string(skdm->begin(), skdm->end()));
        auto ct = sender.signal->Encrypt(kReceiverAddr, PadMessage(SerializeProto(m)));
        EXPECT_TRUE(ct);
        return Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}}, ct->bytes);
    }
    Node TextEnc(const std::string& text) {
        Message m;
        m.set_conversation(text);
        auto ct = sender.signal->GroupEncrypt(kGroup, kSenderAddr, PadMessage(SerializeProto(m)));
        EXPECT_TRUE(ct) << ct.error().message;
        return Node("enc", {{"v", "2"}, {"type", "skmsg"}}, *ct);
    }
    static Node Stanza(const std::string& id, NodeList encs) {
        return Node("message",
                    Attrs{{"from", std::string(kGroup)}, {"participant", std::string(kParticipant)},
                          {"participant_pn", "15550001111@s.whatsapp.net"}, {"addressing_mode", "lid"}, {"id", id},
                          {"t", "1700000000"}, {"notify", "Ann"}},
                    std::move(encs));
    }
    MessageOutcome Run(const Node& stanza) {
        ReceiveContext ctx{creds, *signal, &batch, batch, events, retries};
        return ReceiveMessage(ctx, stanza);
    }

    Member sender;
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore durable;
    BatchingCredentialStore batch{durable};
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(batch, creds));
    RetryCounter retries;
    Events events{durable};
};

TEST_F(ReceiveGroup, TheKeyInTheStanzaOpensTheSkmsgAndIsKeptForTheNextOne) {
    // The skmsg first, as Baileys orders them: the pairwise key is still taken first.
    Node key = KeyEnc();  // made before the text, as a sender does
    const Node first = Stanza("3EB0G1", NodeList{TextEnc("hello group"), std::move(key)});
    MessageOutcome out = Run(first);
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kReceipt);
    ASSERT_EQ(events.messages.size(), 1u);
    const IncomingMessage& m = events.messages[0];
    EXPECT_EQ(m.kind, MessageKind::kContent);
    EXPECT_EQ(m.text, "hello group");
    EXPECT_TRUE(m.is_group);
    EXPECT_EQ(m.chat, kGroup);
    EXPECT_EQ(m.sender, kParticipant);
    EXPECT_EQ(m.sender_alt, "15550001111@s.whatsapp.net");
    EXPECT_EQ(m.push_name, "Ann");
    EXPECT_TRUE(durable.Get(store_keys::SenderKey(kGroup, kSenderAddr.name, kSenderAddr.device)))
        << "the sender key was committed with the message";

    const Node second = Stanza("3EB0G2", NodeList{TextEnc("second")});
    EXPECT_EQ(Run(second).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().text, "second");
    // A redelivery of the first stanza after its commit: the same message again.
    EXPECT_EQ(Run(first).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().id, "3EB0G1");
    EXPECT_EQ(events.messages.back().text, "hello group");
}

TEST_F(ReceiveGroup, AMissingSenderKeyIsStoredAsUndecryptableAndRetried) {
    (void)sender.signal->OwnSenderKeyDistribution(kGroup, kSenderAddr);
    MessageOutcome out = Run(Stanza("3EB0G3", NodeList{TextEnc("you cannot read me yet")}));
    EXPECT_EQ(out.reply, MessageOutcome::Reply::kRetry);
    EXPECT_EQ(out.retry_count, 1);
    ASSERT_EQ(events.messages.size(), 1u);
    EXPECT_EQ(events.messages[0].kind, MessageKind::kUndecryptable);
    EXPECT_EQ(events.messages[0].failure, "signal_no_sender_key");
    EXPECT_EQ(events.messages[0].chat, kGroup);

    // The resend carries body and key pairwise (§8.1): it replaces the undecryptable one.
    Message m;
    m.set_conversation("you cannot read me yet");
    auto skdm = sender.signal->OwnSenderKeyDistribution(kGroup, kSenderAddr);
    m.mutable_senderkeydistributionmessage()->set_groupid(std::string(kGroup));
    m.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
        std::string(skdm->begin(), skdm->end()));
    auto ct = sender.signal->Encrypt(kReceiverAddr, PadMessage(SerializeProto(m)));
    Node resend = Stanza("3EB0G3", NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))},
                                                         {"count", "1"}},
                                                 ct->bytes)});
    EXPECT_EQ(Run(resend).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().kind, MessageKind::kContent);
    EXPECT_EQ(events.messages.back().text, "you cannot read me yet");
    // And the key it carried opens the sender's next skmsg.
    EXPECT_EQ(Run(Stanza("3EB0G4", NodeList{TextEnc("now you can")})).reply, MessageOutcome::Reply::kReceipt);
    EXPECT_EQ(events.messages.back().text, "now you can");
}

TEST_F(ReceiveGroup, AKeyForAnotherGroupIsNotTakenAndOurOwnDevicesMessageIsReceiptedAsSender) {
    auto skdm = sender.signal->OwnSenderKeyDistribution("120363000000000078@g.us", kSenderAddr);
    Message m;
    m.mutable_senderkeydistributionmessage()->set_groupid("120363000000000078@g.us");
    m.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
        std::string(skdm->begin(), skdm->end()));
    auto ct = sender.signal->Encrypt(kReceiverAddr, PadMessage(SerializeProto(m)));
    Run(Stanza("3EB0G5", NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}}, ct->bytes)}));
    EXPECT_FALSE(durable.Get(store_keys::SenderKey("120363000000000078@g.us", kSenderAddr.name, kSenderAddr.device)));
    EXPECT_FALSE(durable.Get(store_keys::SenderKey(kGroup, kSenderAddr.name, kSenderAddr.device)));

    // A message from another of our own devices in the group.
    Node own = Stanza("3EB0G6", NodeList{TextEnc("from my phone")});
    own.attrs.Set("participant", "200000000000099@lid");
    MessageOutcome out = Run(own);
    EXPECT_EQ(out.receipt, MessageOutcome::ReceiptKind::kSender);
    EXPECT_TRUE(out.recipient.empty());
    EXPECT_TRUE(events.messages.back().from_me);
}

}  // namespace
}  // namespace wadesk::wa
