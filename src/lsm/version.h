// Version: one immutable state of an LSM database's files, and VersionBuilder, which applies
// version edits to a Version to make the next one.
//
// Levels: level 0 holds tables flushed from memtables, newest first (by largest sequence, then
// by number), and their key ranges may overlap. Every deeper level holds tables sorted by
// smallest key whose internal-key ranges do not overlap. A Version also lists the live value-log
// files with the bytes of garbage (discarded values) counted in each.
//
// Lifetime and thread-safety: a Version is immutable once built and shared as
// std::shared_ptr<const Version>; any number of threads may read one. Files it lists (tables and
// value logs) must not be deleted while any holder of the Version remains (see
// VersionSet::LiveFiles). Raw FileMetaData pointers handed out live as long as the Version.
#ifndef LARDER_LSM_VERSION_H_
#define LARDER_LSM_VERSION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/status.h"
#include "lsm/dbformat.h"
#include "lsm/version_edit.h"

namespace larder::lsm {

using FileRef = std::shared_ptr<const FileMetaData>;

class Version {
 public:
  explicit Version(int num_levels) : files_(static_cast<std::size_t>(num_levels)) {}

  int num_levels() const { return static_cast<int>(files_.size()); }
  const std::vector<FileRef>& files(int level) const {
    return files_[static_cast<std::size_t>(level)];
  }
  int NumFiles(int level) const { return static_cast<int>(files(level).size()); }
  // The memtable flushes level 0 holds (what the level-0 triggers count): its tables grouped
  // by overlapping sequence ranges. A flush gives each table it writes its memtable's whole
  // sequence range, and memtables' ranges are disjoint, so each group is one flush's tables.
  int Level0Runs() const;
  std::uint64_t LevelBytes(int level) const;
  // Live value-log files: number -> bytes of values discarded in it.
  const std::map<std::uint64_t, std::uint64_t>& vlogs() const { return vlogs_; }

  // The tables a point read of key.user_key() at key's sequence must visit, in the order to
  // visit them: every level-0 table whose user-key range holds the key, newest first, then at
  // most one table per deeper level, the first whose largest internal key is at or after the
  // lookup key (binary search). `visit(level, file)` returns false to stop early. No allocation.
  template <class Visit>
  void ForEachFileForGet(const LookupKey& key, Visit&& visit) const;
  // The same, gathered into *out (cleared first).
  void FilesForGet(const LookupKey& key, std::vector<const FileMetaData*>* out) const;

  // The tables of `level` whose user-key range meets [begin, end] (both inclusive; nullopt is
  // unbounded). At level 0 the range grows to cover every table found, transitively, so that
  // the result holds every level-0 table overlapping any table in it (a newer version of a key
  // is never left behind an older one that moves down).
  std::vector<FileRef> OverlappingInputs(int level, std::optional<std::string_view> begin,
                                         std::optional<std::string_view> end) const;
  // Whether any table of `level` meets the user-key range [begin, end].
  bool OverlapsRange(int level, std::optional<std::string_view> begin,
                     std::optional<std::string_view> end) const;

  // One line per level and table, for tests and `larder lsm info`.
  std::string DebugString() const;

 private:
  friend class VersionBuilder;
  // Index of the first file of sorted level `level` (> 0) whose largest key >= `internal_key`.
  std::size_t FindFile(int level, std::string_view internal_key) const;

  std::vector<std::vector<FileRef>> files_;
  std::map<std::uint64_t, std::uint64_t> vlogs_;
};

// Applies edits to a base Version. Edits are checked as they are applied; Build checks the
// result (levels sorted and disjoint). Errors are Corruption without a file name (callers add
// it). Thread-safety: one thread at a time; the base must outlive the builder.
class VersionBuilder {
 public:
  explicit VersionBuilder(const Version& base);
  // Adds and deletes tables and value logs. Corruption: a level past num_levels, a table
  // deleted that is not in that level, a number added twice, a value log removed that is not
  // live. Discard bytes for a value log that is not live are ignored (it was collected).
  [[nodiscard]] Status Apply(const VersionEdit& edit);
  [[nodiscard]] Status Build(std::shared_ptr<const Version>* out);

 private:
  int num_levels_;
  std::vector<std::map<std::uint64_t, FileRef>> levels_;  // by number
  std::map<std::uint64_t, std::uint64_t> vlogs_;
};

// --- Implementation ------------------------------------------------------------------------

inline bool UserKeyInFile(std::string_view user_key, const FileMetaData& f) {
  return user_key.compare(f.smallest_user_key()) >= 0 &&
         user_key.compare(f.largest_user_key()) <= 0;
}

template <class Visit>
void Version::ForEachFileForGet(const LookupKey& key, Visit&& visit) const {
  const std::string_view user_key = key.user_key();
  for (const FileRef& f : files_[0]) {
    if (UserKeyInFile(user_key, *f) && !visit(0, *f)) return;
  }
  for (int level = 1; level < num_levels(); ++level) {
    const auto& files = files_[static_cast<std::size_t>(level)];
    if (files.empty()) continue;
    const std::size_t i = FindFile(level, key.internal_key());
    if (i < files.size() && user_key.compare(files[i]->smallest_user_key()) >= 0 &&
        !visit(level, *files[i])) {
      return;
    }
  }
}

}  // namespace larder::lsm

#endif  // LARDER_LSM_VERSION_H_
