// The storage engine under larderd's keyspace, chosen by the `engine` directive: the one place
// the server names an engine. Everything else reaches the data through kv::Store.
//
//   bolt: one file, <dir>/larder.db (a bbolt-compatible B+tree); BGSAVE copies it online into
//         <dir>/backup.db, a bolt file.
//   lsm:  one directory, <dir>/larder.lsm (the LSM engine, docs/lsm.md); BGSAVE writes an online
//         backup file <dir>/backup.lsmb (`larder lsm restore` turns it into a directory).
//
// Thread-safety: store() is as kv::Store says; CopyTo may run on a thread of its own while the
// store is in use (BGSAVE); the rest is called by the keyspace with its lock held.
#ifndef LARDER_SERVER_ENGINE_H_
#define LARDER_SERVER_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "larder/tsdb/db.h"

namespace larder::server {

class Engine {
 public:
  virtual ~Engine() = default;
  // The open store. Owned by the engine; valid until Close.
  virtual kv::Store* store() = 0;
  // Where BGSAVE's copy goes (a path inside the data directory).
  virtual const std::string& backup_path() const = 0;
  // Writes a consistent copy of the committed data to `dest` while writes go on.
  virtual Status CopyTo(const std::string& dest) = 0;
  // Bytes the engine's files take on disk now (INFO's larder_data_file_bytes).
  virtual Result<std::uint64_t> DiskBytes() = 0;
  // Closes the store. Later calls but destruction are not allowed.
  virtual Status Close() = 0;
};

// Opens (creating) engine `name` ("bolt" or "lsm") in data directory `dir` on `fs` (not owned;
// outlives the engine). InvalidArgument for another name; the engine's own open errors.
Result<std::unique_ptr<Engine>> OpenEngine(std::string_view name, const std::string& dir,
                                           FileSystem* fs);

// Opens (creating) the time-series engine (larder/tsdb/db.h) in `dir` for larderd's TS.*
// commands (ts_service.h). The engine's own open errors (InvalidArgument for bad options).
Result<std::unique_ptr<tsdb::DB>> OpenTsEngine(const std::string& dir,
                                               const tsdb::Options& options);

}  // namespace larder::server

#endif  // LARDER_SERVER_ENGINE_H_
