#include "sim/control.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

namespace wadesk::sim {
namespace json = boost::json;

namespace {

ControlResponse Json(int status, const json::value& v) { return {status, json::serialize(v)}; }

ControlResponse Fail(int status, std::string_view code, std::string_view message) {
    return Json(status, json::object{{"error", json::object{{"code", code}, {"message", message}}}});
}

int StatusFor(const Error& e) {
    if (e.code == "no_media_host") return 409;
    if (e.code == "no_account" || e.code == "no_device" || e.code == "no_waiting_device" || e.code == "no_recipient" ||
        e.code == "no_message" || e.code == "no_group") {
        return 404;
    }
    if (e.code.starts_with("signal_")) return 500;
    if (e.code == "account_exists" || e.code == "already_scanned" || e.code == "load_running" ||
        e.code == "device_offline") {
        return 409;
    }
    if (e.code == "not_participant") return 403;
    return 400;
}

ControlResponse FromError(const Error& e) { return Fail(StatusFor(e), e.code, e.message); }

json::array DevicesJson(const std::vector<DeviceInfo>& devices) {
    json::array a;
    for (const auto& d : devices) {
        a.push_back(json::object{{"id", d.id},
                                 {"jid", d.jid},
                                 {"lid_jid", d.lid_jid},
                                 {"key_index", d.key_index},
                                 {"platform", d.platform},
                                 {"paired_at", d.paired_at},
                                 {"online", d.online},
                                 {"require_full_sync", d.require_full_sync}});
    }
    return a;
}

json::object AccountJson(const SimServer& server, const Account& a) {
    return json::object{{"phone", a.phone},
                        {"name", a.name},
                        {"lid", a.lid},
                        {"jid", a.phone + "@s.whatsapp.net"},
                        {"lid_jid", a.lid + "@lid"},
                        {"identity_key", ToHex(BytesView(a.identity.pub.data(), 32))},
                        {"devices", DevicesJson(server.Devices(a.phone).value())}};
}

std::vector<std::string_view> Segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

// Parses a JSON object body; nullopt (and `error`) when it is not one.
std::optional<json::object> Body(std::string_view body, ControlResponse& error) {
    boost::system::error_code ec;
    json::value v = json::parse(body.empty() ? std::string_view("{}") : body, ec);
    if (ec || !v.is_object()) {
        error = Fail(400, "bad_json", "request body must be a JSON object");
        return std::nullopt;
    }
    return v.as_object();
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
}

std::optional<double> NumberField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_number()) return std::nullopt;
    return it->value().to_number<double>();
}

bool BoolField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_bool() && it->value().as_bool();
}

// PUT /accounts/{phone}/history: {"chats": [{"with", "name", "unread", "archived", "pinned",
// "messages": [{"id", "fromMe", "text", "t", "status"}]}]} (docs/sim.md).
ControlResponse HandleHistory(SimServer& server, std::string_view phone, std::string_view method, std::string_view body) {
    if (method != "PUT") return Fail(405, "method_not_allowed", "use PUT");
    ControlResponse err;
    auto o = Body(body, err);
    if (!o) return err;
    auto chats_it = o->find("chats");
    if (chats_it == o->end() || !chats_it->value().is_array())
        return Fail(400, "bad_request", "field 'chats' (array) is required");
    const bool corrupt = BoolField(*o, "corrupt");
    std::vector<HistorySeedChat> chats;
    for (const auto& c : chats_it->value().as_array()) {
        if (!c.is_object()) return Fail(400, "bad_request", "each chat is an object");
        const auto& co = c.as_object();
        HistorySeedChat chat;
        chat.with = StringField(co, "with").value_or("");
        chat.name = StringField(co, "name").value_or("");
        chat.unread = static_cast<std::uint32_t>(std::max(0.0, NumberField(co, "unread").value_or(0)));
        chat.archived = BoolField(co, "archived");
        chat.pinned = BoolField(co, "pinned");
        if (auto m = co.find("messages"); m != co.end() && m->value().is_array()) {
            for (const auto& mv : m->value().as_array()) {
                if (!mv.is_object()) return Fail(400, "bad_request", "each message is an object");
                const auto& mo = mv.as_object();
                chat.messages.push_back(HistorySeedMessage{StringField(mo, "id").value_or(""), BoolField(mo, "fromMe"),
                                                           StringField(mo, "text").value_or(""),
                                                           static_cast<std::int64_t>(NumberField(mo, "t").value_or(0)),
                                                           StringField(mo, "status").value_or("")});
            }
        }
        chats.push_back(std::move(chat));
    }
    const std::size_t count = chats.size();
    if (auto r = server.SetPhoneHistory(phone, std::move(chats), corrupt); !r) return FromError(r.error());
    return Json(200, json::object{{"chats", count}});
}

