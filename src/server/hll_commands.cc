// The HyperLogLog commands of Redis 7.0: PFADD PFCOUNT PFMERGE, and PFDEBUG / PFSELFTEST (the
// introspection Redis's own test suite uses). An HLL is a string value in Redis's representation
// (hll.h), so GET, SET, APPEND and SETRANGE see the same bytes as in Redis, and a corrupted value
// is reported as Redis does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/args.h"
#include "server/command.h"
#include "server/hll.h"
#include "server/keyspace.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/string_family.h"

namespace larder::server {
namespace {

constexpr std::string_view kInvalidHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorruptHll = "INVALIDOBJ Corrupted HLL object detected";

std::size_t SparseMaxBytes(const CommandContext& ctx) {
  return static_cast<std::size_t>(ctx.server.exec_config().hll_sparse_max_bytes);
}

// Reads `key` as an HLL. Replies the error and returns false when it holds another type or a
// string that is not an HLL; *found says whether the key exists (value then in *value).
Result<bool> ReadHll(CommandContext& ctx, std::string_view key, bool counted, bool* found,
                     std::string* value) {
  LARDER_ASSIGN_OR_RETURN(StringRead read,
                          counted ? ReadStringCounted(ctx, key) : ReadString(ctx.db, key));
  *found = read.state != StringState::kMissing;
  if (read.state == StringState::kWrongType) {
    ctx.reply.Error(errors::kWrongType);
    return false;
  }
  if (*found && !hll::LooksValid(read.value)) {
    ctx.reply.Error(kInvalidHll);
    return false;
  }
  *value = std::move(read.value);
  return true;
}

// Stores an HLL, keeping the key's expiry.
Status StoreHll(CommandContext& ctx, std::string_view key, std::string_view value) {
  SetStringOptions options;
  options.keep_ttl = true;
  return ctx.db.SetString(key, value, options);
}

Status PfAdd(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool found = false;
  std::string value;
  LARDER_ASSIGN_OR_RETURN(bool ok, ReadHll(ctx, key, /*counted=*/false, &found, &value));
  if (!ok) return Status::Ok();
  bool updated = !found;
  if (!found) value = hll::NewSparse();
  const std::size_t sparse_max = SparseMaxBytes(ctx);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    hll::Change change = hll::Add(&value, ctx.argv[i], sparse_max);
    if (change == hll::Change::kCorrupt) {
      ctx.reply.Error(kCorruptHll);
      return Status::Ok();
    }
    if (change == hll::Change::kUpdated) updated = true;
  }
  if (updated) {
    hll::InvalidateCache(&value);
    LARDER_RETURN_IF_ERROR(StoreHll(ctx, key, value));
    NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", key);
  }
  ctx.reply.Integer(updated ? 1 : 0);
  return Status::Ok();
}

// PFCOUNT of several keys: the estimate of their union (no cache is read or written).
Status PfCountUnion(CommandContext& ctx) {
  hll::Registers max{};
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    bool found = false;
    std::string value;
    LARDER_ASSIGN_OR_RETURN(bool ok, ReadHll(ctx, ctx.argv[i], /*counted=*/true, &found, &value));
    if (!ok) return Status::Ok();
    if (found && !hll::MergeInto(value, &max)) {
      ctx.reply.Error(kCorruptHll);
      return Status::Ok();
    }
  }
  ctx.reply.Integer(static_cast<std::int64_t>(hll::Estimate(max)));
  return Status::Ok();
}

// PFCOUNT of one key answers from the cached cardinality when it is valid, else estimates and
// stores the estimate in the header (as Redis, a "read" that writes the value back).
Status PfCount(CommandContext& ctx) {
  if (ctx.argv.size() > 2) return PfCountUnion(ctx);
  std::string_view key = ctx.argv[1];
  bool found = false;
  std::string value;
  LARDER_ASSIGN_OR_RETURN(bool ok, ReadHll(ctx, key, /*counted=*/true, &found, &value));
  if (!ok) return Status::Ok();
  if (!found) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (hll::CacheValid(value)) {
    ctx.reply.Integer(static_cast<std::int64_t>(hll::CachedCardinality(value)));
    return Status::Ok();
  }
  std::optional<std::uint64_t> card = hll::Count(value);
  if (!card) {
    ctx.reply.Error(kCorruptHll);
    return Status::Ok();
  }
  hll::SetCachedCardinality(&value, *card);
  LARDER_RETURN_IF_ERROR(StoreHll(ctx, key, value));
  ctx.reply.Integer(static_cast<std::int64_t>(*card));
  return Status::Ok();
}

