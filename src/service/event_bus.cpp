#include "service/event_bus.h"

#include <algorithm>

namespace wadesk::service {

EventBus::Subscription::~Subscription() {
    if (auto bus = bus_.lock()) (*bus)->Unsubscribe(id_);
}

EventBus::EventBus() : self_(std::make_shared<EventBus*>(this)) {}

EventBus::~EventBus() = default;

EventBus::Subscription EventBus::Subscribe(Handler handler) {
    std::lock_guard lock(mutex_);
    std::uint64_t id = next_id_++;
    handlers_.emplace_back(id, std::move(handler));
    return Subscription(self_, id);
}

void EventBus::Publish(const domain::Event& event) {
    // Held for the whole fan-out so that subscribers see one global order of events.
    std::lock_guard lock(mutex_);
    for (auto& [id, handler] : handlers_) handler(event);
}

void EventBus::Unsubscribe(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(handlers_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace wadesk::service
