// Replays the fuzz_check corpus (fuzz/corpus/check) under the sanitizers of `make test`: every
// input kept there, findings included, stays a regression test. The target aborts when a clean
// check is followed by a failing read or commit, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

// The target itself, compiled into the test under a name of its own (fuzz_open's replay uses
// the libFuzzer name).
#define LLVMFuzzerTestOneInput FuzzCheckTestOneInput
#include "fuzz/fuzz_check.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(FuzzCorpusTest, CheckTargetReplaysCorpus) {
  const std::filesystem::path dir = std::filesystem::path(LARDER_SOURCE_DIR) / "fuzz/corpus/check";
  int n = 0;
  int clean = 0;  // inputs whose check passed, so that reads and a commit were held to it
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(
        FuzzCheckTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        0);
    clean += CheckReadOnly(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++n;
  }
  EXPECT_GT(n, 0) << "no corpus in " << dir;
  EXPECT_GT(clean, 0) << "no input in " << dir << " passes the check";
  std::cerr << "fuzz_check corpus: " << n << " inputs, " << clean << " pass the check\n";
}

}  // namespace
}  // namespace larder
