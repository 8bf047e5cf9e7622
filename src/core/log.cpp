#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>

namespace wadesk {

namespace {
std::atomic<MessageTextLog> g_message_text{MessageTextLog::kPreview};
}  // namespace

void InitLogging(std::string_view level, LogFormat format) {
    auto logger = spdlog::stderr_logger_mt("wadesk");
    if (format == LogFormat::kJson) {
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","thread":%t,"msg":"%v"})",
                            spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(std::string(level)));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

void SetMessageTextLog(MessageTextLog mode) { g_message_text.store(mode, std::memory_order_relaxed); }

std::string LoggedText(std::string_view text) {
    const MessageTextLog mode = g_message_text.load(std::memory_order_relaxed);
    if (mode == MessageTextLog::kOff) return "[text not logged]";
    std::string out;
    out.reserve(text.size() + 8);
    std::size_t characters = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool starts_character = (c & 0xC0) != 0x80;
        if (starts_character && mode == MessageTextLog::kPreview && characters++ == kMessageTextPreview) {
            out += "...";
            break;
        }
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace wadesk
