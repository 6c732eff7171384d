#include "server/stream_store.h"

#include <charconv>
#include <memory>
#include <utility>

#include "base/coding.h"
#include "server/key_encoding.h"

namespace larder::server::streams {
namespace {

constexpr std::string_view kMetaRecord = "M";
constexpr char kEntryTag = 'e';
constexpr char kNodeTag = 'n';
constexpr char kGroupTag = 'g';
constexpr char kPendingTag = 'p';
constexpr char kConsumerTag = 'c';
constexpr char kConsumerPelTag = 'q';

void AppendId(std::string* out, StreamId id) {
  enc::AppendBe64(out, id.ms);
  enc::AppendBe64(out, id.seq);
}
StreamId ReadId(std::string_view in) { return {enc::ReadBe64(in), enc::ReadBe64(in.substr(8))}; }

std::string TagId(char tag, StreamId id) {
  std::string r(1, tag);
  AppendId(&r, id);
  return r;
}
std::string GidPrefix(char tag, std::uint64_t gid) {
  std::string r(1, tag);
  enc::AppendBe64(&r, gid);
  return r;
}
std::string PendingRecord(std::uint64_t gid, StreamId id) {
  std::string r = GidPrefix(kPendingTag, gid);
  AppendId(&r, id);
  return r;
}
std::string ConsumerPelPrefix(std::uint64_t gid, std::string_view consumer) {
  std::string r = GidPrefix(kConsumerPelTag, gid);
  enc::AppendBe32(&r, static_cast<std::uint32_t>(consumer.size()));
  r.append(consumer);
  return r;
}

Status Bad(std::string_view what) {
  return Status::Corruption(std::string("stream: malformed ") + std::string(what) + " record");
}

bool GetId(std::string_view* in, StreamId* id) {
  if (in->size() < 16) return false;
  *id = ReadId(*in);
  in->remove_prefix(16);
  return true;
}
bool GetBe64(std::string_view* in, std::uint64_t* v) {
  if (in->size() < 8) return false;
  *v = enc::ReadBe64(*in);
  in->remove_prefix(8);
  return true;
}

std::string EncodeFields(std::span<const std::string_view> fields) {
  std::string out;
  PutVarint64(&out, fields.size());
  for (std::string_view f : fields) {
    PutVarint64(&out, f.size());
    out.append(f);
  }
  return out;
}
bool DecodeFields(std::string_view in, std::vector<std::string>* fields) {
  std::uint64_t n;
  if (!GetVarint64(&in, &n) || n > in.size()) return false;
  fields->clear();
  fields->reserve(static_cast<std::size_t>(n));
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t len;
    if (!GetVarint64(&in, &len) || len > in.size()) return false;
    fields->emplace_back(in.substr(0, static_cast<std::size_t>(len)));
    in.remove_prefix(static_cast<std::size_t>(len));
  }
  return in.empty();
}

// An estimate of the bytes an entry takes in a Redis listpack (for stream-node-max-bytes).
std::uint64_t EntryBytes(std::span<const std::string_view> fields) {
  std::uint64_t n = 4;
  for (std::string_view f : fields) n += f.size() + 1;
  return n;
}

}  // namespace

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool Increment(StreamId* id) {
  if (id->seq == UINT64_MAX) {
    if (id->ms == UINT64_MAX) return false;
    ++id->ms;
    id->seq = 0;
  } else {
    ++id->seq;
  }
  return true;
}

bool Decrement(StreamId* id) {
  if (id->seq == 0) {
    if (id->ms == 0) return false;
    --id->ms;
    id->seq = UINT64_MAX;
  } else {
    --id->seq;
  }
  return true;
}

namespace {
bool ParseU64(std::string_view s, std::uint64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *v);
  return ec == std::errc() && p == end;
}
}  // namespace

