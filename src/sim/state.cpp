#include "sim/state.h"

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wadesk::sim {
namespace json = boost::json;
namespace crypto = wa::crypto;

namespace {

std::uint32_t RandomU32() {
    Bytes b = RandomBytes(4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

SignedPreKey MakeSignedPreKey(const KeyPair& identity, std::uint32_t id) {
    const KeyPair kp = crypto::GenerateKeyPair();
    Bytes msg{0x05};
    msg.insert(msg.end(), kp.pub.begin(), kp.pub.end());
    const crypto::Signature sig = crypto::Sign(identity.priv, msg);
    return SignedPreKey{id, kp.pub, kp.priv, Bytes(sig.begin(), sig.end())};
}

std::string H(const Key32& k) { return ToHex(BytesView(k.data(), k.size())); }

// ---- JSON helpers (throw on malformed state; the loader turns that into an Error) --------------

struct BadState {
    std::string what;
};

const json::value& Field(const json::object& o, std::string_view k) {
    auto it = o.find(k);
    if (it == o.end()) throw BadState{"missing field " + std::string(k)};
    return it->value();
}
std::string Str(const json::object& o, std::string_view k) {
    const auto& v = Field(o, k);
    if (!v.is_string()) throw BadState{"field " + std::string(k) + " is not a string"};
    return std::string(v.as_string());
}
std::int64_t Int(const json::object& o, std::string_view k) {
    const auto& v = Field(o, k);
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.as_uint64());
    throw BadState{"field " + std::string(k) + " is not an integer"};
}
Bytes Hex(const json::object& o, std::string_view k) {
    auto b = FromHex(Str(o, k));
    if (!b) throw BadState{"field " + std::string(k) + " is not hex"};
    return *b;
}
Key32 Key(const json::object& o, std::string_view k) {
    auto r = crypto::ToKey32(Hex(o, k));
    if (!r) throw BadState{"field " + std::string(k) + " is not a 32-byte key"};
    return *r;
}
const json::object& Obj(const json::value& v) {
    if (!v.is_object()) throw BadState{"expected an object"};
    return v.as_object();
}
const json::array& Arr(const json::object& o, std::string_view k) {
    const auto& v = Field(o, k);
    if (!v.is_array()) throw BadState{"field " + std::string(k) + " is not an array"};
    return v.as_array();
}

json::object KeyPairJson(const KeyPair& kp) { return {{"priv", H(kp.priv)}, {"pub", H(kp.pub)}}; }
KeyPair KeyPairFrom(const json::object& o) {
    KeyPair kp = crypto::KeyPairFromPrivate(Key(o, "priv"));
    if (kp.pub != Key(o, "pub")) throw BadState{"key pair does not match its private key"};
    return kp;
}
json::object PreKeyJson(const PreKey& p) { return {{"id", p.id}, {"pub", H(p.pub)}, {"priv", H(p.priv)}}; }
PreKey PreKeyFrom(const json::object& o) {
    return PreKey{static_cast<std::uint32_t>(Int(o, "id")), Key(o, "pub"), Key(o, "priv")};
}
json::object SpkJson(const SignedPreKey& s) {
    return {{"id", s.id}, {"pub", H(s.pub)}, {"priv", H(s.priv)}, {"signature", ToHex(s.signature)}};
}
SignedPreKey SpkFrom(const json::object& o) {
    return SignedPreKey{static_cast<std::uint32_t>(Int(o, "id")), Key(o, "pub"), Key(o, "priv"), Hex(o, "signature")};
}
json::array PreKeysJson(const std::vector<PreKey>& v) {
    json::array a;
    for (const auto& p : v) a.push_back(PreKeyJson(p));
    return a;
}
std::vector<PreKey> PreKeysFrom(const json::array& a) {
    std::vector<PreKey> out;
    for (const auto& v : a) out.push_back(PreKeyFrom(Obj(v)));
    return out;
}

json::object SessionsJson(const std::map<std::string, Bytes>& sessions) {
    json::object o;
    for (const auto& [name, record] : sessions) o[name] = ToHex(record);
    return o;
}
std::map<std::string, Bytes> SessionsFrom(const json::object& o) {
    std::map<std::string, Bytes> out;
    for (const auto& [name, v] : o) {
        if (!v.is_string()) throw BadState{"session record is not a string"};
        auto b = FromHex(v.as_string());
        if (!b) throw BadState{"session record is not hex"};
        out[std::string(name)] = std::move(*b);
    }
    return out;
}

}  // namespace

ServerKeys GenerateServerKeys(std::int64_t now_seconds) {
    ServerKeys k;
    k.root = crypto::GenerateKeyPair();
    k.intermediate = crypto::GenerateKeyPair();
    k.server_static = crypto::GenerateKeyPair();
    k.not_before = static_cast<std::uint64_t>(now_seconds - 86400);
    k.not_after = static_cast<std::uint64_t>(now_seconds + 10LL * 365 * 86400);
    return k;
}

Account NewAccount(const SimState& state, std::string phone, std::string name, std::size_t prekey_count) {
    Account a;
    a.phone = std::move(phone);
    a.name = std::move(name);
    do {
        std::string lid = std::to_string(1 + RandomU32() % 9);
        while (lid.size() < 15) lid += static_cast<char>('0' + RandomU32() % 10);
        a.lid = lid;
    } while (state.lid_to_phone.count(a.lid));
    a.identity = crypto::GenerateKeyPair();
    a.registration_id = 1 + RandomU32() % 16380;
    a.signed_prekey = MakeSignedPreKey(a.identity, 1);
    a.raw_id = RandomU32();
    RefillPhonePrekeys(a, prekey_count);
    return a;
}

void RefillPhonePrekeys(Account& account, std::size_t count) {
    while (account.prekeys.size() < count) {
        const KeyPair kp = crypto::GenerateKeyPair();
        account.prekeys.push_back(PreKey{account.next_prekey_id++, kp.pub, kp.priv});
    }
}

std::optional<PreKey> IssuePhonePrekey(Account& account, std::size_t refill) {
    constexpr std::size_t kIssuedMemory = 500;
    RefillPhonePrekeys(account, std::max<std::size_t>(refill, 1));
    if (account.prekeys.empty()) return std::nullopt;
    PreKey key = account.prekeys.front();
    account.prekeys.erase(account.prekeys.begin());
    account.issued_prekeys.push_back(key);
    if (account.issued_prekeys.size() > kIssuedMemory) account.issued_prekeys.erase(account.issued_prekeys.begin());
    RefillPhonePrekeys(account, refill);
    return key;
}

namespace {

json::object AccountJson(const Account& a) {
    json::array devices;
    for (const auto& [id, d] : a.devices) {
        devices.push_back(json::object{{"id", d.id},
                                       {"noise_key", H(d.noise_key)},
                                       {"identity", H(d.identity)},
                                       {"registration_id", d.registration_id},
                                       {"signed_prekey", SpkJson(d.signed_prekey)},
                                       {"prekeys", PreKeysJson(d.prekeys)},
                                       {"key_index", d.key_index},
                                       {"platform", d.platform},
                                       {"paired_at", d.paired_at},
                                       {"account_signature", ToHex(d.account_signature)},
                                       {"device_signature", ToHex(d.device_signature)},
                                       {"adv_details", ToHex(d.adv_details)},
                                       {"require_full_sync", d.require_full_sync}});
    }
    return json::object{{"phone", a.phone},
                        {"name", a.name},
                        {"lid", a.lid},
                        {"identity", KeyPairJson(a.identity)},
                        {"registration_id", a.registration_id},
                        {"signed_prekey", SpkJson(a.signed_prekey)},
                        {"prekeys", PreKeysJson(a.prekeys)},
                        {"issued_prekeys", PreKeysJson(a.issued_prekeys)},
                        {"phone_sessions", SessionsJson(a.phone_sessions)},
                        {"phone_sender_keys", SessionsJson(a.phone_sender_keys)},
                        {"next_prekey_id", a.next_prekey_id},
                        {"raw_id", a.raw_id},
                        {"next_key_index", a.next_key_index},
                        {"next_device_id", a.next_device_id},
                        {"devices", std::move(devices)}};
}

Account AccountFrom(const json::object& ao) {
    Account a;
    a.phone = Str(ao, "phone");
    a.name = Str(ao, "name");
    a.lid = Str(ao, "lid");
    a.identity = KeyPairFrom(Obj(Field(ao, "identity")));
    a.registration_id = static_cast<std::uint32_t>(Int(ao, "registration_id"));
    a.signed_prekey = SpkFrom(Obj(Field(ao, "signed_prekey")));
    a.prekeys = PreKeysFrom(Arr(ao, "prekeys"));
    // Absent in files written before the phones became Signal parties.
    if (ao.contains("issued_prekeys")) a.issued_prekeys = PreKeysFrom(Arr(ao, "issued_prekeys"));
    if (ao.contains("phone_sessions")) a.phone_sessions = SessionsFrom(Obj(Field(ao, "phone_sessions")));
    if (ao.contains("phone_sender_keys")) a.phone_sender_keys = SessionsFrom(Obj(Field(ao, "phone_sender_keys")));
    a.next_prekey_id = static_cast<std::uint32_t>(Int(ao, "next_prekey_id"));
    a.raw_id = static_cast<std::uint32_t>(Int(ao, "raw_id"));
    a.next_key_index = static_cast<std::uint32_t>(Int(ao, "next_key_index"));
    a.next_device_id = static_cast<std::uint16_t>(Int(ao, "next_device_id"));
    for (const auto& dv : Arr(ao, "devices")) {
        const auto& d = Obj(dv);
        Device dev;
        dev.id = static_cast<std::uint16_t>(Int(d, "id"));
        dev.noise_key = Key(d, "noise_key");
        dev.identity = Key(d, "identity");
        dev.registration_id = static_cast<std::uint32_t>(Int(d, "registration_id"));
        dev.signed_prekey = SpkFrom(Obj(Field(d, "signed_prekey")));
        dev.prekeys = PreKeysFrom(Arr(d, "prekeys"));
        dev.key_index = static_cast<std::uint32_t>(Int(d, "key_index"));
        dev.platform = Str(d, "platform");
        dev.paired_at = Int(d, "paired_at");
        dev.account_signature = Hex(d, "account_signature");
        dev.device_signature = Hex(d, "device_signature");
        dev.adv_details = Hex(d, "adv_details");
        if (auto it = d.find("require_full_sync"); it != d.end() && it->value().is_bool())
            dev.require_full_sync = it->value().as_bool();
        a.devices[dev.id] = std::move(dev);
    }
    return a;
}

json::object StateRoot(const SimState& state) {
    json::object root;
    root["version"] = 1;
    root["keys"] = json::object{{"root", KeyPairJson(state.keys.root)},
                                {"intermediate", KeyPairJson(state.keys.intermediate)},
                                {"server_static", KeyPairJson(state.keys.server_static)},
                                {"not_before", state.keys.not_before},
                                {"not_after", state.keys.not_after}};
    return root;
}

// Writes `text` to `file` through a temporary file and a rename.
Result<void> WriteAtomically(const std::filesystem::path& file, std::string_view text) {
    namespace fs = std::filesystem;
    fs::path tmp = file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) return MakeError("state_io", "cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, file, ec);
    if (ec) return MakeError("state_io", "cannot replace " + file.string() + ": " + ec.message());
    return {};
}

Result<std::string> ReadFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    if (!in.good() && !in.eof()) return MakeError("state_io", "cannot read " + file.string());
    return Result<std::string>(boost::system::in_place_value, buf.str());
}

json::object GroupJson(const Group& g) {
    json::object members;
    for (const auto& [phone, rank] : g.members) members[phone] = rank;
    return {{"id", g.id},         {"subject", g.subject},   {"subject_time", g.subject_time},
            {"subject_owner", g.subject_owner}, {"creator", g.creator}, {"creation", g.creation},
            {"members", std::move(members)}};
}

Group GroupFrom(const json::object& o) {
    Group g;
    g.id = Str(o, "id");
    g.subject = Str(o, "subject");
    g.subject_time = Int(o, "subject_time");
    g.subject_owner = Str(o, "subject_owner");
    g.creator = Str(o, "creator");
    g.creation = Int(o, "creation");
    for (const auto& [phone, rank] : Obj(Field(o, "members"))) {
        if (!rank.is_string()) throw BadState{"group member rank is not a string"};
        g.members[std::string(phone)] = std::string(rank.as_string());
    }
    return g;
}

std::filesystem::path AccountFile(const std::string& dir, const std::string& phone) {
    return std::filesystem::path(dir) / "accounts" / (phone + ".json");
}

}  // namespace

std::string StateToJson(const SimState& state) {
    json::object root = StateRoot(state);
    json::array accounts;
    for (const auto& [phone, a] : state.accounts) accounts.push_back(AccountJson(a));
    root["accounts"] = std::move(accounts);
    json::array groups;
    for (const auto& [id, g] : state.groups) groups.push_back(GroupJson(g));
    root["groups"] = std::move(groups);
    return json::serialize(root);
}

Result<SimState> StateFromJson(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return MakeError("bad_state", "state file is not JSON: " + ec.message());
    try {
        const auto& root = Obj(v);
        SimState s;
        const auto& keys = Obj(Field(root, "keys"));
        s.keys.root = KeyPairFrom(Obj(Field(keys, "root")));
        s.keys.intermediate = KeyPairFrom(Obj(Field(keys, "intermediate")));
        s.keys.server_static = KeyPairFrom(Obj(Field(keys, "server_static")));
        s.keys.not_before = static_cast<std::uint64_t>(Int(keys, "not_before"));
        s.keys.not_after = static_cast<std::uint64_t>(Int(keys, "not_after"));
        for (const auto& av : Arr(root, "accounts")) {
            Account a = AccountFrom(Obj(av));
            s.lid_to_phone[a.lid] = a.phone;
            s.accounts[a.phone] = std::move(a);
        }
        if (root.contains("groups")) {
            for (const auto& gv : Arr(root, "groups")) {
                Group g = GroupFrom(Obj(gv));
                s.groups[g.id] = std::move(g);
            }
        }
        return s;
    } catch (const BadState& e) {
        return MakeError("bad_state", e.what);
    }
}

std::string AccountToJson(const Account& account) { return json::serialize(AccountJson(account)); }

Result<Account> AccountFromJson(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return MakeError("bad_state", "account file is not JSON: " + ec.message());
    try {
        return AccountFrom(Obj(v));
    } catch (const BadState& e) {
        return MakeError("bad_state", e.what);
    }
}

Result<SimState> LoadOrCreateState(const std::string& dir, std::int64_t now_seconds) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(fs::path(dir) / "accounts", ec);
    if (ec) return MakeError("state_io", "cannot create state directory " + dir + ": " + ec.message());
    const fs::path file = fs::path(dir) / "state.json";
    if (!fs::exists(file)) {
        SimState s;
        s.keys = GenerateServerKeys(now_seconds);
        if (auto r = SaveState(dir, s); !r) return r.error();
        return s;
    }
    auto text = ReadFile(file);
    if (!text) return text.error();
    auto state = StateFromJson(*text);
    if (!state) return state.error();
    // Accounts in their own files replace those of the same phone in state.json (older layout).
    for (const auto& entry : fs::directory_iterator(fs::path(dir) / "accounts", ec)) {
        if (entry.path().extension() != ".json") continue;
        auto account_text = ReadFile(entry.path());
        if (!account_text) return account_text.error();
        auto account = AccountFromJson(*account_text);
        if (!account) return MakeError("bad_state", entry.path().string() + ": " + account.error().message);
        if (auto old = state->accounts.find(account->phone); old != state->accounts.end())
            state->lid_to_phone.erase(old->second.lid);
        state->lid_to_phone[account->lid] = account->phone;
        state->accounts[account->phone] = std::move(*account);
    }
    if (ec) return MakeError("state_io", "cannot list " + dir + "/accounts: " + ec.message());
    if (const fs::path groups = fs::path(dir) / "groups.json"; fs::exists(groups)) {
        auto groups_text = ReadFile(groups);
        if (!groups_text) return groups_text.error();
        boost::system::error_code jec;
        json::value v = json::parse(*groups_text, jec);
        if (jec) return MakeError("bad_state", "groups.json is not JSON: " + jec.message());
        try {
            for (const auto& gv : Arr(Obj(v), "groups")) {
                Group g = GroupFrom(Obj(gv));
                state->groups[g.id] = std::move(g);
            }
        } catch (const BadState& e) {
            return MakeError("bad_state", "groups.json: " + e.what);
        }
    }
    return state;
}

Result<void> SaveAccount(const std::string& dir, const Account& account) {
    return WriteAtomically(AccountFile(dir, account.phone), AccountToJson(account));
}

Result<void> SaveGroups(const std::string& dir, const SimState& state) {
    json::array groups;
    for (const auto& [id, g] : state.groups) groups.push_back(GroupJson(g));
    return WriteAtomically(std::filesystem::path(dir) / "groups.json", json::serialize(json::object{{"groups", std::move(groups)}}));
}

Result<void> SaveState(const std::string& dir, const SimState& state) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(fs::path(dir) / "accounts", ec);
    if (ec) return MakeError("state_io", "cannot create state directory " + dir + ": " + ec.message());
    for (const auto& [phone, a] : state.accounts) {
        if (auto r = SaveAccount(dir, a); !r) return r;
    }
    if (auto r = SaveGroups(dir, state); !r) return r;
    json::object root = StateRoot(state);
    root["accounts"] = json::array();
    return WriteAtomically(fs::path(dir) / "state.json", json::serialize(root));
}

}  // namespace wadesk::sim
