#include "whatsapp/client/signal_manager.h"

#include <mutex>

#include <signal/curve.h>
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/signal_protocol.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/log.h"
#include "whatsapp/client/signal_crypto.h"

namespace wadesk::wa {

namespace {

// ---- RAII for libsignal objects ---------------------------------------------------------------

template <class T>
struct SignalRef {
    T* p = nullptr;
    SignalRef() = default;
    explicit SignalRef(T* v) : p(v) {}
    SignalRef(const SignalRef&) = delete;
    SignalRef& operator=(const SignalRef&) = delete;
    ~SignalRef() {
        if (p) signal_type_unref(reinterpret_cast<signal_type_base*>(p));
    }
    T** out() { return &p; }
    T* get() const { return p; }
};

struct BufferDeleter {
    void operator()(signal_buffer* b) const { signal_buffer_free(b); }
};
using BufferPtr = std::unique_ptr<signal_buffer, BufferDeleter>;

struct BufferOut {
    signal_buffer* p = nullptr;
    ~BufferOut() {
        if (p) signal_buffer_bzero_free(p);
    }
};

Bytes ToBytesFrom(signal_buffer* b) {
    return Bytes(signal_buffer_data(b), signal_buffer_data(b) + signal_buffer_len(b));
}

Error SignalError(int code, std::string_view what) {
    std::string c = "signal_error";
    switch (code) {
        case SG_ERR_DUPLICATE_MESSAGE: c = "signal_duplicate_message"; break;
        case SG_ERR_INVALID_KEY: c = "signal_invalid_key"; break;
        case SG_ERR_INVALID_KEY_ID: c = "signal_invalid_key_id"; break;
        case SG_ERR_INVALID_MAC: c = "signal_invalid_mac"; break;
        case SG_ERR_INVALID_MESSAGE: c = "signal_invalid_message"; break;
        case SG_ERR_INVALID_VERSION: c = "signal_invalid_version"; break;
        case SG_ERR_LEGACY_MESSAGE: c = "signal_legacy_message"; break;
        case SG_ERR_NO_SESSION: c = "signal_no_session"; break;
        case SG_ERR_UNTRUSTED_IDENTITY: c = "signal_untrusted_identity"; break;
        case SG_ERR_INVALID_PROTO_BUF: c = "signal_invalid_protobuf"; break;
        default: break;
    }
    return MakeError(c, std::string(what) + " failed (libsignal " + std::to_string(code) + ")");
}

std::string_view NameOf(const signal_protocol_address* a) { return {a->name, a->name_len}; }

// Runs a store callback body; storage exceptions never cross into C.
template <class F>
int Guarded(F&& f) noexcept {
    try {
        return f();
    } catch (...) {
        return SG_ERR_UNKNOWN;
    }
}

std::vector<int> ParseDeviceList(const std::optional<Bytes>& blob) {
    std::vector<int> out;
    if (!blob) return out;
    std::string_view s = AsString(*blob);
    while (!s.empty()) {
        auto comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        int v = 0;
        if (std::from_chars(item.data(), item.data() + item.size(), v).ec == std::errc()) out.push_back(v);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

Bytes FormatDeviceList(const std::vector<int>& devices) {
    std::string s;
    for (int d : devices) {
        if (!s.empty()) s.push_back(',');
        s += std::to_string(d);
    }
    return ToBytes(s);
}

}  // namespace

// ---- Impl ---------------------------------------------------------------------------------------

struct SignalManager::Impl {
    std::recursive_mutex mutex;  // see SignalManager::Lock
    CredentialStore& store;
    const Credentials& creds;
    signal_context* context = nullptr;
    signal_protocol_store_context* store_context = nullptr;
    LidMap lid_map;
    std::uint64_t identity_changes = 0;

    Impl(CredentialStore& s, const Credentials& c) : store(s), creds(c), lid_map(s, &mutex) {}
    ~Impl() {
        if (store_context) signal_protocol_store_context_destroy(store_context);
        if (context) signal_context_destroy(context);
    }

    // Adds `device` to the device list stored under `list_key` ("session-devices/…" or
    // "identity-devices/…").
    void AddDevice(const std::string& list_key, int device) {
        auto list = ParseDeviceList(store.Get(list_key));
        for (int d : list)
            if (d == device) return;
        list.push_back(device);
        store.Put(list_key, FormatDeviceList(list));
    }
    void AddSessionDevice(std::string_view name, int device) { AddDevice(store_keys::SessionDevices(name), device); }

    // §13: the name sessions and identities of `name` live under. A PN name ("<digits>") with a
    // known LID becomes "<lid>_1"; a hosted PN name ("<digits>_128") becomes "<lid>_129".
    std::string CanonicalName(std::string_view name) {
        std::string_view user = name;
        std::string_view lid_suffix = "_1";
        if (name.ends_with("_128")) {
            user = name.substr(0, name.size() - 4);
            lid_suffix = "_129";
        } else if (name.find('_') != std::string_view::npos) {
            return std::string(name);  // already a LID (or hosted LID) name
        }
        auto lid = lid_map.LidForPn(user);
        if (!lid) return std::string(name);
        return *lid + std::string(lid_suffix);
    }
    std::string CanonicalName(const signal_protocol_address* a) { return CanonicalName(NameOf(a)); }

    // Moves every session and identity of `from` to `to` (the PN copy wins on conflict) and
    // deletes the `from` copies and device lists.
    void MoveAddress(const std::string& from, const std::string& to) {
        auto session_devices = ParseDeviceList(store.Get(store_keys::SessionDevices(from)));
        auto identity_devices = ParseDeviceList(store.Get(store_keys::IdentityDevices(from)));
        for (int d : session_devices) {
            if (std::find(identity_devices.begin(), identity_devices.end(), d) == identity_devices.end())
                identity_devices.push_back(d);  // identities saved before the identity index existed
        }
        for (int d : session_devices) {
            if (auto v = store.Get(store_keys::Session(from, d))) {
                store.Put(store_keys::Session(to, d), *v);
                AddSessionDevice(to, d);
                store.Delete(store_keys::Session(from, d));
            }
        }
        for (int d : identity_devices) {
            if (auto v = store.Get(store_keys::Identity(from, d))) {
                store.Put(store_keys::Identity(to, d), *v);
                AddDevice(store_keys::IdentityDevices(to), d);
                store.Delete(store_keys::Identity(from, d));
            }
        }
        if (!session_devices.empty()) store.Delete(store_keys::SessionDevices(from));
        if (!identity_devices.empty()) store.Delete(store_keys::IdentityDevices(from));
    }

    void MigrateToLid(const std::string& pn_user, const std::string& lid_user) {
        MoveAddress(pn_user, lid_user + "_1");
        MoveAddress(pn_user + "_128", lid_user + "_129");
    }
    void RemoveSessionDevice(std::string_view name, int device) {
        auto list = ParseDeviceList(store.Get(store_keys::SessionDevices(name)));
        std::erase(list, device);
        if (list.empty())
            store.Delete(store_keys::SessionDevices(name));
        else
            store.Put(store_keys::SessionDevices(name), FormatDeviceList(list));
    }

    Result<signal_protocol_address> Address(const SignalAddress& a) const {
        if (a.name.empty()) return MakeError("bad_address", "empty Signal address name");
        return signal_protocol_address{a.name.c_str(), a.name.size(), a.device};
    }

    Result<void> DecodePublic(const crypto::Key32& raw, SignalRef<ec_public_key>& out) const {
        Bytes k = SignalPublicKey(raw);
        int rc = curve_decode_point(out.out(), k.data(), k.size(), context);
        if (rc < 0) return SignalError(rc, "decode public key");
        return {};
    }

    // ---- session store
    static int LoadSession(signal_buffer** record, signal_buffer** user_record, const signal_protocol_address* a,
                           void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            auto v = self->store.Get(store_keys::Session(self->CanonicalName(a), a->device_id));
            if (!v) return 0;
            *record = signal_buffer_create(v->data(), v->size());
            if (user_record) *user_record = nullptr;
            return *record ? 1 : SG_ERR_NOMEM;
        });
    }
    static int GetSubDeviceSessions(signal_int_list** sessions, const char* name, size_t name_len, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            auto devices =
                ParseDeviceList(self->store.Get(store_keys::SessionDevices(self->CanonicalName({name, name_len}))));
            signal_int_list* list = signal_int_list_alloc();
            if (!list) return SG_ERR_NOMEM;
            int count = 0;
            for (int d : devices) {
                if (d == 0) continue;  // sub-devices only
                signal_int_list_push_back(list, d);
                ++count;
            }
            *sessions = list;
            return count;
        });
    }
    static int StoreSession(const signal_protocol_address* a, uint8_t* record, size_t len, uint8_t*, size_t, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            const std::string name = self->CanonicalName(a);
            self->store.Put(store_keys::Session(name, a->device_id), BytesView(record, len));
            self->AddSessionDevice(name, a->device_id);
            return SG_SUCCESS;
        });
    }
    static int ContainsSession(const signal_protocol_address* a, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            return self->store.Get(store_keys::Session(self->CanonicalName(a), a->device_id)) ? 1 : 0;
        });
    }
    static int DeleteSessionCb(const signal_protocol_address* a, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            const std::string name = self->CanonicalName(a);
            const bool had = self->store.Get(store_keys::Session(name, a->device_id)).has_value();
            self->store.Delete(store_keys::Session(name, a->device_id));
            self->RemoveSessionDevice(name, a->device_id);
            return had ? 1 : 0;
        });
    }
    static int DeleteAllSessions(const char* name, size_t name_len, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            const std::string n = self->CanonicalName({name, name_len});
            auto devices = ParseDeviceList(self->store.Get(store_keys::SessionDevices(n)));
            for (int d : devices) self->store.Delete(store_keys::Session(n, d));
            self->store.Delete(store_keys::SessionDevices(n));
            return static_cast<int>(devices.size());
        });
    }

    // ---- pre-key store
    static int LoadPreKey(signal_buffer** record, uint32_t id, void* u) {
        return Guarded([&] {
            auto v = static_cast<Impl*>(u)->store.Get(store_keys::PreKey(id));
            if (!v) return SG_ERR_INVALID_KEY_ID;
            *record = signal_buffer_create(v->data(), v->size());
            return *record ? SG_SUCCESS : SG_ERR_NOMEM;
        });
    }
    static int StorePreKey(uint32_t id, uint8_t* record, size_t len, void* u) {
        return Guarded([&] {
            static_cast<Impl*>(u)->store.Put(store_keys::PreKey(id), BytesView(record, len));
            return SG_SUCCESS;
        });
    }
    static int ContainsPreKey(uint32_t id, void* u) {
        return Guarded([&] { return static_cast<Impl*>(u)->store.Get(store_keys::PreKey(id)) ? 1 : 0; });
    }
    static int RemovePreKey(uint32_t id, void* u) {
        return Guarded([&] {
            static_cast<Impl*>(u)->store.Delete(store_keys::PreKey(id));
            return SG_SUCCESS;
        });
    }

    // ---- signed pre-key store: the current one comes from Credentials.
    static int LoadSignedPreKey(signal_buffer** record, uint32_t id, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            const SignedPreKey& spk = self->creds.signed_pre_key;
            if (id != spk.id) return SG_ERR_INVALID_KEY_ID;
            SignalRef<ec_public_key> pub;
            SignalRef<ec_private_key> priv;
            Bytes pub33 = SignalPublicKey(spk.key.pub);
            int rc = curve_decode_point(pub.out(), pub33.data(), pub33.size(), self->context);
            if (rc < 0) return rc;
            rc = curve_decode_private_point(priv.out(), spk.key.priv.data(), spk.key.priv.size(), self->context);
            if (rc < 0) return rc;
            SignalRef<ec_key_pair> pair;
            rc = ec_key_pair_create(pair.out(), pub.get(), priv.get());
            if (rc < 0) return rc;
            SignalRef<session_signed_pre_key> record_obj;
            rc = session_signed_pre_key_create(record_obj.out(), spk.id, 0, pair.get(), spk.signature.data(),
                                               spk.signature.size());
            if (rc < 0) return rc;
            rc = session_signed_pre_key_serialize(record, record_obj.get());
            return rc < 0 ? rc : SG_SUCCESS;
        });
    }
    static int StoreSignedPreKey(uint32_t, uint8_t*, size_t, void*) { return SG_SUCCESS; }
    static int ContainsSignedPreKey(uint32_t id, void* u) {
        return static_cast<Impl*>(u)->creds.signed_pre_key.id == id ? 1 : 0;
    }
    static int RemoveSignedPreKey(uint32_t, void*) { return SG_SUCCESS; }

    // ---- identity store
    static int GetIdentityKeyPair(signal_buffer** public_data, signal_buffer** private_data, void* u) {
        auto* self = static_cast<Impl*>(u);
        Bytes pub = SignalPublicKey(self->creds.identity.pub);
        *public_data = signal_buffer_create(pub.data(), pub.size());
        *private_data = signal_buffer_create(self->creds.identity.priv.data(), self->creds.identity.priv.size());
        return (*public_data && *private_data) ? SG_SUCCESS : SG_ERR_NOMEM;
    }
    static int GetLocalRegistrationId(void* u, uint32_t* id) {
        *id = static_cast<Impl*>(u)->creds.registration_id;
        return SG_SUCCESS;
    }
    static int SaveIdentity(const signal_protocol_address* a, uint8_t* key, size_t len, void* u) {
        return Guarded([&] {
            auto* self = static_cast<Impl*>(u);
            const std::string name = self->CanonicalName(a);
            const std::string k = store_keys::Identity(name, a->device_id);
            if (!key) {
                self->store.Delete(k);
                return SG_SUCCESS;
            }
            const BytesView value(key, len);
            if (auto old = self->store.Get(k)) {
                if (std::equal(old->begin(), old->end(), value.begin(), value.end())) return SG_SUCCESS;
                ++self->identity_changes;
                spdlog::info("wa: identity of {}.{} changed", name, a->device_id);
            }
            self->store.Put(k, value);
            self->AddDevice(store_keys::IdentityDevices(name), a->device_id);
            return SG_SUCCESS;
        });
    }
    static int IsTrustedIdentity(const signal_protocol_address*, uint8_t*, size_t, void*) { return 1; }

    // ---- sender key store
    static int StoreSenderKey(const signal_protocol_sender_key_name* n, uint8_t* record, size_t len, uint8_t*, size_t,
                              void* u) {
        return Guarded([&] {
            static_cast<Impl*>(u)->store.Put(
                store_keys::SenderKey({n->group_id, n->group_id_len}, NameOf(&n->sender), n->sender.device_id),
                BytesView(record, len));
            return SG_SUCCESS;
        });
    }
    static int LoadSenderKey(signal_buffer** record, signal_buffer** user_record,
                             const signal_protocol_sender_key_name* n, void* u) {
        return Guarded([&] {
            auto v = static_cast<Impl*>(u)->store.Get(
                store_keys::SenderKey({n->group_id, n->group_id_len}, NameOf(&n->sender), n->sender.device_id));
            if (!v) return 0;
            *record = signal_buffer_create(v->data(), v->size());
            if (user_record) *user_record = nullptr;
            return *record ? 1 : SG_ERR_NOMEM;
        });
    }
};

