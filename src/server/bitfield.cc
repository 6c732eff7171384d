// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset incr]
//          [OVERFLOW WRAP|SAT|FAIL] ... and BITFIELD_RO key [GET type offset] ...
//
// Integers of 1..64 bits (signed, "i64") or 1..63 bits (unsigned, "u63") at any bit offset of
// a string value ("#n" offsets count in units of the type's width), most significant bit first.
// All operations are parsed before any runs (a bad one fails the command with nothing changed);
// a command with a write grows the string to its highest written bit first, as Redis does (even
// when every write then fails with OVERFLOW FAIL).
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

enum class FieldOp { kGet, kSet, kIncrBy };
enum class Overflow { kWrap, kSat, kFail };

struct FieldType {
  bool is_signed = false;
  int bits = 0;
};

struct BitfieldOp {
  FieldOp op = FieldOp::kGet;
  FieldType type;
  std::uint64_t offset = 0;
  std::int64_t value = 0;  // SET's value or INCRBY's increment
  Overflow overflow = Overflow::kWrap;
};

constexpr std::string_view kTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "
    "is.";

// "i<1..64>" or "u<1..63>" (lower case only, as Redis 7.0). Like Redis, the width stops at a
// NUL byte.
std::optional<FieldType> ParseFieldType(std::string_view s) {
  if (s.empty()) return std::nullopt;
  FieldType t;
  if (s[0] == 'i') {
    t.is_signed = true;
  } else if (s[0] != 'u') {
    return std::nullopt;
  }
  std::string_view width = s.substr(1);
  width = width.substr(0, width.find('\0'));
  std::optional<std::int64_t> bits = ParseInt64InRange(width, 1, t.is_signed ? 64 : 63);
  if (!bits) return std::nullopt;
  t.bits = static_cast<int>(*bits);
  return t;
}

std::uint64_t ReadField(std::string_view s, std::uint64_t offset, int bits) {
  std::uint64_t v = 0;
  for (int j = 0; j < bits; ++j) v = (v << 1) | (BitAt(s, offset + j) ? 1u : 0u);
  return v;
}

void WriteField(std::string* s, std::uint64_t offset, int bits, std::uint64_t v) {
  for (int j = 0; j < bits; ++j) SetBitAt(s, offset + j, (v >> (bits - 1 - j)) & 1u);
}

// The field's value as the integer the type means (sign-extended for a signed type).
std::int64_t FieldValue(std::uint64_t raw, FieldType t) {
  if (t.is_signed && t.bits < 64 && (raw >> (t.bits - 1)) & 1u) raw |= ~std::uint64_t{0} << t.bits;
  return static_cast<std::int64_t>(raw);
}

// The result of putting `sum` (exact, as 128 bits) into type t under `overflow`: the stored
// integer, or nullopt when the write fails (FAIL on overflow).
std::optional<std::int64_t> Fit(__int128 sum, FieldType t, Overflow overflow) {
  __int128 max = t.is_signed ? (__int128{1} << (t.bits - 1)) - 1 : (__int128{1} << t.bits) - 1;
  __int128 min = t.is_signed ? -(__int128{1} << (t.bits - 1)) : 0;
  if (sum >= min && sum <= max) return static_cast<std::int64_t>(sum);
  switch (overflow) {
    case Overflow::kFail:
      return std::nullopt;
    case Overflow::kSat:
      return static_cast<std::int64_t>(sum > max ? max : min);
    case Overflow::kWrap:
      break;
  }
  auto low = static_cast<std::uint64_t>(sum);  // the two's complement low 64 bits
  if (t.bits < 64) low &= (std::uint64_t{1} << t.bits) - 1;
  return FieldValue(low, t);
}

