#include "lsm/merging_iterator.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "lsm/dbformat.h"
#include "lsm/vector_iterator.h"

namespace larder::lsm {
namespace {

class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty() && status_.ok(); }

  void SeekToFirst() override {
    SeekAll(kForward, [](InternalIterator* c) { c->SeekToFirst(); });
  }
  void SeekToLast() override {
    SeekAll(kReverse, [](InternalIterator* c) { c->SeekToLast(); });
  }
  void Seek(std::string_view target) override {
    SeekAll(kForward, [target](InternalIterator* c) { c->Seek(target); });
  }
  void SeekForPrev(std::string_view target) override {
    SeekAll(kReverse, [target](InternalIterator* c) { c->SeekForPrev(target); });
  }

  void Next() override {
    if (direction_ != kForward) SwitchDirection(kForward);
    if (heap_.empty()) return;  // the switch met an error
    heap_[0].child->Next();
    ReplaceTop();
  }

  void Prev() override {
    if (direction_ != kReverse) SwitchDirection(kReverse);
    if (heap_.empty()) return;
    heap_[0].child->Prev();
    ReplaceTop();
  }

  std::string_view key() const override { return heap_[0].key; }
  std::string_view value() const override { return heap_[0].child->value(); }
  Status status() const override { return status_; }

 private:
  enum Direction { kForward, kReverse };

  // A positioned child and its current key (a view valid until the child moves), cached so
  // that sifting compares without virtual calls.
  struct Item {
    InternalIterator* child;
    std::string_view key;
  };

  void Reset(Direction d) {
    direction_ = d;
    heap_.clear();
    status_ = Status::Ok();
  }

  // Positions every child with `seek` and builds the heap for direction `d`.
  template <typename SeekFn>
  void SeekAll(Direction d, SeekFn seek) {
    Reset(d);
    for (auto& c : children_) {
      seek(c.get());
      Add(c.get());
    }
    Heapify();
  }

  // After `c` moved: into the heap if positioned, else its error (if any) is recorded.
  void Add(InternalIterator* c) {
    if (c->Valid()) {
      heap_.push_back(Item{c, c->key()});
    } else {
      NoteError(c);
    }
  }

  void NoteError(InternalIterator* c) {
    if (!status_.ok()) return;
    Status s = c->status();
    if (!s.ok()) status_ = std::move(s);
  }

  // True when a belongs above b in the heap (it comes first in the current direction).
  bool Above(const Item& a, const Item& b) const {
    const int r = CompareInternalKeys(a.key, b.key);
    return direction_ == kForward ? r < 0 : r > 0;
  }

  void SiftDown(std::size_t i) {
    const std::size_t n = heap_.size();
    const Item item = heap_[i];
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Above(heap_[child + 1], heap_[child])) ++child;
      if (!Above(heap_[child], item)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = item;
  }

  void Heapify() {
    for (std::size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  // The top child moved: sift it down, or drop it when it ran off its end.
  void ReplaceTop() {
    InternalIterator* top = heap_[0].child;
    if (top->Valid()) {
      heap_[0].key = top->key();
      SiftDown(0);
      return;
    }
    NoteError(top);
    heap_[0] = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
  }

  // Positions every child other than the current one just past the current key in direction
  // `d`, so that the heap holds the neighbours of the current entry on that side.
  void SwitchDirection(Direction d) {
    const Item current = heap_[0];
    const std::string_view k = current.key;  // current does not move below
    heap_.clear();
    direction_ = d;
    for (auto& owned : children_) {
      InternalIterator* c = owned.get();
      if (c == current.child) continue;
      if (d == kForward) {
        c->Seek(k);
        if (c->Valid() && CompareInternalKeys(c->key(), k) == 0) c->Next();
      } else {
        c->SeekForPrev(k);
        if (c->Valid() && CompareInternalKeys(c->key(), k) == 0) c->Prev();
      }
      Add(c);
    }
    if (!status_.ok()) {
      heap_.clear();
      return;
    }
    heap_.push_back(current);
    // current is first in direction d: put it on top, then heapify the rest around it.
    std::swap(heap_[0], heap_.back());
    Heapify();
  }

  std::vector<std::unique_ptr<InternalIterator>> children_;
  std::vector<Item> heap_;  // the positioned children
  Direction direction_ = kForward;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace larder::lsm
