#include "server/lock_service.h"

#include <utility>
#include <vector>

#include "base/logging.h"
#include "server/blocking.h"
#include "server/lock_store.h"

namespace larder::server {

LockService::LockService(Server& server) : server_(server) {}

Status LockService::Prepare(Keyspace& keyspace, std::int64_t now_ms) {
  if (!loaded_) {
    LARDER_ASSIGN_OR_RETURN(StoredLocks stored, LoadLocks(keyspace));
    table_.set_last_fencing(stored.last_fencing);
    for (auto& [name, holder] : stored.holders) {
      if (holder.lease_until_ms == 0) {
        // Its connection is gone with the previous process.
        LARDER_LOG_WARN(
            "lock '{}' released by the restart: held without a lease by owner '{}' "
            "(client id {}, fencing {})",
            name, holder.owner, holder.client_id, holder.fencing);
        LARDER_RETURN_IF_ERROR(StoreRelease(keyspace, name));
        continue;
      }
      holder.client_id = 0;  // no connection of this process holds it
      table_.Restore(name, std::move(holder));
    }
    loaded_ = true;
  }
  for (const std::string& name : table_.DueLeases(now_ms)) {
    const LockHolder* h = table_.Holder(name);
    LARDER_LOG_WARN("lock '{}' released: the lease of owner '{}' ran out (fencing {}, {} ms late)",
                    name, h->owner, h->fencing, now_ms - h->lease_until_ms);
    LARDER_RETURN_IF_ERROR(Release(keyspace, name));
  }
  return Status::Ok();
}

Status LockService::Release(Keyspace& keyspace, std::string_view name) {
  LARDER_RETURN_IF_ERROR(StoreRelease(keyspace, name));
  table_.Release(name);
  SignalWaiters(name);
  return Status::Ok();
}

void LockService::SignalWaiters(std::string_view name) {
  const LockEntry* e = table_.Find(name);
  if (e == nullptr || e->holder || e->waiters.empty()) return;
  server_.Service<BlockingService>().SignalKeyReady(WaitKey{kLockNamespace, std::string(name)});
}

void LockService::RemoveWaiter(std::uint64_t client_id) {
  if (std::optional<std::string> name = table_.RemoveWaiter(client_id)) SignalWaiters(*name);
}

Status LockService::ReleaseConnectionHolds(Keyspace& keyspace, const Client& client,
                                           std::int64_t now_ms) {
  LARDER_RETURN_IF_ERROR(Prepare(keyspace, now_ms));
  for (const std::string& name : table_.ConnectionHolds(client.id())) {
    const LockHolder* h = table_.Holder(name);
    LARDER_LOG_INFO(
        "lock '{}' released: its holder's connection ended (owner '{}', client id {}, "
        "fencing {})",
        name, h->owner, h->client_id, h->fencing);
    LARDER_RETURN_IF_ERROR(Release(keyspace, name));
  }
  return Status::Ok();
}

// The close path and RESET run inside a batch (RunInBatch, or RESET's command batch); the
// waiters signalled are served before the batch ends.
void LockService::OnClientClosed(Client& client) {
  RemoveWaiter(client.id());
  if (table_.ConnectionHolds(client.id()).empty()) return;
  const Status s = ReleaseConnectionHolds(server_.keyspace(), client, Server::NowMs());
  if (!s.ok()) server_.Poison(s);
}

// RESET ends the connection's waits and holds as a close does: a new session on the same
// socket must not keep the old one's locks.
void LockService::OnClientReset(Client& client) { OnClientClosed(client); }

bool LockService::TickDue(std::int64_t now_ms) const {
  return !loaded_ || !table_.DueLeases(now_ms).empty();
}

void LockService::Tick(std::int64_t now_ms) {
  const Status s = Prepare(server_.keyspace(), now_ms);
  if (!s.ok()) server_.Poison(s);
}

}  // namespace larder::server
