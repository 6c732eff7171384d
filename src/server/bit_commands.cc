// The bitmap commands over string values: SETBIT GETBIT BITCOUNT BITPOS BITOP (BITFIELD and
// BITFIELD_RO are in bitfield.cc). Bit 0 is the most significant bit of the first byte. Replies,
// errors and their order follow Redis 7.0.15 (BITCOUNT and BITPOS look the key up before parsing
// their ranges, so a missing key answers 0 / -1 whatever the range says).
#include <algorithm>
#include <bit>
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

Status SetBit(CommandContext& ctx) {
  std::optional<std::uint64_t> offset = ParseBitOffset(ctx, ctx.argv[2]);
  if (!offset) {
    ctx.reply.Error(kBitOffsetError);
    return Status::Ok();
  }
  std::optional<std::int64_t> on = ParseInt64(ctx.argv[3]);
  if (!on || (*on & ~std::int64_t{1}) != 0) {
    ctx.reply.Error("ERR bit is not an integer or out of range");
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadString(ctx.db, ctx.argv[1]));
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  bool old = BitAt(read.value, *offset);
  std::size_t need = (*offset >> 3) + 1;
  bool grown = read.state == StringState::kMissing || read.value.size() < need;
  if (grown || old != (*on == 1)) {  // an unchanged bit writes nothing
    if (read.value.size() < need) read.value.resize(need, '\0');
    SetBitAt(&read.value, *offset, *on == 1);
    LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], read.value, OverwriteOf(read)));
    NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", ctx.argv[1]);  // as Redis: only a change
  }
  ctx.reply.Integer(old ? 1 : 0);
  return Status::Ok();
}

Status GetBit(CommandContext& ctx) {
  std::optional<std::uint64_t> offset = ParseBitOffset(ctx, ctx.argv[2]);
  if (!offset) {
    ctx.reply.Error(kBitOffsetError);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[1]));
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  ctx.reply.Integer(BitAt(read.value, *offset) ? 1 : 0);
  return Status::Ok();
}

// Reads argv[1] for BITCOUNT/BITPOS: replies `missing_reply` (missing) or WRONGTYPE and returns
// nullopt unless the key holds a string.
Result<std::optional<std::string>> ReadBitmap(CommandContext& ctx, std::int64_t missing_reply) {
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[1]));
  if (read.state == StringState::kMissing) {
    ctx.reply.Integer(missing_reply);
    return std::optional<std::string>();
  }
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(read.value));
}

// Parses a BYTE|BIT argument into *bits (true for BIT); replies the syntax error and returns
// false for anything else.
bool ReadBitUnit(CommandContext& ctx, std::string_view arg, bool* bits) {
  if (EqualsIgnoreCase(arg, "bit") || EqualsIgnoreCase(arg, "byte")) {
    *bits = EqualsIgnoreCase(arg, "bit");
    return true;
  }
  ctx.reply.Error(errors::kSyntax);
  return false;
}

// An inclusive range of absolute bit positions.
struct BitSpan {
  std::uint64_t first;
  std::uint64_t last;
};

// Turns Redis-style [start, end] indexes (negative from the end; in bytes, or in bits when
// `bits`) over a string of `size` bytes into the bit positions they cover, clamped to the
// string; nullopt when that is empty.
std::optional<BitSpan> ResolveSpan(std::size_t size, std::int64_t start, std::int64_t end,
                                   bool bits) {
  std::int64_t total = static_cast<std::int64_t>(size) * (bits ? 8 : 1);
  if (start < 0) start = std::max<std::int64_t>(0, total + start);
  if (end < 0) end = std::max<std::int64_t>(0, total + end);
  if (end >= total) end = total - 1;
  if (start > end) return std::nullopt;
  if (bits) return BitSpan{static_cast<std::uint64_t>(start), static_cast<std::uint64_t>(end)};
  return BitSpan{static_cast<std::uint64_t>(start) * 8, static_cast<std::uint64_t>(end) * 8 + 7};
}

// The bits of byte b that lie in the span.
unsigned char RangeMask(std::uint64_t b, BitSpan span) {
  unsigned mask = 0xFF;
  if (b == span.first >> 3) mask &= 0xFFu >> (span.first & 7);
  if (b == span.last >> 3) mask &= 0xFFu << (7 - (span.last & 7));
  return static_cast<unsigned char>(mask);
}

Status BitCount(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value, ReadBitmap(ctx, 0));
  if (!value) return Status::Ok();
  std::size_t argc = ctx.argv.size();
  if (argc != 2 && argc != 4 && argc != 5) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  bool bits = false;
  std::int64_t start = 0;
  std::int64_t end = -1;
  if (argc >= 4) {
    std::optional<std::int64_t> s = ParseInt64(ctx.argv[2]);
    std::optional<std::int64_t> e = s ? ParseInt64(ctx.argv[3]) : std::nullopt;
    if (!e) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    start = *s;
    end = *e;
    if (start < 0 && end < 0 && start > end) {  // empty, even before the unit is parsed
      ctx.reply.Integer(0);
      return Status::Ok();
    }
    if (argc == 5 && !ReadBitUnit(ctx, ctx.argv[4], &bits)) return Status::Ok();
  }
  std::optional<BitSpan> span = ResolveSpan(value->size(), start, end, bits);
  std::int64_t count = 0;
  if (span) {
    for (std::uint64_t b = span->first >> 3; b <= span->last >> 3; ++b) {
      auto byte = static_cast<unsigned char>((*value)[b]);
      count += std::popcount(static_cast<unsigned char>(byte & RangeMask(b, *span)));
    }
  }
  ctx.reply.Integer(count);
  return Status::Ok();
}

