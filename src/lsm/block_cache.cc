// BlockCache (block_cache.h).
#include "lsm/block_cache.h"

#include <vector>

namespace larder::lsm {

std::size_t BlockCache::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = k.id * 0x9e3779b97f4a7c15ull ^ k.offset;
  h ^= h >> 31;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}

std::shared_ptr<BlockCache> NewBlockCache(std::size_t capacity_bytes) {
  return std::make_shared<BlockCache>(capacity_bytes);
}

BlockCache::BlockCache(std::size_t capacity_bytes)
    : capacity_(capacity_bytes), shard_capacity_(capacity_bytes / kShards) {}

std::shared_ptr<const Block> BlockCache::Lookup(std::uint64_t cache_id, std::uint64_t offset) {
  const Key key{cache_id, offset};
  Shard& s = ShardFor(key);
  {
    MutexLock lock(&s.mu);
    auto it = s.map.find(key);
    if (it != s.map.end()) {
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second->block;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void BlockCache::Insert(std::uint64_t cache_id, std::uint64_t offset,
                        std::shared_ptr<const Block> block) {
  const Key key{cache_id, offset};
  const std::size_t charge = block->memory_usage() + kEntryOverhead;
  if (charge > shard_capacity_) return;
  Shard& s = ShardFor(key);
  std::vector<std::shared_ptr<const Block>> released;  // destroyed after the unlock
  {
    MutexLock lock(&s.mu);
    auto it = s.map.find(key);
    if (it != s.map.end()) {
      s.usage -= it->second->charge;
      released.push_back(std::move(it->second->block));
      s.lru.erase(it->second);
      s.map.erase(it);
    }
    s.lru.push_front(Entry{key, std::move(block), charge});
    s.map.emplace(key, s.lru.begin());
    s.usage += charge;
    while (s.usage > shard_capacity_) {
      Entry& victim = s.lru.back();
      s.usage -= victim.charge;
      released.push_back(std::move(victim.block));
      s.map.erase(victim.key);
      s.lru.pop_back();
    }
  }
}

void BlockCache::Clear() {
  for (Shard& s : shards_) {
    std::list<Entry> released;
    {
      MutexLock lock(&s.mu);
      released.swap(s.lru);
      s.map.clear();
      s.usage = 0;
    }
  }
}

std::size_t BlockCache::usage() const {
  std::size_t total = 0;
  for (const Shard& s : shards_) {
    MutexLock lock(&s.mu);
    total += s.usage;
  }
  return total;
}

std::size_t BlockCache::entries() const {
  std::size_t total = 0;
  for (const Shard& s : shards_) {
    MutexLock lock(&s.mu);
    total += s.map.size();
  }
  return total;
}

}  // namespace larder::lsm
