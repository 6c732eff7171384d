// TableIterator (table_iterator.h).
#include "lsm/table_iterator.h"

#include "lsm/dbformat.h"

namespace larder::lsm {

TableIterator::TableIterator(const Table* table, bool verify_checksums, bool fill_cache)
    : table_(table),
      verify_checksums_(verify_checksums),
      fill_cache_(fill_cache),
      index_(table->NewIndexIterator()) {}

Status TableIterator::status() const {
  if (!status_.ok()) return status_;
  Status s = index_->status();
  if (!s.ok()) return s;
  if (data_.has_value()) return data_->status();
  return Status::Ok();
}

void TableIterator::LoadBlock() {
  if (!index_->Valid() || !status_.ok()) {
    data_.reset();
    return;
  }
  BlockHandle h;
  Status s = table_->DecodeIndexValue(index_->value(), &h);
  if (!s.ok()) {
    status_ = std::move(s);
    data_.reset();
    return;
  }
  if (data_.has_value() && data_offset_ == h.offset && data_->status().ok()) return;
  s = table_->LoadDataBlock(*index_, h, verify_checksums_, fill_cache_, &data_);
  if (!s.ok()) {
    status_ = std::move(s);
    data_.reset();
    return;
  }
  data_offset_ = h.offset;
}

void TableIterator::SkipEmptyForward() {
  while (data_.has_value() && !data_->Valid() && data_->status().ok()) {
    index_->Next();
    LoadBlock();
    if (data_.has_value()) data_->SeekToFirst();
  }
}

void TableIterator::SkipEmptyBackward() {
  while (data_.has_value() && !data_->Valid() && data_->status().ok()) {
    index_->Prev();
    LoadBlock();
    if (data_.has_value()) data_->SeekToLast();
  }
}

void TableIterator::SeekToFirst() {
  if (!status_.ok()) return;
  index_->SeekToFirst();
  LoadBlock();
  if (data_.has_value()) data_->SeekToFirst();
  SkipEmptyForward();
}

void TableIterator::SeekToLast() {
  if (!status_.ok()) return;
  index_->SeekToLast();
  LoadBlock();
  if (data_.has_value()) data_->SeekToLast();
  SkipEmptyBackward();
}

void TableIterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  table_->SeekIndex(target, index_.get());
  LoadBlock();
  if (data_.has_value()) data_->Seek(target);
  SkipEmptyForward();
}

void TableIterator::SeekForPrev(std::string_view target) {
  Seek(target);
  if (!status().ok()) return;
  if (!Valid()) {
    SeekToLast();
  } else if (CompareInternalKeys(key(), target) > 0) {
    Prev();
  }
}

void TableIterator::Next() {
  data_->Next();
  SkipEmptyForward();
}

void TableIterator::Prev() {
  data_->Prev();
  SkipEmptyBackward();
}

}  // namespace larder::lsm
