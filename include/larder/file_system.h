// FileSystem: the one seam through which all of LarderDB's file I/O goes.
//
// Engines never call open/pread/mmap themselves; they take a FileSystem, so that tests can put an
// in-memory or fault-injecting implementation underneath and simulate power loss.
//
// Thread-safety: FileSystem implementations are safe for concurrent use. A File's ReadAt and
// WriteAt may be called concurrently on disjoint ranges; Truncate, Sync and Map need no external
// locking but race with concurrent writes to the same range as the OS calls would.
#ifndef LARDER_FILE_SYSTEM_H_
#define LARDER_FILE_SYSTEM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"

namespace larder {

// A read-only view of a file's bytes, as mmap(PROT_READ, MAP_SHARED) gives. Writes made through
// File::WriteAt become visible in it. It stays valid while the object lives, even after the File
// that made it is closed. Reading past the file's current size is undefined (SIGBUS on POSIX).
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  virtual const std::uint8_t* data() const = 0;
  virtual std::size_t size() const = 0;
};

enum class LockMode { kShared, kExclusive };

class File {
 public:
  virtual ~File() = default;

  // Reads up to buf.size() bytes at `offset`; returns how many were read (short only at EOF).
  virtual Result<std::size_t> ReadAt(std::uint64_t offset, std::span<std::uint8_t> buf) = 0;
  // Writes all of `data` at `offset`, extending the file if needed.
  virtual Status WriteAt(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  // Writes `pieces` back to back from `offset`, as one WriteAt of their concatenation would,
  // without the caller gathering them into one buffer. The default calls WriteAt per piece;
  // POSIX uses pwritev; the fault-injecting file counts it as one operation.
  virtual Status WriteAtV(std::uint64_t offset,
                          std::span<const std::span<const std::uint8_t>> pieces);
  // Makes written data durable (fdatasync).
  virtual Status Sync() = 0;
  // Makes data and metadata durable (fsync); needed after a size change.
  virtual Status SyncAll() = 0;
  virtual Status Truncate(std::uint64_t size) = 0;
  virtual Result<std::uint64_t> Size() = 0;
  // Maps the first `length` bytes read-only. `length` may exceed the file's size.
  virtual Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) = 0;
  // Takes an advisory whole-file lock without waiting: Busy when another holder conflicts.
  virtual Status TryLock(LockMode mode) = 0;
  virtual Status Unlock() = 0;
  virtual const std::string& path() const = 0;
};

struct OpenOptions {
  bool create = false;     // create the file when it does not exist
  bool read_only = false;  // open for reading only
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::unique_ptr<File>> Open(const std::string& path,
                                             const OpenOptions& options) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Makes the creations, renames and removals in directory `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Creates `dir` and its parents when missing.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Names (not paths) of the entries in `dir`, sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
};

// The operating system's file system. The returned object lives for the whole program.
FileSystem* DefaultFileSystem();

// A file system held in memory. Each file may grow to `max_file_bytes` (address space is
// reserved up front so that a mapping never moves). Files live as long as the FileSystem object
// or an open File or MappedRegion refers to them.
std::unique_ptr<FileSystem> NewMemFileSystem(std::size_t max_file_bytes = std::size_t{1} << 32);

// The directory part of `path` ("." when there is none).
std::string DirName(const std::string& path);

}  // namespace larder

#endif  // LARDER_FILE_SYSTEM_H_
