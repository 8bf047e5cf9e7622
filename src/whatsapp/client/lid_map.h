#pragma once
// LidMap: one session's phone-number ↔ linked-identity pairs (wa-protocol §13).
//
// Contract:
// - Pairs are user-level: `<pn user>` ↔ `<lid user>` (digits only, no device, no server). Each
//   side is unique: learning (pn, lid) removes any other pair that holds pn or lid, so a new LID
//   for a known PN replaces the old pair (and the old LID no longer resolves).
// - Persistence: every pair is written to the session's CredentialStore (so it is encrypted at
//   rest like every other credential) under "lid-map/pn/<pn>" = lid and "lid-map/lid/<lid>" = pn.
//   An in-memory cache (positive and negative) sits in front of it; the cache stays coherent
//   because every write to those keys goes through this object (one LidMap per session).
// - Listener: for a pair that was not already known exactly, the listener (set by the
//   SignalManager that owns the map) is called with (pn_user, lid_user) so Signal state is
//   migrated eagerly, just before the pair is stored (so an interrupted migration is redone when
//   the pair is learned again, never left behind a stored pair). It is not called for a pair
//   that was already stored.
// - Devices: a device JID resolves by keeping the device number and swapping user and server:
//   `<pn>:5@s.whatsapp.net` ↔ `<lid>:5@lid`; `hosted` ↔ `hosted.lid` the same way.
// - Input from peers (stanza attributes, protobuf payloads) is never trusted to be well formed:
//   malformed JIDs or payloads are skipped, never thrown.
// Threads: every method holds the lock given to the constructor (the owning SignalManager's, so
// a learn that migrates Signal state and the receive lane's unit of work exclude each other), or
// none when it was given none (one thread only).
// Storage exceptions from the CredentialStore propagate (as for every credential write).
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/binary/node.h"
#include "whatsapp/client/credential_store.h"

namespace wadesk::wa {

class Message;

class LidMap {
public:
    using Listener = std::function<void(const std::string& pn_user, const std::string& lid_user)>;

    // REQUIRES: store outlives the map.
    explicit LidMap(CredentialStore& store, std::recursive_mutex* mutex = nullptr) : store_(store), mutex_(mutex) {}

    // Drops the in-memory cache: the store may have lost writes the cache saw (a unit of work
    // that was rolled back).
    void ClearCache();

    void SetListener(Listener listener) { listener_ = std::move(listener); }

    // Stores the pair. Returns true when it was new (or replaced another pair); false when it was
    // already known or either side is not a plain non-empty digit string.
    bool Learn(std::string_view pn_user, std::string_view lid_user);
    // The same from two JIDs in either order (devices ignored): one must be a PN user JID
    // (s.whatsapp.net) and the other a LID JID. False when they are not such a pair.
    bool LearnJids(std::string_view a, std::string_view b);

    std::optional<std::string> LidForPn(std::string_view pn_user);
    std::optional<std::string> PnForLid(std::string_view lid_user);

    // The same device in the other domain (PN ↔ LID, hosted ↔ hosted.lid), device kept;
    // nullopt when the JID is of another kind or the pair is unknown.
    std::optional<Jid> Alternate(const Jid& jid);
    // The LID form of a PN (or hosted) device when the pair is known, else `jid` unchanged.
    Jid ToLid(const Jid& jid);
    // Text form of Alternate() without the device (`user@server`); empty when unknown or when
    // `jid` does not parse.
    std::string AlternateUserJid(std::string_view jid);

    // Message stanza alternate identities (§8, §13 source 4): `from` against sender_lid /
    // sender_pn; `participant` against participant_pn / participant_lid; `recipient` against
    // recipient_pn / recipient_lid and peer_recipient_pn / peer_recipient_lid. Call it before
    // decrypting so the Signal address resolves to the canonical (LID) one. Returns the number of
    // new pairs.
    int LearnFromStanzaAttributes(const Node& stanza);
    // One usync `<user jid=…>` result: its `<lid val=…/>` child against the user's jid (§13
    // source 3). Returns true when a new pair was learned.
    bool LearnFromUsyncUser(const Node& user);
    // A `devices` notification: its `lid` attribute against `from` (§13 source 8).
    bool LearnFromDevicesNotification(const Node& notification);
    // The bytes of LIDMigrationMappingSyncPayload (protocolMessage type 22, field 23 →
    // encodedMappingPayload). Each mapping uses latestLid when present, else assignedLid. Returns
    // the number of new pairs; error "bad_protobuf" when the payload does not parse.
    Result<int> LearnFromMigrationSync(BytesView encoded_mapping_payload);
    // A decrypted Message from our own account: takes a LID_MIGRATION_MAPPING_SYNC protocol
    // message (other messages are ignored). REQUIRES: the caller checked the sender is our own
    // account (WhatsApp only accepts this sync from the account itself).
    void LearnFromOwnMessage(const Message& message);

private:
    std::optional<std::string> Lookup(std::string_view prefix, std::string_view user,
                                      std::map<std::string, std::string, std::less<>>& cache);
    void Forget(std::string_view pn_user, std::string_view lid_user);
    std::unique_lock<std::recursive_mutex> Hold();

    CredentialStore& store_;
    std::recursive_mutex* mutex_;
    Listener listener_;
    std::map<std::string, std::string, std::less<>> pn_to_lid_;  // cache of stored pairs
    std::map<std::string, std::string, std::less<>> lid_to_pn_;
    std::set<std::string, std::less<>> missing_;  // "pn/<u>" / "lid/<u>" known absent
};

namespace store_keys {
std::string LidForPn(std::string_view pn_user);   // "lid-map/pn/<pn>"
std::string PnForLid(std::string_view lid_user);  // "lid-map/lid/<lid>"
}  // namespace store_keys

}  // namespace wadesk::wa
