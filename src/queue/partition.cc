#include "queue/partition.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/logging.h"

namespace larder::queue {

namespace {

Status BadKey(std::string_view what, std::string_view key) {
  return Status::Corruption(
      fmt::format("queue partition: bad {} key of {} bytes", what, key.size()));
}

// Reads payload records in (mostly) ascending origin order, as a lease meets them: one
// iterator stepped forward instead of a point lookup each (a lookup probes every level's
// filter; the ready range's items were produced in order, so their payloads are neighbours).
class PayloadReader {
 public:
  explicit PayloadReader(kv::Store* store) : store_(store) {}

  // The record of `origin`, valid until the next call. Corruption when it is missing.
  Result<std::string_view> Find(std::uint64_t origin) {
    const std::string key = TagKey(kPayloadTag, origin);
    if (it_ == nullptr) {
      LARDER_ASSIGN_OR_RETURN(it_, store_->NewIterator({.lower_bound = lo_, .upper_bound = hi_}));
      it_->Seek(key);
    } else {
      // A few steps forward are cheaper than a seek through every level; else seek.
      for (int steps = 0; it_->Valid() && it_->key() < key; ++steps) {
        if (steps == 4) {
          it_->Seek(key);
          break;
        }
        it_->Next();
      }
      if (it_->Valid() && it_->key() > key) it_->Seek(key);  // an older item, redelivered
    }
    LARDER_RETURN_IF_ERROR(it_->status());
    if (!it_->Valid() || it_->key() != key) {
      return Status::Corruption(fmt::format("queue partition: payload {} is missing", origin));
    }
    return it_->value();
  }

 private:
  kv::Store* const store_;
  const std::string lo_ = std::string(1, kPayloadTag), hi_ = TagEnd(kPayloadTag);
  std::unique_ptr<kv::Iterator> it_;
};

}  // namespace

void Partition::TimedRange::Added(std::string_view key, std::int64_t at_ms) {
  if (floor.empty() || key < floor) floor = std::string(key);
  next_ms = std::min(next_ms, at_ms);
}

Status Partition::TimedRange::StopAt(const kv::Iterator& it) {
  LARDER_RETURN_IF_ERROR(it.status());
  next_ms = std::numeric_limits<std::int64_t>::max();
  if (!it.Valid()) {
    floor = TagEnd(tag);
    return Status::Ok();
  }
  auto at = KeyNumber(it.key(), tag, 0, 2);
  if (!at) return BadKey("timed", it.key());
  floor = std::string(it.key());
  next_ms = static_cast<std::int64_t>(*at);
  return Status::Ok();
}

Partition::Partition(std::uint32_t number, std::unique_ptr<kv::Store> store)
    : number_(number), store_(std::move(store)) {}

Partition::~Partition() = default;

Result<std::unique_ptr<Partition>> Partition::Open(std::uint32_t number,
                                                   std::unique_ptr<kv::Store> store) {
  std::unique_ptr<Partition> p(new Partition(number, std::move(store)));
  LARDER_RETURN_IF_ERROR(p->Load());
  return p;
}

Status Partition::Load() {
  std::string v;
  Status s = store_->Get(kMetaKey, &v);
  if (s.ok()) {
    LARDER_ASSIGN_OR_RETURN(meta_, DecodeMeta(v));
  } else if (s.code() != Code::kNotFound) {
    return s;
  }
  // The leases: bounded by the items in flight.
  const std::string lo(1, kLeasedTag), hi = TagEnd(kLeasedTag);
  LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto seq = KeyNumber(it->key(), kLeasedTag);
    if (!seq) return BadKey("lease", it->key());
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
    leases_[*seq] = {.origin = e.origin,
                     .attempts = e.attempts,
                     .deadline_ms = e.time_ms,
                     .expires_ms = e.expires_ms};
    lease_deadlines_.insert({e.time_ms, *seq});
  }
  LARDER_RETURN_IF_ERROR(it->status());
  LARDER_RETURN_IF_ERROR(LoadTimedRange(&scheduled_));
  return LoadTimedRange(&expiry_);
}

Status Partition::LoadTimedRange(TimedRange* range) {
  // One walk from the range's start, past whatever deletions compaction has not dropped yet;
  // from then on scans start at the floor.
  const std::string lo(1, range->tag), hi = TagEnd(range->tag);
  LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
  it->SeekToFirst();
  return range->StopAt(*it);
}

std::string Partition::IdOf(std::uint64_t seq) const { return fmt::format("{}-{}", number_, seq); }

