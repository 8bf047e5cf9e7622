#pragma once
// Logging: spdlog behind one set-up call. Brief-style product lines are written as
//   spdlog::info("[WhatsApp] Session {} authorized as {}", id, phone);
// Secrets (keys, tokens, passwords, credentials) are never passed to a log call.
#include <spdlog/spdlog.h>

#include <string_view>

namespace wadesk {

enum class LogFormat { kText, kJson };

// Sets the default logger: level "trace|debug|info|warn|error|off", to stderr.
void InitLogging(std::string_view level, LogFormat format = LogFormat::kText);

}  // namespace wadesk