// POST /load and GET /load: the bench load (load.cpp).
ControlResponse HandleLoad(SimServer& server, std::string_view method, std::string_view body) {
    if (method == "GET") {
        const LoadStatus st = server.Load();
        return Json(200, json::object{{"running", st.running}, {"count", st.count}, {"sent", st.sent},
                                      {"failed", st.failed}, {"due", st.due}, {"elapsed_s", st.elapsed_s},
                                      {"last_error", st.last_error}});
    }
    if (method != "POST") return Fail(405, "method_not_allowed", "use GET or POST");
    ControlResponse err;
    auto o = Body(body, err);
    if (!o) return err;
    LoadSpec spec;
    if (auto it = o->find("pairs"); it != o->end() && it->value().is_array()) {
        for (const auto& v : it->value().as_array()) {
            if (!v.is_object()) continue;
            auto from = StringField(v.as_object(), "from");
            auto to = StringField(v.as_object(), "to");
            if (from && to) spec.pairs.emplace_back(*from, *to);
        }
    }
    const auto rate = NumberField(*o, "rate");
    const auto count = NumberField(*o, "count");
    if (spec.pairs.empty() || !rate || !count || *count < 1) {
        return Fail(400, "bad_request", "'pairs' [{from,to}...], 'rate' and 'count' (numbers) are required");
    }
    spec.rate = *rate;
    spec.count = static_cast<std::uint64_t>(*count);
    spec.text_prefix = StringField(*o, "text_prefix").value_or("load");
    const auto addressing = StringField(*o, "addressing").value_or("pn");
    const auto fanout = StringField(*o, "fanout").value_or("companions");
    if (addressing != "pn" && addressing != "lid") return Fail(400, "bad_request", "'addressing' is pn or lid");
    if (fanout != "companions" && fanout != "all") return Fail(400, "bad_request", "'fanout' is companions or all");
    spec.addressing = addressing == "lid" ? Addressing::kLid : Addressing::kPn;
    spec.fanout = fanout == "all" ? SendFanout::kAllDevices : SendFanout::kCompanionsOnly;
    auto r = server.StartLoad(std::move(spec));
    if (!r) return FromError(r.error());
    return Json(200, json::object{{"ok", true}});
}

// POST /accounts/{phone}/send-media: {"to", "type", "data_b64" | "size", "mimetype"?, "file_name"?,
// "caption"?, "seconds"?, "width"?, "height"?, "expired"?, "lost"?, "addressing"?, "id"?} (docs/sim.md).
ControlResponse HandleSendMedia(SimServer& server, std::string_view phone, std::string_view method,
                                std::string_view body) {
    if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
    ControlResponse err;
    auto o = Body(body, err);
    if (!o) return err;
    auto to = StringField(*o, "to");
    auto type = StringField(*o, "type");
    if (!to || !type) return Fail(400, "bad_request", "fields 'to' and 'type' (strings) are required");
    PhoneMediaSpec spec;
    spec.type = *type;
    if (auto data = StringField(*o, "data_b64")) {
        auto bytes = Base64Decode(*data);
        if (!bytes) return Fail(400, "bad_request", "'data_b64' is not base64");
        spec.data = std::move(*bytes);
    } else if (auto size = NumberField(*o, "size"); size && *size >= 1 && *size <= (100 << 20)) {
        spec.data = RandomBytes(static_cast<std::size_t>(*size));
    } else {
        return Fail(400, "bad_request", "give the file as 'data_b64' or a 'size' (1..104857600) to generate");
    }
    spec.mimetype = StringField(*o, "mimetype").value_or("");
    spec.file_name = StringField(*o, "file_name").value_or("");
    spec.caption = StringField(*o, "caption").value_or("");
    spec.seconds = static_cast<std::uint32_t>(std::max(0.0, NumberField(*o, "seconds").value_or(0)));
    spec.width = static_cast<std::uint32_t>(std::max(0.0, NumberField(*o, "width").value_or(0)));
    spec.height = static_cast<std::uint32_t>(std::max(0.0, NumberField(*o, "height").value_or(0)));
    spec.expired = BoolField(*o, "expired");
    spec.lost = BoolField(*o, "lost");
    const auto addressing = StringField(*o, "addressing").value_or("pn");
    if (addressing != "pn" && addressing != "lid") return Fail(400, "bad_request", "'addressing' is pn or lid");
    auto r = server.PhoneSendMedia(phone, *to, spec, addressing == "lid" ? Addressing::kLid : Addressing::kPn,
                                   StringField(*o, "id").value_or(""));
    if (!r) return FromError(r.error());
    json::array devices;
    for (const auto& d : r->sent.devices) devices.emplace_back(d);
    return Json(200, json::object{{"id", r->sent.id}, {"devices", std::move(devices)}, {"sha256", r->sha256},
                                  {"enc_sha256", r->enc_sha256}, {"direct_path", r->direct_path},
                                  {"media_key", r->media_key}, {"size", spec.data.size()}});
}

