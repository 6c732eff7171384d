// FileSystem: the one seam through which all of LarderDB's file I/O goes.
//
// Engines never call open/pread/mmap themselves; they take a FileSystem, so that tests can put an
// in-memory or fault-injecting implementation underneath and simulate power loss.
//
// Thread-safety: FileSystem implementations are safe for concurrent use. A File's ReadAt and
// WriteAt may be called concurrently on disjoint ranges; Truncate, Sync, Preallocate, Advise and
// Map need no external locking but race with concurrent writes to the same range as the OS calls
// would. An AppendWriter is not thread-safe: one thread at a time.
//
// Calls added after the first engine (Preallocate, Advise, direct_io, alignment, RemoveDir,
// FileSize, NewAppendWriter) have default implementations, so a FileSystem written against the
// first set of calls keeps compiling; FileSystemWrapper (file_system_wrapper.h) forwards them all.
#ifndef LARDER_FILE_SYSTEM_H_
#define LARDER_FILE_SYSTEM_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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
  // Maps the file's pages of [offset, offset + length) into this view ahead of reads (POSIX:
  // MADV_POPULATE_READ, from whole pages holding the range), so that the first reads there take
  // no page fault; returns whether it did. A hint: false where it is not supported or fails.
  // REQUIRES: the range lies within the file's size and this view.
  virtual bool Populate(std::size_t offset, std::size_t length) const;
};

enum class LockMode { kShared, kExclusive };

// How a file's bytes will be read: a hint to the kernel's read-ahead (posix_fadvise for reads,
// madvise for mappings). It never changes what a read returns.
enum class AccessPattern {
  kNormal,      // the kernel's default read-ahead
  kSequential,  // front to back, once (a log replay, a compaction input): read ahead more
  kRandom,      // scattered pages (a B+tree's mapping, point lookups): no read-ahead
};

