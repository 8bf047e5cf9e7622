#include "whatsapp/client/media_retry.h"

#include "whatsapp/crypto/media_retry.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

Result<Node> MediaRetryReceipt(const MediaRetryRequest& request, const std::string& own_user) {
    if (request.message_id.empty() || request.chat.empty() || own_user.empty())
        return MakeError("bad_request", "a media retry names the message, its chat and our own user");
    ServerErrorReceipt receipt;
    receipt.set_stanzaid(request.message_id);
    auto sealed = crypto::SealMediaRetry(request.media_key, request.message_id, SerializeProto(receipt));
    if (!sealed) return sealed.error();
    Attrs rmr{{"jid", request.chat}, {"from_me", request.from_me ? "true" : "false"}};
    if (!request.participant.empty()) rmr.Add("participant", request.participant);
    return Node("receipt", {{"id", request.message_id}, {"to", own_user}, {"type", "server-error"}},
                NodeList{Node("encrypt", {},
                              NodeList{Node("enc_p", {}, std::move(sealed->ciphertext)),
                                       Node("enc_iv", {}, std::move(sealed->iv))}),
                         Node("rmr", std::move(rmr))});
}

Result<std::string> ParseMediaRetryNotification(const Node& notification, const MediaRetryRequest& request) {
    if (!notification.Child("rmr")) return MakeError("bad_notification", "the mediaretry notification has no <rmr>");
    if (const Node* error = notification.Child("error")) {
        return MakeError("media_retry_failed",
                         "the phone could not upload the file again (code " + std::string(error->AttrOr("code", "?")) + ")");
    }
    const Node* encrypt = notification.Child("encrypt");
    const Node* enc_p = encrypt ? encrypt->Child("enc_p") : nullptr;
    const Node* enc_iv = encrypt ? encrypt->Child("enc_iv") : nullptr;
    if (!enc_p || !enc_iv || !enc_p->ContentBytes() || !enc_iv->ContentBytes())
        return MakeError("bad_notification", "the mediaretry notification has no <encrypt> payload");
    auto plain = crypto::OpenMediaRetry(request.media_key, request.message_id, *enc_p->ContentBytes(),
                                        *enc_iv->ContentBytes());
    if (!plain) return MakeError("bad_notification", "the mediaretry payload does not decrypt: " + plain.error().message);
    auto answer = ParseProto<MediaRetryNotification>(*plain);
    if (!answer) return MakeError("bad_notification", "the mediaretry payload does not parse");
    if (answer->has_stanzaid() && answer->stanzaid() != request.message_id)
        return MakeError("bad_notification", "the mediaretry payload names another message");
    if (answer->result() != MediaRetryNotification::SUCCESS) {
        return MakeError("media_retry_failed",
                         "the phone could not upload the file again (result " + std::to_string(answer->result()) + ")");
    }
    if (answer->directpath().empty() || answer->directpath().front() != '/')
        return MakeError("bad_notification", "the mediaretry payload names no direct path");
    return Result<std::string>(boost::system::in_place_value, answer->directpath());
}

}  // namespace wadesk::wa
