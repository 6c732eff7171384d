// Compaction picking: which tables a leveled compaction merges next, and why.
//
// Scores: level 0 scores its flushes (Version::Level0Runs) / level0_compaction_trigger; level n >=
// 1 scores its bytes / (max_bytes_for_level_base * level_size_multiplier^(n-1)); the last level has
// no score (nothing below it). The highest score >= 1 wins. Within level n >= 1 the table picked is
// the first after the level's compaction pointer (round robin over the key space). When no level
// needs a size compaction, the table with the highest tombstone density (at least
// Options::deletion_compaction_ratio of its entries, and at least
// deletion_compaction_min_entries tombstones) is compacted, so that delete-heavy ranges are
// cleaned. Manual compactions (DB::CompactRange) are planned one level at a time.
//
// Rules every plan keeps:
//  - A table being compacted (FileMetaData::being_compacted) is never picked again.
//  - A level-0 compaction takes every level-0 table overlapping its range, transitively (a
//    newer version of a key never stays in level 0 while an older one moves down), and at most
//    one level-0 compaction runs at a time.
//  - At levels >= 1 a plan takes the neighbours that share a boundary user key, so that the
//    versions of one user key never end up split between the input and a table left behind.
//
// Thread-safety: CompactionPicker is immutable. Pick and PickManual read and set
// being_compacted: the caller holds the one lock that serializes picking and releasing
// (DBImpl's mutex) around them and around Compaction::ReleaseInputs.
#ifndef LARDER_LSM_COMPACTION_PICKER_H_
#define LARDER_LSM_COMPACTION_PICKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/lsm/options.h"
#include "larder/result.h"
#include "lsm/version.h"
#include "lsm/version_edit.h"

namespace larder::lsm {

enum class CompactionReason { kLevel0Count, kLevelSize, kDeletionDensity, kManual };
const char* CompactionReasonName(CompactionReason reason);

// A compaction plan.
struct Compaction {
  int level = 0;
  int output_level = 0;
  // inputs[0]: tables of `level`; inputs[1]: tables of `output_level` that overlap them (empty
  // when output_level == level, a rewrite within the last level).
  std::vector<FileRef> inputs[2];
  // Bytes of the tables of output_level + 1 overlapping the inputs' range (a compaction output
  // table is best cut before it overlaps too much of them).
  std::uint64_t grandparent_overlap_bytes = 0;
  CompactionReason reason = CompactionReason::kLevelSize;
  // A private copy of the Version the plan was made from, for reading its metadata while the
  // compaction runs (KeyRangeFreeBelow). Being a copy, it does not count in
  // VersionSet::LiveFiles: once the compaction's edit is applied its inputs may be deleted even
  // while the plan lives (the compaction reads them no more).
  std::shared_ptr<const Version> version;
  // The inputs' user-key range (both inclusive).
  std::string smallest_user_key;
  std::string largest_user_key;

  std::uint64_t InputBytes() const;
  int NumInputFiles() const { return static_cast<int>(inputs[0].size() + inputs[1].size()); }
  // Adds the deletion of every input and the level's new compaction pointer (the largest key of
  // inputs[0]) to `edit`; the caller adds the outputs.
  void AddInputDeletions(VersionEdit* edit) const;
  // Clears being_compacted on every input. REQUIRES: the picking lock.
  void ReleaseInputs() const;
};

class CompactionPicker {
 public:
  explicit CompactionPicker(const Options& options);

  // The size limit of level >= 1.
  std::uint64_t MaxBytesForLevel(int level) const;
  // The level's score (0 for the last level).
  double Score(const Version& v, int level) const;

  // The next automatic compaction, or nullopt when none is needed or possible; marks its
  // inputs being_compacted. `compact_pointers[level]` is VersionSet::compact_pointer(level).
  std::optional<Compaction> Pick(const std::shared_ptr<const Version>& v,
                                 const std::vector<std::string>& compact_pointers) const;
  // Compacts the tables of `level` overlapping user keys [begin, end] (nullopt: unbounded) into
  // level + 1 (or within the last level); with `in_place` (level >= 1), rewrites them within
  // `level`. Only tables numbered below `older_than` seed the plan (0: any), so a rewrite can
  // skip the tables a caller's earlier steps just wrote. Marks its inputs. nullopt when the
  // level has nothing there; Busy when some table needed is being compacted (retry when it
  // ends).
  Result<std::optional<Compaction>> PickManual(const std::shared_ptr<const Version>& v, int level,
                                               std::optional<std::string_view> begin,
                                               std::optional<std::string_view> end,
                                               bool in_place = false,
                                               std::uint64_t older_than = 0) const;

 private:
  // A plan seeded by the tables `seed` of `level`, or nullopt when a table it needs is busy.
  std::optional<Compaction> Plan(const std::shared_ptr<const Version>& v, int level, bool in_place,
                                 std::vector<FileRef> seed, CompactionReason reason) const;
  std::optional<Compaction> PickLevel0(const std::shared_ptr<const Version>& v, const FileRef& seed,
                                       CompactionReason reason) const;
  std::optional<Compaction> PickSizeAt(const std::shared_ptr<const Version>& v, int level,
                                       const std::string& compact_pointer) const;
  std::optional<Compaction> PickDeletionDensity(const std::shared_ptr<const Version>& v) const;

  int num_levels_;
  int level0_trigger_;
  std::uint64_t max_bytes_base_;
  double multiplier_;
  double deletion_ratio_;
  std::uint64_t deletion_min_entries_;
};

// True when no table below `level` holds a user key in [smallest, largest]: a compaction whose
// output goes to `level` may drop the range's tombstones (once no snapshot needs them).
bool KeyRangeFreeBelow(const Version& v, int level, std::string_view smallest_user_key,
                       std::string_view largest_user_key);

}  // namespace larder::lsm

#endif  // LARDER_LSM_COMPACTION_PICKER_H_
