#include "sim/phone_signal.h"

#include <openssl/evp.h>
#include <signal/curve.h>
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/signal_protocol.h>

#include <algorithm>

#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;

namespace {

// Owns one libsignal reference-counted object.
template <class T>
class Ref {
public:
    Ref() = default;
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    ~Ref() {
        if (p_) signal_type_unref(reinterpret_cast<signal_type_base*>(p_));
    }
    T** out() { return &p_; }
    T* get() const { return p_; }

private:
    T* p_ = nullptr;
};

struct OwnedBuffer {
    signal_buffer* p = nullptr;
    ~OwnedBuffer() {
        if (p) signal_buffer_bzero_free(p);
    }
};

Bytes Public33(const Key32& raw) {
    Bytes out{0x05};
    out.insert(out.end(), raw.begin(), raw.end());
    return out;
}

Error SignalFailure(int rc, std::string_view what) {
    std::string code = "signal_error";
    switch (rc) {
        case SG_ERR_DUPLICATE_MESSAGE: code = "signal_duplicate_message"; break;
        case SG_ERR_INVALID_KEY: code = "signal_invalid_key"; break;
        case SG_ERR_INVALID_KEY_ID: code = "signal_invalid_key_id"; break;
        case SG_ERR_INVALID_MAC: code = "signal_invalid_mac"; break;
        case SG_ERR_INVALID_MESSAGE: code = "signal_invalid_message"; break;
        case SG_ERR_NO_SESSION: code = "signal_no_session"; break;
        case SG_ERR_UNTRUSTED_IDENTITY: code = "signal_untrusted_identity"; break;
        default: break;
    }
    return MakeError(code, std::string(what) + " failed (libsignal " + std::to_string(rc) + ")");
}

// ---- crypto provider: HMAC/SHA-512 buffer their input and hash at the end ----------------------

struct HmacState {
    Bytes key;
    Bytes data;
};

int Random(uint8_t* data, size_t len, void*) {
    FillRandom(std::span<std::uint8_t>(data, len));
    return SG_SUCCESS;
}
int HmacInit(void** ctx, const uint8_t* key, size_t key_len, void*) {
    *ctx = new HmacState{Bytes(key, key + key_len), {}};
    return SG_SUCCESS;
}
int HmacUpdate(void* ctx, const uint8_t* data, size_t len, void*) {
    auto* s = static_cast<HmacState*>(ctx);
    s->data.insert(s->data.end(), data, data + len);
    return SG_SUCCESS;
}
int HmacFinal(void* ctx, signal_buffer** out, void*) {
    auto* s = static_cast<HmacState*>(ctx);
    const auto mac = crypto::HmacSha256(s->key, s->data);
    *out = signal_buffer_create(mac.data(), mac.size());
    return *out ? SG_SUCCESS : SG_ERR_NOMEM;
}
void HmacCleanup(void* ctx, void*) { delete static_cast<HmacState*>(ctx); }

int ShaInit(void** ctx, void*) {
    *ctx = new Bytes();
    return SG_SUCCESS;
}
int ShaUpdate(void* ctx, const uint8_t* data, size_t len, void*) {
    auto* b = static_cast<Bytes*>(ctx);
    b->insert(b->end(), data, data + len);
    return SG_SUCCESS;
}
int ShaFinal(void* ctx, signal_buffer** out, void*) {
    auto* b = static_cast<Bytes*>(ctx);
    std::uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(b->data(), b->size(), md, &len, EVP_sha512(), nullptr) != 1) return SG_ERR_UNKNOWN;
    b->clear();  // libsignal may reuse the context after final
    *out = signal_buffer_create(md, len);
    return *out ? SG_SUCCESS : SG_ERR_NOMEM;
}
void ShaCleanup(void* ctx, void*) { delete static_cast<Bytes*>(ctx); }

