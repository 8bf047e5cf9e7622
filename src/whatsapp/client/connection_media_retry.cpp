// Media retry requests (wa-protocol §11, media_retry.h): the server-error receipt to our own
// phone, the mediaretry notification that answers it, and the bound on the wait.
#include "core/log.h"
#include "whatsapp/client/connection_impl.h"

namespace wadesk::wa {

void Connection::RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                                   std::function<void(Result<std::string>)> done) {
    impl_->RequestMediaRetry(std::move(request), wait, std::move(done));
}

void Connection::Impl::RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                                         std::function<void(Result<std::string>)> done) {
    if (phase != Phase::kConnected || !creds.me) {
        return done(MakeError("not_connected", "the session is not connected to WhatsApp"));
    }
    auto own = ParseJid(creds.me->jid);
    if (!own) return done(MakeError("not_connected", "our own JID is unknown"));
    auto receipt = MediaRetryReceipt(request, own->ToNonAd().ToString());
    if (!receipt) return done(receipt.error());
    const std::string id = request.message_id;
    if (auto it = media_retries.find(id); it != media_retries.end()) {
        auto previous = std::move(it->second.done);
        media_retries.erase(it);
        if (previous) previous(MakeError("media_retry_failed", "replaced by a newer request for the same message"));
        if (!Open()) return;
    }
    media_retries[id] = PendingMediaRetry{std::move(request), now + wait, std::move(done)};
    spdlog::debug("wa: media retry request for {}", id);
    SendNode(*receipt);
}

void Connection::Impl::HandleMediaRetryNotification(const Node& notification) {
    const std::string id(notification.AttrOr("id", ""));
    auto it = media_retries.find(id);
    if (it == media_retries.end()) {
        spdlog::debug("wa: mediaretry notification {} answers no request of ours", id);
        return;
    }
    auto path = ParseMediaRetryNotification(notification, it->second.request);
    if (!path && path.error().code == "bad_notification") {
        // Not an answer we can use; the request stays until its deadline (a proper answer may follow).
        spdlog::warn("wa: mediaretry notification {} ignored: {}", id, path.error().message);
        return;
    }
    auto done = std::move(it->second.done);
    media_retries.erase(it);
    if (done) done(std::move(path));
}

void Connection::Impl::ExpireMediaRetries() {
    for (auto it = media_retries.begin(); it != media_retries.end();) {
        if (now < it->second.deadline) {
            ++it;
            continue;
        }
        auto done = std::move(it->second.done);
        it = media_retries.erase(it);
        if (done) done(MakeError("media_retry_timeout", "the phone did not answer the media retry request in time"));
        if (!Open()) return;
    }
}

}  // namespace wadesk::wa
