// Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms, and ZINTERCARD, with WEIGHTS and
// AGGREGATE SUM|MIN|MAX; sets are accepted as inputs with every score 1, as in Redis 7.0.
// Arguments are checked in Redis's order: numkeys, the keys' types, then the options.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/zset_commands.h"

namespace larder::server {
namespace {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a set (scores 1) or a missing key (empty).
struct Source {
  std::string_view key;
  ValueType type = ValueType::kZSet;
  std::uint64_t size = 0;
  double weight = 1;
  std::unique_ptr<ZSetStore> zset;  // when type == kZSet and the key exists
};

void AggregateInto(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

double Weighted(const Source& src, double score) {
  const double v = src.weight * score;
  return std::isnan(v) ? 0 : v;  // inf * 0
}

// Every member of an input, with its score.
Result<std::vector<ZMember>> Members(CommandContext& ctx, const Source& src) {
  if (src.size == 0) return std::vector<ZMember>();
  if (src.zset) return src.zset->All();
  std::vector<ZMember> out;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, ctx.db.Members(src.key));
  for (; it->Valid(); it->Next()) out.push_back(ZMember{std::string(it->key()), 1.0});
  LARDER_RETURN_IF_ERROR(it->status());
  return out;
}

// The member's score in an input, or nullopt.
Result<std::optional<double>> ScoreIn(CommandContext& ctx, const Source& src,
                                      std::string_view member) {
  if (src.size == 0) return std::optional<double>();
  if (src.zset) return src.zset->Score(member);
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> v, ctx.db.GetMember(src.key, member));
  return v ? std::optional<double>(1.0) : std::optional<double>();
}

void SortByScore(std::vector<ZMember>* v) {
  std::sort(v->begin(), v->end(), [](const ZMember& a, const ZMember& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.member < b.member;
  });
}

// The shared body: `dst` for the STORE forms, numkeys at argv[numkeys_at]; `card_only` for
// ZINTERCARD.
Status ZSetOpGeneric(CommandContext& ctx, std::optional<std::string_view> dst,
                     std::size_t numkeys_at, SetOp op, bool card_only) {
  const std::optional<std::int64_t> numkeys = ParseInt64(ctx.argv[numkeys_at]);
  if (!numkeys) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  if (*numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for '" + ToLower(ctx.argv[0]) +
                    "' command");
    return Status::Ok();
  }
  if (*numkeys > static_cast<std::int64_t>(ctx.argv.size() - numkeys_at - 1)) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  const auto n = static_cast<std::size_t>(*numkeys);
  std::vector<Source> srcs(n);
  for (std::size_t i = 0; i < n; ++i) {
    Source& src = srcs[i];
    src.key = ctx.argv[numkeys_at + 1 + i];
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, LookupKey(ctx, src.key, Access::kRead));
    if (!info) continue;
    if (info->type != ValueType::kZSet && info->type != ValueType::kSet) {
      ctx.reply.Error(errors::kWrongType);
      return Status::Ok();
    }
    src.type = info->type;
    src.size = info->size;
    if (src.type == ValueType::kZSet) {
      src.zset = std::make_unique<ZSetStore>(ctx.db, src.key);
      LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, src.zset->Load());
      (void)state;
    }
  }
  Aggregate aggregate = Aggregate::kSum;
  bool withscores = false;
  std::uint64_t limit = 0;
  for (std::size_t j = numkeys_at + 1 + n; j < ctx.argv.size();) {
    const std::size_t remaining = ctx.argv.size() - j;
    const std::string_view opt = ctx.argv[j];
    if (op != SetOp::kDiff && !card_only && remaining >= n + 1 &&
        EqualsIgnoreCase(opt, "weights")) {
      ++j;
      for (std::size_t i = 0; i < n; ++i, ++j) {
        const std::optional<double> w = ParseDouble(ctx.argv[j]);
        if (!w) {
          ctx.reply.Error("ERR weight value is not a float");
          return Status::Ok();
        }
        srcs[i].weight = *w;
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 &&
               EqualsIgnoreCase(opt, "aggregate")) {
      const std::string_view how = ctx.argv[j + 1];
      if (EqualsIgnoreCase(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        ctx.reply.Error(errors::kSyntax);
        return Status::Ok();
      }
      j += 2;
    } else if (!dst && !card_only && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && EqualsIgnoreCase(opt, "limit")) {
      const std::optional<std::int64_t> l = ParseInt64(ctx.argv[j + 1]);
      if (!l || *l < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return Status::Ok();
      }
      limit = static_cast<std::uint64_t>(*l);
      j += 2;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }

  std::vector<ZMember> result;
  std::uint64_t card = 0;
  if (op == SetOp::kUnion) {
    std::stable_sort(srcs.begin(), srcs.end(),
                     [](const Source& a, const Source& b) { return a.size < b.size; });
    std::unordered_map<std::string, double> acc;
    for (const Source& src : srcs) {
      LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> members, Members(ctx, src));
      for (ZMember& m : members) {
        const double score = Weighted(src, m.score);
        auto [it, inserted] = acc.try_emplace(std::move(m.member), score);
        if (!inserted) AggregateInto(&it->second, score, aggregate);
      }
    }
    for (auto& [member, score] : acc) result.push_back(ZMember{member, score});
  } else if (op == SetOp::kInter) {
    std::stable_sort(srcs.begin(), srcs.end(),
                     [](const Source& a, const Source& b) { return a.size < b.size; });
    LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> members, Members(ctx, srcs[0]));
    for (ZMember& m : members) {
      double score = Weighted(srcs[0], m.score);
      bool everywhere = true;
      for (std::size_t i = 1; i < n && everywhere; ++i) {
        LARDER_ASSIGN_OR_RETURN(std::optional<double> other, ScoreIn(ctx, srcs[i], m.member));
        if (!other) {
          everywhere = false;
        } else {
          AggregateInto(&score, Weighted(srcs[i], *other), aggregate);
        }
      }
      if (!everywhere) continue;
      ++card;
      if (card_only) {
        if (limit != 0 && card >= limit) break;
        continue;
      }
      result.push_back(ZMember{std::move(m.member), score});
    }
  } else {
    LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> members, Members(ctx, srcs[0]));
    for (ZMember& m : members) {
      bool elsewhere = false;
      for (std::size_t i = 1; i < n && !elsewhere; ++i) {
        LARDER_ASSIGN_OR_RETURN(std::optional<double> other, ScoreIn(ctx, srcs[i], m.member));
        elsewhere = other.has_value();
      }
      if (!elsewhere) result.push_back(std::move(m));
    }
  }
  if (card_only) {
    ctx.reply.Integer(static_cast<std::int64_t>(card));
    return Status::Ok();
  }
  SortByScore(&result);
  if (dst) {
    const std::string_view event =
        op == SetOp::kUnion ? "zunionstore" : (op == SetOp::kInter ? "zinterstore" : "zdiffstore");
    srcs.clear();  // no reader outlives the writes
    LARDER_ASSIGN_OR_RETURN(std::uint64_t size, StoreZSetResult(ctx, *dst, result, event));
    ctx.reply.Integer(static_cast<std::int64_t>(size));
    return Status::Ok();
  }
  ReplyZMembers(ctx.reply, result, withscores);
  return Status::Ok();
}

