#pragma once
// The live permission view: what each user may do on each session right now. Held in memory
// and updated in the same moment a grant, revoke, user change or session deletion commits, so
// REST checks and the realtime fan-out see a change at once. Never blocks on the database;
// safe to call from any thread, including I/O threads.
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/principal.h"

namespace wadesk::service {

class AccessView {
public:
    virtual ~AccessView() = default;
    // Admins of the session's company: always true. Managers: the grant's flag. Sessions of
    // another company, unknown sessions, disabled or deleted users: false.
    virtual bool CanRead(const auth::Principal& who, std::string_view session_id) const = 0;
    virtual bool CanWrite(const auth::Principal& who, std::string_view session_id) const = 0;
    virtual bool CanManageChats(const auth::Principal& who, std::string_view session_id) const = 0;
    // False once the user is disabled or deleted: live sockets of that user are closed.
    virtual bool IsActive(std::string_view user_id) const = 0;
    // A counter that changes before any mutation that may change an answer above returns, so a
    // caller may cache answers keyed by it. 0 means unversioned: answers must not be cached.
    virtual std::uint64_t Version() const { return 0; }
};

}  // namespace wadesk::service
