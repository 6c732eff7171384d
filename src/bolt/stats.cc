// Bucket statistics, computed over committed pages exactly as bbolt's Bucket.Stats.
#include <algorithm>

#include "bolt/tx_impl.h"
#include "larder/bolt/stats.h"

namespace larder::bolt {

void BucketStats::Add(const BucketStats& o) {
  branch_page_n += o.branch_page_n;
  branch_overflow_n += o.branch_overflow_n;
  leaf_page_n += o.leaf_page_n;
  leaf_overflow_n += o.leaf_overflow_n;
  key_n += o.key_n;
  depth = std::max(depth, o.depth);
  branch_alloc += o.branch_alloc;
  branch_inuse += o.branch_inuse;
  leaf_alloc += o.leaf_alloc;
  leaf_inuse += o.leaf_inuse;
  bucket_n += o.bucket_n;
  inline_bucket_n += o.inline_bucket_n;
  inline_bucket_inuse += o.inline_bucket_inuse;
}

namespace internal {
namespace {
// Bytes from the page start to the end of the last element's data (bbolt's "used").
std::int64_t LeafUsed(PageView p) {
  std::int64_t used = kPageHeaderSize;
  if (p.count() == 0) return used;
  const std::uint8_t* e = p.data() + kPageHeaderSize + (p.count() - 1) * kElementSize;
  used += kElementSize * (p.count() - 1);
  used += std::int64_t{LoadU32(e + 4)} + LoadU32(e + 8) + LoadU32(e + 12);
  return used;
}
std::int64_t BranchUsed(PageView p) {
  std::int64_t used = kPageHeaderSize;
  if (p.count() == 0) return used;
  const std::uint8_t* e = p.data() + kPageHeaderSize + (p.count() - 1) * kElementSize;
  used += kElementSize * (p.count() - 1);
  used += std::int64_t{LoadU32(e)} + LoadU32(e + 4);
  return used;
}
}  // namespace

Result<BucketStats> BucketImpl::Stats() {
  BucketStats s, sub;
  const std::int64_t page_size = tx->page_size;
  s.bucket_n = 1;
  if (header.root == 0) s.inline_bucket_n = 1;
  Status st = ForEachPage([&](PageView p, int depth) -> Status {
    if (p.is_leaf()) {
      s.key_n += p.count();
      std::int64_t used = LeafUsed(p);
      if (header.root == 0) {
        s.inline_bucket_inuse += used;
      } else {
        ++s.leaf_page_n;
        s.leaf_inuse += used;
        s.leaf_overflow_n += p.overflow();
        for (std::size_t i = 0; i < p.count(); ++i) {
          LeafElement e;
          if (!p.Leaf(i, &e)) {
            return Status::Corruption("leaf element out of bounds in page " +
                                      std::to_string(p.id()));
          }
          if (!e.is_bucket()) continue;
          // Open a throwaway handle (not cached) on the committed value.
          BucketImpl probe(tx, header, fill_percent, &tx->arena);
          probe.parent = parent;  // keeps the chain that cycles are detected on
          LARDER_ASSIGN_OR_RETURN(BucketImpl * child, probe.Child(e.key));
          LARDER_ASSIGN_OR_RETURN(BucketStats cs, child->Stats());
          sub.Add(cs);
        }
      }
    } else if (p.is_branch()) {
      ++s.branch_page_n;
      s.branch_inuse += BranchUsed(p);
      s.branch_overflow_n += p.overflow();
    }
    s.depth = std::max<std::int64_t>(s.depth, depth + 1);
    return Status::Ok();
  });
  LARDER_RETURN_IF_ERROR(st);
  s.branch_alloc = (s.branch_page_n + s.branch_overflow_n) * page_size;
  s.leaf_alloc = (s.leaf_page_n + s.leaf_overflow_n) * page_size;
  s.depth += sub.depth;
  s.Add(sub);
  return s;
}

}  // namespace internal
}  // namespace larder::bolt
