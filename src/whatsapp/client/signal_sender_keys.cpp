// SignalManager's sender keys (groups, wa-protocol §14, §18): our own key's distribution message,
// group encryption and decryption, and what is known of other senders' keys.
#include "whatsapp/client/signal_manager.h"
#include "whatsapp/client/signal_manager_impl.h"

namespace wadesk::wa {

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

}  // namespace wadesk::wa
