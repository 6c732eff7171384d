// Internal logging macros. The message is formatted with fmt only when its level is enabled and
// handed to one non-template sink (logging.cc, over spdlog), so a file that logs does not
// instantiate spdlog's templates: that kept every logging file at 20-30 s of a sanitizer build.
//
// Thread-safety: the macros may be used from any thread.
#ifndef LARDER_BASE_LOGGING_H_
#define LARDER_BASE_LOGGING_H_

#include <fmt/core.h>

#include <string_view>

#include "larder/logging.h"

namespace larder::internal {

// True when a message at `level` would be written (SetLogLevel, or larderd's loglevel).
bool LogEnabled(LogLevel level);
// Writes one formatted message at `level` to the library's logger.
void LogMessage(LogLevel level, std::string_view message);

template <typename... Args>
void LogFormat(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (!LogEnabled(level)) return;
  LogMessage(level, fmt::vformat(format, fmt::make_format_args(args...)));
}

}  // namespace larder::internal

#define LARDER_LOG_DEBUG(...) ::larder::internal::LogFormat(::larder::LogLevel::kDebug, __VA_ARGS__)
#define LARDER_LOG_INFO(...) ::larder::internal::LogFormat(::larder::LogLevel::kInfo, __VA_ARGS__)
#define LARDER_LOG_WARN(...) ::larder::internal::LogFormat(::larder::LogLevel::kWarn, __VA_ARGS__)
#define LARDER_LOG_ERROR(...) ::larder::internal::LogFormat(::larder::LogLevel::kError, __VA_ARGS__)

#endif  // LARDER_BASE_LOGGING_H_
