// larder lsm: commands over an LSM database directory (include/larder/lsm/db.h).
//
//   put [--create] [--no-sync] DIR KEY VALUE   get DIR KEY          delete [--no-sync] DIR KEY
//   scan DIR [--prefix P] [--limit N]          info DIR             check DIR
//   backup DIR FILE [--since SEQ]              restore FILE... DIR  checkpoint DIR DEST
//   compact DIR                                bench [db_bench flags]
//
// Inspection commands (get, scan, info, check, backup, checkpoint) open the database read-only:
// they never create a directory nor write into one. put exits 0 only once the write is durable
// (synced), unless --no-sync. Exit codes: 0 done, 1 the command failed (missing directory or key,
// damage: "Error: ..." on stderr), 2 bad usage.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "db_bench.h"
#include "format.h"
#include "larder/lsm/db.h"
#include "progress.h"

namespace larder::cli {
namespace {

using nlohmann::json;

// Flags of every lsm command; each uses those it registers.
struct LsmArgs {
  std::string dir;
  std::string key;
  std::string value;
  std::string file;                 // backup: the file written
  std::vector<std::string> inputs;  // restore: the backup files, then the directory
  std::string dest;                 // checkpoint
  std::string prefix;
  std::int64_t limit = -1;
  std::optional<std::uint64_t> since;
  bool create = false;
  bool no_sync = false;
  bool json = false;
  std::string format = "auto";
  std::string parse_format = "ascii-encoded";
};

// A database directory must exist for every command but put --create and restore: the engine
// would otherwise create it, or report it in its own words.
Status RequireDatabase(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return Status::NotFound(fmt::format("{}: no such database directory", dir));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument(fmt::format("{}: not a directory", dir));
  }
  return Status::Ok();
}

Result<std::unique_ptr<lsm::DB>> OpenLsm(const std::string& dir, bool read_only,
                                         bool create = false) {
  if (!create) LARDER_RETURN_IF_ERROR(RequireDatabase(dir));
  lsm::Options options;
  options.read_only = read_only;
  options.create_if_missing = create;
  return lsm::DB::Open(dir, options);
}

// Closes the database and returns the first error of `s` and the close.
Status CloseWith(std::unique_ptr<lsm::DB>& db, Status s) {
  Status c = db->Close();
  db.reset();
  return s.ok() ? c : s;
}

int Exit(const Status& s) { return s.ok() ? kExitOk : Fail(s); }

std::optional<std::string> ParseArg(const LsmArgs& a, const std::string& text) {
  return ParseBytes(text, a.parse_format);
}

int RunPut(const LsmArgs& a, const CLI::App& sub) {
  const auto key = ParseArg(a, a.key), value = ParseArg(a, a.value);
  if (!key || !value) return UsageError(sub, fmt::format("key or value is not {}", a.parse_format));
  if (key->empty()) return UsageError(sub, "the key must not be empty");
  auto db = OpenLsm(a.dir, /*read_only=*/false, a.create);
  if (!db.ok()) return Fail(db.status());
  Status s = (*db)->Put(kv::WriteOptions{.sync = !a.no_sync}, *key, *value);
  return Exit(CloseWith(*db, s));
}

int RunGet(const LsmArgs& a, const CLI::App& sub) {
  const auto key = ParseArg(a, a.key);
  if (!key) return UsageError(sub, fmt::format("key {:?} is not valid {}", a.key, a.parse_format));
  auto db = OpenLsm(a.dir, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  std::string value;
  Status s = (*db)->Get(*key, &value);
  Status c = CloseWith(*db, Status::Ok());
  if (s.IsNotFound()) return KeyNotFound(*key);
  if (!s.ok()) return Fail(s);
  if (!c.ok()) return Fail(c);
  WriteOut(FormatBytes(value, *ByteFormatFromName(a.format)));
  WriteOut("\n");
  return kExitOk;
}

int RunDelete(const LsmArgs& a, const CLI::App& sub) {
  const auto key = ParseArg(a, a.key);
  if (!key) return UsageError(sub, fmt::format("key {:?} is not valid {}", a.key, a.parse_format));
  auto db = OpenLsm(a.dir, /*read_only=*/false);
  if (!db.ok()) return Fail(db.status());
  std::string value;
  Status s = (*db)->Get(*key, &value);
  if (s.IsNotFound()) {
    (void)CloseWith(*db, Status::Ok());
    return KeyNotFound(*key);
  }
  if (s.ok()) s = (*db)->Delete(kv::WriteOptions{.sync = !a.no_sync}, *key);
  return Exit(CloseWith(*db, s));
}

int RunScan(const LsmArgs& a) {
  auto db = OpenLsm(a.dir, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  const ByteFormat format = *ByteFormatFromName(a.format);
  lsm::IteratorOptions options;
  if (!a.prefix.empty()) options.prefix = a.prefix;
  json rows = json::array();
  Status s;
  {
    auto it = (*db)->NewIterator(lsm::ReadOptions{.fill_cache = false}, options);
    s = it.status();
    if (s.ok()) {
      std::int64_t n = 0;
      std::string line;
      for ((*it)->SeekToFirst(); (*it)->Valid() && (a.limit < 0 || n < a.limit); (*it)->Next()) {
        ++n;
        if (a.json) {
          rows.push_back({{"key", FormatBytes((*it)->key(), format)},
                          {"value", FormatBytes((*it)->value(), format)}});
          continue;
        }
        line = FormatBytes((*it)->key(), format);
        line += ' ';
        line += FormatBytes((*it)->value(), format);
        line += '\n';
        WriteOut(line);
      }
      s = (*it)->status();
    }
  }
  s = CloseWith(*db, s);
  if (!s.ok()) return Fail(s);
  if (a.json) PrintJson(rows);
  return kExitOk;
}

int RunInfo(const LsmArgs& a) {
  auto db = OpenLsm(a.dir, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  const lsm::Stats st = (*db)->GetStats();
  // Space amplification needs the live data: one pass over the keys.
  std::uint64_t live_keys = 0, live_bytes = 0;
  Status s;
  {
    ProgressBar bar("info", 0, ProgressBar::Unit::kCount);
    auto it = (*db)->NewIterator(lsm::ReadOptions{.fill_cache = false}, lsm::IteratorOptions{});
    s = it.status();
    if (s.ok()) {
      for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
        ++live_keys;
        live_bytes += (*it)->key().size() + (*it)->value().size();
        if ((live_keys & 0xfff) == 0) bar.Update(live_keys);
      }
      s = (*it)->status();
    }
    bar.Finish();
  }
  s = CloseWith(*db, s);
  if (!s.ok()) return Fail(s);
  const double space_amp =
      live_bytes == 0 ? 0
                      : static_cast<double>(st.live_disk_bytes) / static_cast<double>(live_bytes);
  if (a.json) {
    json levels = json::array();
    for (std::size_t i = 0; i < st.levels.size(); ++i) {
      levels.push_back(
          {{"level", i}, {"tables", st.levels[i].tables}, {"bytes", st.levels[i].bytes}});
    }
    PrintJson({{"levels", levels},
               {"level0_flushes", st.level0_flushes},
               {"vlog_files", st.vlog_files},
               {"vlog_bytes", st.vlog_bytes},
               {"memtable_bytes", st.memtable_bytes},
               {"last_sequence", st.last_sequence},
               {"live_keys", live_keys},
               {"live_bytes", live_bytes},
               {"live_disk_bytes", st.live_disk_bytes},
               {"space_amplification", space_amp},
               {"user_bytes_written", st.user_bytes_written},
               {"disk_bytes_written", st.disk_bytes_written},
               {"write_amplification", st.write_amplification()},
               {"flushes", st.flushes},
               {"compactions", st.compactions},
               {"vlog_gc_runs", st.vlog_gc_runs}});
    return kExitOk;
  }
  std::string out = "Level  Tables           Bytes\n";
  int tables = 0;
  std::uint64_t table_bytes = 0;
  for (std::size_t i = 0; i < st.levels.size(); ++i) {
    out += fmt::format("L{:<5} {:6} {:15}\n", i, st.levels[i].tables, st.levels[i].bytes);
    tables += st.levels[i].tables;
    table_bytes += st.levels[i].bytes;
  }
  out += fmt::format("Total  {:6} {:15}\n", tables, table_bytes);
  out +=
      fmt::format("Level-0 flushes: {} (what its compaction triggers count)\n", st.level0_flushes);
  out += fmt::format("Value-log files: {} ({} bytes)\n", st.vlog_files, st.vlog_bytes);
  out += fmt::format("Memtables: {} bytes\n", st.memtable_bytes);
  out += fmt::format("Last sequence: {}\n", st.last_sequence);
  out += fmt::format("Live data: {} keys, {} bytes\n", live_keys, live_bytes);
  out += fmt::format("Disk: {} bytes\n", st.live_disk_bytes);
  out += fmt::format("Space amplification: {:.2f}\n", space_amp);
  // Writes since this open: a read-only open has made none.
  out += fmt::format("Write amplification: {:.2f} (since open)\n", st.write_amplification());
  WriteOut(out);
  return kExitOk;
}

int RunCheck(const LsmArgs& a) {
  if (Status s = RequireDatabase(a.dir); !s.ok()) return Fail(s);
  lsm::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  ProgressBar bar("check", 0, ProgressBar::Unit::kBytes);
  auto problems = lsm::Check(a.dir, options, [&](std::uint64_t done, std::uint64_t total) {
    bar.set_total(total);
    bar.Update(done);
  });
  bar.Finish();
  if (!problems.ok()) return Fail(problems.status());
  if (a.json) {
    PrintJson({{"ok", problems->empty()}, {"errors", *problems}});
  } else if (problems->empty()) {
    fmt::print("OK\n");
  } else {
    for (const std::string& p : *problems) fmt::print("{}\n", p);
    fmt::print("{} errors found\n", problems->size());
  }
  return problems->empty() ? kExitOk : kExitError;
}

int RunBackup(const LsmArgs& a) {
  std::error_code ec;
  if (std::filesystem::exists(a.file, ec)) {
    return Fail(fmt::format("output file {:?} already exists", a.file));
  }
  auto db = OpenLsm(a.dir, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  auto seq = (*db)->Backup(a.file, a.since);
  Status s = CloseWith(*db, seq.status());
  if (!s.ok()) return Fail(s);
  if (a.json) {
    PrintJson({{"file", a.file}, {"sequence", *seq}});
  } else {
    fmt::print("backup {} at sequence {} (the --since of the next incremental backup)\n", a.file,
               *seq);
  }
  return kExitOk;
}

int RunRestore(const LsmArgs& a, const CLI::App& sub) {
  if (a.inputs.size() < 2) return UsageError(sub, "backup files and a directory are required");
  const std::vector<std::string> files(a.inputs.begin(), a.inputs.end() - 1);
  const std::string& dir = a.inputs.back();
  for (const std::string& f : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) return Fail(fmt::format("{}: no such file", f));
  }
  auto seq = lsm::Restore(files, dir);
  if (!seq.ok()) return Fail(seq.status());
  if (a.json) {
    PrintJson({{"dir", dir}, {"sequence", *seq}});
  } else {
    fmt::print("restored {} at sequence {}\n", dir, *seq);
  }
  return kExitOk;
}

int RunCheckpoint(const LsmArgs& a) {
  std::error_code ec;
  if (std::filesystem::exists(a.dest, ec)) return Fail(fmt::format("{:?} already exists", a.dest));
  auto db = OpenLsm(a.dir, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  Status s = CloseWith(*db, (*db)->Checkpoint(a.dest));
  return Exit(s);
}

int RunCompact(const LsmArgs& a) {
  auto db = OpenLsm(a.dir, /*read_only=*/false);
  if (!db.ok()) return Fail(db.status());
  const lsm::Stats before = (*db)->GetStats();
  Status s;
  {
    // Progress: the bytes compactions wrote against the tables' bytes (about what a full
    // compaction rewrites), polled while CompactRange runs on its own thread.
    std::uint64_t table_bytes = 0;
    for (const auto& level : before.levels) table_bytes += level.bytes;
    ProgressBar bar("compact", table_bytes, ProgressBar::Unit::kBytes);
    std::future<Status> done = std::async(
        std::launch::async, [&db] { return (*db)->CompactRange(std::nullopt, std::nullopt); });
    while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      const std::uint64_t written =
          (*db)->GetStats().disk_bytes_written - before.disk_bytes_written;
      bar.Update(std::min(written, table_bytes));
    }
    s = done.get();
    bar.Finish();
  }
  const lsm::Stats after = (*db)->GetStats();
  s = CloseWith(*db, s);
  if (!s.ok()) return Fail(s.WithContext("compact"));
  fmt::print("{} -> {} bytes (gain={:.2f}x)\n", before.live_disk_bytes, after.live_disk_bytes,
             after.live_disk_bytes == 0 ? 0.0
                                        : static_cast<double>(before.live_disk_bytes) /
                                              static_cast<double>(after.live_disk_bytes));
  return kExitOk;
}

std::string LsmStatsJson(kv::Store& store) {
  auto* db = dynamic_cast<lsm::DB*>(&store);
  if (db == nullptr) return {};
  const lsm::Stats st = db->GetStats();
  json j = {{"user_bytes_written", st.user_bytes_written},
            {"disk_bytes_written", st.disk_bytes_written},
            {"write_amplification", st.write_amplification()},
            {"live_disk_bytes", st.live_disk_bytes},
            {"flushes", st.flushes},
            {"compactions", st.compactions},
            {"stall_micros", st.stall_micros},
            {"arena_warmings", st.arena_warmings},
            {"vlog_warmed_bytes", st.vlog_warmed_bytes}};
  return j.dump();
}

int RunBench(const DbBenchFlags& flags, const lsm::Options& options) {
  DbBenchEngine engine;
  engine.name = "larder-lsm";
  engine.open = [options](const std::string& dir, bool) -> Result<std::unique_ptr<kv::Store>> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<lsm::DB> db, lsm::DB::Open(dir, options));
    return std::unique_ptr<kv::Store>(std::move(db));
  };
  engine.stats_json = LsmStatsJson;
  return RunDbBench(flags, engine, stdout);
}

void AddFormat(CLI::App* sub, LsmArgs* a) {
  sub->add_option("--format,-f", a->format, "Output format: auto|ascii-encoded|hex|bytes|redacted")
      ->check(CLI::IsMember(ByteFormatNames()))
      ->default_val("auto");
}

void AddParseFormat(CLI::App* sub, LsmArgs* a) {
  sub->add_option("--parse-format", a->parse_format, "Key and value format: ascii-encoded|hex")
      ->check(CLI::IsMember(ParseFormatNames()))
      ->default_val("ascii-encoded");
}

CLI::App* AddDir(CLI::App* lsm, const char* name, const char* help, LsmArgs* a) {
  CLI::App* sub = lsm->add_subcommand(name, help);
  sub->add_option("dir", a->dir, "Database directory")->required();
  return sub;
}

}  // namespace

