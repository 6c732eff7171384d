#include "larder/logging.h"

#include <gtest/gtest.h>

#include "base/logging.h"

namespace larder {
namespace {

TEST(LoggingTest, OffByDefaultAndSwitchable) {
  EXPECT_EQ(internal::Log().level(), spdlog::level::off);
  SetLogLevel(LogLevel::kWarn);
  EXPECT_TRUE(internal::Log().should_log(spdlog::level::err));
  EXPECT_FALSE(internal::Log().should_log(spdlog::level::info));
  SetLogLevel(LogLevel::kOff);
  EXPECT_FALSE(internal::Log().should_log(spdlog::level::err));
}

}  // namespace
}  // namespace larder
