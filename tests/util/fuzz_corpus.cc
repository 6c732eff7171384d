#include "tests/util/fuzz_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace larder::test {

int ReplayFuzzCorpus(const std::string& name, const FuzzTarget& target) {
  const std::filesystem::path dir = std::filesystem::path(LARDER_SOURCE_DIR) / "fuzz/corpus" / name;
  std::vector<std::filesystem::path> inputs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(path.filename().string());
    EXPECT_EQ(target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0);
  }
  EXPECT_FALSE(inputs.empty()) << "no corpus in " << dir << (ec ? ": " + ec.message() : "");
  return static_cast<int>(inputs.size());
}

}  // namespace larder::test
