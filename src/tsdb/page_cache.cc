#include "tsdb/page_cache.h"

namespace larder::tsdb {

std::shared_ptr<const std::string> PageCache::Lookup(const PageKey& key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.page;
}

void PageCache::Insert(const PageKey& key, std::shared_ptr<const std::string> page) {
  std::lock_guard<std::mutex> l(mu_);
  if (page->size() > budget_ || map_.count(key) != 0) return;
  lru_.push_front(key);
  bytes_ += page->size();
  map_.emplace(key, Entry{std::move(page), lru_.begin()});
  EvictLocked();
}

void PageCache::EvictLocked() {
  while (bytes_ > budget_ && !lru_.empty()) {
    auto it = map_.find(lru_.back());
    bytes_ -= it->second.page->size();
    map_.erase(it);
    lru_.pop_back();
  }
}

void PageCache::ErasePair(std::uint32_t pair) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = map_.begin(); it != map_.end();) {
    if (it->first.pair == pair) {
      bytes_ -= it->second.page->size();
      lru_.erase(it->second.lru);
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t PageCache::bytes() {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}
std::uint64_t PageCache::hits() {
  std::lock_guard<std::mutex> l(mu_);
  return hits_;
}
std::uint64_t PageCache::misses() {
  std::lock_guard<std::mutex> l(mu_);
  return misses_;
}

}  // namespace larder::tsdb