std::optional<StreamId> ParseId(std::string_view s, std::uint64_t missing_seq, bool strict,
                                bool* seq_given) {
  if (s.size() > 127) return std::nullopt;
  if (s == "-" || s == "+") {
    if (strict) return std::nullopt;
    if (seq_given != nullptr) *seq_given = true;
    return s == "-" ? StreamId{} : kMaxId;
  }
  if (seq_given != nullptr) *seq_given = true;
  StreamId id;
  const std::size_t dash = s.find('-');
  if (!ParseU64(s.substr(0, dash), &id.ms)) return std::nullopt;
  if (dash == std::string_view::npos) {
    id.seq = missing_seq;
    return id;
  }
  const std::string_view seq = s.substr(dash + 1);
  if (seq_given != nullptr && seq == "*") {
    *seq_given = false;
    return id;
  }
  if (!ParseU64(seq, &id.seq)) return std::nullopt;
  return id;
}

std::string EntryRecord(StreamId id) { return TagId(kEntryTag, id); }

bool RangeHasTombstones(const StreamMeta& meta, std::uint64_t length, StreamId start,
                        StreamId end) {
  if (length == 0 || meta.max_deleted.zero()) return false;
  if (meta.first_id > meta.max_deleted) return false;
  return start <= meta.max_deleted && meta.max_deleted <= end;
}

std::int64_t EstimateDistance(const StreamMeta& meta, std::uint64_t length, StreamId id) {
  const auto added = static_cast<std::int64_t>(meta.entries_added);
  if (meta.entries_added == 0) return 0;
  if (length == 0 && id <= meta.last_id) return added;
  if (id == meta.last_id) return added;
  if (id > meta.last_id) return -1;
  if (meta.max_deleted.zero() || meta.max_deleted < meta.first_id) {
    if (id < meta.first_id) return added - static_cast<std::int64_t>(length);
    if (id == meta.first_id) return added - static_cast<std::int64_t>(length) + 1;
  }
  return -1;
}

std::optional<std::int64_t> GroupLag(const StreamMeta& meta, std::uint64_t length,
                                     const GroupMeta& group) {
  const auto added = static_cast<std::int64_t>(meta.entries_added);
  if (meta.entries_added == 0) return 0;
  if (group.entries_read != -1 && !RangeHasTombstones(meta, length, group.last_id, kMaxId)) {
    return added - group.entries_read;
  }
  const std::int64_t read = EstimateDistance(meta, length, group.last_id);
  if (read == -1) return std::nullopt;
  return added - read;
}

// ---- StreamKey ----

Result<StreamKey> StreamKey::Open(Database& db, std::string_view key, const KeyInfo& info) {
  StreamKey s(db, key, info, /*created=*/false);
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw, db.GetRecord(info.version, kMetaRecord));
  if (!raw) return Bad("metadata (missing)");
  std::string_view in = *raw;
  StreamMeta& m = s.meta_;
  if (!GetId(&in, &m.last_id) || !GetId(&in, &m.max_deleted) || !GetId(&in, &m.first_id) ||
      !GetVarint64(&in, &m.entries_added) || !GetVarint64(&in, &m.next_group_id) ||
      !GetVarint64(&in, &m.groups) || !GetVarint64(&in, &m.nodes) || !GetId(&in, &m.first_node) ||
      !in.empty()) {
    return Bad("metadata");
  }
  return s;
}

Result<StreamKey> StreamKey::Create(Database& db, std::string_view key) {
  LARDER_ASSIGN_OR_RETURN(KeyInfo info, db.NewCollection(ValueType::kStream));
  return StreamKey(db, key, info, /*created=*/true);
}

Status StreamKey::Commit() {
  std::string raw;
  AppendId(&raw, meta_.last_id);
  AppendId(&raw, meta_.max_deleted);
  AppendId(&raw, meta_.first_id);
  PutVarint64(&raw, meta_.entries_added);
  PutVarint64(&raw, meta_.next_group_id);
  PutVarint64(&raw, meta_.groups);
  PutVarint64(&raw, meta_.nodes);
  AppendId(&raw, meta_.first_node);
  LARDER_RETURN_IF_ERROR(db_->PutRecord(info_.version, kMetaRecord, raw));
  LARDER_RETURN_IF_ERROR(db_->WriteCollection(key_, info_, created_));
  created_ = false;
  return Status::Ok();
}

// ---- Nodes ----

