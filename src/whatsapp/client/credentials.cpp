#include "whatsapp/client/credentials.h"

#include <array>
#include <cstring>

namespace wadesk::wa {

namespace {

// Blob layout: "WAC" version(1) then records tag(1) len(4 BE) value(len). Unknown tags are skipped.
constexpr std::array<std::uint8_t, 4> kMagic = {'W', 'A', 'C', 1};

enum class Tag : std::uint8_t {
    kNoisePriv = 1,
    kNoisePub = 2,
    kIdentityPriv = 3,
    kIdentityPub = 4,
    kRegistrationId = 5,
    kSpkId = 6,
    kSpkPriv = 7,
    kSpkPub = 8,
    kSpkSignature = 9,
    kAdvSecret = 10,
    kNextPreKeyId = 11,
    kFirstUnuploadedPreKeyId = 12,
    kPlatform = 13,
    kMeJid = 14,
    kMeLid = 15,
    kMeName = 16,
    kAccount = 17,
    kRoutingInfo = 18,
    kEnd = 255,  // empty; must be the last record, so a truncated blob is detected
};

void PutU32(Bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t GetU32(BytesView b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

void PutField(Bytes& out, Tag tag, BytesView value) {
    out.push_back(static_cast<std::uint8_t>(tag));
    PutU32(out, static_cast<std::uint32_t>(value.size()));
    Append(out, value);
}

void PutU32Field(Bytes& out, Tag tag, std::uint32_t v) {
    Bytes b;
    PutU32(b, v);
    PutField(out, tag, b);
}

Error Bad(std::string what) { return MakeError("bad_credentials", "credential blob: " + what); }

}  // namespace

Bytes SignalPublicKey(const crypto::Key32& pub) {
    Bytes out;
    out.reserve(33);
    out.push_back(0x05);
    out.insert(out.end(), pub.begin(), pub.end());
    return out;
}

Credentials GenerateCredentials() {
    Credentials c;
    c.noise = crypto::GenerateKeyPair();
    c.identity = crypto::GenerateKeyPair();
    do {
        Bytes r = RandomBytes(2);
        c.registration_id = ((std::uint32_t{r[0]} << 8) | r[1]) & 0x3FFF;
    } while (c.registration_id == 0);
    c.signed_pre_key.id = 1;
    c.signed_pre_key.key = crypto::GenerateKeyPair();
    c.signed_pre_key.signature = crypto::Sign(c.identity.priv, SignalPublicKey(c.signed_pre_key.key.pub));
    c.adv_secret = RandomBytes(32);
    return c;
}

bool SignedPreKeyIsValid(const Credentials& creds) {
    return crypto::Verify(creds.identity.pub, SignalPublicKey(creds.signed_pre_key.key.pub),
                          BytesView(creds.signed_pre_key.signature.data(), creds.signed_pre_key.signature.size()));
}

Bytes EncodeCredentials(const Credentials& c) {
    Bytes out(kMagic.begin(), kMagic.end());
    PutField(out, Tag::kNoisePriv, crypto::View(c.noise.priv));
    PutField(out, Tag::kNoisePub, crypto::View(c.noise.pub));
    PutField(out, Tag::kIdentityPriv, crypto::View(c.identity.priv));
    PutField(out, Tag::kIdentityPub, crypto::View(c.identity.pub));
    PutU32Field(out, Tag::kRegistrationId, c.registration_id);
    PutU32Field(out, Tag::kSpkId, c.signed_pre_key.id);
    PutField(out, Tag::kSpkPriv, crypto::View(c.signed_pre_key.key.priv));
    PutField(out, Tag::kSpkPub, crypto::View(c.signed_pre_key.key.pub));
    PutField(out, Tag::kSpkSignature, BytesView(c.signed_pre_key.signature.data(), c.signed_pre_key.signature.size()));
    PutField(out, Tag::kAdvSecret, c.adv_secret);
    PutU32Field(out, Tag::kNextPreKeyId, c.next_pre_key_id);
    PutU32Field(out, Tag::kFirstUnuploadedPreKeyId, c.first_unuploaded_pre_key_id);
    PutField(out, Tag::kPlatform, AsBytes(c.platform));
    if (c.me) {
        PutField(out, Tag::kMeJid, AsBytes(c.me->jid));
        PutField(out, Tag::kMeLid, AsBytes(c.me->lid));
        PutField(out, Tag::kMeName, AsBytes(c.me->name));
    }
    if (!c.account.empty()) PutField(out, Tag::kAccount, c.account);
    if (!c.routing_info.empty()) PutField(out, Tag::kRoutingInfo, c.routing_info);
    PutField(out, Tag::kEnd, {});
    return out;
}

Result<Credentials> DecodeCredentials(BytesView blob) {
    if (blob.size() < kMagic.size() || std::memcmp(blob.data(), kMagic.data(), kMagic.size()) != 0)
        return Bad("unknown format or version");
    Credentials c;
    unsigned seen = 0;  // bit per required tag
    auto key32 = [](BytesView v, crypto::Key32& out) {
        if (v.size() != out.size()) return false;
        std::memcpy(out.data(), v.data(), out.size());
        return true;
    };
    std::size_t pos = kMagic.size();
    bool ended = false;
    while (pos < blob.size()) {
        if (ended) return Bad("data after the end record");
        if (blob.size() - pos < 5) return Bad("truncated record header");
        const auto tag = static_cast<Tag>(blob[pos]);
        const std::uint32_t len = GetU32(blob.subspan(pos + 1, 4));
        pos += 5;
        if (blob.size() - pos < len) return Bad("truncated record");
        BytesView v = blob.subspan(pos, len);
        pos += len;
        bool ok = true;
        switch (tag) {
            case Tag::kNoisePriv: ok = key32(v, c.noise.priv); break;
            case Tag::kNoisePub: ok = key32(v, c.noise.pub); break;
            case Tag::kIdentityPriv: ok = key32(v, c.identity.priv); break;
            case Tag::kIdentityPub: ok = key32(v, c.identity.pub); break;
            case Tag::kSpkPriv: ok = key32(v, c.signed_pre_key.key.priv); break;
            case Tag::kSpkPub: ok = key32(v, c.signed_pre_key.key.pub); break;
            case Tag::kSpkSignature:
                ok = v.size() == c.signed_pre_key.signature.size();
                if (ok) std::memcpy(c.signed_pre_key.signature.data(), v.data(), v.size());
                break;
            case Tag::kRegistrationId:
            case Tag::kSpkId:
            case Tag::kNextPreKeyId:
            case Tag::kFirstUnuploadedPreKeyId: {
                ok = v.size() == 4;
                if (!ok) break;
                const std::uint32_t n = GetU32(v);
                if (tag == Tag::kRegistrationId) c.registration_id = n;
                if (tag == Tag::kSpkId) c.signed_pre_key.id = n;
                if (tag == Tag::kNextPreKeyId) c.next_pre_key_id = n;
                if (tag == Tag::kFirstUnuploadedPreKeyId) c.first_unuploaded_pre_key_id = n;
                break;
            }
            case Tag::kAdvSecret: c.adv_secret.assign(v.begin(), v.end()); break;
            case Tag::kPlatform: c.platform = ToString(v); break;
            case Tag::kMeJid:
                if (!c.me) c.me.emplace();
                c.me->jid = ToString(v);
                break;
            case Tag::kMeLid:
                if (!c.me) c.me.emplace();
                c.me->lid = ToString(v);
                break;
            case Tag::kMeName:
                if (!c.me) c.me.emplace();
                c.me->name = ToString(v);
                break;
            case Tag::kAccount: c.account.assign(v.begin(), v.end()); break;
            case Tag::kRoutingInfo: c.routing_info.assign(v.begin(), v.end()); break;
            case Tag::kEnd: ended = true; continue;
            default: continue;  // a field from a newer writer
        }
        if (!ok) return Bad("field " + std::to_string(static_cast<int>(tag)) + " has the wrong size");
        const auto t = static_cast<unsigned>(tag);
        if (t < 32) seen |= 1u << t;
    }
    constexpr unsigned kRequired = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
                                   (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10);
    if (!ended) return Bad("truncated (no end record)");
    if ((seen & kRequired) != kRequired) return Bad("missing required field");
    if (c.adv_secret.size() != 32) return Bad("adv secret must be 32 bytes");
    if (c.me && c.me->jid.empty()) return Bad("me without jid");
    return c;
}

}  // namespace wadesk::wa
