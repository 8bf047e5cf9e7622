// wa.proto: known-answer bytes for the field numbers we depend on.
#include "whatsapp/proto/message_util.h"

#include <gtest/gtest.h>

namespace wadesk::wa {
namespace {

Bytes Hex(std::string_view h) { return FromHex(h).value_or(Bytes{}); }

TEST(WaProto, MessageVectors) {
    Message conversation;
    conversation.set_conversation("hi");
    EXPECT_EQ(ToHex(SerializeProto(conversation)), "0a026869");

    Message extended;
    extended.mutable_extendedtextmessage()->set_text("hi");
    EXPECT_EQ(ToHex(SerializeProto(extended)), "32040a026869");

    Message dsm;
    dsm.mutable_devicesentmessage()->set_destinationjid("15550002222@s.whatsapp.net");
    dsm.mutable_devicesentmessage()->mutable_message()->set_conversation("hi");
    EXPECT_EQ(ToHex(SerializeProto(dsm)),
              "fa01220a1a313535353030303232323240732e77686174736170702e6e657412040a026869");

    auto parsed = ParseProto<Message>(Hex("fa01220a1a313535353030303232323240732e77686174736170702e6e657412040a026869"));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->devicesentmessage().destinationjid(), "15550002222@s.whatsapp.net");
    EXPECT_EQ(UnwrapMessage(*parsed).conversation(), "hi");
}

TEST(WaProto, UnwrapsFutureProofWrappers) {
    Message m;
    m.mutable_ephemeralmessage()->mutable_message()->mutable_viewoncemessagev2()->mutable_message()->set_conversation(
        "inner");
    EXPECT_EQ(UnwrapMessage(m).conversation(), "inner");
    // field 40 (ephemeralMessage) { field 1 { field 55 (viewOnceMessageV2) { field 1 { field 1 "inner" } } } }
    EXPECT_EQ(ToHex(SerializeProto(m)), "c2020e0a0cba03090a070a05696e6e6572");
    Message plain;
    plain.set_conversation("x");
    EXPECT_EQ(&UnwrapMessage(plain), &plain);
}

TEST(WaProto, HandshakeAndClientPayloadFieldNumbers) {
    HandshakeMessage hello;
    hello.mutable_clienthello()->set_ephemeral(std::string(32, '\x11'));
    EXPECT_EQ(ToHex(SerializeProto(hello)), "12220a20" + std::string(64, '1'));

    HandshakeMessage finish;
    finish.mutable_clientfinish()->set_static_("s");
    finish.mutable_clientfinish()->set_payload("p");
    EXPECT_EQ(ToHex(SerializeProto(finish)), "22060a01731201" "70");

    ClientPayload login;
    login.set_username(15551234567ull);
    login.set_passive(true);
    login.set_device(3);
    login.set_pull(true);
    login.set_liddbmigrated(false);
    login.set_connecttype(ClientPayload::WIFI_UNKNOWN);
    login.set_connectreason(ClientPayload::USER_ACTIVATED);
    auto* ua = login.mutable_useragent();
    ua->set_platform(ClientPayload::UserAgent::WEB);
    ua->mutable_appversion()->set_primary(2);
    ua->mutable_appversion()->set_secondary(3000);
    auto bytes = SerializeProto(login);
    // username (1, varint) first; passive (3); userAgent (5) {platform 14, appVersion {2, 3000}}
    EXPECT_EQ(ToHex(bytes).substr(0, 38), "088784b4f739" "1801" "2a09080e1205080210b817");
    auto back = ParseProto<ClientPayload>(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->username(), 15551234567ull);
    EXPECT_EQ(back->device(), 3u);
    EXPECT_TRUE(back->has_liddbmigrated());
    EXPECT_EQ(back->useragent().appversion().secondary(), 3000u);

    ClientPayload::DevicePairingRegistrationData reg;
    reg.set_ekeytype(std::string(1, '\x05'));
    reg.set_deviceprops("dp");
    EXPECT_EQ(ToHex(SerializeProto(reg)), "120105" "42026470");
}

TEST(WaProto, AdvAndCertFieldNumbers) {
    ADVSignedDeviceIdentityHMAC hmac;
    hmac.set_details("d");
    hmac.set_hmac("h");
    hmac.set_accounttype(HOSTED);
    EXPECT_EQ(ToHex(SerializeProto(hmac)), "0a016412016818" "01");

    ADVKeyIndexList list;
    list.set_rawid(1);
    list.add_validindexes(0);
    list.add_validindexes(5);
    EXPECT_EQ(ToHex(SerializeProto(list)), "0801" "22020005");  // packed

    CertChain::NoiseCertificate::Details details;
    details.set_serial(1);
    details.set_issuerserial(0);
    details.set_key(std::string(2, '\x01'));
    details.set_notafter(5);
    EXPECT_EQ(ToHex(SerializeProto(details)), "08011000" "1a020101" "2805");
}

TEST(WaProto, HistorySyncTypeMayBeOmitted) {
    HistorySync sync;
    auto* map = sync.add_phonenumbertolidmappings();
    map->set_pnjid("1@s.whatsapp.net");
    map->set_lidjid("2@lid");
    auto hex = ToHex(SerializeProto(sync));
    EXPECT_EQ(hex.substr(0, 2), "7a");  // field 15, length-delimited; no field 1
    auto omitted = ParseProto<HistorySync>(FromHex(hex).value());
    ASSERT_TRUE(omitted.has_value());
    EXPECT_FALSE(omitted->has_synctype());
    EXPECT_EQ(omitted->synctype(), HistorySync::INITIAL_BOOTSTRAP);
    sync.set_synctype(HistorySync::INITIAL_BOOTSTRAP);
    EXPECT_EQ(ToHex(SerializeProto(sync)).substr(0, 4), "0800");
    sync.set_synctype(HistorySync::RECENT);
    EXPECT_EQ(ToHex(SerializeProto(sync)).substr(0, 4), "0803");
    auto* conv = sync.add_conversations();
    conv->set_id("1@s.whatsapp.net");
    conv->add_messages()->mutable_message()->mutable_key()->set_id("ABC");
    auto back = ParseProto<HistorySync>(SerializeProto(sync));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->conversations(0).messages(0).message().key().id(), "ABC");
}

