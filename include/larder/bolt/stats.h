// Figures reported by Bucket::Stats and Tx::Stats, computed as bbolt computes them.
#ifndef LARDER_BOLT_STATS_H_
#define LARDER_BOLT_STATS_H_

#include <cstdint>

namespace larder::bolt {

struct BucketStats {
  // Page counts.
  std::int64_t branch_page_n = 0;      // logical branch pages
  std::int64_t branch_overflow_n = 0;  // physical branch overflow pages
  std::int64_t leaf_page_n = 0;        // logical leaf pages
  std::int64_t leaf_overflow_n = 0;    // physical leaf overflow pages
  // Tree.
  std::int64_t key_n = 0;  // key/value pairs, sub-bucket entries included
  std::int64_t depth = 0;  // levels in the B+tree, nested buckets included
  // Page size utilization, in bytes.
  std::int64_t branch_alloc = 0;
  std::int64_t branch_inuse = 0;
  std::int64_t leaf_alloc = 0;
  std::int64_t leaf_inuse = 0;
  // Buckets.
  std::int64_t bucket_n = 0;
  std::int64_t inline_bucket_n = 0;
  std::int64_t inline_bucket_inuse = 0;

  // Adds `other` as bbolt's BucketStats.Add does (depth is the maximum).
  void Add(const BucketStats& other);
};

}  // namespace larder::bolt

#endif  // LARDER_BOLT_STATS_H_
