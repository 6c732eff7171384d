// GateFileSystem: a FileSystemWrapper that holds chosen calls (reads or syncs of chosen files)
// until the test releases them, so a test can stop an engine's thread mid-operation (a
// compaction reading its inputs, a sync of a log) and check what other threads can do
// meanwhile.
//
// Thread-safety: every method is thread-safe. A held call returns once Release is called; the
// test must Release before the gate is destroyed.
#ifndef LARDER_TESTS_UTIL_GATE_FILE_SYSTEM_H_
#define LARDER_TESTS_UTIL_GATE_FILE_SYSTEM_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "larder/file_system_wrapper.h"

namespace larder::test {

// The paths (dir + "/" + name) of the files in `dir` whose names end with `suffix`, for a test
// that holds calls on an engine's files by kind (".sst", ".vlog"); empty when `dir` cannot be
// listed.
inline std::set<std::string> FilesEndingWith(FileSystem* fs, const std::string& dir,
                                             std::string_view suffix) {
  std::set<std::string> found;
  Result<std::vector<std::string>> names = fs->ListDir(dir);
  if (!names.ok()) return found;
  for (const std::string& n : *names) {
    if (n.ends_with(suffix)) found.insert(dir + "/" + n);
  }
  return found;
}

class GateFileSystem final : public FileSystemWrapper {
 public:
  enum class Call { kRead, kSync };

  // REQUIRES: target outlives this object and every File it opens.
  explicit GateFileSystem(FileSystem* target) : FileSystemWrapper(target) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, target()->Open(path, o));
    return std::unique_ptr<File>(new GatedFile(std::move(f), this));
  }

  // From now on, holds every `call` on a file whose path is in `paths` (replacing the last
  // choice).
  void Hold(Call call, std::set<std::string> paths) {
    std::lock_guard l(mu_);
    call_ = call;
    paths_ = std::move(paths);
  }
  // Waits until a call is held; false when none came within a minute (a bound that only turns
  // a hang into a test failure).
  bool WaitUntilHolding() {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return holding_ > 0; });
  }
  // How many calls are held now.
  int holding() {
    std::lock_guard l(mu_);
    return holding_;
  }
  // Lets the held calls go on and holds nothing more.
  void Release() {
    std::lock_guard l(mu_);
    paths_.clear();
    cv_.notify_all();
  }

 private:
  class GatedFile final : public FileWrapper {
   public:
    GatedFile(std::unique_ptr<File> f, GateFileSystem* gate)
        : FileWrapper(std::move(f)), gate_(gate) {}
    Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) override {
      gate_->MaybeHold(Call::kRead, path());
      return FileWrapper::ReadAt(offset, buf);
    }
    Status Sync() override {
      gate_->MaybeHold(Call::kSync, path());
      return FileWrapper::Sync();
    }
    Status SyncAll() override {
      gate_->MaybeHold(Call::kSync, path());
      return FileWrapper::SyncAll();
    }

   private:
    GateFileSystem* gate_;
  };

  void MaybeHold(Call call, const std::string& path) {
    std::unique_lock l(mu_);
    auto held = [&] { return call_ == call && paths_.count(path) != 0; };
    if (!held()) return;
    ++holding_;
    cv_.notify_all();
    cv_.wait(l, [&] { return !held(); });
    --holding_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  Call call_ = Call::kRead;
  std::set<std::string> paths_;
  int holding_ = 0;
};

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_GATE_FILE_SYSTEM_H_
