// Many accounts at once for load tests and benchmarks (POST /accounts/bulk, docs/sim.md): each a
// phone like CreateAccount's, with `companions` emulated companion devices already linked. Such a
// device has what its peers need to reach it — an identity, a signed prekey, a registration id and
// a key index and 5 one-time prekeys, so usync lists it and a key fetch answers its bundle — but
// no connection ever logs in as it: what is sent to it waits in its offline queue (bounded, the
// oldest dropped), as for any companion that is offline.
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "sim/server.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;

namespace {

// One-time prekeys of an emulated companion: one per sender that fetches its bundle, then bundles
// go without one, as WhatsApp serves them when a device ran out.
constexpr std::uint32_t kCompanionPrekeys = 5;

std::uint32_t RandomU32() {
    Bytes b = RandomBytes(4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

Device EmulatedCompanion(std::uint16_t id, std::uint32_t key_index) {
    Device d;
    d.id = id;
    const KeyPair noise = crypto::GenerateKeyPair();
    d.noise_key = noise.pub;
    const KeyPair identity = crypto::GenerateKeyPair();
    d.identity = identity.pub;
    d.registration_id = 1 + RandomU32() % 16380;
    const KeyPair spk = crypto::GenerateKeyPair();
    Bytes msg{0x05};
    msg.insert(msg.end(), spk.pub.begin(), spk.pub.end());
    const crypto::Signature sig = crypto::Sign(identity.priv, msg);
    d.signed_prekey = SignedPreKey{1, spk.pub, Key32{}, Bytes(sig.begin(), sig.end())};
    for (std::uint32_t k = 1; k <= kCompanionPrekeys; ++k) d.prekeys.push_back(PreKey{k, crypto::GenerateKeyPair().pub, Key32{}});
    d.key_index = key_index;
    d.platform = "emulated";
    d.paired_at = NowSeconds();
    return d;
}

// The decimal number `digits` + `n`, as digits; empty when it would not fit 15 digits.
std::string Plus(const std::string& digits, std::uint64_t n) {
    if (digits.size() > 15) return {};
    const std::uint64_t v = std::stoull(digits) + n;
    std::string out = std::to_string(v);
    return out.size() > 15 ? std::string() : out;
}

}  // namespace

Result<std::vector<const Account*>> SimServer::CreateAccounts(const std::string& first_phone, std::size_t count,
                                                              const std::string& name, std::size_t companions) {
    if (count < 1 || count > kMaxBulkAccounts)
        return MakeError("bad_request", "'count' must be 1 to " + std::to_string(kMaxBulkAccounts));
    if (companions > kMaxBulkCompanions)
        return MakeError("bad_request", "'companions' must be 0 to " + std::to_string(kMaxBulkCompanions));
    std::string first = first_phone;
    if (first.starts_with('+')) first.erase(0, 1);
    if (first.size() < 5 || first.size() > 15 || !std::all_of(first.begin(), first.end(), ::isdigit) || first[0] == '0')
        return MakeError("bad_phone", "'first' must be 5-15 digits (international form, no leading 0)");
    std::vector<std::string> phones;
    for (std::size_t i = 0; i < count; ++i) {
        std::string p = Plus(first, i);
        if (p.empty()) return MakeError("bad_phone", "the numbers from 'first' on do not fit 15 digits");
        if (state_.accounts.count(p)) return MakeError("account_exists", "account " + p + " exists");
        phones.push_back(std::move(p));
    }
    std::vector<const Account*> out;
    for (std::size_t i = 0; i < phones.size(); ++i) {
        Account a = NewAccount(state_, phones[i], name.empty() ? std::string() : name + " " + std::to_string(i + 1),
                               kPhonePrekeys);
        for (std::size_t c = 0; c < companions; ++c) {
            const auto id = a.next_device_id++;
            a.devices.emplace(id, EmulatedCompanion(id, a.next_key_index++));
        }
        state_.lid_to_phone[a.lid] = a.phone;
        auto [it, _] = state_.accounts.emplace(a.phone, std::move(a));
        Persist(it->second);
        out.push_back(&it->second);
    }
    spdlog::info("[sim] {} accounts created from {} with {} companion(s) each", count, first, companions);
    return out;
}

}  // namespace wadesk::sim
