#include "tools/larder/progress.h"

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace larder::cli {
namespace {

TEST(ProgressBarTest, RendersBarPercentAndAmounts) {
  EXPECT_EQ(ProgressBar::Render("check", 512, 1024, ProgressBar::Unit::kCount),
            "check [###############...............]  50% 512/1024");
  EXPECT_EQ(ProgressBar::Render("backup", 3 << 20, 3 << 20, ProgressBar::Unit::kBytes),
            "backup [##############################] 100% 3.0 MiB/3.0 MiB");
  EXPECT_EQ(ProgressBar::Render("export", 7, 0, ProgressBar::Unit::kCount), "export 7");
  // Progress past the total (a file that grew) is clamped.
  EXPECT_EQ(ProgressBar::Render("x", 20, 10, ProgressBar::Unit::kCount),
            "x [##############################] 100% 10/10");
}

TEST(ProgressBarTest, SilentWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("check", 100, ProgressBar::Unit::kCount, f);
    EXPECT_FALSE(bar.enabled());
    for (int i = 0; i <= 100; ++i) bar.Update(i);
    bar.Finish();
  }
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
}

TEST(ProgressBarTest, DrawsAndErasesOnATerminal) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::FILE* out = ::fdopen(slave, "w");
  ASSERT_NE(out, nullptr);
  {
    ProgressBar bar("compact", 4, ProgressBar::Unit::kCount, out);
    EXPECT_TRUE(bar.enabled());
    bar.Update(2);
  }  // the destructor finishes: final state, then the line is erased
  std::fclose(out);
  std::string seen;
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(master, buf, sizeof buf)) > 0) seen.append(buf, static_cast<std::size_t>(n));
  ::close(master);
  EXPECT_TRUE(seen.starts_with("\rcompact [")) << seen;
  EXPECT_NE(seen.find("100% 4/4"), std::string::npos) << seen;
  EXPECT_TRUE(seen.ends_with("\r\033[K")) << seen;
}

}  // namespace
}  // namespace larder::cli
