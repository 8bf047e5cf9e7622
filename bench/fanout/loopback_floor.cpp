// wadesk-bench-loopback-floor: what plain TCP over loopback costs on this machine, the floor
// under any fan-out server measured by fanout-bench.mjs. One process accepts N connections and
// writes one B-byte message to each of them, round after round, R rounds per second (paced,
// one send() per message); a forked reader process holds the other ends and reads them with
// epoll, one read() per ready socket. No protocol, no parsing: just the kernel's cost per write
// and per read, which both sides pay on the same cores.
//
// Usage: wadesk-bench-loopback-floor --connections N --rate R --seconds S --bytes B
// Prints one JSON line: {"connections","rate","bytes","writes","writes_per_s","writer_cpu_s",
// "us_per_write","reads","reader_cpu_s","us_per_read","seconds"}; writes_per_s below N×R means
// the writer could not keep up (it was CPU-bound).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

double CpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void Die(const char* what) {
    std::perror(what);
    std::exit(1);
}

struct ReaderResult {
    long reads = 0;
    double cpu_s = 0;
};

// The reader: connects `n` sockets to `addr`, then reads until every one is closed by the
// writer. CPU is counted from the first byte. Reports through `pipe_fd`.
[[noreturn]] void RunReader(const sockaddr_in& addr, int n, int pipe_fd) {
    int ep = epoll_create1(0);
    const int one = 1;
    for (int i = 0; i < n; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) Die("connect");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    static char buf[65536];
    ReaderResult r;
    double cpu0 = -1;
    int open = n;
    std::vector<epoll_event> events(512);
    while (open > 0) {
        int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        if (cpu0 < 0 && k > 0) cpu0 = CpuSeconds();
        for (int i = 0; i < k; ++i) {
            ssize_t got = read(events[static_cast<std::size_t>(i)].data.fd, buf, sizeof buf);
            if (got > 0) {
                ++r.reads;
            } else if (got == 0) {
                close(events[static_cast<std::size_t>(i)].data.fd);
                --open;
            }
        }
    }
    r.cpu_s = CpuSeconds() - cpu0;
    if (write(pipe_fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) Die("report");
    _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    int n = 2000, rate = 100, seconds = 10, bytes = 130;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view k = argv[i];
        int v = std::atoi(argv[i + 1]);
        if (k == "--connections") n = v;
        else if (k == "--rate") rate = v;
        else if (k == "--seconds") seconds = v;
        else if (k == "--bytes") bytes = v;
    }
    if (n <= 0 || rate <= 0 || seconds <= 0 || bytes <= 0 || bytes > 65536) {
        std::fprintf(stderr, "usage: wadesk-bench-loopback-floor --connections N --rate R --seconds S --bytes B\n");
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        Die("listen");
    int report[2];
    if (pipe(report) != 0) Die("pipe");
    pid_t reader = fork();
    if (reader == 0) RunReader(addr, n, report[1]);

    const int one = 1;
    std::vector<int> conns;
    for (int i = 0; i < n; ++i) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) Die("accept");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::string message(static_cast<std::size_t>(bytes), 'x');
    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    long writes = 0;
    const long rounds = static_cast<long>(rate) * seconds;
    for (long round = 0; round < rounds; ++round) {
        std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(static_cast<long long>(round * 1e9 / rate)));
        for (int fd : conns) {
            if (send(fd, message.data(), message.size(), MSG_NOSIGNAL) > 0) ++writes;
        }
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double writer_cpu = CpuSeconds() - cpu0;
    for (int fd : conns) close(fd);
    ReaderResult r;
    if (read(report[0], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) Die("reader report");
    waitpid(reader, nullptr, 0);
    std::printf(
        "{\"connections\":%d,\"rate\":%d,\"bytes\":%d,\"seconds\":%.2f,\"writes\":%ld,\"writes_per_s\":%.0f,"
        "\"writer_cpu_s\":%.2f,\"us_per_write\":%.2f,\"reads\":%ld,\"reader_cpu_s\":%.2f,\"us_per_read\":%.2f}\n",
        n, rate, bytes, elapsed, writes, static_cast<double>(writes) / elapsed, writer_cpu,
        writer_cpu / static_cast<double>(writes) * 1e6, r.reads, r.cpu_s,
        r.reads ? r.cpu_s / static_cast<double>(r.reads) * 1e6 : 0.0);
    return 0;
}
