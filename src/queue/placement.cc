#include "queue/placement.h"

#include <string>

#include "larder/status.h"

namespace larder::queue {

namespace {

Status CheckWeights(std::span<const std::uint64_t> weights, std::uint32_t n) {
  std::uint64_t total = 0;
  for (std::uint64_t w : weights) {
    if (w > kMaxAffinity) {
      return Status::InvalidArgument("affinity " + std::to_string(w) + " is above the maximum " +
                                     std::to_string(kMaxAffinity));
    }
    total += w;
  }
  if (total == 0) {
    return Status::InvalidArgument(
        "the total affinity of the partition storage locations is 0: no location can hold a "
        "partition");
  }
  if (n > kMaxPartitions) {
    return Status::InvalidArgument(std::to_string(n) + " partitions is above the maximum " +
                                   std::to_string(kMaxPartitions));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::uint32_t>> PartitionCounts(std::span<const std::uint64_t> weights,
                                                   std::uint32_t n) {
  LARDER_RETURN_IF_ERROR(CheckWeights(weights, n));
  std::uint64_t total = 0;
  for (std::uint64_t w : weights) total += w;
  const std::size_t k = weights.size();
  std::vector<std::uint32_t> counts(k);
  std::vector<std::uint64_t> remainder(k);
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < k; ++i) {
    counts[i] = static_cast<std::uint32_t>(weights[i] * n / total);
    remainder[i] = weights[i] * n % total;
    given += counts[i];
  }
  // Step 1: the leftovers by largest remainder (a strict > keeps ties with the first listed).
  for (std::uint64_t left = n - given; left > 0; --left) {
    std::size_t best = k;
    for (std::size_t i = 0; i < k; ++i) {
      if (weights[i] == 0 || remainder[i] == 0) continue;
      if (best == k || remainder[i] > remainder[best]) best = i;
    }
    ++counts[best];
    remainder[best] = 0;  // one extra each at most
  }
  // Step 2: a floor of one per positive weight, when there are enough partitions.
  std::size_t positive = 0;
  for (std::uint64_t w : weights) positive += w > 0 ? 1 : 0;
  if (n >= positive) {
    for (std::size_t i = 0; i < k; ++i) {
      if (weights[i] == 0 || counts[i] > 0) continue;
      // Excess over the exact share, scaled by total: counts[j] * total - weights[j] * n.
      std::size_t donor = k;
      std::int64_t donor_excess = 0;
      for (std::size_t j = 0; j < k; ++j) {
        if (counts[j] < 2) continue;
        const auto excess = static_cast<std::int64_t>(counts[j] * total) -
                            static_cast<std::int64_t>(weights[j] * n);
        if (donor == k || excess > donor_excess) {
          donor = j;
          donor_excess = excess;
        }
      }
      --counts[donor];  // one exists: n >= positive leaves a location with two
      ++counts[i];
    }
  }
  return counts;
}

Result<std::vector<std::uint32_t>> PlacePartitions(std::span<const std::uint64_t> weights,
                                                   std::uint32_t n) {
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> counts, PartitionCounts(weights, n));
  std::vector<std::uint32_t> where;
  where.reserve(n);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    where.insert(where.end(), counts[i], static_cast<std::uint32_t>(i));
  }
  return where;
}

Result<std::vector<std::uint32_t>> PlaceNewPartitions(std::span<const std::uint64_t> weights,
                                                      std::span<const std::uint32_t> current,
                                                      std::uint32_t n) {
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> target, PartitionCounts(weights, n));
  std::vector<std::int64_t> have(weights.size());
  for (std::uint32_t loc : current) {
    if (loc < have.size()) ++have[loc];  // a location no longer listed keeps its partitions
  }
  std::vector<std::uint32_t> where;
  for (std::size_t p = current.size(); p < n; ++p) {
    std::size_t best = weights.size();
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] == 0) continue;
      if (best == weights.size() ||
          target[i] - have[i] > static_cast<std::int64_t>(target[best]) - have[best]) {
        best = i;
      }
    }
    ++have[best];
    where.push_back(static_cast<std::uint32_t>(best));
  }
  return where;
}

}  // namespace larder::queue
