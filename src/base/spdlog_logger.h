// The spdlog logger behind base/logging.h's macros, for the programs that configure where the
// library's messages go (larderd's logfile and loglevel). Code that only logs includes
// base/logging.h instead.
//
// Thread-safety: as spdlog::logger's (sinks added before other threads log).
#ifndef LARDER_BASE_SPDLOG_LOGGER_H_
#define LARDER_BASE_SPDLOG_LOGGER_H_

#include <spdlog/logger.h>

namespace larder::internal {

// The library's logger ("larder", standard error, level off until SetLogLevel). Never destroyed:
// usable until exit.
spdlog::logger& Log();

}  // namespace larder::internal

#endif  // LARDER_BASE_SPDLOG_LOGGER_H_
