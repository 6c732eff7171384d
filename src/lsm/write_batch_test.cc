#include "larder/lsm/write_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/coding.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {
namespace {

// Records what Iterate delivers, one line per entry.
class Recorder : public WriteBatch::Handler {
 public:
  Status Put(std::string_view key, std::string_view value, std::uint64_t expires) override {
    out.push_back("put " + std::string(key) + "=" + std::string(value) + "@" +
                  std::to_string(expires));
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    out.push_back("del " + std::string(key));
    return Status::Ok();
  }
  Status DeleteRange(std::string_view begin, std::string_view end) override {
    out.push_back("range " + std::string(begin) + ".." + std::string(end));
    return Status::Ok();
  }
  std::vector<std::string> out;
};

std::vector<std::string> Decode(const WriteBatch& b, Status* s = nullptr) {
  Recorder r;
  Status st = b.Iterate(&r);
  if (s != nullptr) *s = st;
  return r.out;
}

TEST(LsmWriteBatchTest, EmptyBatchIsAHeader) {
  WriteBatch b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.ByteSize(), WriteBatchInternal::kHeaderSize);
  EXPECT_EQ(WriteBatchInternal::Sequence(b), 0u);
  Status s;
  EXPECT_TRUE(Decode(b, &s).empty());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(LsmWriteBatchTest, EntriesComeBackInOrder) {
  WriteBatch b;
  b.Put("a", "1");
  b.PutWithExpiry("b", "2", 12345);
  b.Delete("c");
  b.DeleteRange("d", "f");
  b.DeleteRange("z", "a");  // empty range: not recorded
  b.Put("", "");
  EXPECT_EQ(b.Count(), 5u);
  Status s;
  EXPECT_EQ(Decode(b, &s), (std::vector<std::string>{"put a=1@0", "put b=2@12345", "del c",
                                                     "range d..f", "put =@0"}));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(LsmWriteBatchTest, ExpiryZeroIsStoredAsAlreadyExpired) {
  WriteBatch b;
  b.PutWithExpiry("k", "v", 0);
  EXPECT_EQ(Decode(b), std::vector<std::string>{"put k=v@1"});
}

TEST(LsmWriteBatchTest, SequenceCountAndContents) {
  WriteBatch b;
  b.Put("k", "v");
  WriteBatchInternal::SetSequence(&b, 0x00ffeeddccbbaa99);
  EXPECT_EQ(WriteBatchInternal::Sequence(b), 0x00ffeeddccbbaa99u);
  EXPECT_EQ(WriteBatchInternal::Count(b), 1u);
  const std::string bytes(WriteBatchInternal::Contents(b));
  // The documented layout: header, then tag, key, value.
  std::string want;
  PutFixed64(&want, 0x00ffeeddccbbaa99);
  PutFixed32(&want, 1);
  want += std::string("\x01\x01k\x01v", 5);
  EXPECT_EQ(bytes, want);

  WriteBatch copy;
  WriteBatchInternal::SetContents(&copy, bytes);
  EXPECT_EQ(WriteBatchInternal::Sequence(copy), 0x00ffeeddccbbaa99u);
  EXPECT_EQ(Decode(copy), std::vector<std::string>{"put k=v@0"});
}

TEST(LsmWriteBatchTest, AppendAndClear) {
  WriteBatch a, b;
  a.Put("x", "1");
  b.Delete("y");
  b.PutWithExpiry("z", "3", 7);
  WriteBatchInternal::SetSequence(&a, 40);
  a.Append(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(WriteBatchInternal::Sequence(a), 40u);
  EXPECT_EQ(Decode(a), (std::vector<std::string>{"put x=1@0", "del y", "put z=3@7"}));
  a.Append(WriteBatch());
  EXPECT_EQ(a.Count(), 3u);
  a.Clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.ByteSize(), WriteBatchInternal::kHeaderSize);
}

TEST(LsmWriteBatchTest, FromKvWriteBatch) {
  kv::WriteBatch kb;
  kb.Put("a", "1");
  kb.Delete("b");
  WriteBatch b(kb);
  EXPECT_EQ(Decode(b), (std::vector<std::string>{"put a=1@0", "del b"}));
}

TEST(LsmWriteBatchTest, HandlerErrorStopsIteration) {
  class Failing : public Recorder {
   public:
    Status Delete(std::string_view) override { return Status::Busy("stop"); }
  };
  WriteBatch b;
  b.Put("a", "1");
  b.Delete("b");
  b.Put("c", "3");
  Failing f;
  Status s = b.Iterate(&f);
  EXPECT_EQ(s.code(), Code::kBusy);
  EXPECT_EQ(f.out, std::vector<std::string>{"put a=1@0"});
}

TEST(LsmWriteBatchTest, ReaderGivesMemtableValues) {
  WriteBatch b;
  b.PutWithExpiry("e", "val", 99);
  VlogPointer ptr{7, 1234, 100000};
  std::string encoded;
  ptr.EncodeTo(&encoded);
  WriteBatchInternal::AppendEntry(&b, ValueType::kValuePointer, "p", encoded);
  std::string expiring;
  PutFixed64(&expiring, 55);
  ptr.EncodeTo(&expiring);
  WriteBatchInternal::AppendEntry(&b, ValueType::kExpiringPointer, "q", expiring);
  WriteBatchInternal::AppendEntry(&b, ValueType::kDeletion, "r", "ignored");

  std::vector<WriteBatchEntry> got;
  ASSERT_TRUE(WriteBatchInternal::ForEach(b, [&](const WriteBatchEntry& e) {
                got.push_back(e);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].type, ValueType::kExpiringValue);
  EXPECT_EQ(LoadU64(reinterpret_cast<const std::uint8_t*>(got[0].value.data())), 99u);
  EXPECT_EQ(got[0].value.substr(8), "val");
  EXPECT_EQ(got[1].type, ValueType::kValuePointer);
  VlogPointer back;
  ASSERT_TRUE(back.Decode(got[1].value));
  EXPECT_EQ(back, ptr);
  EXPECT_EQ(got[2].type, ValueType::kExpiringPointer);
  EXPECT_EQ(got[2].value, expiring);
  EXPECT_EQ(got[3].type, ValueType::kDeletion);
  EXPECT_TRUE(got[3].value.empty());
  // The public Iterate cannot hand out a pointer as a value.
  Status s;
  Decode(b, &s);
  EXPECT_EQ(s.code(), Code::kNotSupported);
}

TEST(LsmWriteBatchTest, ShortContentsStayInBounds) {
  WriteBatch b;
  WriteBatchInternal::SetContents(&b, "abc");
  EXPECT_EQ(WriteBatchInternal::Sequence(b), 0u);
  EXPECT_EQ(b.Count(), 0u);
  Status s;
  Decode(b, &s);
  EXPECT_TRUE(s.IsCorruption());
  WriteBatchInternal::SetSequence(&b, 5);
  EXPECT_EQ(b.ByteSize(), WriteBatchInternal::kHeaderSize);
  b.Put("k", "v");
  EXPECT_EQ(b.Count(), 1u);
  EXPECT_EQ(Decode(b), std::vector<std::string>{"put k=v@0"});
}

TEST(LsmWriteBatchTest, ResetKeepsNothingButTheSequence) {
  WriteBatch b;
  b.Put("a", "1");
  WriteBatchInternal::Reset(&b, 9);
  EXPECT_EQ(b.Count(), 0u);
  EXPECT_EQ(WriteBatchInternal::Sequence(b), 9u);
}

TEST(LsmWriteBatchTest, MalformedBytesAreCorruption) {
  const auto corrupt = [](std::string_view bytes) {
    return WriteBatchInternal::Validate(bytes).code() == Code::kCorruption;
  };
  EXPECT_TRUE(corrupt(""));
  EXPECT_TRUE(corrupt(std::string(11, '\0')));
  std::string header;
  PutFixed64(&header, 1);
  PutFixed32(&header, 1);
  EXPECT_TRUE(corrupt(header));                                // count 1, no entry
  EXPECT_TRUE(corrupt(header + "\x09\x01k"));                  // unknown type
  EXPECT_TRUE(corrupt(header + std::string("\x00\x05k", 3)));  // key longer than the bytes
  EXPECT_TRUE(corrupt(header + "\x01\x01k"));                  // value missing
  EXPECT_TRUE(corrupt(header + "\x04\x01k\x03"
                               "abc"));                         // expiry shorter than 8 bytes
  EXPECT_TRUE(corrupt(header + "\x02\x01k\x01\x80"));           // bad pointer varint
  EXPECT_TRUE(corrupt(header + std::string("\x00\x01kX", 4)));  // trailing byte
  EXPECT_TRUE(WriteBatchInternal::Validate(header + std::string("\x00\x01k", 3)).ok());

  Status s;
  WriteBatch b;
  WriteBatchInternal::SetContents(&b, header + "\x01\x01k\x09v");
  EXPECT_EQ(b.Count(), 1u);
  EXPECT_TRUE(Decode(b, &s).empty());
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_NE(s.ToString().find("byte 12"), std::string::npos) << s.ToString();
}

// Every truncation and every single-byte change of a valid batch either decodes cleanly or is
// Corruption; never a crash (run under the sanitizers of `make test`).
TEST(LsmWriteBatchTest, DamageNeverCrashes) {
  WriteBatch b;
  b.Put("alpha", "one");
  b.PutWithExpiry("beta", std::string(200, 'x'), 5);
  b.Delete("gamma");
  b.DeleteRange("d", "e");
  const std::string bytes(WriteBatchInternal::Contents(b));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(WriteBatchInternal::Validate(std::string_view(bytes).substr(0, n)).code(),
              Code::kCorruption)
        << n;
  }
  std::mt19937 rnd(301);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ (1 + rnd() % 255));
    Status s = WriteBatchInternal::Validate(damaged);
    EXPECT_TRUE(s.ok() || s.code() == Code::kCorruption) << i << ": " << s.ToString();
  }
}

TEST(LsmVlogPointerTest, RoundTripsAndRejectsBadBytes) {
  for (const VlogPointer& p :
       {VlogPointer{0, 0, 0}, VlogPointer{1, 300, 70000}, VlogPointer{~0ull, ~0ull, ~0u}}) {
    std::string s;
    p.EncodeTo(&s);
    EXPECT_LE(s.size(), VlogPointer::kMaxEncodedLength);
    char buf[VlogPointer::kMaxEncodedLength];
    EXPECT_EQ(std::string_view(buf, p.EncodeTo(buf)), s);
    VlogPointer q;
    ASSERT_TRUE(q.Decode(s));
    EXPECT_EQ(p, q);
    for (std::size_t n = 0; n < s.size(); ++n) EXPECT_FALSE(q.Decode(s.substr(0, n))) << n;
    EXPECT_FALSE(q.Decode(s + "x"));
  }
}

}  // namespace
}  // namespace larder::lsm
