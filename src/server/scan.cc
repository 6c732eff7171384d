#include "server/scan.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>

#include "server/args.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

constexpr int kCounterBits = 40;
constexpr std::uint64_t kCounterMask = (std::uint64_t{1} << kCounterBits) - 1;
constexpr std::uint64_t kPrefixMask = (std::uint64_t{1} << (63 - kCounterBits)) - 1;

std::uint64_t PickPrefix(std::uint64_t seed) {
  if (seed == 0) {
    std::random_device device;
    seed = (std::uint64_t{device()} << 32) ^ device();
  }
  std::uint64_t prefix = std::mt19937_64(seed)() & kPrefixMask;
  return prefix == 0 ? 1 : prefix;
}

}  // namespace

ScanCursorTable::ScanCursorTable(std::size_t max_cursors, std::size_t max_bytes, std::uint64_t seed)
    : max_cursors_(max_cursors == 0 ? 1 : max_cursors),
      max_bytes_(max_bytes),
      prefix_(PickPrefix(seed)) {}

std::optional<std::string> ScanCursorTable::Take(std::uint64_t cursor, std::string_view scope) {
  if (cursor == 0) return std::nullopt;
  MutexLock lock(&mu_);
  auto it = entries_.find(cursor);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  order_.erase(entry.order);
  entries_.erase(it);
  bytes_ -= entry.scope.size() + entry.last.size();
  if (entry.scope != scope) return std::nullopt;
  return std::move(entry.last);
}

std::uint64_t ScanCursorTable::Issue(std::string_view scope, std::string last) {
  MutexLock lock(&mu_);
  std::uint64_t id;
  do {  // the counter wraps after 2^40 numbers: skip one still in use
    id = (prefix_ << kCounterBits) | (next_ & kCounterMask);
    ++next_;
  } while (entries_.count(id) != 0);
  bytes_ += scope.size() + last.size();
  order_.push_back(id);
  entries_.emplace(id, Entry{std::string(scope), std::move(last), std::prev(order_.end())});
  EvictLocked();
  return id;
}

void ScanCursorTable::EvictLocked() {
  // The newest entry always stays, so that a scan makes progress whatever its keys' sizes.
  while (order_.size() > 1 && (order_.size() > max_cursors_ || bytes_ > max_bytes_)) {
    auto it = entries_.find(order_.front());
    bytes_ -= it->second.scope.size() + it->second.last.size();
    entries_.erase(it);
    order_.pop_front();
  }
}

std::size_t ScanCursorTable::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

ScanCursorTable& ScanCursors(CommandContext& ctx) {
  return ctx.server.Service<ScanCursorService>().table();
}

std::optional<std::uint64_t> ParseScanCursor(std::string_view s) {
  if (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  const std::string text(s);
  if (text.find('\0') != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

std::optional<std::uint64_t> ParseScanCursorOrReply(CommandContext& ctx, std::string_view s) {
  std::optional<std::uint64_t> cursor = ParseScanCursor(s);
  if (!cursor) ctx.reply.Error("ERR invalid cursor");
  return cursor;
}

bool ParseScanOptions(CommandContext& ctx, std::size_t first, bool allow_type,
                      ScanOptions* options) {
  const auto& argv = ctx.argv;
  for (std::size_t i = first; i < argv.size(); i += 2) {
    const bool has_value = i + 1 < argv.size();
    if (has_value && EqualsIgnoreCase(argv[i], "count")) {
      const std::optional<std::int64_t> count = ParseInt64(argv[i + 1]);
      if (!count) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      if (*count < 1) {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
      options->count = static_cast<std::uint64_t>(*count);
    } else if (has_value && EqualsIgnoreCase(argv[i], "match")) {
      if (argv[i + 1] == "*") {
        options->pattern.reset();
      } else {
        options->pattern = std::string(argv[i + 1]);
      }
    } else if (has_value && allow_type && EqualsIgnoreCase(argv[i], "type")) {
      options->type = std::string(argv[i + 1]);
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

Result<ScanBatch> CollectScanBatch(Cursor& cursor, std::uint64_t limit) {
  ScanBatch batch;
  while (cursor.Valid() && batch.items.size() < limit) {
    batch.items.emplace_back(std::string(cursor.key()), std::string(cursor.value()));
    cursor.Next();
  }
  LARDER_RETURN_IF_ERROR(cursor.status());
  // Looking one element ahead lets the last call of a scan return cursor 0 at once.
  batch.more = cursor.Valid();
  return batch;
}

std::string ScanStartAfter(const std::optional<std::string>& last) {
  if (!last) return {};
  std::string start = *last;
  start.push_back('\0');
  return start;
}

void ReplyEmptyScan(CommandContext& ctx) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk("0");
  ctx.reply.ArrayHeader(0);
}

std::string CollectionScanScope(std::string_view type, int db, std::string_view key) {
  std::string scope(type);  // appends only: GCC 12 -O3 sees -Wrestrict in "a" + string + "b"
  scope.push_back(':');
  scope.append(std::to_string(db));
  scope.push_back(':');
  scope.append(key);
  return scope;
}

void ReplyScan(CommandContext& ctx, ScanCursorTable& table, std::string_view scope,
               const ScanBatch& batch, const std::vector<std::string_view>& elements) {
  std::uint64_t next = 0;
  if (batch.more && !batch.items.empty()) next = table.Issue(scope, batch.items.back().first);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.BulkArray(std::span<const std::string_view>(elements));
}

void ReplyScanPairs(CommandContext& ctx, ScanCursorTable& table, std::string_view scope,
                    const ScanBatch& batch, const std::optional<std::string>& pattern) {
  std::vector<std::string_view> elements;
  for (const auto& [key, value] : batch.items) {
    if (pattern && !GlobMatch(*pattern, key)) continue;
    elements.push_back(key);
    elements.push_back(value);
  }
  ReplyScan(ctx, table, scope, batch, elements);
}

}  // namespace larder::server
