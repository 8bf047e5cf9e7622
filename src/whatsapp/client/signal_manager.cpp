#include "whatsapp/client/signal_manager.h"

#include "whatsapp/client/signal_crypto.h"
#include "whatsapp/client/signal_manager_impl.h"

namespace wadesk::wa {

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
