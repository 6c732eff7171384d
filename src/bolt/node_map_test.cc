#include "bolt/node_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory_resource>
#include <random>
#include <vector>

#include "bolt/node.h"

namespace larder::bolt::internal {
namespace {

// Distinct fake node addresses; the map never dereferences them.
Node* FakeNode(std::uintptr_t i) { return reinterpret_cast<Node*>((i + 1) * alignof(Node)); }

std::map<Pgid, Node*> Contents(const NodeMap& m) {
  std::map<Pgid, Node*> out;
  m.ForEach([&out](Pgid pgid, Node* n) { EXPECT_TRUE(out.emplace(pgid, n).second) << pgid; });
  return out;
}

TEST(BoltNodeMapTest, EmptyMapFindsNothing) {
  std::pmr::monotonic_buffer_resource mem;
  NodeMap m(&mem);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Find(0), nullptr);
  EXPECT_FALSE(m.Erase(0));
  m.Set(0, FakeNode(1));  // page id 0: an inline bucket's root
  EXPECT_EQ(m.Find(0), FakeNode(1));
  m.Set(0, FakeNode(2));  // replaces
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.Find(0), FakeNode(2));
  m.Clear();
  EXPECT_EQ(m.Find(0), nullptr);
  EXPECT_TRUE(m.empty());
}

// Randomized against std::map, with key sets that collide on purpose: dense page ids, ids that
// differ only in high bits (transient ids from 2^63 up), and ids that are multiples of the table
// sizes. Erase is as frequent as Set, so the backward shift runs over wrapped runs.
TEST(BoltNodeMapTest, MatchesAModelUnderRandomSetsAndErases) {
  for (int key_space = 0; key_space < 3; ++key_space) {
    std::mt19937_64 rng(1234 + key_space);
    std::pmr::monotonic_buffer_resource mem;
    NodeMap m(&mem);
    std::map<Pgid, Node*> model;
    auto random_key = [&]() -> Pgid {
      const Pgid i = rng() % 600;
      switch (key_space) {
        case 0:
          return i;  // dense
        case 1:
          return (Pgid{1} << 63) + i * (i % 2 == 0 ? 1 : (Pgid{1} << 40));  // high bits
        default:
          return i * 1024;  // multiples of the table sizes
      }
    };
    for (int step = 0; step < 60000; ++step) {
      const Pgid k = random_key();
      switch (rng() % 3) {
        case 0: {
          Node* n = FakeNode(rng() % 1000);
          m.Set(k, n);
          model[k] = n;
          break;
        }
        case 1:
          ASSERT_EQ(m.Erase(k), model.erase(k) == 1) << "step " << step << " key " << k;
          break;
        default: {
          auto it = model.find(k);
          ASSERT_EQ(m.Find(k), it == model.end() ? nullptr : it->second)
              << "step " << step << " key " << k;
        }
      }
      ASSERT_EQ(m.size(), model.size());
      if (step % 5000 == 0) {
        ASSERT_EQ(Contents(m), model) << "step " << step;
      }
    }
    ASSERT_EQ(Contents(m), model);
    for (const auto& [k, n] : model) {
      ASSERT_EQ(m.Find(k), n) << k;
    }
  }
}

}  // namespace
}  // namespace larder::bolt::internal
