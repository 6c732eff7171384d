#include "lsm/table_level_files.h"

#include <utility>

#include "lsm/table.h"
#include "lsm/table_cache.h"
#include "lsm/vector_iterator.h"

namespace larder::lsm {

TableLevelFiles::TableLevelFiles(std::vector<FileRef> files, TableCache* cache,
                                 bool verify_checksums, bool fill_cache)
    : files_(std::move(files)),
      cache_(cache),
      verify_checksums_(verify_checksums),
      fill_cache_(fill_cache),
      opened_(files_.size()) {}

TableLevelFiles::~TableLevelFiles() = default;

std::unique_ptr<InternalIterator> TableLevelFiles::NewIterator(std::size_t i) {
  if (opened_[i] == nullptr) {
    auto table = cache_->Get(files_[i]->number, files_[i]->file_size);
    if (!table.ok()) return NewErrorIterator(table.status());
    opened_[i] = std::move(*table);
  }
  return opened_[i]->NewIterator(verify_checksums_, fill_cache_);
}

}  // namespace larder::lsm
