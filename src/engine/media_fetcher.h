#pragma once
// The downloads of received media (wa-protocol §11), off the socket threads and the receive
// lanes: a message is stored first with media status "pending" (or "failed" when it names no
// file); MediaFetcher then, on its own small pool, asks the session for media_conn, downloads the
// file from the hosts it names, decrypts and verifies it, puts the plaintext in the blob store and
// records the outcome on the row ("ready" with its SHA-256, "too_large", "failed"), then tells
// the service (EngineEvents::OnMessageMediaChanged) so the message is shown again. A file the
// media host no longer has (404/410) is asked of our own phone once (a media retry request): its
// answer's new direct path goes into the row's reference and the file is downloaded again; an
// error answer, or none within the retry wait, leaves the media "failed".
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/engine.h"
#include "store/blob_store.h"
#include "store/message_repository.h"
#include "whatsapp/client/media_download.h"
#include "whatsapp/crypto/primitives.h"
#include "whatsapp/proto/message_util.h"

namespace boost::asio {
class thread_pool;
}
namespace wadesk::wa {
class Session;
}

namespace wadesk::engine {

// Where a received file's message is in WhatsApp's terms: what a media retry request names
// (wa-protocol §11) when the media host no longer has the file.
struct MediaOrigin {
    std::string message_id;   // the WhatsApp message id; empty = unknown (no retry possible)
    std::string chat;         // the chat JID as WhatsApp named it
    bool from_me = false;
    std::string participant;  // a group message's sender (user JID), else empty
};

// The reference a message row keeps for its file (MediaInfo::ref): JSON with the kind, direct
// path, media key and hashes (base64), the stated length and, when known, the origin ("waId",
// "chat", "fromMe", "participant").
std::string EncodeMediaRef(const wa::MediaRef& ref, const MediaOrigin& origin = {});
std::optional<wa::MediaRef> DecodeMediaRef(std::string_view json);
// The origin a reference names; empty (no message_id) for references stored without one.
MediaOrigin DecodeMediaOrigin(std::string_view json);

// The stored media info of a received message: what it states, status "pending" when it names a
// downloadable file, else "failed".
domain::MediaInfo MediaInfoOf(const std::string& type, const wa::MessageContent::Media& media,
                              const MediaOrigin& origin = {});

// Downloads and verifies the file `ref` names from the hosts of the session's media_conn (a
// fresh media_conn for a second try when no host answered). Blocking: worker threads only.
Result<Bytes> FetchMediaFile(wa::Session& session, const wa::MediaRef& ref, std::uint64_t max_bytes);

class MediaFetcher {
public:
    using SessionLookup = std::function<std::shared_ptr<wa::Session>(const std::string& session_id)>;
    // REQUIRES: repo, blobs and events outlive the fetcher.
    MediaFetcher(store::MessageRepository& repo, store::BlobStore& blobs, std::atomic<service::EngineEvents*>& events,
                 SessionLookup sessions, std::uint64_t max_bytes, int threads = 2,
                 std::chrono::seconds retry_wait = kMediaRetryWait,
                 std::optional<wa::crypto::Digest32> seal_key = std::nullopt);
    // How long a media retry request waits for the phone's answer.
    static constexpr std::chrono::seconds kMediaRetryWait{30};
    ~MediaFetcher();  // waits for the downloads under way

    // Queues the download of the file of row `message_id` (media ref JSON `ref`, its media key
    // sealed under `seal_key` when the fetcher has one: media_key_seal.h).
    void Enqueue(std::string session_id, std::string message_id, std::string ref);

    // Queues the sealing of the media keys the session's rows still keep in clear (stored before
    // keys were sealed at rest; media_key_seal.h), in batches, on the fetcher's pool. Nothing to do
    // without a seal key. Rows a download rewrites meanwhile are left to it (it seals them too).
    void SealStoredRefs(std::string session_id);

    // An uploaded file's message, ready to send.
    struct Uploaded {
        wa::Message message;
        std::string mediatype;  // the <enc mediatype>
    };
    // Queues the upload of outgoing message `m`'s file (from the blob store): encrypted with a
    // fresh media key, POSTed to a media_conn host with its auth token, and built into the media
    // message; `done` runs on the fetcher's pool. Errors: no_media, session_not_running,
    // media_conn_failed, upload_failed.
    void Upload(service::OutgoingMessage m, std::function<void(Result<Uploaded>)> done);

private:
    Result<Uploaded> RunUpload(const service::OutgoingMessage& m);
    // The file `ref` names; an expired one is asked of the phone first, updating `ref`'s direct path.
    Result<Bytes> Fetch(wa::Session& session, wa::MediaRef& ref, const MediaOrigin& origin, bool& ref_changed);
    void Run(const std::string& session_id, const std::string& message_id, const std::string& ref);

    store::MessageRepository& repo_;
    store::BlobStore& blobs_;
    std::atomic<service::EngineEvents*>& events_;
    SessionLookup sessions_;
    std::uint64_t max_bytes_;
    std::chrono::seconds retry_wait_;
    std::optional<wa::crypto::Digest32> seal_key_;
    std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace wadesk::engine
