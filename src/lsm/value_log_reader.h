// ValueLogReader: reads the values that value pointers (vlog_pointer.h) designate, keeping the
// value-log files it has read open (one File per log, shared by every reader thread).
//
// With mapping on (Options::mmap_reads), a value is checked and copied straight from a
// read-only mapping of its log: no read call, no zero-filled buffer. A log's mapping covers
// `mapped_size` bytes known to be in the file (its size when last asked), so a read never
// touches a page past the file's end; a pointer beyond that asks the file's size again and, if
// the log has grown (the current log does), maps it anew. A mapping is made with room to grow
// (`map_length_hint`, the longest a log gets in normal use) so that the current log is mapped
// once or a few times, not at every read. Where mapping fails or is off, values are read with
// File::ReadAt (ReadValue).
//
// Invariant: for every entry of logs_, mapped_size <= the file's size, and map covers
// [0, mapped_size) when mapped_size > 0. Logs are never truncated while the database is open
// (recovery truncates before any reader exists), so bytes once in the file stay readable.
//
// Lock rule: mu_ guards logs_ only. A reader copies its log's entry (shared_ptrs that keep the
// File and the mapping alive) under mu_ and reads without it; a remap happens outside mu_ and is
// published under it if it covers more than the entry does.
//
// Thread-safety: every method is thread-safe. Values are read from the file, never from a
// writer's buffer: the DB flushes every group before it acknowledges it, so any pointer a read
// can reach designates bytes already in the file.
#ifndef LARDER_LSM_VALUE_LOG_READER_H_
#define LARDER_LSM_VALUE_LOG_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/file_system.h"
#include "lsm/db_iter.h"
#include "lsm/vlog_pointer.h"

namespace larder::lsm {

class ValueLogReader final : public ValueResolver {
 public:
  // `fs` must outlive the reader. `mmap`: read through mappings (above); `map_length_hint`:
  // the length to map a log with when it is shorter (mapping past a file's end costs address
  // space only).
  ValueLogReader(std::string dir, FileSystem* fs, bool mmap, std::uint64_t map_length_hint)
      : dir_(std::move(dir)), fs_(fs), mmap_(mmap), map_length_hint_(map_length_hint) {}

  // Decodes `pointer_bytes` (a VlogPointer) and reads the value into *out. Corruption naming
  // the value log for a bad pointer or record; IOError passes through.
  Status Resolve(std::string_view pointer_bytes, std::string* out) override;
  // Closes value log `number` (it is being deleted). Readers still using it finish first: their
  // copies keep the file and its mapping alive.
  void Forget(std::uint64_t number);

 private:
  struct OpenLog {
    std::shared_ptr<File> file;
    std::shared_ptr<const MappedRegion> map;  // null until mapped (and when mapping is off)
    std::uint64_t mapped_size = 0;            // bytes of the file that `map` covers
    bool unmappable = false;                  // mapping failed: ReadAt from now on
  };

  // A copy of log `number`'s entry, opening the file when no entry exists.
  Result<OpenLog> LogFor(std::uint64_t number);
  // `log` mapped up to the file's present size (a new mapping when the old one is too short),
  // published in logs_. When mapping fails, `log` is marked unmappable (published too): its
  // reads use ReadValue. IOError when the size cannot be read.
  Status Remap(std::uint64_t number, OpenLog* log);

  const std::string dir_;
  FileSystem* const fs_;
  const bool mmap_;
  const std::uint64_t map_length_hint_;
  Mutex mu_;
  std::map<std::uint64_t, OpenLog> logs_ GUARDED_BY(mu_);
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_VALUE_LOG_READER_H_
