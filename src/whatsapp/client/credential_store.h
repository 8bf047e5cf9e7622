#pragma once
// CredentialStore: the per-session key/value store the client keeps all of its secrets in
// (the credential blob, Signal sessions, pre-keys, identities, sender keys). The application
// adapts it to the database and encrypts values at rest; nothing in whatsapp/ sees SQL.
//
// Keys are short ASCII strings chosen by the client (see the kKey* helpers below). Values are
// opaque bytes. Implementations may throw on storage failure; the client treats a throw as fatal
// for the current operation. Implementations must never log values.
#include <atomic>
#include <map>
#include <thread>
#include <vector>
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

// One change a unit of work made: a value to put, or (no value) a key to delete.
struct CredentialWrite {
    std::string key;
    std::optional<Bytes> value;
};
using CredentialWrites = std::vector<CredentialWrite>;

// A store that can hold back writes: between Begin() and Take() (or Discard()), Put and Delete
// made on the thread that called Begin() are kept in memory, in order, and Get on that thread
// sees them first; nothing reaches the inner store. Take() hands them over so that the caller
// commits them together with what they produced (a decrypted message), or drops them, which
// leaves the inner store as if the work never ran. Calls from other threads, and all calls
// outside a batch, pass straight through.
// REQUIRES: one batch at a time; the caller serializes units of work that touch the same keys
// (the Signal lock of the session).
class BatchingCredentialStore final : public CredentialStore {
public:
    explicit BatchingCredentialStore(CredentialStore& inner) : inner_(inner) {}

    void Begin();
    CredentialWrites Take();  // ends the batch
    void Discard();           // ends the batch, dropping its writes

    std::optional<Bytes> Get(std::string_view key) override;
    void Put(std::string_view key, BytesView value) override;
    void Delete(std::string_view key) override;

private:
    bool InBatch() const;

    CredentialStore& inner_;
    std::atomic<std::thread::id> owner_{};  // the thread of the open batch; default id: none
    CredentialWrites writes_;
    std::map<std::string, std::size_t, std::less<>> latest_;  // key -> index of its last write
};

// Key layout used by the client.
namespace store_keys {
inline constexpr std::string_view kCredentials = "creds";
std::string Session(std::string_view address_name, int device_id);           // "session/<name>/<dev>"
std::string SessionDevices(std::string_view address_name);                   // "session-devices/<name>"
std::string PreKey(std::uint32_t id);                                        // "prekey/<id>"
std::string SignedPreKey(std::uint32_t id);                                  // "signed-prekey/<id>"
std::string Identity(std::string_view address_name, int device_id);          // "identity/<name>/<dev>"
std::string IdentityDevices(std::string_view address_name);                  // "identity-devices/<name>"
std::string SenderKey(std::string_view group_id, std::string_view address_name, int device_id);
// The plaintext of a received ciphertext, kept with the message's commit so that a redelivered
// stanza yields the same message instead of a Signal "duplicate" failure: "inbox/<sha256 hex>".
inline constexpr std::string_view kInboxPrefix = "inbox/";
std::string Inbox(BytesView ciphertext);
// A history-sync notification kept for import: "history/<message id>".
std::string HistoryNotification(std::string_view message_id);
// An app-state sync key shared by the phone: "appstate-key/<key id hex>".
std::string AppStateKey(BytesView key_id);
// The plaintext of our sends, kept to answer retry receipts (§8.1), and their resend counters.
inline constexpr std::string_view kSentPrefix = "sent/";
std::string SentMessage(std::string_view message_id);                        // "sent/<id>"
std::string SentRetries(std::string_view message_id, std::string_view device_jid);  // "sent/<id>/retries/<jid>"
// The devices holding our current sender key for a group, one device JID a line:
// "sender-key-holders/<group jid>" (connection_group_send.cpp).
std::string SenderKeyHolders(std::string_view group_jid);
}  // namespace store_keys

}  // namespace wadesk::wa
