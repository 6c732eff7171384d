#include "base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "larder/logging.h"

namespace larder {
namespace internal {

spdlog::logger& Log() {
  static spdlog::logger* logger = [] {
    auto* l = new spdlog::logger("larder", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_level(spdlog::level::off);
    l->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [larder] [%l] %v");
    return l;
  }();  // never destroyed: usable until exit
  return *logger;
}

}  // namespace internal

void SetLogLevel(LogLevel level) {
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::debug, spdlog::level::info,
                                                       spdlog::level::warn, spdlog::level::err,
                                                       spdlog::level::off};
  internal::Log().set_level(kMap[static_cast<int>(level)]);
}

}  // namespace larder
