// DB::Batch: group commit. Concurrent callers share one write transaction and one pair of
// fsyncs; while a leader commits, the next group gathers behind it, and a new leader waits a
// moment for as many callers as the previous round saw (see BatchQueue).
#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/db.h"

namespace larder::bolt {
namespace {

void Execute(DB& db, const std::vector<internal::BatchCall*>& calls) {
  if (calls.size() == 1) {
    calls[0]->result = db.Update(*calls[0]->fn);
    return;
  }
  bool fn_failed = false;
  Status s = db.Update([&](Tx& tx) -> Status {
    for (internal::BatchCall* c : calls) {
      Status r = (*c->fn)(tx);
      if (!r.ok()) {
        fn_failed = true;
        return r;
      }
    }
    return Status::Ok();
  });
  if (fn_failed) {
    // One function failed and took the shared transaction with it: run each alone, so that
    // only the failing caller sees its error.
    for (internal::BatchCall* c : calls) c->result = db.Update(*c->fn);
    return;
  }
  for (internal::BatchCall* c : calls) c->result = s;
}

}  // namespace

Status DB::Batch(const std::function<Status(Tx&)>& fn) {
  internal::BatchQueue& q = impl_->batch_queue();
  internal::BatchCall call{&fn, Status(), false};
  q.mu.Lock();
  q.pending.push_back(&call);
  q.arrived.Signal();
  while (!call.done && q.leader) q.cv.Wait(q.mu);
  if (call.done) {
    Status result = std::move(call.result);
    q.mu.Unlock();
    return result;
  }
  q.leader = true;
  const auto deadline =
      std::chrono::steady_clock::now() + internal::BatchGatherWindow(q.last_commit);
  while (q.pending.size() < q.last_writers && q.arrived.WaitUntil(q.mu, deadline)) {
  }
  std::vector<internal::BatchCall*> group;
  group.swap(q.pending);
  q.mu.Unlock();
  // The group's calls are this leader's alone until it marks them done.
  const auto start = std::chrono::steady_clock::now();
  Execute(*this, group);
  const auto took = std::chrono::steady_clock::now() - start;
  q.mu.Lock();
  for (internal::BatchCall* c : group) c->done = true;
  q.last_commit = took;
  q.last_writers = group.size() + q.pending.size();
  q.leader = false;
  q.cv.SignalAll();
  Status result = std::move(call.result);
  q.mu.Unlock();
  return result;
}

}  // namespace larder::bolt
