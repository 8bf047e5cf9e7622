// Media retry requests at the phone (wa-protocol §11): a companion whose media host answered
// 404/410 sends its own phone <receipt type='server-error'> with a sealed ServerErrorReceipt and
// <rmr>; the phone opens it with the message's media key, uploads the file again (it still has
// it: MediaHost::Kept) under a new direct path, and answers that device with
// <notification type='mediaretry' id> carrying <rmr> and a sealed MediaRetryNotification — or
// <error code='2'> when it has no such media message (NOT_FOUND), and result NOT_FOUND when the
// file is lost for good.
#include <spdlog/spdlog.h>

#include "sim/server.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/crypto/media.h"
#include "whatsapp/crypto/media_retry.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {
constexpr std::size_t kKeptMediaMemory = 1024;
}  // namespace

void SimServer::PhoneKeepMedia(PhoneParty& party, const std::string& id, const wa::Message& message) {
    const auto content = wa::DescribeMessage(message);
    if (!content.media || id.empty() || content.media->media_key.size() != 32) return;
    const auto kind = crypto::MediaKindForType(content.type);
    if (!kind) return;
    if (!party.media.count(id)) {
        party.media_order.push_back(id);
        if (party.media_order.size() > kKeptMediaMemory) {
            party.media.erase(party.media_order.front());
            party.media_order.pop_front();
        }
    }
    party.media[id] = PhoneParty::KeptMedia{content.media->media_key, std::string(crypto::MediaUploadType(*kind)),
                                            content.media->direct_path};
}

void SimServer::PhoneAnswerMediaRetry(Account& me, std::uint16_t device, const Node& receipt) {
    const std::string id(receipt.AttrOr("id", ""));
    const Node* rmr = receipt.Child("rmr");
    PhoneParty* party = Party(me);
    if (!party || !rmr || id.empty()) {
        spdlog::info("[sim] phone {}: media retry request {} without <rmr> ignored", me.phone, id);
        return;
    }
    Node answer("notification",
                Attrs{{"from", wa::Jid::Make(me.phone, wa::kServerUser).ToString()},
                      {"type", "mediaretry"},
                      {"id", id},
                      {"t", std::to_string(now())}},
                NodeList{Node("rmr", rmr->attrs)});
    auto it = party->media.find(id);
    if (it == party->media.end()) {
        spdlog::info("[sim] phone {}: media retry request for {}: no such media message", me.phone, id);
        answer.AddChild(Node("error", Attrs{{"code", std::to_string(wa::MediaRetryNotification::NOT_FOUND)}}));
        return Deliver({me.phone, device}, std::move(answer));
    }
    PhoneParty::KeptMedia& kept = it->second;
    wa::MediaRetryNotification result;
    result.set_stanzaid(id);
    result.set_result(wa::MediaRetryNotification::GENERAL_ERROR);
    const Node* encrypt = receipt.Child("encrypt");
    const Node* enc_p = encrypt ? encrypt->Child("enc_p") : nullptr;
    const Node* enc_iv = encrypt ? encrypt->Child("enc_iv") : nullptr;
    auto request = enc_p && enc_iv && enc_p->ContentBytes() && enc_iv->ContentBytes()
                       ? crypto::OpenMediaRetry(kept.media_key, id, *enc_p->ContentBytes(), *enc_iv->ContentBytes())
                       : Result<Bytes>(MakeError("bad_request", "no <encrypt> payload"));
    auto parsed = request ? wa::ParseProto<wa::ServerErrorReceipt>(*request) : Result<wa::ServerErrorReceipt>(request.error());
    if (!parsed || parsed->stanzaid() != id) {
        spdlog::info("[sim] phone {}: media retry request for {} does not open", me.phone, id);
        result.set_result(wa::MediaRetryNotification::DECRYPTION_ERROR);
    } else if (const Bytes* file = media_.Kept(kept.direct_path); !file) {
        spdlog::info("[sim] phone {}: media retry request for {}: the file is lost", me.phone, id);
        result.set_result(wa::MediaRetryNotification::NOT_FOUND);
    } else {
        kept.direct_path = media_.Store(kept.upload_type, Bytes(*file), now());
        result.set_directpath(kept.direct_path);
        result.set_result(wa::MediaRetryNotification::SUCCESS);
        spdlog::info("[sim] phone {} uploaded the media of {} again for device {}", me.phone, id, device);
    }
    auto sealed = crypto::SealMediaRetry(kept.media_key, id, wa::SerializeProto(result));
    if (!sealed) return;
    answer.AddChild(Node("encrypt", Attrs{},
                         NodeList{Node("enc_p", Attrs{}, std::move(sealed->ciphertext)),
                                  Node("enc_iv", Attrs{}, std::move(sealed->iv))}));
    Deliver({me.phone, device}, std::move(answer));
}

}  // namespace wadesk::sim