// POST /media/expire {"direct_path", "status"?: 410 | 404, "lost"?: bool}: the media host answers
// `status` for that file from now on; `lost`: the phones no longer have it either.
ControlResponse HandleExpireMedia(SimServer& server, std::string_view method, std::string_view body) {
    if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
    ControlResponse err;
    auto o = Body(body, err);
    if (!o) return err;
    auto path = StringField(*o, "direct_path");
    if (!path) return Fail(400, "bad_request", "field 'direct_path' (string) is required");
    const int status = static_cast<int>(NumberField(*o, "status").value_or(410));
    if (status != 410 && status != 404) return Fail(400, "bad_request", "'status' is 410 or 404");
    if (auto r = server.media().Expire(*path, status, BoolField(*o, "lost")); !r)
        return Fail(404, "no_media", r.error().message);
    return Json(200, json::object{{"ok", true}});
}

std::optional<std::uint16_t> DeviceId(std::string_view s) {
    unsigned id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc() || p != s.data() + s.size() || id == 0 || id > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(id);
}

// A group's w:g2 metadata (<group>) as JSON.
json::object GroupJson(const wa::Node& group) {
    json::array participants;
    for (const wa::Node* p : group.Children("participant")) {
        participants.push_back(json::object{{"jid", p->AttrOr("jid", "")},
                                            {"phone_number", p->AttrOr("phone_number", "")},
                                            {"admin", p->AttrOr("type", "none")}});
    }
    return json::object{{"id", std::string(group.AttrOr("id", "")) + "@g.us"},
                        {"subject", group.AttrOr("subject", "")},
                        {"creator", group.AttrOr("creator_pn", "")},
                        {"creation", group.GetAttrInt("creation").value_or(0)},
                        {"addressing_mode", group.AttrOr("addressing_mode", "")},
                        {"participants", std::move(participants)}};
}

// Participants as the phone names them: digits (a leading + allowed) or a PN / LID JID.
std::optional<std::vector<std::string>> ParticipantJids(const json::object& o) {
    auto it = o.find("participants");
    if (it == o.end() || !it->value().is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : it->value().as_array()) {
        if (!v.is_string()) return std::nullopt;
        std::string p(v.as_string());
        if (p.find('@') == std::string::npos) {
            if (p.starts_with('+')) p.erase(0, 1);
            p += "@s.whatsapp.net";
        }
        out.push_back(std::move(p));
    }
    return out;
}

