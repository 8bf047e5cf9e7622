// The media retry request and its answer (media_retry.h): the receipt's shape and sealed
// ServerErrorReceipt, and what a mediaretry notification yields — the new direct path, the phone's
// error, or bad_notification for an answer sealed under another key or naming another message.
#include "whatsapp/client/media_retry.h"

#include <gtest/gtest.h>

#include "whatsapp/crypto/media_retry.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {
namespace {

MediaRetryRequest Request() {
    return {"3EB0AAAABBBBCCCCDDDD11", "15550002222@s.whatsapp.net", false, "", RandomBytes(32)};
}

Node Answer(const MediaRetryRequest& r, BytesView key, const std::string& stanza, const std::string& path,
            MediaRetryNotification::ResultType result) {
    MediaRetryNotification n;
    n.set_stanzaid(stanza);
    n.set_directpath(path);
    n.set_result(result);
    auto sealed = crypto::SealMediaRetry(key, r.message_id, SerializeProto(n)).value();
    return Node("notification", {{"id", r.message_id}, {"type", "mediaretry"}},
                NodeList{Node("rmr", {{"jid", r.chat}, {"from_me", "false"}}),
                         Node("encrypt", {}, NodeList{Node("enc_p", {}, sealed.ciphertext), Node("enc_iv", {}, sealed.iv)})});
}

TEST(MediaRetry, ReceiptCarriesTheSealedRequestAndRmr) {
    auto r = Request();
    r.chat = "120363000000000001@g.us";
    r.participant = "15550003333@s.whatsapp.net";
    auto receipt = MediaRetryReceipt(r, "15550001111@s.whatsapp.net").value();
    EXPECT_EQ(receipt.tag, "receipt");
    EXPECT_EQ(receipt.AttrOr("id", ""), r.message_id);
    EXPECT_EQ(receipt.AttrOr("to", ""), "15550001111@s.whatsapp.net");
    EXPECT_EQ(receipt.AttrOr("type", ""), "server-error");
    const Node* rmr = receipt.Child("rmr");
    ASSERT_NE(rmr, nullptr);
    EXPECT_EQ(rmr->AttrOr("jid", ""), r.chat);
    EXPECT_EQ(rmr->AttrOr("from_me", ""), "false");
    EXPECT_EQ(rmr->AttrOr("participant", ""), r.participant);
    const Node* enc = receipt.Child("encrypt");
    ASSERT_NE(enc, nullptr);
    const Bytes* iv = enc->Child("enc_iv")->ContentBytes();
    ASSERT_EQ(iv->size(), 12u);
    auto plain = crypto::OpenMediaRetry(r.media_key, r.message_id, *enc->Child("enc_p")->ContentBytes(), *iv).value();
    EXPECT_EQ(ParseProto<ServerErrorReceipt>(plain).value().stanzaid(), r.message_id);
    // The id is the additional data: under another id it does not open.
    EXPECT_FALSE(crypto::OpenMediaRetry(r.media_key, "OTHER", *enc->Child("enc_p")->ContentBytes(), *iv));
}

TEST(MediaRetry, RequestNeedsIdChatAndKey) {
    auto r = Request();
    r.chat.clear();
    EXPECT_EQ(MediaRetryReceipt(r, "1@s.whatsapp.net").error().code, "bad_request");
    r = Request();
    r.media_key.resize(5);
    EXPECT_EQ(MediaRetryReceipt(r, "1@s.whatsapp.net").error().code, "bad_key");
}

TEST(MediaRetry, NotificationYieldsTheNewPathOrTheFailure) {
    const auto r = Request();
    const std::string path = "/v/t62.7118-24/new.enc?oh=1&oe=2";
    EXPECT_EQ(ParseMediaRetryNotification(Answer(r, r.media_key, r.message_id, path, MediaRetryNotification::SUCCESS), r).value(),
              path);
    EXPECT_EQ(ParseMediaRetryNotification(Answer(r, r.media_key, r.message_id, "", MediaRetryNotification::NOT_FOUND), r)
                  .error()
                  .code,
              "media_retry_failed");
    Node error("notification", {{"id", r.message_id}, {"type", "mediaretry"}},
               NodeList{Node("rmr", {{"jid", r.chat}}), Node("error", {{"code", "2"}})});
    EXPECT_EQ(ParseMediaRetryNotification(error, r).error().code, "media_retry_failed");
    // Unusable answers: another key, another message, no direct path, no <rmr>, no payload.
    EXPECT_EQ(ParseMediaRetryNotification(Answer(r, RandomBytes(32), r.message_id, path, MediaRetryNotification::SUCCESS), r)
                  .error()
                  .code,
              "bad_notification");
    EXPECT_EQ(ParseMediaRetryNotification(Answer(r, r.media_key, "OTHER", path, MediaRetryNotification::SUCCESS), r)
                  .error()
                  .code,
              "bad_notification");
    EXPECT_EQ(ParseMediaRetryNotification(Answer(r, r.media_key, r.message_id, "", MediaRetryNotification::SUCCESS), r)
                  .error()
                  .code,
              "bad_notification");
    EXPECT_EQ(ParseMediaRetryNotification(Node("notification", {{"id", r.message_id}}), r).error().code, "bad_notification");
    EXPECT_EQ(ParseMediaRetryNotification(Node("notification", {{"id", r.message_id}}, NodeList{Node("rmr")}), r).error().code,
              "bad_notification");
}

}  // namespace
}  // namespace wadesk::wa
