#include "server/rank_cache.h"

#include <utility>

namespace larder::server {

RankChunks* RankCache::Find(std::uint64_t version) {
  auto it = index_.find(version);
  if (it == index_.end()) return nullptr;
  if (it->second != lru_.begin()) lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->ranks;
}

RankChunks* RankCache::Insert(std::uint64_t version, RankChunks ranks) {
  Erase(version);
  ++builds_;
  const std::size_t charge = ranks.bytes();
  lru_.push_front(Entry{version, std::move(ranks), charge});
  index_.emplace(version, lru_.begin());
  bytes_ += charge;
  EvictFor(lru_.begin());
  return &lru_.front().ranks;
}

void RankCache::Charge(std::uint64_t version) {
  auto it = index_.find(version);
  if (it == index_.end()) return;
  Entry& e = *it->second;
  bytes_ = bytes_ - e.charged + e.ranks.bytes();
  e.charged = e.ranks.bytes();
  EvictFor(it->second);
}

void RankCache::Erase(std::uint64_t version) {
  auto it = index_.find(version);
  if (it == index_.end()) return;
  bytes_ -= it->second->charged;
  lru_.erase(it->second);
  index_.erase(it);
}

void RankCache::Clear() {
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

void RankCache::EvictFor(List::iterator keep) {
  while (bytes_ > budget_ && lru_.size() > 1) {
    auto victim = std::prev(lru_.end());
    if (victim == keep) victim = std::prev(victim);
    bytes_ -= victim->charged;
    index_.erase(victim->version);
    lru_.erase(victim);
    ++evictions_;
  }
}

}  // namespace larder::server
