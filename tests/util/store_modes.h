// The stores' shared suite runs every TEST_P twice: on a bolt file and in memory (the bolt
// engine's Options::in_memory). This fixture gives each test a scratch directory, a controllable
// clock, and a Restart() that works in both modes.
#ifndef LARDER_TESTS_UTIL_STORE_MODES_H_
#define LARDER_TESTS_UTIL_STORE_MODES_H_

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "larder/stores/execution_store.h"
#include "larder/stores/job_store.h"
#include "tests/util/temp_dir.h"

namespace larder::stores {
// Names the mode in gtest's messages ("bolt", "inmemory").
inline void PrintTo(StoreType type, std::ostream* os) { *os << StoreTypeName(type); }
}  // namespace larder::stores

namespace larder::test {

class StoreModeTest : public ::testing::TestWithParam<stores::StoreType> {
 protected:
  static constexpr std::int64_t kStartNs = 1'700'000'000'000'000'000;

  bool in_memory() const { return GetParam() == stores::StoreType::kInMemory; }

  stores::StoreConfig Config(const std::string& file) const {
    stores::StoreConfig c;
    c.type = GetParam();
    c.path = dir_.File(file);
    return c;
  }

  stores::ExecutionStoreOptions ExecOptions() {
    stores::ExecutionStoreOptions o;
    o.config = Config("node-compute.db");
    o.no_sync = true;
    o.now_ns = [this] { return now_.load(); };
    return o;
  }

  stores::JobStoreOptions JobOptions() {
    stores::JobStoreOptions o;
    o.config = Config("node-requester.db");
    o.no_sync = true;
    o.now_ns = [this] { return now_.load(); };
    return o;
  }

  std::unique_ptr<stores::ExecutionStore> OpenExec(const stores::ExecutionStoreOptions& o) {
    auto s = stores::ExecutionStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // A node restart: a bolt store is closed and reopened with `o`; an in-memory store (whose
  // contents would not survive a real restart) runs its start-up steps again with the options it
  // was opened with. Returns the start-up report.
  stores::StartupReport Restart(std::unique_ptr<stores::ExecutionStore>& store,
                                const stores::ExecutionStoreOptions& o) {
    if (in_memory()) {
      auto r = store->RunStartup();
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      return r.ok() ? *r : stores::StartupReport{};
    }
    EXPECT_TRUE(store->Close().ok());
    store.reset();
    store = OpenExec(o);
    return store ? store->startup_report() : stores::StartupReport{};
  }

  void Advance(std::chrono::nanoseconds d) { now_ += d.count(); }

  TempDir dir_;
  std::atomic<std::int64_t> now_{kStartNs};
};

inline std::string StoreModeName(const ::testing::TestParamInfo<stores::StoreType>& info) {
  return info.param == stores::StoreType::kInMemory ? "InMemory" : "Bolt";
}

}  // namespace larder::test

#define LARDER_INSTANTIATE_STORE_MODES(suite)                                         \
  INSTANTIATE_TEST_SUITE_P(Modes, suite,                                              \
                           ::testing::Values(::larder::stores::StoreType::kBolt,      \
                                             ::larder::stores::StoreType::kInMemory), \
                           ::larder::test::StoreModeName)

#endif  // LARDER_TESTS_UTIL_STORE_MODES_H_
