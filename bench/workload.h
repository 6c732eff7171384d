// The comparison benchmark's workloads, shared by every C++ engine runner (bench_larder,
// bench_lmdb, bench_sqlite, bench_rocksdb). bench/bbolt/main.go implements the same workloads,
// keys and orders for Go bbolt; keep the two in step.
//
// A runner is one process per workload (so that the driver can read its peak RSS). It prints
// one JSON object per line on stdout, e.g.
//   {"engine":"lmdb","workload":"read_tx","n":1000000,"ops":1000000,"seconds":0.93}
// and exits non-zero, with a message on stderr, when the engine reports an error or a read
// finds the wrong answer.
//
// Keys are 16 bytes: the record number as zero-padded decimal. Values come from a fixed
// pseudo-random pool, so they are the same for every engine.
#ifndef LARDER_BENCH_WORKLOAD_H_
#define LARDER_BENCH_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace larder::bench {

// Knobs of a run, from the command line (see RunnerMain).
struct RunConfig {
  std::string workload;   // fill_seq, fill_rnd, read_tx, read_txper, scan, read_while_write,
                          // overwrite, delete, durable, durable8, sweep
  std::string dir;        // the engine's data directory (created by fill_* / durable* / sweep)
  std::uint64_t n = 0;    // keys in the database
  std::uint64_t ops = 0;  // operations of read/overwrite/delete workloads
  std::uint64_t value_size = 100;
  std::uint64_t commits = 2000;          // durable, durable8
  int threads = 8;                       // durable8
  double seconds = 3;                    // read_while_write
  std::uint64_t sweep_bytes = 64 << 20;  // sweep: bytes of values to load
  std::uint64_t batch = 1000;            // puts per write transaction
};

// One read transaction (or snapshot), used by one thread.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual void Begin() = 0;
  virtual void End() = 0;
  // The length of key's value, or -1 when absent. Must run between Begin and End.
  virtual std::int64_t Get(std::string_view key) = 0;
  // Counts the entries of a full ordered scan and adds their value lengths to *bytes.
  // Must run between Begin and End.
  virtual std::uint64_t Scan(std::uint64_t* bytes) = 0;
};

// An engine opened on a directory. BeginWrite/Put/Delete/Commit are called from one thread at a
// time (one batch transaction open at once); NewReader and NewDurableWriter give per-thread
// objects, used concurrently with each other and with the batch writer.
class Store {
 public:
  virtual ~Store() = default;
  virtual void BeginWrite() = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  virtual void Commit() = 0;
  // A reader for the calling thread.
  virtual std::unique_ptr<Reader> NewReader() = 0;
  // Per-thread handle: each Put is one durable (synced) transaction putting one key, in the
  // engine's natural way for concurrent writers (group commit where the engine has one).
  class DurableWriter {
   public:
    virtual ~DurableWriter() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
  };
  virtual std::unique_ptr<DurableWriter> NewDurableWriter() = 0;
};

// How a runner opens its engine. `durable` asks for synced commits (the engine's default
// durability); otherwise commits skip fsync. `fresh` means the directory was just created empty.
struct OpenSpec {
  std::string dir;
  bool durable = false;
  bool fresh = false;
  int writer_threads = 1;
};
using OpenFn = std::unique_ptr<Store> (*)(const OpenSpec& spec);

// Counts the entries of a full scan with an iterator of RocksDB's shape (SeekToFirst, Valid,
// Next, value) and adds their value lengths to *bytes. The caller checks its status.
template <typename Iterator>
std::uint64_t CountEntries(Iterator& it, std::uint64_t* bytes) {
  std::uint64_t count = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ++count;
    *bytes += it.value().size();
  }
  return count;
}

// Prints `what` to stderr and exits with status 2.
[[noreturn]] void Die(std::string_view what);

// Key number -> 16-byte key.
void FormatKey(std::uint64_t i, char out[16]);
// The `size`-byte value stored for key number i (a view into a static pool; `salt` varies it,
// e.g. for overwrites). size <= 64 KiB.
std::string_view ValueFor(std::uint64_t i, std::uint64_t size, std::uint64_t salt = 0);
// A bijection of [0, n): the i-th key of a random order (seeded).
std::uint64_t Permute(std::uint64_t i, std::uint64_t n, std::uint64_t seed);
// splitmix64: the next value of *state.
std::uint64_t NextRandom(std::uint64_t* state);

// Parses the command line, opens the engine with `open`, runs the workload, prints the JSON
// line(s). Returns the process exit status.
int RunnerMain(int argc, char** argv, const char* engine, OpenFn open);

}  // namespace larder::bench

#endif  // LARDER_BENCH_WORKLOAD_H_
