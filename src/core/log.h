#pragma once
// Logging: spdlog behind one set-up call. Brief-style product lines are written as
//   spdlog::info("[WhatsApp] Session {} authorized as {}", id, phone);
// Secrets (keys, tokens, passwords, credentials) are never passed to a log call.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace wadesk {

enum class LogFormat { kText, kJson };

// Sets the default logger: level "trace|debug|info|warn|error|off", to stderr.
void InitLogging(std::string_view level, LogFormat format = LogFormat::kText);

// How much of a message's text the log lines show (WADESK_LOG_MESSAGE_TEXT): all of it, the
// first kMessageTextPreview characters (the default), or none.
enum class MessageTextLog { kFull, kPreview, kOff };
inline constexpr std::size_t kMessageTextPreview = 40;
void SetMessageTextLog(MessageTextLog mode);

// `text` as a log line may show it under the current MessageTextLog: whole; its first
// kMessageTextPreview characters (UTF-8 code points) followed by "..." when it is longer; or
// "[text not logged]". Control characters are escaped (\n, \r, \t, \xNN), so a message never
// spans or forges log lines.
std::string LoggedText(std::string_view text);

}  // namespace wadesk
