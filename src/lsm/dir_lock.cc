#include "lsm/dir_lock.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <string_view>

#include "base/coding.h"
#include "lsm/filename.h"

namespace larder::lsm {
namespace {

// The pid written in the LOCK file, or "unknown".
std::string HolderPid(File* file) {
  std::array<std::uint8_t, 24> buf{};
  auto n = file->ReadAt(0, buf);
  if (!n.ok()) return "unknown";
  std::string_view text(reinterpret_cast<const char*>(buf.data()), *n);
  const std::size_t end = text.find('\n');
  if (end == std::string_view::npos || end == 0 || end > 19) return "unknown";
  text = text.substr(0, end);
  for (char c : text) {
    if (c < '0' || c > '9') return "unknown";
  }
  return std::string(text);
}

}  // namespace

Result<std::unique_ptr<DirLock>> DirLock::Acquire(FileSystem* fs, const std::string& dir,
                                                  bool shared) {
  // A reader opens LOCK read-only when it exists (the directory may be on read-only media).
  Result<std::unique_ptr<File>> opened = Status::NotFound();
  if (shared) opened = fs->Open(LockFileName(dir), {.read_only = true});
  if (!opened.ok() && opened.status().IsNotFound()) {
    opened = fs->Open(LockFileName(dir), {.create = true});
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, std::move(opened));
  Status s = file->TryLock(shared ? LockMode::kShared : LockMode::kExclusive);
  if (s.code() == Code::kBusy) {
    return Status::Busy(fmt::format(
        "Cannot acquire directory lock on \"{}\": held by process {}. Another process is using "
        "this directory; check for a running process or use a different directory",
        dir, HolderPid(file.get())));
  }
  LARDER_RETURN_IF_ERROR(s);
  if (!shared) {
    const std::string pid = fmt::format("{}\n", ::getpid());
    s = file->Truncate(0);
    if (s.ok()) {
      s = file->WriteAt(0, AsBytes(pid));
    }
    if (!s.ok()) {
      (void)file->Unlock();
      return s;
    }
  }
  return std::unique_ptr<DirLock>(new DirLock(std::move(file), shared));
}

DirLock::~DirLock() {
  if (!shared_) (void)file_->Truncate(0);
  (void)file_->Unlock();
}

}  // namespace larder::lsm
