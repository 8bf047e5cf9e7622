#pragma once
// The media retry request (wa-protocol §11): when the media host no longer has a file (404/410),
// the companion asks its own phone to upload it again with
//   <receipt id=MSGID to=OWN_USER type='server-error'>
//     <encrypt><enc_p/><enc_iv/></encrypt>      ServerErrorReceipt{stanzaId}, sealed (crypto/media_retry.h)
//     <rmr jid=CHAT from_me='true|false' [participant=SENDER]/>
//   </receipt>
// and the phone answers with <notification type='mediaretry' id=MSGID> carrying <rmr> and either
// <encrypt> (a sealed MediaRetryNotification{stanzaId, directPath, result}) or <error code>.
// Pure; Connection sends the receipt and matches the notification (connection_media_retry.cpp).
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/binary/node.h"

namespace wadesk::wa {

struct MediaRetryRequest {
    std::string message_id;   // the WhatsApp id of the message whose file is gone
    std::string chat;         // its chat JID (1:1 peer or group), as the message named it
    bool from_me = false;     // we (or our phone) sent it
    std::string participant;  // a group's sender (user JID); empty in a 1:1 chat
    Bytes media_key;          // the message's mediaKey (32 bytes)
};

// The receipt to our own user JID `own_user` (no device). Errors: bad_request (no id, no chat),
// bad_key.
Result<Node> MediaRetryReceipt(const MediaRetryRequest& request, const std::string& own_user);

// The new direct path a mediaretry notification for `request` names. Errors: media_retry_failed
// (the phone answered <error code>, or a result other than SUCCESS: the phone no longer has the
// file), bad_notification (no <rmr>, no <encrypt>, a payload that does not decrypt or parse, a
// stanzaId of another message, no direct path).
Result<std::string> ParseMediaRetryNotification(const Node& notification, const MediaRetryRequest& request);

}  // namespace wadesk::wa
