#include "server/watch_registry.h"

#include <algorithm>
#include <string>
#include <utility>

namespace larder::server {

void WatchRegistry::Watch(WatcherId id, int db, std::string_view key, bool existed,
                          std::int64_t expire_at_ms) {
  MutexLock lock(&mu_);
  Watcher& watcher = watchers_[id];
  for (const WatchedKey& k : watcher.keys) {
    if (k.db == db && k.key == key) return;
  }
  watcher.keys.push_back(WatchedKey{db, std::string(key), existed, existed ? expire_at_ms : 0,
                                    /*recheck=*/false});
  KeyIndex& keys = index_[db];
  auto it = keys.find(key);
  if (it == keys.end()) it = keys.emplace(std::string(key), std::vector<WatcherId>{}).first;
  it->second.push_back(id);
  watched_keys_.fetch_add(1, std::memory_order_relaxed);
}

WatchRegistry::Verdict WatchRegistry::Check(WatcherId id, std::int64_t now_ms) const {
  Verdict verdict;
  MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return verdict;
  const Watcher& watcher = it->second;
  if (watcher.dirty) {
    verdict.dirty = true;
    return verdict;
  }
  for (const WatchedKey& k : watcher.keys) {
    if (k.expire_at_ms != 0 && k.expire_at_ms <= now_ms) {
      verdict.dirty = true;
      verdict.recheck.clear();
      return verdict;
    }
    if (k.recheck) verdict.recheck.push_back(k);
  }
  return verdict;
}

void WatchRegistry::UnwatchAll(WatcherId id) {
  MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return;
  for (const WatchedKey& k : it->second.keys) {
    auto db_it = index_.find(k.db);
    if (db_it == index_.end()) continue;  // unreachable while the index is consistent
    auto key_it = db_it->second.find(std::string_view(k.key));
    if (key_it == db_it->second.end()) continue;
    std::vector<WatcherId>& ids = key_it->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) db_it->second.erase(key_it);
    if (db_it->second.empty()) index_.erase(db_it);
  }
  watched_keys_.fetch_sub(it->second.keys.size(), std::memory_order_relaxed);
  watchers_.erase(it);
}

std::size_t WatchRegistry::WatchedKeyCount(WatcherId id) const {
  MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  return it == watchers_.end() ? 0 : it->second.keys.size();
}

std::size_t WatchRegistry::WatchingClients() const {
  MutexLock lock(&mu_);
  return watchers_.size();
}

void WatchRegistry::OnKeyModified(int db, std::optional<std::string_view> key) {
  if (watched_keys_.load(std::memory_order_relaxed) == 0) return;
  MutexLock lock(&mu_);
  if (!key) {
    FlushedDbLocked(db);
    return;
  }
  auto db_it = index_.find(db);
  if (db_it == index_.end()) return;
  auto key_it = db_it->second.find(*key);
  if (key_it == db_it->second.end()) return;
  for (WatcherId id : key_it->second) MarkDirtyLocked(watchers_[id], id);
}

void WatchRegistry::MarkDirtyLocked(Watcher& watcher, WatcherId id) {
  if (watcher.dirty) return;
  watcher.dirty = true;
  if (on_dirty_) on_dirty_(id);
}

void WatchRegistry::FlushedDbLocked(int db) {
  auto db_it = index_.find(db);
  if (db_it == index_.end()) return;
  for (const auto& [key, ids] : db_it->second) {
    for (WatcherId id : ids) {
      Watcher& watcher = watchers_[id];
      if (watcher.dirty) continue;
      for (WatchedKey& k : watcher.keys) {
        if (k.db != db || k.key != key) continue;
        if (!k.existed) {
          k.recheck = true;
          continue;
        }
        MarkDirtyLocked(watcher, id);
        break;
      }
    }
  }
}

}  // namespace larder::server
