// zset_rank_bench: the sorted set's in-memory rank index against a scan of its score index, on
// one big set (docs/server.md, "Sorted sets"). Builds a set of --members members (scores random,
// so inserts land all over the index) in a Keyspace in a temporary directory, then times:
//   ZRANK      ZSetStore::Rank of random members     vs counting score-index records up to it
//   ZRANGE     RangeByRank(r, r+9) at random ranks   vs walking the score index to rank r
//   ZCOUNT     CountByScore over a random range      vs walking the range
// and prints the time the first query took to build the index, its bytes, then the mean time of
// each query and the ratio.
//
//   build-rel/bin/zset_rank_bench --members 1000000 --queries 200
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "server/keyspace.h"
#include "server/zset_encoding.h"
#include "server/rank_cache.h"
#include "server/zset_store.h"

namespace {

using larder::server::Cursor;
using larder::server::Database;
using larder::server::Keyspace;
using larder::server::ZSetStore;
namespace zenc = larder::server::zenc;

void Check(const larder::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Score-index records from the first up to (not including) `entry_record`: a rank by scan.
std::uint64_t ScanCount(Database& db, std::uint64_t version, const std::string& bound) {
  auto it = db.Records(version, std::string(1, zenc::kScoreSub));
  if (!it.ok()) std::exit(1);
  std::uint64_t n = 0;
  for (; (*it)->Valid() && zenc::IsScoreRecord((*it)->key()) && (*it)->key() < bound;
       (*it)->Next()) {
    ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t members = 1'000'000;
  int queries = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--members") members = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--queries") queries = std::atoi(argv[i + 1]);
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("zset-rank-bench-" + std::to_string(getpid())))
          .string();
  larder::server::KeyspaceOptions options;
  options.dir = dir;
  options.databases = 1;
  options.appendfsync = larder::server::AppendFsync::kNo;
  auto opened = Keyspace::Open(options);
  Check(opened.status(), "open");
  std::unique_ptr<Keyspace> ks = std::move(*opened);

  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> score(0, 1e6);
  std::vector<double> scores(members);
  auto start = std::chrono::steady_clock::now();
  constexpr std::uint64_t kBatch = 5000;
  for (std::uint64_t done = 0; done < members; done += kBatch) {
    Check(ks->BeginBatch(), "begin");
    ZSetStore z(ks->db(0), "big");
    Check(z.Load().status(), "load");
    for (std::uint64_t i = done; i < std::min(members, done + kBatch); ++i) {
      scores[i] = score(rng);
      Check(z.Add("member:" + std::to_string(i), scores[i]).status(), "add");
    }
    Check(z.Commit(), "commit");
    Check(ks->EndBatch().status(), "end");
    Check(ks->MaybeCheckpoint(), "checkpoint");
  }
  std::printf("built %llu members in %.1f s\n", static_cast<unsigned long long>(members),
              Seconds(start));

  Check(ks->BeginBatch(), "begin");
  Database& db = ks->db(0);
  ZSetStore z(db, "big");
  Check(z.Load().status(), "load");
  const std::uint64_t version = z.info()->version;
  // The first rank query builds the in-memory index with one walk of the score index.
  start = std::chrono::steady_clock::now();
  Check(z.Rank("member:0").status(), "first rank");
  std::printf("rank index: built by the first query in %.1f ms, %zu bytes in memory\n",
              1e3 * Seconds(start), db.rank_cache()->bytes());
  std::uniform_int_distribution<std::uint64_t> any(0, members - 1);

  // ZRANK
  double indexed = 0, scanned = 0;
  std::uint64_t checksum = 0;
  for (int q = 0; q < queries; ++q) {
    const std::uint64_t i = any(rng);
    const std::string m = "member:" + std::to_string(i);
    auto t = std::chrono::steady_clock::now();
    auto rank = z.Rank(m);
    indexed += Seconds(t);
    Check(rank.status(), "rank");
    t = std::chrono::steady_clock::now();
    const std::uint64_t by_scan =
        ScanCount(db, version, zenc::EntryRecord(zenc::kScoreSub, zenc::Ordered(scores[i]), m));
    scanned += Seconds(t);
    if (!rank->has_value() || **rank != by_scan) {
      std::fprintf(stderr, "rank mismatch for %s\n", m.c_str());
      return 1;
    }
    checksum += by_scan;
  }
  std::printf("ZRANK:  index %.1f us, scan %.1f us, %.0fx\n", 1e6 * indexed / queries,
              1e6 * scanned / queries, scanned / indexed);

  // ZRANGE r r+9
  indexed = scanned = 0;
  for (int q = 0; q < queries; ++q) {
    const std::uint64_t r = any(rng);
    auto t = std::chrono::steady_clock::now();
    auto range = z.RangeByRank(r, r + 9);
    indexed += Seconds(t);
    Check(range.status(), "range");
    t = std::chrono::steady_clock::now();
    auto it = db.Records(version, std::string(1, zenc::kScoreSub));
    Check(it.status(), "records");
    for (std::uint64_t k = 0; k < r; ++k) (*it)->Next();
    scanned += Seconds(t);
    if (range->empty() || zenc::EntryMember((*it)->key()) != (*range)[0].member) {
      std::fprintf(stderr, "range mismatch at %llu\n", static_cast<unsigned long long>(r));
      return 1;
    }
  }
  std::printf("ZRANGE: index %.1f us, scan %.1f us, %.0fx\n", 1e6 * indexed / queries,
              1e6 * scanned / queries, scanned / indexed);

  // ZCOUNT over a random tenth of the score space
  indexed = scanned = 0;
  for (int q = 0; q < queries; ++q) {
    const double lo = score(rng);
    const larder::server::ZScoreRange range{{lo, false}, {lo + 1e5, false}};
    auto t = std::chrono::steady_clock::now();
    auto n = z.CountByScore(range);
    indexed += Seconds(t);
    Check(n.status(), "count");
    t = std::chrono::steady_clock::now();
    auto it = db.Records(version, zenc::EntryRecord(zenc::kScoreSub, zenc::Ordered(lo), ""));
    Check(it.status(), "records");
    std::uint64_t c = 0;
    for (; (*it)->Valid() && zenc::IsScoreRecord((*it)->key()) &&
           zenc::EntryScore((*it)->key(), (*it)->value()) <= lo + 1e5;
         (*it)->Next()) {
      ++c;
    }
    scanned += Seconds(t);
    if (c != *n) {
      std::fprintf(stderr, "count mismatch\n");
      return 1;
    }
  }
  std::printf("ZCOUNT: index %.1f us, scan %.1f us, %.0fx\n", 1e6 * indexed / queries,
              1e6 * scanned / queries, scanned / indexed);
  Check(ks->EndBatch().status(), "end");
  Check(ks->Close(), "close");
  std::filesystem::remove_all(dir);
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(checksum));
  return 0;
}