Status ZUnionCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, std::nullopt, 1, SetOp::kUnion, false);
}
Status ZInterCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, std::nullopt, 1, SetOp::kInter, false);
}
Status ZDiffCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, std::nullopt, 1, SetOp::kDiff, false);
}
Status ZUnionStoreCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, ctx.argv[1], 2, SetOp::kUnion, false);
}
Status ZInterStoreCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, ctx.argv[1], 2, SetOp::kInter, false);
}
Status ZDiffStoreCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, ctx.argv[1], 2, SetOp::kDiff, false);
}
Status ZInterCardCommand(CommandContext& ctx) {
  return ZSetOpGeneric(ctx, std::nullopt, 1, SetOp::kInter, true);
}

}  // namespace

void RegisterZSetSetOpCommands(CommandTable& table) {
  constexpr std::uint32_t kStore = kCmdWrite | kCmdDenyOom;
  const std::vector<CommandSpec> specs = {
      ZSetSpec("zunion", -3, kCmdReadOnly, 0, 0, ZUnionCommand, "Union of sorted sets", "6.2.0"),
      ZSetSpec("zinter", -3, kCmdReadOnly, 0, 0, ZInterCommand, "Intersection of sorted sets",
               "6.2.0"),
      ZSetSpec("zdiff", -3, kCmdReadOnly, 0, 0, ZDiffCommand, "Difference of sorted sets", "6.2.0"),
      ZSetSpec("zunionstore", -4, kStore, 1, 1, ZUnionStoreCommand, "Stores a union", "2.0.0"),
      ZSetSpec("zinterstore", -4, kStore, 1, 1, ZInterStoreCommand, "Stores an intersection",
               "2.0.0"),
      ZSetSpec("zdiffstore", -4, kStore, 1, 1, ZDiffStoreCommand, "Stores a difference", "6.2.0"),
      ZSetSpec("zintercard", -3, kCmdReadOnly, 0, 0, ZInterCardCommand, "Size of an intersection",
               "7.0.0"),
  };
  for (const CommandSpec& spec : specs) table.Add(spec);
}

}  // namespace larder::server
