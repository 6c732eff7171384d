// Replays every libFuzzer corpus input under the sanitizers of `make test`, so that a finding
// kept in fuzz/corpus stays a regression test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/fuzz_open.cc"  // NOLINT: the target itself, compiled into the test

namespace larder {
namespace {

TEST(FuzzCorpusTest, OpenTargetReplaysCorpus) {
  const std::filesystem::path dir = std::filesystem::path(LARDER_SOURCE_DIR) / "fuzz/corpus/open";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        0);
    ++n;
  }
  EXPECT_GT(n, 0) << "no corpus in " << dir;
}

}  // namespace
}  // namespace larder
