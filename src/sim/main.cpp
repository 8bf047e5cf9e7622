// wadesk-sim: a local WhatsApp server + primary-phone emulator (see docs/sim.md).
//
//   wadesk-sim [serve] [--listen HOST:PORT] [--control HOST:PORT] [--media HOST:PORT] [--media-ca FILE] [--state DIR] [--log-level L]
//   wadesk-sim account-create --control HOST:PORT --phone DIGITS [--name NAME]
//   wadesk-sim accounts       --control HOST:PORT
//   wadesk-sim scan           --control HOST:PORT --phone DIGITS --qr QR
//   wadesk-sim devices        --control HOST:PORT --phone DIGITS
//   wadesk-sim unlink         --control HOST:PORT --phone DIGITS --device N
//   wadesk-sim pair-code      --control HOST:PORT --phone DIGITS --code XXXX-XXXX [--wait SECONDS]
//   wadesk-sim send           --control HOST:PORT --phone DIGITS --to DIGITS|JID --text TEXT [--addressing pn|lid] [--id ID]
//   wadesk-sim send-media     --control HOST:PORT --phone DIGITS --to DIGITS|JID --type T (--file PATH | --size N) [...]
//   wadesk-sim inbox          --control HOST:PORT --phone DIGITS
//   wadesk-sim receipts       --control HOST:PORT --phone DIGITS
//   wadesk-sim read           --control HOST:PORT --phone DIGITS --chat JID --ids ID[,ID...]
//   wadesk-sim break-next     --control HOST:PORT --phone DIGITS --to DEVICE-JID
//   wadesk-sim groups         --control HOST:PORT --phone DIGITS
//   wadesk-sim group-create   --control HOST:PORT --phone DIGITS --subject TEXT --participants DIGITS|JID[,...]
//   wadesk-sim group-send     --control HOST:PORT --phone DIGITS --group GID --text TEXT
#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "core/log.h"
#include "sim/net.h"

