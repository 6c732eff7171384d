// FileSystemWrapper and FileWrapper: forwarding bases for FileSystem and File decorators.
//
// Every call goes to a target object. A test double (slow syncs, counted calls, injected
// errors) or a production decorator (rate limiting, statistics) derives from one of these and
// overrides only the calls it changes; calls added to FileSystem or File later are forwarded
// without touching it.
//
// Thread-safety: as the target's. The wrappers hold no state of their own besides the target.
#ifndef LARDER_FILE_SYSTEM_WRAPPER_H_
#define LARDER_FILE_SYSTEM_WRAPPER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "larder/file_system.h"

namespace larder {

// Forwards every File call to the File it owns.
class FileWrapper : public File {
 public:
  // REQUIRES: target != nullptr.
  explicit FileWrapper(std::unique_ptr<File> target) : target_(std::move(target)) {}

  Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) override {
    return target_->ReadAt(offset, buf);
  }
  Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    return target_->WriteAt(offset, data);
  }
  Status WriteAtV(std::uint64_t offset,
                  std::span<const std::span<const std::uint8_t>> pieces) override {
    return target_->WriteAtV(offset, pieces);
  }
  Status Sync() override { return target_->Sync(); }
  Status SyncAll() override { return target_->SyncAll(); }
  Status Truncate(std::uint64_t size) override { return target_->Truncate(size); }
  Result<std::uint64_t> Size() override { return target_->Size(); }
  Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) override {
    return target_->Map(length);
  }
  Status TryLock(LockMode mode) override { return target_->TryLock(mode); }
  Status Unlock() override { return target_->Unlock(); }
  const std::string& path() const override { return target_->path(); }
  Status Preallocate(std::uint64_t offset, std::uint64_t length) override {
    return target_->Preallocate(offset, length);
  }
  Status Advise(AccessPattern pattern) override { return target_->Advise(pattern); }
  Status WriteBack(std::uint64_t offset, std::uint64_t length) override {
    return target_->WriteBack(offset, length);
  }
  bool direct_io() const override { return target_->direct_io(); }
  std::size_t alignment() const override { return target_->alignment(); }

  // The wrapped file; valid while this object lives.
  File* target() const { return target_.get(); }

 private:
  std::unique_ptr<File> target_;
};

// Forwards every FileSystem call to a FileSystem it does not own.
class FileSystemWrapper : public FileSystem {
 public:
  // REQUIRES: target != nullptr and outlives this object (and every File it opened).
  explicit FileSystemWrapper(FileSystem* target) : target_(target) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& options) override {
    return target_->Open(path, options);
  }
  Result<bool> Exists(const std::string& path) override { return target_->Exists(path); }
  Status Remove(const std::string& path) override { return target_->Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status CreateDirs(const std::string& dir) override { return target_->CreateDirs(dir); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  Status RemoveDir(const std::string& dir) override { return target_->RemoveDir(dir); }
  Result<std::uint64_t> FileSize(const std::string& path) override {
    return target_->FileSize(path);
  }
  Status Link(const std::string& existing, const std::string& new_path) override {
    return target_->Link(existing, new_path);
  }
  // Not forwarded: FileSystem's default builds the writer on this->Open, so a wrapper that
  // overrides Open (to wrap the File) sees the appends too. Forward it in a subclass to reach
  // the target's own implementation instead.

  FileSystem* target() const { return target_; }

 private:
  FileSystem* target_;
};

}  // namespace larder

#endif  // LARDER_FILE_SYSTEM_WRAPPER_H_
