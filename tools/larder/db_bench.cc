// The db_bench-compatible runner (db_bench.h): flags, workloads, result lines.
#include "db_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <vector>

#include "common.h"

namespace larder::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// xorshift64*: cheap per-key randomness, one per thread.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed == 0 ? 0x9e3779b97f4a7c15ULL : seed) {}
  std::uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dULL;
  }
  std::uint64_t Uniform(std::uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  std::uint64_t state_;
};

// db_bench's value source: a pool of at least 1 MiB made of 100-byte pieces, each a random
// printable run of ratio * 100 bytes repeated to fill the piece (so a compressor halves it at
// 0.5); values are consecutive slices of it, wrapping at the end.
class ValuePool {
 public:
  ValuePool(double ratio, std::size_t value_size, std::uint64_t seed) {
    Rng rng(seed);
    const std::size_t size = std::max<std::size_t>(std::size_t{1} << 20, value_size);
    data_.reserve(size + 100);
    while (data_.size() < size) {
      const std::size_t piece = 100;
      const std::size_t raw = std::max<std::size_t>(1, static_cast<std::size_t>(piece * ratio));
      std::string run(raw, ' ');
      for (char& c : run) c = static_cast<char>(' ' + rng.Uniform(95));
      for (std::size_t i = 0; i < piece; ++i) data_.push_back(run[i % raw]);
    }
  }
  // A view of `len` bytes, valid while the pool lives.
  std::string_view Next(std::size_t len) {
    if (pos_ + len > data_.size()) pos_ = 0;
    pos_ += len;
    return std::string_view(data_).substr(pos_ - len, len);
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// One thread's counters. The progress line is drawn by thread 0 only, on a terminal.
struct ThreadStats {
  SteadyClock::time_point start;
  SteadyClock::time_point finish;
  std::int64_t done = 0;
  std::int64_t bytes = 0;
  std::int64_t found = 0;
  std::int64_t next_report = 100;
  bool progress = false;

  void FinishedOps(std::int64_t n) {
    done += n;
    if (!progress || done < next_report) return;
    // db_bench's report steps: every 100 ops up to 1000, then coarser.
    const std::int64_t steps[][2] = {{1000, 100},   {5000, 500},     {10000, 1000},
                                     {50000, 5000}, {100000, 10000}, {500000, 50000}};
    std::int64_t step = 100000;
    for (const auto& s : steps) {
      if (next_report < s[0]) {
        step = s[1];
        break;
      }
    }
    next_report += step;
    fmt::print(stderr, "... finished {} ops{:30}\r", done, "");
    std::fflush(stderr);
  }
};

struct ThreadState {
  int index = 0;
  Rng rng{1};
  ThreadStats stats;
  std::string key;
  std::unique_ptr<ValuePool> values;
};

enum class Kind {
  kFillSeq,
  kFillRandom,
  kOverwrite,
  kFillSync,
  kReadRandom,
  kReadSeq,
  kReadReverse,
  kReadWhileWriting,
  kDeleteRandom,
  kSeekRandom,
};

struct BenchmarkInfo {
  std::string_view name;
  Kind kind;
  bool fresh;  // starts from an empty database
};

constexpr BenchmarkInfo kBenchmarks[] = {
    {"fillseq", Kind::kFillSeq, true},
    {"fillrandom", Kind::kFillRandom, true},
    {"overwrite", Kind::kOverwrite, false},
    {"fillsync", Kind::kFillSync, true},
    {"readrandom", Kind::kReadRandom, false},
    {"readseq", Kind::kReadSeq, false},
    {"readreverse", Kind::kReadReverse, false},
    {"readwhilewriting", Kind::kReadWhileWriting, false},
    {"deleterandom", Kind::kDeleteRandom, false},
    {"seekrandom", Kind::kSeekRandom, false},
};

const BenchmarkInfo* FindBenchmark(std::string_view name) {
  for (const BenchmarkInfo& b : kBenchmarks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// wchar of /proc/self/io: bytes this process passed to write calls; -1 when unreadable.
std::int64_t ProcessWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string name;
  std::int64_t value = 0;
  while (io >> name >> value) {
    if (name == "wchar:") return value;
  }
  return -1;
}

std::uint64_t DirectoryBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const std::uintmax_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

// One benchmark's merged figures.
struct Result1 {
  std::string name;
  std::int64_t ops = 0;
  double thread_seconds = 0;
  double wall_seconds = 0;
  std::int64_t bytes = 0;
  std::int64_t found = 0;
  std::string message;
};

class Runner {
 public:
  Runner(const DbBenchFlags& flags, const DbBenchEngine& engine, std::FILE* out)
      : f_(flags), engine_(engine), out_(out) {}

  int Run();

 private:
  Status Open(bool fresh);
  Status CloseStore();
  Status RunOne(const BenchmarkInfo& b, Result1* result);
  Status RunThread(Kind kind, ThreadState& t);
  Status Write(ThreadState& t, bool sequential, std::int64_t ops, std::int64_t keyspace, bool sync);
  Status Delete(ThreadState& t);
  Status ReadRandom(ThreadState& t);
  Status Scan(ThreadState& t, bool forward);
  Status SeekRandom(ThreadState& t);
  Status KeepWriting(ThreadState& t);
  void PrintHeader();
  std::string_view Key(ThreadState& t, std::uint64_t v) {
    MakeDbBenchKey(v, f_.key_size, t.key.data());
    return t.key;
  }
  std::int64_t reads() const { return f_.reads < 0 ? f_.num : f_.reads; }

  const DbBenchFlags& f_;
  const DbBenchEngine& engine_;
  std::FILE* out_;
  std::string dir_;
  std::uint64_t seed_ = 0;
  std::unique_ptr<kv::Store> store_;
  std::atomic<bool> readers_done_{false};
  std::int64_t user_bytes_written_ = 0;
  std::uint64_t benchmarks_run_ = 0;
};

Status Runner::Open(bool fresh) {
  LARDER_RETURN_IF_ERROR(CloseStore());
  if (fresh) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (ec) return Status::IOError(fmt::format("cannot remove {}: {}", dir_, ec.message()));
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir_).parent_path(), ec);
  auto store = engine_.open(dir_, f_.sync);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  return Status::Ok();
}

Status Runner::CloseStore() {
  if (store_ == nullptr) return Status::Ok();
  Status s = store_->Close();
  store_.reset();
  return s;
}

Status Runner::Write(ThreadState& t, bool sequential, std::int64_t ops, std::int64_t keyspace,
                     bool sync) {
  const kv::WriteOptions options{.sync = sync};
  const auto value_size = static_cast<std::size_t>(f_.value_size);
  kv::WriteBatch batch;
  for (std::int64_t i = 0; i < ops; i += f_.batch_size) {
    const std::int64_t n = std::min<std::int64_t>(f_.batch_size, ops - i);
    if (n == 1) {
      const std::uint64_t k = sequential ? static_cast<std::uint64_t>(i)
                                         : t.rng.Uniform(static_cast<std::uint64_t>(keyspace));
      LARDER_RETURN_IF_ERROR(store_->Put(options, Key(t, k), t.values->Next(value_size)));
    } else {
      batch.Clear();
      for (std::int64_t j = 0; j < n; ++j) {
        const std::uint64_t k = sequential ? static_cast<std::uint64_t>(i + j)
                                           : t.rng.Uniform(static_cast<std::uint64_t>(keyspace));
        batch.Put(Key(t, k), t.values->Next(value_size));
      }
      LARDER_RETURN_IF_ERROR(store_->Write(options, batch));
    }
    t.stats.bytes += n * (f_.key_size + f_.value_size);
    t.stats.FinishedOps(n);
  }
  return Status::Ok();
}

Status Runner::Delete(ThreadState& t) {
  const kv::WriteOptions options{.sync = f_.sync};
  kv::WriteBatch batch;
  const auto num = static_cast<std::uint64_t>(f_.num);
  for (std::int64_t i = 0; i < f_.num; i += f_.batch_size) {
    const std::int64_t n = std::min<std::int64_t>(f_.batch_size, f_.num - i);
    if (n == 1) {
      LARDER_RETURN_IF_ERROR(store_->Delete(options, Key(t, t.rng.Uniform(num))));
    } else {
      batch.Clear();
      for (std::int64_t j = 0; j < n; ++j) batch.Delete(Key(t, t.rng.Uniform(num)));
      LARDER_RETURN_IF_ERROR(store_->Write(options, batch));
    }
    t.stats.FinishedOps(n);
  }
  return Status::Ok();
}

Status Runner::ReadRandom(ThreadState& t) {
  std::string value;
  const auto num = static_cast<std::uint64_t>(f_.num);
  for (std::int64_t i = 0; i < reads(); ++i) {
    Status s = store_->Get(Key(t, t.rng.Uniform(num)), &value);
    if (s.ok()) {
      ++t.stats.found;
      t.stats.bytes += f_.key_size + static_cast<std::int64_t>(value.size());
    } else if (!s.IsNotFound()) {
      return s;
    }
    t.stats.FinishedOps(1);
  }
  return Status::Ok();
}

Status Runner::Scan(ThreadState& t, bool forward) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, store_->NewIterator());
  std::int64_t i = 0;
  if (forward) {
    it->SeekToFirst();
  } else {
    it->SeekToLast();
  }
  while (i < reads() && it->Valid()) {
    t.stats.bytes += static_cast<std::int64_t>(it->key().size() + it->value().size());
    ++i;
    t.stats.FinishedOps(1);
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  return it->status();
}

