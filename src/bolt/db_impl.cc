#include "bolt/db_impl.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/logging.h"
#include "bolt/file_ops.h"
#include "bolt/tx_impl.h"

namespace larder::bolt::internal {
namespace {
constexpr std::uint64_t kAllocSize = 16 << 20;  // file growth step past 16 MiB (bbolt)
constexpr std::uint64_t kMaxMmapStep = 1 << 30;

std::uint32_t OsPageSize() { return static_cast<std::uint32_t>(::sysconf(_SC_PAGESIZE)); }
}  // namespace

DBImpl::DBImpl(std::string path, const Options& options)
    : path_(std::move(path)),
      options_(options),
      arena_cache_(
          std::make_shared<ArenaBlockCache>(options.arena_cache_bytes, kArenaCacheFloorBytes)) {}

DBImpl::~DBImpl() { Close().ok(); }

Result<std::unique_ptr<DBImpl>> DBImpl::Open(const std::string& path, const Options& options) {
  if (options.page_size != 0) LARDER_RETURN_IF_ERROR(CheckPageSize(options.page_size));
  if (options.in_memory && options.read_only) {
    return Status::InvalidArgument("an in-memory database cannot be read-only");
  }
  std::unique_ptr<DBImpl> db(new DBImpl(path, options));
  LARDER_RETURN_IF_ERROR(db->OpenFile());
  return db;
}

Status DBImpl::OpenFile() {
  if (options_.in_memory) {
    owned_fs_ = NewMemFileSystem(options_.in_memory_max_bytes);
    fs_ = owned_fs_.get();
  } else {
    fs_ = options_.file_system != nullptr ? options_.file_system : DefaultFileSystem();
  }
  LARDER_ASSIGN_OR_RETURN(
      file_, fs_->Open(path_, {.create = !options_.read_only,
                               .read_only = options_.read_only,
                               .access = AccessPattern::kRandom}));  // page reads: no read-ahead
  LARDER_RETURN_IF_ERROR(LockFile());
  LARDER_ASSIGN_OR_RETURN(file_size_, file_->Size());
  if (file_size_ == 0) {
    if (options_.read_only) return Status::InvalidArgument(path_ + ": file is empty");
    LARDER_RETURN_IF_ERROR(Initialize());
  }
  LARDER_RETURN_IF_ERROR(LoadMeta());
  LARDER_RETURN_IF_ERROR(LoadFreelist());
  {
    MutexLock lock(&mu_);
    PublishSnapshotLocked(meta_, map_);
  }
  LARDER_LOG_INFO("opened {}: page size {}, txid {}, {} pages, {} free", path_, page_size_,
                  meta_.txid, meta_.pgid, freelist_.free_count());
  // A file last written without a freelist gets one now, unless we also skip it (bbolt).
  if (!options_.read_only && !options_.no_freelist_sync && meta_.freelist == kNoFreelist) {
    LARDER_ASSIGN_OR_RETURN(auto tx, BeginTx(true));
    LARDER_RETURN_IF_ERROR(tx->Commit());
  }
  return Status::Ok();
}

Status DBImpl::LockFile() {
  return WaitForLock(*file_, options_.read_only ? LockMode::kShared : LockMode::kExclusive,
                     options_.lock_timeout);
}

Status DBImpl::Initialize() {
  const std::uint32_t p = options_.page_size != 0 ? options_.page_size : OsPageSize();
  std::vector<std::uint8_t> buf(4 * std::size_t{p}, 0);
  for (Txid i = 0; i < 2; ++i) {
    Meta m;
    m.page_size = p;
    m.root = BucketHeader{3, 0};
    m.freelist = 2;
    m.pgid = 4;
    m.txid = i;
    m.EncodePage(buf.data() + i * p);
  }
  WritePageHeader(buf.data() + 2 * std::size_t{p}, 2, kFreelistPageFlag, 0, 0);
  WritePageHeader(buf.data() + 3 * std::size_t{p}, 3, kLeafPageFlag, 0, 0);
  file_size_ = buf.size();
  if (options_.in_memory) return file_->WriteAt(0, buf);
  // bbolt writes the first pages in place, so a power loss during creation can leave a file
  // with no valid meta (etcd-io/etcd#16596). We build the file under a temporary name and
  // rename it into place: a crash leaves either no database or a complete one.
  const std::string tmp = path_ + ".larder-init";
  {
    LARDER_ASSIGN_OR_RETURN(auto f, fs_->Open(tmp, {.create = true}));
    LARDER_RETURN_IF_ERROR(f->Truncate(0));
    LARDER_RETURN_IF_ERROR(f->WriteAt(0, buf));
    LARDER_RETURN_IF_ERROR(f->SyncAll());
  }
  LARDER_RETURN_IF_ERROR(InstallFile(fs_, tmp, path_));
  // Our handle and lock are on the empty file the rename replaced: take the new one.
  file_.reset();
  LARDER_ASSIGN_OR_RETURN(file_, fs_->Open(path_, {.access = AccessPattern::kRandom}));
  return LockFile();
}

Status DBImpl::LoadMeta() {
  LARDER_ASSIGN_OR_RETURN(const MetaPages metas, ReadMetaPages(*file_, file_size_, path_));
  page_size_ = metas.page_size;
  LARDER_ASSIGN_OR_RETURN(meta_, metas.Active(path_));
  const int pick = metas.active();
  if (!metas.status[1 - pick].ok()) {
    LARDER_LOG_WARN("{}: using meta page {}; the other is damaged: {}", path_, pick,
                    metas.status[1 - pick].ToString());
  }
  LARDER_ASSIGN_OR_RETURN(map_, MapFor(file_size_));
  return Status::Ok();
}

Status DBImpl::RebuildFreelist(const Meta& meta, std::vector<Pgid>* free_ids) {
  // Everything below the high-water mark that no bucket reaches is free.
  std::vector<bool> reachable(meta.pgid, false);
  reachable[0] = reachable[1] = true;
  TxImpl tx(this, false, meta, map_);
  std::function<Status(BucketImpl*)> walk = [&](BucketImpl* b) -> Status {
    std::vector<std::string> children;
    LARDER_RETURN_IF_ERROR(b->ForEachPage([&](PageView p, int) -> Status {
      if (b->header.root != 0) {
        for (Pgid id = p.id(); id <= p.id() + p.overflow(); ++id) {
          if (reachable[id]) {
            return Status::Corruption(fmt::format("page {}: multiple references", id));
          }
          reachable[id] = true;
        }
      }
      if (p.is_leaf()) {
        for (std::size_t i = 0; i < p.count(); ++i) {
          LeafElement e;
          if (!p.Leaf(i, &e)) {
            return Status::Corruption(fmt::format("page {}: leaf element out of bounds", p.id()));
          }
          if (e.is_bucket()) children.emplace_back(e.key);
        }
      }
      return Status::Ok();
    }));
    for (const std::string& name : children) {
      LARDER_ASSIGN_OR_RETURN(BucketImpl * child, b->Child(name));
      LARDER_RETURN_IF_ERROR(walk(child));
    }
    return Status::Ok();
  };
  Status s = walk(&tx.root);
  tx.open = false;
  LARDER_RETURN_IF_ERROR(s);
  for (Pgid id = 2; id < meta.pgid; ++id) {
    if (!reachable[id]) free_ids->push_back(id);
  }
  return Status::Ok();
}

Status DBImpl::LoadFreelist() {
  std::vector<Pgid> ids;
  if (meta_.freelist == kNoFreelist) {
    LARDER_RETURN_IF_ERROR(RebuildFreelist(meta_, &ids).WithContext(path_));
  } else {
    TxImpl tx(this, false, meta_, map_);
    tx.open = false;
    auto page = tx.Page(meta_.freelist);
    Status s = page.ok() ? Freelist::ReadPage(*page, meta_.pgid, &ids)
                         : page.status().WithContext("freelist");
    if (!s.ok()) {
      // Readers never allocate, so a read-only open does without the freelist: that keeps a
      // damaged file open for Tx::Check (which reports the freelist's problems) and export.
      if (!options_.read_only) return s.WithContext(path_);
      LARDER_LOG_WARN("{}: ignoring a damaged freelist (read-only): {}", path_, s.ToString());
      ids.clear();
    }
  }
  freelist_.Reset(std::move(ids));
  return Status::Ok();
}

std::size_t DBImpl::MapSize(std::uint64_t min_bytes) const {
  std::uint64_t size = std::max<std::uint64_t>(min_bytes, options_.initial_mmap_size);
  std::uint64_t out;
  if (size <= kMaxMmapStep) {
    out = std::uint64_t{1} << 15;
    while (out < size) out <<= 1;
  } else {
    out = (size + kMaxMmapStep - 1) / kMaxMmapStep * kMaxMmapStep;
  }
  out = (out + page_size_ - 1) / page_size_ * page_size_;
  if (options_.in_memory) out = std::min<std::uint64_t>(out, options_.in_memory_max_bytes);
  return static_cast<std::size_t>(out);
}

Result<std::shared_ptr<const MappedRegion>> DBImpl::MapFor(std::uint64_t min_bytes) {
  return file_->Map(MapSize(min_bytes));
}

Result<std::unique_ptr<TxImpl>> DBImpl::BeginTx(bool writable) {
  if (!writable) return BeginRead();
  MutexLock lock(&mu_);
  if (closed_) return Status::InvalidArgument(path_ + ": database is closed");
  if (options_.read_only) return Status::ReadOnly(path_ + ": database is open read-only");
  while (writer_active_ && !closed_) writer_cv_.Wait(mu_);
  if (closed_) return Status::InvalidArgument(path_ + ": database is closed");
  if (!poisoned_.ok()) return poisoned_;
  writer_active_ = true;
  // Pages freed by commits no registered reader can see become reusable.
  freelist_.ReleaseBefore(OldestReaderLocked());
  return std::make_unique<TxImpl>(this, true, meta_, map_);
}

Result<std::unique_ptr<TxImpl>> DBImpl::BeginRead() {
  Snapshot* snap = nullptr;
  const int slot = reader_table_->Acquire(&snap);
  if (snap == nullptr) return Status::InvalidArgument(path_ + ": database is closed");
  std::unique_ptr<TxImpl> tx;
  if (slot != ReaderTable::kNoSlot) {
    // A reader of the same snapshot as the slot's last one keeps that one's TxImpl and the
    // buckets it opened: they are views of the same immutable pages.
    tx.reset(reader_table_->TakeCached(slot));
    if (tx != nullptr && tx->meta.txid == snap->meta.txid && tx->map == snap->map) {
      tx->open = true;
      tx->on_commit.clear();
    } else {
      tx = std::make_unique<TxImpl>(this, false, snap->meta, snap->map);
    }
  } else {
    // Every slot is taken: count this reader on the snapshot under the mutex instead.
    {
      MutexLock lock(&mu_);
      snap = reader_table_->current();
      if (snap == nullptr) return Status::InvalidArgument(path_ + ": database is closed");
      ++snap->pinned;
      ++stats_.read_tx_n;
    }
    tx = std::make_unique<TxImpl>(this, false, snap->meta, snap->map);
  }
  tx->reader_slot = slot;
  tx->snapshot = snap;
  if (tx->reader_table == nullptr) tx->reader_table = reader_table_;
  return tx;
}

void DBImpl::EndRead(const TxImpl& tx) {
  if (tx.snapshot == nullptr) return;  // a TxImpl of Open's own, never registered
  if (tx.reader_slot != ReaderTable::kNoSlot) {
    reader_table_->Release(tx.reader_slot);
    return;
  }
  MutexLock lock(&mu_);
  --tx.snapshot->pinned;
}

void DBImpl::PublishSnapshotLocked(const Meta& meta, std::shared_ptr<const MappedRegion> map) {
  auto snap = std::make_unique<Snapshot>();
  snap->meta = meta;
  snap->map = std::move(map);
  reader_table_->Publish(snap.get());
  snapshots_.push_back(std::move(snap));
}

Txid DBImpl::OldestReaderLocked() {
  held_.clear();
  reader_table_->CollectHeld(&held_);
  const Snapshot* cur = reader_table_->current();
  Txid oldest = meta_.txid + 1;
  // Called by std::erase_if right here, under mu_.
  std::erase_if(snapshots_, [&](const std::unique_ptr<Snapshot>& s) REQUIRES(mu_) {
    const bool held =
        s->pinned > 0 || std::find(held_.begin(), held_.end(), s.get()) != held_.end();
    if (held) oldest = std::min(oldest, s->meta.txid);
    return !held && s.get() != cur;
  });
  return oldest;
}

void DBImpl::EndWrite(const TxImpl&, bool committed) {
  {
    MutexLock lock(&mu_);
    writer_active_ = false;
    if (committed) ++stats_.write_tx_n;
  }
  writer_cv_.Signal();
}

Status DBImpl::GrowFor(Pgid hwm) {
  std::uint64_t need = (hwm + 1) * std::uint64_t{page_size_};
  if (need <= file_size_) return Status::Ok();
  std::uint64_t map_size = MapSize(need);
  std::uint64_t target = map_size <= kAllocSize ? map_size : need + kAllocSize;
  if (options_.in_memory) target = std::min<std::uint64_t>(target, options_.in_memory_max_bytes);
  if (target < need) return Status::NoSpace(path_ + ": in-memory database is full");
  LARDER_RETURN_IF_ERROR(file_->Truncate(target));
  if (!options_.no_grow_sync && !options_.no_sync) {
    Status s = file_->SyncAll();
    if (!s.ok()) {
      Poison(s);
      return s;
    }
  }
  file_size_ = target;
  return Status::Ok();
}

Status DBImpl::WriteAtV(std::uint64_t offset,
                        std::span<const std::span<const std::uint8_t>> pieces) {
  return file_->WriteAtV(offset, pieces);
}

Status DBImpl::SyncData(std::string_view what) {
  Status s = file_->Sync();
  if (!s.ok()) Poison(s.WithContext(fmt::format("sync of {}", what)));
  return s;
}

Status DBImpl::WriteMeta(const Meta& meta) {
  std::vector<std::uint8_t> page(page_size_, 0);
  meta.EncodePage(page.data());
  Status s = file_->WriteAt((meta.txid % 2) * std::uint64_t{page_size_}, page);
  if (!s.ok()) {
    // The slot may now be torn; refuse writes rather than guess what reached the disk.
    Poison(s.WithContext("meta page write"));
    return s;
  }
  if (!options_.no_sync) LARDER_RETURN_IF_ERROR(SyncData("meta page"));
  return Status::Ok();
}

Status DBImpl::Publish(const Meta& meta) {
  std::shared_ptr<const MappedRegion> map;
  const std::uint64_t need = (meta.pgid + 1) * std::uint64_t{page_size_};
  {
    MutexLock lock(&mu_);
    map = map_;
  }
  Status s;
  if (need > map->size()) {
    auto remapped = MapFor(need);
    if (remapped.ok()) {
      map = *remapped;
    } else {
      // The commit is durable; only new readers' map failed. Refuse writes until reopen.
      s = remapped.status().WithContext("remap after commit");
      Poison(s);
    }
  }
  bool remapped = false;
  {
    MutexLock lock(&mu_);
    remapped = map != map_;
    if (remapped) ++stats_.remap_n;
    map_ = std::move(map);
    meta_ = meta;
    PublishSnapshotLocked(meta_, map_);
  }
  // Recycled readers of the old map would keep it mapped until their slot is used again.
  if (remapped) reader_table_->DropCached();
  return s;
}

void DBImpl::Poison(const Status& cause) {
  MutexLock lock(&mu_);
  if (poisoned_.ok()) {
    LARDER_LOG_ERROR("{}: refusing writes until reopened: {}", path_, cause.ToString());
    poisoned_ = Status::Poisoned(fmt::format(
        "{}: an earlier write or sync failed ({}); reopen the database", path_, cause.ToString()));
  }
}

DBStats DBImpl::Stats() const {
  MutexLock lock(&mu_);
  DBStats s = stats_;
  s.read_tx_n += reader_table_->Begun();
  s.open_read_tx = reader_table_->InUse();
  for (const auto& snap : snapshots_) s.open_read_tx += snap->pinned;
  s.free_page_n = freelist_.free_count();
  s.pending_page_n = freelist_.pending_count();
  s.arena_cache_bytes = arena_cache_->bytes();
  return s;
}

Status DBImpl::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    map_.reset();
    reader_table_->Publish(nullptr);
    // Transactions end before Close (Tx's contract), so normally no snapshot is held; one that
    // is stays until the destructor.
    OldestReaderLocked();
  }
  reader_table_->DropCached();
  writer_cv_.SignalAll();
  Status s;
  if (file_) {
    s = file_->Unlock();
    file_.reset();
  }
  return s;
}

}  // namespace larder::bolt::internal
