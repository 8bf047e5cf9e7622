#include "engine/media_key_seal.h"

#include <boost/json.hpp>

namespace wadesk::engine {
namespace json = boost::json;

namespace {

constexpr std::size_t kNonceSize = 12;

Bytes Aad(std::string_view session_id) {
    Bytes aad = ToBytes("wadesk media key");
    aad.push_back(0);
    Append(aad, AsBytes(session_id));
    return aad;
}

std::optional<json::object> ParseObject(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

}  // namespace

wa::crypto::Digest32 MediaKeySealKey(const wa::crypto::Digest32& credential_key) {
    return wa::crypto::Sha256({AsBytes("wadesk media keys v1"), BytesView(credential_key.data(), credential_key.size())});
}

std::string SealMediaRef(std::string_view ref_json, const wa::crypto::Digest32& key, std::string_view session_id) {
    auto o = ParseObject(ref_json);
    if (!o) return std::string(ref_json);
    auto it = o->find("mediaKey");
    if (it == o->end() || !it->value().is_string()) return std::string(ref_json);
    auto clear = Base64Decode(std::string_view(it->value().as_string()));
    if (!clear) return std::string(ref_json);
    const Bytes nonce = RandomBytes(kNonceSize);
    auto sealed = wa::crypto::AesGcmEncrypt(BytesView(key.data(), key.size()), nonce, *clear, Aad(session_id));
    if (!sealed) throw std::runtime_error("media key encryption failed");
    o->erase(it);
    (*o)["mediaKeySealed"] = Base64Encode(Concat({nonce, *sealed}));
    return json::serialize(*o);
}

Result<std::string> OpenMediaRef(std::string_view ref_json, const wa::crypto::Digest32& key,
                                 std::string_view session_id) {
    auto o = ParseObject(ref_json);
    const auto unchanged = [&] { return Result<std::string>(boost::system::in_place_value, ref_json); };
    if (!o) return unchanged();
    auto it = o->find("mediaKeySealed");
    if (it == o->end()) return unchanged();
    auto raw = it->value().is_string() ? Base64Decode(std::string_view(it->value().as_string())) : std::nullopt;
    if (!raw || raw->size() < kNonceSize + wa::crypto::kGcmTagSize)
        return MakeError("media_key_unreadable", "the sealed media key is malformed");
    auto clear = wa::crypto::AesGcmDecrypt(BytesView(key.data(), key.size()), BytesView(raw->data(), kNonceSize),
                                           BytesView(raw->data() + kNonceSize, raw->size() - kNonceSize),
                                           Aad(session_id));
    if (!clear) return MakeError("media_key_unreadable", "the sealed media key does not open (another master key?)");
    o->erase(it);
    (*o)["mediaKey"] = Base64Encode(*clear);
    return Result<std::string>(boost::system::in_place_value, json::serialize(*o));
}

}  // namespace wadesk::engine
