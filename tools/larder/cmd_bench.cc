// bench: bbolt's write-then-read benchmark, with its flags and output lines.
//
// Writes: one Update per batch into bucket "bench"; keys are key-size bytes holding a big-endian
// uint32 (1, 2, 3... for seq, random for rnd) and values are value-size zero bytes. The nest
// modes put each batch into its own sub-bucket. Reads: one read transaction, full passes (a
// cursor for seq, Gets in shuffled order for rnd) until at least a second has gone by.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"
#include "larder/file_system.h"

namespace larder::cli {
namespace {

// Creates an empty file under a fresh name in $TMPDIR (else /tmp), exclusively, through `fs`.
Result<std::string> CreateTempFile(FileSystem& fs, std::string_view stem) {
  const char* env = std::getenv("TMPDIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string path = fmt::format("{}/{}-{:016x}", dir, stem, rng());
    auto file = fs.Open(path, OpenOptions{.create = true, .exclusive = true});
    if (file.ok()) return path;
    if (file.status().code() != Code::kAlreadyExists) return file.status();
  }
  return Status::IOError("no free temporary file name in " + dir);
}

using Clock = std::chrono::steady_clock;
constexpr std::string_view kBenchBucket = "bench";

struct BenchArgs {
  std::string profile_mode = "rw";
  std::string write_mode = "seq";
  std::string read_mode = "seq";
  std::int64_t count = 1000;
  std::int64_t batch_size = 0;
  std::int64_t key_size = 8;
  std::int64_t value_size = 32;
  double fill_percent = 0.5;
  bool no_sync = false;
  bool work = false;
  std::string path;
  std::uint32_t page_size = 0;
};

struct Measured {
  std::int64_t ops = 0;
  std::chrono::nanoseconds duration{0};
};

// The keys the benchmark writes: key-size bytes, zero but for a big-endian uint32 in front
// (1, 2, 3... or random). Key() fills one reused buffer, so that making a key allocates nothing.
class KeySource {
 public:
  KeySource(bool random, std::size_t size)
      : random_(random),
        key_(size, '\0'),
        rng_(static_cast<std::uint32_t>(Clock::now().time_since_epoch().count())) {}

  // The next key's number.
  std::uint32_t NextNumber() { return random_ ? static_cast<std::uint32_t>(rng_()) : ++counter_; }
  // The key of number `v`, valid until the next call.
  std::string_view Key(std::uint32_t v) {
    key_[0] = static_cast<char>(v >> 24);
    key_[1] = static_cast<char>(v >> 16);
    key_[2] = static_cast<char>(v >> 8);
    key_[3] = static_cast<char>(v);
    return key_;
  }

 private:
  bool random_;
  std::string key_;
  std::uint32_t counter_ = 0;
  std::mt19937 rng_;
};

// A key written by the benchmark, by number (KeySource::Key): its sub-bucket's name and its
// own. Recorded for `-read-mode rnd` into a vector reserved before the timer starts.
struct WrittenKey {
  std::uint32_t bucket;  // unused outside the nest modes
  std::uint32_t key;
};

Status RunWrites(bolt::DB& db, const BenchArgs& a, std::vector<WrittenKey>* keys, Measured& r) {
  const bool nest = a.write_mode.ends_with("-nest");
  KeySource source(a.write_mode.starts_with("rnd"), static_cast<std::size_t>(a.key_size));
  const std::string value(static_cast<std::size_t>(a.value_size), '\0');
  if (keys != nullptr) keys->reserve(static_cast<std::size_t>(a.count));
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < a.count; i += a.batch_size) {
    LARDER_RETURN_IF_ERROR(db.Update([&](bolt::Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket top, tx.CreateBucketIfNotExists(kBenchBucket));
      top.SetFillPercent(a.fill_percent);
      bolt::Bucket b = top;
      std::uint32_t name = 0;
      if (nest) {
        name = source.NextNumber();
        LARDER_ASSIGN_OR_RETURN(b, top.CreateBucketIfNotExists(source.Key(name)));
        b.SetFillPercent(a.fill_percent);
      }
      for (std::int64_t j = 0; j < a.batch_size; ++j) {
        const std::uint32_t k = source.NextNumber();
        LARDER_RETURN_IF_ERROR(b.Put(source.Key(k), value));
        if (keys != nullptr) keys->push_back({name, k});  // within the reserved capacity
      }
      return Status::Ok();
    }));
    r.ops += a.batch_size;
  }
  r.duration = Clock::now() - start;
  return Status::Ok();
}

// Counts the plain keys of `b`, descending one level into sub-buckets when `nest`.
Result<std::int64_t> CountKeys(bolt::Bucket b, bool nest) {
  std::int64_t n = 0;
  bolt::Cursor c = b.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    if (!c.IsBucket()) {
      ++n;
    } else if (nest) {
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket sub, b.GetBucket(c.key()));
      LARDER_ASSIGN_OR_RETURN(std::int64_t m, CountKeys(sub, false));
      n += m;
    }
  }
  LARDER_RETURN_IF_ERROR(c.status());
  return n;
}

