#include "queue/queue_manager.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "base/coding.h"
#include "base/logging.h"
#include "queue/item_format.h"
#include "queue/placement.h"

namespace larder::queue {

namespace {

constexpr std::uint8_t kRecordVersion = 1;
constexpr char kQueueRecordTag = 'Q';
constexpr std::string_view kMetaDirName = "~queue-storage-partition";

std::string QueueKey(std::string_view name) { return TagKey(kQueueRecordTag, name); }

Status NoSuchQueue(std::string_view name) {
  return Status::NotFound(fmt::format("queue '{}' does not exist", name));
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxQueueName || name == "." || name == "..") {
    return Status::InvalidArgument(
        fmt::format("invalid queue name (1 to {} bytes, not . or ..)", kMaxQueueName));
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '/' || c == '\\' || c == '~') {
      return Status::InvalidArgument(
          "invalid queue name: printable ASCII without spaces, '/', '\\' or '~'");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsUserError(const Status& s) {
  return s.code() == Code::kInvalidArgument || s.code() == Code::kNotFound ||
         s.code() == Code::kAlreadyExists;
}

struct QueueManager::Queue {
  QueueInfo info;
  std::vector<std::shared_ptr<Partition>> partitions;
};

namespace {

// A partition's items a produce weighs: ready, scheduled and leased.
std::uint64_t ItemLoad(const Partition& p) {
  const PartitionMeta& m = p.meta();
  return m.ready + m.scheduled + m.leased;
}

std::string EncodeQueueRecord(const QueueInfo& q) {
  std::string v(1, static_cast<char>(kRecordVersion));
  PutVarint64(&v, static_cast<std::uint64_t>(q.created_ms));
  PutVarint64(&v, static_cast<std::uint64_t>(q.settings.lease_timeout_ms));
  PutVarint64(&v, static_cast<std::uint64_t>(q.settings.expire_timeout_ms));
  PutVarint32(&v, q.settings.max_attempts);
  PutLengthPrefixed(&v, q.dead_queue);
  PutVarint32(&v, static_cast<std::uint32_t>(q.partitions.size()));
  for (const PartitionPlacement& p : q.partitions) {
    PutLengthPrefixed(&v, p.location);
    PutLengthPrefixed(&v, p.dir);
  }
  return v;
}

Result<QueueInfo> DecodeQueueRecord(std::string_view name, std::string_view v) {
  const Status bad = Status::Corruption(fmt::format("queue metadata: bad record of '{}'", name));
  if (v.empty() || static_cast<std::uint8_t>(v[0]) != kRecordVersion) return bad;
  v.remove_prefix(1);
  QueueInfo q;
  q.name = std::string(name);
  std::uint64_t created, lease, expire;
  std::uint32_t count;
  std::string_view dead;
  if (!GetVarint64(&v, &created) || !GetVarint64(&v, &lease) || !GetVarint64(&v, &expire) ||
      !GetVarint32(&v, &q.settings.max_attempts) || !GetLengthPrefixed(&v, &dead) ||
      !GetVarint32(&v, &count) || count > kMaxPartitions) {
    return bad;
  }
  q.created_ms = static_cast<std::int64_t>(created);
  q.settings.lease_timeout_ms = static_cast<std::int64_t>(lease);
  q.settings.expire_timeout_ms = static_cast<std::int64_t>(expire);
  q.dead_queue = std::string(dead);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string_view loc, dir;
    if (!GetLengthPrefixed(&v, &loc) || !GetLengthPrefixed(&v, &dir)) return bad;
    q.partitions.push_back({std::string(loc), std::string(dir)});
  }
  if (!v.empty()) return bad;
  return q;
}

}  // namespace

QueueManager::QueueManager(StorageLayout layout, StoreOpener opener, FileSystem* fs)
    : layout_(std::move(layout)), opener_(std::move(opener)), fs_(fs) {}

QueueManager::~QueueManager() { (void)Close(); }

Result<std::unique_ptr<QueueManager>> QueueManager::Open(StorageLayout layout, StoreOpener opener,
                                                         FileSystem* fs) {
  std::unique_ptr<QueueManager> m(new QueueManager(std::move(layout), std::move(opener), fs));
  LARDER_RETURN_IF_ERROR(m->Load());
  return m;
}

Status QueueManager::Load() {
  const std::string dir = layout_.queue_storage.dir + "/" + std::string(kMetaDirName);
  LARDER_ASSIGN_OR_RETURN(meta_, opener_(layout_.queue_storage, dir));
  const std::string lo(1, kQueueRecordTag), hi(1, kQueueRecordTag + 1);
  LARDER_ASSIGN_OR_RETURN(auto it, meta_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view name = it->key().substr(1);
    LARDER_ASSIGN_OR_RETURN(QueueInfo info, DecodeQueueRecord(name, it->value()));
    auto q = std::make_unique<Queue>();
    q->info = std::move(info);
    for (std::uint32_t i = 0; i < q->info.partitions.size(); ++i) {
      LARDER_ASSIGN_OR_RETURN(auto p, OpenPartition(q->info.partitions[i], i));
      q->partitions.push_back(std::move(p));
    }
    queues_.emplace(q->info.name, std::move(q));
  }
  return it->status();
}

Status QueueManager::Close() {
  Status first;
  for (auto& [name, q] : queues_) {
    for (auto& p : q->partitions) {
      Status s = p->Close();
      if (first.ok() && !s.ok()) first = s;
    }
  }
  queues_.clear();
  written_.clear();
  leased_from_.clear();
  produced_to_.clear();
  if (meta_ != nullptr) {
    Status s = meta_->Close();
    if (first.ok() && !s.ok()) first = s;
    meta_.reset();
  }
  return first;
}

Result<std::shared_ptr<Partition>> QueueManager::OpenPartition(const PartitionPlacement& placement,
                                                               std::uint32_t number) {
  StorageLocation location;
  const int at = layout_.Find(placement.location);
  if (at >= 0) {
    location = layout_.partition_storage[static_cast<std::size_t>(at)];
  } else {
    // A location no longer listed: its partitions still open where they are (lsm driver).
    location = {.name = placement.location, .driver = Driver::kLsm, .dir = DirName(placement.dir)};
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> store, opener_(location, placement.dir));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Partition> p, Partition::Open(number, std::move(store)));
  return std::shared_ptr<Partition>(std::move(p));
}

Result<PartitionPlacement> QueueManager::PlacementFor(std::string_view queue, std::uint32_t number,
                                                      std::uint32_t location) const {
  const StorageLocation& l = layout_.partition_storage[location];
  return PartitionPlacement{l.name, PartitionDir(l.dir, queue, number)};
}

Result<QueueManager::Queue*> QueueManager::Find(std::string_view name) const {
  auto it = queues_.find(name);
  if (it == queues_.end()) return NoSuchQueue(name);
  return it->second.get();
}

Status QueueManager::Validate(const QueueInfo& info, std::string_view self) const {
  const QueueSettings& s = info.settings;
  if (s.lease_timeout_ms <= 0) return Status::InvalidArgument("LEASE-TIMEOUT must be positive");
  if (s.expire_timeout_ms < 0) return Status::InvalidArgument("EXPIRE-TIMEOUT must be >= 0");
  if (s.expire_timeout_ms > 0 && s.lease_timeout_ms > s.expire_timeout_ms) {
    return Status::InvalidArgument("LEASE-TIMEOUT may not be longer than EXPIRE-TIMEOUT");
  }
  if (!info.dead_queue.empty()) {
    if (info.dead_queue == self) {
      return Status::InvalidArgument("a queue cannot be its own DEAD-QUEUE");
    }
    if (!queues_.contains(info.dead_queue)) {
      return Status::InvalidArgument(
          fmt::format("DEAD-QUEUE '{}' does not exist", info.dead_queue));
    }
  }
  return Status::Ok();
}

Status QueueManager::SaveRecord(const Queue& q) {
  // Synced at once: queue records change rarely, and partitions must never outlive them.
  return meta_->Put({.sync = true}, QueueKey(q.info.name), EncodeQueueRecord(q.info));
}

Status QueueManager::Create(std::string_view name, const QueueOptions& options,
                            std::int64_t now_ms) {
  LARDER_RETURN_IF_ERROR(CheckName(name));
  if (queues_.contains(name)) {
    return Status::AlreadyExists(fmt::format("queue '{}' already exists", name));
  }
  auto q = std::make_unique<Queue>();
  q->info.name = std::string(name);
  q->info.created_ms = now_ms;
  QueueSettings& s = q->info.settings;
  s.lease_timeout_ms = options.lease_timeout_ms.value_or(60'000);
  s.expire_timeout_ms = options.expire_timeout_ms.value_or(0);
  s.max_attempts = options.max_attempts.value_or(0);
  q->info.dead_queue = options.dead_queue.value_or("");
  const std::uint32_t n = options.partitions.value_or(1);
  if (n == 0) return Status::InvalidArgument("PARTITIONS must be at least 1");
  LARDER_RETURN_IF_ERROR(Validate(q->info, name));
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> where, PlacePartitions(layout_.Weights(), n));
  for (std::uint32_t i = 0; i < n; ++i) {
    LARDER_ASSIGN_OR_RETURN(PartitionPlacement pl, PlacementFor(name, i, where[i]));
    q->info.partitions.push_back(std::move(pl));
  }
  // Partitions first: a crash before the record leaves directories that the next QCREATE of
  // the name reuses (they are empty), never a record without its partitions.
  for (std::uint32_t i = 0; i < n; ++i) {
    LARDER_ASSIGN_OR_RETURN(auto p, OpenPartition(q->info.partitions[i], i));
    q->partitions.push_back(std::move(p));
  }
  LARDER_RETURN_IF_ERROR(SaveRecord(*q));
  queues_.emplace(q->info.name, std::move(q));
  return Status::Ok();
}

Status QueueManager::Update(std::string_view name, const QueueOptions& options) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  QueueInfo next = q->info;
  if (options.lease_timeout_ms) next.settings.lease_timeout_ms = *options.lease_timeout_ms;
  if (options.expire_timeout_ms) next.settings.expire_timeout_ms = *options.expire_timeout_ms;
  if (options.max_attempts) next.settings.max_attempts = *options.max_attempts;
  if (options.dead_queue) next.dead_queue = *options.dead_queue;
  LARDER_RETURN_IF_ERROR(Validate(next, name));
  const auto have = static_cast<std::uint32_t>(q->partitions.size());
  const std::uint32_t want = options.partitions.value_or(have);
  if (want < have) {
    return Status::InvalidArgument(
        fmt::format("PARTITIONS may only grow (the queue has {})", have));
  }
  std::vector<std::shared_ptr<Partition>> added;
  if (want > have) {
    std::vector<std::uint32_t> current;
    for (const PartitionPlacement& p : q->info.partitions) {
      const int at = layout_.Find(p.location);
      current.push_back(at < 0 ? UINT32_MAX : static_cast<std::uint32_t>(at));
    }
    LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> where,
                            PlaceNewPartitions(layout_.Weights(), current, want));
    for (std::uint32_t i = have; i < want; ++i) {
      LARDER_ASSIGN_OR_RETURN(PartitionPlacement pl, PlacementFor(name, i, where[i - have]));
      LARDER_ASSIGN_OR_RETURN(auto p, OpenPartition(pl, i));
      next.partitions.push_back(std::move(pl));
      added.push_back(std::move(p));
    }
  }
  Queue updated{.info = std::move(next), .partitions = {}};
  LARDER_RETURN_IF_ERROR(SaveRecord(updated));
  q->info = std::move(updated.info);
  for (auto& p : added) q->partitions.push_back(std::move(p));
  return Status::Ok();
}