// ---- SignalManager --------------------------------------------------------------------------------

SignalManager::SignalManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignalManager::~SignalManager() = default;

std::unique_lock<std::recursive_mutex> SignalManager::Lock() {
    return std::unique_lock<std::recursive_mutex>(impl_->mutex);
}

Result<std::unique_ptr<SignalManager>> SignalManager::Create(CredentialStore& store, const Credentials& creds) {
    auto impl = std::make_unique<Impl>(store, creds);
    Impl* u = impl.get();
    u->lid_map.SetListener([u](const std::string& pn, const std::string& lid) { u->MigrateToLid(pn, lid); });
    int rc = signal_context_create(&u->context, u);
    if (rc < 0) return SignalError(rc, "signal_context_create");

    signal_crypto_provider provider = OpenSslCryptoProvider();
    provider.user_data = u;
    rc = signal_context_set_crypto_provider(u->context, &provider);
    if (rc < 0) return SignalError(rc, "set crypto provider");

    rc = signal_protocol_store_context_create(&u->store_context, u->context);
    if (rc < 0) return SignalError(rc, "store context");

    signal_protocol_session_store sessions{};
    sessions.load_session_func = Impl::LoadSession;
    sessions.get_sub_device_sessions_func = Impl::GetSubDeviceSessions;
    sessions.store_session_func = Impl::StoreSession;
    sessions.contains_session_func = Impl::ContainsSession;
    sessions.delete_session_func = Impl::DeleteSessionCb;
    sessions.delete_all_sessions_func = Impl::DeleteAllSessions;
    sessions.user_data = u;
    signal_protocol_pre_key_store pre_keys{};
    pre_keys.load_pre_key = Impl::LoadPreKey;
    pre_keys.store_pre_key = Impl::StorePreKey;
    pre_keys.contains_pre_key = Impl::ContainsPreKey;
    pre_keys.remove_pre_key = Impl::RemovePreKey;
    pre_keys.user_data = u;
    signal_protocol_signed_pre_key_store signed_pre_keys{};
    signed_pre_keys.load_signed_pre_key = Impl::LoadSignedPreKey;
    signed_pre_keys.store_signed_pre_key = Impl::StoreSignedPreKey;
    signed_pre_keys.contains_signed_pre_key = Impl::ContainsSignedPreKey;
    signed_pre_keys.remove_signed_pre_key = Impl::RemoveSignedPreKey;
    signed_pre_keys.user_data = u;
    signal_protocol_identity_key_store identities{};
    identities.get_identity_key_pair = Impl::GetIdentityKeyPair;
    identities.get_local_registration_id = Impl::GetLocalRegistrationId;
    identities.save_identity = Impl::SaveIdentity;
    identities.is_trusted_identity = Impl::IsTrustedIdentity;
    identities.user_data = u;
    signal_protocol_sender_key_store sender_keys{};
    sender_keys.store_sender_key = Impl::StoreSenderKey;
    sender_keys.load_sender_key = Impl::LoadSenderKey;
    sender_keys.user_data = u;
    if ((rc = signal_protocol_store_context_set_session_store(u->store_context, &sessions)) < 0 ||
        (rc = signal_protocol_store_context_set_pre_key_store(u->store_context, &pre_keys)) < 0 ||
        (rc = signal_protocol_store_context_set_signed_pre_key_store(u->store_context, &signed_pre_keys)) < 0 ||
        (rc = signal_protocol_store_context_set_identity_key_store(u->store_context, &identities)) < 0 ||
        (rc = signal_protocol_store_context_set_sender_key_store(u->store_context, &sender_keys)) < 0)
        return SignalError(rc, "store callbacks");
    return std::unique_ptr<SignalManager>(new SignalManager(std::move(impl)));
}