void RegisterLsmCommands(CLI::App& app, Action& action) {
  CLI::App* lsm = app.add_subcommand("lsm", "Commands over an LSM database directory");
  lsm->require_subcommand(1);
  auto a = std::make_shared<LsmArgs>();  // one command runs: its subcommand fills what it uses
  auto bench = std::make_shared<DbBenchFlags>();
  auto set = [&action, a](CLI::App* sub, int (*run)(const LsmArgs&, const CLI::App&)) {
    sub->callback([&action, a, sub, run] { action = [a, sub, run] { return run(*a, *sub); }; });
  };
  auto set_plain = [&action, a](CLI::App* sub, int (*run)(const LsmArgs&)) {
    sub->callback([&action, a, run] { action = [a, run] { return run(*a); }; });
  };

  CLI::App* put = AddDir(lsm, "put", "Set a key to a value (durable when it exits 0)", a.get());
  put->add_option("key", a->key, "Key")->required();
  put->add_option("value", a->value, "Value")->required();
  put->add_flag("--create", a->create, "Create the database when the directory has none");
  put->add_flag("--no-sync", a->no_sync, "Do not wait for the write to reach the disk");
  AddParseFormat(put, a.get());
  set(put, RunPut);

  CLI::App* get = AddDir(lsm, "get", "Print the value of a key", a.get());
  get->add_option("key", a->key, "Key")->required();
  AddFormat(get, a.get());
  AddParseFormat(get, a.get());
  set(get, RunGet);

  CLI::App* del = AddDir(lsm, "delete", "Delete a key", a.get());
  del->add_option("key", a->key, "Key")->required();
  del->add_flag("--no-sync", a->no_sync, "Do not wait for the delete to reach the disk");
  AddParseFormat(del, a.get());
  set(del, RunDelete);

  CLI::App* scan = AddDir(lsm, "scan", "Print \"key value\" lines in key order", a.get());
  scan->add_option("--prefix", a->prefix, "Only keys that start with this");
  scan->add_option("--limit", a->limit, "At most this many keys")->check(CLI::NonNegativeNumber);
  scan->add_flag("--json", a->json, "JSON output");
  AddFormat(scan, a.get());
  set_plain(scan, RunScan);

  CLI::App* info = AddDir(lsm, "info", "Levels, tables, value logs, amplification", a.get());
  info->add_flag("--json", a->json, "JSON output");
  set_plain(info, RunInfo);

  CLI::App* check = AddDir(lsm, "check", "Check tables, MANIFEST and value logs", a.get());
  check->add_flag("--json", a->json, "JSON output");
  set_plain(check, RunCheck);

  CLI::App* backup = AddDir(lsm, "backup", "Write an online backup to one file", a.get());
  backup->add_option("file", a->file, "Backup file (must not exist)")->required();
  backup->add_option("--since", a->since, "Incremental: only what changed after this sequence");
  backup->add_flag("--json", a->json, "JSON output");
  set_plain(backup, RunBackup);

  CLI::App* restore = lsm->add_subcommand("restore", "Restore backup files into a directory");
  restore->add_option("files-and-dir", a->inputs, "FILE [INCREMENTAL...] DIR")->required();
  restore->add_flag("--json", a->json, "JSON output");
  set(restore, RunRestore);

  CLI::App* checkpoint = AddDir(lsm, "checkpoint", "A consistent copy in a new directory", a.get());
  checkpoint->add_option("dest", a->dest, "Destination directory (must not exist)")->required();
  set_plain(checkpoint, RunCheckpoint);

  CLI::App* compact = AddDir(lsm, "compact", "Compact the whole database", a.get());
  set_plain(compact, RunCompact);

  CLI::App* b = lsm->add_subcommand("bench", "db_bench's workloads over the LSM engine");
  AddDbBenchFlags(b, bench.get());
  // Beyond db_bench's flags: the engine options a benchmark of this engine varies (as db_bench's
  // --min_blob_size for BlobDB). Defaults: lsm::Options's.
  auto bench_options = std::make_shared<lsm::Options>();
  b->add_option("--value_threshold", bench_options->value_threshold,
                "Values this large or larger stay in the value log (0: none do)")
      ->default_val(bench_options->value_threshold);
  b->add_option("--log_preallocate_bytes", bench_options->log_preallocate_bytes,
                "Largest step by which a value log is extended ahead of its appends (0: none)")
      ->default_val(bench_options->log_preallocate_bytes);
  b->callback([&action, bench, bench_options] {
    action = [bench, bench_options] { return RunBench(*bench, *bench_options); };
  });
}

}  // namespace larder::cli
