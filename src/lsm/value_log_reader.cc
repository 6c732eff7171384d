#include "lsm/value_log_reader.h"

#include <algorithm>
#include <cstdint>
#include <span>

#include "lsm/filename.h"
#include "lsm/log_format.h"

namespace larder::lsm {

Status ValueLogReader::Resolve(std::string_view pointer_bytes, std::string* out) {
  VlogPointer p;
  if (!p.Decode(pointer_bytes)) {
    return Status::Corruption("a malformed value pointer in a table or memtable of " + dir_);
  }
  LARDER_ASSIGN_OR_RETURN(OpenLog log, LogFor(p.file_number));
  const std::uint64_t total = kLogHeaderSize + std::uint64_t{p.length};
  if (mmap_ && !log.unmappable && p.offset <= UINT64_MAX - total) {
    const std::uint64_t end = p.offset + total;
    if (end > log.mapped_size) LARDER_RETURN_IF_ERROR(Remap(p.file_number, &log));
    if (end <= log.mapped_size) {
      return CopyValueRecord({log.map->data() + p.offset, static_cast<std::size_t>(total)}, p,
                             log.file->path(), out);
    }
  }
  // Mapping off or impossible, or a record not (yet) known to be in the file: ReadValue reads
  // it, or says how it lies past the file's end.
  return ReadValue(*log.file, p, out);
}

Result<ValueLogReader::OpenLog> ValueLogReader::LogFor(std::uint64_t number) {
  {
    MutexLock l(&mu_);
    auto it = logs_.find(number);
    if (it != logs_.end()) return it->second;
  }
  const std::string path = VlogFileName(dir_, number);
  auto opened = fs_->Open(path, {.read_only = true});
  if (!opened.ok()) {
    if (opened.status().IsNotFound()) {
      return Status::Corruption("value log " + path + " is missing (a value points into it)");
    }
    return opened.status();
  }
  OpenLog log;
  log.file = std::shared_ptr<File>(std::move(*opened));
  if (mmap_) LARDER_RETURN_IF_ERROR(Remap(number, &log));
  MutexLock l(&mu_);
  return logs_.emplace(number, std::move(log)).first->second;  // another thread's if it won
}

void ValueLogReader::NoteOpenLog(std::uint64_t number, std::uint64_t flushed_end) {
  if (open_number_.load(std::memory_order_relaxed) != number) {
    open_end_.store(0, std::memory_order_release);
    open_number_.store(number, std::memory_order_release);
  }
  open_end_.store(flushed_end, std::memory_order_release);
}

Result<std::uint64_t> ValueLogReader::RecordBytes(std::uint64_t number, File* file) const {
  if (open_number_.load(std::memory_order_acquire) == number) {
    const std::uint64_t end = open_end_.load(std::memory_order_acquire);
    if (open_number_.load(std::memory_order_acquire) == number) return end;
  }
  return file->Size();
}

std::uint64_t ValueLogReader::unwarmed_bytes() const {
  if (!mmap_) return 0;
  const std::uint64_t number = open_number_.load(std::memory_order_acquire);
  const std::uint64_t end = open_end_.load(std::memory_order_acquire);
  if (warmed_number_.load(std::memory_order_acquire) != number) return end;
  const std::uint64_t warmed = warmed_end_.load(std::memory_order_acquire);
  return end > warmed ? end - warmed : 0;
}

std::uint64_t ValueLogReader::WarmOpenLog() {
  if (!mmap_) return 0;
  const std::uint64_t number = open_number_.load(std::memory_order_acquire);
  const std::uint64_t end = open_end_.load(std::memory_order_acquire);
  if (number == 0 || open_number_.load(std::memory_order_acquire) != number) return 0;
  const std::uint64_t from =
      warmed_number_.load(std::memory_order_relaxed) == number ? warmed_end_.load() : 0;
  if (end <= from) return 0;
  Result<OpenLog> log = LogFor(number);
  if (!log.ok()) return 0;  // the read that needs it will say why
  if (log->mapped_size < end && !Remap(number, &*log).ok()) return 0;
  if (log->map == nullptr || log->mapped_size < end) return 0;
  const bool populated =
      log->map->Populate(static_cast<std::size_t>(from), static_cast<std::size_t>(end - from));
  warmed_end_.store(end, std::memory_order_release);
  warmed_number_.store(number, std::memory_order_release);
  return populated ? end - from : 0;
}

Status ValueLogReader::Remap(std::uint64_t number, OpenLog* log) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, RecordBytes(number, log->file.get()));
  if (size <= log->mapped_size) return Status::Ok();  // not grown: the read past it is corrupt
  OpenLog grown = *log;
  if (grown.map == nullptr || grown.map->size() < size) {
    // Room to grow first; where that much cannot be mapped (an in-memory file's limit), the
    // size itself; where nothing can, no mapping (ReadAt instead).
    auto map = log->file->Map(static_cast<std::size_t>(std::max(size, map_length_hint_)));
    if (!map.ok()) map = log->file->Map(static_cast<std::size_t>(size));
    if (map.ok()) {
      grown.map = std::move(*map);
    } else {
      grown.unmappable = true;  // not tried again for this log
    }
  }
  if (!grown.unmappable) grown.mapped_size = size;
  MutexLock l(&mu_);
  auto it = logs_.find(number);
  if (it != logs_.end() && (it->second.mapped_size < grown.mapped_size || grown.unmappable)) {
    it->second = grown;
  }
  *log = std::move(grown);
  return Status::Ok();
}

void ValueLogReader::Forget(std::uint64_t number) {
  OpenLog closing;  // closed after unlock
  MutexLock l(&mu_);
  auto it = logs_.find(number);
  if (it == logs_.end()) return;
  closing = std::move(it->second);
  logs_.erase(it);
}

}  // namespace larder::lsm