Result<std::vector<PreKeyPublic>> SignalManager::GeneratePreKeys(std::uint32_t first_id, std::uint32_t count) {
    auto hold = Lock();
    constexpr std::uint32_t kMaxId = 0xFFFFFE;
    std::vector<PreKeyPublic> out;
    out.reserve(count);
    std::uint32_t id = first_id == 0 || first_id > kMaxId ? 1 : first_id;
    for (std::uint32_t i = 0; i < count; ++i) {
        crypto::KeyPair kp = crypto::GenerateKeyPair();
        SignalRef<ec_public_key> pub;
        SignalRef<ec_private_key> priv;
        if (auto r = impl_->DecodePublic(kp.pub, pub); !r) return r.error();
        int rc = curve_decode_private_point(priv.out(), kp.priv.data(), kp.priv.size(), impl_->context);
        if (rc < 0) return SignalError(rc, "decode private key");
        SignalRef<ec_key_pair> pair;
        rc = ec_key_pair_create(pair.out(), pub.get(), priv.get());
        if (rc < 0) return SignalError(rc, "key pair");
        SignalRef<session_pre_key> record;
        rc = session_pre_key_create(record.out(), id, pair.get());
        if (rc < 0) return SignalError(rc, "pre-key");
        BufferOut serialized;
        rc = session_pre_key_serialize(&serialized.p, record.get());
        if (rc < 0) return SignalError(rc, "pre-key serialize");
        impl_->store.Put(store_keys::PreKey(id), BytesView(signal_buffer_data(serialized.p), signal_buffer_len(serialized.p)));
        out.push_back(PreKeyPublic{id, kp.pub});
        id = id >= kMaxId ? 1 : id + 1;
    }
    return out;
}

