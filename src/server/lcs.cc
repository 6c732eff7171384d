// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence of
// two string values, by the classic dynamic-programming table, with Redis 7.0's replies: the
// subsequence, its length (LEN), or (IDX) the matched ranges from the end of the strings
// backwards plus the length, as a map in RESP3.
//
// The table takes 4 bytes per cell, (len1 + 1) * (len2 + 1) cells; larderd refuses tables above
// kMaxLcsCells with Redis's allocation-failure error instead of trying to allocate them.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/string_family.h"

namespace larder::server {
namespace {

constexpr std::uint64_t kMaxLcsCells = 1ull << 26;  // 256 MB of table

struct LcsOptions {
  bool len = false;
  bool idx = false;
  bool with_match_len = false;
  std::int64_t min_match_len = 0;
};

// One matched stretch: a[a_start..a_end] == b[b_start..b_end] (inclusive).
struct LcsRange {
  std::uint32_t a_start, a_end, b_start, b_end;
  std::uint32_t length() const { return a_end - a_start + 1; }
};

// The table: cell (i, j) holds the LCS length of a[0, i) and b[0, j).
class LcsTable {
 public:
  LcsTable(std::string_view a, std::string_view b)
      : a_(a), b_(b), width_(b.size() + 1), cells_((a.size() + 1) * width_, 0) {
    for (std::size_t i = 1; i <= a.size(); ++i) {
      for (std::size_t j = 1; j <= b.size(); ++j) {
        at(i, j) =
            a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }

  std::uint32_t length() const { return at(a_.size(), b_.size()); }

  // Walks back from the end: fills *subsequence, and *ranges with the maximal matched stretches
  // met on the way (last stretch first), keeping those of at least min_len bytes.
  void Trace(std::uint32_t min_len, std::string* subsequence, std::vector<LcsRange>* ranges) const {
    std::uint32_t k = length();
    subsequence->assign(k, '\0');
    std::size_t i = a_.size();
    std::size_t j = b_.size();
    std::optional<LcsRange> open;
    auto close = [&] {
      if (open && (min_len == 0 || open->length() >= min_len)) ranges->push_back(*open);
      open.reset();
    };
    while (i > 0 && j > 0) {
      if (a_[i - 1] == b_[j - 1]) {
        (*subsequence)[--k] = a_[i - 1];
        auto ai = static_cast<std::uint32_t>(i - 1);
        auto bj = static_cast<std::uint32_t>(j - 1);
        if (open) {  // the previous step matched at (i, j): the stretch grows backwards
          open->a_start = ai;
          open->b_start = bj;
        } else {
          open = LcsRange{ai, ai, bj, bj};
        }
        --i;
        --j;
        if (i == 0 || j == 0) close();
      } else {
        // Redis's tie rule: step in a only when that keeps a strictly longer LCS.
        if (at(i - 1, j) > at(i, j - 1)) {
          --i;
        } else {
          --j;
        }
        close();
      }
    }
  }

 private:
  std::uint32_t& at(std::size_t i, std::size_t j) { return cells_[i * width_ + j]; }
  std::uint32_t at(std::size_t i, std::size_t j) const { return cells_[i * width_ + j]; }

  std::string_view a_;
  std::string_view b_;
  std::size_t width_;
  std::vector<std::uint32_t> cells_;
};

// Parses the options; replies the error and returns nullopt when they are bad.
std::optional<LcsOptions> ParseLcsOptions(CommandContext& ctx) {
  LcsOptions opts;
  for (std::size_t j = 3; j < ctx.argv.size(); ++j) {
    std::string_view opt = ctx.argv[j];
    if (EqualsIgnoreCase(opt, "idx")) {
      opts.idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      opts.len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      opts.with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && j + 1 < ctx.argv.size()) {
      std::optional<std::int64_t> n = ParseInt64(ctx.argv[++j]);
      if (!n) {
        ctx.reply.Error(errors::kNotInteger);
        return std::nullopt;
      }
      opts.min_match_len = *n < 0 ? 0 : *n;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (opts.idx && opts.len) {
    ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
    return std::nullopt;
  }
  return opts;
}

void ReplyRanges(CommandContext& ctx, const LcsOptions& opts, const std::vector<LcsRange>& ranges,
                 std::uint32_t length) {
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(2);
  r.Bulk("matches");
  r.ArrayHeader(ranges.size());
  for (const LcsRange& range : ranges) {
    r.ArrayHeader(opts.with_match_len ? 3 : 2);
    r.ArrayHeader(2);
    r.Integer(range.a_start);
    r.Integer(range.a_end);
    r.ArrayHeader(2);
    r.Integer(range.b_start);
    r.Integer(range.b_end);
    if (opts.with_match_len) r.Integer(range.length());
  }
  r.Bulk("len");
  r.Integer(length);
}

Status Lcs(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(StringRead a, ReadStringCounted(ctx, ctx.argv[1]));
  LARDER_ASSIGN_OR_RETURN(StringRead b, ReadStringCounted(ctx, ctx.argv[2]));
  if (a.state == StringState::kWrongType || b.state == StringState::kWrongType) {
    ctx.reply.Error("ERR The specified keys must contain string values");
    return Status::Ok();
  }
  std::optional<LcsOptions> opts = ParseLcsOptions(ctx);
  if (!opts) return Status::Ok();
  constexpr std::uint64_t kMaxLen = UINT32_MAX - 1;
  if (a.value.size() >= kMaxLen || b.value.size() >= kMaxLen) {
    ctx.reply.Error("ERR String too long for LCS");
    return Status::Ok();
  }
  if ((a.value.size() + 1) * (b.value.size() + 1) > kMaxLcsCells) {
    ctx.reply.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return Status::Ok();
  }
  LcsTable table(a.value, b.value);
  if (opts->len && !opts->idx) {
    ctx.reply.Integer(table.length());
    return Status::Ok();
  }
  std::string subsequence;
  std::vector<LcsRange> ranges;
  auto min_len =
      static_cast<std::uint32_t>(std::min<std::int64_t>(opts->min_match_len, UINT32_MAX));
  table.Trace(min_len, &subsequence, &ranges);
  if (opts->idx) {
    ReplyRanges(ctx, *opts, ranges, table.length());
  } else {
    ctx.reply.Bulk(subsequence);
  }
  return Status::Ok();
}

}  // namespace

void RegisterLcsCommand(CommandTable& table) {
  table.Add(FamilySpec("string", "lcs", -3, kCmdReadOnly, 1, 2, 1, Lcs,
                       "Finds the longest common subsequence of two string values", "7.0.0"));
}

}  // namespace larder::server
