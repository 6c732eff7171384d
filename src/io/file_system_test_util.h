// The file systems the io tests run their contract tests on: the POSIX one in a scratch
// directory, or a fresh in-memory one.
#ifndef LARDER_IO_FILE_SYSTEM_TEST_UTIL_H_
#define LARDER_IO_FILE_SYSTEM_TEST_UTIL_H_

#include <memory>
#include <string>

#include "larder/file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::test {

class TestFileSystem {
 public:
  explicit TestFileSystem(bool in_memory) {
    if (in_memory) {
      mem_ = NewMemFileSystem(1 << 24);
      fs_ = mem_.get();
      dir_ = "/mem";
    } else {
      fs_ = DefaultFileSystem();
      dir_ = tmp_.path();
    }
  }
  FileSystem* fs() const { return fs_; }
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  TempDir tmp_;
  std::unique_ptr<FileSystem> mem_;
  FileSystem* fs_ = nullptr;
  std::string dir_;
};

}  // namespace larder::test

#endif  // LARDER_IO_FILE_SYSTEM_TEST_UTIL_H_