Result<void> SignalManager::ProcessBundle(const SignalAddress& address, const PreKeyBundle& bundle) {
    auto hold = Lock();
    auto addr = impl_->Address(address);
    if (!addr) return addr.error();
    if (bundle.signed_pre_key_signature.size() != crypto::kSignatureSize)
        return MakeError("signal_bad_signature", "signed pre-key signature must be 64 bytes");
    if (!crypto::Verify(bundle.identity, SignalPublicKey(bundle.signed_pre_key), bundle.signed_pre_key_signature))
        return MakeError("signal_bad_signature", "signed pre-key signature does not verify");
    SignalRef<ec_public_key> identity, spk, one_time;
    if (auto r = impl_->DecodePublic(bundle.identity, identity); !r) return r.error();
    if (auto r = impl_->DecodePublic(bundle.signed_pre_key, spk); !r) return r.error();
    if (bundle.pre_key) {
        if (auto r = impl_->DecodePublic(bundle.pre_key->pub, one_time); !r) return r.error();
    }
    SignalRef<session_pre_key_bundle> b;
    int rc = session_pre_key_bundle_create(b.out(), bundle.registration_id, address.device,
                                           bundle.pre_key ? bundle.pre_key->id : 0, one_time.get(),
                                           bundle.signed_pre_key_id, spk.get(), bundle.signed_pre_key_signature.data(),
                                           bundle.signed_pre_key_signature.size(), identity.get());
    if (rc < 0) return SignalError(rc, "bundle");
    session_builder* builder = nullptr;
    rc = session_builder_create(&builder, impl_->store_context, &*addr, impl_->context);
    if (rc < 0) return SignalError(rc, "session builder");
    rc = session_builder_process_pre_key_bundle(builder, b.get());
    session_builder_free(builder);
    if (rc < 0) return SignalError(rc, "process bundle");
    return {};
}

