#include "engine/history_import.h"

#include "core/log.h"
#include "engine/bridge.h"
#include "engine/identity.h"
#include "engine/media_fetcher.h"
#include "whatsapp/client/credentials.h"
#include "whatsapp/client/history.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::engine {

namespace {

std::string SyncTypeName(int type) {
    using N = wa::Message;  // Message.HistorySyncType
    switch (type) {
        case N::INITIAL_BOOTSTRAP: return "initial_bootstrap";
        case N::INITIAL_STATUS_V3: return "initial_status_v3";
        case N::FULL: return "full";
        case N::RECENT: return "recent";
        case N::PUSH_NAME: return "push_name";
        case N::NON_BLOCKING_DATA: return "non_blocking_data";
        case N::ON_DEMAND: return "on_demand";
        case N::NO_HISTORY: return "no_history";
        default: return "type_" + std::to_string(type);
    }
}

service::HistoryChat ToServiceChat(const wa::HistoryChat& chat) {
    service::HistoryChat out;
    out.name = chat.name;
    out.is_group = chat.is_group;
    out.unread_count = static_cast<int>(chat.unread_count);
    out.archived = chat.archived;
    out.pinned = chat.pinned;
    out.muted = chat.muted;
    // The chat's identities as the live path computes them (PN canonical, LID alias).
    wa::IncomingMessage probe;
    probe.chat = chat.jid;
    probe.chat_alt = chat.jid_alt;
    probe.is_group = chat.is_group;
    service::IncomingMessage ids;
    FillIdentities(probe, ids);
    out.jid = ids.chat_jid;
    out.lid = ids.chat_lid;
    return out;
}

// Who the chunk names: push names, PN<->LID pairs and the phone's names of its 1:1 conversations.
std::vector<service::HistoryContact> ContactsOf(const wa::HistoryChunk& chunk) {
    std::vector<service::HistoryContact> out;
    for (const auto& [jid, name] : chunk.push_names) out.push_back({.jid = jid, .push_name = name});
    for (const auto& [pn, lid] : chunk.lid_mappings) out.push_back({.jid = pn, .lid = lid});
    for (const wa::HistoryChat& chat : chunk.chats) {
        if (chat.is_group || chat.name.empty()) continue;
        const service::HistoryChat ids = ToServiceChat(chat);
        out.push_back({.jid = ids.jid, .lid = ids.lid, .name = chat.name});
    }
    return out;
}

service::IncomingMessage ToServiceMessage(const wa::HistoryMessage& hm) {
    service::IncomingMessage in = Bridge::ToServiceMessage(hm.message);
    // History files are fetched on demand (POST .../media/download), not at import.
    if (in.media && in.media->status == domain::MediaStatus::kPending) in.media->status = domain::MediaStatus::kFailed;
    in.chat_name.clear();  // the chat's name comes from the conversation, not a sender's push name
    in.timestamp_ms = hm.message.timestamp * 1000;
    in.from_history = true;
    // The client names the phone's status as the domain does ("sent" ... "played"), or not at all.
    if (hm.message.from_me) in.status = domain::ParseMessageStatus(hm.status);
    return in;
}

}  // namespace

HistoryImporter::HistoryImporter(store::Repository& repo, std::atomic<service::EngineEvents*>& events,
                                 std::function<std::shared_ptr<wa::Session>(const std::string&)> sessions)
    : repo_(repo), events_(events), sessions_(std::move(sessions)), worker_([this] { Run(); }) {}

Result<wa::HistorySync> HistoryImporter::OpenChunk(const std::string& session_id,
                                                   const wa::Message::HistorySyncNotification& n) {
    if (n.has_initialhistbootstrapinlinepayload() || n.directpath().empty()) return wa::OpenHistoryNotification(n);
    auto session = sessions_ ? sessions_(session_id) : nullptr;
    if (!session) return MakeError("history_external_blob", "the session is not running to download the blob");
    const wa::MediaRef ref{wa::crypto::MediaKind::kHistory, n.directpath(), ToBytes(n.mediakey()),
                           ToBytes(n.filesha256()), ToBytes(n.fileencsha256()), n.filelength()};
    auto blob = FetchMediaFile(*session, ref, wa::kMaxHistoryPayload);
    if (!blob) return MakeError("history_blob_" + blob.error().code, blob.error().message);
    return wa::ParseHistoryPayload(*blob);
}

HistoryImporter::~HistoryImporter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

void HistoryImporter::Schedule(SealedCredentialStore& store, const std::string& message_id) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(Job{&store, message_id});
    }
    wake_.notify_one();
}

void HistoryImporter::SetLidSink(const std::string& session_id, LidSink sink) {
    std::lock_guard lock(mutex_);
    lid_sinks_[session_id] = std::move(sink);
}

