// key_heads.h: the node search array agrees with the plain binary search on every key, through
// random edits, including keys that its 8-byte heads cannot tell apart.
#include "bolt/key_heads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace larder::bolt::internal {
namespace {

struct HeadItem {
  std::string_view bytes;
  std::string_view key() const { return bytes; }
};

// Keys that stress the heads: a shared prefix, suffixes of around 7 bytes (a head holds 7) that
// agree beyond them, zero bytes (a key and the same key plus zeros agree on their 7 bytes), and
// keys shorter than the prefix.
std::string RandomKey(std::mt19937_64& rng) {
  static const char* const kStems[] = {"user:", "user:0000000000:", "user:00", "", "u", "v"};
  std::string key = kStems[rng() % 6];
  const std::size_t tail = rng() % 12;
  for (std::size_t i = 0; i < tail; ++i) {
    const std::uint64_t r = rng() % 8;
    key.push_back(r == 0 ? '\0' : static_cast<char>('0' + r % 3));
  }
  return key;
}

class KeyHeadsModel {
 public:
  explicit KeyHeadsModel(std::mt19937_64* rng) : rng_(*rng) {}

  // Every stored key, each one's neighbours and some random keys give the plain search's answer.
  void ExpectAgrees() {
    ASSERT_TRUE(std::is_sorted(keys_.begin(), keys_.end()));
    std::vector<HeadItem> items;
    for (std::string_view k : keys_) items.push_back(HeadItem{k});
    if (!heads_.valid()) {
      if (items.empty()) return;
      heads_.Build(std::span<const HeadItem>(items));
    }
    std::vector<std::string> probes;
    for (std::string_view k : keys_) {
      probes.emplace_back(k);
      probes.push_back(std::string(k) + '\0');
      if (!k.empty()) probes.emplace_back(k.substr(0, k.size() - 1));
    }
    for (int i = 0; i < 50; ++i) probes.push_back(RandomKey(rng_));
    for (const std::string& probe : probes) {
      SearchHit plain;
      ASSERT_TRUE(LowerBound(SortedKeys<HeadItem>(items), probe, &plain));
      const SearchHit hit = heads_.Search(std::span<const HeadItem>(items), probe);
      ASSERT_EQ(hit.index, plain.index) << "probe '" << probe << "' of " << keys_.size();
      ASSERT_EQ(hit.exact, plain.exact) << "probe '" << probe << "'";
    }
  }

  void InsertRandom() {
    const std::string key = RandomKey(rng_);
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it != keys_.end() && *it == key) return;
    const auto index = static_cast<std::size_t>(it - keys_.begin());
    keys_.insert(it, Keep(key));
    heads_.Insert(index, keys_[index]);
  }
  void EraseRandom() {
    if (keys_.empty()) return;
    const std::size_t index = rng_() % keys_.size();
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(index));
    heads_.Erase(index);
  }
  // Replaces a key by another that keeps the order (as a branch's key moves to its child's new
  // first key).
  void ReplaceRandom() {
    if (keys_.empty()) return;
    const std::size_t index = rng_() % keys_.size();
    const std::string key = RandomKey(rng_);
    if ((index > 0 && keys_[index - 1] >= key) ||
        (index + 1 < keys_.size() && keys_[index + 1] <= key)) {
      return;
    }
    keys_[index] = Keep(key);
    heads_.Replace(index, keys_[index]);
  }
  bool valid() const { return heads_.valid(); }

 private:
  // Every key ever stored stays alive, as a transaction's do (keys_ views them).
  std::string_view Keep(const std::string& key) { return kept_.emplace_back(key); }

  std::mt19937_64& rng_;
  std::vector<std::string_view> keys_;  // sorted; into kept_
  std::deque<std::string> kept_;
  KeyHeads heads_{std::pmr::get_default_resource()};
};

TEST(KeyHeadsTest, AgreesWithThePlainSearchThroughRandomEdits) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    KeyHeadsModel model(&rng);
    for (int step = 0; step < 200; ++step) {
      const std::uint64_t op = rng() % 10;
      if (op < 5) {
        model.InsertRandom();
      } else if (op < 8) {
        model.EraseRandom();
      } else {
        model.ReplaceRandom();
      }
      ASSERT_NO_FATAL_FAILURE(model.ExpectAgrees());
    }
  }
}

TEST(KeyHeadsTest, AKeyWithoutThePrefixDropsTheArray) {
  const std::string a = "user:17", b = "user:42", outside = "admin";
  std::vector<HeadItem> items{{a}, {b}};
  KeyHeads heads(std::pmr::get_default_resource());
  heads.Build(std::span<const HeadItem>(items));
  ASSERT_TRUE(heads.valid());
  heads.Insert(1, "user:2");  // shares "user:"
  EXPECT_TRUE(heads.valid());
  heads.Insert(0, outside);
  EXPECT_FALSE(heads.valid());
}

TEST(KeyHeadsTest, KeysEqualOverTheirHeadsAreSettledByTheKeys) {
  // One prefix ("k"), then 8 equal bytes: every head is equal and only the keys decide.
  std::vector<std::string> keys;
  for (char c = 'a'; c <= 'z'; ++c) keys.push_back(std::string("k") + "00000000" + c);
  std::vector<HeadItem> items;
  for (const std::string& k : keys) items.push_back(HeadItem{k});
  KeyHeads heads(std::pmr::get_default_resource());
  heads.Build(std::span<const HeadItem>(items));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const SearchHit hit = heads.Search(std::span<const HeadItem>(items), keys[i]);
    EXPECT_EQ(hit.index, i);
    EXPECT_TRUE(hit.exact);
  }
  const SearchHit before = heads.Search(std::span<const HeadItem>(items), "k00000000");
  EXPECT_EQ(before.index, 0u);
  EXPECT_FALSE(before.exact);
  const SearchHit after = heads.Search(std::span<const HeadItem>(items), "l");
  EXPECT_EQ(after.index, keys.size());
  EXPECT_FALSE(after.exact);
}

}  // namespace
}  // namespace larder::bolt::internal
