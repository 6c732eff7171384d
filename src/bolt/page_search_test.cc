// page_search.h: the one binary search over pages and inodes, and the child-for-key rule.
#include "bolt/page_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/coding.h"

namespace larder::bolt::internal {
namespace {

// Builds a leaf (or branch) page holding `keys` in order, values "v" + key, children 100 + i.
std::vector<std::uint8_t> BuildPage(bool leaf, const std::vector<std::string>& keys) {
  std::size_t data = kPageHeaderSize + keys.size() * kElementSize;
  std::size_t size = data;
  for (const std::string& k : keys) size += k.size() + (leaf ? k.size() + 1 : 0);
  std::vector<std::uint8_t> page(size, 0);
  WritePageHeader(page.data(), 7, leaf ? kLeafPageFlag : kBranchPageFlag,
                  static_cast<std::uint16_t>(keys.size()), 0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::uint8_t* e = page.data() + kPageHeaderSize + i * kElementSize;
    const auto pos = static_cast<std::uint32_t>(data - (e - page.data()));
    const std::string value = leaf ? "v" + keys[i] : "";
    if (leaf) {
      StoreU32(e, 0);
      StoreU32(e + 4, pos);
      StoreU32(e + 8, static_cast<std::uint32_t>(keys[i].size()));
      StoreU32(e + 12, static_cast<std::uint32_t>(value.size()));
    } else {
      StoreU32(e, pos);
      StoreU32(e + 4, static_cast<std::uint32_t>(keys[i].size()));
      StoreU64(e + 8, 100 + i);
    }
    std::copy(keys[i].begin(), keys[i].end(), page.begin() + static_cast<std::ptrdiff_t>(data));
    data += keys[i].size();
    std::copy(value.begin(), value.end(), page.begin() + static_cast<std::ptrdiff_t>(data));
    data += value.size();
  }
  return page;
}

const std::vector<std::string> kKeys = {"b", "d", "f", "h", "j", "l", "n"};

struct Item {
  std::string_view bytes;
  std::string_view key() const { return bytes; }
};

TEST(PageSearchTest, PagesAndInodesAgreeOnEveryKey) {
  const auto leaf = BuildPage(true, kKeys);
  const auto branch = BuildPage(false, kKeys);
  const PageView lp(leaf.data(), leaf.size()), bp(branch.data(), branch.size());
  std::vector<Item> items;
  for (const std::string& k : kKeys) items.push_back({k});
  // Every key, and every key between, before and after them.
  for (char c = 'a'; c <= 'o'; ++c) {
    const std::string key(1, c);
    const std::size_t want =
        static_cast<std::size_t>(std::lower_bound(kKeys.begin(), kKeys.end(), key) - kKeys.begin());
    const bool want_exact = want < kKeys.size() && kKeys[want] == key;
    SearchHit l, b, n;
    LeafElement found{};
    ASSERT_TRUE(LowerBound(LeafKeys(lp), key, &l, &found)) << key;
    ASSERT_TRUE(LowerBound(BranchKeys(bp), key, &b)) << key;
    ASSERT_TRUE(LowerBound(SortedKeys<Item>(items), key, &n)) << key;
    for (const SearchHit& h : {l, b, n}) {
      EXPECT_EQ(h.index, want) << key;
      EXPECT_EQ(h.exact, want_exact) << key;
    }
    if (want_exact) {
      EXPECT_EQ(found.value, "v" + key);
    }
  }
}

TEST(PageSearchTest, EmptyArraysFindNothing) {
  const auto leaf = BuildPage(true, {});
  SearchHit hit{5, true};
  ASSERT_TRUE(SearchPage(PageView(leaf.data(), leaf.size()), "k", &hit));
  EXPECT_EQ(hit.index, 0u);
  EXPECT_FALSE(hit.exact);
}

TEST(PageSearchTest, AnElementOutsideThePageStopsTheSearchAndIsNamed) {
  auto leaf = BuildPage(true, kKeys);
  // The middle element (the first probe) claims a key running past the page's end.
  StoreU32(leaf.data() + kPageHeaderSize + 3 * kElementSize + 8, 1 << 20);
  SearchHit hit;
  EXPECT_FALSE(SearchPage(PageView(leaf.data(), leaf.size()), "h", &hit));
  EXPECT_EQ(hit.index, 3u);

  auto branch = BuildPage(false, kKeys);
  // Element 5 (probed for keys past the middle) points past the page.
  StoreU32(branch.data() + kPageHeaderSize + 5 * kElementSize, 1 << 20);
  EXPECT_TRUE(SearchPage(PageView(branch.data(), branch.size()), "c", &hit));  // never probed
  EXPECT_FALSE(SearchPage(PageView(branch.data(), branch.size()), "m", &hit));
  EXPECT_EQ(hit.index, 5u);
}

TEST(PageSearchTest, ChildIndexIsTheLastChildWhoseFirstKeyIsAtMostTheKey) {
  const auto branch = BuildPage(false, kKeys);
  const PageView bp(branch.data(), branch.size());
  const std::size_t n = kKeys.size();
  auto child = [&](std::string_view key) {
    SearchHit hit;
    EXPECT_TRUE(LowerBound(BranchKeys(bp), key, &hit));
    return ChildIndex(hit, n);
  };
  EXPECT_EQ(child("a"), 0u);  // before every key: the first child
  EXPECT_EQ(child("b"), 0u);
  EXPECT_EQ(child("c"), 0u);
  EXPECT_EQ(child("d"), 1u);
  EXPECT_EQ(child("e"), 1u);
  EXPECT_EQ(child("n"), n - 1);
  EXPECT_EQ(child("z"), n - 1);                       // past every key: the last child
  EXPECT_EQ(ChildIndex(SearchHit{9, false}, 3), 2u);  // never past the end
}

}  // namespace
}  // namespace larder::bolt::internal
