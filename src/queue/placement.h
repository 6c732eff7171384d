// Placement of a queue's partitions over storage locations by affinity (docs/queue.md).
//
// The rule (largest remainder, then a floor of one):
//   1. Location i of weight w_i (total W > 0) gets floor(n * w_i / W) partitions; the partitions
//      left over go one each to the locations with the largest remainders (n * w_i mod W), ties
//      to the location listed first. So the counts add up to n and each is within one of its
//      exact share.
//   2. When n is at least the number of locations with a positive weight, each of those with no
//      partition takes one from the location furthest above its exact share (ties: the one
//      listed first), so every positive weight is served.
//   Partitions are numbered 0..n-1 location by location in the order given.
// A location of weight 0 never gets a partition.
#ifndef LARDER_QUEUE_PLACEMENT_H_
#define LARDER_QUEUE_PLACEMENT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "larder/result.h"

namespace larder::queue {

// The largest weight and partition count the rule accepts (their product stays exact in 64 bits).
inline constexpr std::uint64_t kMaxAffinity = 1'000'000;
inline constexpr std::uint64_t kMaxPartitions = 65'536;

// How many of n partitions each location gets. InvalidArgument when every weight is 0, a weight
// exceeds kMaxAffinity or n exceeds kMaxPartitions.
Result<std::vector<std::uint32_t>> PartitionCounts(std::span<const std::uint64_t> weights,
                                                   std::uint32_t n);

// The location of each of n partitions (index = partition number), by PartitionCounts.
Result<std::vector<std::uint32_t>> PlacePartitions(std::span<const std::uint64_t> weights,
                                                   std::uint32_t n);

// The locations of partitions current.size() .. n-1 when a queue grows from current.size() to n
// partitions without moving the existing ones: each new partition goes to the location furthest
// below its count for n partitions (ties: the one listed first).
Result<std::vector<std::uint32_t>> PlaceNewPartitions(std::span<const std::uint64_t> weights,
                                                      std::span<const std::uint32_t> current,
                                                      std::uint32_t n);

}  // namespace larder::queue

#endif  // LARDER_QUEUE_PLACEMENT_H_