int Cipher(signal_buffer** out, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
           const uint8_t* in, size_t in_len, bool encrypt) {
    const BytesView k(key, key_len), v(iv, iv_len), data(in, in_len);
    Result<Bytes> r = MakeError("bad_cipher", "unsupported cipher");
    if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
        r = encrypt ? crypto::AesCbcEncrypt(k, v, data) : crypto::AesCbcDecrypt(k, v, data);
    } else if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
        r = crypto::AesCtr(k, v, data);
    }
    if (!r) return SG_ERR_UNKNOWN;
    *out = signal_buffer_create(r->data(), r->size());
    return *out ? SG_SUCCESS : SG_ERR_NOMEM;
}
int AesEncrypt(signal_buffer** out, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
            const uint8_t* in, size_t in_len, void*) {
    return Cipher(out, cipher, key, key_len, iv, iv_len, in, in_len, true);
}
int AesDecrypt(signal_buffer** out, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
            const uint8_t* in, size_t in_len, void*) {
    return Cipher(out, cipher, key, key_len, iv, iv_len, in, in_len, false);
}

std::string SessionKey(const char* name, size_t len, int device) {
    return std::string(name, len) + "." + std::to_string(device);
}

// Account::phone_sender_keys key: "<group>|<address name>.<device>".
std::string SenderKeyRecordKey(std::string_view group, std::string_view name, int device) {
    return std::string(group) + "|" + SessionKey(name.data(), name.size(), device);
}

// Reads a protobuf varint; false when truncated.
bool ReadVarint(BytesView b, std::size_t& pos, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos < b.size(); shift += 7) {
        const std::uint8_t x = b[pos++];
        v |= std::uint64_t{x & 0x7fu} << shift;
        if (!(x & 0x80)) return true;
    }
    return false;
}

}  // namespace

// ---- Impl: the store callbacks over the Account --------------------------------------------------

struct PhoneSignal::Impl {
    Account& account;
    signal_context* context = nullptr;
    signal_protocol_store_context* store = nullptr;

    explicit Impl(Account& a) : account(a) {}
    ~Impl() {
        if (store) signal_protocol_store_context_destroy(store);
        if (context) signal_context_destroy(context);
    }

    static Impl& Of(void* u) { return *static_cast<Impl*>(u); }

    const PreKey* FindPreKey(std::uint32_t id) const {
        for (const auto* list : {&account.prekeys, &account.issued_prekeys}) {
            for (const auto& p : *list)
                if (p.id == id) return &p;
        }
        return nullptr;
    }

    // Serializes a key pair record the way libsignal stores it.
    int KeyPair(const Key32& pub, const Key32& priv, Ref<ec_key_pair>& out) const {
        Ref<ec_public_key> p;
        Ref<ec_private_key> s;
        const Bytes p33 = Public33(pub);
        int rc = curve_decode_point(p.out(), p33.data(), p33.size(), context);
        if (rc < 0) return rc;
        rc = curve_decode_private_point(s.out(), priv.data(), priv.size(), context);
        if (rc < 0) return rc;
        return ec_key_pair_create(out.out(), p.get(), s.get());
    }

    static int LoadSession(signal_buffer** record, signal_buffer** user_record, const signal_protocol_address* a,
                           void* u) {
        auto& s = Of(u).account.phone_sessions;
        auto it = s.find(SessionKey(a->name, a->name_len, a->device_id));
        if (user_record) *user_record = nullptr;
        if (it == s.end()) return 0;
        *record = signal_buffer_create(it->second.data(), it->second.size());
        return *record ? 1 : SG_ERR_NOMEM;
    }
    static int SubDeviceSessions(signal_int_list** sessions, const char* name, size_t name_len, void* u) {
        const std::string prefix = std::string(name, name_len) + ".";
        signal_int_list* list = signal_int_list_alloc();
        if (!list) return SG_ERR_NOMEM;
        int count = 0;
        for (const auto& [key, _] : Of(u).account.phone_sessions) {
            if (!key.starts_with(prefix)) continue;
            const int device = std::atoi(key.c_str() + prefix.size());
            if (device == 0 || key.find('.', prefix.size()) != std::string::npos) continue;
            signal_int_list_push_back(list, device);
            ++count;
        }
        *sessions = list;
        return count;
    }
    static int StoreSession(const signal_protocol_address* a, uint8_t* record, size_t len, uint8_t*, size_t, void* u) {
        Of(u).account.phone_sessions[SessionKey(a->name, a->name_len, a->device_id)] = Bytes(record, record + len);
        return SG_SUCCESS;
    }
    static int ContainsSession(const signal_protocol_address* a, void* u) {
        return Of(u).account.phone_sessions.count(SessionKey(a->name, a->name_len, a->device_id)) ? 1 : 0;
    }
    static int DeleteSession(const signal_protocol_address* a, void* u) {
        return Of(u).account.phone_sessions.erase(SessionKey(a->name, a->name_len, a->device_id)) ? 1 : 0;
    }
    static int DeleteAllSessions(const char* name, size_t name_len, void* u) {
        const std::string prefix = std::string(name, name_len) + ".";
        return static_cast<int>(std::erase_if(Of(u).account.phone_sessions,
                                              [&](const auto& kv) { return kv.first.starts_with(prefix); }));
    }

