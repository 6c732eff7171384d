// TableOutputs: the tables one flush or compaction writes, cut where a table should end.
//
// Entries arrive in internal-key order. A new table starts, between two user keys (never
// inside one user key's versions), when
//  - the current table has reached `target_size` bytes, or
//  - `cut_prefix_length` > 0 and the next user key's first cut_prefix_length bytes differ from
//    the previous user key's (a key shorter than that is its own prefix): Options::
//    table_cut_prefix_length, so that a table never spans two prefixes' key ranges, or
//  - the current table holds at least `gap_cut_size` bytes and a whole table of the level
//    below (`tables_below`) lies between the previous user key and the next: the table would
//    otherwise span a range it has no key in, and its compaction into that level would rewrite
//    the table there for nothing (a queue's head, where items are deleted, and its tail, where
//    they are added).
// Range tombstones (SetTombstones) are clipped to each table's share of the key space: a table
// that ends where the next starts at user key k holds the parts below k, the next the parts
// from k on, so the tables never overlap and no part of a tombstone is lost. A table that would
// hold nothing is not written.
//
// File numbers come from `new_number`, called once per table started; the caller keeps them
// from deletion until its VersionEdit lists the tables (or removes them on an error: numbers()
// lists every number taken, files() the tables finished).
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_TABLE_OUTPUTS_H_
#define LARDER_LSM_TABLE_OUTPUTS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "lsm/range_tombstones.h"
#include "lsm/table_builder.h"
#include "lsm/table_output.h"
#include "lsm/version_edit.h"

namespace larder::lsm {

// A user-key range, both ends inclusive.
struct UserKeyRange {
  std::string smallest;
  std::string largest;
};

struct TableCutRule {
  std::uint64_t target_size = ~std::uint64_t{0};  // no size limit
  std::size_t cut_prefix_length = 0;              // 0: no prefix cuts
  // The user-key ranges of the tables of the level below the outputs' children will merge
  // into (a flush: level 1; a compaction into level n: level n + 1), sorted and disjoint.
  std::vector<UserKeyRange> tables_below = {};
  std::uint64_t gap_cut_size = 0;
};

// TableCutRule::gap_cut_size: 1/32 of the most a flush (write_buffer_size) or a compaction
// output (target_file_size) holds, so that a few keys spread over many tables below do not
// make as many tiny tables.
inline std::uint64_t FlushGapCutSize(const Options& o) { return o.write_buffer_size / 32; }
inline std::uint64_t CompactionGapCutSize(const Options& o) { return o.target_file_size / 32; }

// The key ranges of `files` (a sorted level), for TableCutRule::tables_below.
std::vector<UserKeyRange> KeyRangesOf(
    const std::vector<std::shared_ptr<const FileMetaData>>& files);

class TableOutputs {
 public:
  TableOutputs(FileSystem* fs, const std::string& dir, const TableOptions& options,
               TableCutRule rule, std::function<std::uint64_t()> new_number);

  // Adds a point entry; `new_user_key` when it is the first entry of its user key (where a cut
  // may fall).
  [[nodiscard]] Status Add(std::string_view internal_key, std::string_view value,
                           bool new_user_key);
  // The range tombstones to write, in any order. REQUIRES: called before the first Add; `t`
  // outlives this object and every tombstone beginning before a point entry added has been
  // appended to it by the time that entry is added.
  void SetTombstones(const std::vector<RangeTombstone>* t) { tombstones_ = t; }
  // Finishes the last table.
  [[nodiscard]] Status Finish();
  // Makes the tables' names durable (a sync of their directory), as they must be before a
  // MANIFEST lists them; nothing when no table was written.
  [[nodiscard]] Status SyncNames() const;
  // After a failure: removes every table file begun, best effort (the caller reports the
  // failure, not a failed removal).
  void RemoveAll() const;

  const std::vector<FileMetaData>& files() const { return files_; }
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }
  std::uint64_t bytes() const;

 private:
  bool PrefixChanges(std::string_view user_key) const;
  // Whether a whole table below lies between the last user key added and `user_key`; moves
  // next_below_ past the tables that begin at or before `user_key`.
  bool SkipsATableBelow(std::string_view user_key);
  Status Start();
  Status Cut(std::string next_start);
  // Adds the tombstones' parts within [start_, end) and finishes the table.
  Status Close(const std::optional<std::string>& end);

  FileSystem* fs_;
  const std::string& dir_;
  TableOptions options_;
  TableCutRule rule_;
  std::function<std::uint64_t()> new_number_;
  std::unique_ptr<TableOutput> out_;
  std::optional<std::string> start_;  // the current table's share starts here (none: -inf)
  std::string last_prefix_;           // of the last user key added
  std::size_t next_below_ = 0;        // the first table below beginning after that key
  const std::vector<RangeTombstone>* tombstones_ = nullptr;
  std::vector<FileMetaData> files_;
  std::vector<std::uint64_t> numbers_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_OUTPUTS_H_
