// The consistency check: bbolt's tx.Check (freelist duplicates, reachability, page types) plus
// key order within pages and against their parents' keys. It never trusts the file: every
// page id and element is bounds-checked, and a page is descended at most once, so damaged
// trees (cycles, shared pages) are reported rather than followed.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"

namespace larder::bolt::internal {
namespace {

class Checker {
 public:
  using Progress = std::function<void(std::uint64_t, std::uint64_t)>;
  Checker(TxImpl& tx, const Progress& progress)
      : tx_(tx), hwm_(tx.meta.pgid), progress_(progress) {}

  std::vector<std::string> Run() {
    reachable_.assign(hwm_, false);
    freed_.assign(hwm_, false);
    const bool has_freelist = tx_.meta.freelist != kNoFreelist;
    if (has_freelist) ReadFreelist();
    if (hwm_ > 0) reachable_[0] = true;
    if (hwm_ > 1) reachable_[1] = true;
    BucketImpl root(&tx_, tx_.meta.root, tx_.db->options().fill_percent, &tx_.arena);
    CheckBucket(&root);
    if (progress_) progress_(hwm_, hwm_);
    if (has_freelist) {
      for (Pgid id = 0; id < hwm_; ++id) {
        if (!reachable_[id] && !freed_[id]) Report(fmt::format("page {}: unreachable unfreed", id));
      }
    }
    return std::move(problems_);
  }

 private:
  void Report(std::string msg) { problems_.push_back(std::move(msg)); }

  void ReadFreelist() {
    Pgid fl = tx_.meta.freelist;
    auto page = tx_.Page(fl);
    if (!page.ok()) {
      Report(fmt::format("freelist: {}", page.status().message()));
      return;
    }
    for (Pgid id = fl; id <= fl + page->overflow() && id < hwm_; ++id) reachable_[id] = true;
    if (page->flags() != kFreelistPageFlag) {
      Report(fmt::format("page {}: invalid type: {}", fl, PageTypeName(page->flags())));
      return;
    }
    std::uint64_t count = 0;
    std::size_t off = 0;
    if (!FreelistExtent(*page, fmt::format("page {}", fl), &count, &off).ok()) {
      Report(fmt::format("page {}: freelist count {} does not fit the page", fl, count));
      return;
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      Pgid id = LoadU64(page->data() + off + i * 8);
      if (id >= hwm_) {
        Report(fmt::format("page {}: out of bounds: {}", id, hwm_));
        continue;
      }
      if (freed_[id]) Report(fmt::format("page {}: already freed", id));
      freed_[id] = true;
    }
  }

  void CheckBucket(BucketImpl* b) {
    std::vector<std::string> children;
    if (b->header.root == 0) {
      CheckElements(b->inline_page, 0, /*inline_page=*/true, std::nullopt, std::nullopt, &children);
    } else {
      CheckPage(b->header.root, 0, std::nullopt, std::nullopt, &children);
    }
    for (const std::string& name : children) {
      auto child = b->Child(name);
      if (!child.ok()) {
        Report(fmt::format("bucket {}: {}", KeyForMessage(name), child.status().message()));
        continue;
      }
      CheckBucket(*child);
    }
  }