// PFMERGE dest src...: dest (itself one of the inputs) takes the register-wise maximum; it turns
// dense when any input is dense.
Status PfMerge(CommandContext& ctx) {
  std::string_view dest = ctx.argv[1];
  hll::Registers max{};
  bool use_dense = false;
  bool dest_found = false;
  std::string dest_value;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    bool found = false;
    std::string value;
    LARDER_ASSIGN_OR_RETURN(bool ok, ReadHll(ctx, ctx.argv[i], /*counted=*/false, &found, &value));
    if (!ok) return Status::Ok();
    if (!found) continue;
    if (hll::IsDense(value)) use_dense = true;
    if (!hll::MergeInto(value, &max)) {
      ctx.reply.Error(kCorruptHll);
      return Status::Ok();
    }
    if (i == 1) {
      dest_found = true;
      dest_value = std::move(value);
    }
  }
  if (!dest_found) dest_value = hll::NewSparse();
  if (use_dense && !hll::ToDense(&dest_value)) {
    ctx.reply.Error(kCorruptHll);
    return Status::Ok();
  }
  const std::size_t sparse_max = SparseMaxBytes(ctx);
  for (int j = 0; j < hll::kRegisters; ++j) {
    if (max[j] == 0) continue;
    if (hll::SetRegister(&dest_value, j, max[j], sparse_max) == hll::Change::kCorrupt) {
      ctx.reply.Error(kCorruptHll);
      return Status::Ok();
    }
  }
  hll::InvalidateCache(&dest_value);
  LARDER_RETURN_IF_ERROR(StoreHll(ctx, dest, dest_value));
  NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", dest);
  ctx.reply.Ok();
  return Status::Ok();
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. GETREG and TODENSE turn a sparse value dense.
Status PfDebug(CommandContext& ctx) {
  std::string_view sub = ctx.argv[1];
  std::string_view key = ctx.argv[2];
  bool found = false;
  std::string value;
  LARDER_ASSIGN_OR_RETURN(bool ok, ReadHll(ctx, key, /*counted=*/false, &found, &value));
  if (ok && !found) ctx.reply.Error("ERR The specified key does not exist");
  if (!ok || !found) return Status::Ok();
  const bool sparse = !hll::IsDense(value);
  if (EqualsIgnoreCase(sub, "getreg") || EqualsIgnoreCase(sub, "todense")) {
    if (sparse) {
      if (!hll::ToDense(&value)) {
        ctx.reply.Error(kCorruptHll);
        return Status::Ok();
      }
      LARDER_RETURN_IF_ERROR(StoreHll(ctx, key, value));
    }
    if (EqualsIgnoreCase(sub, "todense")) {
      ctx.reply.Integer(sparse ? 1 : 0);
      return Status::Ok();
    }
    const auto* regs = reinterpret_cast<const std::uint8_t*>(value.data()) + hll::kHeaderSize;
    ctx.reply.ArrayHeader(hll::kRegisters);
    for (int j = 0; j < hll::kRegisters; ++j) ctx.reply.Integer(hll::DenseGet(regs, j));
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (!sparse) {
      ctx.reply.Error("ERR HLL encoding is not sparse");
      return Status::Ok();
    }
    std::optional<std::string> text = hll::DecodeSparse(value);
    if (!text) {
      ctx.reply.Error(kCorruptHll);
      return Status::Ok();
    }
    ctx.reply.Bulk(*text);  // a bulk string in Redis 7.0, unlike ENCODING
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.SimpleString(sparse ? "sparse" : "dense");
  } else {
    ctx.reply.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
  return Status::Ok();
}

Status PfSelfTest(CommandContext& ctx) {
  std::string failure = hll::SelfTest();
  if (failure.empty()) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(failure);
  }
  return Status::Ok();
}

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& table) {
  constexpr std::string_view kGroup = "hyperloglog";
  table.Add(FamilySpec(kGroup, "pfadd", -2, kCmdGrowFast, 1, 1, 1, PfAdd,
                       "Adds elements to a HyperLogLog key", "2.8.9"));
  table.Add(FamilySpec(kGroup, "pfcount", -2, kCmdReadOnly, 1, -1, 1, PfCount,
                       "The approximated cardinality of the union of HyperLogLogs", "2.8.9"));
  table.Add(FamilySpec(kGroup, "pfmerge", -2, kCmdWrite | kCmdDenyOom, 1, -1, 1, PfMerge,
                       "Merges HyperLogLogs into one", "2.8.9"));
  table.Add(FamilySpec(kGroup, "pfdebug", 3, kCmdWrite | kCmdDenyOom | kCmdAdmin, 2, 2, 1, PfDebug,
                       "Internal commands for debugging HyperLogLog values", "2.8.9"));
  table.Add(FamilySpec(kGroup, "pfselftest", 1, kCmdAdmin, 0, 0, 0, PfSelfTest,
                       "An internal command for testing HyperLogLog values", "2.8.9"));
}

}  // namespace larder::server