// Memory aligned for direct I/O: `capacity()` bytes starting at an address that is a multiple of
// `alignment()`. Contents are uninitialised on allocation. Move-only; frees on destruction.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // REQUIRES: alignment is a power of two. The capacity is rounded up to a multiple of it.
  // Terminates, as operator new would, when memory is exhausted.
  AlignedBuffer(std::size_t alignment, std::size_t capacity);
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

  std::uint8_t* data() const { return data_.get(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t alignment() const { return alignment_; }
  std::span<std::uint8_t> span() const { return {data_.get(), capacity_}; }

  // `n` rounded down / up to a multiple of `alignment` (a power of two).
  static constexpr std::uint64_t RoundDown(std::uint64_t n, std::size_t alignment) {
    return n & ~(static_cast<std::uint64_t>(alignment) - 1);
  }
  static constexpr std::uint64_t RoundUp(std::uint64_t n, std::size_t alignment) {
    return RoundDown(n + alignment - 1, alignment);
  }

 private:
  struct Free {
    void operator()(std::uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<std::uint8_t, Free> data_;
  std::size_t capacity_ = 0;
  std::size_t alignment_ = 1;
};

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
  // Maps the first `length` bytes read-only. `length` may exceed the file's size. The mapping is
  // advised with the file's access pattern (OpenOptions::access, or the last Advise).
  virtual Result<std::shared_ptr<const MappedRegion>> Map(std::size_t length) = 0;
  // Takes an advisory whole-file lock without waiting: Busy when another holder conflicts.
  virtual Status TryLock(LockMode mode) = 0;
  virtual Status Unlock() = 0;
  virtual const std::string& path() const = 0;

  // Reserves disk space for [offset, offset + length) without changing Size() (fallocate with
  // FALLOC_FL_KEEP_SIZE): later writes into the range do not fail for want of space and the
  // file's blocks tend to be contiguous; reads past Size() still see the end of the file. The
  // reservation is not durable until SyncAll. Where the file system cannot reserve space
  // (EOPNOTSUPP, or the default implementation) it returns OK having done nothing: it is an
  // optimisation, never needed for correctness. Errors: NoSpace when the space is not there,
  // ReadOnly / IOError.
  virtual Status Preallocate(std::uint64_t offset, std::uint64_t length);
  // Changes the access-pattern hint for later reads and later Map calls (existing mappings keep
  // theirs). The default does nothing; failures of the hint are ignored.
  virtual Status Advise(AccessPattern pattern);
  // Starts writing [offset, offset + length)'s written bytes to the device without waiting for
  // them (sync_file_range(SYNC_FILE_RANGE_WRITE)). Durability is unchanged: only Sync makes
  // data durable; a later Sync then finds less to write, and the device's work is spread out
  // instead of arriving all at once. The default does nothing; failures of the hint are
  // ignored.
  virtual Status WriteBack(std::uint64_t offset, std::uint64_t length);
  // Whether reads and writes bypass the page cache (OpenOptions::direct_io was asked for and the
  // file system accepted it). When true, the offset, the length and the buffer address of every
  // ReadAt and WriteAt (and WriteAtV piece) must be multiples of alignment(), else
  // InvalidArgument; Truncate and Size are unrestricted. Written data is still not durable until
  // Sync: direct I/O skips the page cache, not the device's cache.
  virtual bool direct_io() const { return false; }
  // The alignment direct I/O needs (a power of two; the logical block size, at least 512); 1
  // when direct_io() is false.
  virtual std::size_t alignment() const { return 1; }
};

struct OpenOptions {
  bool create = false;     // create the file when it does not exist
  bool read_only = false;  // open for reading only
  // With `create`: fail with AlreadyExists when the file exists (O_EXCL), so that two writers
  // racing to create the same file learn which one won. Ignored without `create`.
  bool exclusive = false;
  // Ask for direct I/O (O_DIRECT). Where the file system refuses it (EINVAL: tmpfs before Linux
  // 6.6, some FUSE and network file systems) the file opens with buffered I/O instead;
  // File::direct_io() tells which one is in effect.
  bool direct_io = false;
  // Read-ahead hint for the file's reads and mappings (see File::Advise).
  AccessPattern access = AccessPattern::kNormal;
};

struct AppendWriterOptions {
  // Bytes gathered before they are written; under direct I/O rounded up to the alignment. The
  // buffer is allocated as appends fill it (from 4 KiB, doubling), so a large value costs memory
  // only for a writer that appends that much between flushes.
  std::size_t buffer_size = std::size_t{64} << 10;
  bool exclusive = false;  // the file must not exist yet (else AlreadyExists)
  bool truncate = false;   // discard the file's content, else append after it
  bool direct_io = false;  // as OpenOptions::direct_io
  // When above 0, each time this many bytes have been written since the last time, their
  // writeback is started (File::WriteBack), so that a later Sync of a large file does not
  // stall on all of it at once. 0: the kernel decides when to write.
  std::uint64_t writeback_bytes = 0;
  // When above 0, the file is extended ahead of the appends (File::Preallocate, then Truncate
  // to the new end): each time a write would pass the file's end, by as many bytes as the
  // writer has appended, at least 64 KiB and at most this many. A Sync after an append then
  // finds the file's size already recorded, so fdatasync writes the data alone instead of also
  // committing the file system's journal for the new size (ext4: about 1.4x more synced
  // appends per second). Past size() the file reads as zeros until Close, which cuts it back
  // to size() and makes the cut durable (SyncAll): a reader of a crashed file must accept
  // zeros after its last record. Where extending fails, the writer stops preallocating and
  // appends grow the file as they would have (it is an optimisation).
  std::uint64_t preallocate_bytes = 0;
};

// Appends to one file through a buffer: Append copies into the buffer and writes it when full;
// Flush writes what is buffered; Sync flushes and makes it durable; Close flushes, trims the
// direct-I/O padding or the preallocated tail (AppendWriterOptions::preallocate_bytes; only
// then does it sync, to make the cut durable), and releases the file.
//
// Durability: appended bytes survive a crash only once a Sync has returned OK. A power loss
// before that may keep all of them, none, some flushes and not others (leaving zeros between),
// or torn sectors: a format written through an AppendWriter needs per-record checksums.
//
// Direct I/O: the buffer is aligned, and a flush writes whole aligned blocks, the last one padded
// with zeros that the next flush overwrites; until Close trims it, the file's size is rounded up
// to the alignment. A reader of a crashed file must therefore accept zeros after its last record.
//
// Errors are sticky: after a failed write or sync every later call returns the first error
// (the buffered bytes may or may not have reached the file; LevelDB's rule after fsync errors).
//
// Thread-safety: not thread-safe. The writer owns its File.
class AppendWriter {
 public:
  // Appends to `file` from `offset` (its current size, usually), with options.buffer_size,
  // writeback_bytes and preallocate_bytes (the others are for opening the file:
  // FileSystem::NewAppendWriter). REQUIRES: file != nullptr.
  static Result<std::unique_ptr<AppendWriter>> Create(std::unique_ptr<File> file,
                                                      std::uint64_t offset,
                                                      const AppendWriterOptions& options);
  ~AppendWriter();  // flushes and closes, ignoring errors: call Close to see them
  AppendWriter(const AppendWriter&) = delete;
  AppendWriter& operator=(const AppendWriter&) = delete;

  Status Append(std::span<const std::uint8_t> data);
  Status Append(std::string_view data) {
    return Append({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  }
  // Writes the buffered bytes to the file (not durable yet).
  Status Flush();
  // Flush, then File::Sync: everything appended so far is durable.
  Status Sync();
  // Flush, trim the direct-I/O padding or the preallocated tail (then SyncAll), release the
  // file. Later calls fail with InvalidArgument.
  Status Close();
  // The file's logical size: bytes before the first Append plus every byte appended, buffered
  // or not.
  std::uint64_t size() const { return size_; }
  // Bytes held in the buffer: appended and not yet written, plus, under direct I/O, the head of
  // the partial last block, which is written but rewritten by the next flush.
  std::size_t buffered() const { return buffered_; }
  const std::string& path() const { return path_; }
  // The file written (nullptr once closed); owned by this writer and valid while it is open.
  // Another thread may call its Sync while this writer appends (File's thread-safety): a sync
  // that starts after a Flush returned covers every byte that Flush wrote.
  File* file() const { return file_.get(); }

 private:
  AppendWriter(std::unique_ptr<File> file, std::uint64_t offset,
               const AppendWriterOptions& options);
  Status WriteBuffer();
  // Replaces buf_ by one of at least `needed` bytes (doubling, at most max_capacity_), keeping
  // the buffered bytes.
  void Grow(std::size_t needed);
  // With preallocation on, extends the file so that it reaches past `end` (see
  // AppendWriterOptions::preallocate_bytes); turns preallocation off when that fails.
  void ExtendPast(std::uint64_t end);
  Status Fail(Status s);

  std::unique_ptr<File> file_;
  std::string path_;
  static constexpr std::size_t kInitialCapacity = 4096;
  AlignedBuffer buf_;
  std::size_t max_capacity_;             // buffer_size rounded up to buf_'s alignment
  std::size_t buffered_ = 0;             // bytes used in buf_
  std::uint64_t buf_start_;              // file offset of buf_[0]
  std::uint64_t size_;                   // logical size
  std::size_t align_;                    // 1 without direct I/O
  const std::uint64_t writeback_bytes_;  // AppendWriterOptions::writeback_bytes
  std::uint64_t writeback_from_;         // where the next File::WriteBack starts
  std::uint64_t preallocate_bytes_;      // AppendWriterOptions::preallocate_bytes; 0: off
  bool extended_ = false;                // the file was extended ahead of the appends
  std::uint64_t file_end_;               // the file's size: the bytes written, or its extent
  Status error_;                         // the first failure: sticky
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

  // Removes the empty directory `dir`. Errors: NotFound when it does not exist, InvalidArgument
  // when it is not empty or not a directory, IOError. Durable after SyncDir of its parent.
  // The default returns NotSupported.
  virtual Status RemoveDir(const std::string& dir);
  // The size in bytes of the file at `path`. Errors: NotFound, InvalidArgument (a directory),
  // IOError. The default opens the file read-only and asks it.
  virtual Result<std::uint64_t> FileSize(const std::string& path);
  // Makes `new_path` a second name of the file at `existing` (a hard link); no data is copied.
  // Meant for files neither name will write again (a database's finished tables): the
  // fault-injecting file system models the link as a copy. Errors: NotFound (no `existing`),
  // AlreadyExists (`new_path` exists), NotSupported when this file system cannot link these two
  // paths (the default; on POSIX also across devices or where links are refused: callers then
  // copy), IOError. Durable after SyncDir of new_path's directory.
  virtual Status Link(const std::string& existing, const std::string& new_path);
  // Opens `path` for appending through a buffer (see AppendWriter). Creates the file when it
  // does not exist. Errors: as Open (AlreadyExists with options.exclusive), and the writer's.
  virtual Result<std::unique_ptr<AppendWriter>> NewAppendWriter(
      const std::string& path, const AppendWriterOptions& options = {});
};

// The operating system's file system. The returned object lives for the whole program.
FileSystem* DefaultFileSystem();

// A file system held in memory. Each file may grow to `max_file_bytes` (address space is
// reserved up front so that a mapping never moves). Files live as long as the FileSystem object
// or an open File or MappedRegion refers to them.
std::unique_ptr<FileSystem> NewMemFileSystem(std::size_t max_file_bytes = std::size_t{1} << 32);

// The directory part of `path` ("." when there is none).
std::string DirName(const std::string& path);

// Reads the whole file at `path` into *contents (NotFound when absent).
[[nodiscard]] Status ReadWholeFile(FileSystem* fs, const std::string& path, std::string* contents);
// Replaces the content of `path` (created when missing) with `contents`; syncs nothing (for
// tests, tools and files rewritten whole under another durability rule).
[[nodiscard]] Status WriteWholeFile(FileSystem* fs, const std::string& path,
                                    std::string_view contents);

// Puts `from`, a file whose contents the caller has synced, in place of `to` (in the same
// directory), durably: syncs the directory first (the new file's name is durable, so no crash
// can leave neither file under `to`), renames, and syncs the directory again (on return the
// replacement survives a crash). The one protocol for every file replaced whole (MANIFEST
// rewrites, backups, compactions, a new database's first pages).
[[nodiscard]] Status InstallFile(FileSystem* fs, const std::string& from, const std::string& to);

}  // namespace larder

#endif  // LARDER_FILE_SYSTEM_H_
