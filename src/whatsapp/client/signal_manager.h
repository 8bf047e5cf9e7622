#pragma once
// SignalManager: libsignal-protocol-c bound to one companion's Credentials and CredentialStore.
// It owns a signal_context (crypto provider over OpenSSL + libsodium RNG) and a store context
// whose callbacks read and write the CredentialStore (sessions, one-time pre-keys, identities,
// sender keys); the identity key pair, registration id and signed pre-key come from Credentials.
//
// Not thread-safe: one manager per session, used from the session's strand.
// Remote identities are trusted on first use and replaced on change (as WhatsApp clients do).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/client/credentials.h"

namespace wadesk::wa {

// A Signal protocol address: name is the JID user ("15551234567"; LID users get "_1",
// hosted "_128", hosted LID "_129"), device is the JID device (0 = the phone).
struct SignalAddress {
    std::string name;
    int device = 0;

    bool operator==(const SignalAddress&) const = default;
};

// "user[:device]@server" → address (§13 naming). Error "bad_jid" when the JID has no user.
Result<SignalAddress> SignalAddressFromJid(std::string_view jid);

// A one-time pre-key as uploaded to the server (raw 32-byte public key).
struct PreKeyPublic {
    std::uint32_t id = 0;
    crypto::Key32 pub{};
};

// A remote device's bundle as returned by a key fetch (§7.2). Keys are raw 32 bytes.
struct PreKeyBundle {
    std::uint32_t registration_id = 0;
    crypto::Key32 identity{};
    std::uint32_t signed_pre_key_id = 0;
    crypto::Key32 signed_pre_key{};
    Bytes signed_pre_key_signature;        // 64 bytes over 0x05 || signed_pre_key
    std::optional<PreKeyPublic> pre_key;   // one-time pre-key, when the server had one
};

enum class CiphertextType { kMsg, kPkMsg };
std::string_view CiphertextTypeName(CiphertextType type);  // "msg" / "pkmsg"

struct Ciphertext {
    CiphertextType type = CiphertextType::kMsg;
    Bytes bytes;
};

class SignalManager {
public:
    // REQUIRES: store and creds outlive the manager. The manager reads creds on every call,
    // so updates to creds (e.g. a new signed pre-key) are seen immediately.
    static Result<std::unique_ptr<SignalManager>> Create(CredentialStore& store, const Credentials& creds);
    ~SignalManager();
    SignalManager(const SignalManager&) = delete;
    SignalManager& operator=(const SignalManager&) = delete;

    // Generates `count` one-time pre-keys with ids first_id, first_id+1, ... (wrapping within
    // 1..0xFFFFFE), stores their private halves and returns the public halves to upload.
    Result<std::vector<PreKeyPublic>> GeneratePreKeys(std::uint32_t first_id, std::uint32_t count);

    // Builds (or replaces) the session with `address` from a fetched bundle. Fails with
    // "signal_bad_signature" when the signed pre-key signature does not verify.
    Result<void> ProcessBundle(const SignalAddress& address, const PreKeyBundle& bundle);
    bool HasSession(const SignalAddress& address);
    void DeleteSession(const SignalAddress& address);
    // The registration id the session with `address` was built for; nullopt without a session.
    std::optional<std::uint32_t> RemoteRegistrationId(const SignalAddress& address);

    // Encrypts plaintext (already padded) for an existing session.
    Result<Ciphertext> Encrypt(const SignalAddress& address, BytesView plaintext);
    // Decrypts a pkmsg (creating the session, consuming the one-time pre-key) or a msg.
    Result<Bytes> Decrypt(const SignalAddress& address, CiphertextType type, BytesView ciphertext);

    struct Impl;

private:
    explicit SignalManager(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// WhatsApp's plaintext padding (§7.3): 1..15 random-length bytes, each equal to the length.
Bytes PadMessage(BytesView message);
// Strips the padding. Error "bad_padding" when the last byte is 0 or longer than the message.
Result<Bytes> UnpadMessage(BytesView padded);

}  // namespace wadesk::wa