namespace {

constexpr const char* kUsage =
    "usage: wadesk-sim [serve] [--listen HOST:PORT] [--control HOST:PORT] [--media HOST:PORT] [--media-ca FILE] [--state DIR] [--log-level LEVEL]\n"
    "       wadesk-sim account-create --control HOST:PORT --phone DIGITS [--name NAME]\n"
    "       wadesk-sim accounts --control HOST:PORT\n"
    "       wadesk-sim scan --control HOST:PORT --phone DIGITS --qr QR\n"
    "       wadesk-sim devices --control HOST:PORT --phone DIGITS\n"
    "       wadesk-sim unlink --control HOST:PORT --phone DIGITS --device N\n"
    "       wadesk-sim pair-code --control HOST:PORT --phone DIGITS --code XXXX-XXXX [--wait SECONDS]\n"
    "       wadesk-sim send --control HOST:PORT --phone DIGITS --to DIGITS|JID --text TEXT [--addressing pn|lid] [--id ID]\n"
    "       wadesk-sim send-media --control HOST:PORT --phone DIGITS --to DIGITS|JID --type image|video|audio|ptt|document|sticker\n"
    "                  (--file PATH | --size BYTES) [--mimetype M] [--file-name NAME] [--caption TEXT] [--seconds N]\n"
    "       wadesk-sim inbox --control HOST:PORT --phone DIGITS\n"
    "       wadesk-sim receipts --control HOST:PORT --phone DIGITS\n"
    "       wadesk-sim read --control HOST:PORT --phone DIGITS --chat JID --ids ID[,ID...]\n"
    "       wadesk-sim break-next --control HOST:PORT --phone DIGITS --to DEVICE-JID\n"
    "       wadesk-sim groups --control HOST:PORT --phone DIGITS\n"
    "       wadesk-sim group-create --control HOST:PORT --phone DIGITS --subject TEXT --participants DIGITS|JID[,...]\n"
    "       wadesk-sim group-send --control HOST:PORT --phone DIGITS --group GID --text TEXT\n";

int Usage(const std::string& why) {
    std::cerr << "wadesk-sim: " << why << "\n" << kUsage;
    return 2;
}

int Call(const std::map<std::string, std::string>& opts, const char* method, const std::string& target,
         const std::string& body = {}) {
    auto it = opts.find("control");
    if (it == opts.end()) return Usage("--control HOST:PORT is required");
    auto r = wadesk::sim::ControlRequest(it->second, method, target, body);
    if (!r) {
        std::cerr << "wadesk-sim: " << r.error().message << "\n";
        return 1;
    }
    std::cout << r->body << std::endl;
    return r->status >= 200 && r->status < 300 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string command = "serve";
    std::map<std::string, std::string> opts;
    int i = 1;
    if (i < argc && std::string(argv[i]).rfind("--", 0) != 0) command = argv[i++];
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        }
        if (a.rfind("--", 0) != 0 || i + 1 >= argc) return Usage("bad argument " + a);
        opts[a.substr(2)] = argv[++i];
    }
    auto get = [&](const char* k) -> std::string {
        auto it = opts.find(k);
        return it == opts.end() ? std::string() : it->second;
    };

    if (command == "serve") {
        wadesk::InitLogging(opts.count("log-level") ? get("log-level") : "info");
        wadesk::sim::ServeOptions o;
        if (opts.count("listen")) o.listen = get("listen");
        if (opts.count("control")) o.control = get("control");
        if (opts.count("media")) o.media = get("media");
        if (opts.count("media-ca")) o.media_ca_file = get("media-ca");
        if (opts.count("state")) o.state_dir = get("state");
        return wadesk::sim::Serve(o);
    }
    namespace json = boost::json;
    if (command == "account-create") {
        if (get("phone").empty()) return Usage("--phone is required");
        return Call(opts, "POST", "/accounts", json::serialize(json::object{{"phone", get("phone")}, {"name", get("name")}}));
    }
    if (command == "accounts") return Call(opts, "GET", "/accounts");
    if (command == "scan") {
        if (get("phone").empty() || get("qr").empty()) return Usage("--phone and --qr are required");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/scan", json::serialize(json::object{{"qr", get("qr")}}));
    }
    if (command == "devices") {
        if (get("phone").empty()) return Usage("--phone is required");
        return Call(opts, "GET", "/accounts/" + get("phone") + "/devices");
    }
    if (command == "unlink") {
        if (get("phone").empty() || get("device").empty()) return Usage("--phone and --device are required");
        return Call(opts, "DELETE", "/accounts/" + get("phone") + "/devices/" + get("device"));
    }
    if (command == "send") {
        if (get("phone").empty() || get("to").empty() || get("text").empty())
            return Usage("--phone, --to and --text are required");
        json::object body{{"to", get("to")}, {"text", get("text")}, {"addressing", opts.count("addressing") ? get("addressing") : "pn"}};
        if (opts.count("id")) body["id"] = get("id");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/send", json::serialize(body));
    }
    if (command == "send-media") {
        // The file's bytes from --file PATH (sent as base64), or --size N random bytes.
        if (get("phone").empty() || get("to").empty() || get("type").empty() || (get("file").empty() && get("size").empty()))
            return Usage("--phone, --to, --type and --file or --size are required");
        json::object body{{"to", get("to")}, {"type", get("type")}};
        if (!get("file").empty()) {
            std::ifstream in(get("file"), std::ios::binary);
            if (!in) return Usage("cannot read " + get("file"));
            const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            body["data_b64"] = wadesk::Base64Encode(wadesk::AsBytes(data));
        } else {
            body["size"] = std::atof(get("size").c_str());
        }
        for (const char* key : {"mimetype", "caption"}) {
            if (opts.count(key)) body[key] = get(key);
        }
        if (opts.count("file-name")) body["file_name"] = get("file-name");
        if (opts.count("seconds")) body["seconds"] = std::atof(get("seconds").c_str());
        return Call(opts, "POST", "/accounts/" + get("phone") + "/send-media", json::serialize(body));
    }
    if (command == "inbox" || command == "receipts") {
        if (get("phone").empty()) return Usage("--phone is required");
        return Call(opts, "GET", "/accounts/" + get("phone") + "/" + command);
    }
    auto comma_list = [](const std::string& list) {
        json::array items;
        for (std::size_t start = 0; start <= list.size();) {
            const auto comma = std::min(list.find(',', start), list.size());
            if (comma > start) items.emplace_back(list.substr(start, comma - start));
            start = comma + 1;
        }
        return items;
    };
    if (command == "read") {
        if (get("phone").empty() || get("chat").empty() || get("ids").empty())
            return Usage("--phone, --chat and --ids are required");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/read",
                    json::serialize(json::object{{"chat", get("chat")}, {"ids", comma_list(get("ids"))}}));
    }
    if (command == "groups") {
        if (get("phone").empty()) return Usage("--phone is required");
        return Call(opts, "GET", "/accounts/" + get("phone") + "/groups");
    }
    if (command == "group-create") {
        if (get("phone").empty() || get("subject").empty()) return Usage("--phone and --subject are required");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/groups",
                    json::serialize(json::object{{"subject", get("subject")}, {"participants", comma_list(get("participants"))}}));
    }
    if (command == "group-send") {
        if (get("phone").empty() || get("group").empty() || get("text").empty())
            return Usage("--phone, --group and --text are required");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/groups/" + get("group") + "/send",
                    json::serialize(json::object{{"text", get("text")}}));
    }
    if (command == "break-next") {
        if (get("phone").empty() || get("to").empty()) return Usage("--phone and --to are required");
        return Call(opts, "POST", "/accounts/" + get("phone") + "/break-next", json::serialize(json::object{{"to", get("to")}}));
    }
    if (command == "pair-code") {
        // Enters the code at the phone, then waits for companion_finish to tell whether it was right.
        if (get("phone").empty() || get("code").empty()) return Usage("--phone and --code are required");
        if (get("control").empty()) return Usage("--control HOST:PORT is required");
        const int wait_s = opts.count("wait") ? std::atoi(get("wait").c_str()) : 20;
        const std::string route = "/accounts/" + get("phone") + "/pair-code";
        auto r = wadesk::sim::ControlRequest(get("control"), "POST", route,
                                             json::serialize(json::object{{"code", get("code")}}));
        if (!r) {
            std::cerr << "wadesk-sim: " << r.error().message << "\n";
            return 1;
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0, wait_s));
        while (r->status == 200) {
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            const bool waiting = !ec && v.is_object() && v.as_object().contains("status") &&
                                 v.as_object().at("status") == "waiting";
            if (!waiting || std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            r = wadesk::sim::ControlRequest(get("control"), "GET", route, "");
            if (!r) {
                std::cerr << "wadesk-sim: " << r.error().message << "\n";
                return 1;
            }
        }
        std::cout << r->body << std::endl;
        return r->status == 200 && r->body.find("\"status\":\"paired\"") != std::string::npos ? 0 : 1;
    }
    return Usage("unknown command " + command);
}
