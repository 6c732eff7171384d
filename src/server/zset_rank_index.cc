#include "server/zset_rank_index.h"

#include <memory>
#include <vector>

#include "base/coding.h"
#include "server/zset_encoding.h"

namespace larder::server {
namespace {

std::string WithSub(char sub, std::string_view entry) { return zenc::EntryRecord(sub, entry); }

bool Is(const Cursor& it, char sub) {
  return it.Valid() && !it.key().empty() && it.key()[0] == sub;
}

}  // namespace

Result<ZSetRankIndex::Node> ZSetRankIndex::Find(char sub, std::string_view entry) {
  Node node;
  std::string start = WithSub(sub, entry);
  start.push_back('\0');  // records < start: those <= sub + entry
  std::unique_ptr<Cursor> it;
  LARDER_ASSIGN_OR_RETURN(it, db_.Records(version_, start, /*reverse=*/true));
  if (Is(*it, sub)) {
    node.found = true;
    node.key.assign(it->key().substr(1));
    std::string_view v = it->value();
    GetVarint64(&v, &node.n);
    GetVarint64(&v, &node.c);
    LARDER_RETURN_IF_ERROR(it->status());
    return node;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  LARDER_ASSIGN_OR_RETURN(it, db_.Records(version_, std::string(1, sub)));
  if (Is(*it, sub)) {
    node.found = true;
    node.key.assign(it->key().substr(1));
    std::string_view v = it->value();
    GetVarint64(&v, &node.n);
    GetVarint64(&v, &node.c);
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return node;
}

Result<std::string> ZSetRankIndex::FirstKey() {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, std::string(1, zenc::kChunkSub)));
  std::string key;
  if (Is(*it, zenc::kChunkSub)) key.assign(it->key().substr(1));
  LARDER_RETURN_IF_ERROR(it->status());
  return key;
}

Status ZSetRankIndex::Write(char sub, const Node& node) {
  std::string value;
  PutVarint64(&value, node.n);
  if (sub == zenc::kGroupSub) PutVarint64(&value, node.c);
  return db_.PutRecord(version_, WithSub(sub, node.key), value);
}

Status ZSetRankIndex::SplitChunk(Node* chunk, Node* group) {
  const std::uint64_t keep = chunk->n / 2;
  // The chunk's entries start at its key (the first chunk's too: no entry sorts below it).
  const std::string start = WithSub(zenc::kScoreSub, chunk->key);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(version_, start));
  for (std::uint64_t i = 0; i < keep && Is(*it, zenc::kScoreSub); ++i) it->Next();
  LARDER_RETURN_IF_ERROR(it->status());
  if (!Is(*it, zenc::kScoreSub)) return Status::Corruption("zset rank chunk count too high");
  Node right;
  right.key.assign(it->key().substr(1));
  right.n = chunk->n - keep;
  chunk->n = keep;
  group->c += 1;
  return Write(zenc::kChunkSub, right);
}

Status ZSetRankIndex::SplitGroup(Node* group) {
  const std::uint64_t keep = group->c / 2;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, WithSub(zenc::kChunkSub, group->key)));
  Node right;
  for (std::uint64_t i = 0; i < group->c; ++i, it->Next()) {
    if (!Is(*it, zenc::kChunkSub)) {
      LARDER_RETURN_IF_ERROR(it->status());
      return Status::Corruption("zset rank group count too high");
    }
    if (i < keep) continue;
    if (i == keep) right.key.assign(it->key().substr(1));
    std::string_view v = it->value();
    std::uint64_t n = 0;
    GetVarint64(&v, &n);
    right.n += n;
  }
  right.c = group->c - keep;
  group->c = keep;
  group->n -= right.n;
  return Write(zenc::kGroupSub, right);
}