    static int LoadPreKey(signal_buffer** record, uint32_t id, void* u) {
        Impl& self = Of(u);
        const PreKey* p = self.FindPreKey(id);
        if (!p) return SG_ERR_INVALID_KEY_ID;
        Ref<ec_key_pair> pair;
        int rc = self.KeyPair(p->pub, p->priv, pair);
        if (rc < 0) return rc;
        Ref<session_pre_key> key;
        rc = session_pre_key_create(key.out(), id, pair.get());
        if (rc < 0) return rc;
        rc = session_pre_key_serialize(record, key.get());
        return rc < 0 ? rc : SG_SUCCESS;
    }
    static int StorePreKey(uint32_t, uint8_t*, size_t, void*) { return SG_SUCCESS; }
    static int ContainsPreKey(uint32_t id, void* u) { return Of(u).FindPreKey(id) ? 1 : 0; }
    static int RemovePreKey(uint32_t id, void* u) {
        Account& a = Of(u).account;
        std::erase_if(a.prekeys, [&](const PreKey& p) { return p.id == id; });
        std::erase_if(a.issued_prekeys, [&](const PreKey& p) { return p.id == id; });
        return SG_SUCCESS;
    }

    static int LoadSignedPreKey(signal_buffer** record, uint32_t id, void* u) {
        Impl& self = Of(u);
        const SignedPreKey& spk = self.account.signed_prekey;
        if (id != spk.id) return SG_ERR_INVALID_KEY_ID;
        Ref<ec_key_pair> pair;
        int rc = self.KeyPair(spk.pub, spk.priv, pair);
        if (rc < 0) return rc;
        Ref<session_signed_pre_key> key;
        rc = session_signed_pre_key_create(key.out(), spk.id, 0, pair.get(), spk.signature.data(), spk.signature.size());
        if (rc < 0) return rc;
        rc = session_signed_pre_key_serialize(record, key.get());
        return rc < 0 ? rc : SG_SUCCESS;
    }
    static int StoreSignedPreKey(uint32_t, uint8_t*, size_t, void*) { return SG_SUCCESS; }
    static int ContainsSignedPreKey(uint32_t id, void* u) { return Of(u).account.signed_prekey.id == id ? 1 : 0; }
    static int RemoveSignedPreKey(uint32_t, void*) { return SG_SUCCESS; }