Status Runner::SeekRandom(ThreadState& t) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, store_->NewIterator());
  const auto num = static_cast<std::uint64_t>(f_.num);
  for (std::int64_t i = 0; i < reads(); ++i) {
    const std::string_view key = Key(t, t.rng.Uniform(num));
    it->Seek(key);
    if (it->Valid() && it->key() == key) ++t.stats.found;
    LARDER_RETURN_IF_ERROR(it->status());
    t.stats.FinishedOps(1);
  }
  return Status::Ok();
}

// readwhilewriting's writer: random overwrites until the readers are done; not counted.
Status Runner::KeepWriting(ThreadState& t) {
  const kv::WriteOptions options{.sync = f_.sync};
  const auto num = static_cast<std::uint64_t>(f_.num);
  const auto value_size = static_cast<std::size_t>(f_.value_size);
  while (!readers_done_.load(std::memory_order_acquire)) {
    LARDER_RETURN_IF_ERROR(
        store_->Put(options, Key(t, t.rng.Uniform(num)), t.values->Next(value_size)));
    t.stats.bytes += f_.key_size + f_.value_size;  // not reported; counts in user_bytes_written
  }
  return Status::Ok();
}

Status Runner::RunThread(Kind kind, ThreadState& t) {
  switch (kind) {
    case Kind::kFillSeq:
      return Write(t, true, f_.num, f_.num, f_.sync);
    case Kind::kFillRandom:
    case Kind::kOverwrite:
      return Write(t, false, f_.num, f_.num, f_.sync);
    case Kind::kFillSync:
      return Write(t, false, f_.num, std::max<std::int64_t>(1, f_.num / 1000), true);
    case Kind::kReadRandom:
    case Kind::kReadWhileWriting:
      return ReadRandom(t);
    case Kind::kReadSeq:
      return Scan(t, true);
    case Kind::kReadReverse:
      return Scan(t, false);
    case Kind::kDeleteRandom:
      return Delete(t);
    case Kind::kSeekRandom:
      return SeekRandom(t);
  }
  return Status::InvalidArgument("unknown benchmark");
}

