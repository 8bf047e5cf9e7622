#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "http/json.h"

namespace wadesk::http {
namespace {

// A blocking loopback client speaking raw HTTP/1.1, so the test exercises the real server code
// over a real socket without sharing its HTTP implementation.
class RawClient {
public:
    explicit RawClient(unsigned short port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~RawClient() { ::close(fd_); }
    bool connected() const { return connected_; }

    void Send(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;
            off += static_cast<std::size_t>(n);
        }
    }

    // Reads one response (headers + Content-Length body). Empty string on EOF/timeout.
    std::string ReadResponse() {
        for (;;) {
            auto end = pending_.find("\r\n\r\n");
            if (end != std::string::npos) {
                std::size_t length = 0;
                auto cl = pending_.find("Content-Length: ");
                if (cl != std::string::npos && cl < end) length = std::stoul(pending_.substr(cl + 16));
                if (pending_.size() >= end + 4 + length) {
                    std::string out = pending_.substr(0, end + 4 + length);
                    pending_.erase(0, end + 4 + length);
                    return out;
                }
            }
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return "";
            pending_.append(buf, static_cast<std::size_t>(n));
        }
    }

    bool ClosedByPeer() {
        char c;
        return ::recv(fd_, &c, 1, 0) == 0;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    std::string pending_;
};

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ServerOptions options;
        options.port = 0;
        options.io_threads = 2;
        options.worker_threads = 2;
        options.body_limit = 1024;
        server = std::make_unique<Server>(options, [this](Request& req) {
            ++handled;
            std::string path;
            std::map<std::string, std::string> query;
            ParseTarget(req.target, path, query);
            return Ok(boost::json::object{{"method", req.method}, {"path", path}, {"bodySize", req.body.size()},
                                          {"ip", req.remote_ip}});
        });
        port = server->Listen();
        runner = std::thread([this] { server->Run(); });
    }
    void TearDown() override {
        server->Stop();
        runner.join();
    }
    std::unique_ptr<Server> server;
    unsigned short port = 0;
    std::thread runner;
    std::atomic<int> handled{0};
};

TEST_F(ServerTest, ListensOnARealPortAndAnswersJson) {
    EXPECT_NE(port, 0);
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    c.Send("GET /x/y?z=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    std::string r = c.ReadResponse();
    EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
    EXPECT_NE(r.find("application/json"), std::string::npos);
    EXPECT_NE(r.find(R"("path":"/x/y")"), std::string::npos) << r;
    EXPECT_NE(r.find(R"("ip":"127.0.0.1")"), std::string::npos) << r;
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    RawClient c(port);
    c.Send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\nPOST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    std::string a = c.ReadResponse();
    std::string b = c.ReadResponse();
    EXPECT_NE(a.find(R"("path":"/1")"), std::string::npos) << a;
    EXPECT_NE(b.find(R"("bodySize":5)"), std::string::npos) << b;
    EXPECT_EQ(handled.load(), 2);
}

TEST_F(ServerTest, OversizedBodyIs413WithoutReachingTheHandler) {
    RawClient c(port);
    c.Send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
    std::string r = c.ReadResponse();
    EXPECT_TRUE(r.starts_with("HTTP/1.1 413")) << r;
    EXPECT_NE(r.find(R"("code":"payload_too_large")"), std::string::npos) << r;
    EXPECT_EQ(handled.load(), 0);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
    RawClient c(port);
    std::string chunk(800, 'y');
    c.Send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk + "\r\n320\r\n" +
           chunk + "\r\n0\r\n\r\n");
    std::string r = c.ReadResponse();
    EXPECT_TRUE(r.starts_with("HTTP/1.1 413")) << r;
    EXPECT_EQ(handled.load(), 0);
}

TEST_F(ServerTest, GarbageGets400AndTheConnectionCloses) {
    RawClient c(port);
    c.Send("THIS IS NOT HTTP\r\n\r\n");
    std::string r = c.ReadResponse();
    EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << r;
    EXPECT_TRUE(c.ClosedByPeer());
}

// RFC 9112 §6.3: a request whose framing is not exactly "Content-Length" or "Transfer-Encoding:
// chunked" is refused with 400 and the connection closed, so that what the sender means as its
// body is never read as a second request on the same connection.
TEST_F(ServerTest, AmbiguousFramingIs400AndTheBodyIsNeverASecondRequest) {
    const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
    const std::string chunked_smuggle = std::to_string(smuggled.size()) + "\r\n" + smuggled + "\r\n0\r\n\r\n";
    const std::vector<std::string> heads = {
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
        "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
    };
    for (const std::string& head : heads) {
        RawClient c(port);
        ASSERT_TRUE(c.connected());
        const bool chunked_body = head.find("gzip") == std::string::npos && head.find("chunked") != std::string::npos;
        c.Send("POST /a HTTP/1.1\r\nHost: t\r\n" + head + "\r\n" + (chunked_body ? chunked_smuggle : smuggled));
        std::string r = c.ReadResponse();
        EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << head << r;
        EXPECT_NE(r.find("Connection: close"), std::string::npos) << head << r;
        EXPECT_TRUE(c.ClosedByPeer()) << head;
    }
    // HTTP/1.0 has no transfer codings: a chunked 1.0 request is framed wrongly too.
    RawClient old(port);
    old.Send("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_smuggle);
    std::string r = old.ReadResponse();
    EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << r;
    EXPECT_TRUE(old.ClosedByPeer());
    EXPECT_EQ(handled.load(), 0);
}

TEST_F(ServerTest, ChunkedRequestsStillWorkWithAnySpellingOfChunked) {
    RawClient c(port);
    c.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
           "POST /d HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:  chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    std::string a = c.ReadResponse();
    std::string b = c.ReadResponse();
    EXPECT_NE(a.find(R"("bodySize":5)"), std::string::npos) << a;
    EXPECT_NE(b.find(R"("bodySize":3)"), std::string::npos) << b;
    EXPECT_EQ(handled.load(), 2);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
    RawClient c(port);
    c.Send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(c.ReadResponse().starts_with("HTTP/1.1 200"));
    EXPECT_TRUE(c.ClosedByPeer());
}

// A deferred response (Response::deferred) holds no worker thread while it waits: with one
// worker, a second connection is served while the first waits, and the waiting connection gets
// its answer (and then serves more deferred requests) once `done` is called from another thread.
TEST(ServerDeferred, AWaitingRequestHoldsNoWorkerThread) {
    std::mutex mu;
    std::vector<Response::Done> waiting;
    ServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 1;
    Server server(options, [&](Request& req) {
        if (req.target != "/slow") return Ok(boost::json::object{{"twice", req.Header("x-twice")}});
        Response r;
        r.deferred = [&](Response::Done done) {
            std::lock_guard lock(mu);
            waiting.push_back(std::move(done));
        };
        return r;
    });
    unsigned short port = server.Listen();
    std::thread runner([&] { server.Run(); });
    auto take_waiting = [&] {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard lock(mu);
                if (!waiting.empty()) {
                    auto done = std::move(waiting.front());
                    waiting.clear();
                    return done;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return Response::Done();
    };

    RawClient slow(port);
    for (int round = 0; round < 2; ++round) {
        slow.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
        Response::Done done = take_waiting();
        ASSERT_TRUE(done) << "round " << round;
        RawClient fast(port);
        fast.Send("GET /fast HTTP/1.1\r\nHost: t\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n");
        std::string f = fast.ReadResponse();
        EXPECT_TRUE(f.starts_with("HTTP/1.1 200")) << f;
        // A repeated header keeps both values (Request::AddHeader).
        EXPECT_NE(f.find(R"("twice":"a, b")"), std::string::npos) << f;
        std::thread([done = std::move(done), round] {
            done(Ok(boost::json::object{{"round", round}}));
        }).join();
        std::string r = slow.ReadResponse();
        EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
        EXPECT_NE(r.find("\"round\":" + std::to_string(round)), std::string::npos) << r;
    }
    server.Stop();
    runner.join();
}

TEST(ServerLifecycle, StopReturnsFromRunAndFreesThePort) {
    ServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    Server server(options, [](Request&) { return Ok(nullptr); });
    unsigned short port = server.Listen();
    std::thread t([&] { server.Run(); });
    {
        RawClient c(port);
        c.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        EXPECT_TRUE(c.ReadResponse().starts_with("HTTP/1.1 200"));
    }
    server.Stop();
    t.join();
    RawClient after(port);
    EXPECT_FALSE(after.connected());
}

}  // namespace
}  // namespace wadesk::http