    static int IdentityKeyPair(signal_buffer** pub, signal_buffer** priv, void* u) {
        const Account& a = Of(u).account;
        const Bytes p33 = Public33(a.identity.pub);
        *pub = signal_buffer_create(p33.data(), p33.size());
        *priv = signal_buffer_create(a.identity.priv.data(), a.identity.priv.size());
        return *pub && *priv ? SG_SUCCESS : SG_ERR_NOMEM;
    }
    static int RegistrationId(void* u, uint32_t* id) {
        *id = Of(u).account.registration_id;
        return SG_SUCCESS;
    }
    static std::string SenderKeyKey(const signal_protocol_sender_key_name* n) {
        return SenderKeyRecordKey({n->group_id, n->group_id_len}, {n->sender.name, n->sender.name_len},
                                  n->sender.device_id);
    }
    static int StoreSenderKey(const signal_protocol_sender_key_name* n, uint8_t* record, size_t len, uint8_t*, size_t,
                              void* u) {
        Of(u).account.phone_sender_keys[SenderKeyKey(n)] = Bytes(record, record + len);
        return SG_SUCCESS;
    }
    static int LoadSenderKey(signal_buffer** record, signal_buffer** user_record, const signal_protocol_sender_key_name* n,
                             void* u) {
        if (user_record) *user_record = nullptr;
        auto& keys = Of(u).account.phone_sender_keys;
        auto it = keys.find(SenderKeyKey(n));
        if (it == keys.end()) return 0;
        *record = signal_buffer_create(it->second.data(), it->second.size());
        return *record ? 1 : SG_ERR_NOMEM;
    }

    static int SaveIdentity(const signal_protocol_address*, uint8_t*, size_t, void*) { return SG_SUCCESS; }
    static int IsTrusted(const signal_protocol_address*, uint8_t*, size_t, void*) { return 1; }

    signal_protocol_address Address(const PeerAddress& peer) const {
        return signal_protocol_address{peer.name.c_str(), peer.name.size(), peer.device};
    }
    signal_protocol_sender_key_name SenderKeyName(std::string_view group, const PeerAddress& peer) const {
        return signal_protocol_sender_key_name{group.data(), group.size(), Address(peer)};
    }
};

PhoneSignal::PhoneSignal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PhoneSignal::~PhoneSignal() = default;

Result<std::unique_ptr<PhoneSignal>> PhoneSignal::Create(Account& account) {
    auto impl = std::make_unique<Impl>(account);
    Impl* u = impl.get();
    int rc = signal_context_create(&u->context, u);
    if (rc < 0) return SignalFailure(rc, "signal_context_create");
    signal_crypto_provider provider{};
    provider.random_func = Random;
    provider.hmac_sha256_init_func = HmacInit;
    provider.hmac_sha256_update_func = HmacUpdate;
    provider.hmac_sha256_final_func = HmacFinal;
    provider.hmac_sha256_cleanup_func = HmacCleanup;
    provider.sha512_digest_init_func = ShaInit;
    provider.sha512_digest_update_func = ShaUpdate;
    provider.sha512_digest_final_func = ShaFinal;
    provider.sha512_digest_cleanup_func = ShaCleanup;
    provider.encrypt_func = AesEncrypt;
    provider.decrypt_func = AesDecrypt;
    provider.user_data = u;
    if ((rc = signal_context_set_crypto_provider(u->context, &provider)) < 0) return SignalFailure(rc, "crypto provider");
    if ((rc = signal_protocol_store_context_create(&u->store, u->context)) < 0) return SignalFailure(rc, "store context");

    signal_protocol_session_store sessions{};
    sessions.load_session_func = Impl::LoadSession;
    sessions.get_sub_device_sessions_func = Impl::SubDeviceSessions;
    sessions.store_session_func = Impl::StoreSession;
    sessions.contains_session_func = Impl::ContainsSession;
    sessions.delete_session_func = Impl::DeleteSession;
    sessions.delete_all_sessions_func = Impl::DeleteAllSessions;
    sessions.user_data = u;
    signal_protocol_pre_key_store prekeys{};
    prekeys.load_pre_key = Impl::LoadPreKey;
    prekeys.store_pre_key = Impl::StorePreKey;
    prekeys.contains_pre_key = Impl::ContainsPreKey;
    prekeys.remove_pre_key = Impl::RemovePreKey;
    prekeys.user_data = u;
    signal_protocol_signed_pre_key_store signed_prekeys{};
    signed_prekeys.load_signed_pre_key = Impl::LoadSignedPreKey;
    signed_prekeys.store_signed_pre_key = Impl::StoreSignedPreKey;
    signed_prekeys.contains_signed_pre_key = Impl::ContainsSignedPreKey;
    signed_prekeys.remove_signed_pre_key = Impl::RemoveSignedPreKey;
    signed_prekeys.user_data = u;
    signal_protocol_identity_key_store identities{};
    identities.get_identity_key_pair = Impl::IdentityKeyPair;
    identities.get_local_registration_id = Impl::RegistrationId;
    identities.save_identity = Impl::SaveIdentity;
    identities.is_trusted_identity = Impl::IsTrusted;
    identities.user_data = u;
    signal_protocol_sender_key_store sender_keys{};
    sender_keys.store_sender_key = Impl::StoreSenderKey;
    sender_keys.load_sender_key = Impl::LoadSenderKey;
    sender_keys.user_data = u;
    if ((rc = signal_protocol_store_context_set_session_store(u->store, &sessions)) < 0 ||
        (rc = signal_protocol_store_context_set_sender_key_store(u->store, &sender_keys)) < 0 ||
        (rc = signal_protocol_store_context_set_pre_key_store(u->store, &prekeys)) < 0 ||
        (rc = signal_protocol_store_context_set_signed_pre_key_store(u->store, &signed_prekeys)) < 0 ||
        (rc = signal_protocol_store_context_set_identity_key_store(u->store, &identities)) < 0) {
        return SignalFailure(rc, "store callbacks");
    }
    return std::unique_ptr<PhoneSignal>(new PhoneSignal(std::move(impl)));
}