Status QueueManager::Delete(std::string_view name) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  LARDER_RETURN_IF_ERROR(CheckNoBackup(name, "delete"));
  for (const auto& [other, oq] : queues_) {
    if (oq->info.dead_queue == name) {
      return Status::InvalidArgument(
          fmt::format("queue '{}' is the DEAD-QUEUE of '{}'", name, other));
    }
  }
  // The record first: a crash after it leaves directories no queue names (a later QCREATE of
  // the name starts them over), never a record whose partitions are half gone.
  LARDER_RETURN_IF_ERROR(meta_->Delete({.sync = true}, QueueKey(name)));
  Status first;
  for (std::size_t i = 0; i < q->partitions.size(); ++i) {
    Status s = q->partitions[i]->Close();
    if (s.ok()) s = RemoveTree(fs_, q->info.partitions[i].dir);
    if (first.ok() && !s.ok()) first = s;
  }
  for (const auto& p : q->partitions) Forget(p);
  queues_.erase(queues_.find(name));
  return first;
}

Result<std::vector<std::shared_ptr<Partition>>> QueueManager::Partitions(
    std::string_view name) const {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  return q->partitions;
}

std::vector<std::string> QueueManager::List() const {
  std::vector<std::string> names;
  for (const auto& [name, q] : queues_) names.push_back(name);
  return names;
}

