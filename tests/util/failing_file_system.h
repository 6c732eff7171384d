// A FileSystem wrapper that fails chosen operations, for error-path tests. Each switch is
// checked on every call of that kind; flip them from the test between calls.
#ifndef LARDER_TESTS_UTIL_FAILING_FILE_SYSTEM_H_
#define LARDER_TESTS_UTIL_FAILING_FILE_SYSTEM_H_

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>

#include "larder/file_system.h"

namespace larder::test {

struct FailSwitches {
  std::atomic<bool> write{false};
  std::atomic<bool> sync{false};
  std::atomic<bool> truncate{false};
  std::atomic<int> syncs{0};  // successful syncs so far
};

class FailingFile final : public File {
 public:
  FailingFile(std::unique_ptr<File> base, FailSwitches* sw) : base_(std::move(base)), sw_(sw) {}
  Result<std::size_t> ReadAt(std::uint64_t off, std::span<std::uint8_t> buf) override {
    return base_->ReadAt(off, buf);
  }
  Status WriteAt(std::uint64_t off, std::span<const std::uint8_t> data) override {
    if (sw_->write) return Status::FromErrno("injected write " + path(), EIO);
    return base_->WriteAt(off, data);
  }
  Status Sync() override {
    if (sw_->sync) return Status::FromErrno("injected fdatasync " + path(), EIO);
    ++sw_->syncs;
    return base_->Sync();
  }
  Status SyncAll() override {
    if (sw_->sync) return Status::FromErrno("injected fsync " + path(), EIO);
    ++sw_->syncs;
    return base_->SyncAll();
  }
  Status Truncate(std::uint64_t size) override {
    if (sw_->truncate) return Status::FromErrno("injected truncate " + path(), ENOSPC);
    return base_->Truncate(size);
  }
  Result<std::uint64_t> Size() override { return base_->Size(); }
  Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
    return base_->Map(length);
  }
  Status TryLock(LockMode mode) override { return base_->TryLock(mode); }
  Status Unlock() override { return base_->Unlock(); }
  const std::string& path() const override { return base_->path(); }

 private:
  std::unique_ptr<File> base_;
  FailSwitches* sw_;
};

class FailingFileSystem final : public FileSystem {
 public:
  FailingFileSystem(FileSystem* base, FailSwitches* sw) : base_(base), sw_(sw) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(auto f, base_->Open(path, o));
    return std::unique_ptr<File>(std::make_unique<FailingFile>(std::move(f), sw_));
  }
  Result<bool> Exists(const std::string& p) override { return base_->Exists(p); }
  Status Remove(const std::string& p) override { return base_->Remove(p); }
  Status Rename(const std::string& a, const std::string& b) override { return base_->Rename(a, b); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override {
    return base_->ListDir(d);
  }

 private:
  FileSystem* base_;
  FailSwitches* sw_;
};

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_FAILING_FILE_SYSTEM_H_