// /accounts/{phone}/groups[/{group}[/participants|subject|leave|send]]: the phone's w:g2 requests,
// answered as the server answers them (docs/sim.md).
ControlResponse HandleGroups(SimServer& server, const std::string& phone, std::string_view method,
                             const std::vector<std::string_view>& seg, std::string_view body) {
    ControlResponse err;
    const std::pair<std::string, std::uint16_t> actor{phone, 0};
    auto run = [&](std::string to, std::string type, wa::Node op) {
        return server.GroupIq(actor, wa::Node("iq", wa::Attrs{{"to", std::move(to)}, {"type", std::move(type)},
                                                              {"xmlns", "w:g2"}, {"id", "control"}},
                                              wa::NodeList{std::move(op)}));
    };
    auto iq_failure = [](const SimServer::GroupIqAnswer& a) {
        const int status = a.code == 401 || a.code == 403 ? 403 : a.code == 404 ? 404 : 400;
        return Fail(status, a.text, "WhatsApp answered " + std::to_string(a.code) + " " + a.text);
    };
    if (seg.size() == 3) {
        if (method == "GET") {
            auto a = run("@g.us", "get", wa::Node("participating"));
            if (a.code) return iq_failure(a);
            json::array groups;
            for (const wa::Node* g : a.children.front().Children("group")) groups.push_back(GroupJson(*g));
            return Json(200, json::object{{"groups", std::move(groups)}});
        }
        if (method != "POST") return Fail(405, "method_not_allowed", "use GET or POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto subject = StringField(*o, "subject");
        auto participants = ParticipantJids(*o);
        if (!subject || !participants) {
            return Fail(400, "bad_request", "'subject' (string) and 'participants' (strings) are required");
        }
        wa::NodeList list;
        for (auto& p : *participants) list.emplace_back("participant", wa::Attrs{{"jid", std::move(p)}});
        wa::Attrs create_attrs{{"subject", *subject}};
        if (auto n = o->find("notify"); n != o->end()) {
            if (!n->value().is_bool()) return Fail(400, "bad_request", "field 'notify' must be a boolean");
            if (!n->value().as_bool()) create_attrs.Add("sim_notify", "0");
        }
        auto a = run("@g.us", "set", wa::Node("create", std::move(create_attrs), std::move(list)));
        if (a.code) return iq_failure(a);
        return Json(201, GroupJson(a.children.front()));
    }
    std::string group(seg[3]);
    if (group.find('@') == std::string::npos) group += "@g.us";
    if (seg.size() == 4) {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        auto a = run(group, "get", wa::Node("query", wa::Attrs{{"request", "interactive"}}));
        if (a.code) return iq_failure(a);
        return Json(200, GroupJson(a.children.front()));
    }
    if (seg.size() != 5) return Fail(404, "not_found", "no such route");
    if (seg[4] == "leave") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto a = run("@g.us", "set", wa::Node("leave", wa::Attrs{}, wa::NodeList{wa::Node("group", wa::Attrs{{"id", group}})}));
        if (a.code) return iq_failure(a);
        return Json(200, json::object{{"ok", true}});
    }
    auto o = Body(body, err);
    if (!o) return err;
    if (seg[4] == "subject") {
        if (method != "PUT") return Fail(405, "method_not_allowed", "use PUT");
        auto subject = StringField(*o, "subject");
        if (!subject) return Fail(400, "bad_request", "field 'subject' (string) is required");
        auto a = run(group, "set", wa::Node("subject", wa::Attrs{}, Bytes(subject->begin(), subject->end())));
        if (a.code) return iq_failure(a);
        return Json(200, json::object{{"ok", true}});
    }
    if (seg[4] == "participants") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        const auto action = StringField(*o, "action").value_or("");
        auto participants = ParticipantJids(*o);
        if ((action != "add" && action != "remove" && action != "promote" && action != "demote") || !participants) {
            return Fail(400, "bad_request", "'action' (add|remove|promote|demote) and 'participants' (strings) are required");
        }
        wa::NodeList list;
        for (auto& p : *participants) list.emplace_back("participant", wa::Attrs{{"jid", std::move(p)}});
        auto a = run(group, "set", wa::Node(action, wa::Attrs{}, std::move(list)));
        if (a.code) return iq_failure(a);
        json::array out;
        for (const wa::Node* p : a.children.front().Children("participant")) {
            json::object one{{"jid", p->AttrOr("jid", "")}};
            if (auto e = p->GetAttr("error")) one["error"] = std::string(*e);
            out.push_back(std::move(one));
        }
        return Json(200, json::object{{"participants", std::move(out)}});
    }
    if (seg[4] == "send") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto text = StringField(*o, "text");
        if (!text) return Fail(400, "bad_request", "field 'text' (string) is required");
        auto r = server.PhoneGroupSend(phone, group, *text, StringField(*o, "id").value_or(""));
        if (!r) return FromError(r.error());
        json::array devices;
        for (const auto& d : r->devices) devices.emplace_back(d);
        return Json(200, json::object{{"id", r->id}, {"devices", std::move(devices)}});
    }
    return Fail(404, "not_found", "no such route");
}

}  // namespace

