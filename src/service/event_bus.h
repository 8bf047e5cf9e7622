#pragma once
// The in-process event bus. The service layer publishes every event after the store has
// assigned its id (store::Repository::AppendEvent); the realtime server subscribes and fans
// events out to sockets under the permission rules of SPEC §5.
//
// Contract:
// - Publish() calls every subscriber synchronously on the publishing thread, in subscription
//   order, with events in the order they were published. Subscribers must not block: they copy
//   what they need and hand it to their own queues.
// - Subscribe() returns a handle; the subscription ends when the handle is destroyed.
// - Thread-safe: publish and (un)subscribe from any thread, except that a handler must not
//   destroy a Subscription (the bus lock is held while handlers run).
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "domain/model.h"

namespace wadesk::service {

class EventBus {
public:
    using Handler = std::function<void(const domain::Event&)>;

    class Subscription {
    public:
        Subscription() = default;
        Subscription(Subscription&&) noexcept = default;
        Subscription& operator=(Subscription&&) noexcept = default;
        ~Subscription();

    private:
        friend class EventBus;
        Subscription(std::weak_ptr<EventBus*> bus, std::uint64_t id) : bus_(std::move(bus)), id_(id) {}
        std::weak_ptr<EventBus*> bus_;
        std::uint64_t id_ = 0;
    };

    EventBus();
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    [[nodiscard]] Subscription Subscribe(Handler handler);
    void Publish(const domain::Event& event);

private:
    void Unsubscribe(std::uint64_t id);

    std::shared_ptr<EventBus*> self_;  // lets a Subscription outlive the bus safely
    std::mutex mutex_;                 // guards handlers_ and next_id_; held while publishing
    std::vector<std::pair<std::uint64_t, Handler>> handlers_;
    std::uint64_t next_id_ = 1;
};

}  // namespace wadesk::service
