#pragma once
// SignalManager: libsignal-protocol-c bound to one companion's Credentials and CredentialStore.
// It owns a signal_context (crypto provider over OpenSSL + libsodium RNG) and a store context
// whose callbacks read and write the CredentialStore (sessions, one-time pre-keys, identities,
// sender keys); the identity key pair, registration id and signed pre-key come from Credentials.
//
// One manager per session. Every method holds the manager's lock, so threads may share it; a
// caller that needs a unit of work to stay whole (the receive lane: decrypt, then commit the
// state it wrote) holds Lock() across the unit.
// Remote identities are trusted on first use and replaced on change (as WhatsApp clients do).
//
// Canonical addresses (wa-protocol §13): the manager owns the session's LidMap. Every session
// and identity access (the libsignal store callbacks, HasSession, Encrypt, Decrypt, ...) first
// resolves the address: a PN address `<pn>.<dev>` whose user has a known LID becomes
// `<lid>_1.<dev>` (hosted `_128` → `_129`), so one device has one session whichever domain a
// stanza used. When the map learns a new pair, the PN sessions and identity keys of all that
// user's devices are moved to the LID address at once and the PN copies deleted (on conflict the
// PN record wins, as Baileys and whatsmeow do); a moved identity compares equal afterwards.
// Sender keys are kept under the address they were stored with (not resolved, not moved): the
// group message's `participant` as given.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/client/credentials.h"
#include "whatsapp/client/lid_map.h"

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

    // The manager's (recursive) lock: while held, no other thread runs a method of this manager.
    std::unique_lock<std::recursive_mutex> Lock();

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

    // Sender keys (groups, wa-protocol §18), stored per (group JID, sender address) under
    // store_keys::SenderKey, with the other Signal records. `self` is our own address.
    // The SenderKeyDistributionMessage of our key for `group`, created on first use.
    Result<Bytes> OwnSenderKeyDistribution(std::string_view group, const SignalAddress& self);
    // Encrypts padded plaintext with our key for `group` (created on first use): the skmsg bytes.
    Result<Bytes> GroupEncrypt(std::string_view group, const SignalAddress& self, BytesView plaintext);
    // Stores a member's key from its SenderKeyDistributionMessage.
    Result<void> ProcessSenderKeyDistribution(std::string_view group, const SignalAddress& sender, BytesView skdm);
    // Decrypts an skmsg. Errors: "signal_no_sender_key" (no key from that sender yet: a retry
    // receipt brings it), "signal_duplicate_message", other Signal failures.
    Result<Bytes> GroupDecrypt(std::string_view group, const SignalAddress& sender, BytesView skmsg);
    bool HasSenderKey(std::string_view group, const SignalAddress& sender);
    // Forgets a key (ours: the next send makes a new one).
    void DeleteSenderKey(std::string_view group, const SignalAddress& sender);

    // The session's PN↔LID map; learning a pair through it migrates Signal state (above).
    LidMap& lid_map();
    // The address sessions and identities of `address` are stored under.
    SignalAddress Canonical(const SignalAddress& address);
    // Moves the PN sessions and identity keys of every device of `pn_user` (and its hosted
    // devices) to the LID address of `lid_user`, deleting the PN copies. Idempotent. Called by
    // the map's listener; public for tests and for callers that learn a pair some other way.
    void MigrateToLid(const std::string& pn_user, const std::string& lid_user);
    // The stored identity key (33 bytes, 0x05 ‖ pub) of a remote device, resolved; nullopt when
    // none is stored.
    std::optional<Bytes> RemoteIdentity(const SignalAddress& address);
    // How many times a stored remote identity was replaced by a different key (an "identity
    // changed" event). Re-saving an equal key, in either domain, does not count.
    std::uint64_t identity_changes() const;

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
