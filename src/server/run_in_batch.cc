#include "server/run_in_batch.h"

#include <utility>
#include <vector>

#include "base/mutex.h"
#include "server/blocking.h"
#include "server/server.h"

namespace larder::server {

Status RunInBatch(Server& server, const std::function<void()>& fn) {
  Keyspace& keyspace = server.keyspace();
  Status failure;
  Keyspace::Ticket ticket = 0;
  std::vector<BlockingService::ServedReply> served;
  std::vector<Server::SideSync> side_syncs;
  {
    MutexLock lock(&server.exec_mutex());
    const Status begun = keyspace.BeginBatch();
    if (!begun.ok()) {
      failure = begun;
      fn();
    } else {
      fn();
      if (BlockingService* blocking = server.blocking_service()) {
        blocking->ServeReadyClients(Server::NowMs());
      }
      Result<Keyspace::Ticket> ended = keyspace.EndBatch();
      if (ended.ok()) {
        ticket = *ended;
      } else {
        failure = ended.status();
      }
      side_syncs = server.TakeSideSyncs();
    }
    // Taken before the lock is released (blocking.cc's invariant), even after a failure.
    if (BlockingService* blocking = server.blocking_service()) {
      served = blocking->TakeServedReplies();
    }
  }
  if (failure.ok()) failure = keyspace.WaitDurable(ticket);
  if (failure.ok()) failure = server.RunSideSyncs(side_syncs);
  if (!failure.ok()) {
    server.Poison(failure);
    // The batch's writes may not be durable: its replies must not be sent.
    for (auto& r : served) r.client->RequestClose("engine error");
    return failure;
  }
  BlockingService::DeliverServedReplies(server, std::move(served), Server::NowMs());
  return Status::Ok();
}

}  // namespace larder::server
