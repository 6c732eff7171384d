// Tests only: the std::map keyspace of command_test_util.h, counting batches and cron calls, with
// an injectable log failure (EndBatch) to exercise the engine-error paths of the dispatcher and
// the event loop.
//
// Thread-safety: as Keyspace's contract (the execution lock serializes every call).
#ifndef LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_
#define LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_

#include <atomic>

#include "server/command_test_util.h"

namespace larder::server::testing {

class FakeKeyspace : public MapKeyspace {
 public:
  FakeKeyspace() : MapKeyspace(16, &now_ms_) {}
  Status BeginBatch() override {
    batches.fetch_add(1);
    return Status::Ok();
  }
  Result<Ticket> EndBatch() override {
    if (fail_end_batch) return Status::IOError("injected log failure");
    return ++ticket_;
  }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override {
    expire_cycles.fetch_add(1);
    return std::uint64_t{0};
  }

  bool fail_end_batch = false;  // set with the execution lock held
  std::atomic<int> batches{0};
  std::atomic<int> expire_cycles{0};

 private:
  std::int64_t now_ms_ = 0;  // expiry is not what these tests are about
  Ticket ticket_ = 0;
};

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_
