// wa-client-tool: drives one native client session from the command line (tests and manual use).
//
//   wa-client-tool link --url ws://127.0.0.1:PORT/ws/chat --trust-root HEX --state DIR
//
// Credentials live in DIR (one file per key; a development store, not the product's). Output is
// one event per line on stdout:
//   QR <text> <ttl-seconds>
//   PAIRED <jid> <lid>
//   CONNECTED <jid> <lid> <name>
//   MESSAGE <chat> <sender> <id> <text>
//   QUOTE <id> <quoted id> <quoted participant> <quoted text>   (after MESSAGE, for a reply)
//   RECEIPT <type> <from> <id>
//   ACK <id> <error>
//   SENT <id> | SEND_ERROR <code>
//   PAIRCODE <code> | PAIRCODE_ERROR <code>
//   STATUS <status> <reason>
// Commands on stdin, one per line: `send <jid> <text>`, `paircode <phone digits>`, `logout`, `stop`.
// The process exits 0 when the session reaches a final status (disconnected, logged_out, failed)
// or on SIGINT/SIGTERM (after stopping the session).
#include <boost/asio.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "core/bytes.h"
#include "core/log.h"
#include "whatsapp/client/session.h"

namespace {

using namespace wadesk;
using namespace wadesk::wa;
namespace fs = std::filesystem;

// One file per key under a directory; names are the key percent-encoded.
class DirectoryCredentialStore final : public CredentialStore {
public:
    explicit DirectoryCredentialStore(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

    std::optional<Bytes> Get(std::string_view key) override {
        std::ifstream in(PathOf(key), std::ios::binary);
        if (!in) return std::nullopt;
        return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    void Put(std::string_view key, BytesView value) override {
        const fs::path target = PathOf(key);
        const fs::path tmp = target.string() + ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(reinterpret_cast<const char*>(value.data()), static_cast<std::streamsize>(value.size()));
            if (!out) throw std::runtime_error("cannot write credential file");
        }
        fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
        fs::rename(tmp, target);
    }
    void Delete(std::string_view key) override {
        std::error_code ec;
        fs::remove(PathOf(key), ec);
    }

private:
    fs::path PathOf(std::string_view key) const {
        std::string name;
        for (char c : key) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
                name.push_back(c);
            } else {
                static const char* kHex = "0123456789ABCDEF";
                name.push_back('%');
                name.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
                name.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
            }
        }
        return dir_ / name;
    }
    fs::path dir_;
};

std::mutex g_out_mutex;
void Print(const std::string& line) {
    std::lock_guard lock(g_out_mutex);
    std::cout << line << std::endl;
}

std::string OneLine(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

class ToolEvents : public SessionEvents {
public:
    explicit ToolEvents(boost::asio::io_context& io) : io_(io) {}
    void OnQr(const std::string& text, std::chrono::seconds ttl) override {
        Print("QR " + text + " " + std::to_string(ttl.count()));
    }
    void OnPaired(const Me& me) override { Print("PAIRED " + me.jid + " " + me.lid); }
    void OnConnected(const Me& me) override { Print("CONNECTED " + me.jid + " " + me.lid + " " + OneLine(me.name)); }
    bool OnMessage(const IncomingMessage& m, const CredentialWrites&) override {
        Print("MESSAGE " + m.chat + " " + m.sender + " " + m.id + " " + OneLine(m.text));
        if (auto parsed = ParseProto<Message>(m.message); parsed && parsed->has_extendedtextmessage() &&
                                                          parsed->extendedtextmessage().has_contextinfo()) {
            const auto& context = parsed->extendedtextmessage().contextinfo();
            Print("QUOTE " + m.id + " " + context.stanzaid() + " " + context.participant() + " " +
                  OneLine(context.quotedmessage().conversation()));
        }
        return true;
    }
    void OnReceipt(const ReceiptEvent& r) override {
        for (const auto& id : r.ids) Print("RECEIPT " + (r.type.empty() ? std::string("delivery") : r.type) + " " + r.from + " " + id);
    }
    void OnSendAck(const std::string& id, int error) override { Print("ACK " + id + " " + std::to_string(error)); }
    void OnStatus(SessionStatus status, const std::string& reason) override {
        Print("STATUS " + std::string(SessionStatusName(status)) + " " + (reason.empty() ? "-" : OneLine(reason)));
        if (status == SessionStatus::kDisconnected || status == SessionStatus::kLoggedOut ||
            status == SessionStatus::kFailed) {
            io_.stop();
        }
    }

private:
    boost::asio::io_context& io_;
};

int Usage(const std::string& why) {
    std::cerr << "wa-client-tool: " << why
              << "\nusage: wa-client-tool link --url URL [--trust-root HEX] --state DIR [--log-level L]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "link") return Usage("the only command is `link`");
    std::map<std::string, std::string> opts;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0 || i + 1 >= argc) return Usage("bad argument " + a);
        opts[a.substr(2)] = argv[++i];
    }
    if (!opts.count("state")) return Usage("--state DIR is required");
    InitLogging(opts.count("log-level") ? opts["log-level"] : "warn");

    ClientConfig config;
    if (opts.count("url")) config.url = opts["url"];
    if (opts.count("trust-root")) {
        auto root = FromHex(opts["trust-root"]);
        if (!root || root->size() != 32) return Usage("--trust-root must be 64 hex digits");
        std::copy(root->begin(), root->end(), config.trust_root.begin());
    }

    boost::asio::io_context io;
    DirectoryCredentialStore store(opts["state"]);
    ToolEvents events(io);
    auto session = Session::Create(io, config, store, events);

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) session->Stop();
    });

    // stdin commands, read on a plain thread and posted to the session.
    std::thread input([&session] {
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line == "logout") {
                session->Logout();
            } else if (line == "stop") {
                session->Stop();
            } else if (line.rfind("paircode ", 0) == 0) {
                session->RequestPairingCode(line.substr(9), [](Result<std::string> r) {
                    if (r) Print("PAIRCODE " + *r);
                    else Print("PAIRCODE_ERROR " + r.error().code);
                });
            } else if (line.rfind("send ", 0) == 0) {
                std::string rest = line.substr(5);
                auto space = rest.find(' ');
                if (space == std::string::npos) {
                    Print("SEND_ERROR usage");
                    continue;
                }
                session->SendText(rest.substr(0, space), rest.substr(space + 1), [](Result<std::string> r) {
                    if (r) Print("SENT " + *r);
                    else Print("SEND_ERROR " + r.error().code);
                });
            }
        }
    });
    input.detach();

    session->Start();
    io.run();
    std::cout.flush();
    std::_Exit(0);  // the stdin reader thread may still be blocked in getline
}
