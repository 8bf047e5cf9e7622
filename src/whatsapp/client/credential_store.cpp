#include "whatsapp/client/credential_store.h"

#include <fmt/format.h>

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
std::string SenderKey(std::string_view group_id, std::string_view address_name, int device_id) {
    return fmt::format("sender-key/{}/{}/{}", group_id, address_name, device_id);
}
std::string SentMessage(std::string_view message_id) { return fmt::format("{}{}", kSentPrefix, message_id); }
std::string SentRetries(std::string_view message_id, std::string_view device_jid) {
    return fmt::format("{}{}/retries/{}", kSentPrefix, message_id, device_jid);
}
}  // namespace store_keys

}  // namespace wadesk::wa
