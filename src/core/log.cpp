#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace wadesk {

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

}  // namespace wadesk