Result<QueueInfo> QueueManager::Info(std::string_view name) const {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  return q->info;
}

void QueueManager::Forget(const std::shared_ptr<Partition>& p) {
  std::erase_if(written_, [&](const auto& w) { return w.first == p; });
  std::erase(leased_from_, p);
  std::erase(produced_to_, p);
}

std::shared_ptr<Partition> QueueManager::FirstOf(
    const std::vector<std::shared_ptr<Partition>>& candidates, const Queue& q,
    const std::function<bool(const Partition&)>& eligible) {
  for (const auto& p : candidates) {
    if (std::find(q.partitions.begin(), q.partitions.end(), p) != q.partitions.end() &&
        eligible(*p)) {
      return p;
    }
  }
  return nullptr;
}

void QueueManager::NoteWritten(const std::shared_ptr<Partition>& p) {
  for (auto& w : written_) {
    if (w.first == p) {
      w.second = p->written();
      return;
    }
  }
  written_.emplace_back(p, p->written());
}

std::vector<std::pair<std::shared_ptr<Partition>, std::uint64_t>> QueueManager::TakeWritten() {
  leased_from_.clear();
  produced_to_.clear();
  return std::exchange(written_, {});
}

std::vector<std::shared_ptr<Partition>> QueueManager::AllPartitions() const {
  std::vector<std::shared_ptr<Partition>> all;
  for (const auto& [name, q] : queues_)
    all.insert(all.end(), q->partitions.begin(), q->partitions.end());
  return all;
}