// The first bit equal to `bit` in the span, or nullopt.
std::optional<std::uint64_t> FindBit(std::string_view s, bool bit, BitSpan span) {
  for (std::uint64_t b = span.first >> 3; b <= span.last >> 3; ++b) {
    unsigned char mask = RangeMask(b, span);
    auto byte = static_cast<unsigned char>(s[b]);
    auto hits = static_cast<unsigned char>((bit ? byte : ~byte) & mask);
    if (hits != 0) return b * 8 + static_cast<std::uint64_t>(std::countl_zero(hits));
  }
  return std::nullopt;
}

Status BitPos(CommandContext& ctx) {
  std::optional<std::int64_t> bit = ParseInt64(ctx.argv[2]);
  if (!bit) {
    ctx.reply.Error(errors::kNotInteger);
    return Status::Ok();
  }
  if (*bit != 0 && *bit != 1) {
    ctx.reply.Error("ERR The bit argument must be 1 or 0.");
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value, ReadBitmap(ctx, *bit == 1 ? -1 : 0));
  if (!value) return Status::Ok();
  std::size_t argc = ctx.argv.size();
  if (argc > 6) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  bool bits = false;
  bool end_given = argc >= 5;
  std::int64_t start = 0;
  std::int64_t end = -1;
  if (argc >= 4) {
    std::optional<std::int64_t> s = ParseInt64(ctx.argv[3]);
    if (!s) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
    start = *s;
    if (argc == 6 && !ReadBitUnit(ctx, ctx.argv[5], &bits)) return Status::Ok();
    if (end_given) {
      std::optional<std::int64_t> e = ParseInt64(ctx.argv[4]);
      if (!e) {
        ctx.reply.Error(errors::kNotInteger);
        return Status::Ok();
      }
      end = *e;
    }
  }
  std::optional<BitSpan> span = ResolveSpan(value->size(), start, end, bits);
  std::optional<std::uint64_t> pos;
  if (span) pos = FindBit(*value, *bit == 1, *span);
  if (pos) {
    ctx.reply.Integer(static_cast<std::int64_t>(*pos));
  } else if (span && *bit == 0 && !end_given) {
    // Looking for a clear bit with an open range: the string continues with zeros.
    ctx.reply.Integer(static_cast<std::int64_t>(span->last + 1));
  } else {
    ctx.reply.Integer(-1);
  }
  return Status::Ok();
}

enum class BitOpKind { kAnd, kOr, kXor, kNot };

Status BitOp(CommandContext& ctx) {
  std::string_view name = ctx.argv[1];
  BitOpKind op;
  if (EqualsIgnoreCase(name, "and")) {
    op = BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = BitOpKind::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = BitOpKind::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = BitOpKind::kNot;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  if (op == BitOpKind::kNot && ctx.argv.size() != 4) {
    ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
    return Status::Ok();
  }
  std::vector<std::string> sources;
  std::size_t max_len = 0;
  for (std::size_t i = 3; i < ctx.argv.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(StringRead read, ReadStringCounted(ctx, ctx.argv[i]));
    if (read.state == StringState::kWrongType) {
      ctx.reply.Error(errors::kWrongType);
      return Status::Ok();
    }
    max_len = std::max(max_len, read.value.size());
    sources.push_back(std::move(read.value));  // a missing key is an empty string
  }
  std::string result(max_len, '\0');
  for (std::size_t b = 0; b < max_len; ++b) {
    auto byte_of = [&](std::size_t k) -> unsigned char {
      return b < sources[k].size() ? static_cast<unsigned char>(sources[k][b]) : 0;
    };
    unsigned char out = byte_of(0);
    if (op == BitOpKind::kNot) out = static_cast<unsigned char>(~out);
    for (std::size_t k = 1; k < sources.size(); ++k) {
      if (op == BitOpKind::kAnd) out &= byte_of(k);
      if (op == BitOpKind::kOr) out |= byte_of(k);
      if (op == BitOpKind::kXor) out ^= byte_of(k);
    }
    result[b] = static_cast<char>(out);
  }
  if (max_len > 0) {
    LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[2], result));
    NotifyKeyspaceEvent(ctx, kNotifyString, "set", ctx.argv[2]);
  } else {
    LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(ctx.argv[2]));
    if (deleted) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[2]);
  }
  ctx.reply.Integer(static_cast<std::int64_t>(max_len));
  return Status::Ok();
}

CommandSpec BitSpec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                    int last_key, CommandHandler handler, std::string_view summary,
                    std::string_view since) {
  return FamilySpec("bitmap", name, arity, flags, first_key, last_key, 1, handler, summary, since);
}

}  // namespace

void RegisterBitCommands(CommandTable& table) {
  table.Add(BitSpec("setbit", 4, kCmdWrite | kCmdDenyOom, 1, 1, SetBit,
                    "Sets or clears one bit of a string value, growing it as needed", "2.2.0"));
  table.Add(BitSpec("getbit", 3, kCmdReadFast, 1, 1, GetBit, "Returns one bit of a string value",
                    "2.2.0"));
  table.Add(BitSpec("bitcount", -2, kCmdReadOnly, 1, 1, BitCount,
                    "Counts the set bits of a string value, optionally in a range", "2.6.0"));
  table.Add(BitSpec("bitpos", -3, kCmdReadOnly, 1, 1, BitPos,
                    "Finds the first set or clear bit of a string value", "2.8.7"));
  table.Add(BitSpec("bitop", -4, kCmdWrite | kCmdDenyOom, 2, -1, BitOp,
                    "Combines string values bitwise into a destination key", "2.6.0"));
  RegisterBitfieldCommands(table);
}

}  // namespace larder::server
