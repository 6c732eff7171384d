#include "server/ts_service.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "base/logging.h"
#include "server/engine.h"

namespace larder::server {
namespace {
constexpr const char* kMetaFile = "/larderd-series.meta";
}  // namespace

TsService::TsService(Server& server) : server_(server) {}

TsService::~TsService() { (void)Close(); }

Status TsService::Open() {
  if (opened_) return open_status_;
  opened_ = true;
  const ServerConfig& config = server_.exec_config();
  dir_ = config.ts_dir.empty() ? config.dir + "/dbengine" : config.ts_dir;
  tsdb::Options options;
  options.page_cache_mb = config.ts_page_cache_mb;
  options.disk_space_mb = config.ts_disk_space_mb;
  options.direct_io = config.ts_direct_io;
  Result<std::unique_ptr<tsdb::DB>> db = OpenTsEngine(dir_, options);
  if (!db.ok()) {
    open_status_ = Status(db.status().code(),
                          fmt::format("time-series engine in {}: {}", dir_, db.status().message()));
    return open_status_;
  }
  FileSystem* fs = DefaultFileSystem();
  Result<TsMetaLog> log = LoadTsMeta(fs, dir_ + kMetaFile);
  Status s = log.status();
  // Metadata of series the engine lacks, and rules into them: a DEL that a crash interrupted.
  bool stale = false;
  if (s.ok()) {
    for (auto it = log->table.begin(); it != log->table.end();) {
      if ((*db)->FindSeries(it->first).ok()) {
        stale |= std::erase_if(it->second.rules, [&](const TsRule& r) {
                   return !(*db)->FindSeries(r.dest).ok();
                 }) > 0;
        ++it;
      } else {
        it = log->table.erase(it);
        stale = true;
      }
    }
  }
  if (s.ok() &&
      (!log->exists || log->torn_tail || stale || log->records > 2 * log->table.size() + 64)) {
    // A new file, a torn last record cut away, stale metadata, or a log mostly of superseded
    // records.
    if (log->torn_tail) LARDER_LOG_WARN("{}{}: torn last record dropped", dir_, kMetaFile);
    s = RewriteTsMeta(fs, dir_ + kMetaFile, log->table);
  }
  if (!s.ok()) {
    (void)(*db)->Close();
    open_status_ = s;
    return open_status_;
  }
  db_ = std::move(*db);
  meta_ = std::move(log->table);
  for (const auto& [name, m] : meta_) index_.Set(name, m.labels);
  LARDER_LOG_INFO("time series opened in {} ({} series, page cache {} MiB, disk {} MiB{})", dir_,
                  db_->ListSeries().size(), options.page_cache_mb, options.disk_space_mb,
                  db_->GetStats().direct_io ? ", direct I/O" : "");
  return Status::Ok();
}

Result<tsdb::DB*> TsService::Db() {
  LARDER_RETURN_IF_ERROR(Open());
  if (db_ == nullptr) return Status::InvalidArgument("the time-series engine is closed");
  return db_.get();
}

bool TsService::HasSeries(std::string_view name) {
  return db_ != nullptr && db_->FindSeries(name).ok();
}

Result<bool> TsService::DropSeries(const std::string& name) {
  if (db_ == nullptr) return false;
  Result<tsdb::SeriesId> id = db_->FindSeries(name);
  if (!id.ok()) return false;
  LARDER_RETURN_IF_ERROR(db_->DropSeries(*id));
  for (auto& [src, m] : meta_) {
    if (src == name) continue;
    if (std::erase_if(m.rules, [&](const TsRule& r) { return r.dest == name; }) > 0) {
      LARDER_RETURN_IF_ERROR(SaveMeta(src));
    }
  }
  meta_.erase(name);
  index_.Set(name, {});
  LARDER_RETURN_IF_ERROR(AppendTsMetaDeletion(DefaultFileSystem(), dir_ + kMetaFile, name));
  return true;
}

Status TsService::SaveMeta(const std::string& name) {
  index_.Set(name, meta_[name].labels);
  return AppendTsMeta(DefaultFileSystem(), dir_ + kMetaFile, name, meta_[name]);
}

Status TsService::Close() {
  if (db_ == nullptr) return Status::Ok();
  Status s = db_->Close();
  db_.reset();
  return s;
}

}  // namespace larder::server
