#include "server/queue_service.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "base/logging.h"
#include "base/mutex.h"
#include "larder/lsm/options.h"
#include "queue/store_opener.h"
#include "server/blocking.h"

namespace larder::server {

namespace {
constexpr std::size_t kQueueBlockCacheBytes = std::size_t{32} << 20;
}  // namespace

QueueService::QueueService(Server& server) : server_(server) {}

QueueService::~QueueService() { (void)Close(); }

Status QueueService::Open() {
  if (opened_) return open_status_;
  opened_ = true;
  const ServerConfig& config = server_.exec_config();
  FileSystem* fs = DefaultFileSystem();
  Result<queue::StorageLayout> layout = config.queue_config.empty()
                                            ? queue::DefaultStorageLayout(config.dir + "/queues")
                                            : queue::LoadStorageLayout(fs, config.queue_config);
  if (!layout.ok()) {
    open_status_ = layout.status();
    return open_status_;
  }
  // One block cache for every partition (docs/queue.md, "Memory").
  auto opener = [open =
                     queue::StoreOpenOptions{
                         .fs = fs, .block_cache = lsm::NewBlockCache(kQueueBlockCacheBytes)}](
                    const queue::StorageLocation& location, const std::string& dir) {
    return queue::OpenQueueStore(location, dir, open);
  };
  Result<std::unique_ptr<queue::QueueManager>> manager =
      queue::QueueManager::Open(std::move(*layout), opener, fs);
  if (!manager.ok()) {
    open_status_ = manager.status();
    return open_status_;
  }
  manager_ = std::move(*manager);
  server_.SetSideSyncSource([this](std::vector<Server::SideSync>* out) {
    if (manager_ == nullptr) return;
    auto written = manager_->TakeWritten();
    if (server_.exec_config().appendfsync == AppendFsync::kAlways) {
      for (auto& [partition, count] : written) {
        out->push_back([p = partition, w = count] { return p->SyncThrough(w); });
      }
      return;
    }
    // everysec and no: the batch's partition writes were buffered (Partition::Commit); one
    // write per partition hands them to the OS here, before any reply, so that a kill -9 loses
    // nothing acknowledged. Under the lock: no later batch sees them unwritten.
    for (auto& [partition, count] : written) {
      if (Status s = partition->FlushWrites(); !s.ok()) {
        out->push_back([s] { return s; });  // poisons the server; no reply is sent
        return;
      }
    }
  });
  return Status::Ok();
}

Result<queue::QueueManager*> QueueService::Manager() {
  LARDER_RETURN_IF_ERROR(Open());
  return manager_.get();
}

Status QueueService::Close() {
  // Backup copies first: their snapshots must go before the stores (the threads never wait
  // for the execution lock, so joining them with it held is safe).
  for (auto& [id, copy] : backups_) (void)FinishCopy(*copy);
  backups_.clear();
  if (manager_ == nullptr) return Status::Ok();
  server_.SetSideSyncSource(nullptr);
  Status s = manager_->Close();
  manager_.reset();
  return s;
}

void QueueService::SignalReady(const std::string& queue) {
  if (BlockingService* blocking = server_.blocking_service()) {
    blocking->SignalKeyReady(WaitKey{kQueueNamespace, queue});
  }
}

bool QueueService::TickDue(std::int64_t now_ms) const {
  for (const auto& [id, copy] : backups_) {
    if (!copy->signaled && copy->done.load(std::memory_order_acquire)) return true;
  }
  return manager_ != nullptr && manager_->NextDue() <= now_ms;
}

void QueueService::Tick(std::int64_t now_ms) {
  if (manager_ == nullptr) return;
  for (auto it = backups_.begin(); it != backups_.end();) {
    BackupCopy& copy = *it->second;
    if (copy.signaled || !copy.done.load(std::memory_order_acquire)) {
      ++it;
    } else if (copy.abandoned) {
      if (Status s = FinishCopy(copy); !s.ok()) {
        LARDER_LOG_WARN("QBACKUP of queue {} failed: {}", copy.backup->queue(), s.ToString());
      }
      it = backups_.erase(it);
    } else {
      copy.signaled = true;
      if (BlockingService* blocking = server_.blocking_service()) {
        blocking->SignalKeyReady(WaitKey{kQueueBackupNamespace, std::to_string(it->first)});
      }
      ++it;
    }
  }
  std::set<std::string> readied;
  Status s = manager_->Tick(now_ms, &readied);
  if (!s.ok()) {
    LARDER_LOG_ERROR("queue cron failed: {}", s.ToString());
    server_.Poison(s);
  }
  for (const std::string& q : readied) SignalReady(q);
}

void QueueService::StartBackupCopy(std::uint64_t client_id,
                                   std::unique_ptr<queue::QueueBackup> backup) {
  auto copy = std::make_unique<BackupCopy>();
  copy->backup = std::move(backup);
  BackupCopy* c = copy.get();
  c->thread = std::thread([c] {
    c->result = c->backup->Write();
    c->done.store(true, std::memory_order_release);
  });
  backups_[client_id] = std::move(copy);
}

std::optional<bool> QueueService::BackupDone(std::uint64_t client_id) const {
  auto it = backups_.find(client_id);
  if (it == backups_.end()) return std::nullopt;
  return it->second->done.load(std::memory_order_acquire);
}

Status QueueService::FinishCopy(BackupCopy& copy) {
  if (copy.thread.joinable()) copy.thread.join();
  if (manager_ != nullptr) {
    manager_->FinishBackup(std::move(copy.backup));
  } else {
    copy.backup.reset();
  }
  return copy.result;
}

Result<std::uint64_t> QueueService::TakeBackupResult(std::uint64_t client_id) {
  auto it = backups_.find(client_id);
  if (it == backups_.end()) return Status::NotFound("no QBACKUP of this client");
  const std::uint64_t items = it->second->backup->items();
  Status s = FinishCopy(*it->second);
  backups_.erase(it);
  if (!s.ok()) return s;
  return items;
}

void QueueService::AbandonBackup(std::uint64_t client_id) {
  auto it = backups_.find(client_id);
  if (it == backups_.end()) return;
  if (!it->second->done.load(std::memory_order_acquire)) {
    it->second->abandoned = true;  // the cron finishes it
    return;
  }
  (void)FinishCopy(*it->second);
  backups_.erase(it);
}

void QueueService::SyncEverySecond(std::int64_t now_ms) {
  if (now_ms - last_sync_ms_ < 1000) return;
  last_sync_ms_ = now_ms;
  std::vector<std::pair<std::shared_ptr<queue::Partition>, std::uint64_t>> todo;
  {
    MutexLock lock(&server_.exec_mutex());
    if (manager_ == nullptr || server_.exec_config().appendfsync != AppendFsync::kEverySec) return;
    for (auto& p : manager_->AllPartitions()) todo.emplace_back(p, p->written());
  }
  for (auto& [p, w] : todo) {
    Status s = p->SyncThrough(w);
    if (!s.ok()) {
      LARDER_LOG_ERROR("queue partition sync failed: {}", s.ToString());
      server_.Poison(s);
      return;
    }
  }
}

}  // namespace larder::server
