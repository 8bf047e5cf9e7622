#pragma once
// The emulated phone's Signal party (wa-protocol §14): libsignal-protocol-c bound to one Account.
// Its identity, registration id, signed prekey and one-time prekeys are the ones the sim already
// serves to clients as device 0; sessions live in Account::phone_sessions, so they are saved with
// the account file. Remote identities are trusted on first use and not stored (as the phones of
// the real service do after a reinstall, an identity change is accepted).
//
// Sessions are keyed by the caller's address; the phone always passes the peer's LID address
// (`<lid>_1`, device), whichever domain a stanza used (§13 "Referee's phone").
//
// Not thread-safe: runs on the sim's one thread. REQUIRES: the Account outlives the party (accounts
// live in SimState's map and are never erased).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "sim/state.h"

namespace wadesk::sim {

// A Signal address: name `<lid>_1` (or a PN user), device = the JID device.
struct PeerAddress {
    std::string name;
    int device = 0;
};

// A remote device's bundle (raw 32-byte keys), from the sim's store or a retry receipt's <keys>.
struct PeerBundle {
    std::uint32_t registration_id = 0;
    Key32 identity{};
    std::uint32_t signed_prekey_id = 0;
    Key32 signed_prekey{};
    Bytes signed_prekey_signature;  // 64 bytes
    std::optional<PreKey> one_time;  // pub only
};

enum class CipherKind { kMsg, kPkMsg };  // enc type 'msg' / 'pkmsg'

struct PhoneCiphertext {
    CipherKind kind = CipherKind::kMsg;
    Bytes bytes;
};

class PhoneSignal {
public:
    // Error "signal_error" when libsignal cannot be set up.
    static Result<std::unique_ptr<PhoneSignal>> Create(Account& account);
    ~PhoneSignal();
    PhoneSignal(const PhoneSignal&) = delete;
    PhoneSignal& operator=(const PhoneSignal&) = delete;

    bool HasSession(const PeerAddress& peer);
    void DeleteSession(const PeerAddress& peer);
    // Replaces the session with `peer` by a fresh outgoing one (X3DH from `bundle`): the next
    // Encrypt is a pkmsg. Does not check the signed prekey signature (the sim produced or relayed it).
    Result<void> StartSession(const PeerAddress& peer, const PeerBundle& bundle);
    // Encrypts already padded plaintext. Error "signal_no_session" without a session.
    Result<PhoneCiphertext> Encrypt(const PeerAddress& peer, BytesView plaintext);
    // Decrypts a pkmsg (building the session, consuming the one-time prekey) or a msg.
    // Errors: "signal_malformed" when the bytes are no Signal message at all (the stanza gets no
    // retry receipt), otherwise a Signal failure ("signal_invalid_mac", "signal_no_session",
    // "signal_invalid_key_id", "signal_duplicate_message", ...) that merits a retry receipt.
    Result<Bytes> Decrypt(const PeerAddress& peer, CipherKind kind, BytesView ciphertext);

    // Sender keys (groups, wa-protocol §14, §18), by (group JID, sender address), kept in
    // Account::phone_sender_keys.
    // The SenderKeyDistributionMessage of the phone's own key for `group` (created on first use).
    Result<Bytes> OwnSenderKeyDistribution(std::string_view group, const PeerAddress& self);
    // Encrypts padded plaintext with the own key for `group`: a SenderKeyMessage (skmsg).
    Result<Bytes> GroupEncrypt(std::string_view group, const PeerAddress& self, BytesView plaintext);
    // Stores a member's key from its SenderKeyDistributionMessage. Error "signal_malformed".
    Result<void> ProcessSenderKeyDistribution(std::string_view group, const PeerAddress& sender, BytesView skdm);
    // Decrypts an skmsg. Errors: "signal_malformed", "signal_no_session" (no key from that sender),
    // other Signal failures.
    Result<Bytes> GroupDecrypt(std::string_view group, const PeerAddress& sender, BytesView skmsg);
    // Forgets the key (the next OwnSenderKeyDistribution makes a new one).
    void DeleteSenderKey(std::string_view group, const PeerAddress& sender);

    struct Impl;

private:
    explicit PhoneSignal(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// WhatsApp plaintext padding (§7.3): 1..15 bytes, each equal to the count.
Bytes PadPlaintext(BytesView message);
// Error "bad_padding" when the last byte is 0 or longer than the message.
Result<Bytes> UnpadPlaintext(BytesView padded);

// Makes an encrypted message fail its MAC check at the receiver while staying parseable: flips the
// last MAC byte of a msg, or of the SignalMessage inside a pkmsg. Error "signal_malformed" when
// the bytes do not have that shape.
Result<Bytes> CorruptMac(CipherKind kind, BytesView ciphertext);

}  // namespace wadesk::sim
