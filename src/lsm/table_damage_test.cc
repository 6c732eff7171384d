// Damaged tables: every flipped byte and every truncation of a small table is either caught
// (Corruption) or harmless, never a crash or a wrong answer.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>

#include "base/coding.h"
#include "lsm/table.h"
#include "lsm/table_test_util.h"

namespace larder::lsm {
namespace {

using table_test::Model;

// Opens `bytes` as a table (read with ReadAt, or mapped) and reads all of it. Returns the first
// error, or OK when every read matched `m` (a wrong answer fails the test).
Status ReadAllAgainstModel(const std::string& bytes, const Model& m, bool mapped) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  {
    auto f = fs->Open("/d.sst", {.create = true});
    if (!f.ok()) return f.status();
    LARDER_RETURN_IF_ERROR((*f)->WriteAt(0, AsBytes(bytes)));
  }
  LARDER_ASSIGN_OR_RETURN(auto f, fs->Open("/d.sst", {.read_only = true}));
  BlockCache cache(1 << 20);
  LARDER_ASSIGN_OR_RETURN(auto t,
                          Table::Open(std::move(f), bytes.size(), 1, &cache, false, mapped));
  auto it = t->NewIterator(/*verify_checksums=*/true, /*fill_cache=*/true);
  auto mit = m.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++mit) {
    EXPECT_NE(mit, m.end());
    if (mit == m.end()) return Status::Ok();
    EXPECT_EQ(it->key(), mit->first);
    EXPECT_EQ(it->value(), mit->second);
  }
  LARDER_RETURN_IF_ERROR(it->status());
  EXPECT_EQ(mit, m.end());
  for (const auto& [k, v] : m) {
    bool found = false;
    std::string fk, fv;
    ParsedInternalKey p;
    EXPECT_TRUE(ParseInternalKey(k, &p));
    LARDER_RETURN_IF_ERROR(t->Get(LookupKey(p.user_key, p.sequence), true, &found, &fk, &fv));
    EXPECT_TRUE(found) << DebugString(k);
    EXPECT_EQ(fk, k);
    EXPECT_EQ(fv, v);
  }
  return t->VerifyAll();
}

// Parameters: the codec, and whether the table is read from a mapping.
class LsmTableDamageTest : public ::testing::TestWithParam<std::tuple<Compression, bool>> {
 protected:
  // A table of 40 entries in several 512-byte blocks with this test's codec; its bytes.
  std::string BuildSmall(std::uint64_t seed, int distinct, const table_test::RangeDels& rd) {
    std::mt19937_64 rng(seed);
    model_ = table_test::RandomModel(rng, 40, distinct);
    TableOptions o;
    o.block_size = 512;
    o.compression = std::get<0>(GetParam());
    table_test::Build(&built_, model_, o, rd);
    EXPECT_TRUE(built_.status.ok());
    EXPECT_GT(built_.props.num_data_blocks, 2u);
    return table_test::Contents(built_);
  }
  bool mapped() const { return std::get<1>(GetParam()); }
  Model model_;
  table_test::Built built_;
};

TEST_P(LsmTableDamageTest, EveryFlippedByteIsCaught) {
  std::string rd;
  AppendInternalKey(&rd, "user1", 7, ValueType::kRangeDeletion);
  const std::string good = BuildSmall(5, 25, {{rd, "user3"}});
  const Model& m = model_;
  ASSERT_EQ(good.size(), built_.size);
  ASSERT_TRUE(ReadAllAgainstModel(good, m, mapped()).ok());
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const std::uint8_t mask : {0x01, 0x40}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      const Status s = ReadAllAgainstModel(bad, m, mapped());
      // Every byte is under a checksum: a flip is always noticed.
      ASSERT_FALSE(s.ok()) << "flip at " << i << " went unnoticed";
      ASSERT_TRUE(s.IsCorruption() || s.code() == Code::kNotSupported) << i << ": " << s.ToString();
      ASSERT_NE(s.message().find("/d.sst"), std::string_view::npos) << s.ToString();
    }
  }
}

TEST_P(LsmTableDamageTest, EveryTruncationIsCaught) {
  const std::string good = BuildSmall(6, 40, {});
  const Model& m = model_;
  const table_test::Built& b = built_;
  for (std::size_t n = 0; n < good.size(); ++n) {
    const Status s = ReadAllAgainstModel(good.substr(0, n), m, mapped());
    ASSERT_TRUE(s.IsCorruption()) << n << ": " << s.ToString();
  }
  // A file shorter than the size the caller believes.
  auto f = b.fs->Open(table_test::kPath, {.read_only = true});
  ASSERT_TRUE(f.ok());
  auto t = Table::Open(std::move(*f), b.size + 100, 0, nullptr, false, mapped());
  EXPECT_TRUE(t.status().IsCorruption()) << t.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(LsmCodecs, LsmTableDamageTest,
                         ::testing::Combine(::testing::Values(Compression::kNone, Compression::kLz4,
                                                              Compression::kZstd),
                                            ::testing::Bool()));

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

TEST(LsmTableDamageMessageTest, NamesTheFileTheBlockAndItsOffset) {
  std::mt19937_64 rng(8);
  const table_test::Model m = table_test::RandomModel(rng, 100, 100);
  TableOptions o;
  o.block_size = 256;
  table_test::Built b;
  table_test::Build(&b, m, o);
  ASSERT_TRUE(b.status.ok());
  std::string bytes = table_test::Contents(b);
  bytes[3] = static_cast<char>(bytes[3] ^ 1);  // inside the first data block
  {
    auto f = b.fs->Open(table_test::kPath, {});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, AsBytes(bytes)).ok());
  }
  auto t = table_test::OpenBuilt(b, nullptr, false);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto it = (*t)->NewIterator(true, false);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(it->status().ToString(),
            "corruption: /t.sst: data block at offset 0: checksum mismatch");
  // At open, with every block checked.
  EXPECT_EQ(table_test::OpenBuilt(b, nullptr, true).status().ToString(),
            "corruption: /t.sst: data block at offset 0: checksum mismatch");
}

}  // namespace
}  // namespace larder::lsm