bool PhoneSignal::HasSession(const PeerAddress& peer) {
    const auto a = impl_->Address(peer);
    return signal_protocol_session_contains_session(impl_->store, &a) == 1;
}

void PhoneSignal::DeleteSession(const PeerAddress& peer) {
    const auto a = impl_->Address(peer);
    signal_protocol_session_delete_session(impl_->store, &a);
}

Result<void> PhoneSignal::StartSession(const PeerAddress& peer, const PeerBundle& bundle) {
    const auto a = impl_->Address(peer);
    Ref<ec_public_key> identity, spk, one_time;
    auto decode = [&](const Key32& raw, Ref<ec_public_key>& out) {
        const Bytes k = Public33(raw);
        return curve_decode_point(out.out(), k.data(), k.size(), impl_->context);
    };
    int rc = decode(bundle.identity, identity);
    if (rc >= 0) rc = decode(bundle.signed_prekey, spk);
    if (rc >= 0 && bundle.one_time) rc = decode(bundle.one_time->pub, one_time);
    if (rc < 0) return SignalFailure(rc, "decode bundle key");
    Ref<session_pre_key_bundle> b;
    rc = session_pre_key_bundle_create(b.out(), bundle.registration_id, peer.device,
                                       bundle.one_time ? bundle.one_time->id : 0, one_time.get(),
                                       bundle.signed_prekey_id, spk.get(), bundle.signed_prekey_signature.data(),
                                       bundle.signed_prekey_signature.size(), identity.get());
    if (rc < 0) return SignalFailure(rc, "bundle");
    DeleteSession(peer);  // a fresh session, not a new state beside the old one
    session_builder* builder = nullptr;
    rc = session_builder_create(&builder, impl_->store, &a, impl_->context);
    if (rc < 0) return SignalFailure(rc, "session builder");
    rc = session_builder_process_pre_key_bundle(builder, b.get());
    session_builder_free(builder);
    if (rc < 0) return SignalFailure(rc, "process bundle");
    return {};
}

Result<PhoneCiphertext> PhoneSignal::Encrypt(const PeerAddress& peer, BytesView plaintext) {
    if (!HasSession(peer)) return MakeError("signal_no_session", "no session with " + peer.name);
    const auto a = impl_->Address(peer);
    session_cipher* cipher = nullptr;
    int rc = session_cipher_create(&cipher, impl_->store, &a, impl_->context);
    if (rc < 0) return SignalFailure(rc, "session cipher");
    Ref<ciphertext_message> message;
    rc = session_cipher_encrypt(cipher, plaintext.data(), plaintext.size(), message.out());
    session_cipher_free(cipher);
    if (rc < 0) return SignalFailure(rc, "encrypt");
    signal_buffer* serialized = ciphertext_message_get_serialized(message.get());
    PhoneCiphertext out;
    out.kind = ciphertext_message_get_type(message.get()) == CIPHERTEXT_PREKEY_TYPE ? CipherKind::kPkMsg
                                                                                   : CipherKind::kMsg;
    out.bytes.assign(signal_buffer_data(serialized), signal_buffer_data(serialized) + signal_buffer_len(serialized));
    return out;
}