Status QueueManager::Clear(std::string_view name) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  for (auto& p : q->partitions) {
    LARDER_RETURN_IF_ERROR(p->Clear());
    NoteWritten(p);
  }
  return Status::Ok();
}

Status QueueManager::Produce(std::string_view name, std::span<const std::string_view> payloads,
                             const ProduceOptions& options, std::int64_t now_ms,
                             std::vector<std::string>* ids) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  if (payloads.empty() || payloads.size() > kMaxBatch) {
    return Status::InvalidArgument(fmt::format("a produce takes 1 to {} items", kMaxBatch));
  }
  // The whole batch to the least loaded partition (ties: the lowest number), or to one that
  // an earlier produce of this batch of commands wrote while it is within kStickySlack items
  // of that (so the batch's produces share one sync).
  std::shared_ptr<Partition> best;
  std::uint64_t best_load = 0;
  for (auto& p : q->partitions) {
    const std::uint64_t load = ItemLoad(*p);
    if (best == nullptr || load < best_load) {
      best = p;
      best_load = load;
    }
  }
  if (auto sticky = FirstOf(produced_to_, *q, [&](const Partition& p) {
        return ItemLoad(p) <= best_load + kStickySlack;
      })) {
    best = std::move(sticky);
  }
  LARDER_RETURN_IF_ERROR(best->Produce(payloads, options, q->info.settings, now_ms, ids));
  NoteWritten(best);
  if (std::find(produced_to_.begin(), produced_to_.end(), best) == produced_to_.end()) {
    produced_to_.push_back(best);
  }
  return Status::Ok();
}

