// lsm_table_bench: the sorted table's build speed, file size per codec and point-read latency.
//
//   lsm_table_bench [--dir DIR] [--mib 64] [--gets 1000000]
//
// Builds a table of about --mib MiB of 16-byte user keys (24-byte internal keys) and 100-byte
// values (half random, half repeated: db_bench's default compressibility) with each codec, in
// DIR (default /tmp) through the OS file system, without fsync. Then reads --gets random keys
// with a warm block cache (every block cached first) and without a cache (the file in the page
// cache). Prints one line per codec. Times are the thread's CPU time (the machine is shared).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "lsm/block_cache.h"
#include "lsm/dbformat.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"

using namespace larder;
using namespace larder::lsm;

namespace {

// CPU seconds of this thread: the machine is shared, and wall time counts other processes.
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double Seconds(double since) { return CpuNow() - since; }

// 16 decimal digits of i (db_bench's key shape), no terminator.
void UserKey(std::uint64_t i, char* out) {
  for (int d = 15; d >= 0; --d, i /= 10) out[d] = static_cast<char>('0' + i % 10);
}

[[noreturn]] void Die(const Status& s) {
  std::fprintf(stderr, "lsm_table_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  std::uint64_t mib = 64, gets = 1000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--gets") == 0) gets = std::strtoull(argv[i + 1], nullptr, 10);
  }
  constexpr std::size_t kValue = 100;
  const std::uint64_t n = (mib << 20) / (24 + kValue);
  // A pool of values: 50 random bytes then the same 50 again.
  std::mt19937_64 rng(301);
  std::string pool;
  while (pool.size() < (1 << 20) + kValue) {
    std::string half(kValue / 2, '\0');
    for (char& c : half) c = static_cast<char>(' ' + rng() % 95);
    pool += half + half;
  }
  FileSystem* fs = DefaultFileSystem();
  const std::string path = dir + "/lsm_table_bench.sst";
  std::printf("%llu entries, 16-byte keys, %zu-byte values, %.1f MiB raw\n",
              static_cast<unsigned long long>(n), kValue,
              static_cast<double>(n * (24 + kValue)) / (1 << 20));
  for (const Compression c : {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    const char* name = c == Compression::kNone ? "none" : (c == Compression::kLz4 ? "lz4" : "zstd");
    TableOptions o;
    o.compression = c;
    auto w = fs->NewAppendWriter(path, {.truncate = true});
    if (!w.ok()) Die(w.status());
    const auto start = CpuNow();
    {
      TableBuilder b(o, w->get());
      std::string ikey(24, '\0');
      for (std::uint64_t i = 0; i < n; ++i) {
        UserKey(i * 7, ikey.data());
        StoreU64(reinterpret_cast<std::uint8_t*>(ikey.data()) + 16,
                 PackTrailer(i + 1, ValueType::kValue));
        const std::size_t off = (i * 997) % (1 << 20);
        b.Add(ikey, std::string_view(pool).substr(off, kValue));
      }
      Status s = b.Finish();
      if (s.ok()) s = (*w)->Close();
      if (!s.ok()) Die(s);
    }
    const double build = Seconds(start);
    const std::uint64_t size = *fs->FileSize(path);

    BlockCache cache(std::size_t{512} << 20);
    double warm_us = 0, nocache_us = 0, scan_file_mbs = 0, scan_cached_mbs = 0;
    for (BlockCache* cp : {&cache, static_cast<BlockCache*>(nullptr)}) {
      auto f = fs->Open(path, {.read_only = true});
      if (!f.ok()) Die(f.status());
      auto t = Table::Open(std::move(*f), size, cp ? cp->NewId() : 0, cp, false);
      if (!t.ok()) Die(t.status());
      if (cp != nullptr) {  // warm: every block in the cache; the first scan reads the file
        for (int pass = 0; pass < 2; ++pass) {
          auto it = (*t)->NewIterator(false, true);
          std::uint64_t bytes = 0;
          const double s0 = CpuNow();
          for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size();
          (pass == 0 ? scan_file_mbs : scan_cached_mbs) =
              static_cast<double>(bytes + n * kValue) / 1e6 / Seconds(s0);
        }
      }
      std::mt19937_64 r(7);
      std::string k, v;
      char user[17];
      std::uint64_t hits = 0;
      const auto g = CpuNow();
      for (std::uint64_t i = 0; i < gets; ++i) {
        UserKey((r() % n) * 7, user);
        bool found = false;
        Status s = (*t)->Get(LookupKey(std::string_view(user, 16), kMaxSequenceNumber), false,
                             &found, &k, &v);
        if (!s.ok()) Die(s);
        hits += found;
      }
      const double us = Seconds(g) * 1e6 / static_cast<double>(gets);
      if (hits != gets) Die(Status::Corruption("a key was not found"));
      (cp != nullptr ? warm_us : nocache_us) = us;
    }
    std::printf(
        "%-5s build %7.1f MB/s (%.2f s)  size %8.2f MiB (%.1f%% of none-raw)  "
        "get warm cache %.2f us  get no cache %.2f us  scan %.0f MB/s (cached %.0f)\n",
        name, static_cast<double>(n * (24 + kValue)) / 1e6 / build, build,
        static_cast<double>(size) / (1 << 20),
        100.0 * static_cast<double>(size) / static_cast<double>(n * (24 + kValue)), warm_us,
        nocache_us, scan_file_mbs, scan_cached_mbs);
  }
  (void)fs->Remove(path);
  return 0;
}
