#pragma once
// HistoryImporter: imports the history-sync chunks (wa-protocol §10) that the receive path kept
// (store_keys::HistoryNotification), off the receive lanes, so a large history never holds up
// live messages of that or any other session.
//
// - One worker thread for the whole engine; chunks are imported one at a time, in the order
//   they were scheduled.
// - A chunk is committed in batches of at most kHistoryBatchMessages messages through
//   EngineEvents::OnHistory; the last batch also deletes the kept notification, so a chunk is
//   either still kept (and imported again at the next connect: messages already stored are not
//   stored twice) or fully imported. Nothing of it is ever dropped: a chunk that cannot be read
//   yet (an external blob whose download failed, a payload that does not inflate) stays kept and
//   is reported in the log and as whatsapp:history_progress phase "failed".
// - An external blob is downloaded through the session's media_conn (FetchMediaFile), decrypted
//   with the history keys, verified and inflated before it is imported like an inline payload.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/sealed_credential_store.h"
#include "service/engine.h"
#include "store/repository.h"
#include "whatsapp/client/history.h"

namespace wadesk::wa {
class Session;
}

namespace wadesk::engine {

inline constexpr std::size_t kHistoryBatchMessages = 500;

class HistoryImporter {
public:
    // `sessions` finds a running session to download external blobs through (its media_conn).
    HistoryImporter(store::Repository& repo, std::atomic<service::EngineEvents*>& events,
                    std::function<std::shared_ptr<wa::Session>(const std::string&)> sessions = {});
    // Finishes the batch under way; chunks not yet imported stay kept for the next start.
    ~HistoryImporter();

    // Queues chunk `message_id` of the session whose credentials `store` holds.
    // REQUIRES: `store` outlives the importer.
    void Schedule(SealedCredentialStore& store, const std::string& message_id);
    // Queues every chunk the session still keeps (after a restart or a failed import).
    void ScheduleKept(SealedCredentialStore& store);

    // Where the PN<->LID pairs of a session's chunks go besides the contacts: the session's Signal
    // LidMap (wa::Session::LearnLidPairs), so both addressings of a contact decrypt. Called on the
    // importer's thread with (PN user JID, LID user JID) pairs, once per chunk read.
    using LidSink = std::function<void(std::vector<std::pair<std::string, std::string>>)>;
    void SetLidSink(const std::string& session_id, LidSink sink);

private:
    struct Job {
        SealedCredentialStore* store;
        std::string message_id;
    };
    void Run();
    void Import(const Job& job);

    // The HistorySync of a kept notification: inflated from its inline payload, or downloaded
    // from the media hosts (external blob), decrypted, verified and inflated.
    Result<wa::HistorySync> OpenChunk(const std::string& session_id, const wa::Message::HistorySyncNotification& n);

    store::Repository& repo_;
    std::atomic<service::EngineEvents*>& events_;
    std::function<std::shared_ptr<wa::Session>(const std::string&)> sessions_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    std::map<std::string, LidSink> lid_sinks_;  // by session id; guarded by mutex_
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace wadesk::engine
