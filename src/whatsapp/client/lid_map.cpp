#include "whatsapp/client/lid_map.h"

#include <algorithm>

#include "core/log.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

namespace {

constexpr std::string_view kPnPrefix = "pn/";
constexpr std::string_view kLidPrefix = "lid/";

bool IsDigits(std::string_view s) {
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string CacheKey(std::string_view prefix, std::string_view user) { return std::string(prefix) + std::string(user); }

}  // namespace

namespace store_keys {
std::string LidForPn(std::string_view pn_user) { return "lid-map/pn/" + std::string(pn_user); }
std::string PnForLid(std::string_view lid_user) { return "lid-map/lid/" + std::string(lid_user); }
}  // namespace store_keys

std::optional<std::string> LidMap::Lookup(std::string_view prefix, std::string_view user,
                                          std::map<std::string, std::string, std::less<>>& cache) {
    std::unique_lock<std::recursive_mutex> hold = Hold();
    if (!IsDigits(user)) return std::nullopt;
    if (auto it = cache.find(user); it != cache.end()) return it->second;
    const std::string miss = CacheKey(prefix, user);
    if (missing_.contains(miss)) return std::nullopt;
    auto stored = store_.Get(prefix == kPnPrefix ? store_keys::LidForPn(user) : store_keys::PnForLid(user));
    if (!stored || !IsDigits(AsString(*stored))) {
        missing_.insert(miss);
        return std::nullopt;
    }
    std::string value(AsString(*stored));
    cache.emplace(std::string(user), value);
    return value;
}

std::optional<std::string> LidMap::LidForPn(std::string_view pn_user) { return Lookup(kPnPrefix, pn_user, pn_to_lid_); }

std::optional<std::string> LidMap::PnForLid(std::string_view lid_user) {
    return Lookup(kLidPrefix, lid_user, lid_to_pn_);
}

void LidMap::Forget(std::string_view pn_user, std::string_view lid_user) {
    if (!pn_user.empty()) {
        store_.Delete(store_keys::LidForPn(pn_user));
        pn_to_lid_.erase(std::string(pn_user));
        missing_.insert(CacheKey(kPnPrefix, pn_user));
    }
    if (!lid_user.empty()) {
        store_.Delete(store_keys::PnForLid(lid_user));
        lid_to_pn_.erase(std::string(lid_user));
        missing_.insert(CacheKey(kLidPrefix, lid_user));
    }
}

std::unique_lock<std::recursive_mutex> LidMap::Hold() {
    return mutex_ ? std::unique_lock<std::recursive_mutex>(*mutex_) : std::unique_lock<std::recursive_mutex>();
}

void LidMap::ClearCache() {
    std::unique_lock<std::recursive_mutex> hold = Hold();
    pn_to_lid_.clear();
    lid_to_pn_.clear();
    missing_.clear();
}

bool LidMap::Learn(std::string_view pn_user, std::string_view lid_user) {
    std::unique_lock<std::recursive_mutex> hold = Hold();
    if (!IsDigits(pn_user) || !IsDigits(lid_user)) return false;
    const auto old_lid = LidForPn(pn_user);
    const auto old_pn = PnForLid(lid_user);
    if (old_lid == lid_user && old_pn == pn_user) return false;
    // Each side is unique: drop the pairs that held either side.
    if (old_lid && *old_lid != lid_user) Forget({}, *old_lid);
    if (old_pn && *old_pn != pn_user) Forget(*old_pn, {});
    const std::string pn(pn_user), lid(lid_user);
    // Migrate before the pair is stored: a failure in between leaves the pair unknown (it is
    // learned, and migrated, again next time) rather than PN records no lookup reaches.
    if (listener_) listener_(pn, lid);
    store_.Put(store_keys::LidForPn(pn_user), AsBytes(lid_user));
    store_.Put(store_keys::PnForLid(lid_user), AsBytes(pn_user));
    pn_to_lid_.insert_or_assign(pn, lid);
    lid_to_pn_.insert_or_assign(lid, pn);
    missing_.erase(CacheKey(kPnPrefix, pn));
    missing_.erase(CacheKey(kLidPrefix, lid));
    return true;
}

bool LidMap::LearnJids(std::string_view a, std::string_view b) {
    auto ja = ParseJid(a);
    auto jb = ParseJid(b);
    if (!ja || !jb) return false;
    if (ja->IsLid() && jb->IsPnUser()) std::swap(ja, jb);
    if (!ja->IsPnUser() || !jb->IsLid()) return false;
    return Learn(ja->user, jb->user);
}

std::optional<Jid> LidMap::Alternate(const Jid& jid) {
    if (jid.IsPnUser() || jid.server == kServerHosted) {
        auto lid = LidForPn(jid.user);
        if (!lid) return std::nullopt;
        return Jid::Make(*lid, jid.IsPnUser() ? kServerLid : kServerHostedLid, jid.device);
    }
    if (jid.IsLid() || jid.server == kServerHostedLid) {
        auto pn = PnForLid(jid.user);
        if (!pn) return std::nullopt;
        return Jid::Make(*pn, jid.IsLid() ? kServerUser : kServerHosted, jid.device);
    }
    return std::nullopt;
}

Jid LidMap::ToLid(const Jid& jid) {
    if (jid.IsPnUser() || jid.server == kServerHosted) {
        if (auto alt = Alternate(jid)) return *alt;
    }
    return jid;
}

std::string LidMap::AlternateUserJid(std::string_view jid) {
    auto parsed = ParseJid(jid);
    if (!parsed) return {};
    auto alt = Alternate(*parsed);
    return alt ? alt->ToNonAd().ToString() : std::string();
}

int LidMap::LearnFromStanzaAttributes(const Node& stanza) {
    int learned = 0;
    auto pair = [&](std::string_view primary_attr, std::initializer_list<std::string_view> alternates) {
        auto primary = stanza.GetAttr(primary_attr);
        if (!primary || primary->empty()) return;
        for (std::string_view attr : alternates) {
            auto alt = stanza.GetAttr(attr);
            if (alt && !alt->empty() && LearnJids(*primary, *alt)) ++learned;
        }
    };
    pair("from", {"sender_lid", "sender_pn"});
    pair("participant", {"participant_pn", "participant_lid"});
    pair("recipient", {"recipient_pn", "recipient_lid", "peer_recipient_pn", "peer_recipient_lid"});
    // Our own copies of a 1:1 send may name the peer in both forms without a `recipient`.
    if (!stanza.GetAttr("recipient")) {
        auto pn = stanza.GetAttr("peer_recipient_pn");
        auto lid = stanza.GetAttr("peer_recipient_lid");
        if (pn && lid && LearnJids(*pn, *lid)) ++learned;
        pn = stanza.GetAttr("recipient_pn");
        lid = stanza.GetAttr("recipient_lid");
        if (pn && lid && LearnJids(*pn, *lid)) ++learned;
    }
    return learned;
}

bool LidMap::LearnFromUsyncUser(const Node& user) {
    const Node* lid = user.Child("lid");
    if (!lid) return false;
    auto val = lid->GetAttr("val");
    auto jid = user.GetAttr("jid");
    if (!val || !jid || val->empty()) return false;
    return LearnJids(*jid, *val);
}

bool LidMap::LearnFromDevicesNotification(const Node& notification) {
    if (notification.AttrOr("type", "") != "devices") return false;
    auto lid = notification.GetAttr("lid");
    auto from = notification.GetAttr("from");
    if (!lid || !from || lid->empty()) return false;
    return LearnJids(*from, *lid);
}

Result<int> LidMap::LearnFromMigrationSync(BytesView encoded_mapping_payload) {
    auto payload = ParseProto<LIDMigrationMappingSyncPayload>(encoded_mapping_payload);
    if (!payload) return payload.error();
    int learned = 0;
    for (const auto& m : payload->pntolidmappings()) {
        const std::uint64_t lid = m.has_latestlid() && m.latestlid() != 0 ? m.latestlid() : m.assignedlid();
        if (m.pn() == 0 || lid == 0) continue;
        if (Learn(std::to_string(m.pn()), std::to_string(lid))) ++learned;
    }
    return learned;
}

void LidMap::LearnFromOwnMessage(const Message& message) {
    if (!message.has_protocolmessage()) return;
    const auto& pm = message.protocolmessage();
    if (pm.type() != Message::ProtocolMessage::LID_MIGRATION_MAPPING_SYNC || !pm.has_lidmigrationmappingsyncmessage())
        return;
    const std::string& encoded = pm.lidmigrationmappingsyncmessage().encodedmappingpayload();
    auto r = LearnFromMigrationSync(AsBytes(encoded));
    if (!r) spdlog::warn("wa: LID migration mapping sync does not parse: {}", r.error().code);
}

}  // namespace wadesk::wa