namespace {
using Node = StreamKey::Node;
Result<std::optional<Node>> ReadNode(Cursor& it) {
  LARDER_RETURN_IF_ERROR(it.status());
  if (!it.Valid() || it.key().size() != 17 || it.key()[0] != kNodeTag) {
    return std::optional<Node>();
  }
  Node node;
  node.first = ReadId(it.key().substr(1));
  std::string_view v = it.value();
  if (!GetVarint64(&v, &node.live) || !GetVarint64(&v, &node.deleted) ||
      !GetVarint64(&v, &node.bytes) || !GetId(&v, &node.last) || !v.empty()) {
    return Bad("node");
  }
  return std::optional<Node>(node);
}
}  // namespace

Status StreamKey::PutNode(const Node& node) {
  std::string v;
  PutVarint64(&v, node.live);
  PutVarint64(&v, node.deleted);
  PutVarint64(&v, node.bytes);
  AppendId(&v, node.last);
  return db_->PutRecord(info_.version, TagId(kNodeTag, node.first), v);
}

Status StreamKey::DeleteNode(const Node& node) {
  --meta_.nodes;
  LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, TagId(kNodeTag, node.first)));
  if (node.first != meta_.first_node) return Status::Ok();
  // The first node went (a trim, or XDEL of its last live entry): the next one is first.
  meta_.first_node = StreamId{};
  if (meta_.nodes == 0) return Status::Ok();
  std::string after = TagId(kNodeTag, node.first);
  after.push_back('\0');
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_->Records(info_.version, after));
  LARDER_ASSIGN_OR_RETURN(std::optional<Node> next, ReadNode(*it));
  if (!next) return Bad("node (fewer node records than the metadata counts)");
  meta_.first_node = next->first;
  return Status::Ok();
}

Result<std::optional<StreamKey::Node>> StreamKey::NodeOf(StreamId id) {
  std::string bound = TagId(kNodeTag, id);
  bound.push_back('\0');  // the last record <= id
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_->Records(info_.version, bound, /*reverse=*/true));
  return ReadNode(*it);
}

Result<std::optional<StreamKey::Node>> StreamKey::FirstNode() {
  if (meta_.nodes == 0) return std::optional<Node>();
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_->Records(info_.version, TagId(kNodeTag, meta_.first_node)));
  return ReadNode(*it);
}

// ---- Entries ----

Status StreamKey::Append(StreamId id, std::span<const std::string_view> fields,
                         const NodeLimits& limits) {
  LARDER_ASSIGN_OR_RETURN(std::optional<Node> node, NodeOf(kMaxId));
  const std::uint64_t bytes = EntryBytes(fields);
  if (node) {
    std::uint64_t total = 0;
    for (std::string_view f : fields) total += f.size();
    const std::uint64_t max_bytes =
        limits.max_bytes == 0 || limits.max_bytes > (1u << 30) ? (1u << 30) : limits.max_bytes;
    if (node->bytes + total >= max_bytes ||
        (limits.max_entries != 0 && node->live + node->deleted >= limits.max_entries)) {
      node.reset();
    }
  }
  if (!node) {
    if (meta_.nodes == 0) meta_.first_node = id;
    ++meta_.nodes;
    node = Node{};
    node->first = id;
    node->bytes = 16 + bytes;
  }
  ++node->live;
  node->bytes += bytes;
  node->last = id;
  LARDER_RETURN_IF_ERROR(PutNode(*node));
  LARDER_RETURN_IF_ERROR(db_->PutRecord(info_.version, EntryRecord(id), EncodeFields(fields)));
  ++info_.size;
  meta_.last_id = id;
  ++meta_.entries_added;
  if (info_.size == 1) meta_.first_id = id;
  return Status::Ok();
}

Status StreamKey::RemoveEntry(StreamId id, Node* node) {
  LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, EntryRecord(id)));
  --info_.size;
  --node->live;
  ++node->deleted;
  return Status::Ok();
}

Result<bool> StreamKey::Delete(StreamId id) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                          db_->GetRecord(info_.version, EntryRecord(id)));
  if (!raw) return false;
  LARDER_ASSIGN_OR_RETURN(std::optional<Node> node, NodeOf(id));
  if (!node || node->live == 0) return Bad("node (no node for an entry)");
  LARDER_RETURN_IF_ERROR(RemoveEntry(id, &*node));
  if (node->live == 0) {
    LARDER_RETURN_IF_ERROR(DeleteNode(*node));
  } else {
    LARDER_RETURN_IF_ERROR(PutNode(*node));
  }
  return true;
}

