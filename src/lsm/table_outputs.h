// TableOutputs: the tables one flush or compaction writes, cut where a table should end.
//
// Entries arrive in internal-key order. A new table starts, between two user keys (never
// inside one user key's versions), when
//  - the current table has reached `target_size` bytes, or
//  - `cut_prefix_length` > 0 and the next user key's first cut_prefix_length bytes differ from
//    the previous user key's (a key shorter than that is its own prefix): Options::
//    table_cut_prefix_length, so that a table never spans two prefixes' key ranges.
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

struct TableCutRule {
  std::uint64_t target_size = ~std::uint64_t{0};  // no size limit
  std::size_t cut_prefix_length = 0;              // 0: no prefix cuts
};

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

  const std::vector<FileMetaData>& files() const { return files_; }
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }
  std::uint64_t bytes() const;

 private:
  bool PrefixChanges(std::string_view user_key) const;
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
  const std::vector<RangeTombstone>* tombstones_ = nullptr;
  std::vector<FileMetaData> files_;
  std::vector<std::uint64_t> numbers_;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_OUTPUTS_H_