Status Runner::RunOne(const BenchmarkInfo& b, Result1* result) {
  LARDER_RETURN_IF_ERROR(b.fresh || store_ == nullptr ? Open(b.fresh) : Status::Ok());
  const int readers = f_.threads;
  const bool with_writer = b.kind == Kind::kReadWhileWriting;
  const int total = readers + (with_writer ? 1 : 0);
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::vector<ThreadState> states(static_cast<std::size_t>(total));
  std::vector<Status> statuses(static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) {
    ThreadState& t = states[static_cast<std::size_t>(i)];
    t.index = i;
    // A new sequence per benchmark and thread (a read after a delete must not retrace it).
    t.rng = Rng((seed_ + benchmarks_run_) * 1000003 + static_cast<std::uint64_t>(i) + 1);
    t.key.assign(static_cast<std::size_t>(f_.key_size), '0');
    t.values = std::make_unique<ValuePool>(f_.compression_ratio,
                                           static_cast<std::size_t>(f_.value_size), seed_ + i);
    t.stats.progress = tty && i == 0;
  }
  ++benchmarks_run_;
  readers_done_.store(false);
  std::atomic<int> readers_left{readers};
  std::vector<std::thread> threads;
  for (int i = 0; i < total; ++i) {
    threads.emplace_back([&, i] {
      ThreadState& t = states[static_cast<std::size_t>(i)];
      Status& s = statuses[static_cast<std::size_t>(i)];
      if (i >= readers) {
        s = KeepWriting(t);
        return;
      }
      t.stats.start = SteadyClock::now();
      s = RunThread(b.kind, t);
      t.stats.finish = SteadyClock::now();
      if (readers_left.fetch_sub(1) == 1) readers_done_.store(true, std::memory_order_release);
    });
  }
  for (std::thread& th : threads) th.join();
  if (tty) fmt::print(stderr, "{:60}\r", "");
  for (const Status& s : statuses) LARDER_RETURN_IF_ERROR(s);
  if (with_writer) user_bytes_written_ += states.back().stats.bytes;

  result->name = std::string(b.name);
  SteadyClock::time_point start = states[0].stats.start, finish = states[0].stats.finish;
  for (int i = 0; i < readers; ++i) {
    const ThreadStats& s = states[static_cast<std::size_t>(i)].stats;
    start = std::min(start, s.start);
    finish = std::max(finish, s.finish);
    result->ops += s.done;
    result->bytes += s.bytes;
    result->found += s.found;
    result->thread_seconds += std::chrono::duration<double>(s.finish - s.start).count();
  }
  result->wall_seconds = std::chrono::duration<double>(finish - start).count();
  const std::int64_t asked =
      b.kind == Kind::kFillSync ? std::max<std::int64_t>(1, f_.num / 1000) : reads() * readers;
  switch (b.kind) {
    case Kind::kReadRandom:
    case Kind::kReadWhileWriting:
    case Kind::kSeekRandom:
      result->message = fmt::format("({} of {} found)\n", result->found, asked);
      break;
    case Kind::kFillSync:
      result->message = fmt::format("({} ops)", asked);
      break;
    default:
      break;
  }
  if (b.kind == Kind::kSeekRandom) result->bytes = 0;  // db_bench shows no rate for seeks
  if (b.kind <= Kind::kFillSync) user_bytes_written_ += result->bytes;
  return Status::Ok();
}