Result<std::int64_t> StreamKey::Trim(const TrimSpec& spec) {
  if (spec.strategy == TrimStrategy::kNone) return std::int64_t{0};
  std::int64_t deleted = 0;
  for (;;) {
    if (spec.strategy == TrimStrategy::kMaxLen && info_.size <= spec.maxlen) break;
    LARDER_ASSIGN_OR_RETURN(std::optional<Node> node, FirstNode());
    if (!node) break;
    const std::int64_t entries = static_cast<std::int64_t>(node->live);
    if (spec.limit != 0 && deleted + entries > spec.limit) break;
    const bool remove_node = spec.strategy == TrimStrategy::kMaxLen
                                 ? info_.size - node->live >= spec.maxlen
                                 : node->last < spec.minid;
    if (remove_node) {
      // Every live entry of the node: they are the first entries of the stream.
      std::vector<StreamId> ids;
      LARDER_ASSIGN_OR_RETURN(std::vector<Entry> entries_of,
                              Range(node->first, node->last, node->live));
      for (const Entry& e : entries_of) {
        LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, EntryRecord(e.id)));
      }
      info_.size -= node->live;
      deleted += entries;
      LARDER_RETURN_IF_ERROR(DeleteNode(*node));
      continue;
    }
    if (spec.approx) break;
    LARDER_ASSIGN_OR_RETURN(std::vector<Entry> in_node, Range(node->first, node->last, 0));
    for (const Entry& e : in_node) {
      const bool stop =
          spec.strategy == TrimStrategy::kMaxLen ? info_.size <= spec.maxlen : e.id >= spec.minid;
      if (stop) break;
      LARDER_RETURN_IF_ERROR(RemoveEntry(e.id, &*node));
      ++deleted;
    }
    LARDER_RETURN_IF_ERROR(PutNode(*node));
    break;
  }
  if (info_.size == 0) {
    meta_.first_id = StreamId{};
  } else if (deleted > 0) {
    LARDER_ASSIGN_OR_RETURN(std::optional<StreamId> first, EdgeId(true));
    meta_.first_id = first.value_or(StreamId{});
  }
  return deleted;
}

Result<std::vector<Entry>> StreamKey::Range(StreamId start, StreamId end, std::uint64_t count,
                                            bool reverse) {
  std::vector<Entry> out;
  if (info_.size > 0 && start < meta_.first_id) start = meta_.first_id;  // nothing lies below
  if (start > end || info_.size == 0) return out;
  std::unique_ptr<Cursor> it;
  if (!reverse) {
    LARDER_ASSIGN_OR_RETURN(it, db_->Records(info_.version, EntryRecord(start)));
  } else {
    std::string bound = EntryRecord(end);
    bound.push_back('\0');
    LARDER_ASSIGN_OR_RETURN(it, db_->Records(info_.version, bound, /*reverse=*/true));
  }
  for (; it->Valid() && (count == 0 || out.size() < count); it->Next()) {
    std::string_view k = it->key();
    if (k.size() != 17 || k[0] != kEntryTag) break;
    const StreamId id = ReadId(k.substr(1));
    if (reverse ? id < start : id > end) break;
    Entry e;
    e.id = id;
    if (!DecodeFields(it->value(), &e.fields)) return Bad("entry");
    out.push_back(std::move(e));
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

Result<std::optional<Entry>> StreamKey::Get(StreamId id) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                          db_->GetRecord(info_.version, EntryRecord(id)));
  if (!raw) return std::optional<Entry>();
  Entry e;
  e.id = id;
  if (!DecodeFields(*raw, &e.fields)) return Bad("entry");
  return std::optional<Entry>(std::move(e));
}

Result<std::optional<StreamId>> StreamKey::EdgeId(bool first) {
  if (info_.size == 0) return std::optional<StreamId>();
  LARDER_ASSIGN_OR_RETURN(std::vector<Entry> e, Range(StreamId{}, kMaxId, 1, !first));
  if (e.empty()) return Bad("entry (none under a non-empty stream)");
  return std::optional<StreamId>(e[0].id);
}

// ---- Groups ----

