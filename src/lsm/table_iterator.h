// TableIterator: the InternalIterator over a Table's data entries, a cursor on the index block
// plus a cursor on the data block the index entry points to (read through the block cache).
//
// The current data block is pinned by the iterator (a shared_ptr): key() and value() stay
// valid until the next move. An error reading a block (I/O, checksum, damage) makes the
// iterator !Valid() with status() set; it does not skip to the next block.
//
// Thread-safety: one thread at a time. Must be destroyed before its Table.
#ifndef LARDER_LSM_TABLE_ITERATOR_H_
#define LARDER_LSM_TABLE_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "lsm/block.h"
#include "lsm/internal_iterator.h"
#include "lsm/table.h"

namespace larder::lsm {

class TableIterator final : public InternalIterator {
 public:
  TableIterator(const Table* table, bool verify_checksums, bool fill_cache);

  bool Valid() const override { return data_.has_value() && data_->Valid(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return data_->key(); }
  std::string_view value() const override { return data_->value(); }
  Status status() const override;

 private:
  // Opens the data block of the index cursor's entry (or none, at its end or on error).
  void LoadBlock();
  // While the data cursor is exhausted (not failed), moves to the next / previous block.
  void SkipEmptyForward();
  void SkipEmptyBackward();

  const Table* table_;
  const bool verify_checksums_;
  const bool fill_cache_;
  std::unique_ptr<BlockIter> index_;
  std::optional<BlockIter> data_;
  std::uint64_t data_offset_ = 0;  // file offset of data_'s block
  Status status_;                  // a block read error
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_ITERATOR_H_