void HistoryImporter::ScheduleKept(SealedCredentialStore& store) {
    const std::string prefix = wa::store_keys::HistoryNotification("");
    std::vector<std::string> keys;
    try {
        keys = repo_.ListCredentialKeys(store.session_id(), prefix);
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: cannot list kept history chunks: {}", store.session_id(), e.what());
        return;
    }
    for (const std::string& key : keys) Schedule(store, key.substr(prefix.size()));
}

void HistoryImporter::Run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            Import(job);
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: history chunk {} not imported, kept for the next connect: {}",
                          job.store->session_id(), job.message_id, e.what());
        }
    }
}

void HistoryImporter::Import(const Job& job) {
    SealedCredentialStore& store = *job.store;
    const std::string& session_id = store.session_id();
    const std::string key = wa::store_keys::HistoryNotification(job.message_id);
    const std::optional<Bytes> kept = store.Get(key);
    if (!kept) return;  // imported already
    auto* events = events_.load();
    if (!events) return;
    const wa::CredentialWrites done{wa::CredentialWrite{key, std::nullopt}};
    if (auto session = repo_.FindSessionById(session_id); session && session->history_sync == domain::kHistoryNone) {
        repo_.Transact([&](store::Transaction& tx) { store.Commit(tx, done); });
        store.Remember(done);
        spdlog::info("[WhatsApp] Session {}: history chunk {} not imported: history is off for this session",
                     session_id, job.message_id);
        return;
    }

    service::HistoryBatch batch;
    batch.chunk_id = job.message_id;
    auto notification = wa::ParseProto<wa::Message::HistorySyncNotification>(*kept);
    auto sync = notification ? OpenChunk(session_id, *notification)
                             : Result<wa::HistorySync>(MakeError("bad_protobuf", "the kept notification is unreadable"));
    if (notification) {
        batch.sync_type = SyncTypeName(notification->synctype());
        batch.chunk_order = static_cast<int>(notification->chunkorder());
        batch.progress = static_cast<int>(notification->progress());
    }
    if (!sync) {
        spdlog::warn("[WhatsApp] Session {}: history chunk {} ({}) kept, not imported: {}", session_id, job.message_id,
                     batch.sync_type, sync.error().message);
        batch.failure = sync.error().code;
        events->OnHistory(session_id, batch, nullptr);
        return;
    }
    const auto creds_blob = store.Get(wa::store_keys::kCredentials);
    auto creds = creds_blob ? wa::DecodeCredentials(*creds_blob) : Result<wa::Credentials>(MakeError("no_credentials", ""));
    const std::string own_jid = creds && creds->me ? creds->me->jid : std::string();
    const wa::HistoryChunk chunk = wa::ReadHistory(*sync, own_jid);
    if (sync->has_progress()) batch.progress = static_cast<int>(chunk.progress);
    batch.chunk_chats = static_cast<std::int64_t>(chunk.chats.size());
    batch.chunk_messages = static_cast<std::int64_t>(chunk.message_count);
    batch.contacts = ContactsOf(chunk);
    if (!chunk.lid_mappings.empty()) {
        LidSink sink;
        {
            std::lock_guard lock(mutex_);
            if (auto it = lid_sinks_.find(session_id); it != lid_sinks_.end()) sink = it->second;
        }
        if (sink) sink(chunk.lid_mappings);
    }

    // Batches of at most kHistoryBatchMessages messages; the last one deletes the kept chunk.
    std::size_t in_batch = 0;
    bool first = true;
    const auto commit = [&](bool last) {
        batch.first = first;
        batch.last = last;
        const bool ok = events->OnHistory(session_id, batch, [&](store::Transaction& tx) {
            if (last) store.Commit(tx, done);
        });
        if (!ok) throw std::runtime_error("the service did not store the batch");
        if (last) store.Remember(done);
        first = false;
        batch.chats.clear();
        batch.contacts.clear();
        in_batch = 0;
    };
    for (const wa::HistoryChat& chat : chunk.chats) {
        const service::HistoryChat head = ToServiceChat(chat);  // the chat without its messages
        service::HistoryChat part = head;
        if (chat.messages.empty()) batch.chats.push_back(head);
        for (const wa::HistoryMessage& hm : chat.messages) {
            part.messages.push_back(ToServiceMessage(hm));
            if (++in_batch < kHistoryBatchMessages) continue;
            batch.chats.push_back(std::move(part));
            part = head;
            commit(false);
        }
        if (!part.messages.empty()) batch.chats.push_back(std::move(part));
    }
    commit(true);
}

}  // namespace wadesk::engine