TEST(WaProto, MalformedBytesAreAnError) {
    auto r = ParseProto<Message>(Hex("0a05"));  // length 5, no data
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "bad_protobuf");
    EXPECT_FALSE(ParseProto<HandshakeMessage>(Hex("ff")).has_value());
}

TEST(WaProto, UnknownFieldsSurviveRoundTrip) {
    // Message with conversation and an unmodelled field 200 (varint 1).
    Bytes in = Hex("0a026869c00c01");
    auto m = ParseProto<Message>(in);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(SerializeProto(*m), in);
}


// What a chat shows of each kind of content, through the wrappers a phone adds.
TEST(WaProto, DescribeMessageKinds) {
    Message text;
    text.set_conversation("hi");
    MessageContent c = DescribeMessage(text);
    EXPECT_EQ(c.type, "text");
    EXPECT_EQ(c.body, "hi");
    EXPECT_FALSE(c.media.has_value());

    Message reply;
    reply.mutable_extendedtextmessage()->set_text("yes");
    reply.mutable_extendedtextmessage()->mutable_contextinfo()->set_stanzaid("3EB0QUOTED");
    c = DescribeMessage(reply);
    EXPECT_EQ(c.type, "text");
    EXPECT_EQ(c.quoted_id, "3EB0QUOTED");

    Message image;  // inside an ephemeral wrapper, as in a chat with disappearing messages
    auto* img = image.mutable_ephemeralmessage()->mutable_message()->mutable_imagemessage();
    img->set_mimetype("image/jpeg");
    img->set_filelength(48213);
    img->set_caption("the receipt");
    c = DescribeMessage(image);
    EXPECT_EQ(c.type, "image");
    EXPECT_EQ(c.body, "the receipt");
    ASSERT_TRUE(c.media.has_value());
    EXPECT_EQ(c.media->mimetype, "image/jpeg");
    EXPECT_EQ(c.media->size, 48213);

    Message voice;
    voice.mutable_audiomessage()->set_ptt(true);
    voice.mutable_audiomessage()->set_mimetype("audio/ogg; codecs=opus");
    EXPECT_EQ(DescribeMessage(voice).type, "voice");
    voice.mutable_audiomessage()->set_ptt(false);
    EXPECT_EQ(DescribeMessage(voice).type, "audio");

    Message doc;  // documentWithCaptionMessage wraps a document that has a caption
    auto* d = doc.mutable_documentwithcaptionmessage()->mutable_message()->mutable_documentmessage();
    d->set_mimetype("application/pdf");
    d->set_filename("invoice-42.pdf");
    d->set_filelength(1000);
    d->set_caption("invoice");
    c = DescribeMessage(doc);
    EXPECT_EQ(c.type, "document");
    EXPECT_EQ(c.body, "invoice");
    ASSERT_TRUE(c.media.has_value());
    EXPECT_EQ(c.media->file_name, "invoice-42.pdf");

    Message video;
    video.mutable_videomessage()->set_mimetype("video/mp4");
    EXPECT_EQ(DescribeMessage(video).type, "video");
    Message sticker;
    sticker.mutable_stickermessage()->set_mimetype("image/webp");
    EXPECT_EQ(DescribeMessage(sticker).type, "sticker");
    EXPECT_TRUE(DescribeMessage(sticker).media.has_value());

    Message location;
    auto* l = location.mutable_locationmessage();
    l->set_degreeslatitude(55.7539);
    l->set_degreeslongitude(37.6049);
    l->set_name("Cafe");
    l->set_address("Tverskoy Blvd 26");
    c = DescribeMessage(location);
    EXPECT_EQ(c.type, "location");
    EXPECT_EQ(c.body, "Cafe, Tverskoy Blvd 26 (55.753900, 37.604900)");
    l->clear_name();
    l->clear_address();
    EXPECT_EQ(DescribeMessage(location).body, "(55.753900, 37.604900)");

    Message contact;
    contact.mutable_contactmessage()->set_displayname("Ivan Petrov");
    c = DescribeMessage(contact);
    EXPECT_EQ(c.type, "contact");
    EXPECT_EQ(c.body, "Ivan Petrov");

    Message reaction;
    reaction.mutable_reactionmessage()->mutable_key()->set_id("3EB0TARGET");
    reaction.mutable_reactionmessage()->set_text("👍");
    c = DescribeMessage(reaction);
    EXPECT_EQ(c.type, "reaction");
    EXPECT_EQ(c.body, "👍");
    EXPECT_EQ(c.quoted_id, "3EB0TARGET");

    Message protocol;
    protocol.mutable_protocolmessage();
    c = DescribeMessage(protocol);
    EXPECT_EQ(c.type, "unsupported");
    EXPECT_EQ(c.body, "");
    EXPECT_EQ(DescribeMessage(Message()).type, "unsupported");
}

}  // namespace
}  // namespace wadesk::wa
