// wadesk-bench-fanout-client: one native load-client process of the fan-out benchmark
// (started by fanout-bench.mjs with --client native). It holds many websocket clients on one
// thread over epoll and speaks the same minimal protocol as lean-client.mjs: the RFC 6455 upgrade
// and framing (masked client frames), Engine.IO v4 (open packet, answering pings) and Socket.IO v5
// (CONNECT with {"token": "bench-<i>"}, CONNECT_ERROR, EVENT). Of an event it reads only the
// numeric "seq" and "ts" fields of the payload. It exists so that the load side costs the
// machine as little as possible: on two shared cores, every CPU-second the clients burn is taken
// from the server under test and shows up as its latency.
//
// Usage: wadesk-bench-fanout-client --port P --first F --count N --sessions S --total T
// Client i (F <= i < F+N) authenticates as bench-<i> and expects the events of session i % S,
// whose sequence numbers are seq ≡ i (mod S), seq < T.
// Writes one JSON line on stdout when all are connected ({"type":"connected"}) or on the first
// failure ({"type":"error","message":...}); then reads commands on stdin, one per line:
//   count    answers {"type":"count","received":R,"disconnects":D}
//   report   answers {"type":"report","hist":[...],"received":..,"duplicates":..,"disconnects":..,
//            "connectErrors":..,"malformed":..,"missing":..,"expected":..}; hist counts delivery
//            latencies (producer timestamp to receipt, both wall clock) in 0.1 ms buckets, the last
//            bucket holding everything from 10 s on
//   close    closes every socket and exits
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr double kBucketMs = 0.1;
constexpr int kBuckets = 100000;      // up to 10 s
constexpr int kConnectWindow = 200;   // clients connecting or upgrading at once
constexpr std::uint64_t kStdinTag = ~std::uint64_t{0};

enum class State { kConnecting, kUpgrading, kOpen, kClosed };

struct Client {
    int fd = -1;
    int index = 0;
    int session = 0;
    State state = State::kConnecting;
    bool connected = false;        // Socket.IO CONNECT answered
    std::string in;                // bytes of an unfinished frame (or of the HTTP answer)
    std::string out;               // bytes the kernel did not take yet
    std::vector<std::uint8_t> seen;  // seen[seq / sessions]: that event arrived
};

struct Totals {
    std::vector<std::uint32_t> hist = std::vector<std::uint32_t>(kBuckets + 1);
    std::uint64_t received = 0, duplicates = 0, disconnects = 0, connect_errors = 0, malformed = 0;
};

