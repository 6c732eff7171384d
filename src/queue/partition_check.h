// CheckPartitionStore: verifies a queue partition's store against the invariants of
// docs/formats/queue.md, reading every record once (offline: `larder queue check`, through
// larder/queue/queue_store.h). Checked:
//   - every key has its tag's shape and every value decodes (meta, payloads, entries, markers);
//   - the meta counters ready, leased, scheduled, outbox equal the counts of R, L, S, X keys;
//   - no R key below ready_head, no sequence or origin at or above next_seq;
//   - every item is in exactly one of R, L, S, X (no origin twice) and has its P record, whose
//     expiry its entry copies; no P record without an entry (a payload that outlived its item);
//   - every R or S item with an expiry has the E entry naming its key; every E entry names an R
//     or S entry of that origin and expiry (leased and outboxed items have none);
//   - every outbox entry carries one of the reasons the partition writes.
// Memory: O(items) (their origins and expiry keys, sorted); the store is read once, in order.
#ifndef LARDER_QUEUE_PARTITION_CHECK_H_
#define LARDER_QUEUE_PARTITION_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "larder/kv.h"
#include "larder/status.h"

namespace larder::queue {

struct PartitionCheckResult {
  std::uint64_t records = 0;  // keys read
  std::uint64_t items = 0;    // R + L + S + X entries
  std::uint64_t problem_count = 0;
  std::vector<std::string> problems;  // the first kMaxReportedProblems, each naming its key
};

inline constexpr std::size_t kMaxReportedProblems = 20;

// Adds what it finds to *result. Returns an error only when the store cannot be read (then the
// result holds what was found before).
Status CheckPartitionStore(kv::ReadView& store, PartitionCheckResult* result);

}  // namespace larder::queue

#endif  // LARDER_QUEUE_PARTITION_CHECK_H_