  void CheckPage(Pgid pgid, std::size_t depth, std::optional<std::string_view> low,
                 std::optional<std::string_view> high, std::vector<std::string>* buckets) {
    if (pgid < 2 || pgid >= hwm_) {
      Report(fmt::format("page {}: out of bounds: {}", pgid, hwm_));
      return;
    }
    if (depth >= kMaxTreeDepth) {
      Report(fmt::format("page {}: tree deeper than {} levels", pgid, kMaxTreeDepth));
      return;
    }
    auto page = tx_.Page(pgid);
    if (!page.ok()) {
      Report(std::string(page.status().message()));
      return;
    }
    bool seen = false;
    visited_ += 1 + page->overflow();
    if (progress_ && visited_ - reported_ >= 1024) {
      reported_ = visited_;
      progress_(std::min<std::uint64_t>(visited_, hwm_), hwm_);
    }
    for (Pgid id = pgid; id <= pgid + page->overflow(); ++id) {
      if (reachable_[id]) {
        Report(fmt::format("page {}: multiple references", id));
        seen = true;
      }
      reachable_[id] = true;
    }
    if (seen) return;  // never descend twice: that is how cycles are cut
    if (freed_[pgid]) {
      Report(fmt::format("page {}: reachable freed", pgid));
      return;
    }
    if (!page->is_branch() && !page->is_leaf()) {
      Report(fmt::format("page {}: invalid type: {}", pgid, PageTypeName(page->flags())));
      return;
    }
    CheckElements(*page, depth, false, low, high, buckets);
  }

  void CheckElements(PageView page, std::size_t depth, bool inline_page,
                     std::optional<std::string_view> low, std::optional<std::string_view> high,
                     std::vector<std::string>* buckets) {
    const Pgid id = inline_page ? 0 : page.id();
    const char* kind = page.is_leaf() ? "leaf" : "branch";
    if (Status s = page.CheckElements(fmt::format("page {}", id)); !s.ok()) {
      Report(std::string(s.message()));
      return;
    }
    std::string_view prev;
    std::vector<std::pair<std::string_view, Pgid>> kids;
    for (std::size_t i = 0; i < page.count(); ++i) {
      std::string_view key;
      if (page.is_leaf()) {
        LeafElement e;
        if (!page.Leaf(i, &e)) {
          Report(fmt::format("page {}: leaf element {} out of bounds", id, i));
          return;
        }
        key = e.key;
        if (e.is_bucket()) {
          if (inline_page) {
            Report(fmt::format("page {}: inline bucket holds a sub-bucket", id));
          } else {
            buckets->emplace_back(e.key);
          }
        }
      } else {
        BranchElement e;
        if (!page.Branch(i, &e)) {
          Report(fmt::format("page {}: branch element {} out of bounds", id, i));
          return;
        }
        key = e.key;
        kids.emplace_back(e.key, e.pgid);
      }
      if (i > 0 && CompareKeys(key, prev) <= 0) {
        Report(fmt::format(
            "key[{}]=(hex){} on {} page({}) needs to be > (found <) than previous element "
            "(hex){}",
            i, KeyForMessage(key), kind, id, KeyForMessage(prev)));
      }
      if (low && CompareKeys(key, *low) < 0) {
        Report(
            fmt::format("key[{}]=(hex){} on {} page({}) needs to be >= the key in the parent "
                        "(hex){}",
                        i, KeyForMessage(key), kind, id, KeyForMessage(*low)));
      }
      if (high && CompareKeys(key, *high) >= 0) {
        Report(
            fmt::format("key[{}]=(hex){} on {} page({}) needs to be < the next key in the "
                        "parent (hex){}",
                        i, KeyForMessage(key), kind, id, KeyForMessage(*high)));
      }
      prev = key;
    }
    for (std::size_t i = 0; i < kids.size(); ++i) {
      std::optional<std::string_view> lo = i == 0 ? low : std::optional(kids[i].first);
      std::optional<std::string_view> hi =
          i + 1 < kids.size() ? std::optional(kids[i + 1].first) : high;
      CheckPage(kids[i].second, depth + 1, lo, hi, buckets);
    }
  }

  TxImpl& tx_;
  const Pgid hwm_;
  const Progress& progress_;
  std::uint64_t visited_ = 0;   // tree pages seen, overflow included
  std::uint64_t reported_ = 0;  // visited_ at the last progress call
  std::vector<bool> reachable_;
  std::vector<bool> freed_;
  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> CheckTx(
    TxImpl& tx, const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  return Checker(tx, progress).Run();
}

}  // namespace larder::bolt::internal
