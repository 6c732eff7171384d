#include "tests/util/crash_harness.h"

#include <gtest/gtest.h>

#include <cstring>

#include "testing/fault_injection_file_system.h"

namespace larder::test {

bool CrashTracker::Allowed(const std::string& state) const {
  if (state == in_flight_) return true;
  for (std::size_t i = acked_.size(); i-- > 0;) {
    if (acked_[i].state == state) return true;
    if (acked_[i].durable) break;  // nothing older may come back
  }
  return false;
}

std::string CrashTracker::Describe(const std::string& got) const {
  std::size_t first = acked_.size() - 1;
  while (!acked_[first].durable) --first;
  return "recovered state (" + std::to_string(got.size()) + " bytes) is none of the " +
         std::to_string(acked_.size() - first) + " acknowledged states since the last durable " +
         "one (step " + std::to_string(first) + " of " + std::to_string(acked_.size() - 1) +
         ") nor the state in flight";
}

CrashReport RunCrashPoints(const CrashWorkload& workload, const CrashOptions& options) {
  CrashReport r;
  {
    FaultInjectionFileSystem fs;
    CrashTracker tracker(workload.initial_state);
    workload.run(&fs, &tracker);
    r.mutating_ops = fs.mutating_ops();
    r.acknowledged_steps = tracker.acknowledged();
    if (r.acknowledged_steps == 0 || r.mutating_ops == 0) {
      ADD_FAILURE() << "the fault-free run acknowledged " << r.acknowledged_steps << " steps in "
                    << r.mutating_ops << " mutating operations: nothing to crash";
      return r;
    }
  }
  for (std::uint64_t k = 0; k <= r.mutating_ops; ++k) {
    FaultInjectionFileSystem fs;
    fs.CrashAfter(k);
    CrashTracker tracker(workload.initial_state);
    workload.run(&fs, &tracker);
    ++r.crash_points;
    if (tracker.acknowledged() < r.acknowledged_steps) ++r.interrupted;
    auto saved = fs.Save();
    for (int seed = 0; seed < options.seeds_per_point; ++seed) {
      fs.PowerLoss(*saved, options.seed * 1000003 + k * 7919 + static_cast<std::uint64_t>(seed));
      auto got = workload.recover(&fs);
      ++r.states_checked;
      if (!got.ok()) {
        ADD_FAILURE() << "crash point " << k << " seed " << seed
                      << ": recovery failed: " << got.status().ToString();
        return r;
      }
      if (!tracker.Allowed(*got)) {
        ADD_FAILURE() << "crash point " << k << " seed " << seed << ": " << tracker.Describe(*got);
        return r;
      }
      if (*got != tracker.last_acknowledged()) {
        ++r.recovered_in_flight;
      } else {
        ++r.recovered_older;
      }
    }
  }
  return r;
}

namespace {
void AppendFramed(std::string* out, std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  char len[4];
  std::memcpy(len, &n, 4);
  out->append(len, 4).append(bytes);
}
}  // namespace

Result<std::string> DumpKVState(kv::ReadView& view) {
  LARDER_ASSIGN_OR_RETURN(KVMap m, ReadAll(view));
  return KVState(m);
}

std::string KVState(const KVMap& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    AppendFramed(&out, k);
    AppendFramed(&out, v);
  }
  return out;
}

}  // namespace larder::test
