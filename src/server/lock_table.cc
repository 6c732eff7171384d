#include "server/lock_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/random.h"

namespace larder::server {

const LockEntry* LockTable::Find(std::string_view name) const {
  auto it = locks_.find(name);
  return it == locks_.end() ? nullptr : &it->second;
}

const LockHolder* LockTable::Holder(std::string_view name) const {
  const LockEntry* e = Find(name);
  return e != nullptr && e->holder ? &*e->holder : nullptr;
}

bool LockTable::CanGrant(std::string_view name, std::uint64_t client_id) const {
  const LockEntry* e = Find(name);
  if (e == nullptr) return true;
  if (e->holder) return false;
  return e->waiters.empty() || e->waiters.front().client_id == client_id;
}

const LockHolder& LockTable::Grant(std::string_view name, std::uint64_t client_id,
                                   std::string owner, std::int64_t lease_ms, std::int64_t now_ms) {
  auto it = locks_.find(name);
  if (it == locks_.end()) it = locks_.emplace(std::string(name), LockEntry{}).first;
  LockEntry& e = it->second;
  if (!e.waiters.empty() && e.waiters.front().client_id == client_id) {
    e.waiters.pop_front();
    waiting_.erase(client_id);
  }
  LockHolder h;
  h.fencing = ++last_fencing_;
  h.token = fmt::format("{}-{}", h.fencing, NewTokenSecret());
  h.owner = std::move(owner);
  h.client_id = client_id;
  h.acquired_ms = now_ms;
  if (lease_ms > 0) {
    h.lease_ms = lease_ms;
    h.lease_until_ms = now_ms + lease_ms;
  }
  e.holder = std::move(h);
  Index(it->first, *e.holder);
  return *e.holder;
}

// 16 bytes of the pool as 32 hex digits.
std::string LockTable::NewTokenSecret() {
  constexpr std::size_t kPool = 4096, kSecret = 16;
  if (random_pool_.size() < random_used_ + kSecret) {
    random_pool_.resize(kPool);
    RandomBytes(reinterpret_cast<std::uint8_t*>(random_pool_.data()), kPool);
    random_used_ = 0;
  }
  const std::string_view secret = std::string_view(random_pool_).substr(random_used_, kSecret);
  random_used_ += kSecret;
  return ToHex(secret);
}

void LockTable::Enqueue(std::string_view name, LockWaiter waiter) {
  auto it = locks_.find(name);
  if (it == locks_.end()) it = locks_.emplace(std::string(name), LockEntry{}).first;
  if (waiting_.contains(waiter.client_id)) return;
  waiting_[waiter.client_id] = it->first;
  it->second.waiters.push_back(std::move(waiter));
}

std::optional<std::string> LockTable::RemoveWaiter(std::uint64_t client_id) {
  auto w = waiting_.find(client_id);
  if (w == waiting_.end()) return std::nullopt;
  std::string name = std::move(w->second);
  waiting_.erase(w);
  auto it = locks_.find(name);
  if (it != locks_.end()) {
    std::erase_if(it->second.waiters,
                  [&](const LockWaiter& x) { return x.client_id == client_id; });
    DropIfUnused(it);
  }
  return name;
}

const std::string* LockTable::WaitingFor(std::uint64_t client_id) const {
  auto w = waiting_.find(client_id);
  return w == waiting_.end() ? nullptr : &w->second;
}

const LockHolder* LockTable::CheckToken(std::string_view name, std::string_view token) const {
  const LockHolder* h = Holder(name);
  return h != nullptr && h->token == token ? h : nullptr;
}

LockHolder LockTable::Release(std::string_view name) {
  auto it = locks_.find(name);
  LockHolder h = std::move(*it->second.holder);
  it->second.holder.reset();
  Unindex(it->first, h);
  DropIfUnused(it);
  return h;
}

void LockTable::Extend(std::string_view name, std::int64_t lease_ms, std::int64_t until_ms) {
  auto it = locks_.find(name);
  LockHolder& h = *it->second.holder;
  Unindex(it->first, h);
  h.lease_ms = lease_ms;
  h.lease_until_ms = until_ms;
  Index(it->first, h);
}

std::vector<std::string> LockTable::ConnectionHolds(std::uint64_t client_id) const {
  auto it = conn_holds_.find(client_id);
  if (it == conn_holds_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> LockTable::DueLeases(std::int64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& [until, name] : leases_) {
    if (until > now_ms) break;
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> LockTable::Names() const {
  std::vector<std::string> out;
  out.reserve(locks_.size());
  for (const auto& [name, e] : locks_) out.push_back(name);
  return out;
}

void LockTable::Restore(std::string name, LockHolder holder) {
  set_last_fencing(holder.fencing);
  auto it = locks_.emplace(std::move(name), LockEntry{}).first;
  it->second.holder = std::move(holder);
  Index(it->first, *it->second.holder);
}

void LockTable::Index(const std::string& name, const LockHolder& h) {
  if (h.lease_until_ms != 0) {
    leases_.emplace(h.lease_until_ms, name);
  } else {
    conn_holds_[h.client_id].insert(name);
  }
}

void LockTable::Unindex(const std::string& name, const LockHolder& h) {
  if (h.lease_until_ms != 0) {
    leases_.erase({h.lease_until_ms, name});
    return;
  }
  auto it = conn_holds_.find(h.client_id);
  if (it == conn_holds_.end()) return;
  it->second.erase(name);
  if (it->second.empty()) conn_holds_.erase(it);
}

void LockTable::DropIfUnused(std::map<std::string, LockEntry, std::less<>>::iterator it) {
  if (!it->second.holder && it->second.waiters.empty()) locks_.erase(it);
}

Status LockTable::CheckInvariants() const {
  std::size_t waiters = 0, conn = 0, leased = 0;
  for (const auto& [name, e] : locks_) {
    if (!e.holder && e.waiters.empty()) return Status::Corruption("unused entry " + name);
    for (const LockWaiter& w : e.waiters) {
      ++waiters;
      auto it = waiting_.find(w.client_id);
      if (it == waiting_.end() || it->second != name) {
        return Status::Corruption(fmt::format("waiter {} of {} not indexed", w.client_id, name));
      }
      if (e.holder && e.holder->client_id == w.client_id) {
        return Status::Corruption(
            fmt::format("client {} waits for {} it holds", w.client_id, name));
      }
    }
    if (!e.holder) continue;
    const LockHolder& h = *e.holder;
    if (h.fencing == 0 || h.fencing > last_fencing_) {
      return Status::Corruption(fmt::format("fencing {} of {} above the counter", h.fencing, name));
    }
    if (h.lease_until_ms != 0) {
      ++leased;
      if (!leases_.contains({h.lease_until_ms, name})) {
        return Status::Corruption("lease not indexed: " + name);
      }
    } else {
      ++conn;
      auto it = conn_holds_.find(h.client_id);
      if (it == conn_holds_.end() || !it->second.contains(name)) {
        return Status::Corruption("connection hold not indexed: " + name);
      }
    }
  }
  std::size_t indexed = 0;
  for (const auto& [c, names] : conn_holds_) indexed += names.size();
  if (waiters != waiting_.size() || leased != leases_.size() || conn != indexed) {
    return Status::Corruption("stale index entries");
  }
  return Status::Ok();
}

}  // namespace larder::server
