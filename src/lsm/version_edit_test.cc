#include "lsm/version_edit.h"

#include <gtest/gtest.h>

#include <random>

#include "lsm/manifest_test_util.h"

namespace larder::lsm {
namespace {

using manifest_test::IKey;
using manifest_test::RandomEdit;
using manifest_test::Table;

TEST(LsmVersionEditTest, EmptyAndFullRoundTrip) {
  VersionEdit empty, decoded;
  std::string enc;
  empty.EncodeTo(&enc);
  EXPECT_TRUE(enc.empty());
  ASSERT_TRUE(decoded.DecodeFrom(enc).ok());
  EXPECT_EQ(decoded, empty);

  VersionEdit e;
  e.SetLogNumber(5);
  e.SetLogOffset(1234);
  e.SetNextFileNumber(99);
  e.SetLastSequence(kMaxSequenceNumber);
  FileMetaData f = Table(12, "apple", "pear", 4096, 7);
  f.num_deletions = 3;
  f.num_range_deletions = 1;
  e.AddFile(3, f);
  e.RemoveFile(0, 8);
  e.AddVlog(4);
  e.RemoveVlog(2);
  e.AddVlogDiscard(4, 777);
  e.SetCompactPointer(2, IKey("m", 5));
  enc.clear();
  e.EncodeTo(&enc);
  ASSERT_TRUE(decoded.DecodeFrom(enc).ok());
  EXPECT_EQ(decoded, e);
  EXPECT_EQ(decoded.new_files()[0].second.smallest_user_key(), "apple");
  EXPECT_NE(e.DebugString().find("add L3 #12"), std::string::npos) << e.DebugString();
}

TEST(LsmVersionEditTest, RandomRoundTrips) {
  std::mt19937_64 rng(16);
  for (int i = 0; i < 2000; ++i) {
    const VersionEdit e = RandomEdit(rng);
    std::string enc;
    e.EncodeTo(&enc);
    VersionEdit d;
    ASSERT_TRUE(d.DecodeFrom(enc).ok()) << e.DebugString();
    ASSERT_EQ(d, e) << e.DebugString();
  }
}

// Every prefix and every single-bit flip of encoded edits: never a crash; an accepted input
// re-encodes to an edit that decodes to itself (nothing half-read), and a cut inside a field is
// always Corruption with an offset.
TEST(LsmVersionEditTest, EveryTruncationAndBitFlip) {
  std::mt19937_64 rng(61);
  int rejected = 0, accepted = 0;
  for (int i = 0; i < 60; ++i) {
    const VersionEdit e = RandomEdit(rng);
    std::string enc;
    e.EncodeTo(&enc);
    for (std::size_t len = 0; len < enc.size(); ++len) {
      VersionEdit d;
      const Status s = d.DecodeFrom(std::string_view(enc).substr(0, len));
      if (s.ok()) {
        std::string again;
        d.EncodeTo(&again);
        EXPECT_EQ(again, enc.substr(0, len));  // cut exactly between fields
        ++accepted;
      } else {
        EXPECT_TRUE(s.IsCorruption()) << s.ToString();
        EXPECT_NE(s.ToString().find("offset"), std::string::npos) << s.ToString();
        EXPECT_EQ(d, VersionEdit());
        ++rejected;
      }
    }
    for (std::size_t bit = 0; bit < enc.size() * 8; ++bit) {
      std::string bad = enc;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      VersionEdit d;
      if (!d.DecodeFrom(bad).ok()) {
        ++rejected;
        continue;
      }
      ++accepted;
      std::string again;
      d.EncodeTo(&again);
      VersionEdit d2;
      ASSERT_TRUE(d2.DecodeFrom(again).ok());
      EXPECT_EQ(d2, d);
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(accepted, 100);
}

TEST(LsmVersionEditTest, RejectsBadFields) {
  auto decode = [](const std::string& bytes) {
    VersionEdit d;
    return d.DecodeFrom(bytes);
  };
  std::string s;
  PutVarint32(&s, 99);  // unknown tag
  EXPECT_TRUE(decode(s).IsCorruption());
  s.clear();
  PutVarint32(&s, 1);
  PutVarint64(&s, 3);
  PutVarint32(&s, 1);
  PutVarint64(&s, 4);  // log number twice
  EXPECT_TRUE(decode(s).IsCorruption());

  auto with_file = [&](int level, const FileMetaData& f) {
    VersionEdit e;
    e.AddFile(level, f);
    std::string enc;
    e.EncodeTo(&enc);
    return decode(enc);
  };
  EXPECT_TRUE(with_file(0, Table(1, "a", "b")).ok());
  EXPECT_TRUE(with_file(kMaxNumLevels, Table(1, "a", "b")).IsCorruption());
  EXPECT_TRUE(with_file(0, Table(1, "b", "a")).IsCorruption());  // smallest after largest
  FileMetaData f = Table(1, "a", "b");
  f.smallest = "short";  // not an internal key
  EXPECT_TRUE(with_file(0, f).IsCorruption());
  f = Table(1, "a", "b");
  f.smallest[f.smallest.size() - kTrailerSize] = 0x7f;  // unknown value type
  EXPECT_TRUE(with_file(0, f).IsCorruption());
  f = Table(1, "a", "b");
  f.num_deletions = f.num_entries + 1;
  EXPECT_TRUE(with_file(0, f).IsCorruption());
  f = Table(1, "a", "b");
  f.smallest_seq = f.largest_seq + 1;
  EXPECT_TRUE(with_file(0, f).IsCorruption());
  f = Table(1, "a", "b");
  f.largest_seq = kMaxSequenceNumber + 1;
  EXPECT_TRUE(with_file(0, f).IsCorruption());
}

}  // namespace
}  // namespace larder::lsm
