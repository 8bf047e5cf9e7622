#pragma once
// The free helpers the services' files share (login.cpp, managers.cpp, sessions.cpp, access.cpp,
// chats.cpp, send.cpp, stats.cpp, inbound.cpp, ...): failures, input checks, status sets and
// WhatsApp id helpers. Only for service/*.cpp; the shared checks that need the store or the
// views are ServiceContext's (service_context.h).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "auth/email.h"
#include "auth/token_authenticator.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/text.h"
#include "domain/model.h"
#include "service/errors.h"

namespace wadesk::service {

inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
inline const std::vector<domain::SessionStatus> kAllStatuses(std::begin(domain::kAllSessionStatuses),
                                                             std::end(domain::kAllSessionStatuses));

[[noreturn]] inline void Fail(ErrorCode code, const std::string& message) {
    throw ServiceError(code, message);
}

[[noreturn]] inline void NotFound(const std::string& what) { Fail(ErrorCode::kNotFound, what + " not found"); }

// `s` without the blanks around it (names and texts as users type them).
inline std::string Trim(const std::string& s) { return std::string(TrimAscii(s)); }

inline void ValidateEmail(const std::string& email) {
    auto at = email.find('@');
    if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= email.size() ||
        email.find('@', at + 1) != std::string::npos ||
        std::any_of(email.begin(), email.end(), [](unsigned char c) { return c <= ' '; }))
        Fail(ErrorCode::kInvalidField, "field 'email' must be an email address");
}

// The mark of a sign-out of `u` now: the next whole second after now, or after its current mark
// when that is later (a token issued right after the current mark carries it as its "iat", so a
// second sign-out in the same second must pass it).
inline std::int64_t NextSignOutMark(const domain::User& u) { return auth::SignOutMark(std::max(NowMs(), u.tokens_valid_after)); }

// The stored spelling of an email given to us (auth::NormaliseEmail), validated.
inline std::string StoredEmail(const std::string& email) {
    auto normalised = auth::NormaliseEmail(email);
    if (!normalised) Fail(ErrorCode::kInvalidField, "field 'email' must be an email address");
    ValidateEmail(*normalised);
    return *normalised;
}

inline void ValidatePassword(const std::string& password) {
    if (password.size() < 8 || password.size() > 256)
        Fail(ErrorCode::kInvalidField, "field 'password' must be 8 to 256 characters");
}

inline void ValidateName(const std::string& name, std::size_t max = 200) {
    if (name.size() > max)
        Fail(ErrorCode::kInvalidField, "field 'name' must be at most " + std::to_string(max) + " bytes");
}

inline bool IsLive(domain::SessionStatus status) {
    return status == domain::SessionStatus::kConnected || status == domain::SessionStatus::kReconnecting;
}

// A new WhatsApp message id as WhatsApp Web makes them: "3EB0" + 18 uppercase hex digits.
inline std::string NewWaMessageId() {
    std::string hex = ToHex(RandomBytes(9));
    for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "3EB0" + hex;
}

// "user:device@server" -> "user@server".
inline std::string UserJid(const std::string& jid) {
    const auto at = jid.find('@');
    const auto colon = jid.find(':');
    if (at == std::string::npos || colon == std::string::npos || colon > at) return jid;
    return jid.substr(0, colon) + jid.substr(at);
}

// Bounds of the read receipts of one mark-read and of one reconnect flush.
inline constexpr int kMaxReadReceiptIds = 200;
inline constexpr int kMaxFlushMessages = 500;

}  // namespace wadesk::service
