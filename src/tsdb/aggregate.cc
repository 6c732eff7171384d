#include "tsdb/aggregate.h"

#include <algorithm>
#include <cmath>

namespace larder::tsdb {

double AggregateValues(std::span<const double> v, Aggregation aggregation) {
  double sum = 0;
  for (double x : v) sum += x;
  const double n = static_cast<double>(v.size());
  switch (aggregation) {
    case Aggregation::kAvg:
      return sum / n;
    case Aggregation::kSum:
      return sum;
    case Aggregation::kCount:
      return n;
    case Aggregation::kFirst:
      return v.front();
    case Aggregation::kLast:
      return v.back();
    case Aggregation::kMin:
      return *std::min_element(v.begin(), v.end());
    case Aggregation::kMax:
      return *std::max_element(v.begin(), v.end());
    case Aggregation::kRange:
      return *std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end());
    case Aggregation::kVarP:
    case Aggregation::kStdP:
    case Aggregation::kVarS:
    case Aggregation::kStdS: {
      if (std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); })) return 0;
      const double mean = sum / n;
      double sq = 0;
      for (double x : v) sq += (x - mean) * (x - mean);
      const bool sample = aggregation == Aggregation::kVarS || aggregation == Aggregation::kStdS;
      const double var = sq / (sample ? n - 1 : n);
      return aggregation == Aggregation::kVarP || aggregation == Aggregation::kVarS
                 ? var
                 : std::sqrt(var);
    }
    case Aggregation::kTwa:
      return sum / n;  // not reached: Range refuses twa
  }
  return 0;
}

void AggregateBuckets(std::span<const Sample> samples, std::int64_t bucket_ms,
                      Aggregation aggregation, std::vector<Sample>* out) {
  std::vector<double> values;
  std::size_t i = 0;
  while (i < samples.size()) {
    const std::int64_t start = samples[i].time_ms - samples[i].time_ms % bucket_ms;
    values.clear();
    for (; i < samples.size() && samples[i].time_ms - start < bucket_ms; ++i) {
      values.push_back(samples[i].value);
    }
    out->push_back({start, AggregateValues(values, aggregation)});
  }
}

}  // namespace larder::tsdb
