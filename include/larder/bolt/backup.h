// Backup of a bolt file that another process may be writing (`larder backup`). It lives in the
// engine because it rests on the engine's commit order (tx_impl.cc: data pages, sync, then the
// meta page) and its copy-on-write page reuse rule.
//
// A writer (bbolt or larder) holds an exclusive flock on its file for as long as it has it
// open, so a reader that waits for a shared lock would wait for the writer to exit. Instead:
//
//  1. If the shared lock is free, take it: no writer can commit while we hold it, so one pass
//     copies a stable file (the normal path).
//  2. Otherwise copy without the lock. Read both meta pages and take the valid one with the
//     highest txid T (its high-water mark H). Copy pages [2, H) (into memory when H is at most
//     64 MiB, so that the window between the meta reads holds only reads; straight into the
//     destination otherwise). Read the meta pages again: if
//     the highest valid txid is still T, the copy is consistent. Transaction T+1 writes only
//     pages that are free in T (copy-on-write; pages freed by T+1 itself stay pending until T+1
//     is committed) and pages at or past H; transaction T+2, the first that may overwrite a
//     page reachable in T, can only start after T+1's meta page is written, which the second
//     read would have seen. A meta page caught half-written fails its checksum: that means
//     T+1 is still committing, so T+2 has not started either. If the txid moved, retry after a
//     backoff (10 ms doubling, at most 500 ms), up to `attempts` times; then wait for the
//     shared lock until `lock_timeout` and do step 1, or give up with an error.
//  3. Write T's meta as meta page 0 and T-1's (same roots) as meta page 1, sync, run the
//     consistency check on the copy, and only then rename it into place. The destination is
//     either absent or a complete, checked copy; it is never overwritten.
//
// All I/O goes through `fs`; the source is only read. A snapshot of a database this process
// has open is copied by Tx::CopyFile instead (larder/bolt/tx.h).
#ifndef LARDER_BOLT_BACKUP_H_
#define LARDER_BOLT_BACKUP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::bolt {

struct BackupOptions {
  // How long to wait for the shared lock after the lock-free attempts (0: forever).
  std::chrono::nanoseconds lock_timeout = std::chrono::seconds(5);
  int attempts = 10;  // lock-free copy attempts
  // Lock-free copies of files up to this size are read into memory between the two meta reads
  // and written after them; bigger ones are copied chunk by chunk inside that window.
  std::uint64_t staged_copy_limit = std::uint64_t{64} << 20;
  // Called as bytes are copied (done, total), from the calling thread; may be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  FileSystem* fs = nullptr;  // nullptr: the operating system's
};

struct BackupInfo {
  std::uint64_t bytes = 0;  // size of the copy
  std::uint64_t txid = 0;   // the transaction it holds
  bool lock_free = false;   // copied while a writer held the file
  int attempts = 0;         // lock-free attempts made (0 on the locked path)
};

// Copies `src` to `dst` (which must not exist) as described above.
Result<BackupInfo> BackupFile(const std::string& src, const std::string& dst,
                              const BackupOptions& options);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_BACKUP_H_
