// The engines under larderd's keyspace (engine.h).
#include "server/engine.h"

#include <fmt/format.h>

#include <utility>

#include "larder/bolt/backup.h"
#include "larder/bolt/kv.h"
#include "larder/lsm/db.h"

namespace larder::server {
namespace {

// The server's one write transaction lives from checkpoint to checkpoint; under random writes
// to a large data set it copies most of the tree's pages at each commit (hundreds of MiB for a
// sorted set of a million members). Its memory is kept for the next one while writes go on
// (Durability releases it once the server is idle), not faulted in afresh at every checkpoint.
constexpr std::size_t kServerArenaCacheBytes = std::size_t{1} << 30;

class BoltEngine final : public Engine {
 public:
  BoltEngine(std::string data_file, std::string backup_path, FileSystem* fs)
      : data_file_(std::move(data_file)), backup_path_(std::move(backup_path)), fs_(fs) {}

  Status Open() {
    bolt::Options options;
    options.file_system = fs_;
    options.arena_cache_bytes = kServerArenaCacheBytes;
    LARDER_ASSIGN_OR_RETURN(store_, bolt::OpenKV(data_file_, options));
    return Status::Ok();
  }
  kv::Store* store() override { return store_.get(); }
  const std::string& backup_path() const override { return backup_path_; }
  Status CopyTo(const std::string& dest) override {
    bolt::BackupOptions backup;
    backup.fs = fs_;
    return bolt::BackupFile(data_file_, dest, backup).status();
  }
  Result<std::uint64_t> DiskBytes() override { return fs_->FileSize(data_file_); }
  Status Close() override { return store_->Close(); }

 private:
  const std::string data_file_;
  const std::string backup_path_;
  FileSystem* const fs_;
  std::unique_ptr<kv::Store> store_;
};

class LsmEngine final : public Engine {
 public:
  LsmEngine(std::string data_dir, std::string backup_path, FileSystem* fs)
      : data_dir_(std::move(data_dir)), backup_path_(std::move(backup_path)), fs_(fs) {}

  Status Open() {
    lsm::Options options;
    options.file_system = fs_;
    LARDER_ASSIGN_OR_RETURN(db_, lsm::DB::Open(data_dir_, options));
    return Status::Ok();
  }
  kv::Store* store() override { return db_.get(); }
  const std::string& backup_path() const override { return backup_path_; }
  Status CopyTo(const std::string& dest) override { return db_->Backup(dest).status(); }
  Result<std::uint64_t> DiskBytes() override { return db_->GetStats().live_disk_bytes; }
  Status Close() override { return db_->Close(); }

 private:
  const std::string data_dir_;
  const std::string backup_path_;
  FileSystem* const fs_;
  std::unique_ptr<lsm::DB> db_;
};

}  // namespace

Result<std::unique_ptr<Engine>> OpenEngine(std::string_view name, const std::string& dir,
                                           FileSystem* fs) {
  if (name == "bolt") {
    auto engine = std::make_unique<BoltEngine>(dir + "/larder.db", dir + "/backup.db", fs);
    LARDER_RETURN_IF_ERROR(engine->Open());
    return std::unique_ptr<Engine>(std::move(engine));
  }
  if (name == "lsm") {
    auto engine = std::make_unique<LsmEngine>(dir + "/larder.lsm", dir + "/backup.lsmb", fs);
    LARDER_RETURN_IF_ERROR(engine->Open());
    return std::unique_ptr<Engine>(std::move(engine));
  }
  return Status::InvalidArgument(fmt::format("unknown engine '{}'", name));
}

Result<std::unique_ptr<tsdb::DB>> OpenTsEngine(const std::string& dir,
                                               const tsdb::Options& options) {
  return tsdb::DB::Open(dir, options);
}

}  // namespace larder::server
