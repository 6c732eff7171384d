// BackupGate: a FileSystemWrapper for tests that holds the creation of BGSAVE's copy (any file
// whose path contains "backup.db") until released, so that a test sees a BGSAVE in progress
// for as long as it needs, without timing.
//
// Thread-safety: Hold and Release from the test's thread; Open from any thread.
#ifndef LARDER_SERVER_BACKUP_GATE_FOR_TEST_H_
#define LARDER_SERVER_BACKUP_GATE_FOR_TEST_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "larder/file_system_wrapper.h"

namespace larder::server::testing {

class BackupGate : public FileSystemWrapper {
 public:
  explicit BackupGate(FileSystem* target) : FileSystemWrapper(target) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    if (o.create && path.find("backup.db") != std::string::npos) {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return open_; });
    }
    return FileSystemWrapper::Open(path, o);
  }
  // Later creations of the copy wait until Release.
  void Hold() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = false;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> l(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
};

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_BACKUP_GATE_FOR_TEST_H_
