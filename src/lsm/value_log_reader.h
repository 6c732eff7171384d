// ValueLogReader: reads the values that value pointers (vlog_pointer.h) designate, keeping the
// value-log files it has read open (one File per log, shared by every reader thread).
//
// Lock rule: mu_ guards the map of open files only; ReadValue (File::ReadAt) runs without it,
// on a shared_ptr that keeps the File open while a read uses it.
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

namespace larder::lsm {

class ValueLogReader final : public ValueResolver {
 public:
  // `fs` must outlive the reader.
  ValueLogReader(std::string dir, FileSystem* fs) : dir_(std::move(dir)), fs_(fs) {}

  // Decodes `pointer_bytes` (a VlogPointer) and reads the value into *out. Corruption naming
  // the value log for a bad pointer or record; IOError passes through.
  Status Resolve(std::string_view pointer_bytes, std::string* out) override;
  // Closes value log `number` (it is being deleted).
  void Forget(std::uint64_t number);

 private:
  Result<std::shared_ptr<File>> FileFor(std::uint64_t number);

  const std::string dir_;
  FileSystem* const fs_;
  Mutex mu_;
  std::map<std::uint64_t, std::shared_ptr<File>> files_ GUARDED_BY(mu_);
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_VALUE_LOG_READER_H_