bool SignalManager::HasSession(const SignalAddress& address) {
    auto hold = Lock();
    auto addr = impl_->Address(address);
    if (!addr) return false;
    return signal_protocol_session_contains_session(impl_->store_context, &*addr) == 1;
}

void SignalManager::DeleteSession(const SignalAddress& address) {
    auto hold = Lock();
    auto addr = impl_->Address(address);
    if (addr) signal_protocol_session_delete_session(impl_->store_context, &*addr);
}

std::optional<std::uint32_t> SignalManager::RemoteRegistrationId(const SignalAddress& address) {
    auto addr = impl_->Address(address);
    if (!addr || !HasSession(address)) return std::nullopt;
    session_cipher* cipher = nullptr;
    if (session_cipher_create(&cipher, impl_->store_context, &*addr, impl_->context) < 0) return std::nullopt;
    std::uint32_t id = 0;
    const int rc = session_cipher_get_remote_registration_id(cipher, &id);
    session_cipher_free(cipher);
    if (rc < 0) return std::nullopt;
    return id;
}

Result<Ciphertext> SignalManager::Encrypt(const SignalAddress& address, BytesView plaintext) {
    auto hold = Lock();
    auto addr = impl_->Address(address);
    if (!addr) return addr.error();
    if (!HasSession(address)) return MakeError("signal_no_session", "no session with " + address.name);
    session_cipher* cipher = nullptr;
    int rc = session_cipher_create(&cipher, impl_->store_context, &*addr, impl_->context);
    if (rc < 0) return SignalError(rc, "session cipher");
    SignalRef<ciphertext_message> message;
    rc = session_cipher_encrypt(cipher, plaintext.data(), plaintext.size(), message.out());
    session_cipher_free(cipher);
    if (rc < 0) return SignalError(rc, "encrypt");
    signal_buffer* serialized = ciphertext_message_get_serialized(message.get());
    Ciphertext out;
    out.type = ciphertext_message_get_type(message.get()) == CIPHERTEXT_PREKEY_TYPE ? CiphertextType::kPkMsg
                                                                                     : CiphertextType::kMsg;
    out.bytes = ToBytesFrom(serialized);
    return out;
}