Status QueueManager::Lease(std::string_view name, std::string_view client, std::uint32_t n,
                           std::int64_t now_ms, std::vector<LeasedItem>* out) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  if (n == 0 || n > kMaxBatch) {
    return Status::InvalidArgument(fmt::format("COUNT must be 1 to {}", kMaxBatch));
  }
  // From the partition with the most ready items; one that turns out to hold only expired
  // items yields nothing, so the next fullest is tried.
  std::vector<std::shared_ptr<Partition>> order;
  for (auto& p : q->partitions) {
    if (p->meta().ready > 0) order.push_back(p);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a->meta().ready > b->meta().ready; });
  // A partition an earlier lease of this batch took from goes first while it holds within
  // kStickySlack of the fullest's ready items (so the batch's leases, and the completes that
  // follow them, share one sync). Only leases count: the first lease of every batch goes to
  // the fullest, so no partition's items wait behind the ones produced meanwhile.
  if (!order.empty()) {
    const std::uint64_t most = order.front()->meta().ready;
    if (auto sticky = FirstOf(leased_from_, *q, [&](const Partition& p) {
          return p.meta().ready > 0 && p.meta().ready + kStickySlack >= most;
        })) {
      std::erase(order, sticky);
      order.insert(order.begin(), std::move(sticky));
    }
  }
  bool moved_dead = false;
  const std::size_t had = out->size();
  for (auto& p : order) {
    const std::uint64_t outbox = p->meta().outbox, before = p->written();
    LARDER_RETURN_IF_ERROR(p->Lease(n, client, q->info.settings, now_ms, out));
    if (p->written() != before) NoteWritten(p);
    moved_dead = moved_dead || p->meta().outbox > outbox;
    if (out->size() > had) {
      if (std::find(leased_from_.begin(), leased_from_.end(), p) == leased_from_.end()) {
        leased_from_.push_back(p);
      }
      break;
    }
  }
  if (moved_dead) LARDER_RETURN_IF_ERROR(MoveDeadLetters(*q, now_ms, nullptr));
  return Status::Ok();
}

Result<std::map<std::uint32_t, std::vector<std::uint64_t>>> QueueManager::LeasedByPartition(
    const Queue& q, std::string_view verb, std::span<const std::string_view> ids,
    std::vector<std::string>* not_leased) const {
  if (ids.empty() || ids.size() > kMaxBatch) {
    return Status::InvalidArgument(fmt::format("a {} takes 1 to {} ids", verb, kMaxBatch));
  }
  std::map<std::uint32_t, std::vector<std::uint64_t>> by_partition;
  for (std::string_view id : ids) {
    const auto dash = id.find('-');
    std::uint32_t p = 0;
    std::uint64_t seq = 0;
    bool ok = dash != std::string_view::npos;
    if (ok) {
      auto r1 = std::from_chars(id.data(), id.data() + dash, p);
      auto r2 = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
      ok = r1.ec == std::errc() && r1.ptr == id.data() + dash && r2.ec == std::errc() &&
           r2.ptr == id.data() + id.size() && p < q.partitions.size() &&
           q.partitions[p]->IsLeased(seq);
    }
    if (!ok) {
      not_leased->emplace_back(id);
    } else {
      by_partition[p].push_back(seq);
    }
  }
  if (!not_leased->empty()) by_partition.clear();
  return by_partition;
}

Status QueueManager::Complete(std::string_view name, std::span<const std::string_view> ids,
                              std::vector<std::string>* not_leased) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  LARDER_ASSIGN_OR_RETURN(auto by_partition, LeasedByPartition(*q, "complete", ids, not_leased));
  for (auto& [p, seqs] : by_partition) {
    LARDER_RETURN_IF_ERROR(q->partitions[p]->Complete(seqs));
    NoteWritten(q->partitions[p]);
  }
  return Status::Ok();
}

