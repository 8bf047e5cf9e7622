#include "whatsapp/client/lid_map.h"

#include <gtest/gtest.h>

#include "bundle_of.h"
#include "whatsapp/client/signal_manager.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {
namespace {

constexpr std::string_view kPn = "15550001111";
constexpr std::string_view kLid = "100000000000011";

// ---- the map -------------------------------------------------------------------------------------

TEST(LidMap, LearnsBothDirectionsAndSwapsDevices) {
    MemoryCredentialStore store;
    LidMap map(store);
    EXPECT_FALSE(map.LidForPn(kPn));
    EXPECT_TRUE(map.Learn(kPn, kLid));
    EXPECT_FALSE(map.Learn(kPn, kLid)) << "an already known pair is not new";
    EXPECT_EQ(map.LidForPn(kPn), std::string(kLid));
    EXPECT_EQ(map.PnForLid(kLid), std::string(kPn));

    auto lid_dev = map.Alternate(*ParseJid("15550001111:5@s.whatsapp.net"));
    ASSERT_TRUE(lid_dev);
    EXPECT_EQ(lid_dev->ToString(), "100000000000011:5@lid");
    auto pn_dev = map.Alternate(*ParseJid("100000000000011:7@lid"));
    ASSERT_TRUE(pn_dev);
    EXPECT_EQ(pn_dev->ToString(), "15550001111:7@s.whatsapp.net");
    EXPECT_EQ(map.Alternate(*ParseJid("15550001111:99@hosted"))->ToString(), "100000000000011:99@hosted.lid");
    EXPECT_EQ(map.AlternateUserJid("100000000000011:3@lid"), "15550001111@s.whatsapp.net");
    EXPECT_EQ(map.AlternateUserJid("19990000000@s.whatsapp.net"), "");
    EXPECT_EQ(map.ToLid(*ParseJid("19990000000@s.whatsapp.net")).ToString(), "19990000000@s.whatsapp.net");
    EXPECT_FALSE(map.Alternate(*ParseJid("120363000000000000@g.us")));
}

TEST(LidMap, RejectsMalformedSides) {
    MemoryCredentialStore store;
    LidMap map(store);
    EXPECT_FALSE(map.Learn("", kLid));
    EXPECT_FALSE(map.Learn("1555abc", kLid));
    EXPECT_FALSE(map.LearnJids("15550001111@s.whatsapp.net", "16660001111@s.whatsapp.net"));
    EXPECT_FALSE(map.LearnJids("not a jid", "100@lid"));
    EXPECT_EQ(store.size(), 0u);
}

TEST(LidMap, NewLidForKnownPnReplacesThePair) {
    MemoryCredentialStore store;
    LidMap map(store);
    ASSERT_TRUE(map.Learn(kPn, kLid));
    EXPECT_TRUE(map.Learn(kPn, "100000000000099"));
    EXPECT_EQ(map.LidForPn(kPn), "100000000000099");
    EXPECT_FALSE(map.PnForLid(kLid)) << "the old LID no longer resolves";
    EXPECT_FALSE(store.Get(store_keys::PnForLid(kLid)));
    // A LID moving to another PN takes its pair along too.
    EXPECT_TRUE(map.Learn("15550002222", "100000000000099"));
    EXPECT_FALSE(map.LidForPn(kPn));
    EXPECT_EQ(map.PnForLid("100000000000099"), "15550002222");
}

TEST(LidMap, PersistsThroughTheCredentialStore) {
    MemoryCredentialStore store;
    {
        LidMap map(store);
        ASSERT_TRUE(map.LearnJids("100000000000011:2@lid", "15550001111:2@s.whatsapp.net"));
    }
    EXPECT_EQ(AsString(*store.Get("lid-map/pn/15550001111")), kLid);
    EXPECT_EQ(AsString(*store.Get("lid-map/lid/100000000000011")), kPn);
    LidMap reopened(store);
    EXPECT_EQ(reopened.LidForPn(kPn), std::string(kLid));
    EXPECT_EQ(reopened.PnForLid(kLid), std::string(kPn));
}

TEST(LidMap, NegativeLookupsAreCachedUntilLearned) {
    MemoryCredentialStore store;
    LidMap map(store);
    EXPECT_FALSE(map.LidForPn(kPn));
    EXPECT_TRUE(map.Learn(kPn, kLid));
    EXPECT_EQ(map.LidForPn(kPn), std::string(kLid)) << "a cached miss must not hide a learned pair";
}

TEST(LidMap, LearnsFromStanzaAttributes) {
    MemoryCredentialStore store;
    LidMap map(store);
    Node one_to_one("message", {{"from", "15550001111:3@s.whatsapp.net"}, {"sender_lid", "100000000000011@lid"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(one_to_one), 1);
    EXPECT_EQ(map.PnForLid(kLid), std::string(kPn));

    Node by_lid("message", {{"from", "100000000000022:1@lid"}, {"sender_pn", "15550002222@s.whatsapp.net"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(by_lid), 1);
    EXPECT_EQ(map.LidForPn("15550002222"), "100000000000022");

    Node group("message", {{"from", "120363000000000000@g.us"},
                           {"participant", "100000000000033@lid"},
                           {"participant_pn", "15550003333@s.whatsapp.net"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(group), 1);
    EXPECT_EQ(map.LidForPn("15550003333"), "100000000000033");

    Node own_copy("message", {{"from", "15559990000:2@s.whatsapp.net"},
                              {"recipient", "100000000000044@lid"},
                              {"peer_recipient_pn", "15550004444@s.whatsapp.net"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(own_copy), 1);
    EXPECT_EQ(map.LidForPn("15550004444"), "100000000000044");

    Node recipient_pair("message", {{"from", "15559990000:2@s.whatsapp.net"},
                                    {"recipient", "15550005555@s.whatsapp.net"},
                                    {"recipient_lid", "100000000000055@lid"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(recipient_pair), 1);
    EXPECT_EQ(map.LidForPn("15550005555"), "100000000000055");

    Node nothing("message", {{"from", "15550006666@s.whatsapp.net"}, {"sender_lid", "garbage"}});
    EXPECT_EQ(map.LearnFromStanzaAttributes(nothing), 0);
}

TEST(LidMap, LearnsFromUsyncAndDevicesNotification) {
    MemoryCredentialStore store;
    LidMap map(store);
    Node user("user", {{"jid", "15550001111@s.whatsapp.net"}},
              NodeList{Node("devices"), Node("lid", {{"val", "100000000000011@lid"}})});
    EXPECT_TRUE(map.LearnFromUsyncUser(user));
    EXPECT_EQ(map.LidForPn(kPn), std::string(kLid));
    Node devices("notification",
                 {{"from", "15550002222@s.whatsapp.net"}, {"type", "devices"}, {"lid", "100000000000022@lid"}});
    EXPECT_TRUE(map.LearnFromDevicesNotification(devices));
    EXPECT_EQ(map.PnForLid("100000000000022"), "15550002222");
}

Bytes MigrationPayload() {
    LIDMigrationMappingSyncPayload payload;
    auto* a = payload.add_pntolidmappings();
    a->set_pn(15550001111);
    a->set_assignedlid(100000000000011);
    auto* b = payload.add_pntolidmappings();
    b->set_pn(15550002222);
    b->set_assignedlid(100000000000022);
    b->set_latestlid(100000000000023);  // latestLid wins over assignedLid
    payload.set_chatdbmigrationtimestamp(1700000000);
    return SerializeProto(payload);
}

TEST(LidMap, LearnsFromMigrationSync) {
    MemoryCredentialStore store;
    LidMap map(store);
    auto learned = map.LearnFromMigrationSync(MigrationPayload());
    ASSERT_TRUE(learned);
    EXPECT_EQ(*learned, 2);
    EXPECT_EQ(map.LidForPn(kPn), std::string(kLid));
    EXPECT_EQ(map.LidForPn("15550002222"), "100000000000023");
    const Bytes junk{0xFF, 0xFF, 0xFF};
    EXPECT_FALSE(map.LearnFromMigrationSync(junk));
}

TEST(LidMap, LearnsFromOwnProtocolMessageType22) {
    MemoryCredentialStore store;
    LidMap map(store);
    Message m;
    auto* pm = m.mutable_protocolmessage();
    pm->set_type(Message::ProtocolMessage::LID_MIGRATION_MAPPING_SYNC);
    const Bytes payload = MigrationPayload();
    pm->mutable_lidmigrationmappingsyncmessage()->set_encodedmappingpayload(std::string(AsString(payload)));
    // The encoded message keeps field 23 inside field 12 (§13 source 7).
    auto reparsed = ParseProto<Message>(SerializeProto(m));
    ASSERT_TRUE(reparsed);
    map.LearnFromOwnMessage(*reparsed);
    EXPECT_EQ(map.LidForPn(kPn), std::string(kLid));
}

// ---- Signal addressing by LID ------------------------------------------------------------------------

struct Party {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore store;
    std::unique_ptr<SignalManager> signal;

    Party() {
        auto m = SignalManager::Create(store, creds);
        EXPECT_TRUE(m);
        signal = std::move(*m);
    }
    PreKeyBundle Bundle(std::optional<PreKeyPublic> one_time) const { return testing::BundleOf(creds, one_time); }
};

// Peer (device 3 of kPn / kLid) starts a session with us by PN; returns its address for us.
const SignalAddress kPeerPn{std::string(kPn), 3};
const SignalAddress kPeerLid{std::string(kLid) + "_1", 3};
const SignalAddress kUs{"15559990000", 0};

// The peer sends a pkmsg to us, we decrypt it addressed by PN.
void OpenByPn(Party& us, Party& peer) {
    auto pre_keys = us.signal->GeneratePreKeys(1, 2);
    ASSERT_TRUE(pre_keys);
    ASSERT_TRUE(peer.signal->ProcessBundle(kUs, us.Bundle((*pre_keys)[0])));
    auto first = peer.signal->Encrypt(kUs, PadMessage(ToBytes("by pn")));
    ASSERT_TRUE(first);
    ASSERT_EQ(first->type, CiphertextType::kPkMsg);
    auto plain = us.signal->Decrypt(kPeerPn, CiphertextType::kPkMsg, first->bytes);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*UnpadMessage(*plain), ToBytes("by pn"));
}

TEST(SignalLid, WithoutAMappingALidMsgHasNoSession) {
    // The failure this change fixes: the session the PN pkmsg built is not found by LID.
    Party us, peer;
    OpenByPn(us, peer);
    auto second = peer.signal->Encrypt(kUs, PadMessage(ToBytes("by lid")));
    ASSERT_TRUE(second);
    auto plain = us.signal->Decrypt(kPeerLid, second->type, second->bytes);
    EXPECT_FALSE(plain);
}

TEST(SignalLid, MigratesPnSessionThenDecryptsLidMsgOnIt) {
    Party us, peer;
    OpenByPn(us, peer);
    ASSERT_TRUE(us.store.Get(store_keys::Session(kPn, 3)));
    const auto identity_before = us.signal->RemoteIdentity(kPeerPn);
    ASSERT_TRUE(identity_before);

    ASSERT_TRUE(us.signal->lid_map().Learn(kPn, kLid));
    // Eager migration: the session and identity moved, the PN copies are gone.
    EXPECT_FALSE(us.store.Get(store_keys::Session(kPn, 3)));
    EXPECT_FALSE(us.store.Get(store_keys::Identity(kPn, 3)));
    EXPECT_FALSE(us.store.Get(store_keys::SessionDevices(kPn)));
    EXPECT_TRUE(us.store.Get(store_keys::Session(kPeerLid.name, 3)));
    EXPECT_EQ(us.signal->Canonical(kPeerPn), kPeerLid);
    EXPECT_EQ(us.signal->RemoteIdentity(kPeerLid), identity_before) << "a migrated identity compares equal";
    EXPECT_EQ(us.signal->RemoteIdentity(kPeerPn), identity_before) << "the PN address resolves to the same key";

    // The peer goes on with a msg (not a pkmsg): it decrypts under the LID address...
    auto by_lid = peer.signal->Encrypt(kUs, PadMessage(ToBytes("by lid")));
    ASSERT_TRUE(by_lid);
    auto plain = us.signal->Decrypt(kPeerLid, by_lid->type, by_lid->bytes);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*UnpadMessage(*plain), ToBytes("by lid"));
    // ...and a later one addressed by PN uses the very same session.
    auto by_pn = peer.signal->Encrypt(kUs, PadMessage(ToBytes("by pn again")));
    ASSERT_TRUE(by_pn);
    auto plain2 = us.signal->Decrypt(kPeerPn, by_pn->type, by_pn->bytes);
    ASSERT_TRUE(plain2) << plain2.error().message;
    EXPECT_EQ(*UnpadMessage(*plain2), ToBytes("by pn again"));
    EXPECT_FALSE(us.store.Get(store_keys::Session(kPn, 3))) << "never two live sessions for one device";

    // Our reply, addressed by PN, continues the same ratchet on the peer's side.
    auto reply = us.signal->Encrypt(kPeerPn, PadMessage(ToBytes("reply")));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->type, CiphertextType::kMsg);
    auto got = peer.signal->Decrypt(kUs, CiphertextType::kMsg, reply->bytes);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(us.signal->identity_changes(), 0u);
}

TEST(SignalLid, MappingLearnedFirstKeysANewSessionByLid) {
    Party us, peer;
    ASSERT_TRUE(us.signal->lid_map().Learn(kPn, kLid));
    OpenByPn(us, peer);
    EXPECT_FALSE(us.store.Get(store_keys::Session(kPn, 3)));
    EXPECT_TRUE(us.store.Get(store_keys::Session(kPeerLid.name, 3)));
    EXPECT_TRUE(us.store.Get(store_keys::Identity(kPeerLid.name, 3)));
    EXPECT_TRUE(us.signal->HasSession(kPeerLid));
    EXPECT_TRUE(us.signal->HasSession(kPeerPn));
}

TEST(SignalLid, MigratedIdentityIsNotAnIdentityChange) {
    Party us, peer;
    OpenByPn(us, peer);
    ASSERT_TRUE(us.signal->lid_map().Learn(kPn, kLid));
    // The peer starts over (a new pkmsg) now addressed by LID, with the same identity key.
    auto pre_keys = us.signal->GeneratePreKeys(10, 1);
    ASSERT_TRUE(pre_keys);
    peer.signal->DeleteSession(kUs);
    ASSERT_TRUE(peer.signal->ProcessBundle(kUs, us.Bundle((*pre_keys)[0])));
    auto fresh = peer.signal->Encrypt(kUs, PadMessage(ToBytes("fresh")));
    ASSERT_TRUE(fresh);
    ASSERT_EQ(fresh->type, CiphertextType::kPkMsg);
    ASSERT_TRUE(us.signal->Decrypt(kPeerLid, CiphertextType::kPkMsg, fresh->bytes));
    EXPECT_EQ(us.signal->identity_changes(), 0u);

    // Control: a different identity under that address is counted as a change.
    Party impostor;
    auto more = us.signal->GeneratePreKeys(20, 1);
    ASSERT_TRUE(more);
    ASSERT_TRUE(impostor.signal->ProcessBundle(kUs, us.Bundle((*more)[0])));
    auto other = impostor.signal->Encrypt(kUs, PadMessage(ToBytes("other")));
    ASSERT_TRUE(other);
    ASSERT_TRUE(us.signal->Decrypt(kPeerPn, CiphertextType::kPkMsg, other->bytes));
    EXPECT_EQ(us.signal->identity_changes(), 1u);
}

TEST(SignalLid, MigrationMovesEveryDeviceAndHostedDevices) {
    MemoryCredentialStore store;
    Credentials creds = GenerateCredentials();
    auto m = SignalManager::Create(store, creds);
    ASSERT_TRUE(m);
    auto& signal = **m;
    const Bytes rec{1, 2, 3};
    for (int d : {0, 2, 7}) {
        store.Put(store_keys::Session(kPn, d), rec);
        store.Put(store_keys::Identity(kPn, d), rec);
    }
    store.Put(store_keys::SessionDevices(kPn), ToBytes("0,2,7"));
    store.Put(store_keys::Session(std::string(kPn) + "_128", 99), rec);
    store.Put(store_keys::SessionDevices(std::string(kPn) + "_128"), ToBytes("99"));
    // A stale LID record loses against the PN one.
    store.Put(store_keys::Session(kPeerLid.name, 2), Bytes{9});

    ASSERT_TRUE(signal.lid_map().Learn(kPn, kLid));
    for (int d : {0, 2, 7}) {
        EXPECT_FALSE(store.Get(store_keys::Session(kPn, d))) << d;
        EXPECT_FALSE(store.Get(store_keys::Identity(kPn, d))) << d;
        EXPECT_EQ(store.Get(store_keys::Session(kPeerLid.name, d)), rec) << d;
        EXPECT_EQ(store.Get(store_keys::Identity(kPeerLid.name, d)), rec) << d;
    }
    EXPECT_EQ(store.Get(store_keys::Session(std::string(kLid) + "_129", 99)), rec);
    EXPECT_FALSE(store.Get(store_keys::Session(std::string(kPn) + "_128", 99)));
    EXPECT_EQ(signal.Canonical({std::string(kPn) + "_128", 99}), (SignalAddress{std::string(kLid) + "_129", 99}));
}

}  // namespace
}  // namespace wadesk::wa
