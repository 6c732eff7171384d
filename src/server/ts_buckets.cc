// TS.RANGE's buckets with the options of RedisTimeSeries 1.8 (ts_family.h, BucketSpec): EMPTY,
// BUCKETTIMESTAMP and twa, which needs the samples around each bucket.
#include <cmath>
#include <limits>

#include "server/ts_family.h"

namespace larder::server::tsfamily {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t StartOf(std::int64_t t, std::int64_t bucket_ms, std::int64_t offset) {
  std::int64_t d = (t - offset) % bucket_ms;
  if (d < 0) d += bucket_ms;
  return t - d;
}

// The value at time t on the line through a and b.
double Lerp(const tsdb::Sample& a, const tsdb::Sample& b, std::int64_t t) {
  if (a.time_ms == b.time_ms) return b.value;
  return a.value + (b.value - a.value) * static_cast<double>(t - a.time_ms) /
                       static_cast<double>(b.time_ms - a.time_ms);
}

// The time-weighted average of the bucket [begin, end): its samples `in`, with the line to the
// neighbours `prev` (before begin) and `next` (at or after end) cut at the bucket's edges.
double Twa(std::span<const tsdb::Sample> in, const std::optional<tsdb::Sample>& prev,
           const std::optional<tsdb::Sample>& next, std::int64_t begin, std::int64_t end) {
  std::vector<tsdb::Sample> points;
  if (prev) {
    const tsdb::Sample* right = !in.empty() ? &in.front() : (next ? &*next : nullptr);
    if (right != nullptr) points.push_back({begin, Lerp(*prev, *right, begin)});
  }
  points.insert(points.end(), in.begin(), in.end());
  if (next) {
    const tsdb::Sample* left = !in.empty() ? &in.back() : (prev ? &*prev : nullptr);
    if (left != nullptr) points.push_back({end, Lerp(*left, *next, end)});
  }
  if (points.empty()) return kNaN;
  const std::int64_t span = points.back().time_ms - points.front().time_ms;
  if (span == 0) return points.back().value;  // a lone sample
  double area = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    area += static_cast<double>(points[i].time_ms - points[i - 1].time_ms) *
            (points[i].value + points[i - 1].value) / 2;
  }
  return area / static_cast<double>(span);
}

}  // namespace

std::int64_t BucketStart(std::int64_t t, std::int64_t bucket_ms, std::int64_t align_ms) {
  return StartOf(t, bucket_ms, align_ms % bucket_ms);
}

bool Bucketize(std::span<const tsdb::Sample> samples, const BucketSpec& spec,
               std::vector<tsdb::Sample>* out) {
  const std::int64_t bucket = spec.bucket_ms;
  const std::int64_t offset = spec.align_ms % bucket;
  struct Group {
    std::int64_t start;
    std::size_t begin, end;  // samples[begin, end)
  };
  std::vector<Group> groups;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const std::int64_t start = StartOf(samples[i].time_ms, bucket, offset);
    if (groups.empty() || groups.back().start != start) {
      groups.push_back({start, i, i + 1});
    } else {
      groups.back().end = i + 1;
    }
  }
  const bool twa = spec.aggregation == tsdb::Aggregation::kTwa;
  auto prev_of = [&](std::size_t i) { return i > 0 ? std::optional(samples[i - 1]) : spec.before; };
  auto next_of = [&](std::size_t i) {
    return i < samples.size() ? std::optional(samples[i]) : spec.after;
  };
  auto value_of = [&](const Group& g) {
    std::span<const tsdb::Sample> in = samples.subspan(g.begin, g.end - g.begin);
    if (twa) return Twa(in, prev_of(g.begin), next_of(g.end), g.start, g.start + bucket);
    std::vector<double> values;
    for (const tsdb::Sample& s : in) values.push_back(s.value);
    return AggregateValues(values, spec.aggregation);
  };
  auto emit = [&](std::int64_t start, double value) {
    std::int64_t t = start;
    if (spec.timestamp == BucketTimestamp::kEnd) t = start + bucket;
    if (spec.timestamp == BucketTimestamp::kMid) t = start + bucket / 2;
    out->push_back({std::max<std::int64_t>(t, 0), value});
  };
  if (!spec.empty) {
    for (const Group& g : groups) emit(g.start, value_of(g));
    return true;
  }
  // EMPTY: every bucket from the first to the last with samples; twa reaches the range's ends
  // when there is a sample beyond them to interpolate towards.
  std::optional<std::int64_t> lo, hi;
  if (!groups.empty()) {
    lo = groups.front().start;
    hi = groups.back().start;
  }
  if (twa && spec.before && (!groups.empty() || spec.after)) {
    lo = StartOf(spec.from, bucket, offset);
  }
  if (twa && spec.after && (!groups.empty() || spec.before)) {
    hi = StartOf(spec.to, bucket, offset);
  }
  if (!lo || !hi || *lo > *hi) return true;
  if ((*hi - *lo) / bucket >= kMaxBuckets) return false;
  std::size_t gi = 0, next = 0;  // next: the first sample at or after the bucket
  for (std::int64_t b = *lo;; b += bucket) {
    if (gi < groups.size() && groups[gi].start == b) {
      emit(b, value_of(groups[gi]));
      next = groups[gi].end;
      ++gi;
    } else {
      double v = kNaN;
      switch (spec.aggregation) {
        case tsdb::Aggregation::kSum:
        case tsdb::Aggregation::kCount:
          v = 0;
          break;
        case tsdb::Aggregation::kLast:
          if (std::optional<tsdb::Sample> p = prev_of(next)) v = p->value;
          break;
        case tsdb::Aggregation::kTwa:
          v = Twa({}, prev_of(next), next_of(next), b, b + bucket);
          break;
        default:
          break;
      }
      emit(b, v);
    }
    if (b >= *hi) break;
  }
  return true;
}

}  // namespace larder::server::tsfamily