Status QueueManager::Retry(std::string_view name, std::span<const std::string_view> ids,
                           std::int64_t delay_ms, bool dead, std::int64_t now_ms,
                           std::vector<std::string>* not_leased) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  LARDER_ASSIGN_OR_RETURN(auto by_partition, LeasedByPartition(*q, "retry", ids, not_leased));
  bool moved_dead = false;
  for (auto& [p, seqs] : by_partition) {
    Partition& part = *q->partitions[p];
    const std::uint64_t outbox = part.meta().outbox;
    LARDER_RETURN_IF_ERROR(part.Retry(seqs, delay_ms, dead, q->info.settings, now_ms));
    NoteWritten(q->partitions[p]);
    moved_dead = moved_dead || part.meta().outbox > outbox;
  }
  if (moved_dead) LARDER_RETURN_IF_ERROR(MoveDeadLetters(*q, now_ms, nullptr));
  return Status::Ok();
}

Result<QueueStats> QueueManager::Stats(std::string_view name, std::int64_t now_ms) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  QueueStats st;
  for (auto& p : q->partitions) {
    LARDER_ASSIGN_OR_RETURN(PartitionStats ps, p->Stats(now_ms));
    st.total.ready += ps.ready;
    st.total.leased += ps.leased;
    st.total.scheduled += ps.scheduled;
    st.total.dead_lettered += ps.dead_lettered;
    st.total.oldest_ms = std::max(st.total.oldest_ms, ps.oldest_ms);
    st.partitions.push_back(ps);
  }
  return st;
}

Status QueueManager::CheckNoBackup(std::string_view name, std::string_view what) const {
  auto it = backups_.find(name);
  if (it == backups_.end()) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("cannot {} queue '{}' while a QBACKUP of it runs", what, name));
}

Result<std::unique_ptr<QueueBackup>> QueueManager::StartBackup(std::string_view name,
                                                               const std::string& dir) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  LARDER_ASSIGN_OR_RETURN(bool exists, fs_->Exists(dir));
  if (exists) {
    LARDER_ASSIGN_OR_RETURN(std::vector<std::string> entries, fs_->ListDir(dir));
    if (!entries.empty()) {
      return Status::InvalidArgument(fmt::format("backup directory {} is not empty", dir));
    }
  }
  LARDER_RETURN_IF_ERROR(fs_->CreateDirs(dir));
  std::vector<std::unique_ptr<kv::Snapshot>> snapshots;
  std::uint64_t items = 0;
  for (auto& p : q->partitions) {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Snapshot> snap, p->store()->GetSnapshot());
    snapshots.push_back(std::move(snap));
    const PartitionMeta& m = p->meta();
    items += m.ready + m.leased + m.scheduled + m.outbox;
  }
  ++backups_[q->info.name];
  return std::make_unique<QueueBackup>(q->info.name, dir, EncodeQueueRecord(q->info),
                                       std::move(snapshots), items, opener_, fs_);
}

void QueueManager::FinishBackup(std::unique_ptr<QueueBackup> backup) {
  backup->ReleaseSnapshots();
  auto it = backups_.find(backup->queue());
  if (it != backups_.end() && --it->second == 0) backups_.erase(it);
}

Status QueueManager::Backup(std::string_view name, const std::string& dir, std::uint64_t* items) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<QueueBackup> backup, StartBackup(name, dir));
  Status s = backup->Write();
  *items = backup->items();
  FinishBackup(std::move(backup));
  return s;
}

