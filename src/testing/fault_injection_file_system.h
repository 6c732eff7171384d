// FaultInjectionFileSystem: an in-memory FileSystem that knows what is durable, for crash and
// I/O-error tests of every engine.
//
// It records every write, truncate and sync. PowerLoss() then rebuilds each file from its last
// synced content plus each unsynced operation applied, dropped or torn (512-byte sectors
// written, left old, or filled with garbage), chosen by a seed — SQLite's crash model rather
// than "drop everything unsynced". Files created since their directory was last synced may
// vanish; a file renamed since then may be back under its old name. CrashAfter(n) makes every
// mutating operation after the next n fail, as if the process had died there. FailNth() injects
// EIO/ENOSPC at the n-th operation of a kind, once or for good.
//
// The later FileSystem calls are modelled as follows:
//  - AppendWriter (the default NewAppendWriter over this file system's Files): its writes are
//    ordinary unsynced writes, so unsynced appends may be lost, kept or torn at power loss, each
//    flush independently (a later one may survive where an earlier one did not, leaving zeros).
//  - direct_io: the in-memory file's strict alignment rules apply; a direct write is still
//    unsynced until Sync, exactly like a buffered one.
//  - Creating a file (exclusive or not), Preallocate and RemoveDir are mutating operations
//    (counted, stopped by CrashAfter, failable with FailNth of kCreate, kPreallocate,
//    kRemoveDir). Preallocate changes no content. Directories themselves are not part of the
//    power-loss model: a removed directory stays removed.
//  - Advise and FileSize are forwarded and never fail.
//  - Link is modelled as a copy (files are tracked by name, not by inode): right for the files
//    FileSystem::Link is meant for, which neither name writes again. The new name counts as a
//    created file (kCreate): a power loss before a SyncDir may drop it; its content is as
//    durable as the original's.
//
// Thread-safety: safe for concurrent use. PowerLoss/Save/Restore REQUIRE that no file is open.
#ifndef LARDER_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_
#define LARDER_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/file_system.h"

namespace larder {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  // kWrite also covers Remove and Rename; kSync covers SyncDir; kCreate is an Open that
  // creates a file.
  enum class Op { kRead = 0, kWrite, kSync, kTruncate, kMap, kCreate, kPreallocate, kRemoveDir };
  static constexpr int kOpCount = 8;

  explicit FaultInjectionFileSystem(std::size_t max_file_bytes = std::size_t{1} << 30);
  ~FaultInjectionFileSystem() override;

  // After `n` more mutating operations (write, sync, truncate, directory sync, rename, remove,
  // file creation, preallocate, directory removal) every mutating operation fails with an I/O
  // error and changes nothing.
  void CrashAfter(std::uint64_t n);
  bool crashed() const;
  // Fails the n-th (1-based, counted from now) operation of kind `op` with `err`; with
  // `persistent`, every later one too.
  void FailNth(Op op, std::uint64_t n, bool persistent, int err = 5 /* EIO */);
  void ClearFaults();
  // Mutating operations performed so far.
  std::uint64_t mutating_ops() const;
  // Faults injected by FailNth so far (not simulated crashes): a loop that never injected one
  // tested nothing.
  std::uint64_t injected_faults() const;

  // The state of every file: durable content, unsynced operations and current content.
  struct State;
  std::shared_ptr<const State> Save() const;
  void Restore(const State& state);
  // Simulates a power loss (see the class comment) and clears crash and fault settings.
  void PowerLoss(std::uint64_t seed);
  // The power loss with `seed` of the moment `saved` was taken, whatever happened since: the
  // same as Restore(saved) then PowerLoss(seed), without first writing back the saved current
  // contents that the power loss replaces. A crash-point loop calls it once per seed.
  void PowerLoss(const State& saved, std::uint64_t seed);

  // FileSystem.
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override;
  Result<bool> Exists(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Result<std::uint64_t> FileSize(const std::string& path) override;
  Status Link(const std::string& existing, const std::string& new_path) override;

  // Used by the file handles.
  Status Check(Op op, const std::string& path);  // injected fault or crash, else OK
  void RecordWrite(const std::string& path, std::uint64_t off, std::span<const std::uint8_t> d);
  void RecordTruncate(const std::string& path, std::uint64_t size);
  Status RecordSync(const std::string& path);

 private:
  struct FileLog;
  void PowerLossLocked(std::uint64_t seed) REQUIRES(mu_);
  // Removes every tracked file from the base and takes `state`'s logs in place of the current ones.
  void ReplaceLogsLocked(const State& state) REQUIRES(mu_);
  // The base file system's content of `path` (callers hold mu_ when it must not change).
  std::string ReadCurrent(const std::string& path) const;
  void WriteCurrent(const std::string& path, const std::string& content);

  std::unique_ptr<FileSystem> base_;
  mutable Mutex mu_;
  std::map<std::string, FileLog> files_ GUARDED_BY(mu_);
  std::uint64_t ops_ GUARDED_BY(mu_) = 0;
  std::uint64_t crash_at_ GUARDED_BY(mu_) = ~std::uint64_t{0};
  std::uint64_t injected_ GUARDED_BY(mu_) = 0;
  struct Fault {
    std::uint64_t countdown = 0;
    bool persistent = false;
    bool armed = false;
    bool fired = false;
    int err = 5;
  };
  Fault faults_[kOpCount] GUARDED_BY(mu_);
};

}  // namespace larder

#endif  // LARDER_TESTING_FAULT_INJECTION_FILE_SYSTEM_H_
