// Internal logging macros over spdlog. The logger exists from the first use, with level off.
#ifndef LARDER_BASE_LOGGING_H_
#define LARDER_BASE_LOGGING_H_

#include <spdlog/spdlog.h>

namespace larder::internal {
// The library's logger ("larder", standard error, level off until SetLogLevel).
spdlog::logger& Log();
}  // namespace larder::internal

#define LARDER_LOG_DEBUG(...) ::larder::internal::Log().debug(__VA_ARGS__)
#define LARDER_LOG_INFO(...) ::larder::internal::Log().info(__VA_ARGS__)
#define LARDER_LOG_WARN(...) ::larder::internal::Log().warn(__VA_ARGS__)
#define LARDER_LOG_ERROR(...) ::larder::internal::Log().error(__VA_ARGS__)

#endif  // LARDER_BASE_LOGGING_H_
