// SORT and SORT_RO over lists, sets and sorted sets, as Redis 7.0 (sortCommandGeneric's rules,
// written from its documented behaviour):
//   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
//        [STORE destination]
//   - options are parsed before the key is looked up (a syntax error wins over WRONGTYPE);
//   - BY without '*' means "do not sort": lists and sorted sets keep their order (DESC walks
//     from the end, LIMIT reads only its range), sets come in member order, except with STORE
//     where a set is sorted ALPHA so the stored list is deterministic (Redis does this for
//     STORE and scripts);
//   - a pattern substitutes its first '*' with the element; "key->field" reads a hash field;
//     "#" (GET) is the element itself; a missing key, a wrong type or a missing field is nil
//     (for BY: score 0, or "smallest" under ALPHA);
//   - numeric sorting parses with strtod ("ERR One or more scores can't be converted into
//     double"); equal scores are ordered by the element's bytes; ALPHA compares bytes (Redis
//     uses strcoll, which is byte order in the C locale larderd's clients see);
//   - STORE writes a list (nil GETs stored as ""), or deletes the destination when empty;
//     events "sortstore" or "del".
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/key_commands.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/sort_sources.h"

namespace larder::server {
namespace {

struct SortOptions {
  std::optional<std::string_view> by;
  bool dontsort = false;
  std::int64_t limit_start = 0;
  std::int64_t limit_count = -1;
  std::vector<std::string_view> gets;
  bool desc = false;
  bool alpha = false;
  std::optional<std::string_view> store;
};

// False when an error was replied.
bool ParseSortOptions(CommandContext& ctx, bool read_only, SortOptions* o) {
  const auto& argv = ctx.argv;
  for (std::size_t j = 2; j < argv.size(); ++j) {
    const std::size_t left = argv.size() - j - 1;
    const std::string_view arg = argv[j];
    if (EqualsIgnoreCase(arg, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(arg, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(arg, "limit") && left >= 2) {
      const std::optional<std::int64_t> start = ParseInt64(argv[j + 1]);
      const std::optional<std::int64_t> count = ParseInt64(argv[j + 2]);
      if (!start || !count) {
        ctx.reply.Error(errors::kNotInteger);
        return false;
      }
      o->limit_start = *start;
      o->limit_count = *count;
      j += 2;
    } else if (!read_only && EqualsIgnoreCase(arg, "store") && left >= 1) {
      o->store = argv[++j];
    } else if (EqualsIgnoreCase(arg, "by") && left >= 1) {
      o->by = argv[++j];
      o->dontsort = o->by->find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(arg, "get") && left >= 1) {
      o->gets.push_back(argv[++j]);
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// The value a BY or GET pattern names for `element`; nullopt for nil.
Result<std::optional<std::string>> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                                   std::string_view element) {
  if (pattern == "#") return std::optional<std::string>(std::string(element));
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::optional<std::string>();
  std::size_t key_end = pattern.size();
  std::string_view field;
  const std::size_t arrow = pattern.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    field = pattern.substr(arrow + 2);
    key_end = arrow;
  }
  std::string key(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, key_end - star - 1));
  std::string value;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupKey(ctx, key, Access::kRead, field.empty() ? &value : nullptr));
  if (!info) return std::optional<std::string>();
  if (!field.empty()) {
    if (info->type != ValueType::kHash) return std::optional<std::string>();
    return ctx.db.GetMember(key, field);
  }
  if (info->type != ValueType::kString) return std::optional<std::string>();
  return std::optional<std::string>(std::move(value));
}

struct SortItem {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the compared value (nil sorts first)
};

// strtod as Redis applies it to a sort key: the whole string, no ERANGE, not NaN.
std::optional<double> SortScore(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || std::isnan(v)) return std::nullopt;
  return v;
}

int CompareBytes(std::string_view a, std::string_view b) {
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

Status SortGeneric(CommandContext& ctx, bool read_only) {
  SortOptions o;
  if (!ParseSortOptions(ctx, read_only, &o)) return Status::Ok();
  const std::string_view key = ctx.argv[1];
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupKey(ctx, key, o.store ? Access::kWrite : Access::kRead));
  if (info && info->type != ValueType::kList && info->type != ValueType::kSet &&
      info->type != ValueType::kZSet) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  if (info && o.dontsort && info->type == ValueType::kSet && o.store) {
    o.dontsort = false;  // a stored set is sorted, so the list is the same on every server
    o.alpha = true;
    o.by.reset();
  }
  const std::int64_t size = info ? static_cast<std::int64_t>(info->size) : 0;
  std::int64_t start = o.limit_start < 0 ? 0 : o.limit_start;
  std::int64_t end;  // start + count - 1, clamped (a count near INT64_MAX must not overflow)
  if (o.limit_count < 0 || __builtin_add_overflow(start, o.limit_count - 1, &end)) end = size - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;

  std::vector<std::string> elements;
  const bool ordered = info && info->type != ValueType::kSet;
  if (info && o.dontsort && ordered) {
    if (end >= start) {
      LARDER_ASSIGN_OR_RETURN(elements,
                              sort_sources::Range(ctx.db, key, *info, start, end, o.desc));
    }
    end -= start;
    start = 0;
  } else if (info) {
    LARDER_ASSIGN_OR_RETURN(elements, sort_sources::All(ctx.db, key, *info));
  }

  std::vector<SortItem> items;
  items.reserve(elements.size());
  for (std::string& e : elements) items.push_back(SortItem{std::move(e), 0, std::nullopt});
  if (!o.dontsort) {
    const bool by = o.by.has_value();
    for (SortItem& item : items) {
      std::optional<std::string> value;
      if (by) {
        LARDER_ASSIGN_OR_RETURN(value, LookupByPattern(ctx, *o.by, item.element));
      }
      if (o.alpha) {
        if (by) item.by = std::move(value);
        continue;
      }
      if (by && !value) continue;  // score 0
      const std::optional<double> score = SortScore(by ? *value : item.element);
      if (!score) {
        ctx.reply.Error("ERR One or more scores can't be converted into double");
        return Status::Ok();
      }
      item.score = *score;
    }
    const auto compare = [&](const SortItem& a, const SortItem& b) {
      int cmp;
      if (!o.alpha) {
        cmp = a.score < b.score ? -1 : (a.score > b.score ? 1 : CompareBytes(a.element, b.element));
      } else if (by) {
        if (!a.by || !b.by) {
          cmp = a.by.has_value() == b.by.has_value() ? 0 : (!a.by ? -1 : 1);
        } else {
          cmp = CompareBytes(*a.by, *b.by);
        }
      } else {
        cmp = CompareBytes(a.element, b.element);
      }
      return (o.desc ? -cmp : cmp) < 0;
    };
    std::stable_sort(items.begin(), items.end(), compare);
  }

  // The output: elements [start, end], or their GET values.
  std::vector<std::optional<std::string>> out;
  for (std::int64_t j = start; j <= end; ++j) {
    const std::string& element = items[static_cast<std::size_t>(j)].element;
    if (o.gets.empty()) {
      out.emplace_back(element);
      continue;
    }
    for (std::string_view pattern : o.gets) {
      LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                              LookupByPattern(ctx, pattern, element));
      out.push_back(std::move(value));
    }
  }
  if (!o.store) {
    ctx.reply.ArrayHeader(out.size());
    for (const auto& value : out) {
      if (value) {
        ctx.reply.Bulk(*value);
      } else {
        ctx.reply.Null();
      }
    }
    return Status::Ok();
  }
  std::vector<std::string> stored;
  stored.reserve(out.size());
  for (auto& value : out) stored.push_back(value ? std::move(*value) : std::string());
  LARDER_ASSIGN_OR_RETURN(bool existed, sort_sources::StoreList(ctx.db, *o.store, stored));
  if (!stored.empty()) {
    NotifyKeyspaceEvent(ctx, kNotifyList, "sortstore", *o.store);
  } else if (existed) {
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", *o.store);
  }
  ctx.reply.Integer(static_cast<std::int64_t>(stored.size()));
  return Status::Ok();
}

Status SortCommand(CommandContext& ctx) { return SortGeneric(ctx, /*read_only=*/false); }
Status SortRoCommand(CommandContext& ctx) { return SortGeneric(ctx, /*read_only=*/true); }

}  // namespace

void RegisterSortCommands(CommandTable& table) {
  table.Add(CommandSpec{"sort",
                        -2,
                        kCmdWrite | kCmdDenyOom,
                        1,
                        1,
                        1,
                        SortCommand,
                        "generic",
                        "Sort a list, set or sorted set; optionally store the result",
                        "1.0.0",
                        {}});
  table.Add(CommandSpec{"sort_ro",
                        -2,
                        kCmdReadOnly,
                        1,
                        1,
                        1,
                        SortRoCommand,
                        "generic",
                        "Sort a list, set or sorted set (read-only)",
                        "7.0.0",
                        {}});
}

}  // namespace larder::server
