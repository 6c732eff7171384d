#include "base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "base/spdlog_logger.h"

namespace larder {
namespace internal {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::debug, spdlog::level::info,
                                                       spdlog::level::warn, spdlog::level::err,
                                                       spdlog::level::off};
  return kMap[static_cast<int>(level)];
}

}  // namespace

spdlog::logger& Log() {
  static spdlog::logger* logger = [] {
    auto* l = new spdlog::logger("larder", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_level(spdlog::level::off);
    l->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [larder] [%l] %v");
    return l;
  }();  // never destroyed: usable until exit
  return *logger;
}

bool LogEnabled(LogLevel level) { return Log().should_log(ToSpdlog(level)); }

void LogMessage(LogLevel level, std::string_view message) {
  Log().log(ToSpdlog(level), spdlog::string_view_t(message.data(), message.size()));
}

}  // namespace internal

void SetLogLevel(LogLevel level) { internal::Log().set_level(internal::ToSpdlog(level)); }

}  // namespace larder
