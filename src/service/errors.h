#pragma once
// The service layer's one failure type. It carries meaning, not HTTP: the REST layer maps each
// kind to a status (bad input 400, not found 404, forbidden 403, conflict 409, unprocessable 422,
// rate limited 429, unavailable 503). "Not visible to this user" is kNotFound, never kForbidden.
//
// Every failure the service throws names an ErrorCode; kErrorCodes gives each its API spelling
// (the "code" of the JSON error body) and its kind, so a throw site names the code alone.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/result.h"

namespace wadesk::service {

enum class FailureKind {
    kBadInput,
    kUnauthenticated,
    kForbidden,
    kNotFound,
    kConflict,
    kUnprocessable,
    kRateLimited,
    kUnavailable,
};

// In the order of kErrorCodes.
enum class ErrorCode {
    kInvalidField,
    kInvalidHistory,
    kInvalidParticipant,
    kInvalidQuery,
    kEmptyPatch,
    kInvalidCredentials,
    kInvalidToken,
    kUserDisabled,
    kForbidden,
    kNotGroupAdmin,
    kNotFound,
    kNotAGroup,
    kGroupNotFound,
    kEmailTaken,
    kClientMessageIdReused,
    kSessionLimitReached,
    kSessionAlreadyConnected,
    kSessionNotPairing,
    kNotGroupParticipant,
    kInvalidQuotedMessage,
    kInvalidAssignee,
    kRejectedByWhatsapp,
    kPhoneNotRegistered,
    kRateLimited,
    kSessionNotConnected,
    kStorageUnavailable,
    kEngineTimeout,
    kEngineUnavailable,
    // A failure the engine reported under a code service/engine.h does not document: the
    // ServiceError keeps the engine's own spelling as its API code, and the kind its thrower
    // chose (ServiceError's engine constructor). Never thrown by name.
    kUnlistedEngineCode,
};

struct ErrorCodeInfo {
    ErrorCode code;
    std::string_view api_name;  // as the JSON error body spells it
    FailureKind kind;
};

inline constexpr ErrorCodeInfo kErrorCodes[] = {
    {ErrorCode::kInvalidField, "invalid_field", FailureKind::kBadInput},
    {ErrorCode::kInvalidHistory, "invalid_history", FailureKind::kBadInput},
    {ErrorCode::kInvalidParticipant, "invalid_participant", FailureKind::kBadInput},
    {ErrorCode::kInvalidQuery, "invalid_query", FailureKind::kBadInput},
    {ErrorCode::kEmptyPatch, "empty_patch", FailureKind::kBadInput},
    {ErrorCode::kInvalidCredentials, "invalid_credentials", FailureKind::kUnauthenticated},
    {ErrorCode::kInvalidToken, "invalid_token", FailureKind::kUnauthenticated},
    {ErrorCode::kUserDisabled, "user_disabled", FailureKind::kUnauthenticated},
    {ErrorCode::kForbidden, "forbidden", FailureKind::kForbidden},
    {ErrorCode::kNotGroupAdmin, "not_group_admin", FailureKind::kForbidden},
    {ErrorCode::kNotFound, "not_found", FailureKind::kNotFound},
    {ErrorCode::kNotAGroup, "not_a_group", FailureKind::kNotFound},
    {ErrorCode::kGroupNotFound, "group_not_found", FailureKind::kNotFound},
    {ErrorCode::kEmailTaken, "email_taken", FailureKind::kConflict},
    {ErrorCode::kClientMessageIdReused, "client_message_id_reused", FailureKind::kConflict},
    {ErrorCode::kSessionLimitReached, "session_limit_reached", FailureKind::kConflict},
    {ErrorCode::kSessionAlreadyConnected, "session_already_connected", FailureKind::kConflict},
    {ErrorCode::kSessionNotPairing, "session_not_pairing", FailureKind::kConflict},
    {ErrorCode::kNotGroupParticipant, "not_group_participant", FailureKind::kConflict},
    {ErrorCode::kInvalidQuotedMessage, "invalid_quoted_message", FailureKind::kUnprocessable},
    {ErrorCode::kInvalidAssignee, "invalid_assignee", FailureKind::kUnprocessable},
    {ErrorCode::kRejectedByWhatsapp, "rejected_by_whatsapp", FailureKind::kUnprocessable},
    // WhatsApp does not know the number a pairing code was asked for.
    {ErrorCode::kPhoneNotRegistered, "phone_not_registered", FailureKind::kUnprocessable},
    {ErrorCode::kRateLimited, "rate_limited", FailureKind::kRateLimited},
    {ErrorCode::kSessionNotConnected, "session_not_connected", FailureKind::kUnavailable},
    {ErrorCode::kStorageUnavailable, "storage_unavailable", FailureKind::kUnavailable},
    {ErrorCode::kEngineTimeout, "engine_timeout", FailureKind::kUnavailable},
    {ErrorCode::kEngineUnavailable, "engine_unavailable", FailureKind::kUnavailable},
    {ErrorCode::kUnlistedEngineCode, "unlisted_engine_code", FailureKind::kUnprocessable},
};

constexpr bool ErrorCodesInEnumOrder() {
    for (std::size_t i = 0; i < std::size(kErrorCodes); ++i)
        if (kErrorCodes[i].code != static_cast<ErrorCode>(i)) return false;
    return std::size(kErrorCodes) == static_cast<std::size_t>(ErrorCode::kUnlistedEngineCode) + 1;
}
static_assert(ErrorCodesInEnumOrder(), "kErrorCodes must list every ErrorCode once, in enum order");

constexpr std::string_view ApiName(ErrorCode code) { return kErrorCodes[static_cast<std::size_t>(code)].api_name; }
constexpr FailureKind KindOf(ErrorCode code) { return kErrorCodes[static_cast<std::size_t>(code)].kind; }

// The ErrorCode of a failure code the engine documents (service/engine.h: "engine_unavailable",
// "engine_timeout", "session_not_pairing", "session_not_connected", "phone_not_registered");
// nullopt for any other, which a ServiceError then keeps as the engine spelled it.
inline std::optional<ErrorCode> EngineErrorCode(std::string_view engine_code) {
    for (ErrorCode code : {ErrorCode::kEngineUnavailable, ErrorCode::kEngineTimeout, ErrorCode::kSessionNotPairing,
                           ErrorCode::kSessionNotConnected, ErrorCode::kPhoneNotRegistered})
        if (ApiName(code) == engine_code) return code;
    return std::nullopt;
}

class ServiceError : public std::runtime_error {
public:
    ServiceError(ErrorCode code, const std::string& message, std::int64_t retry_after_s = 0)
        : std::runtime_error(message), code_(code), kind_(KindOf(code)), retry_after_s_(retry_after_s) {}
    // A failure the engine reported: a documented code (EngineErrorCode) becomes that ErrorCode
    // with its kind; any other becomes kUnlistedEngineCode of kind `unlisted_kind`, answered under
    // the engine's own spelling. The message is the engine's.
    ServiceError(const Error& engine_error, FailureKind unlisted_kind)
        : std::runtime_error(engine_error.message),
          code_(EngineErrorCode(engine_error.code).value_or(ErrorCode::kUnlistedEngineCode)),
          kind_(code_ == ErrorCode::kUnlistedEngineCode ? unlisted_kind : KindOf(code_)),
          unlisted_engine_code_(code_ == ErrorCode::kUnlistedEngineCode ? engine_error.code : std::string()),
          retry_after_s_(0) {}

    ErrorCode code() const noexcept { return code_; }
    // The "code" of the API's error body: ApiName(code()), or the engine's spelling of an
    // unlisted engine code.
    std::string_view api_code() const noexcept {
        return code_ == ErrorCode::kUnlistedEngineCode ? std::string_view(unlisted_engine_code_) : ApiName(code_);
    }
    FailureKind kind() const noexcept { return kind_; }
    std::int64_t retry_after_s() const noexcept { return retry_after_s_; }  // kRateLimited only

private:
    ErrorCode code_;
    FailureKind kind_;
    std::string unlisted_engine_code_;  // kUnlistedEngineCode only
    std::int64_t retry_after_s_;
};

}  // namespace wadesk::service
