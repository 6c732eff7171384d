// A scratch directory for one test, removed with everything in it when the object dies.
//
// Before removing it, the destructor runs the bolt consistency check (Tx::Check, as bbolt's test
// helper runs Check after each test) on every bolt file under the directory, and fails the
// running test (a gtest non-fatal failure) when one cannot be opened or is inconsistent. A test
// that damages a file on purpose names it with MarkDamaged. Files still locked by an open
// database are skipped: close databases before the TempDir dies (declare it first).
#ifndef LARDER_TESTS_UTIL_TEMP_DIR_H_
#define LARDER_TESTS_UTIL_TEMP_DIR_H_

#include <filesystem>  // tests use std::filesystem on the paths it gives
#include <set>
#include <string>

namespace larder::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Exempts a file (a name under the directory, or a path) from the check at destruction.
  void MarkDamaged(const std::string& name_or_path);
  // Checks every bolt file under the directory now; returns how many were checked. Reports
  // problems as the destructor does.
  int CheckBoltFiles() const;

 private:
  std::string path_;
  std::set<std::string> damaged_;  // canonical paths
};

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_TEMP_DIR_H_