Status ZSetRankIndex::OnInsert(std::string_view entry) {
  LARDER_ASSIGN_OR_RETURN(Node chunk, Find(zenc::kChunkSub, entry));
  if (!chunk.found) {
    Node first{.found = true, .key = std::string(entry), .n = 1, .c = 1};
    LARDER_RETURN_IF_ERROR(Write(zenc::kChunkSub, first));
    return Write(zenc::kGroupSub, first);
  }
  LARDER_ASSIGN_OR_RETURN(Node group, Find(zenc::kGroupSub, chunk.key));
  if (!group.found) return Status::Corruption("zset rank chunk without a group");
  if (entry < chunk.key) {
    // A new least entry: the first chunk and group are keyed by it from now on, so that no
    // entry sorts below the first chunk's key (splits cut above the key).
    if (group.key != chunk.key) return Status::Corruption("zset first rank group misplaced");
    LARDER_RETURN_IF_ERROR(db_.DeleteRecord(version_, WithSub(zenc::kChunkSub, chunk.key)));
    LARDER_RETURN_IF_ERROR(db_.DeleteRecord(version_, WithSub(zenc::kGroupSub, group.key)));
    chunk.key.assign(entry);
    group.key.assign(entry);
  }
  chunk.n += 1;
  group.n += 1;
  if (chunk.n > chunk_max_) LARDER_RETURN_IF_ERROR(SplitChunk(&chunk, &group));
  LARDER_RETURN_IF_ERROR(Write(zenc::kChunkSub, chunk));
  if (group.c > group_max_) LARDER_RETURN_IF_ERROR(SplitGroup(&group));
  return Write(zenc::kGroupSub, group);
}

Status ZSetRankIndex::OnErase(std::string_view entry) {
  LARDER_ASSIGN_OR_RETURN(Node chunk, Find(zenc::kChunkSub, entry));
  if (!chunk.found || chunk.n == 0) return Status::Corruption("zset entry without a rank chunk");
  LARDER_ASSIGN_OR_RETURN(Node group, Find(zenc::kGroupSub, chunk.key));
  if (!group.found || group.n == 0) return Status::Corruption("zset rank chunk without a group");
  chunk.n -= 1;
  group.n -= 1;
  if (chunk.n > 0) {
    LARDER_RETURN_IF_ERROR(Write(zenc::kChunkSub, chunk));
    return Write(zenc::kGroupSub, group);
  }
  LARDER_RETURN_IF_ERROR(db_.DeleteRecord(version_, WithSub(zenc::kChunkSub, chunk.key)));
  group.c -= 1;
  if (group.c == 0) return db_.DeleteRecord(version_, WithSub(zenc::kGroupSub, group.key));
  if (group.key == chunk.key) {
    // The group's first chunk is gone: the group is keyed by its next chunk from now on.
    LARDER_RETURN_IF_ERROR(db_.DeleteRecord(version_, WithSub(zenc::kGroupSub, group.key)));
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                            db_.Records(version_, WithSub(zenc::kChunkSub, chunk.key)));
    if (!Is(*it, zenc::kChunkSub)) {
      LARDER_RETURN_IF_ERROR(it->status());
      return Status::Corruption("zset rank group without its chunks");
    }
    group.key.assign(it->key().substr(1));
  }
  return Write(zenc::kGroupSub, group);
}