Status RunReads(bolt::DB& db, const BenchArgs& a, const std::vector<WrittenKey>& keys,
                Measured& r) {
  const bool nest = a.write_mode.ends_with("-nest");
  KeySource names(false, static_cast<std::size_t>(a.key_size));
  KeySource source(false, static_cast<std::size_t>(a.key_size));
  return db.View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket top, tx.GetBucket(kBenchBucket));
    const auto start = Clock::now();
    do {
      if (a.read_mode == "seq") {
        LARDER_ASSIGN_OR_RETURN(std::int64_t n, CountKeys(top, nest));
        r.ops += n;
      } else {
        for (const WrittenKey& k : keys) {
          bolt::Bucket b = top;
          if (nest) {
            LARDER_ASSIGN_OR_RETURN(b, top.GetBucket(names.Key(k.bucket)));
          }
          Result<std::string_view> v = b.Get(source.Key(k.key));
          if (!v.ok()) return v.status().WithContext("read rnd");
          ++r.ops;
        }
      }
    } while (Clock::now() - start < std::chrono::seconds(1));
    r.duration = Clock::now() - start;
    return Status::Ok();
  });
}

void PrintResult(std::string_view name, const Measured& r) {
  const std::int64_t op_ns = r.ops > 0 ? r.duration.count() / r.ops : 0;
  const std::int64_t per_sec = op_ns > 0 ? 1'000'000'000 / op_ns : 0;
  fmt::print("# {}\t{}(ops)\t{}\t({}/op)\t({} op/sec)\n", name, r.ops, GoDuration(r.duration),
             GoDuration(std::chrono::nanoseconds(op_ns)), per_sec);
}

int RunBench(BenchArgs a) {
  if (a.batch_size == 0) a.batch_size = a.count;
  if (a.count <= 0) return Fail("count must be positive");
  if (a.batch_size < 0) return Fail("batch size must not be negative");
  if (a.count % a.batch_size != 0) {
    return Fail("number of iterations must be divisible by the batch size");
  }
  if (a.key_size < 4 || static_cast<std::size_t>(a.key_size) > bolt::kMaxKeySize) {
    return Fail(fmt::format("key size must be from 4 to {}", bolt::kMaxKeySize));
  }
  if (a.value_size < 0 || static_cast<std::size_t>(a.value_size) > bolt::kMaxValueSize) {
    return Fail("value size out of range");
  }

  FileSystem* fs = DefaultFileSystem();
  bool remove_after = !a.work;
  std::string path = a.path;
  if (path.empty()) {
    Result<std::string> tmp = CreateTempFile(*fs, "larder-bench");
    if (!tmp.ok()) return Fail(tmp.status());
    path = *tmp;
  } else {
    Result<bool> exists = fs->Exists(path);
    if (!exists.ok() || *exists) remove_after = false;  // never delete what it did not create
  }

  Measured writes, reads;
  Status s;
  {
    bolt::Options options;
    options.no_sync = a.no_sync;
    options.page_size = a.page_size;
    auto db = bolt::DB::Open(path, options);
    s = db.status();
    if (db.ok()) {
      std::vector<WrittenKey> keys;
      s = RunWrites(**db, a, a.read_mode == "rnd" ? &keys : nullptr, writes);
      if (s.ok()) {
        std::shuffle(keys.begin(), keys.end(), std::mt19937(std::random_device{}()));
        s = RunReads(**db, a, keys, reads);
      }
      Status c = (*db)->Close();
      if (s.ok()) s = c;
    }
  }
  if (remove_after) (void)fs->Remove(path);
  if (a.work) fmt::print(stderr, "work: {}\n", path);
  if (!s.ok()) return Fail(s);

  PrintResult("Write", writes);
  PrintResult("Read", reads);
  fmt::print("\n");
  return kExitOk;
}

}  // namespace

void RegisterBenchCommand(CLI::App& app, Action& action) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* sub = app.add_subcommand("bench", "Run bbolt's write/read benchmark");
  sub->add_option("--profile-mode", a->profile_mode, "rw|r|w|n (accepted; no profiler here)")
      ->check(CLI::IsMember({"rw", "r", "w", "n"}))
      ->default_val("rw");
  sub->add_option("--write-mode", a->write_mode, "seq|rnd|seq-nest|rnd-nest")
      ->check(CLI::IsMember({"seq", "rnd", "seq-nest", "rnd-nest"}))
      ->default_val("seq");
  sub->add_option("--read-mode", a->read_mode, "seq|rnd")
      ->check(CLI::IsMember({"seq", "rnd"}))
      ->default_val("seq");
  sub->add_option("--count", a->count, "Number of keys to write")->default_val(1000);
  sub->add_option("--batch-size", a->batch_size, "Keys per transaction (0: count)")->default_val(0);
  sub->add_option("--key-size", a->key_size, "Key size in bytes")->default_val(8);
  sub->add_option("--value-size", a->value_size, "Value size in bytes")->default_val(32);
  sub->add_option("--fill-percent", a->fill_percent, "Bucket fill percent")->default_val(0.5);
  sub->add_flag("--no-sync", a->no_sync, "Skip fsync at commit");
  sub->add_flag("--work", a->work, "Keep the database and print its path");
  sub->add_option("--path", a->path, "Database path (default: a temporary file)");
  sub->add_option("--page-size", a->page_size, "Page size of a new file (0: the OS page size)")
      ->default_val(0);
  sub->callback([&action, a] { action = [a] { return RunBench(*a); }; });
}

}  // namespace larder::cli
