// DBImpl's reads: range queries, series info, statistics, the check.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tsdb/aggregate.h"
#include "tsdb/db_impl.h"
#include "tsdb/extent.h"
#include "tsdb/page_codec.h"

namespace larder::tsdb {

Result<std::shared_ptr<File>> DBImpl::Reader(Pair* pair) {
  std::lock_guard<std::mutex> l(pair->reader_mu);
  if (pair->reader == nullptr) {
    LARDER_ASSIGN_OR_RETURN(
        std::unique_ptr<File> f,
        fs_->Open(pair->data_path, {.read_only = true, .direct_io = options_.direct_io}));
    pair->reader = std::move(f);
  }
  return pair->reader;
}

// The page `ref` as a view into its decompressed extent, held by `*extent`. The extent comes
// from `*extent` when it is the same one (the previous page of this query), else from the page
// cache, else from the datafile (checked, decompressed, and cached when `use_cache`).
Status DBImpl::ReadPage(Pair* pair, const PageRef& ref, bool use_cache, ExtentHandle* extent,
                        std::string_view* page) {
  const PageKey key{ref.pair, ref.extent_offset, 0};
  if (extent->raw == nullptr || !(extent->key == key)) {
    extent->key = key;
    extent->raw = use_cache ? cache_.Lookup(key) : nullptr;
  }
  if (extent->raw == nullptr) {
    LARDER_ASSIGN_OR_RETURN(std::shared_ptr<File> f, Reader(pair));
    std::string bytes;
    if (f->direct_io()) {
      const std::size_t a = f->alignment();
      const std::uint64_t begin = AlignedBuffer::RoundDown(ref.extent_offset, a);
      const std::uint64_t end = AlignedBuffer::RoundUp(ref.extent_offset + ref.extent_size, a);
      AlignedBuffer buf(a, end - begin);
      LARDER_ASSIGN_OR_RETURN(std::size_t got, f->ReadAt(begin, buf.span().first(end - begin)));
      if (got >= ref.extent_offset + ref.extent_size - begin) {
        bytes.assign(reinterpret_cast<const char*>(buf.data()) + (ref.extent_offset - begin),
                     ref.extent_size);
      }
    } else {
      bytes.resize(ref.extent_size);
      LARDER_ASSIGN_OR_RETURN(
          std::size_t got,
          f->ReadAt(ref.extent_offset,
                    {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}));
      bytes.resize(got);
    }
    auto raw = std::make_shared<std::string>();
    LARDER_RETURN_IF_ERROR(DecodeExtent(bytes, pair->data_path, ref.extent_offset, raw.get()));
    extent->raw = std::move(raw);
    if (use_cache) cache_.Insert(key, extent->raw);
  }
  if (std::uint64_t{ref.raw_offset} + ref.raw_length > extent->raw->size()) {
    return Status::Corruption(fmt::format("{}: extent at offset {}: page past its end",
                                          pair->data_path, ref.extent_offset));
  }
  *page = std::string_view(*extent->raw).substr(ref.raw_offset, ref.raw_length);
  return Status::Ok();
}

Status DBImpl::Range(SeriesId id, std::int64_t from, std::int64_t to, const RangeOptions& options,
                     std::vector<Sample>* out) {
  if (options.bucket_ms < 0) return Status::InvalidArgument("tsdb: negative bucket");
  if (options.bucket_ms > 0 && options.aggregation == Aggregation::kTwa) {
    return Status::InvalidArgument("tsdb: twa is not an engine aggregation");
  }
  std::vector<PageRef> refs;
  std::map<std::uint32_t, std::shared_ptr<Pair>> pairs;
  std::vector<Sample> memory;  // pending and hot samples, newer than every page
  DeletedRanges deleted;       // a copy: Delete may change the series' meanwhile
  std::vector<Sample> late;    // Upsert's samples in the range, laid over the rest
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return Status::InvalidArgument("tsdb: the engine is closed");
    if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
    const Series& s = *series_[id];
    deleted = s.deleted;
    for (auto it = s.late.lower_bound(from); it != s.late.end() && it->first <= to; ++it) {
      late.push_back({it->first, it->second});
    }
    for (const PageRef& r : s.pages) {
      if (r.end < from || r.start > to) continue;
      auto it = pairs_.find(r.pair);
      if (it == pairs_.end()) continue;
      refs.push_back(r);
      pairs[r.pair] = it->second;
    }
    for (const auto& p : pending_) {
      if (p->id != id) continue;
      for (const Sample& x : p->samples) {
        if (x.time_ms >= from && x.time_ms <= to) memory.push_back(x);
      }
    }
    s.hot.AppendTo(from, to, &memory);
  }
  auto gone = [&](const Sample& x) { return deleted.Contains(x.time_ms); };
  if (!deleted.empty()) std::erase_if(memory, gone);
  // Newest-first with a limit reads pages from the newest back until it has enough.
  const bool newest_only = options.limit > 0 && options.reverse && options.bucket_ms == 0;
  std::vector<std::vector<Sample>> parts;  // per page read, oldest first
  std::size_t have = memory.size();
  ExtentHandle extent;
  for (std::size_t k = 0; k < refs.size(); ++k) {
    if (newest_only && have >= options.limit) break;
    const PageRef& r = newest_only ? refs[refs.size() - 1 - k] : refs[k];
    std::string_view page;
    const Status read = ReadPage(pairs[r.pair].get(), r, /*use_cache=*/true, &extent, &page);
    // The quota may delete the pair after the references were copied: its time is gone.
    if (read.IsNotFound()) continue;
    LARDER_RETURN_IF_ERROR(read);
    std::vector<Sample> decoded;
    const Status s = DecodePage(page, &decoded);
    if (!s.ok()) {
      return Status::Corruption(fmt::format("{}: extent at offset {}, page at {}: {}",
                                            pairs[r.pair]->data_path, r.extent_offset, r.raw_offset,
                                            s.message()));
    }
    std::erase_if(decoded, [&](const Sample& x) {
      return x.time_ms < from || x.time_ms > to || (!deleted.empty() && gone(x));
    });
    have += decoded.size();
    parts.push_back(std::move(decoded));
  }
  if (newest_only) std::reverse(parts.begin(), parts.end());
  std::vector<Sample> samples;
  for (const auto& p : parts) samples.insert(samples.end(), p.begin(), p.end());
  samples.insert(samples.end(), memory.begin(), memory.end());
  if (!late.empty()) {
    // Merge by time; a late sample replaces a stored one at its time.
    std::vector<Sample> merged;
    merged.reserve(samples.size() + late.size());
    std::size_t i = 0, j = 0;
    while (i < samples.size() || j < late.size()) {
      if (j == late.size() || (i < samples.size() && samples[i].time_ms < late[j].time_ms)) {
        merged.push_back(samples[i++]);
      } else {
        if (i < samples.size() && samples[i].time_ms == late[j].time_ms) ++i;
        merged.push_back(late[j++]);
      }
    }
    samples = std::move(merged);
  }
  const std::size_t first = out->size();
  if (options.bucket_ms > 0) {
    AggregateBuckets(samples, options.bucket_ms, options.aggregation, out);
  } else if (options.limit > 0 && options.limit < samples.size()) {
    const auto n = static_cast<std::ptrdiff_t>(options.limit);
    if (options.reverse) {
      out->insert(out->end(), samples.end() - n, samples.end());
    } else {
      out->insert(out->end(), samples.begin(), samples.begin() + n);
    }
  } else {
    out->insert(out->end(), samples.begin(), samples.end());
  }
  if (options.reverse) std::reverse(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
  return Status::Ok();
}

Result<SeriesInfo> DBImpl::Info(SeriesId id) {
  std::lock_guard<std::mutex> l(mu_);
  if (LiveLocked(id) == nullptr) return Status::NotFound("tsdb: no such series");
  const Series& s = *series_[id];
  SeriesInfo info;
  info.id = s.id;
  info.name = s.name;
  info.interval_ms = s.interval;
  info.last_time_ms = s.last_time;
  info.pages_on_disk = s.pages.size();
  info.hot_samples = s.hot.count();
  if (!s.pages.empty()) {
    info.first_time_ms = s.pages.front().start;
  } else {
    for (const auto& p : pending_) {
      if (p->id == id) {
        info.first_time_ms = p->samples.front().time_ms;
        break;
      }
    }
    if (info.first_time_ms < 0 && !s.hot.empty()) info.first_time_ms = s.hot.first_time();
  }
  if (!s.late.empty() && (info.first_time_ms < 0 || s.late.begin()->first < info.first_time_ms)) {
    info.first_time_ms = s.late.begin()->first;
  }
  return info;
}

std::vector<SeriesInfo> DBImpl::ListSeries() {
  std::size_t n = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    n = series_.size();
  }
  std::vector<SeriesInfo> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto info = Info(static_cast<SeriesId>(i));
    if (info.ok()) out.push_back(std::move(*info));
  }
  return out;
}

