#include "queue/item_format.h"

#include <gtest/gtest.h>

namespace larder::queue {
namespace {

TEST(QueueItemFormatTest, KeysSortByTheirNumbers) {
  EXPECT_LT(TagKey(kReadyTag, 255), TagKey(kReadyTag, 256));
  EXPECT_LT(TagKey(kScheduledTag, 5, 900), TagKey(kScheduledTag, 6, 1));
  EXPECT_LT(TagKey(kReadyTag, ~0ull), TagEnd(kReadyTag));
  EXPECT_EQ(KeyNumber(TagKey(kScheduledTag, 7, 9), kScheduledTag, 1, 2), 9u);
  EXPECT_EQ(KeyNumber(TagKey(kScheduledTag, 7, 9), kScheduledTag, 0, 2), 7u);
  EXPECT_FALSE(KeyNumber(TagKey(kScheduledTag, 7, 9), kScheduledTag));  // wrong width
  EXPECT_FALSE(KeyNumber(TagKey(kReadyTag, 7), kLeasedTag));            // wrong tag
}

TEST(QueueItemFormatTest, RecordsRoundTrip) {
  PartitionMeta m{.next_seq = 90,
                  .ready_head = 40,
                  .ready = 3,
                  .leased = 4,
                  .scheduled = 5,
                  .dead_lettered = 6,
                  .outbox = 7};
  auto m2 = DecodeMeta(EncodeMeta(m));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->next_seq, 90u);
  EXPECT_EQ(m2->outbox, 7u);
  const std::string payload_bytes("bin\0ary", 7);
  const std::string p = EncodePayload({.created_ms = 1700000000000,
                                       .expires_ms = 0,
                                       .reference = "r",
                                       .kind = "k",
                                       .payload = payload_bytes});
  auto p2 = DecodePayload(p);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->created_ms, 1700000000000);
  EXPECT_EQ(p2->payload, payload_bytes);
  EXPECT_EQ(p2->kind, "k");
  // DecodeEntry's views point into its input: the encoding must outlive them.
  const std::string encoded = EncodeEntry(
      {.origin = 12, .attempts = 3, .time_ms = 99, .expires_ms = 5, .client = "worker-1"});
  auto e = DecodeEntry(encoded);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->origin, 12u);
  EXPECT_EQ(e->attempts, 3u);
  EXPECT_EQ(e->client, "worker-1");
}

// Every truncation of a record is Corruption (or, for the free-form tails, a shorter tail),
// never a crash.
TEST(QueueItemFormatTest, TruncatedRecordsAreCorruption) {
  const std::string meta = EncodeMeta({});
  for (std::size_t n = 0; n < meta.size(); ++n) {
    EXPECT_EQ(DecodeMeta(meta.substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  EXPECT_FALSE(DecodeMeta(meta + "x").ok());
  PartitionMeta bad;
  bad.ready_head = 10;
  bad.next_seq = 5;
  EXPECT_FALSE(DecodeMeta(EncodeMeta(bad)).ok());
  const std::string entry = EncodeEntry({.origin = 1u << 20, .attempts = 300, .time_ms = 1 << 30});
  for (std::size_t n = 0; n < entry.size(); ++n) {
    EXPECT_EQ(DecodeEntry(entry.substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  const std::string payload = EncodePayload({.reference = "reference", .kind = "kind"});
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_EQ(DecodePayload(payload.substr(0, n)).status().code(), Code::kCorruption) << n;
  }
}

}  // namespace
}  // namespace larder::queue
