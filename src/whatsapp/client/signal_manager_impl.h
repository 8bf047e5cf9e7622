#pragma once
// SignalManager's insides, shared by its files (signal_manager.cpp: sessions, pre-keys, 1:1
// encryption, LID; signal_sender_keys.cpp: groups): RAII for libsignal objects, the store
// callbacks' guard, and the Impl holding libsignal's context over the credential store.
// Only for whatsapp/client/signal_*.cpp.
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
#include <mutex>

#include "core/log.h"
#include "whatsapp/client/signal_manager.h"

namespace wadesk::wa {

namespace signal_detail {

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

inline Bytes ToBytesFrom(signal_buffer* b) {
    return Bytes(signal_buffer_data(b), signal_buffer_data(b) + signal_buffer_len(b));
}

inline Error SignalError(int code, std::string_view what) {
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

inline std::string_view NameOf(const signal_protocol_address* a) { return {a->name, a->name_len}; }

// Runs a store callback body; storage exceptions never cross into C.
template <class F>
inline int Guarded(F&& f) noexcept {
    try {
        return f();
    } catch (...) {
        return SG_ERR_UNKNOWN;
    }
}

inline std::vector<int> ParseDeviceList(const std::optional<Bytes>& blob) {
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

inline Bytes FormatDeviceList(const std::vector<int>& devices) {
    std::string s;
    for (int d : devices) {
        if (!s.empty()) s.push_back(',');
        s += std::to_string(d);
    }
    return ToBytes(s);
}

}  // namespace signal_detail

using namespace signal_detail;

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

}  // namespace wadesk::wa
