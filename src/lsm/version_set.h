// VersionSet: the database's current Version, the counters that go with it (next file number,
// last sequence, value-log replay point, compaction pointers) and the MANIFEST that makes them
// durable (docs/formats/lsm.md, "MANIFEST and version edits").
//
// Durability rule: LogAndApply appends the edit to the MANIFEST and fsyncs it BEFORE the new
// Version becomes current(); an edit is acknowledged (LogAndApply returns OK) only once durable.
// When the MANIFEST grows past max(manifest_rewrite_bytes, 2 x the size of its opening
// snapshot), LogAndApply instead writes a snapshot of the new state to MANIFEST.tmp, fsyncs it,
// renames it over MANIFEST and fsyncs the directory: after a crash at any point Recover finds
// either the old state or the new one. Any I/O failure on the MANIFEST poisons the VersionSet:
// that LogAndApply and every later one fail with Poisoned (the file's state after a failed
// fsync is unknown) until the database is reopened.
//
// Thread-safety and lock rule:
//  - LogAndApply, Create and Recover are called by ONE thread at a time (the caller serializes
//    them: DBImpl holds its "MANIFEST writer" role, never two at once). They do the file I/O
//    without holding mu_ and take mu_ only to install the result. Lock order: a caller's lock
//    (LogAndApply's `mu`) before mu_.
//  - Every other method may be called from any thread at any time: current(), the counters and
//    LiveFiles take mu_ or are atomics.
//  - Files numbered by NewFileNumber that a caller is still writing (a flush's table, the
//    active value log) are not in LiveFiles until an edit adds them: the caller keeps them from
//    deletion itself.
#ifndef LARDER_LSM_VERSION_SET_H_
#define LARDER_LSM_VERSION_SET_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/file_system.h"
#include "larder/lsm/options.h"
#include "larder/status.h"
#include "lsm/manifest_log.h"
#include "lsm/version.h"
#include "lsm/version_edit.h"

namespace larder::lsm {

class VersionSet {
 public:
  // `fs` is not owned and must outlive the VersionSet. options.num_levels must be in
  // [2, kMaxNumLevels]; options.read_only makes LogAndApply fail with ReadOnly.
  VersionSet(std::string dir, FileSystem* fs, const Options& options);
  ~VersionSet();
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;

  // Writes the MANIFEST of a new, empty database in the (existing) directory: next file number
  // 1, last sequence 0, log number 0. AlreadyExists when a MANIFEST is there.
  [[nodiscard]] Status Create();
  // Reads the MANIFEST and replays its edits (once, on a new VersionSet). NotFound when there is
  // none; Corruption naming the MANIFEST and the record's offset when a record (not a torn last
  // one, see manifest_log.h) is damaged, an edit does not apply (a table deleted twice, levels
  // overlapping) or the state lacks a field. Unless read-only, a torn tail or an oversized
  // MANIFEST is rewritten, and a stray MANIFEST.tmp removed.
  [[nodiscard]] Status Recover();
  // Sets edit's next file number and last sequence to the current ones (the edit's own last
  // sequence, when set, first raises last_sequence()), checks that it applies,
  // makes it durable, then installs the new Version. InvalidArgument (nothing written) when it
  // does not apply; Poisoned after any I/O failure; ReadOnly on a read-only VersionSet.
  [[nodiscard]] Status LogAndApply(VersionEdit* edit);
  // The same for a caller that holds its own lock `mu` (a DB's mutex): the edit is checked and
  // the new Version built with `mu` held, `mu` is released for the MANIFEST write and fsync,
  // and held again when the Version is installed and the call returns. The caller still keeps
  // LogAndApply calls one at a time (e.g. only its background thread applies edits, or a flag
  // under `mu` says one is running): releasing `mu` does not make two calls safe.
  [[nodiscard]] Status LogAndApply(VersionEdit* edit, Mutex* mu) REQUIRES(mu);

