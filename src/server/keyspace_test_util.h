// Test-only helpers of the keyspace's tests: a fixed start time, an observer that records
// what it is told, and a fixture with KeyspaceState over a bolt store's transaction (no log, no
// Keyspace) for the tests of Database and of the reclamation steps.
#ifndef LARDER_SERVER_KEYSPACE_TEST_UTIL_H_
#define LARDER_SERVER_KEYSPACE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/bolt/kv.h"
#include "larder/clock.h"
#include "server/keyspace.h"
#include "server/keyspace_state.h"
#include "tests/util/temp_dir.h"

namespace larder::server::keyspace_testing {

inline constexpr std::uint64_t kStartMicros = 1'700'000'000'000'000;  // 2023-11-14, unix us
inline constexpr std::int64_t kStartMs = kStartMicros / 1000;

// "db:key", or "db:*" for a whole database, per report.
class Recorder final : public KeyspaceObserver {
 public:
  void OnKeyModified(int db, std::optional<std::string_view> key) override {
    events.push_back(std::to_string(db) + ":" + (key ? std::string(*key) : "*"));
  }
  std::vector<std::string> events;
};

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bolt::Options o;
    o.no_sync = true;
    auto s = bolt::OpenKV(dir_.File("data.db"), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    Begin();
    ASSERT_TRUE(state_.Load().ok());
    state_.AddObserver(&observer_);
    Tick();
  }
  void TearDown() override {
    EXPECT_TRUE(tx_->Commit({}).ok());
    tx_.reset();
    EXPECT_TRUE(store_->Close().ok());
  }
  void Begin() {
    auto tx = store_->BeginTransaction();
    ASSERT_TRUE(tx.ok());
    tx_ = std::move(*tx);
    state_.set_tx(tx_.get());
  }
  // Commits the transaction and begins the next (the keyspace's checkpoint, without a log).
  void Checkpoint() {
    ASSERT_TRUE(tx_->Commit({}).ok());
    Begin();
  }
  // Time passes by `ms` (the keyspace reads it at each batch).
  void Tick(std::int64_t ms = 0) {
    clock_.Advance(std::chrono::milliseconds(ms));
    state_.set_now_ms(static_cast<std::int64_t>(clock_.NowUnixMillis()));
  }
  // kv writes since the last call.
  std::uint64_t Writes() {
    const std::uint64_t n = state_.writes() - writes_seen_;
    writes_seen_ = state_.writes();
    return n;
  }
  // Records whose key starts with `prefix`.
  std::uint64_t CountRange(const std::string& prefix) {
    auto it = state_.Range(prefix, enc::PrefixEnd(prefix));
    EXPECT_TRUE(it.ok());
    std::uint64_t n = 0;
    for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) ++n;
    return n;
  }

  test::TempDir dir_;  // first: the store's file is checked when it goes
  ManualClock clock_{ManualClock::SleepMode::kAdvance, 0, kStartMicros};
  std::unique_ptr<kv::Store> store_;
  std::unique_ptr<kv::Transaction> tx_;
  KeyspaceState state_{&clock_, 16};
  Recorder observer_;
  std::uint64_t writes_seen_ = 0;
};

}  // namespace larder::server::keyspace_testing

#endif  // LARDER_SERVER_KEYSPACE_TEST_UTIL_H_
