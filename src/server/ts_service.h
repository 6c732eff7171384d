// TsService: larderd's time-series engine (larder/tsdb/db.h) for the TS.* commands
// (ts_commands.cc; docs/server.md, "Time series"): opened at start-up in `ts-dir` (default
// <dir>/dbengine) with the ts-page-cache-mb, ts-disk-space-mb and ts-direct-io directives,
// closed at shutdown (every hot page flushed, cut short: a clean stop loses nothing). The
// engine's hot log is synced by its own timer (1 s), so a kill -9 loses at most that second.
//
// Series live beside the Redis keyspace (as the durable queues do): EXISTS, KEYS and FLUSHALL do
// not see them; TYPE of a name the keyspace lacks asks HasSeries ("TSDB-TYPE"), DEL and UNLINK
// of one call DropSeries. What
// the engine does not keep (labels, retention, duplicate policy, rules) is in `larderd-series.meta`
// in the same directory (ts_meta.h): a record appended and synced per change, compacted at Open.
//
// Lock rule: every method REQUIRES the server's execution lock (the commands hold it); the
// engine itself is thread-safe and runs its flusher and hot-log timer on its own threads.
#ifndef LARDER_SERVER_TS_SERVICE_H_
#define LARDER_SERVER_TS_SERVICE_H_

#include <memory>
#include <string>
#include <string_view>

#include "larder/status.h"
#include "larder/tsdb/db.h"
#include "server/server.h"
#include "server/ts_label_index.h"
#include "server/ts_meta.h"

namespace larder::server {

class TsService : public ServerService {
 public:
  explicit TsService(Server& server);
  ~TsService() override;

  // Opens the engine and the metadata (once). Errors name the directory or the file.
  Status Open();
  // The open engine, or the error Open met (commands reply it).
  Result<tsdb::DB*> Db();
  // The series' metadata (a series the engine has and the table lacks gets the defaults).
  // REQUIRES: Db() succeeded.
  TsMetaTable& meta() { return meta_; }
  // Makes meta()[name] durable (one record appended to the log, ts_meta.h) and brings the label
  // index up to date with it: every change of meta() is followed by SaveMeta.
  Status SaveMeta(const std::string& name);
  // label=value -> series, equal to meta()'s labels (rebuilt at Open, updated by SaveMeta).
  const TsLabelIndex& label_index() const { return index_; }
  // Closes the engine (flushing hot pages). Later Db() calls fail.
  Status Close();

  // Whether a series has this name; false while the engine is not open (never opens it).
  bool HasSeries(std::string_view name);
  // Drops series `name` (DEL): the engine's DropSeries, then its metadata deleted (a durable
  // record), its labels out of the index, and the rules naming it as destination removed from
  // their sources (its own rules go with its metadata). False when no series has the name or the
  // engine is not open (never opens it). A crash between the steps leaves metadata of a name the
  // engine lacks: Open removes it.
  Result<bool> DropSeries(const std::string& name);

  const std::string& dir() const { return dir_; }

 private:
  Server& server_;
  std::unique_ptr<tsdb::DB> db_;
  TsMetaTable meta_;
  TsLabelIndex index_;
  std::string dir_;
  Status open_status_;
  bool opened_ = false;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_TS_SERVICE_H_
