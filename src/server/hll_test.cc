#include "server/hll.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace larder::server::hll {
namespace {

// The registers of a set of elements, built directly from their patterns (the reference the
// encoded forms are checked against).
Registers ReferenceRegisters(int first, int count, const std::string& prefix) {
  Registers regs{};
  for (int i = first; i < first + count; ++i) {
    Pattern p = PatternOf(prefix + std::to_string(i));
    if (p.count > regs[p.index]) regs[p.index] = p.count;
  }
  return regs;
}

TEST(HllTest, MurmurHash64AKnownValues) {
  // The empty input hashes to the seed mixed by the finalizer only; distinct inputs of every
  // tail length (0..7 bytes past a block) give distinct hashes.
  EXPECT_NE(MurmurHash64A("", 0), MurmurHash64A("", 1));
  std::string s;
  std::uint64_t last = MurmurHash64A(s, 0xadc83b19ULL);
  for (int i = 0; i < 17; ++i) {
    s.push_back(static_cast<char>('a' + i));
    std::uint64_t h = MurmurHash64A(s, 0xadc83b19ULL);
    EXPECT_NE(h, last) << i;
    last = h;
  }
}

TEST(HllTest, SparseLayoutMatchesRedis) {
  // PFADD x a b c on Redis 7.0.15, then PFDEBUG DECODE x.
  std::string v = NewSparse();
  EXPECT_EQ(v.size(), 18u);
  EXPECT_EQ(*DecodeSparse(v), "Z:16384");
  for (const char* e : {"a", "b", "c"}) EXPECT_EQ(Add(&v, e, 3000), Change::kUpdated);
  EXPECT_EQ(Add(&v, "a", 3000), Change::kUnchanged);
  EXPECT_EQ(*DecodeSparse(v), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  EXPECT_EQ(*Count(v), 3u);
}

TEST(HllTest, DenseRegistersRoundTrip) {
  std::string regs(kDenseSize - kHeaderSize, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(regs.data());
  for (int i = 0; i < kRegisters; ++i) DenseSet(p, i, static_cast<std::uint8_t>((i * 7) & 63));
  for (int i = 0; i < kRegisters; ++i) ASSERT_EQ(DenseGet(p, i), (i * 7) & 63) << i;
  DenseSet(p, 5, 0);
  EXPECT_EQ(DenseGet(p, 4), (4 * 7) & 63);
  EXPECT_EQ(DenseGet(p, 5), 0);
  EXPECT_EQ(DenseGet(p, 6), (6 * 7) & 63);
}

TEST(HllTest, SparseAndDenseAgreeAndPromote) {
  std::string sparse = NewSparse();
  std::string dense = NewSparse();
  ASSERT_TRUE(ToDense(&dense));
  EXPECT_EQ(dense.size(), kDenseSize);
  for (int i = 0; i < 20000; ++i) {
    std::string e = "el" + std::to_string(i);
    ASSERT_NE(Add(&sparse, e, 3000), Change::kCorrupt);
    ASSERT_NE(Add(&dense, e, 3000), Change::kCorrupt);
    if (i % 997 == 0) {
      ASSERT_EQ(*Count(sparse), *Count(dense)) << i;
    }
    if (i < 300) {
      ASSERT_FALSE(IsDense(sparse)) << i;
    }
  }
  EXPECT_TRUE(IsDense(sparse));  // promoted past 3000 bytes
  EXPECT_EQ(sparse, dense);
  Registers merged{};
  ASSERT_TRUE(MergeInto(sparse, &merged));
  EXPECT_EQ(merged, ReferenceRegisters(0, 20000, "el"));
}

TEST(HllTest, SparseMaxBytesBoundsTheSparseForm) {
  std::string v = NewSparse();
  for (int i = 0; i < 2000; ++i) {
    ASSERT_NE(Add(&v, std::to_string(i), 200), Change::kCorrupt);
    if (!IsDense(v)) {
      ASSERT_LE(v.size(), 200u);
    }
  }
  EXPECT_TRUE(IsDense(v));
}

// Random register raises, in random order and sizes, against a plain array of registers: the
// encoded value always decodes to the model, stays within the sparse size bound while sparse,
// and reports kUpdated exactly when a register grew.
TEST(HllTest, RandomRaisesMatchARegisterModel) {
  std::mt19937 rng(99);
  for (int round = 0; round < 20; ++round) {
    const std::size_t sparse_max = std::uniform_int_distribution<std::size_t>(20, 4000)(rng);
    std::string v = NewSparse();
    Registers model{};
    const int ops = std::uniform_int_distribution<int>(1, 3000)(rng);
    for (int op = 0; op < ops; ++op) {
      // Clustered indexes exercise the VAL runs and their merging.
      int index = (op % 3 == 0) ? std::uniform_int_distribution<int>(0, kRegisters - 1)(rng)
                                : std::uniform_int_distribution<int>(100, 140)(rng);
      auto count = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, 40)(rng));
      Change c = SetRegister(&v, index, count, sparse_max);
      ASSERT_NE(c, Change::kCorrupt);
      ASSERT_EQ(c == Change::kUpdated, count > model[index]) << round << " " << op;
      if (count > model[index]) model[index] = count;
      if (!IsDense(v)) {
        ASSERT_LE(v.size(), std::max<std::size_t>(sparse_max, 18));
      }
    }
    Registers got{};
    ASSERT_TRUE(MergeInto(v, &got));
    ASSERT_EQ(got, model) << round;
    ASSERT_EQ(*Count(v), Estimate(model));
  }
}

TEST(HllTest, CacheBits) {
  std::string v = NewSparse();
  EXPECT_TRUE(CacheValid(v));
  EXPECT_EQ(CachedCardinality(v), 0u);
  InvalidateCache(&v);
  EXPECT_FALSE(CacheValid(v));
  SetCachedCardinality(&v, 123456789);
  EXPECT_TRUE(CacheValid(v));
  EXPECT_EQ(CachedCardinality(v), 123456789u);
}

TEST(HllTest, CorruptionIsDetected) {
  std::string v = NewSparse();
  (void)Add(&v, "a", 3000);
  EXPECT_TRUE(LooksValid(v));
  std::string tail = v + "hello";
  EXPECT_FALSE(Count(tail).has_value());
  Registers r{};
  EXPECT_FALSE(MergeInto(tail, &r));
  EXPECT_FALSE(ToDense(&tail));
  std::string truncated = v.substr(0, v.size() - 1);
  EXPECT_FALSE(Count(truncated).has_value());
  EXPECT_EQ(Add(&truncated, "zzzzzz-not-covered", 3000) == Change::kCorrupt ||
                Count(truncated) == std::nullopt,
            true);
  std::string magic = v;
  magic[0] = '0';
  EXPECT_FALSE(LooksValid(magic));
  std::string enc = v;
  enc[4] = 'x';
  EXPECT_FALSE(LooksValid(enc));
  std::string dense_short = v;
  dense_short[4] = 0;  // says dense, has a sparse body's length
  EXPECT_FALSE(LooksValid(dense_short));
  EXPECT_FALSE(LooksValid("HYLL"));
}

// The estimate's relative standard error is 1.04 / sqrt(16384) ~= 0.81%: the root mean square
// of the relative error over many independent sketches stays near it at every cardinality.
TEST(HllTest, StandardErrorNearPointEightOnePercent) {
  for (int card : {500, 5000, 50000}) {
    const int sketches = card >= 50000 ? 16 : 64;
    double sum_sq = 0;
    for (int s = 0; s < sketches; ++s) {
      Registers regs =
          ReferenceRegisters(0, card, "s" + std::to_string(s) + "c" + std::to_string(card) + ":");
      double err = (static_cast<double>(Estimate(regs)) - card) / card;
      sum_sq += err * err;
    }
    const double rms = std::sqrt(sum_sq / sketches);
    EXPECT_LT(rms, 0.0081 * 1.6) << card;
    EXPECT_GT(rms, 0.0081 * 0.4) << card;
  }
}

TEST(HllTest, EmptyAndSmallEstimates) {
  Registers regs{};
  EXPECT_EQ(Estimate(regs), 0u);
  EXPECT_EQ(Estimate(ReferenceRegisters(0, 1, "x")), 1u);
  EXPECT_EQ(Estimate(ReferenceRegisters(0, 10, "x")), 10u);
}

TEST(HllTest, SelfTestPasses) { EXPECT_EQ(SelfTest(), ""); }

}  // namespace
}  // namespace larder::server::hll
