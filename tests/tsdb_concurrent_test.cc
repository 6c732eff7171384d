// The time-series engine under concurrent use: writer threads add to their own series while
// reader threads query every series (raw and aggregated) and the background thread flushes and
// syncs the hot log on a short timer. Every answer must be a prefix of the series' samples
// (strictly increasing times, the values the writer added); after Close and reopen, everything.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "larder/file_system.h"
#include "larder/tsdb/db.h"

namespace larder::tsdb {
namespace {

constexpr int kWriters = 3;
constexpr int kSeriesPerWriter = 2;
constexpr int kSamples = 6000;

double ValueOf(SeriesId id, std::int64_t t) {
  return static_cast<double>((t / 1000 * 7 + id) % 500) / 10;
}

TEST(TsdbConcurrentTest, WritersReadersAndTheFlusher) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  Options o;
  o.file_system = fs.get();
  o.page_samples = 64;
  o.max_pages_per_extent = 3;
  o.hot_log_sync_ms = 2;
  o.page_cache_mb = 1;
  auto db = std::move(*DB::Open("/c", o));
  const int n = kWriters * kSeriesPerWriter;
  for (int s = 0; s < n; ++s) {
    ASSERT_TRUE(db->CreateSeries("s" + std::to_string(s), s % 2 == 0 ? 1000 : 0).ok());
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 1; i <= kSamples; ++i) {
        for (int k = 0; k < kSeriesPerWriter; ++k) {
          const auto id = static_cast<SeriesId>(w * kSeriesPerWriter + k);
          const std::int64_t t = std::int64_t{i} * 1000;
          if (!db->Add(id, t, ValueOf(id, t)).ok()) ++bad;
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::uint64_t round = 0;
      while (!done.load()) {
        const auto id = static_cast<SeriesId>((round++ + static_cast<std::uint64_t>(r)) % n);
        std::vector<Sample> got;
        if (!db->Range(id, 0, kMaxTime, {}, &got).ok()) ++bad;
        for (std::size_t i = 0; i < got.size(); ++i) {
          if (got[i].time_ms != static_cast<std::int64_t>(i + 1) * 1000 ||
              got[i].value != ValueOf(id, got[i].time_ms)) {
            ++bad;
            break;
          }
        }
        std::vector<Sample> buckets;
        if (!db->Range(id, 0, kMaxTime, {.bucket_ms = 60000, .aggregation = Aggregation::kCount},
                       &buckets)
                 .ok()) {
          ++bad;
        }
        ++reads;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[static_cast<std::size_t>(w)].join();
  done = true;
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  ASSERT_TRUE(db->Close().ok());
  db = std::move(*DB::Open("/c", o));
  for (int s = 0; s < n; ++s) {
    std::vector<Sample> got;
    ASSERT_TRUE(db->Range(static_cast<SeriesId>(s), 0, kMaxTime, {}, &got).ok());
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kSamples)) << s;
    EXPECT_EQ(got.back().value, ValueOf(static_cast<SeriesId>(s), got.back().time_ms));
  }
  std::uint64_t problems = 1;
  EXPECT_TRUE(db->Check(&problems).ok());
  EXPECT_EQ(problems, 0u);
}

}  // namespace
}  // namespace larder::tsdb
