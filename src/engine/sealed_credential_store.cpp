#include "engine/sealed_credential_store.h"

#include <stdexcept>

#include "engine/media_key_seal.h"

namespace wadesk::engine {

wa::crypto::Digest32 CredentialKey(std::string_view master_key) {
    return wa::crypto::Sha256({AsBytes("wadesk wa credentials v1"), AsBytes(master_key)});
}

wa::crypto::Digest32 SealedCredentialStore::media_seal_key() const {
    return MediaKeySealKey(key_);
}

std::optional<Bytes> SealedCredentialStore::Get(std::string_view key) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    }
    auto stored = repo_.GetCredential(session_id_, key);
    if (!stored) {
        Cache(key, std::nullopt);
        return std::nullopt;
    }
    auto raw = Base64Decode(*stored);
    if (!raw || raw->size() < 12 + wa::crypto::kGcmTagSize) throw std::runtime_error("credential value is malformed");
    BytesView nonce(raw->data(), 12);
    BytesView sealed(raw->data() + 12, raw->size() - 12);
    auto plain = wa::crypto::AesGcmDecrypt(key_, nonce, sealed, Aad(key));
    if (!plain) throw std::runtime_error("credential value does not decrypt (wrong master key?)");
    Cache(key, *plain);
    return std::move(*plain);
}

void SealedCredentialStore::Put(std::string_view key, BytesView value) {
    repo_.PutCredential(session_id_, key, Seal(key, value));
    Cache(key, Bytes(value.begin(), value.end()));
}

void SealedCredentialStore::Delete(std::string_view key) {
    repo_.DeleteCredential(session_id_, key);
    Cache(key, std::nullopt);
}

void SealedCredentialStore::Remember(const wa::CredentialWrites& writes) {
    for (const auto& w : writes) Cache(w.key, w.value);
}

void SealedCredentialStore::ForgetAll() {
    std::lock_guard lock(mutex_);
    cache_.clear();
    cache_order_.clear();
}

void SealedCredentialStore::Cache(std::string_view key, std::optional<Bytes> value) {
    std::lock_guard lock(mutex_);
    // Kept plaintexts are written once and read only for a redelivery: never cached (so never
    // stale either).
    if (key.starts_with(wa::store_keys::kInboxPrefix) || key.starts_with(wa::store_keys::kSentPrefix) ||
        key.starts_with("history/"))
        return;
    auto [it, inserted] = cache_.insert_or_assign(std::string(key), std::move(value));
    if (!inserted) return;
    cache_order_.push_back(it->first);
    while (cache_order_.size() > kCacheEntries) {
        cache_.erase(cache_order_.front());
        cache_order_.pop_front();
    }
}

void SealedCredentialStore::Commit(store::Transaction& tx, const wa::CredentialWrites& writes) const {
    for (const auto& w : writes) {
        if (w.value) tx.PutCredential(session_id_, w.key, Seal(w.key, *w.value));
        else tx.DeleteCredential(session_id_, w.key);
    }
}

std::string SealedCredentialStore::Seal(std::string_view key, BytesView value) const {
    Bytes nonce = RandomBytes(12);
    auto sealed = wa::crypto::AesGcmEncrypt(key_, nonce, value, Aad(key));
    if (!sealed) throw std::runtime_error("credential encryption failed");
    return Base64Encode(Concat({nonce, *sealed}));
}

Bytes SealedCredentialStore::Aad(std::string_view key) const {
    Bytes aad = ToBytes(session_id_);
    aad.push_back(0);
    Append(aad, AsBytes(key));
    return aad;
}

}  // namespace wadesk::engine