Result<std::uint64_t> ZSetRankIndex::CountLess(std::string_view bound) {
  std::uint64_t before = 0;
  // Groups: the last with key <= bound (else the first) holds the bound; count those before.
  Node target;
  bool group_first = false;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, std::string(1, zenc::kGroupSub)));
  for (; Is(*it, zenc::kGroupSub); it->Next()) {
    const std::string_view key = it->key().substr(1);
    if (target.found && key > bound) break;
    if (target.found) before += target.n;
    group_first = !target.found;
    target.found = true;
    std::string_view v = it->value();
    GetVarint64(&v, &target.n);
    target.key.assign(key);
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (!target.found) return std::uint64_t{0};
  // Chunks of the target group, likewise.
  Node chunk;
  bool chunk_first = false;
  LARDER_ASSIGN_OR_RETURN(it, db_.Records(version_, WithSub(zenc::kChunkSub, target.key)));
  for (; Is(*it, zenc::kChunkSub); it->Next()) {
    const std::string_view key = it->key().substr(1);
    if (chunk.found && key > bound) break;
    if (chunk.found) before += chunk.n;
    chunk_first = group_first && !chunk.found;
    chunk.found = true;
    std::string_view v = it->value();
    GetVarint64(&v, &chunk.n);
    chunk.key.assign(key);
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (!chunk.found) return Status::Corruption("zset rank group without chunks");
  // Entries of the target chunk.
  const std::string start =
      chunk_first ? std::string(1, zenc::kScoreSub) : WithSub(zenc::kScoreSub, chunk.key);
  LARDER_ASSIGN_OR_RETURN(it, db_.Records(version_, start));
  for (std::uint64_t i = 0; i < chunk.n && Is(*it, zenc::kScoreSub); ++i, it->Next()) {
    if (it->key().substr(1) >= bound) break;
    ++before;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return before;
}

Result<std::string> ZSetRankIndex::EntryAt(std::uint64_t rank) {
  std::uint64_t before = 0;
  bool first = true;
  std::string key;
  // Walks level `sub` from `start` to the node holding `rank`: sets key, counts what it passes.
  const auto descend = [&](char sub, const std::string& start) -> Status {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(version_, start));
    for (;; it->Next(), first = false) {
      if (!Is(*it, sub)) {
        LARDER_RETURN_IF_ERROR(it->status());
        return Status::Corruption("zset rank beyond the rank index");
      }
      std::string_view v = it->value();
      std::uint64_t n = 0;
      GetVarint64(&v, &n);
      if (before + n > rank) {
        key.assign(it->key().substr(1));
        return Status::Ok();
      }
      before += n;
    }
  };
  LARDER_RETURN_IF_ERROR(descend(zenc::kGroupSub, std::string(1, zenc::kGroupSub)));
  LARDER_RETURN_IF_ERROR(descend(zenc::kChunkSub, WithSub(zenc::kChunkSub, key)));
  const std::string start = first ? std::string(1, zenc::kScoreSub) : WithSub(zenc::kScoreSub, key);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(version_, start));
  for (; before < rank && Is(*it, zenc::kScoreSub); ++before) it->Next();
  if (!Is(*it, zenc::kScoreSub)) {
    LARDER_RETURN_IF_ERROR(it->status());
    return Status::Corruption("zset rank beyond the score index");
  }
  return std::string(it->key().substr(1));
}

Status ZSetRankIndex::Check(std::uint64_t entries) {
  struct Item {
    std::string key;
    std::uint64_t n = 0, c = 0, seen_n = 0, seen_c = 0;
  };
  std::vector<Item> levels[2];
  const char subs[2] = {zenc::kChunkSub, zenc::kGroupSub};
  for (int l = 0; l < 2; ++l) {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                            db_.Records(version_, std::string(1, subs[l])));
    for (; Is(*it, subs[l]); it->Next()) {
      Item item;
      item.key.assign(it->key().substr(1));
      std::string_view v = it->value();
      GetVarint64(&v, &item.n);
      GetVarint64(&v, &item.c);
      levels[l].push_back(std::move(item));
    }
    LARDER_RETURN_IF_ERROR(it->status());
  }
  auto& chunks = levels[0];
  auto& groups = levels[1];
  // The node of `items` whose range holds `key`.
  const auto holder = [](std::vector<Item>& items, std::string_view key) -> Item& {
    std::size_t i = 0;
    while (i + 1 < items.size() && items[i + 1].key <= key) ++i;
    return items[i];
  };
  if (entries == 0 || chunks.empty() || groups.empty()) {
    if (entries == 0 && chunks.empty() && groups.empty()) return Status::Ok();
    return Status::Corruption("zset rank index present/absent mismatch");
  }
  if (groups.front().key != chunks.front().key) {
    return Status::Corruption("zset first group not keyed by the first chunk");
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, std::string(1, zenc::kScoreSub)));
  std::uint64_t total = 0;
  for (; Is(*it, zenc::kScoreSub); it->Next(), ++total) {
    if (it->key().substr(1) < chunks.front().key) {
      return Status::Corruption("zset entry below the first rank chunk");
    }
    holder(chunks, it->key().substr(1)).seen_n += 1;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (total != entries) return Status::Corruption("zset score index size mismatch");
  for (const Item& chunk : chunks) {
    if (chunk.n == 0 || chunk.n > chunk_max_ || chunk.n != chunk.seen_n) {
      return Status::Corruption("zset rank chunk count wrong at " + std::to_string(chunk.n));
    }
    Item& group = holder(groups, chunk.key);
    group.seen_n += chunk.n;
    group.seen_c += 1;
  }
  for (const Item& group : groups) {
    bool keyed = false;
    for (const Item& chunk : chunks) keyed = keyed || chunk.key == group.key;
    if (!keyed || group.c == 0 || group.c > group_max_ || group.c != group.seen_c ||
        group.n != group.seen_n) {
      return Status::Corruption("zset rank group wrong");
    }
  }
  return Status::Ok();
}

}  // namespace larder::server
