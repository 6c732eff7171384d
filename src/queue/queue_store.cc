// The offline facade over the queue manager (larder/queue/queue_store.h).
#include "larder/queue/queue_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "larder/lsm/options.h"
#include "queue/partition_check.h"
#include "queue/queue_manager.h"
#include "queue/store_opener.h"

namespace larder::queue {

namespace {

// Offline tools touch few blocks: one small cache for every partition.
constexpr std::size_t kOfflineBlockCacheBytes = std::size_t{8} << 20;

class QueueStoreImpl final : public QueueStore {
 public:
  QueueStoreImpl(StorageLayout layout, const QueueStoreOptions& options)
      : layout_(std::move(layout)),
        read_only_(options.read_only),
        fs_(options.file_system != nullptr ? options.file_system : DefaultFileSystem()) {}
  ~QueueStoreImpl() override { (void)Close(); }

  Status Open() {
    // Read-only opens everything read-only except the backup being written (Backup).
    auto opener = [this, cache = lsm::NewBlockCache(kOfflineBlockCacheBytes)](
                      const StorageLocation& location, const std::string& dir) {
      const bool backup = !backup_dir_.empty() && dir.starts_with(backup_dir_ + "/");
      return OpenQueueStore(location, dir,
                            {.fs = fs_,
                             .block_cache = cache,
                             .read_only = read_only_ && !backup,
                             .fail_if_locked = true});
    };
    LARDER_ASSIGN_OR_RETURN(manager_, QueueManager::Open(layout_, opener, fs_));
    return Status::Ok();
  }

  std::vector<std::string> List() const override { return manager_->List(); }

  Result<QueueSummary> Describe(std::string_view name) override {
    LARDER_ASSIGN_OR_RETURN(QueueInfo info, manager_->Info(name));
    LARDER_ASSIGN_OR_RETURN(auto partitions, manager_->Partitions(name));
    QueueSummary q{.name = info.name,
                   .lease_timeout_ms = info.settings.lease_timeout_ms,
                   .expire_timeout_ms = info.settings.expire_timeout_ms,
                   .max_attempts = info.settings.max_attempts,
                   .dead_queue = info.dead_queue,
                   .created_ms = info.created_ms,
                   .partitions = {}};
    for (std::uint32_t i = 0; i < partitions.size(); ++i) {
      const PartitionPlacement& pl = info.partitions[i];
      const PartitionMeta& m = partitions[i]->meta();
      const int at = layout_.Find(pl.location);
      q.partitions.push_back(
          {.number = i,
           .location = pl.location,
           .driver = std::string(
               DriverName(at < 0 ? Driver::kLsm
                                 : layout_.partition_storage[static_cast<std::size_t>(at)].driver)),
           .dir = pl.dir,
           .ready = m.ready,
           .leased = m.leased,
           .scheduled = m.scheduled,
           .outbox = m.outbox,
           .dead_lettered = m.dead_lettered,
           .next_seq = m.next_seq});
    }
    return q;
  }

  Result<QueueCheckReport> Check(const Progress& progress) override {
    QueueCheckReport report;
    const std::vector<std::string> names = manager_->List();
    std::uint64_t total = 0;
    for (const std::string& name : names) {
      LARDER_ASSIGN_OR_RETURN(auto partitions, manager_->Partitions(name));
      total += partitions.size();
    }
    for (const std::string& name : names) {
      ++report.queues;
      LARDER_ASSIGN_OR_RETURN(QueueInfo info, manager_->Info(name));
      LARDER_ASSIGN_OR_RETURN(auto partitions, manager_->Partitions(name));
      auto problem = [&](std::string what) {
        ++report.problem_count;
        report.problems.push_back(fmt::format("queue {}: {}", name, what));
      };
      if (!info.dead_queue.empty() &&
          !std::binary_search(names.begin(), names.end(), info.dead_queue)) {
        problem(fmt::format("its DEAD-QUEUE '{}' does not exist", info.dead_queue));
      }
      for (std::uint32_t i = 0; i < partitions.size(); ++i) {
        ++report.partitions;
        const PartitionPlacement& pl = info.partitions[i];
        const int at = layout_.Find(pl.location);
        // A location no longer listed keeps its partitions where they are (QREBALANCE moves
        // them): only the directory's own name is then known.
        const std::string want =
            at >= 0
                ? PartitionDir(layout_.partition_storage[static_cast<std::size_t>(at)].dir, name, i)
                : PartitionDir(DirName(pl.dir), name, i);
        if (pl.dir != want) {
          problem(
              fmt::format("partition {}: directory {} is not the placement's {}", i, pl.dir, want));
        }
        PartitionCheckResult r;
        LARDER_RETURN_IF_ERROR(CheckPartitionStore(*partitions[i]->store(), &r));
        report.records += r.records;
        report.items += r.items;
        for (std::string& p : r.problems) problem(fmt::format("partition {}: {}", i, p));
        report.problem_count += r.problem_count - r.problems.size();
        if (progress) progress(report.partitions, total);
      }
    }
    return report;
  }

  Status Backup(std::string_view name, const std::string& dir, std::uint64_t* items) override {
    backup_dir_ = dir;
    Status s = manager_->Backup(name, dir, items);
    backup_dir_.clear();
    return s;
  }

  Status Restore(std::string_view name, const std::string& dir) override {
    if (read_only_) return Status::InvalidArgument("restore needs the queues opened read-write");
    return manager_->Restore(name, dir);
  }

  Status Close() override {
    if (manager_ == nullptr) return Status::Ok();
    Status s = manager_->Close();
    manager_.reset();
    return s;
  }

 private:
  const StorageLayout layout_;
  const bool read_only_;
  FileSystem* const fs_;
  std::string backup_dir_;  // the backup Backup is writing (opened read-write)
  std::unique_ptr<QueueManager> manager_;
};

Result<std::unique_ptr<QueueStore>> OpenWith(StorageLayout layout,
                                             const QueueStoreOptions& options) {
  auto store = std::make_unique<QueueStoreImpl>(std::move(layout), options);
  LARDER_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<QueueStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<QueueStore>> QueueStore::Open(const std::string& layout_path,
                                                     const QueueStoreOptions& options) {
  FileSystem* fs = options.file_system != nullptr ? options.file_system : DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(StorageLayout layout, LoadStorageLayout(fs, layout_path));
  return OpenWith(std::move(layout), options);
}

Result<std::unique_ptr<QueueStore>> QueueStore::OpenDefault(const std::string& data_dir,
                                                            const QueueStoreOptions& options) {
  return OpenWith(DefaultStorageLayout(data_dir + "/queues"), options);
}

}  // namespace larder::queue