Result<Bytes> PhoneSignal::Decrypt(const PeerAddress& peer, CipherKind kind, BytesView ciphertext) {
    if (ciphertext.empty()) return MakeError("signal_malformed", "empty ciphertext");
    const auto a = impl_->Address(peer);
    Ref<pre_key_signal_message> pre;
    Ref<signal_message> plain_msg;
    int rc = kind == CipherKind::kPkMsg
                 ? pre_key_signal_message_deserialize(pre.out(), ciphertext.data(), ciphertext.size(), impl_->context)
                 : signal_message_deserialize(plain_msg.out(), ciphertext.data(), ciphertext.size(), impl_->context);
    if (rc < 0) return MakeError("signal_malformed", "not a Signal message (libsignal " + std::to_string(rc) + ")");
    session_cipher* cipher = nullptr;
    rc = session_cipher_create(&cipher, impl_->store, &a, impl_->context);
    if (rc < 0) return SignalFailure(rc, "session cipher");
    OwnedBuffer out;
    rc = kind == CipherKind::kPkMsg ? session_cipher_decrypt_pre_key_signal_message(cipher, pre.get(), nullptr, &out.p)
                                    : session_cipher_decrypt_signal_message(cipher, plain_msg.get(), nullptr, &out.p);
    session_cipher_free(cipher);
    if (rc < 0) return SignalFailure(rc, kind == CipherKind::kPkMsg ? "decrypt pkmsg" : "decrypt msg");
    return Bytes(signal_buffer_data(out.p), signal_buffer_data(out.p) + signal_buffer_len(out.p));
}

Result<Bytes> PhoneSignal::OwnSenderKeyDistribution(std::string_view group, const PeerAddress& self) {
    const auto name = impl_->SenderKeyName(group, self);
    group_session_builder* builder = nullptr;
    int rc = group_session_builder_create(&builder, impl_->store, impl_->context);
    if (rc < 0) return SignalFailure(rc, "group session builder");
    Ref<sender_key_distribution_message> skdm;
    rc = group_session_builder_create_session(builder, skdm.out(), &name);
    group_session_builder_free(builder);
    if (rc < 0) return SignalFailure(rc, "create sender key");
    signal_buffer* serialized = ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(skdm.get()));
    return Bytes(signal_buffer_data(serialized), signal_buffer_data(serialized) + signal_buffer_len(serialized));
}

Result<Bytes> PhoneSignal::GroupEncrypt(std::string_view group, const PeerAddress& self, BytesView plaintext) {
    if (auto skdm = OwnSenderKeyDistribution(group, self); !skdm) return skdm.error();  // the key exists
    const auto name = impl_->SenderKeyName(group, self);
    group_cipher* cipher = nullptr;
    int rc = group_cipher_create(&cipher, impl_->store, &name, impl_->context);
    if (rc < 0) return SignalFailure(rc, "group cipher");
    Ref<ciphertext_message> message;
    rc = group_cipher_encrypt(cipher, plaintext.data(), plaintext.size(), message.out());
    group_cipher_free(cipher);
    if (rc < 0) return SignalFailure(rc, "group encrypt");
    signal_buffer* serialized = ciphertext_message_get_serialized(message.get());
    return Bytes(signal_buffer_data(serialized), signal_buffer_data(serialized) + signal_buffer_len(serialized));
}

