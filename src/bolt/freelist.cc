#include "bolt/freelist.h"

#include <fmt/format.h>

#include <algorithm>

namespace larder::bolt {

void Freelist::Reset(std::vector<Pgid> ids) {
  runs_.clear();
  pending_.clear();
  pending_ids_.clear();
  allocs_.clear();
  free_count_ = 0;
  AddFreeIds(std::move(ids));
}

void Freelist::AddFreeIds(std::vector<Pgid> ids) {
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i + 1;
    while (j < ids.size() && ids[j] == ids[j - 1] + 1) ++j;
    AddFreeRun(ids[i], j - i);
    i = j;
  }
}

Status Freelist::ReadPage(PageView page, Pgid hwm, std::vector<Pgid>* ids,
                          std::vector<Pgid>* duplicates) {
  if (page.flags() != kFreelistPageFlag) {
    return Status::Corruption(fmt::format("page {}: invalid freelist page type: {}", page.id(),
                                          PageTypeName(page.flags())));
  }
  std::uint64_t count = 0;
  std::size_t offset = 0;
  LARDER_RETURN_IF_ERROR(FreelistExtent(page, fmt::format("page {}", page.id()), &count, &offset));
  ids->clear();
  ids->reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Pgid id = LoadU64(page.data() + offset + i * 8);
    if (id < 2 || id >= hwm) {
      return Status::Corruption(
          fmt::format("page {}: freelist holds page {} outside [2, {})", page.id(), id, hwm));
    }
    ids->push_back(id);
  }
  std::sort(ids->begin(), ids->end());
  for (std::size_t i = 1; i < ids->size(); ++i) {
    if ((*ids)[i] != (*ids)[i - 1]) continue;
    if (duplicates == nullptr) {
      return Status::Corruption(
          fmt::format("page {}: freelist lists page {} twice", page.id(), (*ids)[i]));
    }
    duplicates->push_back((*ids)[i]);
  }
  if (duplicates != nullptr) ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  return Status::Ok();
}

void Freelist::AddFreeRun(Pgid start, std::uint64_t len) {
  free_count_ += len;
  auto next = runs_.lower_bound(start);
  if (next != runs_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      prev->second += len;
      if (next != runs_.end() && prev->first + prev->second == next->first) {
        prev->second += next->second;
        runs_.erase(next);
      }
      return;
    }
  }
  if (next != runs_.end() && start + len == next->first) {
    len += next->second;
    runs_.erase(next);
  }
  runs_.emplace(start, len);
}

Pgid Freelist::Allocate(Txid txid, std::size_t n) {
  if (n == 0) return 0;
  for (auto it = runs_.begin(); it != runs_.end(); ++it) {
    if (it->second < n) continue;
    Pgid start = it->first;
    std::uint64_t rest = it->second - n;
    if (rest > 0) {
      // Re-key the run's map node in place: no free and malloc per allocation.
      auto node = runs_.extract(it);
      node.key() = start + n;
      node.mapped() = rest;
      runs_.insert(std::move(node));
    } else {
      runs_.erase(it);
    }
    free_count_ -= n;
    allocs_[txid].emplace_back(start, n);
    return start;
  }
  return 0;
}

bool Freelist::IsFree(Pgid id) const {
  auto it = runs_.upper_bound(id);
  if (it == runs_.begin()) return false;
  --it;
  return id < it->first + it->second;
}

Status Freelist::Free(Txid txid, Pgid start, std::uint32_t overflow) {
  if (start <= 1) {
    return Status::Corruption(fmt::format("page {}: cannot free a meta page", start));
  }
  for (Pgid id = start; id <= start + overflow; ++id) {
    if (IsFree(id) || pending_ids_.count(id) != 0) {
      return Status::Corruption(fmt::format("page {}: already freed", id));
    }
  }
  auto& list = pending_[txid];
  for (Pgid id = start; id <= start + overflow; ++id) {
    list.push_back(id);
    pending_ids_.insert(id);
  }
  return Status::Ok();
}

void Freelist::ReleaseBefore(Txid txid) {
  while (!pending_.empty() && pending_.begin()->first < txid) {
    std::vector<Pgid> ids = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    for (Pgid id : ids) pending_ids_.erase(id);
    AddFreeIds(std::move(ids));
  }
}

void Freelist::Rollback(Txid txid) {
  if (auto it = pending_.find(txid); it != pending_.end()) {
    for (Pgid id : it->second) pending_ids_.erase(id);
    pending_.erase(it);
  }
  if (auto it = allocs_.find(txid); it != allocs_.end()) {
    for (auto [start, n] : it->second) AddFreeRun(start, n);
    allocs_.erase(it);
  }
}

std::size_t Freelist::PageBytes() const {
  std::uint64_t n = count();
  std::size_t bytes = kPageHeaderSize + n * 8;
  if (n >= kFreelistCountOverflow) bytes += 8;
  return bytes;
}

std::vector<Pgid> Freelist::AllIds() const {
  std::vector<Pgid> ids;
  ids.reserve(count());
  for (auto [start, len] : runs_) {
    for (std::uint64_t i = 0; i < len; ++i) ids.push_back(start + i);
  }
  for (const auto& [txid, list] : pending_) ids.insert(ids.end(), list.begin(), list.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Freelist::WritePage(std::uint8_t* page) const {
  std::vector<Pgid> ids = AllIds();
  StoreU16(page + 8, kFreelistPageFlag);
  std::uint8_t* out = page + kPageHeaderSize;
  if (ids.size() >= kFreelistCountOverflow) {
    StoreU16(page + 10, kFreelistCountOverflow);
    StoreU64(out, ids.size());
    out += 8;
  } else {
    StoreU16(page + 10, static_cast<std::uint16_t>(ids.size()));
  }
  for (std::size_t i = 0; i < ids.size(); ++i) StoreU64(out + i * 8, ids[i]);
}

}  // namespace larder::bolt
