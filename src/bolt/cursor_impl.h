// CursorImpl: a path from a bucket's root to a leaf position, over pages or materialized nodes.
//
// Thread-safety: none; belongs to one transaction.
#ifndef LARDER_BOLT_CURSOR_IMPL_H_
#define LARDER_BOLT_CURSOR_IMPL_H_

#include <array>
#include <string_view>
#include <type_traits>

#include "bolt/bucket_impl.h"

namespace larder::bolt::internal {

struct ElemRef {
  PageNode pn;
  std::size_t index = 0;
};

// One leaf entry.
struct Entry {
  std::string_view key;
  std::string_view value;
  std::uint32_t flags = 0;
  bool is_bucket() const { return (flags & kBucketLeafFlag) != 0; }
};

// A cursor's descent stack, left uninitialized: the entries below the cursor's depth are written
// (by Push) before they are read, and zeroing all kMaxTreeDepth entries (2 KiB) cost more than
// the bucket lookup of a short read transaction.
class ElemStack {
 public:
  ElemStack() {}  // NOLINT(modernize-use-equals-default): no initialization, on purpose
  ElemRef& operator[](std::size_t i) { return slots_[i].ref; }
  const ElemRef& operator[](std::size_t i) const { return slots_[i].ref; }

 private:
  static_assert(std::is_trivially_copyable_v<ElemRef> && std::is_trivially_destructible_v<ElemRef>);
  union Slot {
    Slot() {}  // NOLINT(modernize-use-equals-default)
    ElemRef ref;
  };
  std::array<Slot, kMaxTreeDepth> slots_;
};

class CursorImpl {
 public:
  explicit CursorImpl(BucketImpl* bucket) : bucket_(bucket) {}

  // Movement. Each returns true when positioned on an entry; false at an end or on error
  // (see status()).
  bool First();
  bool Last();
  // Inline for a scan's usual step, to the next entry of the same leaf, so that every caller
  // (bolt::Cursor, the kv adapter's iterator) gets it without a call; the rest in NextSlow.
  bool Next() {
    if (valid_ && bucket_->mutations == mutations_seen_) {
      ElemRef& t = top();  // a leaf: valid_ means positioned on an entry
      LeafElement e;
      if (t.index + 1 < t.pn.count() && t.pn.LeafAt(t.index + 1, &e)) {
        ++t.index;
        entry_ = Entry{e.key, e.value, e.flags};
        return true;
      }
    }
    return NextSlow();  // also reports an element out of bounds
  }
  bool Prev();
  bool Seek(std::string_view key);

  // Tells the bucket where the cursor stands when that is a materialized leaf (a write
  // transaction's), for a Take or Put of this entry's key next (BucketImpl::NoteCursorAt).
  void NotePosition() {
    if (valid_ && top().pn.node != nullptr)
      bucket_->NoteCursorAt(top().pn.node, top().index, entry_.key);
  }

  bool valid() const { return valid_; }
  const Entry& entry() const { return entry_; }
  const Status& status() const { return status_; }
  BucketImpl* bucket() const { return bucket_; }

  // Positions the stack on the first leaf entry >= key, without skipping to the next leaf.
  // Sets *exact when the entry there has exactly `key`. Used by writes.
  Status SeekRaw(std::string_view key, bool* found, Entry* at);
  // The leaf node under the cursor, materializing the path. REQUIRES: a SeekRaw just ran.
  // *index (when given) receives the cursor's position in it: the entry SeekRaw found.
  Result<Node*> LeafNode(std::size_t* index = nullptr);

  Status Delete();

 private:
  // Descends from `pgid` to the leaf position of the first key >= `key`; *exact (when given)
  // says whether that position holds `key` itself.
  Status Search(std::string_view key, Pgid pgid, bool* exact = nullptr);
  Status DescendFirst();
  Status DescendLast();
  Status Push(Pgid pgid);
  // Loads entry_ from the top of the stack; false when that leaf position is past the end.
  bool LoadEntry();
  bool Fail(Status s);
  bool Finish(bool positioned);
  bool StepForward();
  bool StepBackward();
  // Rebuilds the stack at entry_.key after the bucket changed; *same says it is still there.
  bool Reposition(bool* same);
  bool NextSlow();

  BucketImpl* bucket_;
  ElemRef& top() { return stack_[depth_ - 1]; }
  ElemStack stack_;  // fixed: a cursor never allocates
  std::size_t depth_ = 0;
  Entry entry_;
  bool valid_ = false;
  std::uint64_t mutations_seen_ = 0;
  Status status_;
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_CURSOR_IMPL_H_
