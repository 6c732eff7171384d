#include "lsm/table_cache.h"

#include <algorithm>
#include <utility>

#include "lsm/block_cache.h"
#include "lsm/filename.h"
#include "lsm/table.h"

namespace larder::lsm {

TableCache::TableCache(std::string dir, FileSystem* fs, BlockCache* cache, int max_open)
    : dir_(std::move(dir)),
      fs_(fs),
      cache_(cache),
      max_open_(static_cast<std::size_t>(std::max(max_open, 1))) {}

TableCache::~TableCache() = default;

Result<std::shared_ptr<const Table>> TableCache::Get(std::uint64_t number,
                                                     std::uint64_t file_size) {
  {
    MutexLock l(&mu_);
    auto it = map_.find(number);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return it->second.table;
    }
  }
  OpenOptions oo;
  oo.read_only = true;
  oo.access = AccessPattern::kRandom;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_->Open(TableFileName(dir_, number), oo));
  const std::uint64_t id = cache_ != nullptr ? cache_->NewId() : 0;
  // Blocks are checked when read (Options::verify_checksums); Open checks the meta blocks.
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Table> opened,
                          Table::Open(std::move(file), file_size, id, cache_, false));
  std::shared_ptr<const Table> table(std::move(opened));
  std::shared_ptr<const Table> evicted;  // released after unlock
  MutexLock l(&mu_);
  auto it = map_.find(number);
  if (it != map_.end()) return it->second.table;  // another thread opened it first
  lru_.push_front(number);
  map_.emplace(number, Entry{table, lru_.begin()});
  if (map_.size() > max_open_) {
    const std::uint64_t victim = lru_.back();
    lru_.pop_back();
    auto v = map_.find(victim);
    evicted = std::move(v->second.table);
    map_.erase(v);
  }
  return table;
}

void TableCache::Evict(std::uint64_t number) {
  std::shared_ptr<const Table> evicted;
  MutexLock l(&mu_);
  auto it = map_.find(number);
  if (it == map_.end()) return;
  evicted = std::move(it->second.table);
  lru_.erase(it->second.lru);
  map_.erase(it);
}

int TableCache::open_tables() const {
  MutexLock l(&mu_);
  return static_cast<int>(map_.size());
}

}  // namespace larder::lsm