Result<Bytes> SignalManager::Decrypt(const SignalAddress& address, CiphertextType type, BytesView ciphertext) {
    auto hold = Lock();
    auto addr = impl_->Address(address);
    if (!addr) return addr.error();
    if (ciphertext.empty()) return MakeError("signal_invalid_message", "empty ciphertext");
    session_cipher* cipher = nullptr;
    int rc = session_cipher_create(&cipher, impl_->store_context, &*addr, impl_->context);
    if (rc < 0) return SignalError(rc, "session cipher");
    BufferOut plain;
    if (type == CiphertextType::kPkMsg) {
        SignalRef<pre_key_signal_message> msg;
        rc = pre_key_signal_message_deserialize(msg.out(), ciphertext.data(), ciphertext.size(), impl_->context);
        if (rc >= 0) rc = session_cipher_decrypt_pre_key_signal_message(cipher, msg.get(), nullptr, &plain.p);
    } else {
        SignalRef<signal_message> msg;
        rc = signal_message_deserialize(msg.out(), ciphertext.data(), ciphertext.size(), impl_->context);
        if (rc >= 0) rc = session_cipher_decrypt_signal_message(cipher, msg.get(), nullptr, &plain.p);
    }
    session_cipher_free(cipher);
    if (rc < 0) return SignalError(rc, type == CiphertextType::kPkMsg ? "decrypt pkmsg" : "decrypt msg");
    return ToBytesFrom(plain.p);
}

