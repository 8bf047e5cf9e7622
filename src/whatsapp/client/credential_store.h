#pragma once
// CredentialStore: the per-session key/value store the client keeps all of its secrets in
// (the credential blob, Signal sessions, pre-keys, identities, sender keys). The application
// adapts it to the database and encrypts values at rest; nothing in whatsapp/ sees SQL.
//
// Keys are short ASCII strings chosen by the client (see the kKey* helpers below). Values are
// opaque bytes. Implementations may throw on storage failure; the client treats a throw as fatal
// for the current operation. Implementations must never log values.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace wadesk::wa {

class CredentialStore {
public:
    virtual ~CredentialStore() = default;
    virtual std::optional<Bytes> Get(std::string_view key) = 0;
    virtual void Put(std::string_view key, BytesView value) = 0;
    virtual void Delete(std::string_view key) = 0;
};

// An in-memory store (tests, the simulator harness, throwaway sessions). Not thread-safe.
class MemoryCredentialStore final : public CredentialStore {
public:
    std::optional<Bytes> Get(std::string_view key) override;
    void Put(std::string_view key, BytesView value) override;
    void Delete(std::string_view key) override;

    std::size_t size() const { return items_.size(); }
    const std::map<std::string, Bytes, std::less<>>& items() const { return items_; }

private:
    std::map<std::string, Bytes, std::less<>> items_;
};

// Key layout used by the client.
namespace store_keys {
inline constexpr std::string_view kCredentials = "creds";
std::string Session(std::string_view address_name, int device_id);           // "session/<name>/<dev>"
std::string SessionDevices(std::string_view address_name);                   // "session-devices/<name>"
std::string PreKey(std::uint32_t id);                                        // "prekey/<id>"
std::string SignedPreKey(std::uint32_t id);                                  // "signed-prekey/<id>"
std::string Identity(std::string_view address_name, int device_id);          // "identity/<name>/<dev>"
std::string SenderKey(std::string_view group_id, std::string_view address_name, int device_id);
// The plaintext of our sends, kept to answer retry receipts (§8.1), and their resend counters.
inline constexpr std::string_view kSentPrefix = "sent/";
std::string SentMessage(std::string_view message_id);                        // "sent/<id>"
std::string SentRetries(std::string_view message_id, std::string_view device_jid);  // "sent/<id>/retries/<jid>"
}  // namespace store_keys

}  // namespace wadesk::wa