Status Partition::Commit(kv::WriteBatch* batch) {
  batch->Put(kMetaKey, EncodeMeta(meta_));
  LARDER_RETURN_IF_ERROR(store_->Write({.sync = false, .buffer = true}, *batch));
  written_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

Status Partition::SyncThrough(std::uint64_t w) {
  MutexLock l(&sync_mu_);
  if (closed_ || synced_ >= w) return Status::Ok();  // a sync began after batch w was written
  const std::uint64_t target = written();
  LARDER_RETURN_IF_ERROR(store_->SyncWrites());
  synced_ = std::max(synced_, target);
  return Status::Ok();
}

Status Partition::Close() {
  MutexLock l(&sync_mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  return store_->Close();
}

void Partition::Enqueue(kv::WriteBatch* b, const EntryRecord& e, std::int64_t delay_ms,
                        std::int64_t now_ms) {
  const std::uint64_t seq = meta_.next_seq++;
  std::string key;
  if (delay_ms > 0) {
    const std::int64_t due = now_ms + delay_ms;
    key = TagKey(kScheduledTag, static_cast<std::uint64_t>(due), seq);
    b->Put(key,
           EncodeEntry({.origin = e.origin, .attempts = e.attempts, .expires_ms = e.expires_ms}));
    scheduled_.Added(key, due);
    ++meta_.scheduled;
  } else {
    key = TagKey(kReadyTag, seq);
    b->Put(key, EncodeEntry({.origin = e.origin,
                             .attempts = e.attempts,
                             .time_ms = now_ms,
                             .expires_ms = e.expires_ms}));
    ++meta_.ready;
  }
  if (e.expires_ms > 0) {
    const std::string ek = TagKey(kExpiryTag, static_cast<std::uint64_t>(e.expires_ms), e.origin);
    b->Put(ek, key);
    expiry_.Added(ek, e.expires_ms);
  }
}

void Partition::ToOutbox(kv::WriteBatch* b, std::uint64_t origin, std::uint32_t attempts,
                         std::int64_t expires_ms, std::string_view reason) {
  if (expires_ms > 0) {
    b->Delete(TagKey(kExpiryTag, static_cast<std::uint64_t>(expires_ms), origin));
  }
  b->Put(TagKey(kOutboxTag, meta_.next_seq++),
         EncodeEntry({.origin = origin, .attempts = attempts, .client = reason}));
  ++meta_.outbox;
}

Status Partition::Produce(std::span<const std::string_view> payloads, const ProduceOptions& options,
                          const QueueSettings& settings, std::int64_t now_ms,
                          std::vector<std::string>* ids) {
  kv::WriteBatch b;
  const std::int64_t expires =
      settings.expire_timeout_ms > 0 ? now_ms + settings.expire_timeout_ms : 0;
  const std::int64_t delay = options.due_ms > now_ms ? options.due_ms - now_ms : 0;
  for (std::string_view payload : payloads) {
    const std::uint64_t origin = meta_.next_seq;
    b.Put(TagKey(kPayloadTag, origin), EncodePayload({.created_ms = now_ms,
                                                      .expires_ms = expires,
                                                      .reference = options.reference,
                                                      .kind = options.kind,
                                                      .payload = payload}));
    // The entry takes the next seq, which is `origin`: a new item's id is its payload's key.
    Enqueue(&b, {.origin = origin, .attempts = 0, .expires_ms = expires}, delay, now_ms);
    ids->push_back(IdOf(origin));
  }
  return Commit(&b);
}

Status Partition::Lease(std::uint32_t n, std::string_view client, const QueueSettings& settings,
                        std::int64_t now_ms, std::vector<LeasedItem>* out) {
  if (n == 0 || meta_.ready == 0) return Status::Ok();
  // From the head, never from the range's start: what lies below it is deleted.
  const std::string lo = TagKey(kReadyTag, meta_.ready_head), hi = TagEnd(kReadyTag);
  LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
  PayloadReader payloads(store_.get());
  kv::WriteBatch b;
  const std::int64_t deadline = now_ms + settings.lease_timeout_ms;
  std::uint32_t taken = 0;
  for (it->SeekToFirst(); it->Valid() && taken < n; it->Next()) {
    auto seq = KeyNumber(it->key(), kReadyTag);
    if (!seq) return BadKey("ready", it->key());
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
    meta_.ready_head = *seq + 1;
    --meta_.ready;
    b.Delete(it->key());
    if (e.expires_ms > 0 && now_ms >= e.expires_ms) {
      ToOutbox(&b, e.origin, e.attempts, e.expires_ms, kReasonExpired);
      continue;
    }
    LARDER_ASSIGN_OR_RETURN(std::string_view payload_record, payloads.Find(e.origin));
    LARDER_ASSIGN_OR_RETURN(PayloadRecord rec, DecodePayload(payload_record));
    const std::uint32_t attempts = e.attempts + 1;
    b.Put(TagKey(kLeasedTag, *seq), EncodeEntry({.origin = e.origin,
                                                 .attempts = attempts,
                                                 .time_ms = deadline,
                                                 .expires_ms = e.expires_ms,
                                                 .client = client}));
    // While leased, an item does not expire (its lease's end checks).
    if (e.expires_ms > 0) {
      b.Delete(TagKey(kExpiryTag, static_cast<std::uint64_t>(e.expires_ms), e.origin));
    }
    leases_[*seq] = {.origin = e.origin,
                     .attempts = attempts,
                     .deadline_ms = deadline,
                     .expires_ms = e.expires_ms};
    lease_deadlines_.insert({deadline, *seq});
    ++meta_.leased;
    out->push_back({.id = IdOf(*seq),
                    .attempts = attempts,
                    .deadline_ms = deadline,
                    .payload = std::string(rec.payload)});
    ++taken;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (b.empty()) return Status::Ok();
  return Commit(&b);
}

Status Partition::Complete(std::span<const std::uint64_t> seqs) {
  kv::WriteBatch b;
  for (std::uint64_t seq : seqs) {
    auto it = leases_.find(seq);
    if (it == leases_.end()) continue;  // REQUIRES says leased; a repeat within the batch
    b.Delete(TagKey(kLeasedTag, seq));
    b.Delete(TagKey(kPayloadTag, it->second.origin));
    lease_deadlines_.erase({it->second.deadline_ms, seq});
    leases_.erase(it);
    --meta_.leased;
  }
  if (b.empty()) return Status::Ok();
  return Commit(&b);
}

void Partition::EndLease(kv::WriteBatch* b, std::uint64_t seq, std::int64_t delay_ms, bool dead,
                         const QueueSettings& settings, std::int64_t now_ms) {
  auto it = leases_.find(seq);
  if (it == leases_.end()) return;
  const LeaseState l = it->second;
  lease_deadlines_.erase({l.deadline_ms, seq});
  leases_.erase(it);
  --meta_.leased;
  b->Delete(TagKey(kLeasedTag, seq));
  const bool used_up = settings.max_attempts > 0 && l.attempts >= settings.max_attempts;
  const bool expired = l.expires_ms > 0 && now_ms >= l.expires_ms;
  if (dead || used_up || expired) {
    // (ToOutbox deletes an expiry index entry; a leased item has none, so that is a no-op.)
    ToOutbox(b, l.origin, l.attempts, 0,
             dead      ? kReasonRetryDead
             : used_up ? kReasonMaxAttempts
                       : kReasonExpired);
    return;
  }
  Enqueue(b, {.origin = l.origin, .attempts = l.attempts, .expires_ms = l.expires_ms}, delay_ms,
          now_ms);
}

Status Partition::Retry(std::span<const std::uint64_t> seqs, std::int64_t delay_ms, bool dead,
                        const QueueSettings& settings, std::int64_t now_ms) {
  kv::WriteBatch b;
  for (std::uint64_t seq : seqs) EndLease(&b, seq, delay_ms, dead, settings, now_ms);
  if (b.empty()) return Status::Ok();
  return Commit(&b);
}

std::int64_t Partition::NextDue() const {
  std::int64_t due = std::min(scheduled_.next_ms, expiry_.next_ms);
  if (!lease_deadlines_.empty()) due = std::min(due, lease_deadlines_.begin()->first);
  return due;
}

Status Partition::TickScheduled(kv::WriteBatch* b, std::int64_t now_ms, std::size_t* budget) {
  if (scheduled_.next_ms > now_ms || *budget == 0) return Status::Ok();
  const std::string hi = TagEnd(kScheduledTag);
  LARDER_ASSIGN_OR_RETURN(
      auto it, store_->NewIterator({.lower_bound = scheduled_.floor, .upper_bound = hi}));
  it->SeekToFirst();
  for (; it->Valid(); it->Next()) {
    auto due = KeyNumber(it->key(), kScheduledTag, 0, 2);
    if (!due) return BadKey("scheduled", it->key());
    if (static_cast<std::int64_t>(*due) > now_ms || *budget == 0) break;
    --*budget;
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
    b->Delete(it->key());
    --meta_.scheduled;
    if (e.expires_ms > 0 && now_ms >= e.expires_ms) {
      ToOutbox(b, e.origin, e.attempts, e.expires_ms, kReasonExpired);
    } else {
      Enqueue(b, e, 0, now_ms);  // rewrites the expiry index entry to the ready key
    }
  }
  return scheduled_.StopAt(*it);
}

Status Partition::TickExpiry(kv::WriteBatch* b, std::int64_t now_ms, std::size_t* budget) {
  if (expiry_.next_ms > now_ms || *budget == 0) return Status::Ok();
  const std::string hi = TagEnd(kExpiryTag);
  LARDER_ASSIGN_OR_RETURN(auto it,
                          store_->NewIterator({.lower_bound = expiry_.floor, .upper_bound = hi}));
  it->SeekToFirst();
  std::string entry_value;
  for (; it->Valid(); it->Next()) {
    auto at = KeyNumber(it->key(), kExpiryTag, 0, 2);
    auto origin = KeyNumber(it->key(), kExpiryTag, 1, 2);
    if (!at || !origin) return BadKey("expiry", it->key());
    if (static_cast<std::int64_t>(*at) > now_ms || *budget == 0) break;
    --*budget;
    // The index names the item's ready or scheduled entry; this batch may already have moved
    // it (a scheduled item made ready above rewrote the index: that put wins over our delete
    // only if it comes later, so the entry is checked in the store, as of before this batch).
    const std::string entry_key(it->value());
    Status s = store_->Get(entry_key, &entry_value);
    if (s.code() == Code::kNotFound) {
      b->Delete(it->key());  // a stale index entry
      continue;
    }
    LARDER_RETURN_IF_ERROR(s);
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(entry_value));
    b->Delete(entry_key);
    if (!entry_key.empty() && entry_key[0] == kReadyTag) {
      --meta_.ready;
    } else {
      --meta_.scheduled;
    }
    ToOutbox(b, e.origin, e.attempts, e.expires_ms, kReasonExpired);
  }
  return expiry_.StopAt(*it);
}

Status Partition::Tick(const QueueSettings& settings, std::int64_t now_ms, std::size_t limit) {
  if (NextDue() > now_ms) return Status::Ok();
  std::size_t budget = limit;
  // Three state changes, each its own batch: the scans read the store, so each must see the
  // previous one applied (an item expired out of the scheduled range must not also be made
  // ready by the scheduled scan).
  kv::WriteBatch b;
  while (!lease_deadlines_.empty() && lease_deadlines_.begin()->first <= now_ms && budget > 0) {
    --budget;
    EndLease(&b, lease_deadlines_.begin()->second, 0, false, settings, now_ms);
  }
  if (!b.empty()) LARDER_RETURN_IF_ERROR(Commit(&b));
  b.Clear();
  LARDER_RETURN_IF_ERROR(TickExpiry(&b, now_ms, &budget));
  if (!b.empty()) LARDER_RETURN_IF_ERROR(Commit(&b));
  b.Clear();
  LARDER_RETURN_IF_ERROR(TickScheduled(&b, now_ms, &budget));
  if (!b.empty()) LARDER_RETURN_IF_ERROR(Commit(&b));
  return Status::Ok();
}

Result<std::vector<OutboxItem>> Partition::Outbox(std::size_t max) {
  std::vector<OutboxItem> out;
  if (meta_.outbox == 0) return out;
  const std::string lo(1, kOutboxTag), hi = TagEnd(kOutboxTag);
  LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
  std::string buf;
  for (it->SeekToFirst(); it->Valid() && out.size() < max; it->Next()) {
    auto seq = KeyNumber(it->key(), kOutboxTag);
    if (!seq) return BadKey("outbox", it->key());
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
    LARDER_RETURN_IF_ERROR(store_->Get(TagKey(kPayloadTag, e.origin), &buf));
    LARDER_ASSIGN_OR_RETURN(PayloadRecord rec, DecodePayload(buf));
    out.push_back({.outbox_seq = *seq,
                   .attempts = e.attempts,
                   .created_ms = rec.created_ms,
                   .reference = std::string(rec.reference),
                   .kind = std::string(rec.kind),
                   .payload = std::string(rec.payload),
                   .reason = std::string(e.client)});
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

Status Partition::DropFromOutbox(std::span<const std::uint64_t> outbox_seqs) {
  kv::WriteBatch b;
  std::string buf;
  for (std::uint64_t seq : outbox_seqs) {
    const std::string key = TagKey(kOutboxTag, seq);
    Status s = store_->Get(key, &buf);
    if (s.code() == Code::kNotFound) continue;
    LARDER_RETURN_IF_ERROR(s);
    LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(buf));
    b.Delete(key);
    b.Delete(TagKey(kPayloadTag, e.origin));
    --meta_.outbox;
    ++meta_.dead_lettered;
  }
  if (b.empty()) return Status::Ok();
  return Commit(&b);
}

Status Partition::AcceptDeadLetter(std::string_view source_id, const OutboxItem& item,
                                   const QueueSettings& settings, std::int64_t now_ms,
                                   std::string* id) {
  const std::string marker = TagKey(kDeadMarkerTag, source_id);
  Status s = store_->Get(marker, id);
  if (s.ok()) return Status::Ok();  // arrived before a crash
  if (s.code() != Code::kNotFound) return s;
  kv::WriteBatch b;
  const std::uint64_t origin = meta_.next_seq;
  // Keeps its creation time and its deliveries; expires by this queue's setting from then.
  const std::int64_t expires =
      settings.expire_timeout_ms > 0 ? item.created_ms + settings.expire_timeout_ms : 0;
  b.Put(TagKey(kPayloadTag, origin), EncodePayload({.created_ms = item.created_ms,
                                                    .expires_ms = expires,
                                                    .reference = item.reference,
                                                    .kind = item.kind,
                                                    .payload = item.payload}));
  Enqueue(&b, {.origin = origin, .attempts = item.attempts, .expires_ms = expires}, 0, now_ms);
  *id = IdOf(origin);
  b.Put(marker, *id);
  return Commit(&b);
}

Status Partition::ForgetDeadLetterMarkers(std::span<const std::string> source_ids) {
  kv::WriteBatch b;
  for (const std::string& s : source_ids) b.Delete(TagKey(kDeadMarkerTag, std::string_view(s)));
  if (b.empty()) return Status::Ok();
  return Commit(&b);
}

Status Partition::Clear(std::size_t chunk) {
  // Item by item through each state's entries, so every batch leaves exact counters.
  for (char tag : {kReadyTag, kScheduledTag, kLeasedTag, kOutboxTag}) {
    const std::string lo =
        tag == kReadyTag ? TagKey(kReadyTag, meta_.ready_head) : std::string(1, tag);
    const std::string hi = TagEnd(tag);
    while (true) {
      LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
      kv::WriteBatch b;
      std::size_t n = 0;
      for (it->SeekToFirst(); it->Valid() && n < chunk; it->Next(), ++n) {
        LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
        b.Delete(it->key());
        b.Delete(TagKey(kPayloadTag, e.origin));
        if (e.expires_ms > 0) {
          b.Delete(TagKey(kExpiryTag, static_cast<std::uint64_t>(e.expires_ms), e.origin));
        }
        switch (tag) {
          case kReadyTag:
            --meta_.ready;
            break;
          case kScheduledTag:
            --meta_.scheduled;
            break;
          case kLeasedTag:
            --meta_.leased;
            break;
          default:
            --meta_.outbox;
        }
      }
      LARDER_RETURN_IF_ERROR(it->status());
      if (n == 0) break;
      if (tag == kReadyTag && meta_.ready == 0) meta_.ready_head = meta_.next_seq;
      LARDER_RETURN_IF_ERROR(Commit(&b));
    }
  }
  leases_.clear();
  lease_deadlines_.clear();
  scheduled_.next_ms = expiry_.next_ms = std::numeric_limits<std::int64_t>::max();
  return Status::Ok();
}

Result<PartitionStats> Partition::Stats(std::int64_t now_ms) {
  PartitionStats st{.ready = meta_.ready,
                    .leased = meta_.leased,
                    .scheduled = meta_.scheduled,
                    .dead_lettered = meta_.dead_lettered};
  if (meta_.ready > 0) {
    const std::string lo = TagKey(kReadyTag, meta_.ready_head), hi = TagEnd(kReadyTag);
    LARDER_ASSIGN_OR_RETURN(auto it, store_->NewIterator({.lower_bound = lo, .upper_bound = hi}));
    it->SeekToFirst();
    LARDER_RETURN_IF_ERROR(it->status());
    if (it->Valid()) {
      LARDER_ASSIGN_OR_RETURN(EntryRecord e, DecodeEntry(it->value()));
      st.oldest_ms = std::max<std::int64_t>(0, now_ms - e.time_ms);
    }
  }
  return st;
}

}  // namespace larder::queue