// ---- sender keys (groups, wa-protocol §14, §18) ----------------------------------------------------

namespace {

signal_protocol_sender_key_name SenderKeyName(std::string_view group, const signal_protocol_address& sender) {
    return signal_protocol_sender_key_name{group.data(), group.size(), sender};
}

}  // namespace

Result<Bytes> SignalManager::OwnSenderKeyDistribution(std::string_view group, const SignalAddress& self) {
    auto hold = Lock();
    auto addr = impl_->Address(self);
    if (!addr) return addr.error();
    const auto name = SenderKeyName(group, *addr);
    group_session_builder* builder = nullptr;
    int rc = group_session_builder_create(&builder, impl_->store_context, impl_->context);
    if (rc < 0) return SignalError(rc, "group session builder");
    SignalRef<sender_key_distribution_message> skdm;
    rc = group_session_builder_create_session(builder, skdm.out(), &name);
    group_session_builder_free(builder);
    if (rc < 0) return SignalError(rc, "create sender key");
    return ToBytesFrom(ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(skdm.get())));
}

Result<Bytes> SignalManager::GroupEncrypt(std::string_view group, const SignalAddress& self, BytesView plaintext) {
    auto hold = Lock();
    if (auto key = OwnSenderKeyDistribution(group, self); !key) return key.error();  // created on first use
    auto addr = impl_->Address(self);
    if (!addr) return addr.error();
    const auto name = SenderKeyName(group, *addr);
    group_cipher* cipher = nullptr;
    int rc = group_cipher_create(&cipher, impl_->store_context, &name, impl_->context);
    if (rc < 0) return SignalError(rc, "group cipher");
    SignalRef<ciphertext_message> message;
    rc = group_cipher_encrypt(cipher, plaintext.data(), plaintext.size(), message.out());
    group_cipher_free(cipher);
    if (rc < 0) return SignalError(rc, "group encrypt");
    return ToBytesFrom(ciphertext_message_get_serialized(message.get()));
}

Result<void> SignalManager::ProcessSenderKeyDistribution(std::string_view group, const SignalAddress& sender,
                                                         BytesView skdm) {
    auto hold = Lock();
    auto addr = impl_->Address(sender);
    if (!addr) return addr.error();
    SignalRef<sender_key_distribution_message> message;
    int rc = sender_key_distribution_message_deserialize(message.out(), skdm.data(), skdm.size(), impl_->context);
    if (rc < 0) return SignalError(rc, "sender key distribution");
    const auto name = SenderKeyName(group, *addr);
    group_session_builder* builder = nullptr;
    rc = group_session_builder_create(&builder, impl_->store_context, impl_->context);
    if (rc < 0) return SignalError(rc, "group session builder");
    rc = group_session_builder_process_session(builder, &name, message.get());
    group_session_builder_free(builder);
    if (rc < 0) return SignalError(rc, "process sender key");
    return {};
}