Status QueueManager::Restore(std::string_view name, const std::string& dir) {
  LARDER_RETURN_IF_ERROR(CheckName(name));
  if (queues_.contains(name)) {
    return Status::InvalidArgument(fmt::format("queue '{}' already exists", name));
  }
  std::string file;
  Status read = ReadWholeFile(fs_, dir + "/QUEUE", &file);
  if (!read.ok()) {
    return Status::InvalidArgument(
        fmt::format("{} is not a whole queue backup: {}", dir, read.ToString()));
  }
  LARDER_ASSIGN_OR_RETURN(std::string_view record, DecodeBackupFile(dir, file));
  LARDER_ASSIGN_OR_RETURN(QueueInfo info, DecodeQueueRecord(name, record));
  if (!info.dead_queue.empty() && !queues_.contains(info.dead_queue)) {
    return Status::InvalidArgument(fmt::format(
        "the backup's DEAD-QUEUE '{}' does not exist here: create it first", info.dead_queue));
  }
  const auto n = static_cast<std::uint32_t>(info.partitions.size());
  auto q = std::make_unique<Queue>();
  q->info = std::move(info);
  q->info.partitions.clear();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> where, PlacePartitions(layout_.Weights(), n));
  for (std::uint32_t i = 0; i < n; ++i) {
    LARDER_ASSIGN_OR_RETURN(PartitionPlacement pl, PlacementFor(name, i, where[i]));
    LARDER_ASSIGN_OR_RETURN(bool present, fs_->Exists(BackupPartitionDir(dir, i)));
    if (!present) {
      return Status::InvalidArgument(fmt::format("{} is not a whole queue backup: {} is missing",
                                                 dir, BackupPartitionDir(dir, i)));
    }
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> source,
                            opener_(BackupLocation(dir), BackupPartitionDir(dir, i)));
    Status copied = CopyRecords(*source, opener_, fs_, layout_.partition_storage[where[i]], pl.dir);
    Status closed = source->Close();
    LARDER_RETURN_IF_ERROR(copied);
    LARDER_RETURN_IF_ERROR(closed);
    LARDER_ASSIGN_OR_RETURN(auto p, OpenPartition(pl, i));
    q->info.partitions.push_back(std::move(pl));
    q->partitions.push_back(std::move(p));
  }
  LARDER_RETURN_IF_ERROR(SaveRecord(*q));
  queues_.emplace(q->info.name, std::move(q));
  return Status::Ok();
}

Status QueueManager::Rebalance(std::string_view name, std::vector<std::uint32_t>* moved) {
  LARDER_ASSIGN_OR_RETURN(Queue * q, Find(name));
  LARDER_RETURN_IF_ERROR(CheckNoBackup(name, "rebalance"));
  const auto n = static_cast<std::uint32_t>(q->partitions.size());
  const std::vector<std::uint64_t> weights = layout_.Weights();
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint32_t> target, PartitionCounts(weights, n));
  // Where each partition is now (-1: a location no longer listed), and how many each holds.
  std::vector<int> at(n);
  std::vector<std::int64_t> have(weights.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    at[i] = layout_.Find(q->info.partitions[i].location);
    if (at[i] >= 0) ++have[static_cast<std::size_t>(at[i])];
  }
  // Movers: partitions of unlisted locations, then the highest-numbered of locations above
  // their count.
  std::vector<std::uint32_t> movers;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (at[i] < 0) movers.push_back(i);
  }
  for (std::uint32_t i = n; i-- > 0;) {
    if (at[i] < 0) continue;
    const auto loc = static_cast<std::size_t>(at[i]);
    if (have[loc] > static_cast<std::int64_t>(target[loc])) {
      movers.push_back(i);
      --have[loc];
    }
  }
  for (std::uint32_t i : movers) {
    // To the location furthest below its count (ties: the first listed).
    std::size_t best = weights.size();
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (best == weights.size() || static_cast<std::int64_t>(target[l]) - have[l] >
                                        static_cast<std::int64_t>(target[best]) - have[best]) {
        best = l;
      }
    }
    ++have[best];
    LARDER_ASSIGN_OR_RETURN(PartitionPlacement to,
                            PlacementFor(name, i, static_cast<std::uint32_t>(best)));
    const PartitionPlacement from = q->info.partitions[i];
    std::shared_ptr<Partition> old = q->partitions[i];
    LARDER_RETURN_IF_ERROR(
        CopyRecords(*old->store(), opener_, fs_, layout_.partition_storage[best], to.dir));
    LARDER_RETURN_IF_ERROR(old->Close());
    Forget(old);
    q->info.partitions[i] = to;
    Status saved = SaveRecord(*q);
    if (!saved.ok()) {
      q->info.partitions[i] = from;  // the record may or may not name the copy: both are whole
      return saved;
    }
    LARDER_RETURN_IF_ERROR(RemoveTree(fs_, from.dir));
    LARDER_ASSIGN_OR_RETURN(q->partitions[i], OpenPartition(to, i));
    moved->push_back(i);
  }
  return Status::Ok();
}