void Runner::PrintHeader() {
  const double raw_mb =
      static_cast<double>(f_.key_size + f_.value_size) * static_cast<double>(f_.num) / 1048576.0;
  const double file_mb = (f_.key_size + f_.value_size * f_.compression_ratio) *
                         static_cast<double>(f_.num) / 1048576.0;
  fmt::print(out_, "Keys:       {} bytes each (+ 0 bytes user-defined timestamp)\n", f_.key_size);
  fmt::print(out_, "Values:     {} bytes each ({} bytes after compression)\n", f_.value_size,
             static_cast<int>(f_.value_size * f_.compression_ratio + 0.5));
  fmt::print(out_, "Entries:    {}\n", f_.num);
  fmt::print(out_, "RawSize:    {:.1f} MB (estimated)\n", raw_mb);
  fmt::print(out_, "FileSize:   {:.1f} MB (estimated)\n", file_mb);
  fmt::print(out_, "Engine:     {}\n", engine_.name);
  fmt::print(out_, "------------------------------------------------\n");
}

int Runner::Run() {
  std::vector<const BenchmarkInfo*> list;
  for (const std::string& name : SplitList(f_.benchmarks)) {
    const BenchmarkInfo* b = FindBenchmark(name);
    if (b == nullptr) {
      fmt::print(stderr, "Error: unknown benchmark '{}'\n", name);
      return kExitUsage;
    }
    list.push_back(b);
  }
  if (f_.num < 1 || f_.key_size < 8 || f_.value_size < 0 || f_.batch_size < 1 || f_.threads < 1 ||
      f_.compression_ratio <= 0 || f_.compression_ratio > 1) {
    fmt::print(stderr,
               "Error: need --num >= 1, --key_size >= 8, --value_size >= 0, --batch_size >= 1, "
               "--threads >= 1, 0 < --compression_ratio <= 1\n");
    return kExitUsage;
  }
  dir_ = f_.db;
  if (dir_.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir_ =
        fmt::format("{}/larderbench-{}/dbbench", tmp != nullptr && *tmp ? tmp : "/tmp", getuid());
  }
  seed_ = f_.seed;
  if (seed_ == 0) {
    seed_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    fmt::print(out_, "Set seed to {} because --seed was 0\n", seed_);
  }
  PrintHeader();
  const std::int64_t written_before = ProcessWriteBytes();
  std::vector<Result1> results;
  Status s = f_.use_existing_db ? Status::Ok() : Open(/*fresh=*/true);
  for (std::size_t i = 0; s.ok() && i < list.size(); ++i) {
    const BenchmarkInfo& b = *list[i];
    if (b.fresh && f_.use_existing_db) {
      fmt::print(out_, "{:<12} : skipped (--use_existing_db is true)\n", b.name);
      continue;
    }
    if (store_ == nullptr) s = Open(/*fresh=*/false);
    if (!s.ok()) break;
    fmt::print(out_, "DB path: [{}]\n", dir_);
    Result1 r;
    s = RunOne(b, &r);
    if (!s.ok()) break;
    fmt::print(
        out_, "{}",
        FormatDbBenchLine(r.name, r.thread_seconds, r.wall_seconds, r.ops, r.bytes, r.message));
    std::fflush(out_);
    results.push_back(std::move(r));
  }
  if (s.ok() && !f_.stats_file.empty()) {
    nlohmann::json j;
    j["engine"] = engine_.name;
    j["benchmarks"] = nlohmann::json::array();
    for (const Result1& r : results) {
      j["benchmarks"].push_back({{"name", r.name},
                                 {"ops", r.ops},
                                 {"seconds", r.wall_seconds},
                                 {"ops_per_sec", r.ops / std::max(r.wall_seconds, 1e-9)},
                                 {"bytes", r.bytes},
                                 {"found", r.found}});
    }
    if (store_ == nullptr) s = Open(false);
    std::uint64_t live_keys = 0, live_bytes = 0;
    if (s.ok()) {
      auto it = store_->NewIterator();
      s = it.status();
      if (s.ok()) {
        for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
          ++live_keys;
          live_bytes += (*it)->key().size() + (*it)->value().size();
        }
        s = (*it)->status();
      }
    }
    if (s.ok() && engine_.stats_json) {
      const std::string extra = engine_.stats_json(*store_);
      if (!extra.empty()) j["engine_stats"] = nlohmann::json::parse(extra, nullptr, false);
    }
    Status c = CloseStore();
    if (s.ok()) s = c;
    const std::int64_t written_after = ProcessWriteBytes();
    j["user_bytes_written"] = user_bytes_written_;
    j["process_write_bytes"] =
        written_before < 0 || written_after < 0 ? -1 : written_after - written_before;
    j["db_bytes"] = DirectoryBytes(dir_);
    j["live_keys"] = live_keys;
    j["live_bytes"] = live_bytes;
    std::ofstream file(f_.stats_file);
    file << j.dump() << "\n";
    if (!file) s = Status::IOError("cannot write " + f_.stats_file);
  }
  Status c = CloseStore();
  if (s.ok()) s = c;
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

}  // namespace