// Parses the operations; replies the error and returns nullopt when one is bad.
std::optional<std::vector<BitfieldOp>> ParseOps(CommandContext& ctx) {
  std::vector<BitfieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  const auto& argv = ctx.argv;
  for (std::size_t j = 2; j < argv.size(); ++j) {
    std::size_t rest = argv.size() - j - 1;
    std::string_view sub = argv[j];
    BitfieldOp op;
    if (EqualsIgnoreCase(sub, "get") && rest >= 2) {
      op.op = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && rest >= 3) {
      op.op = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && rest >= 3) {
      op.op = FieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && rest >= 1) {
      std::string_view kind = argv[++j];
      if (EqualsIgnoreCase(kind, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(kind, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(kind, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.reply.Error("ERR Invalid OVERFLOW type specified");
        return std::nullopt;
      }
      continue;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
    std::optional<FieldType> type = ParseFieldType(argv[j + 1]);
    if (!type) {
      ctx.reply.Error(kTypeError);
      return std::nullopt;
    }
    op.type = *type;
    std::optional<std::uint64_t> offset = ParseBitOffset(ctx, argv[j + 2], type->bits);
    if (!offset) {
      ctx.reply.Error(kBitOffsetError);
      return std::nullopt;
    }
    op.offset = *offset;
    if (op.op != FieldOp::kGet) {
      std::optional<std::int64_t> value = ParseInt64(argv[j + 3]);
      if (!value) {
        ctx.reply.Error(errors::kNotInteger);
        return std::nullopt;
      }
      op.value = *value;
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.op == FieldOp::kGet ? 2 : 3;
  }
  return ops;
}

// Runs one SET or INCRBY on *s (already long enough); replies its result. True when it wrote.
bool RunWrite(CommandContext& ctx, const BitfieldOp& op, std::string* s) {
  const std::uint64_t old_bits = ReadField(*s, op.offset, op.type.bits);
  std::int64_t old = FieldValue(old_bits, op.type);
  __int128 target;
  if (op.op == FieldOp::kIncrBy) {
    target = __int128{old} + op.value;
  } else if (op.type.is_signed) {
    target = op.value;
  } else {
    target = static_cast<std::uint64_t>(op.value);  // Redis takes SET's value as unsigned
  }
  std::optional<std::int64_t> stored = Fit(target, op.type, op.overflow);
  if (!stored) {
    ctx.reply.Null();
    return false;
  }
  WriteField(s, op.offset, op.type.bits, static_cast<std::uint64_t>(*stored));
  ctx.reply.Integer(op.op == FieldOp::kIncrBy ? *stored : old);
  // As Redis: a SET that leaves the bits as they were is no change; an INCRBY always is.
  return op.op == FieldOp::kIncrBy || ReadField(*s, op.offset, op.type.bits) != old_bits;
}

Status Bitfield(CommandContext& ctx, bool read_only_command) {
  std::optional<std::vector<BitfieldOp>> ops = ParseOps(ctx);
  if (!ops) return Status::Ok();
  bool writes = false;
  std::uint64_t highest_bit = 0;
  for (const BitfieldOp& op : *ops) {
    if (op.op == FieldOp::kGet) continue;
    writes = true;
    highest_bit = std::max(highest_bit, op.offset + static_cast<std::uint64_t>(op.type.bits) - 1);
  }
  if (writes && read_only_command) {
    ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadString(ctx.db, ctx.argv[1]));
  if (!writes) CountRead(ctx, ctx.argv[1], read.state != StringState::kMissing);
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return Status::Ok();
  }
  bool dirty = false;  // grown, or a write subcommand changed it: stored, "setbit" event
  if (writes) {
    std::size_t need = (highest_bit >> 3) + 1;
    dirty = read.state == StringState::kMissing || read.value.size() < need;
    if (read.value.size() < need) read.value.resize(need, '\0');
  }
  ctx.reply.ArrayHeader(ops->size());
  for (const BitfieldOp& op : *ops) {
    if (op.op == FieldOp::kGet) {
      ctx.reply.Integer(FieldValue(ReadField(read.value, op.offset, op.type.bits), op.type));
    } else if (RunWrite(ctx, op, &read.value)) {
      dirty = true;
    }
  }
  if (dirty) {
    LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], read.value, OverwriteOf(read)));
    NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", ctx.argv[1]);
  }
  return Status::Ok();
}

Status BitfieldRw(CommandContext& ctx) { return Bitfield(ctx, false); }
Status BitfieldRo(CommandContext& ctx) { return Bitfield(ctx, true); }

}  // namespace

void RegisterBitfieldCommands(CommandTable& table) {
  table.Add(FamilySpec("bitmap", "bitfield", -2, kCmdWrite | kCmdDenyOom, 1, 1, 1, BitfieldRw,
                       "Reads, writes and increments integer fields of a string value", "3.2.0"));
  table.Add(FamilySpec("bitmap", "bitfield_ro", -2, kCmdReadFast, 1, 1, 1, BitfieldRo,
                       "Reads integer fields of a string value", "6.0.0"));
}

}  // namespace larder::server
