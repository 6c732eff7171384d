// Bucketed aggregation of raw samples (RangeOptions::bucket_ms): buckets aligned to the epoch,
// each reported at its start, empty ones left out.
//
// Thread-safety: pure functions.
#ifndef LARDER_TSDB_AGGREGATE_H_
#define LARDER_TSDB_AGGREGATE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "larder/tsdb/db.h"

namespace larder::tsdb {

// The aggregate of `values` (REQUIRES: not empty). std.p and var.p take two passes over the
// values (the mean first), so that a constant bucket gives exactly 0.
double AggregateValues(std::span<const double> values, Aggregation aggregation);

// Aggregates `samples` (oldest first) into buckets of `bucket_ms` (> 0), appended to `*out`
// oldest first.
void AggregateBuckets(std::span<const Sample> samples, std::int64_t bucket_ms,
                      Aggregation aggregation, std::vector<Sample>* out);

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_AGGREGATE_H_
