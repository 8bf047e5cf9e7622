#include "whatsapp/client/connection_impl.h"

#include <openssl/evp.h>

#include <charconv>

#include "core/log.h"

namespace wadesk::wa {

using namespace detail;

namespace {

Bytes Md5(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_md5(), nullptr);
    return Bytes(md, md + len);
}

}  // namespace

Bytes Connection::Impl::BuildClientPayload() {
    ClientPayload p;
    auto* ua = p.mutable_useragent();
    ua->set_platform(ClientPayload::UserAgent::WEB);
    auto* v = ua->mutable_appversion();
    v->set_primary(config.version_primary);
    v->set_secondary(config.version_secondary);
    v->set_tertiary(config.version_tertiary);
    ua->set_mcc("000");
    ua->set_mnc("000");
    ua->set_osversion("0.1");
    ua->set_manufacturer("");
    ua->set_device("Desktop");
    ua->set_osbuildnumber("0.1");
    ua->set_releasechannel(ClientPayload::UserAgent::RELEASE);
    ua->set_localelanguageiso6391("en");
    ua->set_localecountryiso31661alpha2("US");
    p.mutable_webinfo()->set_websubplatform(ClientPayload::WebInfo::WEB_BROWSER);
    p.set_connecttype(ClientPayload::WIFI_UNKNOWN);
    p.set_connectreason(ClientPayload::USER_ACTIVATED);

    if (creds.Registered()) {
        auto jid = ParseJid(creds.me->jid);
        std::uint64_t username = 0;
        if (jid) std::from_chars(jid->user.data(), jid->user.data() + jid->user.size(), username);
        p.set_username(username);
        p.set_device(jid ? jid->device : 0);
        p.set_passive(true);
        p.set_pull(true);
        p.set_liddbmigrated(false);
    } else {
        const std::string version = std::to_string(config.version_primary) + "." +
                                    std::to_string(config.version_secondary) + "." +
                                    std::to_string(config.version_tertiary);
        DeviceProps props;
        props.set_os(config.os_name);
        auto* pv = props.mutable_version();
        pv->set_primary(10);
        pv->set_secondary(15);
        pv->set_tertiary(7);
        props.set_platformtype(DeviceProps::CHROME);
        props.set_requirefullsync(config.require_full_sync);
        auto* hs = props.mutable_historysyncconfig();
        hs->set_storagequotamb(10240);
        hs->set_inlineinitialpayloadine2eemsg(true);
        hs->set_supportcallloghistory(false);
        hs->set_supportbotuseragentchathistory(true);
        auto* reg = p.mutable_devicepairingdata();
        const Bytes reg_id = BigEndian(creds.registration_id, 4);
        reg->set_eregid(reg_id.data(), reg_id.size());
        reg->set_ekeytype(std::string(1, '\x05'));
        reg->set_eident(creds.identity.pub.data(), creds.identity.pub.size());
        const Bytes spk_id = BigEndian(creds.signed_pre_key.id, 3);
        reg->set_eskeyid(spk_id.data(), spk_id.size());
        reg->set_eskeyval(creds.signed_pre_key.key.pub.data(), creds.signed_pre_key.key.pub.size());
        reg->set_eskeysig(creds.signed_pre_key.signature.data(), creds.signed_pre_key.signature.size());
        const Bytes hash = Md5(version);
        reg->set_buildhash(hash.data(), hash.size());
        reg->set_deviceprops(props.SerializeAsString());
        p.set_passive(false);
        p.set_pull(false);
    }
    return SerializeProto(p);
}

void Connection::Impl::HandleSuccess(const Node& node) {
    if (!creds.Registered()) return Fail(CloseKind::kFatal, "unexpected_success");
    phase = Phase::kLoggingIn;
    if (auto lid = node.GetAttr("lid"); lid && !lid->empty() && creds.me->lid != *lid) {
        creds.me->lid = std::string(*lid);
        SaveCredentials();
    }
    // Own PN↔LID pair (§13 source 2); migrates our own devices' sessions to the LID address.
    if (!creds.me->lid.empty()) signal.lid_map().LearnJids(creds.me->jid, creds.me->lid);
    next_ping = now + config.ping_interval;
    // After-login sequence (§6): pre-key count (upload when low), passive active, then
    // digest and privacy settings.
    SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("count")}), [this](const Node* r) {
        if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
        std::int64_t count = 0;
        if (const Node* c = r->Child("count")) count = ParseInt(c->AttrOr("value", "0")).value_or(0);
        if (r->AttrOr("type", "") == "error" || count < static_cast<std::int64_t>(config.min_pre_keys)) {
            UploadPreKeys([this] { SetActive(); });
        } else {
            SetActive();
        }
    });
}

void Connection::Impl::UploadPreKeys(std::function<void()> then) {
    auto keys = signal.GeneratePreKeys(creds.next_pre_key_id, config.pre_key_upload_count);
    if (!keys) return Fail(CloseKind::kFatal, "prekey_generation");
    creds.next_pre_key_id = keys->empty() ? creds.next_pre_key_id : keys->back().id + 1;
    creds.first_unuploaded_pre_key_id = creds.next_pre_key_id;
    SaveCredentials();
    NodeList list;
    for (const auto& k : *keys) {
        list.push_back(Node("key", {},
                            NodeList{BytesNode("id", BigEndian(k.id, 3)), BytesNode("value", crypto::ToBytes(k.pub))}));
    }
    NodeList children;
    children.push_back(BytesNode("registration", BigEndian(creds.registration_id, 4)));
    children.push_back(BytesNode("type", Bytes{0x05}));
    children.push_back(BytesNode("identity", crypto::ToBytes(creds.identity.pub)));
    children.push_back(Node("list", {}, std::move(list)));
    children.push_back(Node(
        "skey", {},
        NodeList{BytesNode("id", BigEndian(creds.signed_pre_key.id, 3)),
                 BytesNode("value", crypto::ToBytes(creds.signed_pre_key.key.pub)),
                 BytesNode("signature", Bytes(creds.signed_pre_key.signature.begin(),
                                              creds.signed_pre_key.signature.end()))}));
    SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "set"}}, std::move(children)),
           [this, then = std::move(then)](const Node* r) {
               if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
               if (r->AttrOr("type", "") == "error") spdlog::warn("wa: pre-key upload refused");
               if (then) then();
           });
}

void Connection::Impl::SetActive() {
    SendIq(Node("iq", {{"xmlns", "passive"}, {"type", "set"}}, NodeList{Node("active")}), [this](const Node* r) {
        if (!r) return Fail(CloseKind::kTransient, "iq_timeout");
        phase = Phase::kConnected;
        SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("digest")}), [](const Node*) {});
        SendIq(Node("iq", {{"xmlns", "privacy"}, {"type", "get"}}, NodeList{Node("privacy")}), [](const Node*) {});
        if (!creds.me->name.empty()) {
            SendNode(Node("presence", {{"name", creds.me->name}, {"type", "available"}}));
            sent_available = true;
        }
        events.OnConnected(*creds.me);
        FetchGroups();
    });
}

}  // namespace wadesk::wa
