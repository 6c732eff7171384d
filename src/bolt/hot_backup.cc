#include "larder/bolt/backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "bolt/file_ops.h"
#include "bolt/meta.h"
#include "larder/bolt/db.h"

namespace larder::bolt {
namespace {

constexpr std::uint64_t kChunk = 1 << 20;

// The valid meta with the highest txid, read now from `file`.
Result<Meta> ReadActiveMeta(File& file, const std::string& path) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file.Size());
  LARDER_ASSIGN_OR_RETURN(const MetaPages metas, ReadMetaPages(file, size, path));
  return metas.Active(path);
}

// Writes the copy's two meta pages: T's as page 0 and T-1's (same roots) as page 1.
Status WriteMetaPages(File& dst, const Meta& meta) {
  return dst.WriteAt(0, EncodeCopyMetaPages(meta));
}

// Reads pages [2, meta.pgid) of `src` into memory: the lock-free window then spans only these
// reads, and the destination is written after it.
Result<std::vector<std::uint8_t>> ReadPages(File& src, const Meta& meta) {
  const std::uint64_t p = meta.page_size;
  std::vector<std::uint8_t> pages(meta.pgid * p - 2 * p);
  LARDER_ASSIGN_OR_RETURN(std::size_t got, src.ReadAt(2 * p, pages));
  if (got != pages.size()) {
    return Status::Corruption(
        fmt::format("{}: shorter than its high-water mark ({} bytes)", src.path(), meta.pgid * p));
  }
  return pages;
}

// Writes a copy whose pages [2, meta.pgid) ReadPages read.
Status WriteCopy(File& dst, const Meta& meta, const std::vector<std::uint8_t>& pages,
                 const BackupOptions& options) {
  const std::uint64_t p = meta.page_size;
  LARDER_RETURN_IF_ERROR(dst.Truncate(0));
  LARDER_RETURN_IF_ERROR(WriteMetaPages(dst, meta));
  const std::uint64_t total = 2 * p + pages.size();
  for (std::uint64_t off = 0; off < pages.size(); off += kChunk) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, pages.size() - off));
    LARDER_RETURN_IF_ERROR(dst.WriteAt(2 * p + off, {pages.data() + off, n}));
    if (options.progress) options.progress(2 * p + off + n, total);
  }
  if (options.progress) options.progress(total, total);
  return Status::Ok();
}

// Copies pages [2, meta.pgid) of `src` into `dst` and writes the two meta pages from `meta`,
// chunk by chunk (files too big to stage in memory). No sync.
Status CopyPages(File& src, File& dst, const Meta& meta, const BackupOptions& options) {
  const std::uint64_t p = meta.page_size;
  LARDER_RETURN_IF_ERROR(dst.Truncate(0));
  LARDER_RETURN_IF_ERROR(WriteMetaPages(dst, meta));
  return CopyRange(src, dst, 2 * p, meta.pgid * p, options.progress);
}

// Opens the copy with the engine and runs the consistency check.
Status VerifyCopy(const std::string& path, const Meta& meta, FileSystem* fs) {
  Options o;
  o.read_only = true;
  o.file_system = fs;
  LARDER_ASSIGN_OR_RETURN(auto db, DB::Open(path, o));
  Status s = db->View([&](Tx& tx) -> Status {
    if (tx.id() != meta.txid) {
      return Status::Corruption(fmt::format("copy holds txid {}, expected {}", tx.id(), meta.txid));
    }
    std::vector<std::string> problems = tx.Check();
    if (problems.empty()) return Status::Ok();
    return Status::Corruption(
        fmt::format("the copy fails the consistency check ({} problems; "
                    "first: {})",
                    problems.size(), problems.front()));
  });
  Status c = db->Close();
  return s.ok() ? c : s;
}

}  // namespace

Result<BackupInfo> BackupFile(const std::string& src_path, const std::string& dst_path,
                              const BackupOptions& options) {
  FileSystem* fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(bool src_exists, fs->Exists(src_path));
  if (!src_exists) return Status::NotFound(src_path + ": no such file");
  LARDER_ASSIGN_OR_RETURN(bool dst_exists, fs->Exists(dst_path));
  if (dst_exists) {
    return Status::AlreadyExists(fmt::format("output file {:?} already exists", dst_path));
  }
  LARDER_ASSIGN_OR_RETURN(
      auto src, fs->Open(src_path, {.read_only = true, .access = AccessPattern::kSequential}));
  const std::string tmp_path = dst_path + ".larder-backup";
  LARDER_ASSIGN_OR_RETURN(auto dst, fs->Open(tmp_path, {.create = true}));
  BackupInfo info;
  Meta meta;
  auto copy = [&]() -> Status {
    Status lock = src->TryLock(LockMode::kShared);
    if (!lock.ok() && lock.code() != Code::kBusy) return lock;
    if (lock.ok()) {  // no writer: the file cannot change while we hold the lock
      LARDER_ASSIGN_OR_RETURN(meta, ReadActiveMeta(*src, src_path));
      return CopyPages(*src, *dst, meta, options);
    }
    auto backoff = std::chrono::milliseconds(10);
    for (int attempt = 1; attempt <= options.attempts; ++attempt) {
      info.attempts = attempt;
      LARDER_ASSIGN_OR_RETURN(meta, ReadActiveMeta(*src, src_path));
      // A file small enough is read into memory inside the window and written after it, so
      // the window is as short as the reads: a busy writer leaves such gaps more often.
      const bool staged = meta.pgid * std::uint64_t{meta.page_size} <= options.staged_copy_limit;
      std::vector<std::uint8_t> pages;
      if (staged) {
        LARDER_ASSIGN_OR_RETURN(pages, ReadPages(*src, meta));
      } else {
        LARDER_RETURN_IF_ERROR(CopyPages(*src, *dst, meta, options));
      }
      LARDER_ASSIGN_OR_RETURN(Meta after, ReadActiveMeta(*src, src_path));
      if (after.txid == meta.txid) {
        info.lock_free = true;
        return staged ? WriteCopy(*dst, meta, pages, options) : Status::Ok();
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    }
    Status waited = WaitForLock(*src, LockMode::kShared, options.lock_timeout);
    if (waited.code() == Code::kBusy) {
      return Status::Busy(fmt::format(
          "{} changed during each of {} lock-free copy attempts and stayed locked by its "
          "writer; try again, or raise --timeout to wait for the writer",
          src_path, options.attempts));
    }
    LARDER_RETURN_IF_ERROR(waited);
    LARDER_ASSIGN_OR_RETURN(meta, ReadActiveMeta(*src, src_path));
    return CopyPages(*src, *dst, meta, options);
  };
  Status s = copy();
  (void)src->Unlock();
  src.reset();
  if (s.ok()) s = dst->SyncAll();
  dst.reset();
  if (s.ok()) s = VerifyCopy(tmp_path, meta, fs);
  if (s.ok()) s = InstallFile(fs, tmp_path, dst_path);
  if (!s.ok()) {
    (void)fs->Remove(tmp_path);
    return s;
  }
  info.bytes = meta.pgid * std::uint64_t{meta.page_size};
  info.txid = meta.txid;
  return info;
}

}  // namespace larder::bolt
