#include "auth/password_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "auth/password.h"

namespace wadesk::auth {

PasswordPool::PasswordPool(unsigned threads, unsigned queue) : capacity_(std::size_t{threads} + queue) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { Run(); });
}

PasswordPool::~PasswordPool() { Stop(); }

void PasswordPool::Stop() {
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(jobs_);
        admitted_ -= dropped.size();
    }
    wake_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    // `dropped` goes here, on the caller's thread, after the pool threads are gone.
}

bool PasswordPool::TryVerify(std::string password, std::string encoded, std::function<void(bool)> done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || admitted_ >= capacity_) {
            ++refused_;
            return false;
        }
        ++admitted_;
        jobs_.emplace_back([password = std::move(password), encoded = std::move(encoded), done = std::move(done)] {
            bool ok = false;
            if (encoded.empty()) BurnPasswordCheck(password);
            else ok = VerifyPassword(password, encoded);
            done(ok);
        });
    }
    wake_.notify_one();
    return true;
}

void PasswordPool::Run() {
    // Linux gives each thread its own nice value; failing to lower it changes nothing else.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
        std::lock_guard lock(mutex_);
        --admitted_;
    }
}

std::size_t PasswordPool::Admitted() const {
    std::lock_guard lock(mutex_);
    return admitted_;
}

std::size_t PasswordPool::Refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

}  // namespace wadesk::auth