Result<Bytes> SignalManager::GroupDecrypt(std::string_view group, const SignalAddress& sender, BytesView skmsg) {
    auto hold = Lock();
    auto addr = impl_->Address(sender);
    if (!addr) return addr.error();
    if (skmsg.empty()) return MakeError("signal_invalid_message", "empty ciphertext");
    if (!HasSenderKey(group, sender)) return MakeError("signal_no_sender_key", "no sender key from " + sender.name);
    SignalRef<sender_key_message> message;
    int rc = sender_key_message_deserialize(message.out(), skmsg.data(), skmsg.size(), impl_->context);
    if (rc < 0) return SignalError(rc, "sender key message");
    const auto name = SenderKeyName(group, *addr);
    group_cipher* cipher = nullptr;
    rc = group_cipher_create(&cipher, impl_->store_context, &name, impl_->context);
    if (rc < 0) return SignalError(rc, "group cipher");
    BufferOut plain;
    rc = group_cipher_decrypt(cipher, message.get(), nullptr, &plain.p);
    group_cipher_free(cipher);
    if (rc < 0) return SignalError(rc, "decrypt skmsg");
    return ToBytesFrom(plain.p);
}

bool SignalManager::HasSenderKey(std::string_view group, const SignalAddress& sender) {
    auto hold = Lock();
    return impl_->store.Get(store_keys::SenderKey(group, sender.name, sender.device)).has_value();
}

void SignalManager::DeleteSenderKey(std::string_view group, const SignalAddress& sender) {
    auto hold = Lock();
    impl_->store.Delete(store_keys::SenderKey(group, sender.name, sender.device));
}

LidMap& SignalManager::lid_map() { return impl_->lid_map; }

SignalAddress SignalManager::Canonical(const SignalAddress& address) {
    return SignalAddress{impl_->CanonicalName(address.name), address.device};
}

void SignalManager::MigrateToLid(const std::string& pn_user, const std::string& lid_user) {
    impl_->MigrateToLid(pn_user, lid_user);
}

std::optional<Bytes> SignalManager::RemoteIdentity(const SignalAddress& address) {
    return impl_->store.Get(store_keys::Identity(impl_->CanonicalName(address.name), address.device));
}

std::uint64_t SignalManager::identity_changes() const { return impl_->identity_changes; }

// ---- free functions -------------------------------------------------------------------------------

std::string_view CiphertextTypeName(CiphertextType type) { return type == CiphertextType::kPkMsg ? "pkmsg" : "msg"; }

Result<SignalAddress> SignalAddressFromJid(std::string_view jid) {
    const auto at = jid.find('@');
    if (at == std::string_view::npos || at == 0) return MakeError("bad_jid", "JID has no user part");
    std::string_view user = jid.substr(0, at);
    const std::string_view server = jid.substr(at + 1);
    int device = 0;
    if (auto colon = user.find(':'); colon != std::string_view::npos) {
        std::string_view dev = user.substr(colon + 1);
        auto [p, ec] = std::from_chars(dev.data(), dev.data() + dev.size(), device);
        if (ec != std::errc() || p != dev.data() + dev.size() || device < 0)
            return MakeError("bad_jid", "JID device is not a number");
        user = user.substr(0, colon);
    }
    // Agent suffixes ("user_agent" / "user.agent") are not part of the Signal name.
    if (auto sep = user.find_first_of("_."); sep != std::string_view::npos) user = user.substr(0, sep);
    if (user.empty()) return MakeError("bad_jid", "JID has no user part");
    SignalAddress a{std::string(user), device};
    if (server == "lid") a.name += "_1";
    else if (server == "hosted") a.name += "_128";
    else if (server == "hosted.lid") a.name += "_129";
    return a;
}

Bytes PadMessage(BytesView message) {
    Bytes r = RandomBytes(1);
    const std::uint8_t n = static_cast<std::uint8_t>(1 + r[0] % 15);
    Bytes out(message.begin(), message.end());
    out.insert(out.end(), n, n);
    return out;
}

Result<Bytes> UnpadMessage(BytesView padded) {
    if (padded.empty()) return MakeError("bad_padding", "padded message is empty");
    const std::size_t n = padded.back();
    if (n == 0 || n > padded.size()) return MakeError("bad_padding", "padding length out of range");
    return Bytes(padded.begin(), padded.end() - static_cast<std::ptrdiff_t>(n));
}

}  // namespace wadesk::wa
