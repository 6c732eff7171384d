#include "larder/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "base/logging.h"
#include "base/spdlog_logger.h"

namespace larder {
namespace {

TEST(LoggingTest, OffByDefaultAndSwitchable) {
  EXPECT_EQ(internal::Log().level(), spdlog::level::off);
  SetLogLevel(LogLevel::kWarn);
  EXPECT_TRUE(internal::Log().should_log(spdlog::level::err));
  EXPECT_FALSE(internal::Log().should_log(spdlog::level::info));
  EXPECT_TRUE(internal::LogEnabled(LogLevel::kWarn));
  EXPECT_FALSE(internal::LogEnabled(LogLevel::kInfo));
  SetLogLevel(LogLevel::kOff);
  EXPECT_FALSE(internal::Log().should_log(spdlog::level::err));
  EXPECT_FALSE(internal::LogEnabled(LogLevel::kError));
}

TEST(LoggingTest, MacrosFormatOnlyEnabledLevels) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%l %v");
  internal::Log().sinks().push_back(sink);
  SetLogLevel(LogLevel::kInfo);
  LARDER_LOG_INFO("opened {} with {} tables", "db", 3);
  LARDER_LOG_DEBUG("not written {}", 1);
  LARDER_LOG_ERROR("failed: {}", std::string("disk full"));
  SetLogLevel(LogLevel::kOff);
  internal::Log().sinks().pop_back();
  EXPECT_EQ(out.str(), "info opened db with 3 tables\nerror failed: disk full\n");
}

}  // namespace
}  // namespace larder
