#include "bolt/reader_table.h"

#include "bolt/tx_impl.h"

#include <functional>
#include <thread>

namespace larder::bolt::internal {
namespace {

// The slot this thread claimed last, plus one (0: none yet). A thread that reads in a loop
// finds its slot free again and claims it with one compare-exchange; threads start spread out
// by their id. Only a hint: any free slot will do.
thread_local std::size_t slot_hint_plus1 = 0;

std::size_t FirstProbe() {
  if (slot_hint_plus1 != 0) return slot_hint_plus1 - 1;
  return std::hash<std::thread::id>{}(std::this_thread::get_id()) % ReaderTable::kSlots;
}

}  // namespace

int ReaderTable::Acquire(Snapshot** snap) {
  Snapshot* s = current();
  *snap = s;
  if (s == nullptr) return kNoSlot;
  const std::size_t first = FirstProbe();
  for (std::size_t k = 0; k < kSlots; ++k) {
    const std::size_t i = (first + k) % kSlots;
    Slot& slot = slots_[i];
    if (slot.snap.load(std::memory_order_relaxed) != nullptr) continue;
    Snapshot* expected = nullptr;
    if (!slot.snap.compare_exchange_strong(expected, s, std::memory_order_seq_cst)) continue;
    // Claimed. Valid only if `s` is still current after the store (see the header).
    for (;;) {
      Snapshot* now = current();
      if (now == s) break;
      if (now == nullptr) {
        Release(static_cast<int>(i));
        *snap = nullptr;
        return kNoSlot;
      }
      s = now;
      slot.snap.store(s, std::memory_order_seq_cst);
    }
    slot.begun.store(slot.begun.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    slot_hint_plus1 = i + 1;
    *snap = s;
    return static_cast<int>(i);
  }
  return kNoSlot;
}

void RecycleReader(std::unique_ptr<TxImpl> tx) {
  constexpr std::size_t kMaxRecycledBuckets = 8;
  const int slot = tx->reader_slot;
  if (slot == ReaderTable::kNoSlot || tx->open || tx->reader_table == nullptr ||
      tx->reader_table->current() != tx->snapshot || tx->buckets_made() > kMaxRecycledBuckets) {
    return;  // deleted, with its reference to the table
  }
  // Once `tx` is in the slot, another thread may delete it (Close); keep the table alive here.
  std::shared_ptr<ReaderTable> table = tx->reader_table;
  std::unique_ptr<TxImpl> replaced(table->PutCached(slot, tx.release()));
  // Close publishes nullptr and then drops what the slots keep; if it did so between the check
  // above and the exchange, take back what was just put (seq_cst: one of the two sees the other).
  if (table->current() == nullptr) std::unique_ptr<TxImpl> dropped(table->TakeCached(slot));
}

void ReaderTable::DropCached() {
  for (std::size_t i = 0; i < kSlots; ++i) {
    std::unique_ptr<TxImpl> cached(TakeCached(static_cast<int>(i)));
  }
}

void ReaderTable::CollectHeld(std::vector<const Snapshot*>* out) const {
  for (const Slot& slot : slots_) {
    if (const Snapshot* s = slot.snap.load(std::memory_order_seq_cst); s != nullptr) {
      out->push_back(s);
    }
  }
}

std::size_t ReaderTable::InUse() const {
  std::size_t n = 0;
  for (const Slot& slot : slots_) n += slot.snap.load(std::memory_order_relaxed) != nullptr;
  return n;
}

std::uint64_t ReaderTable::Begun() const {
  std::uint64_t n = 0;
  for (const Slot& slot : slots_) n += slot.begun.load(std::memory_order_relaxed);
  return n;
}

}  // namespace larder::bolt::internal
