#pragma once
// SealedCredentialStore: one session's wa::CredentialStore over the repository's credential
// rows, sealed at rest.
//
// - Values are AES-256-GCM encrypted under a key derived from the master key (SHA-256 of a label
//   and the key, CredentialKey); the nonce is random per write and the AAD binds the value to
//   (session id, key), so a blob cannot be moved to another session or key. Stored as base64 text
//   of nonce || ciphertext.
// - Get throws when a stored value is malformed or does not open (a wrong master key): the
//   client treats it as a storage failure.
// - Commit writes a receive's credential changes inside the caller's transaction (the one that
//   stores the message they belong to); Remember tells the store they were committed.
// - Reads go through a bounded cache of opened values (and of keys known absent), kept exact by
//   Put, Delete and Remember: a session is served by one store object of one process, and every
//   write of its credentials goes through it (ForgetAll after writing around it).
// Thread-safe; values are never logged.
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "store/credential_repository.h"
#include "store/transaction.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::engine {

wa::crypto::Digest32 CredentialKey(std::string_view master_key);

class SealedCredentialStore final : public wa::CredentialStore {
public:
    SealedCredentialStore(store::CredentialRepository& repo, std::string session_id, wa::crypto::Digest32 key)
        : repo_(repo), session_id_(std::move(session_id)), key_(key) {}

    std::optional<Bytes> Get(std::string_view key) override;
    void Put(std::string_view key, BytesView value) override;
    void Delete(std::string_view key) override;

    void Commit(store::Transaction& tx, const wa::CredentialWrites& writes) const;
    // REQUIRES: the transaction Commit wrote `writes` in has committed.
    void Remember(const wa::CredentialWrites& writes);
    // Empties the cache (the credentials were deleted or written around the store).
    void ForgetAll();
    const std::string& session_id() const { return session_id_; }
    // The key media references are sealed under for this session's rows (media_key_seal.h).
    wa::crypto::Digest32 media_seal_key() const;

private:
    static constexpr std::size_t kCacheEntries = 4096;
    void Cache(std::string_view key, std::optional<Bytes> value);

    std::string Seal(std::string_view key, BytesView value) const;
    Bytes Aad(std::string_view key) const;

    store::CredentialRepository& repo_;
    std::string session_id_;
    wa::crypto::Digest32 key_;
    std::mutex mutex_;  // guards the cache
    std::map<std::string, std::optional<Bytes>, std::less<>> cache_;  // nullopt: known absent
    std::deque<std::string> cache_order_;                              // oldest first, for eviction
};

}  // namespace wadesk::engine
