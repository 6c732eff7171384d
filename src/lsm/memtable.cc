#include "lsm/memtable.h"

#include <algorithm>
#include <utility>

namespace larder::lsm {
namespace {

// InternalIterator over one SkipList. Views stay valid while the list's MemTable lives.
class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(const SkipList* list) : it_(list) {}

  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void SeekToLast() override { it_.SeekToLast(); }
  void Seek(std::string_view target) override { it_.Seek(target); }
  void SeekForPrev(std::string_view target) override { it_.SeekForPrev(target); }
  void Next() override { it_.Next(); }
  void Prev() override { it_.Prev(); }
  std::string_view key() const override { return it_.key(); }
  std::string_view value() const override { return it_.value(); }
  Status status() const override { return Status::Ok(); }

 private:
  SkipList::Iterator it_;
};

// Writer-only increment of a counter that readers load: no read-modify-write needed.
void Bump(std::atomic<std::uint64_t>* counter) {
  counter->store(counter->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

MemTable::MemTable(std::shared_ptr<ArenaBlockCache> cache)
    : arena_(std::move(cache)),
      points_(&arena_, 0x9e3779b97f4a7c15),
      ranges_(&arena_, 0x5851f42d4c957f2d) {
  memory_usage_.store(arena_.used(), std::memory_order_relaxed);
}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view user_key,
                   std::string_view value) {
  if (type == ValueType::kRangeDeletion) {
    ranges_.Insert(user_key, seq, type, value);
    Bump(&num_range_deletions_);
    Bump(&num_deletions_);
  } else {
    points_.Insert(user_key, seq, type, value);
    if (type == ValueType::kDeletion) Bump(&num_deletions_);
  }
  Bump(&num_entries_);
  if (seq < smallest_sequence_.load(std::memory_order_relaxed)) {
    smallest_sequence_.store(seq, std::memory_order_relaxed);
  }
  if (seq > largest_sequence_.load(std::memory_order_relaxed)) {
    largest_sequence_.store(seq, std::memory_order_relaxed);
  }
  memory_usage_.store(arena_.used(), std::memory_order_relaxed);
}

bool MemTable::Get(const LookupKey& key, ValueType* type, std::string_view* value,
                   SequenceNumber* seq) const {
  const std::string_view ikey = key.internal_key();
  return Get(key.user_key(), ExtractTrailer(ikey) >> 8, type, value, seq);
}

bool MemTable::Get(std::string_view user_key, SequenceNumber snapshot, ValueType* type,
                   std::string_view* value, SequenceNumber* seq) const {
  SkipList::Iterator it(&points_);
  it.Seek(user_key, PackTrailer(std::min(snapshot, kMaxSequenceNumber), kMaxValueType));
  if (!it.Valid() || it.user_key() != user_key) return false;
  const std::uint64_t trailer = it.trailer();
  if (type != nullptr) *type = static_cast<ValueType>(trailer & 0xff);
  if (value != nullptr) *value = it.value();
  if (seq != nullptr) *seq = trailer >> 8;
  return true;
}

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&points_);
}

std::unique_ptr<InternalIterator> MemTable::NewRangeTombstoneIterator() const {
  if (ranges_.empty()) return nullptr;
  return std::make_unique<MemTableIterator>(&ranges_);
}

}  // namespace larder::lsm
