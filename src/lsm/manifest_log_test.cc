#include "lsm/manifest_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace larder::lsm {
namespace {

// A MANIFEST with `records`, written through ManifestWriter on an in-memory file system.
std::string Written(const std::vector<std::string>& records) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  auto w = ManifestWriter::Create(fs.get(), "/M");
  EXPECT_TRUE(w.ok());
  for (const std::string& r : records) EXPECT_TRUE((*w)->AddRecord(r).ok());
  EXPECT_TRUE((*w)->Sync().ok());
  EXPECT_TRUE((*w)->Close().ok());
  std::string contents;
  EXPECT_TRUE(ReadWholeFile(fs.get(), "/M", &contents).ok());
  return contents;
}

std::vector<std::string> SomeRecords() {
  std::vector<std::string> records;
  for (int i = 0; i < 6; ++i)
    records.push_back(std::string(static_cast<std::size_t>(i * 7), static_cast<char>('a' + i)));
  records.push_back(std::string(5000, 'z'));
  return records;
}

std::vector<std::string> Strings(const ParsedManifest& p) {
  return {p.records.begin(), p.records.end()};
}

TEST(LsmManifestLogTest, RoundTripAndReopen) {
  const auto records = SomeRecords();
  const std::string contents = Written(records);
  ParsedManifest p;
  ASSERT_TRUE(ParseManifest(contents, "/M", &p).ok());
  EXPECT_EQ(Strings(p), records);
  EXPECT_FALSE(p.torn_tail);
  EXPECT_EQ(p.valid_bytes, contents.size());
  EXPECT_EQ(p.offsets[0], kManifestHeaderSize);

  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  {
    auto w = ManifestWriter::Create(fs.get(), "/M");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddRecord("one").ok());
    ASSERT_TRUE((*w)->Sync().ok());
  }
  std::string c;
  ASSERT_TRUE(ReadWholeFile(fs.get(), "/M", &c).ok());
  {
    auto w = ManifestWriter::Reopen(fs.get(), "/M", c.size());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddRecord("two").ok());
    ASSERT_TRUE((*w)->Sync().ok());
  }
  ASSERT_TRUE(ReadWholeFile(fs.get(), "/M", &c).ok());
  ASSERT_TRUE(ParseManifest(c, "/M", &p).ok());
  EXPECT_EQ(Strings(p), (std::vector<std::string>{"one", "two"}));
}

// A cut anywhere is a torn tail: the records wholly before the cut survive.
TEST(LsmManifestLogTest, EveryTruncationKeepsWholeRecords) {
  const auto records = SomeRecords();
  const std::string contents = Written(records);
  for (std::size_t len = 0; len < contents.size(); ++len) {
    ParsedManifest p;
    const Status s = ParseManifest(std::string_view(contents).substr(0, len), "/M", &p);
    if (len < kManifestHeaderSize) {
      EXPECT_TRUE(s.IsCorruption());
      continue;
    }
    ASSERT_TRUE(s.ok()) << len << ": " << s.ToString();
    std::size_t whole = 0;
    for (std::size_t off = kManifestHeaderSize; whole < records.size();) {
      off += kManifestRecordHeaderSize + records[whole].size();
      if (off > len) break;
      ++whole;
    }
    EXPECT_EQ(Strings(p),
              std::vector<std::string>(records.begin(),
                                       records.begin() + static_cast<std::ptrdiff_t>(whole)));
    EXPECT_EQ(p.torn_tail, p.valid_bytes != len);
  }
}

// A flipped bit anywhere: Corruption naming the file, or (only in the last record) a torn tail
// that loses that record alone. Never another record dropped, never a record changed.
TEST(LsmManifestLogTest, EveryBitFlipIsCaught) {
  const auto records = SomeRecords();
  std::string contents = Written(records);
  const std::size_t last_start =
      contents.size() - kManifestRecordHeaderSize - records.back().size();
  int corrupt = 0, torn = 0;
  for (std::size_t bit = 0; bit < contents.size() * 8; bit += (bit / 8 > 400 ? 61 : 1)) {
    std::string bad = contents;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    ParsedManifest p;
    const Status s = ParseManifest(bad, "/some/MANIFEST", &p);
    if (!s.ok()) {
      ASSERT_TRUE(s.IsCorruption());
      EXPECT_NE(s.ToString().find("/some/MANIFEST"), std::string::npos);
      EXPECT_NE(s.ToString().find("offset"), std::string::npos);
      ++corrupt;
      continue;
    }
    ASSERT_GE(bit / 8, last_start) << s.ToString();
    EXPECT_TRUE(p.torn_tail);
    EXPECT_EQ(Strings(p), std::vector<std::string>(records.begin(), records.end() - 1));
    ++torn;
  }
  EXPECT_GT(corrupt, 500);
  EXPECT_GT(torn, 10);
}

TEST(LsmManifestLogTest, GarbageAfterTheLastRecordIsATornTail) {
  const auto records = SomeRecords();
  std::string contents = Written(records);
  for (const std::string& tail :
       {std::string(700, '\0'), std::string(3, '\x5a'), std::string(4096, '\xff')}) {
    ParsedManifest p;
    const std::string damaged = contents + tail;  // p's records view it
    ASSERT_TRUE(ParseManifest(damaged, "/M", &p).ok());
    EXPECT_TRUE(p.torn_tail);
    EXPECT_EQ(Strings(p), records);
    EXPECT_EQ(p.valid_bytes, contents.size());
  }
  // Garbage then an intact record: damage in the middle.
  ParsedManifest p;
  const std::string one = Written({"later"}).substr(kManifestHeaderSize);
  EXPECT_TRUE(ParseManifest(contents + "junk" + one, "/M", &p).IsCorruption());
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// Bytes crafted so that every fifth offset after a bad record looks like the header of a 64 KiB
// record (length 0x10000, type 1): checking them all would checksum ~55 GB for 4 MiB. The scan
// stops at its budget and reports the damage instead.
TEST(LsmManifestLogTest, CraftedTailDoesNotMakeTheScanQuadratic) {
  std::string contents = Written({"first"});
  std::string tail;
  while (tail.size() < (std::size_t{4} << 20)) tail += std::string("\x00\x00\x01\x00\x01", 5);
  ParsedManifest p;
  const Status s = ParseManifest(contents + "junk" + tail, "/M", &p);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("rule out"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace larder::lsm
