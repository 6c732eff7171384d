#include "tests/util/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "larder/bolt/db.h"
#include "tests/util/bolt_tree.h"

namespace larder::test {
namespace {

namespace fs = std::filesystem;

// A bolt file has a meta page at offset 0 and another one page later; either may be damaged,
// so look for the magic after the page header at 0 and at each possible page size.
bool LooksLikeBolt(const fs::path& p) {
  constexpr std::uint32_t kMagic = 0xED0CDAED;
  constexpr std::size_t kMagicOffset = 16;  // after the page header
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  for (std::uint64_t page = 0; page <= 65536; page = page == 0 ? 1024 : page * 2) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(page + kMagicOffset));
    std::array<char, 4> b{};
    if (!in.read(b.data(), b.size())) return false;
    std::uint32_t magic;
    std::memcpy(&magic, b.data(), 4);
    if (magic == kMagic) return true;
  }
  return false;
}

std::string Canonical(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "larder-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  path_ = made != nullptr ? std::string(made) : std::string();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  CheckBoltFiles();
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::MarkDamaged(const std::string& name_or_path) {
  const bool is_path = !name_or_path.empty() && name_or_path[0] == '/';
  damaged_.insert(Canonical(is_path ? name_or_path : File(name_or_path)));
}

int TempDir::CheckBoltFiles() const {
  int checked = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || !LooksLikeBolt(it->path())) continue;
    const std::string file = it->path().string();
    if (damaged_.count(Canonical(file)) != 0) continue;
    bolt::Options o;
    o.read_only = true;
    o.lock_timeout = std::chrono::milliseconds(50);
    auto db = bolt::DB::Open(file, o);
    if (!db.ok() && db.status().code() == Code::kBusy) continue;  // still open: cannot check
    ++checked;
    if (!db.ok()) {
      ADD_FAILURE() << "bolt file left by the test cannot be opened: " << file << ": "
                    << db.status().ToString() << " (TempDir::MarkDamaged exempts it)";
      continue;
    }
    std::vector<std::string> problems = CheckBolt(**db);
    if (!problems.empty()) {
      ADD_FAILURE() << "bolt file left by the test is inconsistent: " << file << ": "
                    << problems.size() << " problem(s), first: " << problems[0]
                    << " (TempDir::MarkDamaged exempts it)";
    }
  }
  return checked;
}

}  // namespace larder::test