Result<void> PhoneSignal::ProcessSenderKeyDistribution(std::string_view group, const PeerAddress& sender, BytesView skdm) {
    Ref<sender_key_distribution_message> message;
    int rc = sender_key_distribution_message_deserialize(message.out(), skdm.data(), skdm.size(), impl_->context);
    if (rc < 0) return MakeError("signal_malformed", "not a SenderKeyDistributionMessage (libsignal " + std::to_string(rc) + ")");
    const auto name = impl_->SenderKeyName(group, sender);
    group_session_builder* builder = nullptr;
    rc = group_session_builder_create(&builder, impl_->store, impl_->context);
    if (rc < 0) return SignalFailure(rc, "group session builder");
    rc = group_session_builder_process_session(builder, &name, message.get());
    group_session_builder_free(builder);
    if (rc < 0) return SignalFailure(rc, "process sender key");
    return {};
}

Result<Bytes> PhoneSignal::GroupDecrypt(std::string_view group, const PeerAddress& sender, BytesView skmsg) {
    if (skmsg.empty()) return MakeError("signal_malformed", "empty ciphertext");
    Ref<sender_key_message> message;
    int rc = sender_key_message_deserialize(message.out(), skmsg.data(), skmsg.size(), impl_->context);
    if (rc < 0) return MakeError("signal_malformed", "not a SenderKeyMessage (libsignal " + std::to_string(rc) + ")");
    const auto name = impl_->SenderKeyName(group, sender);
    if (!impl_->account.phone_sender_keys.count(SenderKeyRecordKey(group, sender.name, sender.device))) {
        return MakeError("signal_no_session", "no sender key from " + sender.name);
    }
    group_cipher* cipher = nullptr;
    rc = group_cipher_create(&cipher, impl_->store, &name, impl_->context);
    if (rc < 0) return SignalFailure(rc, "group cipher");
    OwnedBuffer out;
    rc = group_cipher_decrypt(cipher, message.get(), nullptr, &out.p);
    group_cipher_free(cipher);
    if (rc < 0) return SignalFailure(rc, "decrypt skmsg");
    return Bytes(signal_buffer_data(out.p), signal_buffer_data(out.p) + signal_buffer_len(out.p));
}

void PhoneSignal::DeleteSenderKey(std::string_view group, const PeerAddress& sender) {
    impl_->account.phone_sender_keys.erase(SenderKeyRecordKey(group, sender.name, sender.device));
}

// ---- free functions -------------------------------------------------------------------------------

Bytes PadPlaintext(BytesView message) {
    const std::uint8_t n = static_cast<std::uint8_t>(1 + RandomBytes(1)[0] % 15);
    Bytes out(message.begin(), message.end());
    out.insert(out.end(), n, n);
    return out;
}

Result<Bytes> UnpadPlaintext(BytesView padded) {
    if (padded.empty()) return MakeError("bad_padding", "padded message is empty");
    const std::size_t n = padded.back();
    if (n == 0 || n > padded.size()) return MakeError("bad_padding", "padding length out of range");
    return Bytes(padded.begin(), padded.end() - static_cast<std::ptrdiff_t>(n));
}

Result<Bytes> CorruptMac(CipherKind kind, BytesView ciphertext) {
    constexpr std::size_t kMacSize = 8;
    Bytes out(ciphertext.begin(), ciphertext.end());
    if (kind == CipherKind::kMsg) {
        if (out.size() <= 1 + kMacSize) return MakeError("signal_malformed", "msg too short");
        out.back() ^= 0x01;
        return out;
    }
    // pkmsg: version byte, then protobuf fields; field 4 (length-delimited) is the SignalMessage.
    std::size_t pos = 1;
    while (pos < out.size()) {
        std::uint64_t tag = 0, value = 0;
        if (!ReadVarint(out, pos, tag)) break;
        const auto wire = tag & 7;
        if (wire == 0) {
            if (!ReadVarint(out, pos, value)) break;
        } else if (wire == 2) {
            if (!ReadVarint(out, pos, value) || value > out.size() - pos) break;
            if ((tag >> 3) == 4 && value > 1 + kMacSize) {
                out[pos + value - 1] ^= 0x01;
                return out;
            }
            pos += value;
        } else {
            break;
        }
    }
    return MakeError("signal_malformed", "pkmsg without an inner SignalMessage");
}

}  // namespace wadesk::sim
