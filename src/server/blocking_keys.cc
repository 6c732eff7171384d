#include "server/blocking_keys.h"

#include <limits>
#include <string>
#include <utility>

#include "server/args.h"
#include "server/blocking.h"
#include "server/reply_builder.h"

namespace larder::server {

std::optional<std::int64_t> ParseBlockDeadline(CommandContext& ctx, std::string_view arg) {
  std::string_view error;
  const std::optional<std::int64_t> ms = ParseTimeoutSeconds(arg, &error);
  if (!ms) {
    ctx.reply.Error(error);
    return std::nullopt;
  }
  if (*ms == 0) return std::int64_t{0};
  std::int64_t deadline;
  if (__builtin_add_overflow(ctx.now_ms, *ms, &deadline)) {
    deadline = std::numeric_limits<std::int64_t>::max();
  }
  return deadline;
}

void BlockOnKeys(CommandContext& ctx, std::span<const std::string_view> keys,
                 std::int64_t deadline_ms, void (*on_timeout)(ReplyBuilder&),
                 std::optional<ValueType> key_type) {
  if (!ctx.may_block) {
    on_timeout(ctx.reply);
    return;
  }
  BlockOptions options;
  for (std::string_view key : keys) {
    options.keys.push_back(WaitKey{ctx.db.index(), std::string(key)});
  }
  options.deadline_ms = deadline_ms;
  options.on_timeout = on_timeout;
  options.key_type = key_type;
  ctx.server.Service<BlockingService>().Block(ctx, std::move(options));
}

}  // namespace larder::server