Result<std::optional<GroupMeta>> StreamKey::GetGroup(std::string_view name) {
  std::string rec(1, kGroupTag);
  rec.append(name);
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw, db_->GetRecord(info_.version, rec));
  if (!raw) return std::optional<GroupMeta>();
  std::string_view in = *raw;
  GroupMeta g;
  std::uint64_t read_plus_one;
  if (!GetBe64(&in, &g.gid) || !GetId(&in, &g.last_id) || !GetVarint64(&in, &read_plus_one) ||
      !GetVarint64(&in, &g.pending) || !GetVarint64(&in, &g.consumers) || !in.empty()) {
    return Bad("group");
  }
  g.entries_read = static_cast<std::int64_t>(read_plus_one) - 1;
  return std::optional<GroupMeta>(g);
}

Status StreamKey::PutGroup(std::string_view name, const GroupMeta& g) {
  std::string rec(1, kGroupTag);
  rec.append(name);
  std::string v;
  enc::AppendBe64(&v, g.gid);
  AppendId(&v, g.last_id);
  PutVarint64(&v, static_cast<std::uint64_t>(g.entries_read + 1));
  PutVarint64(&v, g.pending);
  PutVarint64(&v, g.consumers);
  return db_->PutRecord(info_.version, rec, v);
}

Status StreamKey::DestroyGroup(std::string_view name, const GroupMeta& g) {
  for (char tag : {kPendingTag, kConsumerTag, kConsumerPelTag}) {
    const std::string prefix = GidPrefix(tag, g.gid);
    for (;;) {  // collect, then delete: no cursor across writes
      std::vector<std::string> names;
      LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_->Records(info_.version, prefix));
      for (; it->Valid() && it->key().starts_with(prefix) && names.size() < 1024; it->Next()) {
        names.emplace_back(it->key());
      }
      LARDER_RETURN_IF_ERROR(it->status());
      for (const std::string& n : names) {
        LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, n));
      }
      if (names.size() < 1024) break;
    }
  }
  std::string rec(1, kGroupTag);
  rec.append(name);
  return db_->DeleteRecord(info_.version, rec);
}

Result<std::vector<std::pair<std::string, GroupMeta>>> StreamKey::Groups() {
  std::vector<std::string> names;
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                            db_->Records(info_.version, std::string(1, kGroupTag)));
    for (; it->Valid() && it->key()[0] == kGroupTag; it->Next()) {
      names.emplace_back(it->key().substr(1));
    }
    LARDER_RETURN_IF_ERROR(it->status());
  }
  std::vector<std::pair<std::string, GroupMeta>> out;
  for (std::string& n : names) {
    LARDER_ASSIGN_OR_RETURN(std::optional<GroupMeta> g, GetGroup(n));
    if (!g) return Bad("group");
    out.emplace_back(std::move(n), *g);
  }
  return out;
}

// ---- Pending entries ----

namespace {
bool DecodePending(std::string_view v, PendingEntry* pe) {
  std::uint64_t time;
  if (!GetBe64(&v, &time) || !GetVarint64(&v, &pe->delivery_count)) return false;
  pe->delivery_time = static_cast<std::int64_t>(time);
  pe->consumer.assign(v);
  return true;
}
}  // namespace

Result<std::optional<PendingEntry>> StreamKey::GetPending(std::uint64_t gid, StreamId id) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                          db_->GetRecord(info_.version, PendingRecord(gid, id)));
  if (!raw) return std::optional<PendingEntry>();
  PendingEntry pe;
  pe.id = id;
  if (!DecodePending(*raw, &pe)) return Bad("pending entry");
  return std::optional<PendingEntry>(std::move(pe));
}

Status StreamKey::PutPending(std::uint64_t gid, const PendingEntry& pe) {
  std::string v;
  enc::AppendBe64(&v, static_cast<std::uint64_t>(pe.delivery_time));
  PutVarint64(&v, pe.delivery_count);
  v.append(pe.consumer);
  LARDER_RETURN_IF_ERROR(db_->PutRecord(info_.version, PendingRecord(gid, pe.id), v));
  std::string q = ConsumerPelPrefix(gid, pe.consumer);
  AppendId(&q, pe.id);
  return db_->PutRecord(info_.version, q, "");
}

