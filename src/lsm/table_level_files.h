// TableLevelFiles: the LevelFiles (level_iterator.h) of one level of a Version, its tables
// opened through the TableCache when the level iterator first reaches them. With it a read
// merges one child per level (levels 1 and deeper) instead of one per table, and a seek opens
// and searches one table per level.
//
//   children.push_back(NewLevelIterator(std::make_unique<TableLevelFiles>(
//       version->files(level), table_cache, verify_checksums, fill_cache)));
//
// Ownership and lifetime: holds the FileRefs it is given (the files' metadata stays alive) and
// every Table it opened (until it is destroyed), so the table iterators it returns never
// outlive their Table. The TableCache is not owned and must outlive it (the DB's pins).
//
// Thread-safety: one thread at a time (it belongs to one iterator).
#ifndef LARDER_LSM_TABLE_LEVEL_FILES_H_
#define LARDER_LSM_TABLE_LEVEL_FILES_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "lsm/level_iterator.h"
#include "lsm/version.h"

namespace larder::lsm {

class Table;
class TableCache;

class TableLevelFiles final : public LevelFiles {
 public:
  // `files`: one level's tables in key order (Version::files(level), level >= 1).
  TableLevelFiles(std::vector<FileRef> files, TableCache* cache, bool verify_checksums,
                  bool fill_cache);
  ~TableLevelFiles() override;

  std::size_t size() const override { return files_.size(); }
  std::string_view smallest(std::size_t i) const override { return files_[i]->smallest; }
  std::string_view largest(std::size_t i) const override { return files_[i]->largest; }
  // The table's point entries; an error iterator when the table cannot be opened.
  std::unique_ptr<InternalIterator> NewIterator(std::size_t i) override;

 private:
  std::vector<FileRef> files_;
  TableCache* const cache_;
  const bool verify_checksums_;
  const bool fill_cache_;
  std::vector<std::shared_ptr<const Table>> opened_;  // by file index; null until opened
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_LEVEL_FILES_H_