ControlResponse HandleControl(SimServer& server, std::string_view method, std::string_view target,
                              std::string_view body) {
    const std::string_view path = target.substr(0, target.find('?'));
    const auto seg = Segments(path);
    ControlResponse err;

    if (seg.size() == 1 && seg[0] == "health") {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        return Json(200, json::object{{"ok", true}, {"root_key", ToHex(BytesView(server.RootKey().data(), 32))}});
    }
    if (seg.size() == 1 && seg[0] == "load") return HandleLoad(server, method, body);
    if (seg.size() == 2 && seg[0] == "media" && seg[1] == "expire") return HandleExpireMedia(server, method, body);
    if (seg.empty() || seg[0] != "accounts") return Fail(404, "not_found", "no such route");

    if (seg.size() == 1) {
        if (method == "GET") {
            json::array a;
            for (const auto& [phone, account] : server.state().accounts) a.push_back(AccountJson(server, account));
            return Json(200, json::object{{"accounts", std::move(a)}});
        }
        if (method == "POST") {
            auto o = Body(body, err);
            if (!o) return err;
            auto phone = StringField(*o, "phone");
            if (!phone) return Fail(400, "bad_request", "field 'phone' (string) is required");
            auto created = server.CreateAccount(*phone, StringField(*o, "name").value_or(""));
            if (!created) return FromError(created.error());
            return Json(201, AccountJson(server, **created));
        }
        return Fail(405, "method_not_allowed", "use GET or POST");
    }

    if (seg.size() == 2 && seg[1] == "bulk") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto first = StringField(*o, "first");
        auto count = NumberField(*o, "count");
        const double companions = NumberField(*o, "companions").value_or(0);
        if (!first || !count || *count < 1 || *count > 1e9 || companions < 0 || companions > 1e9 ||
            *count != static_cast<double>(static_cast<std::size_t>(*count)) ||
            companions != static_cast<double>(static_cast<std::size_t>(companions))) {
            return Fail(400, "bad_request", "'first' (digits) and 'count' (a whole number) are required; 'companions' is a whole number");
        }
        auto created = server.CreateAccounts(*first, static_cast<std::size_t>(*count), StringField(*o, "name").value_or(""),
                                             static_cast<std::size_t>(companions));
        if (!created) return FromError(created.error());
        json::array a;
        for (const Account* acct : *created)
            a.push_back(json::object{{"phone", acct->phone}, {"lid", acct->lid}, {"devices", acct->devices.size() + 1}});
        return Json(201, json::object{{"accounts", std::move(a)}});
    }

    const std::string phone(seg[1]);
    const Account* account = server.FindAccount(phone);
    if (!account) return Fail(404, "no_account", "no such account");

    if (seg.size() == 2) {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        return Json(200, AccountJson(server, *account));
    }
    if (seg.size() == 3 && seg[2] == "scan") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto qr = StringField(*o, "qr");
        if (!qr) return Fail(400, "bad_request", "field 'qr' (string) is required");
        auto r = server.Scan(phone, *qr);
        if (!r) return FromError(r.error());
        return Json(200, json::object{{"device_id", r->device_id}, {"jid", r->jid}, {"lid_jid", r->lid_jid}});
    }
    if (seg.size() == 3 && seg[2] == "pair-code") {
        if (method == "POST") {
            auto o = Body(body, err);
            if (!o) return err;
            auto code = StringField(*o, "code");
            if (!code) return Fail(400, "bad_request", "field 'code' (string) is required");
            auto r = server.EnterLinkCode(phone, *code);
            if (!r) return FromError(r.error());
            return Json(200, json::object{{"ref", r->ref}, {"status", r->status}});
        }
        if (method == "GET") {
            const LinkCodeAttempt* a = server.LinkCodeStatus(phone);
            if (!a) return Fail(404, "no_attempt", "no pairing code was entered for this account");
            json::object out{{"ref", a->ref}, {"status", a->status}};
            if (!a->message.empty()) out["message"] = a->message;
            if (a->status == "paired") out["device_id"] = a->device_id;
            return Json(200, std::move(out));
        }
        return Fail(405, "method_not_allowed", "use GET or POST");
    }
    if (seg.size() == 3 && seg[2] == "send") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto to = StringField(*o, "to");
        auto text = StringField(*o, "text");
        if (!to || !text) return Fail(400, "bad_request", "fields 'to' and 'text' (strings) are required");
        const auto addressing = StringField(*o, "addressing").value_or("pn");
        if (addressing != "pn" && addressing != "lid") return Fail(400, "bad_request", "'addressing' is pn or lid");
        auto r = server.PhoneSend(phone, *to, *text, addressing == "lid" ? Addressing::kLid : Addressing::kPn,
                                  StringField(*o, "id").value_or(""));
        if (!r) return FromError(r.error());
        json::array devices;
        for (const auto& d : r->devices) devices.emplace_back(d);
        return Json(200, json::object{{"id", r->id}, {"devices", std::move(devices)}});
    }
    if (seg.size() == 3 && seg[2] == "send-media") return HandleSendMedia(server, phone, method, body);
    if (seg.size() == 3 && seg[2] == "inbox") {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        json::array messages;
        for (const auto& m : server.PhoneInbox(phone).value()) {
            json::object entry{{"id", m.id}, {"from", m.from}, {"chat", m.chat}, {"text", m.text},
                               {"type", m.type}, {"t", m.t}, {"count", m.count}};
            if (!m.media_status.empty()) {
                entry["media"] = json::object{{"status", m.media_status}, {"sha256", m.sha256}, {"size", m.size},
                                              {"mimetype", m.mimetype}, {"file_name", m.file_name}};
            }
            messages.push_back(std::move(entry));
        }
        return Json(200, json::object{{"messages", std::move(messages)}});
    }
    if (seg.size() == 3 && seg[2] == "receipts") {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        json::array receipts;
        for (const auto& r : server.PhoneReceipts(phone).value()) {
            receipts.push_back(json::object{{"id", r.id}, {"from", r.from}, {"type", r.type}, {"count", r.count}});
        }
        return Json(200, json::object{{"receipts", std::move(receipts)}});
    }
    if (seg.size() == 3 && seg[2] == "read") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto chat = StringField(*o, "chat");
        std::vector<std::string> ids;
        if (auto it = o->find("ids"); it != o->end() && it->value().is_array()) {
            for (const auto& v : it->value().as_array()) {
                if (v.is_string()) ids.emplace_back(v.as_string());
            }
        }
        if (!chat || ids.empty()) return Fail(400, "bad_request", "fields 'chat' (string) and 'ids' (strings) are required");
        auto r = server.PhoneRead(phone, *chat, ids);
        if (!r) return FromError(r.error());
        return Json(200, json::object{{"ok", true}});
    }
    if (seg.size() >= 3 && seg[2] == "groups") return HandleGroups(server, phone, method, seg, body);
    if (seg.size() == 3 && seg[2] == "history") return HandleHistory(server, phone, method, body);
    if (seg.size() == 3 && seg[2] == "break-next") {
        if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
        auto o = Body(body, err);
        if (!o) return err;
        auto to = StringField(*o, "to");
        if (!to) return Fail(400, "bad_request", "field 'to' (a device JID) is required");
        auto r = server.BreakNext(phone, *to);
        if (!r) return FromError(r.error());
        return Json(200, json::object{{"ok", true}});
    }
    if (seg.size() == 3 && seg[2] == "devices") {
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        return Json(200, json::object{{"devices", DevicesJson(server.Devices(phone).value())}});
    }
    if (seg.size() == 4 && seg[2] == "devices") {
        if (method != "DELETE") return Fail(405, "method_not_allowed", "use DELETE");
        const auto id = DeviceId(seg[3]);
        if (!id) return Fail(400, "bad_device", "device id must be 1..65535");
        auto r = server.Unlink(phone, *id);
        if (!r) return FromError(r.error());
        return Json(200, json::object{{"ok", true}});
    }
    if (seg.size() == 5 && seg[2] == "devices" && (seg[4] == "ping" || seg[4] == "pings")) {
        const auto id = DeviceId(seg[3]);
        if (!id) return Fail(400, "bad_device", "device id must be 1..65535");
        if (seg[4] == "ping") {
            if (method != "POST") return Fail(405, "method_not_allowed", "use POST");
            auto r = server.Ping(phone, *id);
            if (!r) return FromError(r.error());
            return Json(200, json::object{{"id", *r}});
        }
        if (method != "GET") return Fail(405, "method_not_allowed", "use GET");
        json::array pings;
        for (const auto& p : server.Pings(phone, *id)) {
            pings.push_back(json::object{{"id", p.id}, {"sent_us", p.sent_us}, {"rtt_ms", p.rtt_us / 1000.0}});
        }
        return Json(200, json::object{{"pings", std::move(pings)}, {"pending", server.PendingPings()}});
    }
    return Fail(404, "not_found", "no such route");
}

}  // namespace wadesk::sim
