#include "whatsapp/client/credential_store.h"

#include <fmt/format.h>

#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa {

std::optional<Bytes> MemoryCredentialStore::Get(std::string_view key) {
    auto it = items_.find(key);
    if (it == items_.end()) return std::nullopt;
    return it->second;
}

void MemoryCredentialStore::Put(std::string_view key, BytesView value) {
    items_.insert_or_assign(std::string(key), Bytes(value.begin(), value.end()));
}

void MemoryCredentialStore::Delete(std::string_view key) {
    auto it = items_.find(key);
    if (it != items_.end()) items_.erase(it);
}

void BatchingCredentialStore::Begin() {
    writes_.clear();
    latest_.clear();
    owner_ = std::this_thread::get_id();
}

CredentialWrites BatchingCredentialStore::Take() {
    owner_ = std::thread::id();
    latest_.clear();
    return std::move(writes_);
}

void BatchingCredentialStore::Discard() {
    owner_ = std::thread::id();
    latest_.clear();
    writes_.clear();
}

bool BatchingCredentialStore::InBatch() const { return owner_.load() == std::this_thread::get_id(); }

std::optional<Bytes> BatchingCredentialStore::Get(std::string_view key) {
    if (InBatch()) {
        if (auto it = latest_.find(key); it != latest_.end()) return writes_[it->second].value;
    }
    return inner_.Get(key);
}

void BatchingCredentialStore::Put(std::string_view key, BytesView value) {
    if (!InBatch()) return inner_.Put(key, value);
    latest_.insert_or_assign(std::string(key), writes_.size());
    writes_.push_back(CredentialWrite{std::string(key), Bytes(value.begin(), value.end())});
}

void BatchingCredentialStore::Delete(std::string_view key) {
    if (!InBatch()) return inner_.Delete(key);
    latest_.insert_or_assign(std::string(key), writes_.size());
    writes_.push_back(CredentialWrite{std::string(key), std::nullopt});
}

namespace store_keys {
std::string Session(std::string_view address_name, int device_id) {
    return fmt::format("session/{}/{}", address_name, device_id);
}
std::string SessionDevices(std::string_view address_name) { return fmt::format("session-devices/{}", address_name); }
std::string PreKey(std::uint32_t id) { return fmt::format("prekey/{}", id); }
std::string SignedPreKey(std::uint32_t id) { return fmt::format("signed-prekey/{}", id); }
std::string Identity(std::string_view address_name, int device_id) {
    return fmt::format("identity/{}/{}", address_name, device_id);
}
std::string IdentityDevices(std::string_view address_name) {
    return fmt::format("identity-devices/{}", address_name);
}
std::string SenderKey(std::string_view group_id, std::string_view address_name, int device_id) {
    return fmt::format("sender-key/{}/{}/{}", group_id, address_name, device_id);
}
std::string Inbox(BytesView ciphertext) {
    const crypto::Digest32 digest = crypto::Sha256(ciphertext);
    return std::string(kInboxPrefix) + ToHex(BytesView(digest.data(), digest.size()));
}
std::string HistoryNotification(std::string_view message_id) { return fmt::format("history/{}", message_id); }
std::string AppStateKey(BytesView key_id) { return "appstate-key/" + ToHex(key_id); }
std::string SentMessage(std::string_view message_id) { return fmt::format("{}{}", kSentPrefix, message_id); }
std::string SentRetries(std::string_view message_id, std::string_view device_jid) {
    return fmt::format("{}{}/retries/{}", kSentPrefix, message_id, device_jid);
}
std::string SenderKeyHolders(std::string_view group_jid) { return fmt::format("sender-key-holders/{}", group_jid); }
}  // namespace store_keys

}  // namespace wadesk::wa
