#include "lsm/vector_iterator.h"

#include <algorithm>

#include "lsm/dbformat.h"

namespace larder::lsm {
namespace {

bool EntryLess(const VectorIterator::Entry& a, const VectorIterator::Entry& b) {
  return CompareInternalKeys(a.first, b.first) < 0;
}

// Empty, with a fixed error.
class ErrorIterator final : public InternalIterator {
 public:
  explicit ErrorIterator(Status s) : status_(std::move(s)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override {}
  void Prev() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  Status status_;
};

}  // namespace

VectorIterator::VectorIterator(std::vector<Entry> entries)
    : entries_(std::move(entries)), pos_(entries_.size()), error_at_(entries_.size()) {
  if (!std::is_sorted(entries_.begin(), entries_.end(), EntryLess)) {
    std::stable_sort(entries_.begin(), entries_.end(), EntryLess);
  }
  auto dup = std::unique(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return CompareInternalKeys(a.first, b.first) == 0;
  });
  entries_.erase(dup, entries_.end());
  pos_ = error_at_ = entries_.size();
}

void VectorIterator::InjectErrorAt(std::size_t index, Status error) {
  error_at_ = index;
  injected_ = std::move(error);
}

void VectorIterator::Land(std::size_t pos) {
  pos_ = pos;
  if (pos_ == error_at_ && pos_ < entries_.size()) {
    status_ = injected_;
  } else {
    status_ = Status::Ok();
  }
}

void VectorIterator::SeekToFirst() { Land(entries_.empty() ? entries_.size() : 0); }

void VectorIterator::SeekToLast() { Land(entries_.empty() ? 0 : entries_.size() - 1); }

void VectorIterator::Seek(std::string_view target) {
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), target,
      [](const Entry& e, std::string_view t) { return CompareInternalKeys(e.first, t) < 0; });
  Land(static_cast<std::size_t>(it - entries_.begin()));
}

void VectorIterator::SeekForPrev(std::string_view target) {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), target,
      [](std::string_view t, const Entry& e) { return CompareInternalKeys(t, e.first) < 0; });
  Land(it == entries_.begin() ? entries_.size()
                              : static_cast<std::size_t>(it - entries_.begin()) - 1);
}

void VectorIterator::Next() {
  ++steps_;
  Land(pos_ + 1);
}

void VectorIterator::Prev() {
  ++steps_;
  Land(pos_ == 0 ? entries_.size() : pos_ - 1);
}

std::unique_ptr<InternalIterator> NewEmptyIterator() {
  return std::make_unique<VectorIterator>(std::vector<VectorIterator::Entry>{});
}

std::unique_ptr<InternalIterator> NewErrorIterator(Status error) {
  return std::make_unique<ErrorIterator>(std::move(error));
}

}  // namespace larder::lsm