Status StreamKey::DeletePending(std::uint64_t gid, const PendingEntry& pe) {
  LARDER_RETURN_IF_ERROR(db_->DeleteRecord(info_.version, PendingRecord(gid, pe.id)));
  std::string q = ConsumerPelPrefix(gid, pe.consumer);
  AppendId(&q, pe.id);
  return db_->DeleteRecord(info_.version, q);
}

Result<std::vector<PendingEntry>> StreamKey::PendingRange(
    std::uint64_t gid, const std::optional<std::string>& consumer, StreamId start, StreamId end,
    std::uint64_t count, bool reverse) {
  std::vector<PendingEntry> out;
  if (start > end) return out;
  const std::string prefix =
      consumer ? ConsumerPelPrefix(gid, *consumer) : GidPrefix(kPendingTag, gid);
  std::unique_ptr<Cursor> it;
  if (!reverse) {
    std::string lo = prefix;
    AppendId(&lo, start);
    LARDER_ASSIGN_OR_RETURN(it, db_->Records(info_.version, lo));
  } else {
    std::string hi = prefix;
    AppendId(&hi, end);
    hi.push_back('\0');
    LARDER_ASSIGN_OR_RETURN(it, db_->Records(info_.version, hi, /*reverse=*/true));
  }
  std::vector<StreamId> ids;
  std::uint64_t n = 0;
  for (; it->Valid() && (count == 0 || n < count); it->Next(), ++n) {
    std::string_view k = it->key();
    if (!k.starts_with(prefix) || k.size() != prefix.size() + 16) break;
    const StreamId id = ReadId(k.substr(prefix.size()));
    if (reverse ? id < start : id > end) break;
    if (consumer) {
      ids.push_back(id);
      continue;
    }
    PendingEntry pe;
    pe.id = id;
    if (!DecodePending(it->value(), &pe)) return Bad("pending entry");
    out.push_back(std::move(pe));
  }
  LARDER_RETURN_IF_ERROR(it->status());
  it.reset();
  for (StreamId id : ids) {
    LARDER_ASSIGN_OR_RETURN(std::optional<PendingEntry> pe, GetPending(gid, id));
    if (!pe) return Bad("consumer pending index");
    out.push_back(std::move(*pe));
  }
  return out;
}

// ---- Consumers ----

namespace {
std::string ConsumerRecord(std::uint64_t gid, std::string_view name) {
  std::string r = GidPrefix(kConsumerTag, gid);
  r.append(name);
  return r;
}
bool DecodeConsumer(std::string_view v, ConsumerMeta* c) {
  std::uint64_t seen;
  if (!GetBe64(&v, &seen) || !GetVarint64(&v, &c->pending) || !v.empty()) return false;
  c->seen_time = static_cast<std::int64_t>(seen);
  return true;
}
}  // namespace

Result<std::optional<ConsumerMeta>> StreamKey::GetConsumer(std::uint64_t gid,
                                                           std::string_view name) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                          db_->GetRecord(info_.version, ConsumerRecord(gid, name)));
  if (!raw) return std::optional<ConsumerMeta>();
  ConsumerMeta c{.name = std::string(name)};
  if (!DecodeConsumer(*raw, &c)) return Bad("consumer");
  return std::optional<ConsumerMeta>(std::move(c));
}

Status StreamKey::PutConsumer(std::uint64_t gid, const ConsumerMeta& c) {
  std::string v;
  enc::AppendBe64(&v, static_cast<std::uint64_t>(c.seen_time));
  PutVarint64(&v, c.pending);
  return db_->PutRecord(info_.version, ConsumerRecord(gid, c.name), v);
}

Status StreamKey::DeleteConsumer(std::uint64_t gid, std::string_view name) {
  return db_->DeleteRecord(info_.version, ConsumerRecord(gid, name));
}

Result<std::vector<ConsumerMeta>> StreamKey::Consumers(std::uint64_t gid) {
  std::vector<ConsumerMeta> out;
  const std::string prefix = GidPrefix(kConsumerTag, gid);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_->Records(info_.version, prefix));
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ConsumerMeta c{.name = std::string(it->key().substr(prefix.size()))};
    if (!DecodeConsumer(it->value(), &c)) return Bad("consumer");
    out.push_back(std::move(c));
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace larder::server::streams