Stats DBImpl::GetStats() {
  Stats st;
  {
    std::lock_guard<std::mutex> l(mu_);
    st = stats_;
    st.pairs = static_cast<std::uint32_t>(pairs_.size());
  }
  st.cache_bytes = cache_.bytes();
  st.cache_hits = cache_.hits();
  st.cache_misses = cache_.misses();
  return st;
}

Status DBImpl::Check(std::uint64_t* problems) {
  *problems = 0;
  std::vector<std::pair<PageRef, std::shared_ptr<Pair>>> refs;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& s : series_) {
      for (const PageRef& r : s->pages) {
        auto it = pairs_.find(r.pair);
        if (it != pairs_.end()) refs.emplace_back(r, it->second);
      }
    }
  }
  std::sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.pair, a.first.extent_offset, a.first.raw_offset) <
           std::tie(b.first.pair, b.first.extent_offset, b.first.raw_offset);
  });
  Status first;
  ExtentHandle extent;
  std::set<std::pair<std::uint32_t, std::uint64_t>> bad_extents;
  for (const auto& [r, pair] : refs) {
    if (bad_extents.count({r.pair, r.extent_offset}) != 0) continue;
    std::string_view page;
    Status s = ReadPage(pair.get(), r, /*use_cache=*/false, &extent, &page);
    if (!s.ok()) {
      bad_extents.insert({r.pair, r.extent_offset});
      extent.raw.reset();
    } else {
      std::vector<Sample> decoded;
      s = DecodePage(page, &decoded);
      if (s.ok() && (decoded.front().time_ms != r.start || decoded.back().time_ms != r.end)) {
        s = Status::Corruption("page times disagree with the journal");
      }
      if (!s.ok()) {
        s = Status::Corruption(fmt::format("{}: extent at offset {}, page at {}: {}",
                                           pair->data_path, r.extent_offset, r.raw_offset,
                                           s.message()));
      }
    }
    if (!s.ok()) {
      ++*problems;
      if (first.ok()) first = s;
    }
  }
  return first;
}

}  // namespace larder::tsdb
