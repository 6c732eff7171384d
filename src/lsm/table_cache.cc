#include "lsm/table_cache.h"

#include <algorithm>
#include <utility>

#include "lsm/block_cache.h"
#include "lsm/filename.h"
#include "lsm/internal_iterator.h"
#include "lsm/table.h"
#include "lsm/vector_iterator.h"

namespace larder::lsm {

TableCache::TableCache(std::string dir, FileSystem* fs, BlockCache* cache, int max_open,
                       bool map_files)
    : dir_(std::move(dir)),
      fs_(fs),
      cache_(cache),
      max_open_(static_cast<std::size_t>(std::max(max_open, 1))),
      map_files_(map_files) {}

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
  const std::string path = TableFileName(dir_, number);
  Result<std::unique_ptr<File>> opened_file = fs_->Open(path, oo);
  if (!opened_file.ok()) {
    // A table the version lists is gone: damage, never to be read as an absent key.
    if (opened_file.status().IsNotFound()) {
      return Status::Corruption(path + ": missing, but listed in the MANIFEST");
    }
    return opened_file.status();
  }
  std::unique_ptr<File> file = std::move(*opened_file);
  const std::uint64_t id = cache_ != nullptr ? cache_->NewId() : 0;
  // Blocks are checked when read (Options::verify_checksums); Open checks the meta blocks.
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Table> opened,
                          Table::Open(std::move(file), file_size, id, cache_, false, map_files_));
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

namespace {

// A table's iterator that holds the table open.
class PinnedTableIterator final : public InternalIterator {
 public:
  PinnedTableIterator(std::shared_ptr<const Table> table, std::unique_ptr<InternalIterator> it)
      : table_(std::move(table)), it_(std::move(it)) {}
  ~PinnedTableIterator() override { it_.reset(); }  // before the table
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(target); }
  void SeekForPrev(std::string_view target) override { it_->SeekForPrev(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  std::shared_ptr<const Table> table_;
  std::unique_ptr<InternalIterator> it_;
};

}  // namespace

std::unique_ptr<InternalIterator> TableCache::NewIterator(std::uint64_t number,
                                                          std::uint64_t file_size,
                                                          bool verify_checksums, bool fill_cache) {
  auto table = Get(number, file_size);
  if (!table.ok()) return NewErrorIterator(table.status());
  auto it = (*table)->NewIterator(verify_checksums, fill_cache);
  return std::make_unique<PinnedTableIterator>(std::move(*table), std::move(it));
}

int TableCache::open_tables() const {
  MutexLock l(&mu_);
  return static_cast<int>(map_.size());
}

}  // namespace larder::lsm
