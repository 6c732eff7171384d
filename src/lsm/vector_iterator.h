// VectorIterator: an InternalIterator over a sorted vector of (internal key, value) entries that
// it owns. Used by tests and by the DB for small sorted sets (e.g. range tombstones gathered in
// memory). Also the empty and error iterators every layer returns when it has nothing to show or
// could not open what it should show.
//
// Ownership: the iterator owns its entries; key() and value() views stay valid until the
// iterator is destroyed (longer than InternalIterator promises).
//
// Thread-safety: one thread at a time.
#ifndef LARDER_LSM_VECTOR_ITERATOR_H_
#define LARDER_LSM_VECTOR_ITERATOR_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/status.h"
#include "lsm/internal_iterator.h"

namespace larder::lsm {

class VectorIterator final : public InternalIterator {
 public:
  using Entry = std::pair<std::string, std::string>;  // (internal key, value)

  // Sorts `entries` by CompareInternalKeys when they are not sorted already (stable: of equal
  // internal keys, which the contract forbids, the first is kept and the others dropped).
  // REQUIRES: every key is at least kTrailerSize bytes long.
  explicit VectorIterator(std::vector<Entry> entries);

  // Test hook: when the iterator would land on entry `index`, it becomes !Valid() with
  // status() = `error` instead (until the next Seek* that lands elsewhere).
  void InjectErrorAt(std::size_t index, Status error);

  bool Valid() const override { return pos_ < entries_.size() && status_.ok(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

  std::size_t size() const { return entries_.size(); }
  // Next and Prev calls so far (tests count the steps a layer above takes).
  std::size_t steps() const { return steps_; }

 private:
  // Positions on `pos` (entries_.size() = off either end) and applies the injected error.
  void Land(std::size_t pos);

  std::vector<Entry> entries_;
  std::size_t pos_;  // entries_.size() when not positioned
  std::size_t steps_ = 0;
  Status status_;
  std::size_t error_at_;
  Status injected_;
};

// An iterator with no entries and an OK status.
std::unique_ptr<InternalIterator> NewEmptyIterator();
// An iterator with no entries whose status() is `error` (never OK).
std::unique_ptr<InternalIterator> NewErrorIterator(Status error);

}  // namespace larder::lsm

#endif  // LARDER_LSM_VECTOR_ITERATOR_H_