void MakeDbBenchKey(std::uint64_t v, int key_size, char* out) {
  const int fill = std::min(key_size, 8);
  for (int i = 0; i < fill; ++i) out[i] = static_cast<char>(v >> ((fill - i - 1) * 8));
  for (int i = fill; i < key_size; ++i) out[i] = '0';
}

std::string FormatDbBenchLine(const std::string& name, double thread_seconds, double wall_seconds,
                              std::int64_t ops, std::int64_t bytes, const std::string& message) {
  const std::int64_t done = std::max<std::int64_t>(ops, 1);
  const double elapsed = wall_seconds > 0 ? wall_seconds : 1e-9;
  std::string extra;
  if (bytes > 0)
    extra = fmt::format("{:6.1f} MB/s", static_cast<double>(bytes) / 1048576.0 / elapsed);
  if (!message.empty()) {
    if (!extra.empty()) extra += ' ';
    extra += message;
  }
  return fmt::format("{:<12} : {:11.3f} micros/op {} ops/sec {:.3f} seconds {} operations;{}{}\n",
                     name, thread_seconds * 1e6 / static_cast<double>(done),
                     wall_seconds > 0 ? static_cast<long>(static_cast<double>(done) / elapsed) : 0L,
                     wall_seconds, done, extra.empty() ? "" : " ", extra);
}

