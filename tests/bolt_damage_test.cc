// Damaged files: mutate a valid database (bit flips, zeroed and garbage pages, truncation,
// out-of-range page ids) and open, read everything and check it. Each case must end in correct
// data or an error status: never a crash, a hang or a sanitizer report.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "base/coding.h"
#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt {
namespace {

std::string MakeDatabase(FileSystem* fs) {
  Options o;
  o.file_system = fs;
  o.page_size = 1024;
  auto db = DB::Open("/src.db", o);
  EXPECT_TRUE(db.ok());
  EXPECT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("big"));
                    for (int i = 0; i < 400; ++i) {
                      LARDER_RETURN_IF_ERROR(
                          b.Put("key" + std::to_string(i), std::string(i % 50, 'v')));
                    }
                    LARDER_ASSIGN_OR_RETURN(Bucket n, b.CreateBucket("nested"));
                    LARDER_RETURN_IF_ERROR(n.Put("a", "1"));
                    LARDER_ASSIGN_OR_RETURN(Bucket o2, tx.CreateBucket("overflow"));
                    return o2.Put("huge", std::string(5000, 'h'));
                  })
                  .ok());
  EXPECT_TRUE((*db)
                  ->Update([](Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("big"));
                    for (int i = 0; i < 100; ++i)
                      LARDER_RETURN_IF_ERROR(b.Delete("key" + std::to_string(i)));
                    return Status::Ok();
                  })
                  .ok());
  db->reset();
  auto f = fs->Open("/src.db", {});
  std::string bytes(*(*f)->Size(), '\0');
  EXPECT_TRUE((*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}).ok());
  return bytes;
}

// Reads every bucket and key; returns the first error.
Status ReadEverything(DB& db) {
  return db.View([](Tx& tx) -> Status {
    (void)tx.Check();
    std::function<Status(Bucket, int)> walk = [&](Bucket b, int depth) -> Status {
      if (depth > 70) return Status::Corruption("too deep");
      LARDER_RETURN_IF_ERROR(b.Stats().status());
      return b.ForEach([&](std::string_view k, std::string_view, bool is_bucket) -> Status {
        if (!is_bucket) return b.Get(k).status();
        LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
        return walk(child, depth + 1);
      });
    };
    return tx.ForEachBucket([&](std::string_view, Bucket b) { return walk(b, 0); });
  });
}

TEST(BoltDamageTest, MutatedFilesNeverCrash) {
  auto fs = NewMemFileSystem(std::size_t{1} << 28);
  const std::string pristine = MakeDatabase(fs.get());
  const std::size_t page = 1024, pages = pristine.size() / page;
  std::mt19937_64 rng(20261123);
  int opened = 0, failed = 0;
  const int kCases = 10000;
  for (int i = 0; i < kCases; ++i) {
    std::string f = pristine;
    switch (i % 6) {
      case 0:  // bit flips anywhere
        for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) {
          f[rng() % f.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
        break;
      case 1: {  // a zeroed page
        std::size_t p = 2 + rng() % (pages - 2);
        std::fill(f.begin() + p * page, f.begin() + (p + 1) * page, '\0');
        break;
      }
      case 2: {  // a garbage page
        std::size_t p = 2 + rng() % (pages - 2);
        for (std::size_t k = p * page; k < (p + 1) * page; ++k) f[k] = static_cast<char>(rng());
        break;
      }
      case 3:  // truncation
        f.resize(rng() % f.size());
        break;
      case 4: {  // a random page-header field (id, flags, count, overflow) or element field
        std::size_t p = 2 + rng() % (pages - 2);
        std::size_t off = p * page + rng() % 80;
        std::uint64_t v = rng();
        std::memcpy(&f[off], &v, std::min<std::size_t>(8, f.size() - off));
        break;
      }
      case 5: {  // a page id in a branch or meta pointed elsewhere
        std::size_t p = rng() % pages;
        std::size_t off = p * page + 16 + 8 + 16 * (rng() % 4);
        std::uint64_t id = rng() % (pages + 4);
        if (off + 8 <= f.size()) std::memcpy(&f[off], &id, 8);
        break;
      }
    }
    auto file = fs->Open("/damaged.db", {.create = true});
    ASSERT_TRUE((*file)->Truncate(0).ok());
    ASSERT_TRUE((*file)->WriteAt(0, AsBytes(f)).ok());
    file->reset();
    Options o;
    o.file_system = fs.get();
    o.read_only = (i % 2) == 0;
    auto db = DB::Open("/damaged.db", o);
    if (!db.ok()) {
      ++failed;
      Code c = db.status().code();
      EXPECT_TRUE(c == Code::kCorruption || c == Code::kInvalidArgument || c == Code::kNotSupported)
          << db.status().ToString();
      continue;
    }
    ++opened;
    Status s = ReadEverything(**db);
    if (!o.read_only && s.ok()) {
      // A writer on a damaged file must fail cleanly or keep the file consistent.
      (void)(*db)->Update([](Tx& tx) -> Status {
        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("big"));
        return b.Put("new", "value");
      });
    }
  }
  EXPECT_GT(opened, kCases / 4);
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace larder::bolt
