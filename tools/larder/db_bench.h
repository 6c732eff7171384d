// A db_bench-compatible runner over any kv::Store (include/larder/kv.h): the workloads, flags and
// result lines of RocksDB's db_bench (7.8.3), so that `larder lsm bench` and the comparison
// programs of bench/ (RocksDB, LevelDB adapters) print figures that read like db_bench's.
//
//   DbBenchFlags flags;                       // --benchmarks, --num, --value_size, ...
//   DbBenchEngine engine{.name = "rocksdb", .open = OpenMyStore};
//   int code = RunDbBench(flags, engine, stdout);
//
// What each benchmark does (keys are key_size bytes: the key number big-endian in the first 8
// bytes, the rest '0', as db_bench makes them; values come from a pool built as db_bench builds
// it: pieces of 100 bytes of which compression_ratio is random printable text, repeated):
//   fillseq          fresh database; keys 0..num-1 in order, batch_size per Write
//   fillrandom       fresh database; num writes of uniformly random keys in [0, num)
//   overwrite        as fillrandom on the existing database
//   fillsync         fresh database; num synced writes of random keys in [0, num/1000)
//   readrandom       reads Gets of random keys per thread; "(found of reads found)"
//   readseq          a forward scan of up to reads entries per thread
//   readreverse      a backward scan of up to reads entries per thread
//   readwhilewriting readrandom in `threads` threads while one more thread overwrites random
//                    keys without pause; only the reads are counted
//   deleterandom     num deletes of random keys in [0, num)
//   seekrandom       reads Seeks of random keys per thread (one iterator per thread); found
//                    when the iterator lands on the key itself
// A line per benchmark on `out`, in db_bench's format:
//   "fillrandom   :       2.345 micros/op 426439 ops/sec 0.234 seconds 100000 operations;
//    47.2 MB/s"
// micros/op is the threads' summed time over the operations, ops/sec the operations over the
// wall time (as db_bench). Progress ("... finished N ops") goes to stderr when it is a terminal.
//
// Thread-safety: RunDbBench is reentrant; it runs `threads` threads of its own on the store.
#ifndef LARDER_TOOLS_LARDER_DB_BENCH_H_
#define LARDER_TOOLS_LARDER_DB_BENCH_H_

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "larder/kv.h"
#include "larder/result.h"

namespace larder::cli {

struct DbBenchFlags {
  std::string benchmarks = "fillseq,fillrandom,readrandom";
  std::int64_t num = 1000000;
  std::int64_t reads = -1;  // -1: num
  int key_size = 16;
  int value_size = 100;
  int batch_size = 1;
  bool sync = false;
  int threads = 1;
  std::string db;  // empty: $TMPDIR (else /tmp)/larderbench-<uid>/dbbench
  bool use_existing_db = false;
  double compression_ratio = 0.5;
  std::uint64_t seed = 0;  // 0: from the clock (printed)
  // Beyond db_bench: a JSON file with each benchmark's figures and the run's byte counts for
  // bench/lsm_compare.py: user_bytes_written (key and value bytes of every write, including
  // readwhilewriting's writer), process_write_bytes, db_bytes, live_keys, live_bytes.
  std::string stats_file;
};

// Adds db_bench's flags (--benchmarks, --num, ... as above, plus --stats_file) to `sub`.
void AddDbBenchFlags(CLI::App* sub, DbBenchFlags* flags);

// How the runner opens the engine under test.
struct DbBenchEngine {
  std::string name;  // printed in the header ("larder-lsm", "rocksdb", ...)
  // Opens (creating when absent) the store in `dir`. `sync_writes`: the run's --sync, for
  // engines that fix durability at open.
  std::function<Result<std::unique_ptr<kv::Store>>(const std::string& dir, bool sync_writes)> open;
  // Optional: a line of engine statistics printed after the run (e.g. lsm::Stats), and extra
  // JSON fields for --stats_file ("{}" or empty when none).
  std::function<std::string(kv::Store&)> stats_json;
};

// Runs flags.benchmarks in order on engine's store in flags.db; prints the header and one line
// per benchmark on `out`. Returns 0, 1 (an engine error or a wrong answer: "Error: ..." on
// stderr) or 2 (bad flags, e.g. an unknown benchmark).
int RunDbBench(const DbBenchFlags& flags, const DbBenchEngine& engine, std::FILE* out);

// db_bench's result line for one benchmark (exposed for tests):
// name, summed thread seconds, wall seconds, operations, bytes (0: no MB/s), message.
std::string FormatDbBenchLine(const std::string& name, double thread_seconds, double wall_seconds,
                              std::int64_t ops, std::int64_t bytes, const std::string& message);

// The key of number `v` in db_bench's layout, into `out` (key_size bytes).
void MakeDbBenchKey(std::uint64_t v, int key_size, char* out);

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_DB_BENCH_H_
