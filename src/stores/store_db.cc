#include "stores/store_db.h"

#include <chrono>

#include <fmt/format.h>

#include "larder/file_system.h"

namespace larder::stores {
namespace {

FileSystem* FsOf(const StoreDbOptions& options) {
  return options.file_system != nullptr ? options.file_system : DefaultFileSystem();
}

std::string TempPath(const std::string& path) { return path + ".compact"; }

bolt::Options EngineOptions(const StoreDbOptions& options) {
  bolt::Options o;
  o.file_system = options.file_system;
  o.no_sync = options.no_sync;
  o.lock_timeout = std::chrono::seconds(5);
  o.in_memory = options.config.type == StoreType::kInMemory;
  return o;
}

Result<std::uint64_t> FileBytes(bolt::DB& db) {
  std::uint64_t size = 0;
  LARDER_RETURN_IF_ERROR(db.View([&](bolt::Tx& tx) {
    size = tx.Size();
    return Status::Ok();
  }));
  return size;
}

Status RemoveIfExists(FileSystem* fs, const std::string& path) {
  LARDER_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (!exists) return Status::Ok();
  return fs->Remove(path);
}

}  // namespace

Result<std::unique_ptr<bolt::DB>> OpenStoreDb(const StoreDbOptions& options) {
  const StoreConfig& config = options.config;
  if (config.path.empty()) return Status::InvalidArgument("store path is empty");
  if (config.type == StoreType::kBolt) {
    FileSystem* fs = FsOf(options);
    LARDER_RETURN_IF_ERROR(fs->CreateDirs(DirName(config.path)).WithContext(config.path));
    // An interrupted compaction left its copy: the file itself was never replaced.
    LARDER_RETURN_IF_ERROR(RemoveIfExists(fs, TempPath(config.path)));
  }
  Result<std::unique_ptr<bolt::DB>> db = bolt::DB::Open(config.path, EngineOptions(options));
  if (!db.ok()) return db.status().WithContext(fmt::format("open store {}", config.path));
  return db;
}

Result<CompactionOutcome> CompactIfNeeded(std::unique_ptr<bolt::DB>* db,
                                          const StoreDbOptions& options, std::uint64_t threshold) {
  CompactionOutcome out;
  out.free_pages_before = (*db)->Stats().free_page_n;
  out.free_pages_after = out.free_pages_before;
  LARDER_ASSIGN_OR_RETURN(out.file_bytes_before, FileBytes(**db));
  out.file_bytes_after = out.file_bytes_before;
  if (options.config.type != StoreType::kBolt || threshold == 0 ||
      out.free_pages_before <= threshold) {
    return out;
  }
  FileSystem* fs = FsOf(options);
  const std::string& path = options.config.path;
  const std::string tmp = TempPath(path);
  LARDER_RETURN_IF_ERROR(RemoveIfExists(fs, tmp));
  {
    bolt::Options o = EngineOptions(options);
    o.page_size = (*db)->page_size();
    Result<std::unique_ptr<bolt::DB>> dst = bolt::DB::Open(tmp, o);
    if (!dst.ok()) return dst.status().WithContext("compaction: open " + tmp);
    Status s = bolt::Compact(**dst, **db);
    Status c = (*dst)->Close();
    if (s.ok()) s = c;
    if (s.ok()) {
      // Commits sync their data; this also makes the final size and metadata durable.
      Result<std::unique_ptr<File>> f = fs->Open(tmp, {});
      s = f.ok() ? (*f)->SyncAll() : f.status();
    }
    if (!s.ok()) {
      (void)fs->Remove(tmp);
      return s.WithContext("compaction into " + tmp);
    }
  }
  LARDER_RETURN_IF_ERROR((*db)->Close().WithContext("compaction: close " + path));
  db->reset();
  LARDER_RETURN_IF_ERROR(InstallFile(fs, tmp, path).WithContext("compaction: install " + tmp));
  LARDER_ASSIGN_OR_RETURN(*db, OpenStoreDb(options));
  out.compacted = true;
  out.free_pages_after = (*db)->Stats().free_page_n;
  LARDER_ASSIGN_OR_RETURN(out.file_bytes_after, FileBytes(**db));
  return out;
}

}  // namespace larder::stores
