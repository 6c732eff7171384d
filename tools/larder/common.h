// Pieces every larder CLI command uses: exit codes, error lines, opening a database, the
// registration hook of each command group.
#ifndef LARDER_TOOLS_LARDER_COMMON_H_
#define LARDER_TOOLS_LARDER_COMMON_H_

#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the command failed (missing file, bucket, key, ...)
inline constexpr int kExitUsage = 2;  // bad flags or arguments

// A subcommand's callback stores the work to run here; main runs it after parsing.
using Action = std::function<int()>;

// Each command group adds its subcommands to `app`.
void RegisterInspectCommands(CLI::App& app, Action& action);
void RegisterWriteCommands(CLI::App& app, Action& action);
void RegisterCompactCommand(CLI::App& app, Action& action);
void RegisterBenchCommand(CLI::App& app, Action& action);
void RegisterPageCommands(CLI::App& app, Action& action);
void RegisterExportCommands(CLI::App& app, Action& action);
void RegisterSurgeryCommands(CLI::App& app, Action& action);
void RegisterLockCommand(CLI::App& app, Action& action);    // larder lock (a larderd client)
void RegisterLsmCommands(CLI::App& app, Action& action);    // larder lsm (cmd_lsm.cc)
void RegisterTsCommands(CLI::App& app, Action& action);     // larder ts (cmd_ts.cc)
void RegisterQueueCommands(CLI::App& app, Action& action);  // larder queue (cmd_queue.cc)

// Prints "Error: <message>" on stderr and returns kExitError.
int Fail(std::string_view message);
int Fail(const Status& status);
// Prints "Error: <message>" and a hint on stderr and returns kExitUsage.
int UsageError(const CLI::App& sub, std::string_view message);

// Adds --timeout (how long to wait for the file lock; Go duration, default 5s, 0 = forever).
void AddTimeoutOption(CLI::App* sub, std::string* timeout);

// Opens `path` read-only (a missing file stays missing) or read-write, waiting at most
// `timeout` for the lock. `create` lets a read-write open create a missing file.
Result<std::unique_ptr<bolt::DB>> OpenDB(const std::string& path, const std::string& timeout,
                                         bool read_only, bool create = false);

// The bucket at `path` from the root. A missing bucket, or a key where a bucket was expected,
// is NotFound "bucket not found"; with `create`, missing buckets are made instead.
Result<bolt::Bucket> FindBucket(const bolt::Tx& tx, const std::vector<std::string>& path);
Result<bolt::Bucket> FindOrCreateBucket(bolt::Tx& tx, const std::vector<std::string>& path);

// Prints bbolt's `Error key not found for key: "<k>" hex: "<hex>"` and returns kExitError.
int KeyNotFound(std::string_view key);

// Writes bytes to stdout as they are.
void WriteOut(std::string_view bytes);
// Writes `j` to stdout, indented by 2, and a newline (invalid UTF-8 replaced): --json output.
void PrintJson(const nlohmann::json& j);

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_COMMON_H_
