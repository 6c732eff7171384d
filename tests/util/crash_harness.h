// Crash-point enumeration for any engine on the fault-injecting file system.
//
// A CrashWorkload runs an engine's workload on a FileSystem, telling a CrashTracker which state
// each step will reach (InFlight) and when the engine acknowledged it (Acknowledged). The
// harness first runs it without faults to count its mutating I/O operations; then, for every
// crash point k (the process dies after k mutating operations; every later one fails), it runs
// the workload again, simulates power losses with several seeds (unsynced writes kept, dropped
// or torn), recovers with the workload's `recover`, and requires the recovered state to be one
// the engine may legitimately show:
//   - the last durable acknowledged state, or any state acknowledged after it (acknowledged but
//     not durable: an LSM's unsynced writes), or
//   - the state of the step in flight when the crash came.
// States are canonical strings (each engine dumps its own way: kv::Store through DumpKVState).
//
// The report counts crash points that really interrupted the workload and the states checked,
// so a test can assert the run was not vacuous.
#ifndef LARDER_TESTS_UTIL_CRASH_HARNESS_H_
#define LARDER_TESTS_UTIL_CRASH_HARNESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "tests/util/kv_model.h"

namespace larder::test {

class CrashTracker {
 public:
  explicit CrashTracker(const std::string& initial) : in_flight_(initial) {
    acked_.push_back({initial, true});
  }
  // The step about to run will reach `state` if it completes.
  void InFlight(std::string state) { in_flight_ = std::move(state); }
  // The engine acknowledged the step in flight; `durable`: it promised to survive power loss.
  void Acknowledged(bool durable = true) { acked_.push_back({in_flight_, durable}); }

  std::size_t acknowledged() const { return acked_.size() - 1; }
  // Whether `state` is allowed after a crash now (see the file comment).
  bool Allowed(const std::string& state) const;
  // The states allowed, for a failure message.
  std::string Describe(const std::string& got) const;
  const std::string& last_acknowledged() const { return acked_.back().state; }

 private:
  struct Acked {
    std::string state;
    bool durable;
  };
  std::vector<Acked> acked_;
  std::string in_flight_;
};

struct CrashWorkload {
  // The state of a new, empty store (what recovery shows when nothing was acknowledged).
  std::string initial_state;
  // Runs the workload on `fs` until it ends or an operation fails (the crash); must close
  // everything it opened before returning.
  std::function<void(FileSystem* fs, CrashTracker* tracker)> run;
  // Opens the store on `fs` after a power loss, checks it (engine consistency check) and
  // returns its canonical state, or an error (which fails the test).
  std::function<Result<std::string>(FileSystem* fs)> recover;
};

struct CrashOptions {
  int seeds_per_point = 10;  // power losses simulated per crash point
  std::uint64_t seed = 0;    // varies the power losses
};

struct CrashReport {
  std::uint64_t mutating_ops = 0;         // of the fault-free run
  std::uint64_t acknowledged_steps = 0;   // of the fault-free run
  std::uint64_t crash_points = 0;         // crash points run (0..mutating_ops)
  std::uint64_t interrupted = 0;          // of them, those that cut the workload short
  std::uint64_t states_checked = 0;       // recoveries compared
  std::uint64_t recovered_in_flight = 0;  // recoveries that kept the step in flight
  std::uint64_t recovered_older = 0;      // recoveries that did not (the previous state)
};

// Runs every crash point; failures are reported through gtest (the first one stops the run).
CrashReport RunCrashPoints(const CrashWorkload& workload, const CrashOptions& options);

// The canonical state of a kv view: every entry, in order, lengths framed (so that any bytes
// are unambiguous).
Result<std::string> DumpKVState(kv::ReadView& view);
std::string KVState(const KVMap& m);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_CRASH_HARNESS_H_
