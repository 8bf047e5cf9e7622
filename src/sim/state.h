#pragma once
// The emulator's persistent state: its Noise certificate keys and the accounts of the emulated
// phones with their linked (companion) devices. Stored as JSON: `<dir>/state.json` holds the
// keys, `<dir>/accounts/<phone>.json` one account each; a file is rewritten atomically (temp file
// + rename) after every change of what it holds, so a change costs one account's size however
// many accounts exist. Accounts inside state.json (the older single-file layout) are still read.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/curve25519.h"

namespace wadesk::sim {

using wa::crypto::Key32;
using wa::crypto::KeyPair;

struct PreKey {
    std::uint32_t id = 0;
    Key32 pub{};
    Key32 priv{};  // zero for companion prekeys (the sim only knows their public half)
};

struct SignedPreKey {
    std::uint32_t id = 0;
    Key32 pub{};
    Key32 priv{};  // zero for companion keys
    Bytes signature;  // 64 bytes, by the identity key over 0x05 || pub
};

// A linked companion device (device id >= 1).
struct Device {
    std::uint16_t id = 0;
    Key32 noise_key{};  // the login credential
    Key32 identity{};   // Signal identity public key
    std::uint32_t registration_id = 0;
    SignedPreKey signed_prekey;
    std::vector<PreKey> prekeys;  // one-time prekeys uploaded by the device
    std::uint32_t key_index = 0;
    std::string platform;         // from the QR platform id
    std::int64_t paired_at = 0;   // unix seconds
    Bytes account_signature;      // ADV account signature
    Bytes device_signature;       // ADV device signature (from pair-device-sign)
    Bytes adv_details;            // serialized ADVDeviceIdentity
    bool require_full_sync = false;  // DeviceProps.requireFullSync of its registration: full history
};

// One emulated phone (device 0) with its account.
struct Account {
    std::string phone;  // digits only, the PN user
    std::string name;   // push name
    std::string lid;    // LID user (15 digits)
    KeyPair identity;   // Signal identity of device 0 == ADV account signature key
    std::uint32_t registration_id = 0;
    SignedPreKey signed_prekey;
    std::vector<PreKey> prekeys;  // device 0's one-time prekeys (popped by key fetches)
    // One-time prekeys handed out (key fetch, retry receipt) and not yet used by a pkmsg; the
    // phone keeps their private halves until then (the oldest are forgotten beyond 500).
    std::vector<PreKey> issued_prekeys;
    // The phone's Signal sessions, serialized by libsignal, by "<address name>.<device>"; the
    // name is the peer's LID address (`<lid>_1`), see phone_signal.h.
    std::map<std::string, Bytes> phone_sessions;
    // The phone's sender keys (groups, wa-protocol §18), serialized by libsignal, by
    // "<group jid>|<sender address name>.<device>": its own for each group it sent to, and those it
    // received from other members.
    std::map<std::string, Bytes> phone_sender_keys;
    std::uint32_t next_prekey_id = 1;
    std::uint32_t raw_id = 0;
    std::uint32_t next_key_index = 1;
    std::uint16_t next_device_id = 1;
    std::map<std::uint16_t, Device> devices;
};

// An emulated group (wa-protocol §18.7), LID-addressed like new WhatsApp groups.
struct Group {
    std::string id;             // the user part of `<id>@g.us`
    std::string subject;
    std::int64_t subject_time = 0;
    std::string subject_owner;  // phone of the account that set the subject
    std::string creator;        // phone
    std::int64_t creation = 0;
    // Members by phone, with their rank: "" (member), "admin" or "superadmin" (the creator).
    std::map<std::string, std::string> members;
};

struct ServerKeys {
    KeyPair root;
    KeyPair intermediate;
    KeyPair server_static;
    std::uint64_t not_before = 0;
    std::uint64_t not_after = 0;
};

struct SimState {
    ServerKeys keys;
    std::map<std::string, Account> accounts;  // by phone
    std::map<std::string, std::string> lid_to_phone;
    std::map<std::string, Group> groups;  // by id (`<dir>/groups.json`)
};

// Fresh keys: root, intermediate, server static, validity [now - 1 day, now + 10 years].
ServerKeys GenerateServerKeys(std::int64_t now_seconds);

// A new account with random identity, signed prekey, `prekey_count` one-time prekeys, raw id and a
// random 15-digit LID not already in `state`.
Account NewAccount(const SimState& state, std::string phone, std::string name, std::size_t prekey_count = 50);

// Tops up device 0's one-time prekeys to `count`.
void RefillPhonePrekeys(Account& account, std::size_t count);

// Hands out one of device 0's one-time prekeys (key fetch, retry receipt): moves it to
// issued_prekeys, where the phone keeps its private half for the pkmsg that uses it, and tops the
// pool up to `refill`. nullopt only when the pool is empty and refill is 0.
std::optional<PreKey> IssuePhonePrekey(Account& account, std::size_t refill = 20);

// JSON (de)serialization. Load errors: "bad_state".
std::string StateToJson(const SimState& state);
Result<SimState> StateFromJson(std::string_view json);

// One account as JSON (the element of StateToJson's "accounts"). Load errors: "bad_state".
std::string AccountToJson(const Account& account);
Result<Account> AccountFromJson(std::string_view json);

// Loads `<dir>/state.json` and `<dir>/accounts/*.json`, or creates the directory and a fresh state
// (new keys) when absent.
Result<SimState> LoadOrCreateState(const std::string& dir, std::int64_t now_seconds);
// Writes the keys and every account.
Result<void> SaveState(const std::string& dir, const SimState& state);
// Writes one account's file.
Result<void> SaveAccount(const std::string& dir, const Account& account);
// Writes `<dir>/groups.json` (every group).
Result<void> SaveGroups(const std::string& dir, const SimState& state);

}  // namespace wadesk::sim
