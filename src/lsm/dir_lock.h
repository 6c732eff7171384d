// DirLock: the LOCK file that keeps two processes (or two DB objects) from opening one LSM
// directory for writing (docs/formats/lsm.md, "Directory and LOCK").
//
// The lock is File::TryLock (flock on POSIX: per open file description, so two DirLocks in one
// process conflict too), exclusive for a read-write open, shared for a read-only one. An
// exclusive holder writes its pid (decimal, then a newline) into LOCK so that the next opener's
// error can name it, and empties the file again when it lets go. A crashed holder's lock is
// released by the kernel; its pid stays in the file until the next exclusive holder overwrites
// it.
//
// Thread-safety: a DirLock is owned by one DB; its destructor releases the lock.
#ifndef LARDER_LSM_DIR_LOCK_H_
#define LARDER_LSM_DIR_LOCK_H_

#include <memory>
#include <string>

#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::lsm {

class DirLock {
 public:
  // Creates LOCK in `dir` (which must exist) when missing and takes the lock. Busy, when
  // another holder conflicts:
  //   Cannot acquire directory lock on "<dir>": held by process <pid>. Another process is using
  //   this directory; check for a running process or use a different directory
  // (<pid> is "unknown" when the file holds none). Other errors are the file system's.
  static Result<std::unique_ptr<DirLock>> Acquire(FileSystem* fs, const std::string& dir,
                                                  bool shared);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  bool shared() const { return shared_; }

 private:
  DirLock(std::unique_ptr<File> file, bool shared) : file_(std::move(file)), shared_(shared) {}
  std::unique_ptr<File> file_;
  bool shared_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_DIR_LOCK_H_
