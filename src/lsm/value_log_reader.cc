#include "lsm/value_log_reader.h"

#include "lsm/filename.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {

Status ValueLogReader::Resolve(std::string_view pointer_bytes, std::string* out) {
  VlogPointer p;
  if (!p.Decode(pointer_bytes)) {
    return Status::Corruption("a malformed value pointer in a table or memtable of " + dir_);
  }
  LARDER_ASSIGN_OR_RETURN(std::shared_ptr<File> file, FileFor(p.file_number));
  return ReadValue(*file, p, out);
}

Result<std::shared_ptr<File>> ValueLogReader::FileFor(std::uint64_t number) {
  {
    MutexLock l(&mu_);
    auto it = files_.find(number);
    if (it != files_.end()) return it->second;
  }
  const std::string path = VlogFileName(dir_, number);
  auto opened = fs_->Open(path, {.read_only = true});
  if (!opened.ok()) {
    if (opened.status().IsNotFound()) {
      return Status::Corruption("value log " + path + " is missing (a value points into it)");
    }
    return opened.status();
  }
  std::shared_ptr<File> file(std::move(*opened));
  MutexLock l(&mu_);
  return files_.emplace(number, file).first->second;  // another thread's copy if it won
}

void ValueLogReader::Forget(std::uint64_t number) {
  std::shared_ptr<File> closing;  // closed after unlock
  MutexLock l(&mu_);
  auto it = files_.find(number);
  if (it == files_.end()) return;
  closing = std::move(it->second);
  files_.erase(it);
}

}  // namespace larder::lsm