double NowMs() {
    timespec t{};
    clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

void Emit(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

std::string JsonString(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        out += c;
    }
    return out + "\"";
}

// The number right after the first occurrence of `key` in [p, end); NaN when there is none.
double FieldAt(const char* p, const char* end, std::string_view key) {
    std::string_view hay(p, static_cast<std::size_t>(end - p));
    auto k = hay.find(key);
    if (k == std::string_view::npos) return NAN;
    double v = NAN;
    auto [ptr, ec] = std::from_chars(p + k + key.size(), end, v);
    return ec == std::errc() ? v : NAN;
}

class LoadClient {
public:
    LoadClient(int port, int first, int count, int sessions, long total)
        : port_(port), first_(first), sessions_(sessions), total_(total), rng_(std::random_device{}()) {
        epoll_ = epoll_create1(EPOLL_CLOEXEC);
        clients_.resize(static_cast<std::size_t>(count));
        const auto per_session = static_cast<std::size_t>(total / sessions + 1);
        for (int n = 0; n < count; ++n) {
            Client& c = clients_[static_cast<std::size_t>(n)];
            c.index = first + n;
            c.session = c.index % sessions;
            c.seen.assign(per_session, 0);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kStdinTag;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
    }

    // Runs until "close" on stdin (or stdin ends); returns the exit status.
    int Run() {
        StartMoreConnections();
        std::vector<epoll_event> events(512);
        while (!quit_) {
            int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1000);
            for (int i = 0; i < n; ++i) {
                if (events[static_cast<std::size_t>(i)].data.u64 == kStdinTag) {
                    ReadCommands();
                    continue;
                }
                Client& c = clients_[events[static_cast<std::size_t>(i)].data.u64];
                OnReady(c, events[static_cast<std::size_t>(i)].events);
            }
            if (!failed_ && !announced_ && connected_ == clients_.size()) {
                announced_ = true;
                Emit(R"({"type":"connected"})");
            }
        }
        for (Client& c : clients_) {
            if (c.state != State::kClosed) {
                static const unsigned char kClose[] = {0x88, 0x80, 0, 0, 0, 0};
                (void)!write(c.fd, kClose, sizeof kClose);
                close(c.fd);
            }
        }
        return 0;
    }

private:
    void Fail(const Client& c, std::string_view what) {
        ++totals_.connect_errors;
        if (failed_ || announced_) return;
        failed_ = true;
        Emit(R"({"type":"error","message":)" + JsonString("client " + std::to_string(c.index) + ": " +
                                                            std::string(what)) + "}");
    }

    void StartMoreConnections() {
        while (next_ < clients_.size() && next_ - connected_ - closed_early_ < kConnectWindow) {
            Client& c = clients_[next_];
            c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            int one = 1;
            setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(static_cast<std::uint16_t>(port_));
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
                Fail(c, std::string("connect: ") + std::strerror(errno));
                close(c.fd);
                c.state = State::kClosed;
                ++closed_early_;
                ++next_;
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.u64 = next_;
            epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
            ++next_;
        }
    }

    void OnReady(Client& c, std::uint32_t events) {
        if (c.state == State::kClosed) return;
        if (c.state == State::kConnecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) return End(c, std::string("connect: ") + std::strerror(err));
            if (!(events & EPOLLOUT)) return;
            c.state = State::kUpgrading;
            char key[24 + 1];
            RandomKey(key);
            Send(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                        "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        } else if ((events & EPOLLOUT) && !c.out.empty()) {
            Flush(c);
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) Receive(c);
    }

    void Receive(Client& c) {
        for (;;) {
            ssize_t n = read(c.fd, buf_, sizeof buf_);
            if (n > 0) {
                const char* p = buf_;
                std::size_t len = static_cast<std::size_t>(n);
                if (!c.in.empty()) {
                    c.in.append(buf_, len);
                    Parse(c, c.in.data(), c.in.size(), /*from_in=*/true);
                } else {
                    Parse(c, p, len, /*from_in=*/false);
                }
                if (c.state == State::kClosed || static_cast<std::size_t>(n) < sizeof buf_) return;
                continue;
            }
            if (n == 0) return End(c, "transport close");
            if (errno == EAGAIN || errno == EINTR) return;
            return End(c, std::string("transport error: ") + std::strerror(errno));
        }
    }

    // Consumes complete frames (or the HTTP answer) of [p, p+len); keeps the rest in c.in.
    void Parse(Client& c, const char* p, std::size_t len, bool from_in) {
        std::size_t i = 0;
        if (c.state == State::kUpgrading) {
            std::string_view all(p, len);
            auto end = all.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (!from_in) c.in.assign(p, len);
                return;
            }
            if (all.substr(0, 13) != "HTTP/1.1 101 ") return End(c, "upgrade refused: " + std::string(all.substr(0, all.find('\r'))));
            c.state = State::kOpen;
            i = end + 4;
        }
        while (len - i >= 2 && c.state == State::kOpen) {
            auto b0 = static_cast<std::uint8_t>(p[i]), b1 = static_cast<std::uint8_t>(p[i + 1]);
            if (b1 & 0x80) return End(c, "masked server frame");
            std::size_t size = b1 & 0x7f, head = 2;
            if (size == 126) {
                if (len - i < 4) break;
                size = (static_cast<std::size_t>(static_cast<std::uint8_t>(p[i + 2])) << 8) |
                       static_cast<std::uint8_t>(p[i + 3]);
                head = 4;
            } else if (size == 127) {
                if (len - i < 10) break;
                size = 0;
                for (int k = 0; k < 8; ++k) size = (size << 8) | static_cast<std::uint8_t>(p[i + 2 + k]);
                head = 10;
            }
            if (len - i < head + size) break;
            const char* payload = p + i + head;
            switch (b0 & 0x0f) {
                case 1: OnText(c, payload, payload + size); break;
                case 8: return End(c, "websocket close");
                case 9: SendFrame(c, 10, std::string_view(payload, size)); break;
                default: break;
            }
            i += head + size;
        }
        if (c.state == State::kClosed) return;
        if (from_in) {
            c.in.erase(0, i);
        } else if (i < len) {
            c.in.assign(p + i, len - i);
        }
    }

    void OnText(Client& c, const char* p, const char* end) {
        if (p == end) return;
        if (p[0] == '4' && end - p >= 2) {
            switch (p[1]) {
                case '2': return OnEvent(c, FieldAt(p, end, "\"seq\":"), FieldAt(p, end, "\"ts\":"));
                case '0':
                    if (!c.connected) {
                        c.connected = true;
                        ++connected_;
                        StartMoreConnections();
                    }
                    return;
                case '4': return End(c, "connect_error: " + std::string(p + 2, end));
                case '1': return End(c, "io server disconnect");
                default: return;
            }
        }
        if (p[0] == '2') return SendFrame(c, 1, "3");  // ping → pong
        if (p[0] == '0') return SendFrame(c, 1, "40{\"token\":\"bench-" + std::to_string(c.index) + "\"}");
        if (p[0] == '1') return End(c, "engine.io close");
    }

    void OnEvent(Client& c, double seq, double ts) {
        if (!std::isfinite(seq) || !std::isfinite(ts) || seq < 0 || seq >= static_cast<double>(total_) ||
            static_cast<long>(seq) % sessions_ != c.session) {
            ++totals_.malformed;
            return;
        }
        double lat = NowMs() - ts;
        long bucket = std::lround(lat / kBucketMs);
        totals_.hist[static_cast<std::size_t>(std::clamp<long>(bucket, 0, kBuckets))]++;
        ++totals_.received;
        auto slot = static_cast<std::size_t>(static_cast<long>(seq) / sessions_);
        if (c.seen[slot]) ++totals_.duplicates;
        else c.seen[slot] = 1;
    }

    void SendFrame(Client& c, int opcode, std::string_view payload) {
        std::string f;
        f += static_cast<char>(0x80 | opcode);
        if (payload.size() < 126) {
            f += static_cast<char>(0x80 | payload.size());
        } else {
            f += static_cast<char>(0x80 | 126);
            f += static_cast<char>(payload.size() >> 8);
            f += static_cast<char>(payload.size() & 0xff);
        }
        std::uint32_t mask = static_cast<std::uint32_t>(rng_());
        char m[4];
        std::memcpy(m, &mask, 4);
        f.append(m, 4);
        for (std::size_t k = 0; k < payload.size(); ++k) f += static_cast<char>(payload[k] ^ m[k & 3]);
        Send(c, f);
    }

    void Send(Client& c, std::string_view bytes) {
        c.out.append(bytes);
        Flush(c);
    }

    void Flush(Client& c) {
        while (!c.out.empty()) {
            ssize_t n = write(c.fd, c.out.data(), c.out.size());
            if (n > 0) {
                c.out.erase(0, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            return End(c, "write failed");
        }
        epoll_event ev{};
        ev.events = EPOLLIN | (c.out.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
        ev.data.u64 = static_cast<std::uint64_t>(c.index - first_);
        epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    }

    void End(Client& c, const std::string& why) {
        if (c.state == State::kClosed) return;
        if (!c.connected) Fail(c, why);
        else ++totals_.disconnects;
        if (!c.connected) ++closed_early_;
        c.state = State::kClosed;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
    }

    void RandomKey(char* out) {
        static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int k = 0; k < 21; ++k) out[k] = kB64[rng_() % 64];
        out[21] = kB64[rng_() % 4 * 16];  // 16 random bytes: the last sextet carries 2 bits
        out[22] = '=';
        out[23] = '=';
        out[24] = 0;
    }

    void ReadCommands() {
        char chunk[4096];
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n <= 0) {
            quit_ = true;
            return;
        }
        commands_.append(chunk, static_cast<std::size_t>(n));
        for (auto nl = commands_.find('\n'); nl != std::string::npos; nl = commands_.find('\n')) {
            std::string cmd = commands_.substr(0, nl);
            commands_.erase(0, nl + 1);
            if (cmd == "count") {
                Emit(R"({"type":"count","received":)" + std::to_string(totals_.received) +
                     R"(,"disconnects":)" + std::to_string(totals_.disconnects) + "}");
            } else if (cmd == "report") {
                Report();
            } else if (cmd == "close") {
                quit_ = true;
            }
        }
    }

    void Report() {
        std::uint64_t missing = 0, expected = 0;
        for (const Client& c : clients_) {
            for (long seq = c.session; seq < total_; seq += sessions_) {
                ++expected;
                if (!c.seen[static_cast<std::size_t>(seq / sessions_)]) ++missing;
            }
        }
        std::string line = R"({"type":"report","hist":[)";
        for (std::size_t k = 0; k < totals_.hist.size(); ++k) {
            if (k) line += ',';
            line += std::to_string(totals_.hist[k]);
        }
        line += "],\"received\":" + std::to_string(totals_.received) +
                ",\"duplicates\":" + std::to_string(totals_.duplicates) +
                ",\"disconnects\":" + std::to_string(totals_.disconnects) +
                ",\"connectErrors\":" + std::to_string(totals_.connect_errors) +
                ",\"malformed\":" + std::to_string(totals_.malformed) + ",\"missing\":" + std::to_string(missing) +
                ",\"expected\":" + std::to_string(expected) + "}";
        Emit(line);
    }

    int epoll_ = -1;
    int port_;
    int first_;
    int sessions_;
    long total_;
    std::mt19937_64 rng_;
    std::vector<Client> clients_;
    std::size_t next_ = 0;          // next client to start connecting
    std::size_t connected_ = 0;     // clients whose Socket.IO CONNECT was answered
    std::size_t closed_early_ = 0;  // clients that ended before connecting
    bool announced_ = false, failed_ = false, quit_ = false;
    Totals totals_;
    std::string commands_;
    char buf_[65536];
};

}  // namespace

int main(int argc, char** argv) {
    int port = 0, first = 0, count = 0, sessions = 1;
    long total = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view k = argv[i];
        if (k == "--port") port = std::atoi(argv[i + 1]);
        else if (k == "--first") first = std::atoi(argv[i + 1]);
        else if (k == "--count") count = std::atoi(argv[i + 1]);
        else if (k == "--sessions") sessions = std::atoi(argv[i + 1]);
        else if (k == "--total") total = std::atol(argv[i + 1]);
    }
    if (port <= 0 || count <= 0 || sessions <= 0 || total < 0) {
        std::fprintf(stderr, "usage: wadesk-bench-fanout-client --port P --first F --count N --sessions S --total T\n");
        return 2;
    }
    return LoadClient(port, first, count, sessions, total).Run();
}
