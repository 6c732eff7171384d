// Test-only: a real Keyspace (bolt) in a temporary directory with one batch open for the
// object's life, for tests that call Database and the types' internal APIs directly
// (set_store_test.cc, sort_sources_test.cc). Thread-safety: one test thread.
#ifndef LARDER_SERVER_BATCH_KEYSPACE_TEST_UTIL_H_
#define LARDER_SERVER_BATCH_KEYSPACE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "server/keyspace.h"
#include "tests/util/temp_dir.h"

namespace larder::server::testing {

class BatchKeyspace {
 public:
  BatchKeyspace() {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto opened = Keyspace::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return;
    ks_ = std::move(*opened);
    EXPECT_TRUE(ks_->BeginBatch().ok());
  }
  ~BatchKeyspace() {
    if (!ks_) return;
    EXPECT_TRUE(ks_->EndBatch().ok());
    EXPECT_TRUE(ks_->Close().ok());
  }
  bool ok() const { return ks_ != nullptr; }
  Database& db(int index = 0) { return ks_->db(index); }

 private:
  test::TempDir dir_;  // declared first: outlives the keyspace
  std::unique_ptr<Keyspace> ks_;
};

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_BATCH_KEYSPACE_TEST_UTIL_H_
