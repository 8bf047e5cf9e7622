// Reading history-sync chunks (wa-protocol §10): the inline payload, the conversations as our
// account sees them, and what each sync type carries.
#include <gtest/gtest.h>

#include <limits>

#include "whatsapp/binary/decoder.h"
#include "whatsapp/client/history.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {
namespace {

constexpr const char* kOwn = "15550009999:3@s.whatsapp.net";

WebMessageInfo Text(const std::string& chat, const std::string& id, bool from_me, std::uint64_t t,
                    const std::string& text) {
    WebMessageInfo info;
    info.mutable_key()->set_remotejid(chat);
    info.mutable_key()->set_fromme(from_me);
    info.mutable_key()->set_id(id);
    info.mutable_message()->set_conversation(text);
    info.set_messagetimestamp(t);
    return info;
}

void Add(Conversation& conv, const WebMessageInfo& info, std::uint64_t order) {
    HistorySyncMsg* m = conv.add_messages();
    *m->mutable_message() = info;
    m->set_msgorderid(order);
}

HistorySync Chunk(HistorySync::HistorySyncType type) {
    HistorySync sync;
    sync.set_synctype(type);
    sync.set_progress(40);
    sync.set_chunkorder(2);
    Conversation* conv = sync.add_conversations();
    conv->set_id("15551112222@s.whatsapp.net");
    conv->set_lidjid("200000000000111@lid");
    conv->set_name("Ann");
    conv->set_unreadcount(3);
    conv->set_archived(true);
    conv->set_pinned(7);
    // Newest first, as a phone lists them.
    WebMessageInfo reply = Text(conv->id(), "M2", true, 1700000100, "on my way");
    reply.set_status(WebMessageInfo::READ);
    Add(*conv, reply, 1);
    Add(*conv, Text(conv->id(), "M1", false, 1700000000, "where are you?"), 2);
    WebMessageInfo revoke;
    revoke.mutable_key()->set_remotejid(conv->id());
    revoke.mutable_key()->set_id("M0");
    revoke.mutable_message()->mutable_protocolmessage()->set_type(Message::ProtocolMessage::REVOKE);
    Add(*conv, revoke, 3);
    WebMessageInfo stub;  // a system line: no message
    stub.mutable_key()->set_remotejid(conv->id());
    stub.mutable_key()->set_id("S1");
    stub.set_messagestubtype(1);
    Add(*conv, stub, 4);

    Conversation* group = sync.add_conversations();
    group->set_id("120363000000000001@g.us");
    group->set_name("Team");
    WebMessageInfo in_group = Text(group->id(), "G1", false, 1700000200, "hi all");
    in_group.mutable_key()->set_participant("15553334444:2@s.whatsapp.net");
    Add(*group, in_group, 1);
    sync.add_conversations()->set_id("status@broadcast");

    Pushname* name = sync.add_pushnames();
    name->set_id("15553334444@s.whatsapp.net");
    name->set_pushname("Bob");
    PhoneNumberToLIDMapping* pair = sync.add_phonenumbertolidmappings();
    pair->set_pnjid("15553334444@s.whatsapp.net");
    pair->set_lidjid("200000000000444@lid");
    return sync;
}

TEST(History, ReadsConversationsAsOurAccountSeesThem) {
    const HistoryChunk chunk = ReadHistory(Chunk(HistorySync::RECENT), kOwn);
    EXPECT_EQ(chunk.sync_type, HistorySync::RECENT);
    EXPECT_EQ(chunk.progress, 40u);
    EXPECT_EQ(chunk.chunk_order, 2u);
    ASSERT_EQ(chunk.chats.size(), 2u) << "status broadcasts are not chats";
    const HistoryChat& ann = chunk.chats[0];
    EXPECT_EQ(ann.jid, "15551112222@s.whatsapp.net");
    EXPECT_EQ(ann.jid_alt, "200000000000111@lid");
    EXPECT_EQ(ann.name, "Ann");
    EXPECT_EQ(ann.unread_count, 3u);
    EXPECT_TRUE(ann.archived);
    EXPECT_TRUE(ann.pinned);
    EXPECT_FALSE(ann.is_group);
    ASSERT_EQ(ann.messages.size(), 2u) << "the revoke and the system stub are not shown";
    const IncomingMessage& first = ann.messages[0].message;
    EXPECT_EQ(first.id, "M1");
    EXPECT_FALSE(first.from_me);
    EXPECT_EQ(first.sender, "15551112222@s.whatsapp.net");
    EXPECT_EQ(first.sender_alt, "200000000000111@lid");
    EXPECT_EQ(first.text, "where are you?");
    EXPECT_EQ(first.content.type, "text");
    EXPECT_EQ(first.timestamp, 1700000000);
    EXPECT_EQ(ann.messages[0].status, "");
    const IncomingMessage& second = ann.messages[1].message;
    EXPECT_EQ(second.id, "M2");
    EXPECT_TRUE(second.from_me);
    EXPECT_EQ(second.sender, "15550009999@s.whatsapp.net");
    EXPECT_EQ(ann.messages[1].status, "read");

    const HistoryChat& team = chunk.chats[1];
    EXPECT_TRUE(team.is_group);
    ASSERT_EQ(team.messages.size(), 1u);
    EXPECT_EQ(team.messages[0].message.sender, "15553334444@s.whatsapp.net");
    EXPECT_EQ(chunk.message_count, 3u);

    // Pairs from the mapping list and from each conversation; push names only in PUSH_NAME chunks.
    EXPECT_EQ(chunk.lid_mappings.size(), 2u);
    EXPECT_TRUE(chunk.push_names.empty());
}

TEST(History, WhatEachSyncTypeCarries) {
    const HistoryChunk names = ReadHistory(Chunk(HistorySync::PUSH_NAME), kOwn);
    EXPECT_TRUE(names.chats.empty());
    ASSERT_EQ(names.push_names.size(), 1u);
    EXPECT_EQ(names.push_names[0], std::make_pair(std::string("15553334444@s.whatsapp.net"), std::string("Bob")));
    EXPECT_EQ(names.lid_mappings.size(), 1u);
    EXPECT_TRUE(ReadHistory(Chunk(HistorySync::INITIAL_STATUS_V3), kOwn).chats.empty());
    EXPECT_EQ(ReadHistory(Chunk(HistorySync::INITIAL_BOOTSTRAP), kOwn).chats.size(), 2u);
    EXPECT_EQ(ReadHistory(Chunk(HistorySync::FULL), kOwn).chats.size(), 2u);
}

TEST(History, OpensInlinePayloadsAndNamesBlobs) {
    const HistorySync sync = Chunk(HistorySync::INITIAL_BOOTSTRAP);
    Message::HistorySyncNotification inline_chunk;
    const Bytes zlib = ZlibDeflate(SerializeProto(sync));
    inline_chunk.set_initialhistbootstrapinlinepayload(std::string(zlib.begin(), zlib.end()));
    auto opened = OpenHistoryNotification(inline_chunk);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->conversations_size(), 3);

