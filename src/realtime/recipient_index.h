#pragma once
// Who receives an event: live subscribers (sockets) indexed by company → user, and, per company,
// the users that pass the delivery rule for each session, cached while neither the subscriber set
// nor AccessView::Version() changes. Grants, revokes and user changes bump the view's version in
// the same moment they commit, so the next event is routed by the new rights; an unversioned
// view (Version() == 0) is asked once per user per event. Admins need no CanRead; whatsapp:qr
// goes to admins only; users the view reports inactive are returned apart so the caller closes
// their subscribers. Costs per event: one lookup when cached, one CanRead per manager user of
// the company when not — never a check per subscriber.
//
// Thread-safe. The registry lock is held only to copy a snapshot pointer; the route cache has its
// own lock and never waits on a subscriber. `Sub` is opaque to the index.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/principal.h"
#include "service/access_view.h"
#include "domain/model.h"

namespace wadesk::realtime {

template <class Sub>
class RecipientIndex {
public:
    // One user's live subscribers. Immutable once published.
    struct Group {
        auth::Principal principal;
        std::vector<std::shared_ptr<Sub>> subs;
    };
    using GroupPtr = std::shared_ptr<const Group>;
    using GroupList = std::vector<GroupPtr>;

    struct Recipients {
        std::shared_ptr<const GroupList> deliver;  // never null
        GroupList inactive;                        // users to disconnect (found while routing)
    };

    // Adds `sub` under `who` (its company and user). Sockets of one user that authenticated
    // with different roles (a role change between connects) form separate groups.
    void Add(const auth::Principal& who, std::shared_ptr<Sub> sub) {
        {
            std::lock_guard lock(hub_mu_);
            auto& slot = by_company_[who.company_id];
            auto next = std::make_shared<Company>();
            next->epoch = next_epoch_++;
            bool placed = false;
            if (slot) {
                next->users.reserve(slot->users.size() + 1);
                for (const auto& g : slot->users) {
                    if (!placed && g->principal.user_id == who.user_id && g->principal.role == who.role) {
                        auto grown = std::make_shared<Group>(*g);
                        grown->subs.push_back(sub);
                        next->users.push_back(std::move(grown));
                        placed = true;
                    } else {
                        next->users.push_back(g);
                    }
                }
            }
            if (!placed) next->users.push_back(std::make_shared<const Group>(Group{who, {std::move(sub)}}));
            slot = std::move(next);
            count_.fetch_add(1, std::memory_order_relaxed);
        }
        DropRoutes(who.company_id);
    }

    // Removes `sub` (added under company_id/user_id). False when it was not there.
    bool Remove(const std::string& company_id, const std::string& user_id, const Sub* sub) {
        bool removed = false;
        {
            std::lock_guard lock(hub_mu_);
            auto it = by_company_.find(company_id);
            if (it == by_company_.end()) return false;
            auto next = std::make_shared<Company>();
            next->users.reserve(it->second->users.size());
            for (const auto& g : it->second->users) {
                if (removed || g->principal.user_id != user_id) {
                    next->users.push_back(g);
                    continue;
                }
                auto shrunk = std::make_shared<Group>();
                shrunk->principal = g->principal;
                for (const auto& s : g->subs) {
                    if (s.get() == sub) removed = true;
                    else shrunk->subs.push_back(s);
                }
                if (!shrunk->subs.empty()) next->users.push_back(std::move(shrunk));
            }
            if (!removed) return false;
            count_.fetch_sub(1, std::memory_order_relaxed);
            if (next->users.empty()) {
                by_company_.erase(it);
            } else {
                next->epoch = next_epoch_++;
                it->second = std::move(next);
            }
        }
        DropRoutes(company_id);
        return true;
    }

    // The recipients of `event` under the delivery rule of SPEC §5, as of now.
    Recipients Resolve(const service::AccessView& access, const domain::Event& event) {
        Recipients out;
        std::shared_ptr<const Company> company;
        {
            std::lock_guard lock(hub_mu_);
            auto it = by_company_.find(event.company_id);
            if (it != by_company_.end()) company = it->second;
        }
        if (!company) {
            out.deliver = Empty();
            return out;
        }
        const bool qr = event.name == "whatsapp:qr";
        const std::uint64_t version = access.Version();
        if (version == 0) {
            out.deliver = Build(access, *company, event.session_id, qr, out.inactive);
            return out;
        }
        std::lock_guard lock(routes_mu_);
        auto& routes = routes_[event.company_id];
        if (routes.epoch != company->epoch || routes.version != version) {
            routes.epoch = company->epoch;
            routes.version = version;
            routes.by_session.clear();
            routes.qr.reset();
        }
        std::shared_ptr<const GroupList>& slot = qr ? routes.qr : routes.by_session[event.session_id];
        if (!slot) slot = Build(access, *company, event.session_id, qr, out.inactive);
        out.deliver = slot;
        return out;
    }

    void Clear() {
        {
            std::lock_guard lock(hub_mu_);
            by_company_.clear();
            count_.store(0, std::memory_order_relaxed);
        }
        std::lock_guard lock(routes_mu_);
        routes_.clear();
    }

    std::size_t Count() const { return count_.load(std::memory_order_relaxed); }

private:
    struct Company {
        std::uint64_t epoch = 0;
        std::vector<GroupPtr> users;
    };
    struct Routes {
        std::uint64_t epoch = 0, version = 0;
        std::unordered_map<std::string, std::shared_ptr<const GroupList>> by_session;
        std::shared_ptr<const GroupList> qr;
    };

    static std::shared_ptr<const GroupList> Empty() {
        static const auto empty = std::make_shared<const GroupList>();
        return empty;
    }

    // One IsActive per user, one CanRead per active manager (none for whatsapp:qr).
    static std::shared_ptr<const GroupList> Build(const service::AccessView& access, const Company& company,
                                                  const std::string& session_id, bool qr, GroupList& inactive) {
        auto list = std::make_shared<GroupList>();
        for (const auto& g : company.users) {
            if (!access.IsActive(g->principal.user_id)) {
                inactive.push_back(g);
                continue;
            }
            bool admin = g->principal.IsAdmin();
            if (qr ? admin : (admin || access.CanRead(g->principal, session_id))) list->push_back(g);
        }
        return list;
    }

    void DropRoutes(const std::string& company_id) {
        std::lock_guard lock(routes_mu_);
        routes_.erase(company_id);
    }

    std::mutex hub_mu_;
    std::unordered_map<std::string, std::shared_ptr<const Company>> by_company_;
    std::uint64_t next_epoch_ = 1;  // guarded by hub_mu_
    std::atomic<std::size_t> count_{0};

    std::mutex routes_mu_;
    std::unordered_map<std::string, Routes> routes_;
};

}  // namespace wadesk::realtime
