// ValueLogReader: reads the values that value pointers (vlog_pointer.h) designate, keeping the
// value-log files it has read open (one File per log, shared by every reader thread).
//
// With mapping on (Options::mmap_reads), a value is checked and copied straight from a
// read-only mapping of its log: no read call, no zero-filled buffer. A log's mapping covers
// `mapped_size` bytes known to hold the log's records: for the log the DB appends to (the open
// log, NoteOpenLog), the bytes flushed to it; for any other, the file's size. A record that
// ends past mapped_size asks again and, if the log has grown, maps it anew; a record still not
// wholly mapped is read with File::ReadAt (ReadValue), which tells a pointer past the file's
// end from a record it can read. A mapping is made with room to grow (`map_length_hint`, the
// longest a log gets in normal use) so that the open log is mapped once or a few times, not at
// every read. Where mapping fails or is off, values are read with ReadValue.
//
// Values just written are often read soon (a queue's consumers, a read-your-writes client):
// the DB's background asks WarmOpenLog to map each megabyte of the open log ahead of them, so
// those reads take no page fault (docs/lsm.md, "Reads").
//
// Why the open log is bounded by its flushed bytes: the DB preallocates it (zeros past the
// records, Options::log_preallocate_bytes) and cuts it back when it is finished, before it
// stops being the open log. So no mapped_size ever exceeds a log's final size, and a damaged
// pointer can never make a read touch a page past the end of a cut file (SIGBUS).
//
// Invariant: for every entry of logs_, mapped_size <= the log's final size (the file's size
// once it is no longer the open log), and map covers [0, mapped_size) when mapped_size > 0.
// Logs are only cut back to their records (above) and never otherwise truncated while the
// database is open (recovery truncates before any reader exists).
//
// Lock rule: mu_ guards logs_ only. A reader copies its log's entry (shared_ptrs that keep the
// File and the mapping alive) under mu_ and reads without it; a remap happens outside mu_ and is
// published under it if it covers more than the entry does. The open log's number and flushed
// end are atomics written by the DB's write leader only: the end is stored before the number
// changes and after (release), and a reader takes the end as the open log's only if the
// number is the same before and after loading it (acquire); else it asks the file's size.
//
// Thread-safety: every method is thread-safe. Values are read from the file, never from a
// writer's buffer: the DB flushes every group before it acknowledges it, so any pointer a read
// can reach designates bytes already in the file.
#ifndef LARDER_LSM_VALUE_LOG_READER_H_
#define LARDER_LSM_VALUE_LOG_READER_H_

#include <atomic>
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
  // Log `number` is the one being appended to, with `flushed_end` bytes in the file (records
  // past that may be in the file's preallocated tail only as zeros). Called by the DB's write
  // leader only: before values written to the log can be reached, and with a new number only
  // once the previous open log is cut back to its final size.
  void NoteOpenLog(std::uint64_t number, std::uint64_t flushed_end);
  // Maps the open log's bytes flushed since the last call into the log's mapping ahead of
  // reads (MappedRegion::Populate), so that the first reads of values just written take no
  // page fault (a first touch of a mapped page costs about as much as copying the value out).
  // Returns the bytes it populated (0 with mapping off, or when the hint did nothing). For one
  // thread at a time: the DB's background work.
  std::uint64_t WarmOpenLog();
  // The open log's flushed bytes that WarmOpenLog has not reached (0 with mapping off).
  std::uint64_t unwarmed_bytes() const;

 private:
  struct OpenLog {
    std::shared_ptr<File> file;
    std::shared_ptr<const MappedRegion> map;  // null until mapped (and when mapping is off)
    std::uint64_t mapped_size = 0;            // bytes of the file that `map` covers
    bool unmappable = false;                  // mapping failed: ReadAt from now on
  };

  // A copy of log `number`'s entry, opening the file when no entry exists.
  Result<OpenLog> LogFor(std::uint64_t number);
  // `log` mapped up to the bytes known to hold its records (the open log's flushed end, else
  // the file's size; a new mapping when the old one is too short), published in logs_. When
  // mapping fails, `log` is marked unmappable (published too): its reads use ReadValue.
  // IOError when the size cannot be read.
  Status Remap(std::uint64_t number, OpenLog* log);
  // The bytes of log `number` that hold records (see Remap).
  Result<std::uint64_t> RecordBytes(std::uint64_t number, File* file) const;

  const std::string dir_;
  FileSystem* const fs_;
  const bool mmap_;
  const std::uint64_t map_length_hint_;
  Mutex mu_;
  std::map<std::uint64_t, OpenLog> logs_ GUARDED_BY(mu_);
  std::atomic<std::uint64_t> open_number_{0};  // NoteOpenLog's; 0: none (read-only opens)
  std::atomic<std::uint64_t> open_end_{0};
  // How far WarmOpenLog got, in which log (written by the warming thread only).
  std::atomic<std::uint64_t> warmed_number_{0};
  std::atomic<std::uint64_t> warmed_end_{0};
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_VALUE_LOG_READER_H_