Status QueueManager::MoveDeadLetters(Queue& q, std::int64_t now_ms,
                                     std::set<std::string>* readied) {
  Queue* dead = nullptr;
  if (!q.info.dead_queue.empty()) {
    auto it = queues_.find(q.info.dead_queue);
    if (it != queues_.end()) dead = it->second.get();
  }
  for (auto& source : q.partitions) {
    if (source->meta().outbox == 0) continue;
    // Step (1) durable first: an arrival must never outlive the outbox entry it came from.
    LARDER_RETURN_IF_ERROR(source->SyncThrough(source->written()));
    while (source->meta().outbox > 0) {
      LARDER_ASSIGN_OR_RETURN(std::vector<OutboxItem> items, source->Outbox(256));
      if (items.empty()) break;
      std::vector<std::uint64_t> seqs;
      std::vector<std::pair<Partition*, std::string>> markers;
      std::set<Partition*> touched;
      for (const OutboxItem& item : items) {
        seqs.push_back(item.outbox_seq);
        const std::string source_id = q.info.name + "/" + source->IdOf(item.outbox_seq);
        if (dead == nullptr) {
          LARDER_LOG_WARN("queue {}: item {} ({}, {} deliveries) dropped: no dead-letter queue",
                          q.info.name, source_id, item.reason, item.attempts);
          continue;
        }
        // The same target on a repeat after a crash, so its marker is found there.
        Partition& target =
            *dead->partitions[(source->number() + item.outbox_seq) % dead->partitions.size()];
        std::string id;
        LARDER_RETURN_IF_ERROR(
            target.AcceptDeadLetter(source_id, item, dead->info.settings, now_ms, &id));
        markers.emplace_back(&target, source_id);
        touched.insert(&target);
      }
      for (Partition* t : touched) LARDER_RETURN_IF_ERROR(t->SyncThrough(t->written()));
      LARDER_RETURN_IF_ERROR(source->DropFromOutbox(seqs));
      LARDER_RETURN_IF_ERROR(source->SyncThrough(source->written()));
      for (Partition* t : touched) {
        std::vector<std::string> ids;
        for (auto& [p, sid] : markers) {
          if (p == t) ids.push_back(sid);
        }
        LARDER_RETURN_IF_ERROR(t->ForgetDeadLetterMarkers(ids));
      }
      if (dead != nullptr && readied != nullptr) readied->insert(dead->info.name);
    }
  }
  return Status::Ok();
}

Status QueueManager::Tick(std::int64_t now_ms, std::set<std::string>* readied) {
  for (auto& [name, q] : queues_) {
    bool gained = false, dead = false;
    for (auto& p : q->partitions) {
      if (p->NextDue() > now_ms && p->meta().outbox == 0) continue;
      const std::uint64_t ready = p->meta().ready, before = p->written();
      LARDER_RETURN_IF_ERROR(p->Tick(q->info.settings, now_ms));
      if (p->written() != before) NoteWritten(p);
      gained = gained || p->meta().ready > ready;
      dead = dead || p->meta().outbox > 0;
    }
    if (gained) readied->insert(name);
    if (dead) LARDER_RETURN_IF_ERROR(MoveDeadLetters(*q, now_ms, readied));
  }
  return Status::Ok();
}

std::int64_t QueueManager::NextDue() const {
  std::int64_t due = std::numeric_limits<std::int64_t>::max();
  for (const auto& [name, q] : queues_) {
    for (const auto& p : q->partitions) {
      due = std::min(due, p->meta().outbox > 0 ? 0 : p->NextDue());
    }
  }
  return due;
}

}  // namespace larder::queue
