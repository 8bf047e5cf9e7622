#pragma once
// MessageService: sending texts and files, the files of messages (served, fetched again), and the
// receipts per recipient of an outgoing message. send.cpp, message_media.cpp, message_receipts.cpp.
// Contract: as every service (service/service_context.h). chat_ref: our id, a JID or a phone number.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "service/service_context.h"
#include "store/blob_store.h"

namespace wadesk::service {

struct SendRequest {
    std::string text;               // for a file: its caption (may be empty)
    std::string quoted_message_id;  // our message id or a WhatsApp id of this chat
    std::string client_message_id;  // idempotency key
    // A file (SendMedia fills these): the message type and the stored file (status ready).
    domain::MessageType type = domain::MessageType::kText;
    std::optional<domain::MediaInfo> media;
};

// A file to send (multipart POST .../send).
struct OutgoingFile {
    std::string type;      // image, video, audio, voice, document, sticker ("" = from the MIME type)
    std::string mimetype;  // "" = application/octet-stream
    std::string file_name;
    std::string_view data;
};

struct SendResult {
    domain::Message message;
    bool created = false;  // false: an earlier request with the same clientMessageId
};

// A message's downloaded file, as GET .../media serves it.
struct MediaFile {
    domain::Message message;
    std::string sha256;  // blob key
    std::uint64_t size = 0;
};

class MessageService : private ServiceContext {
public:
    explicit MessageService(const ServiceContext& context) : ServiceContext(context) {}

    // canWrite, the session connected. Stored "pending", then handed to the engine once per
    // connection; idempotent by clientMessageId.
    SendResult Send(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                    const SendRequest& request);

    // --- media of messages (message_media.cpp); canRead on the session, as the message itself
    // Where decrypted files are kept (REQUIRES: before serving; may stay null: no file is served).
    void SetBlobStore(store::BlobStore* blobs) { blobs_ = blobs; }
    // The message and its ready file (status "ready", blob present). not_found for an unknown or
    // unreadable message, a message without a file, or a file not (yet) downloaded.
    MediaFile GetMedia(const Actor& actor, const std::string& session_id, const std::string& message_id);
    // Bytes of a ready file (from MediaFile::sha256); an empty range for offset = size.
    Bytes ReadMedia(const MediaFile& file, std::uint64_t offset, std::uint64_t length);
    // Fetches a file again (status failed or too_large) in the background: the message becomes
    // "pending" and is shown again when the outcome arrives. A pending or ready file is left as is.
    // not_found as GetMedia; unavailable when the engine cannot download.
    domain::Message DownloadMediaAgain(const Actor& actor, const std::string& session_id,
                                       const std::string& message_id);
    // Sends a file (canWrite): kept in the blob store, stored as a message of its type with its
    // media (ready, sha256) and `request.text` as the caption, then uploaded and sent by the
    // engine. Idempotent by clientMessageId like Send. Errors as Send; invalid_field for a bad type.
    SendResult SendMedia(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                         SendRequest request, const OutgoingFile& file);

    // --- receipts per recipient (message_receipts.cpp; canRead, as the message itself)
    // Who received and read message `message_id`: one entry per recipient with its best status
    // and when it was reached. not_found for an unknown or unreadable message.
    std::vector<domain::MessageReceipt> MessageReceipts(const Actor& actor, const std::string& session_id,
                                                        const std::string& message_id);

private:
    store::BlobStore* blobs_ = nullptr;
};

}  // namespace wadesk::service