    Message::HistorySyncNotification blob;
    blob.set_directpath("/v/t62.1/abc.enc");
    blob.set_filelength(1234);
    auto external = OpenHistoryNotification(blob);
    ASSERT_FALSE(external);
    EXPECT_EQ(external.error().code, "history_external_blob");

    Message::HistorySyncNotification broken;
    broken.set_initialhistbootstrapinlinepayload("not zlib at all");
    auto bad = OpenHistoryNotification(broken);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "inflate_failed");

    const Bytes not_proto = ZlibDeflate(Bytes{0xFF, 0xFF, 0xFF});
    auto garbage = ParseHistoryPayload(not_proto);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, "bad_protobuf");
}

// What the phone states is only taken for what it is: a PN<->LID pair whose sides are not a PN
// user and a LID is left out (a group or a server JID would otherwise become a contact's identity),
// and a timestamp beyond what milliseconds can hold is capped instead of turning negative.
TEST(History, PairsOfTheWrongKindsAndImpossibleTimesAreNotTaken) {
    HistorySync sync;
    sync.set_synctype(HistorySync::RECENT);
    auto* good = sync.add_phonenumbertolidmappings();
    good->set_pnjid("15551112222@s.whatsapp.net");
    good->set_lidjid("200000000000111@lid");
    auto* swapped = sync.add_phonenumbertolidmappings();
    swapped->set_pnjid("200000000000333@lid");
    swapped->set_lidjid("15553334444@s.whatsapp.net");
    auto* group = sync.add_phonenumbertolidmappings();
    group->set_pnjid("120363000000000001@g.us");
    group->set_lidjid("200000000000444@lid");
    Conversation* conv = sync.add_conversations();
    conv->set_id("200000000000555@lid");
    conv->set_pnjid("120363000000000002@g.us");  // not a phone number: no alternate, no pair
    Add(*conv, Text(conv->id(), "late", false, ~std::uint64_t{0}, "from the far future"), 1);
    Add(*conv, Text(conv->id(), "now", false, 1700000000, "now"), 2);
    const HistoryChunk chunk = ReadHistory(sync, kOwn);
    ASSERT_EQ(chunk.lid_mappings.size(), 1u);
    EXPECT_EQ(chunk.lid_mappings[0], std::make_pair(std::string("15551112222@s.whatsapp.net"),
                                                    std::string("200000000000111@lid")));
    ASSERT_EQ(chunk.chats.size(), 1u);
    EXPECT_EQ(chunk.chats[0].jid_alt, "");
    ASSERT_EQ(chunk.chats[0].messages.size(), 2u);
    EXPECT_EQ(chunk.chats[0].messages[0].message.id, "now");
    EXPECT_EQ(chunk.chats[0].messages[1].message.id, "late");
    EXPECT_GT(chunk.chats[0].messages[1].message.timestamp, 0);
    EXPECT_LE(chunk.chats[0].messages[1].message.timestamp, std::numeric_limits<std::int64_t>::max() / 1000);
}

}  // namespace
}  // namespace wadesk::wa