void AddDbBenchFlags(CLI::App* sub, DbBenchFlags* f) {
  sub->add_option("--benchmarks", f->benchmarks,
                  "Comma-separated: fillseq,fillrandom,overwrite,fillsync,readrandom,readseq,"
                  "readreverse,readwhilewriting,deleterandom,seekrandom")
      ->default_val(f->benchmarks);
  sub->add_option("--num", f->num, "Number of key-value pairs")->default_val(f->num);
  sub->add_option("--reads", f->reads, "Reads per thread (-1: --num)")->default_val(f->reads);
  sub->add_option("--key_size", f->key_size, "Key size in bytes")->default_val(f->key_size);
  sub->add_option("--value_size", f->value_size, "Value size in bytes")->default_val(f->value_size);
  sub->add_option("--batch_size", f->batch_size, "Writes per batch")->default_val(f->batch_size);
  sub->add_flag("--sync", f->sync, "Sync every write (--sync, --sync=1, --sync=0)");
  sub->add_option("--threads", f->threads, "Concurrent threads")->default_val(f->threads);
  sub->add_option("--db", f->db, "Database directory (default: a directory in $TMPDIR or /tmp)");
  sub->add_flag("--use_existing_db", f->use_existing_db,
                "Run on the database as it is (fill benchmarks are skipped)");
  sub->add_option("--compression_ratio", f->compression_ratio, "Compressibility of values")
      ->default_val(f->compression_ratio);
  sub->add_option("--seed", f->seed, "Random seed (0: from the clock)")->default_val(f->seed);
  sub->add_option("--stats_file", f->stats_file,
                  "Also write the figures and byte counts as JSON to this file");
}

int RunDbBench(const DbBenchFlags& flags, const DbBenchEngine& engine, std::FILE* out) {
  Runner runner(flags, engine, out);
  return runner.Run();
}

}  // namespace larder::cli