  std::shared_ptr<const Version> current() const;
  int num_levels() const { return num_levels_; }

  // A new file number, never handed out before (persisted by the next LogAndApply).
  std::uint64_t NewFileNumber() { return next_file_number_.fetch_add(1); }
  std::uint64_t next_file_number() const { return next_file_number_.load(); }
  // Makes sure `number` is never handed out (for files found in the directory at recovery).
  void MarkFileNumberUsed(std::uint64_t number);

  // The last sequence number assigned; the writer publishes it with SetLastSequence (it only
  // grows).
  SequenceNumber last_sequence() const { return last_sequence_.load(std::memory_order_acquire); }
  void SetLastSequence(SequenceNumber s);

  // Where recovery replays the value logs from.
  std::uint64_t log_number() const;
  std::uint64_t log_offset() const;
  // Where the next size compaction of `level` starts (an internal key; empty: the beginning).
  std::string compact_pointer(int level) const;
  std::vector<std::string> compact_pointers() const;

  // Every table and value-log number listed by current() or by any Version still held.
  std::set<std::uint64_t> LiveFiles() const;

  // The MANIFEST's size now, and that of its opening snapshot.
  std::uint64_t manifest_bytes() const;
  // MANIFEST rewrites done since this object was made (Create and Recover's included).
  std::uint64_t manifest_rewrites() const { return manifest_rewrites_.load(); }
  // MANIFEST bytes written since construction: appended edits and rewritten snapshots.
  std::uint64_t manifest_bytes_written() const { return manifest_bytes_written_.load(); }
  // Rewrite threshold floor (default 4 MiB); tests set it low.
  void set_manifest_rewrite_bytes(std::uint64_t bytes) { manifest_rewrite_bytes_ = bytes; }
  // OK, or the Poisoned status LogAndApply returns.
  Status poisoned() const;

 private:
  struct Scalars;
  // The snapshot edit of `v` with these scalars.
  VersionEdit Snapshot(const Version& v, const Scalars& s) const;
  // Writes MANIFEST.tmp with the snapshot, fsyncs, renames, fsyncs the directory, reopens.
  Status RewriteManifest(const Version& v, const Scalars& s);
  Status Poison(const Status& cause);
  Status Apply(VersionEdit* edit, Mutex* caller_mu) NO_THREAD_SAFETY_ANALYSIS;
  std::uint64_t RewriteThreshold() const {
    return std::max(manifest_rewrite_bytes_, 2 * snapshot_bytes_);
  }
  void Install(std::shared_ptr<const Version> v, const Scalars& s);

  // Values that change with each edit, installed together with the Version.
  struct Scalars {
    std::uint64_t log_number = 0;
    std::uint64_t log_offset = 0;
    std::vector<std::string> compact_pointers;
  };

  const std::string dir_;
  FileSystem* const fs_;
  const int num_levels_;
  const bool read_only_;
  std::uint64_t manifest_rewrite_bytes_ = std::uint64_t{4} << 20;

  std::atomic<std::uint64_t> next_file_number_{1};
  std::atomic<SequenceNumber> last_sequence_{0};

  // Owned by the one thread in Create/Recover/LogAndApply.
  std::unique_ptr<ManifestWriter> manifest_;
  std::uint64_t snapshot_bytes_ = 0;
  std::atomic<std::uint64_t> manifest_size_{0};
  std::atomic<std::uint64_t> manifest_rewrites_{0};
  std::atomic<std::uint64_t> manifest_bytes_written_{0};

  mutable Mutex mu_;
  std::shared_ptr<const Version> current_ GUARDED_BY(mu_);
  Scalars scalars_ GUARDED_BY(mu_);
  // Every Version installed that may still be held somewhere (pruned as they expire).
  mutable std::vector<std::weak_ptr<const Version>> versions_ GUARDED_BY(mu_);
  Status poisoned_ GUARDED_BY(mu_);
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_VERSION_SET_H_
