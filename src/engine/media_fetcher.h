#pragma once
// The downloads of received media (wa-protocol §11), off the socket threads and the receive
// lanes: a message is stored first with media status "pending" (or "failed" when it names no
// file); MediaFetcher then, on its own small pool, asks the session for media_conn, downloads the
// file from the hosts it names, decrypts and verifies it, puts the plaintext in the blob store and
// records the outcome on the row ("ready" with its SHA-256, "too_large", "failed"), then tells
// the service (EngineEvents::OnMessageMediaChanged) so the message is shown again.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/engine.h"
#include "store/blob_store.h"
#include "store/repository.h"
#include "whatsapp/client/media_download.h"
#include "whatsapp/proto/message_util.h"

namespace boost::asio {
class thread_pool;
}
namespace wadesk::wa {
class Session;
}

namespace wadesk::engine {

// The reference a message row keeps for its file (MediaInfo::ref): JSON with the kind, direct
// path, media key and hashes (base64) and the stated length.
std::string EncodeMediaRef(const wa::MediaRef& ref);
std::optional<wa::MediaRef> DecodeMediaRef(std::string_view json);

// The stored media info of a received message: what it states, status "pending" when it names a
// downloadable file, else "failed".
domain::MediaInfo MediaInfoOf(const std::string& type, const wa::MessageContent::Media& media);

// Downloads and verifies the file `ref` names from the hosts of the session's media_conn (a
// fresh media_conn for a second try when no host answered). Blocking: worker threads only.
Result<Bytes> FetchMediaFile(wa::Session& session, const wa::MediaRef& ref, std::uint64_t max_bytes);

class MediaFetcher {
public:
    using SessionLookup = std::function<std::shared_ptr<wa::Session>(const std::string& session_id)>;
    // REQUIRES: repo, blobs and events outlive the fetcher.
    MediaFetcher(store::Repository& repo, store::BlobStore& blobs, std::atomic<service::EngineEvents*>& events,
                 SessionLookup sessions, std::uint64_t max_bytes, int threads = 2);
    ~MediaFetcher();  // waits for the downloads under way

    // Queues the download of the file of row `message_id` (media ref JSON `ref`).
    void Enqueue(std::string session_id, std::string message_id, std::string ref);

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
    void Run(const std::string& session_id, const std::string& message_id, const std::string& ref);

    store::Repository& repo_;
    store::BlobStore& blobs_;
    std::atomic<service::EngineEvents*>& events_;
    SessionLookup sessions_;
    std::uint64_t max_bytes_;
    std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace wadesk::engine
