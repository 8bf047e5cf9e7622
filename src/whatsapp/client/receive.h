#pragma once
// Receiving one <message> stanza (wa-protocol §8): addressing, the plaintext buffer, Signal
// decryption, unwrapping and classification, then the commit through ClientEvents::OnMessage.
// No I/O and no threads: the session runs it on its receive lane (session.cpp), a test or a
// bare Connection runs it inline, and either way the Connection sends what the returned
// MessageOutcome says.
//
// The contract that keeps a message from being lost or doubled:
// - A stanza is settled (receipt or NACK) only after OnMessage returned true, i.e. after the
//   message and the Signal state its decryption produced were committed together.
// - The decrypted plaintext of every ciphertext is written with that commit under
//   store_keys::Inbox(ciphertext). A redelivered stanza (the receipt was lost, or we crashed
//   after the commit) no longer decrypts (the advanced ratchet refuses it as a duplicate), and is
//   read from there instead; the message store then recognises the message id.
// - What cannot be read is still committed, as a kUndecryptable message, and the sender is asked
//   for a resend by retry receipt (at most kMaxRetryReceipts per message id); a resend that
//   decrypts replaces it under the same id.
#include <cstdint>
#include <map>
#include <string>

#include "whatsapp/binary/jid.h"
#include "whatsapp/binary/node.h"
#include "whatsapp/client/connection.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/client/credentials.h"
#include "whatsapp/client/signal_manager.h"

namespace wadesk::wa {

// Baileys sends retry receipts 1..5, whatsmeow 1..4 (wa-protocol §8.1).
inline constexpr int kMaxRetryReceipts = 5;

// Retry receipts sent per message id, for the counts of the next ones. Bounded: the oldest
// entries go first.
class RetryCounter {
public:
    // The number of the retry receipt to send next for `id` (1 for the first), at least
    // `seen_count` + 1 (the <enc count> of a resend that failed again).
    int Next(const std::string& id, int seen_count);

private:
    static constexpr std::size_t kMaxEntries = 4096;
    std::map<std::string, int> counts_;
    std::map<std::uint64_t, std::string> order_;
    std::uint64_t sequence_ = 0;
};

struct ReceiveContext {
    const Credentials& creds;
    SignalManager& signal;
    // When set, the receive runs in a write batch of this store (the one `signal` writes to): the
    // stanza's credential changes are handed to OnMessage and kept only if it returns true.
    BatchingCredentialStore* batch = nullptr;
    CredentialStore& store;  // the store `signal` uses (the batch itself when there is one)
    ClientEvents& events;
    RetryCounter& retries;
};

// True when `jid` is a user or device of our own account (its PN or its LID).
bool IsOwnUser(const Credentials& creds, const Jid& jid);

// Processes one <message> stanza. REQUIRES: nothing else uses ctx.signal or ctx.store meanwhile.
MessageOutcome ReceiveMessage(ReceiveContext& ctx, const Node& stanza);

}  // namespace wadesk::wa
