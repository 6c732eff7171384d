// Table (table.h).
#include "lsm/table.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "lsm/table_iterator.h"

namespace larder::lsm {
namespace {

Status TableCorruption(std::string_view file, std::string_view what) {
  return Status::Corruption(fmt::format("{}: {}", file, what));
}

// A mapped_blocks_ word: checked and stored uncompressed (BlockLayout in the low 62 bits:
// restarts_offset in bits 0-31, num_restarts, below 2^30 for a block under 4 GiB, above), or
// stored compressed.
constexpr std::uint64_t kMappedView = std::uint64_t{1} << 63;
constexpr std::uint64_t kMappedCompressed = std::uint64_t{1} << 62;
constexpr std::uint32_t kNumRestartsMask = (std::uint32_t{1} << 30) - 1;

}  // namespace

Table::~Table() = default;

Status Table::ReadMetaBlock(BlockHandle h, std::string_view what, std::string* out) const {
  LARDER_ASSIGN_OR_RETURN(*out, ReadBlockContents(*file_, h, /*verify=*/true, what));
  return Status::Ok();
}

Result<std::unique_ptr<Table>> Table::Open(std::unique_ptr<File> file, std::uint64_t file_size,
                                           std::uint64_t cache_id, BlockCache* cache,
                                           bool verify_checksums, bool map_file) {
  const std::string& path = file->path();
  if (file_size < Footer::kSize) {
    return TableCorruption(path, fmt::format("{} bytes: too short for a table", file_size));
  }
  std::string buf(Footer::kSize, '\0');
  auto got = file->ReadAt(file_size - Footer::kSize,
                          {reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
  if (!got.ok()) return got.status().WithContext(path);
  if (*got != buf.size()) return TableCorruption(path, "truncated footer");
  LARDER_ASSIGN_OR_RETURN(Footer footer, Footer::Decode(buf, path));

  // Every block lies before the footer; the data blocks before every other block.
  const std::uint64_t blocks_end = file_size - Footer::kSize;
  std::uint64_t data_end = blocks_end;
  const std::pair<BlockHandle, const char*> handles[] = {{footer.index, "index"},
                                                         {footer.filter, "filter"},
                                                         {footer.properties, "properties"},
                                                         {footer.range_deletions, "range dels"}};
  for (const auto& [h, name] : handles) {
    if (h.empty()) continue;
    if (h.offset > blocks_end || h.size > blocks_end - h.offset ||
        blocks_end - h.offset - h.size < kBlockTrailerSize) {
      return TableCorruption(
          path, fmt::format("{} block handle ({}, {}) outside the file", name, h.offset, h.size));
    }
    data_end = std::min(data_end, h.offset);
  }
  if (footer.index.empty() || footer.properties.empty()) {
    return TableCorruption(path, "footer without index or properties");
  }

  auto table = std::unique_ptr<Table>(new Table());
  table->file_ = std::move(file);
  table->file_size_ = file_size;
  table->data_end_ = data_end;
  table->cache_id_ = cache_id;
  table->cache_ = cache;
  table->footer_ = footer;
  if (map_file) {
    // The footer was read whole above, so the file holds file_size bytes (tables never shrink).
    auto mapped = table->file_->Map(static_cast<std::size_t>(file_size));
    if (mapped.ok()) table->map_ = std::move(*mapped);
  }

  std::string contents;
  LARDER_RETURN_IF_ERROR(table->ReadMetaBlock(footer.properties, "properties", &contents));
  Status s = table->props_.DecodeFrom(contents);
  if (!s.ok()) {
    return TableCorruption(path, fmt::format("properties block at offset {}: {}",
                                             footer.properties.offset, s.message()));
  }
  LARDER_RETURN_IF_ERROR(table->ReadMetaBlock(footer.index, "index", &contents));
  LARDER_ASSIGN_OR_RETURN(table->index_,
                          Block::Create(std::move(contents), {path, footer.index.offset}));
  if (!footer.filter.empty()) {
    LARDER_RETURN_IF_ERROR(table->ReadMetaBlock(footer.filter, "filter", &contents));
    s = table->filter_.Init(std::move(contents));
    if (!s.ok()) {
      return TableCorruption(
          path, fmt::format("filter block at offset {}: {}", footer.filter.offset, s.message()));
    }
  }
  if (!footer.range_deletions.empty()) {
    LARDER_RETURN_IF_ERROR(
        table->ReadMetaBlock(footer.range_deletions, "range-deletion", &contents));
    LARDER_ASSIGN_OR_RETURN(
        table->range_dels_,
        Block::Create(std::move(contents), {path, footer.range_deletions.offset}));
  }
  table->InitBlockNumbering();
  if (verify_checksums) {
    auto it = table->NewIndexIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      BlockHandle h;
      LARDER_RETURN_IF_ERROR(table->DecodeIndexValue(it->value(), &h));
      LARDER_RETURN_IF_ERROR(table->ReadDataBlock(h, true, false).status());
    }
    LARDER_RETURN_IF_ERROR(it->status());
  }
  return table;
}

void Table::InitBlockNumbering() {
  const std::uint32_t n = index_->num_restarts();
  auto prefixes = std::make_unique<std::uint64_t[]>(n);
  BlockIter it(*index_, BlockOrigin{path(), footer_.index.offset});
  std::uint32_t entries = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++entries) {
    // An entry between restart points, or past the count: not numbered (the reads still work,
    // through the index block alone).
    if (entries >= n || it.restart_index() != entries) return;
    prefixes[entries] = KeyHead(ExtractUserKey(it.key()));
  }
  if (!it.status().ok() || entries != n) return;
  index_prefixes_ = std::move(prefixes);
  num_blocks_ = n;
  if (map_ != nullptr) mapped_blocks_ = std::make_unique<std::atomic<std::uint64_t>[]>(n);
}

void Table::SeekIndex(std::string_view target, BlockIter* index) const {
  if (index_prefixes_ == nullptr || num_blocks_ == 0 || target.size() < kTrailerSize) {
    index->Seek(target);
    return;
  }
  // Entries [0, lo) sort below the target and [hi, n) above it, by their prefixes alone.
  const std::uint64_t p = KeyHead(ExtractUserKey(target));
  const std::uint64_t* begin = index_prefixes_.get();
  const std::uint64_t* end = begin + num_blocks_;
  const std::uint64_t* lo = std::lower_bound(begin, end, p);
  const std::uint64_t* hi = std::upper_bound(lo, end, p);
  const auto left = static_cast<std::uint32_t>(lo == begin ? 0 : lo - begin - 1);
  const auto right = static_cast<std::uint32_t>(hi == begin ? 0 : hi - begin - 1);
  index->SeekBetweenRestarts(target, left, right);
}

std::size_t Table::ApproximateMemoryUsage() const {
  return sizeof(*this) + index_->size() + filter_.size() +
         (range_dels_ != nullptr ? range_dels_->size() : 0) +
         std::size_t{num_blocks_} * sizeof(std::uint64_t) * (mapped_blocks_ != nullptr ? 2 : 1);
}

std::unique_ptr<BlockIter> Table::NewIndexIterator() const {
  return std::make_unique<BlockIter>(*index_, BlockOrigin{path(), footer_.index.offset});
}

Status Table::DecodeIndexValue(std::string_view value, BlockHandle* h) const {
  std::string_view in = value;
  if (!GetBlockHandle(&in, h) || !in.empty()) {
    return TableCorruption(
        path(), fmt::format("index block at offset {}: bad block handle", footer_.index.offset));
  }
  if (h->offset > data_end_ || h->size > data_end_ - h->offset ||
      data_end_ - h->offset - h->size < kBlockTrailerSize) {
    return TableCorruption(path(), fmt::format("index block at offset {}: data block handle "
                                               "({}, {}) outside the data",
                                               footer_.index.offset, h->offset, h->size));
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Block>> Table::ReadDataBlock(BlockHandle h, bool verify_checksums,
                                                          bool fill_cache) const {
  if (cache_ != nullptr) {
    if (auto b = cache_->Lookup(cache_id_, h.offset)) return b;
  }
  const bool insert = cache_ != nullptr && fill_cache;
  const bool verify = verify_checksums || insert;  // the cache holds verified blocks only
  const BlockOrigin origin{path(), h.offset};
  std::shared_ptr<const Block> block;
  if (map_ != nullptr) {
    // DecodeIndexValue put the block and its trailer inside the data, so inside the mapping.
    const std::span<const std::uint8_t> raw(map_->data() + h.offset,
                                            static_cast<std::size_t>(h.size) + kBlockTrailerSize);
    std::string inflated;
    LARDER_ASSIGN_OR_RETURN(std::string_view bytes,
                            UnwrapBlock(raw, h, verify, path(), "data", &inflated));
    // Stored uncompressed: used where it lies, and not cached (the cache would keep the
    // mapping alive after the table closed).
    if (bytes.data() != inflated.data()) return Block::CreateView(bytes, map_, origin);
    LARDER_ASSIGN_OR_RETURN(block, Block::Create(std::move(inflated), origin));
  } else {
    LARDER_ASSIGN_OR_RETURN(std::string contents, ReadBlockContents(*file_, h, verify));
    LARDER_ASSIGN_OR_RETURN(block, Block::Create(std::move(contents), origin));
  }
  if (insert) cache_->Insert(cache_id_, h.offset, block);
  return block;
}

Result<std::uint64_t> Table::CheckMappedBlock(BlockHandle h) const {
  const std::span<const std::uint8_t> raw(map_->data() + h.offset,
                                          static_cast<std::size_t>(h.size) + kBlockTrailerSize);
  if (raw[h.size] != static_cast<std::uint8_t>(Compression::kNone)) return kMappedCompressed;
  std::string unused;  // UnwrapBlock inflates nothing: the block is stored uncompressed
  LARDER_ASSIGN_OR_RETURN(std::string_view bytes,
                          UnwrapBlock(raw, h, /*verify=*/true, path(), "data", &unused));
  LARDER_ASSIGN_OR_RETURN(BlockLayout layout, Block::ParseLayout(bytes, {path(), h.offset}));
  return kMappedView | std::uint64_t{layout.num_restarts} << 32 | layout.restarts_offset;
}

Status Table::LoadDataBlock(const BlockIter& index, BlockHandle h, bool verify_checksums,
                            bool fill_cache, std::optional<BlockIter>* data) const {
  const BlockOrigin origin{path(), h.offset};
  // Points *data at a block, reusing the cursor (and its key buffer) when there is one.
  auto point_at = [data](auto&&... block) {
    if (data->has_value()) {
      (*data)->Reset(std::forward<decltype(block)>(block)...);
    } else {
      data->emplace(std::forward<decltype(block)>(block)...);
    }
    return Status::Ok();
  };
  const std::uint32_t ordinal = index.restart_index();
  if (mapped_blocks_ != nullptr && ordinal < num_blocks_) {
    std::atomic<std::uint64_t>& word = mapped_blocks_[ordinal];
    std::uint64_t w = word.load(std::memory_order_relaxed);
    if (w == 0) {
      LARDER_ASSIGN_OR_RETURN(w, CheckMappedBlock(h));
      word.store(w, std::memory_order_relaxed);
    }
    if ((w & kMappedView) != 0) {
      const std::string_view contents(reinterpret_cast<const char*>(map_->data() + h.offset),
                                      static_cast<std::size_t>(h.size));
      const BlockLayout layout{static_cast<std::uint32_t>(w),
                               static_cast<std::uint32_t>(w >> 32) & kNumRestartsMask};
      return point_at(contents, layout, origin);
    }
  }
  LARDER_ASSIGN_OR_RETURN(auto block, ReadDataBlock(h, verify_checksums, fill_cache));
  return point_at(std::move(block), origin);
}

std::unique_ptr<InternalIterator> Table::NewIterator(bool verify_checksums, bool fill_cache) const {
  return std::make_unique<TableIterator>(this, verify_checksums, fill_cache);
}

std::unique_ptr<InternalIterator> Table::NewRangeTombstoneIterator() const {
  if (range_dels_ == nullptr) return nullptr;
  return std::make_unique<BlockIter>(*range_dels_,
                                     BlockOrigin{path(), footer_.range_deletions.offset});
}

Status Table::Get(const LookupKey& key, bool verify_checksums, bool* found,
                  std::string* internal_key_out, std::string* value_out) const {
  *found = false;
  if (!filter_.KeyMayMatch(key.user_key())) return Status::Ok();
  const std::string_view target = key.internal_key();
  BlockIter index(*index_, BlockOrigin{path(), footer_.index.offset});
  std::optional<BlockIter> it;
  for (SeekIndex(target, &index); index.Valid(); index.Next()) {
    BlockHandle h;
    LARDER_RETURN_IF_ERROR(DecodeIndexValue(index.value(), &h));
    LARDER_RETURN_IF_ERROR(LoadDataBlock(index, h, verify_checksums, true, &it));
    it->Seek(target);
    if (it->Valid()) {
      if (ExtractUserKey(it->key()) == key.user_key()) {
        *found = true;
        internal_key_out->assign(it->key());
        value_out->assign(it->value());
      }
      return Status::Ok();
    }
    LARDER_RETURN_IF_ERROR(it->status());
    // The block ended below the target (its separator was above it): the next block.
  }
  return index.status();
}

std::uint64_t Table::ApproximateOffsetOf(std::string_view internal_key) const {
  BlockIter index(*index_, BlockOrigin{path(), footer_.index.offset});
  SeekIndex(internal_key, &index);
  if (!index.Valid()) return data_end_;
  BlockHandle h;
  if (!DecodeIndexValue(index.value(), &h).ok()) return data_end_;
  return h.offset;
}

}  // namespace larder::lsm
