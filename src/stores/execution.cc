#include "larder/stores/execution.h"

#include <array>

#include <fmt/format.h>

namespace larder::stores {
namespace {

constexpr std::array<std::string_view, kExecutionStateCount> kStateNames = {
    "created",   "bid_accepted", "running",   "publishing",
    "completed", "failed",       "cancelled", "bid_rejected"};
constexpr std::array<std::string_view, 3> kDesiredNames = {"pending", "running", "stopped"};

}  // namespace

std::string_view ExecutionStateName(ExecutionState state) {
  auto i = static_cast<std::size_t>(state);
  return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

Result<ExecutionState> ParseExecutionState(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<ExecutionState>(i);
  }
  return Status::InvalidArgument(fmt::format("\"{}\" is not an execution state", name));
}

bool IsTerminal(ExecutionState state) {
  return state == ExecutionState::kCompleted || state == ExecutionState::kFailed ||
         state == ExecutionState::kCancelled || state == ExecutionState::kBidRejected;
}

std::string_view DesiredStateName(DesiredState state) {
  auto i = static_cast<std::size_t>(state);
  return i < kDesiredNames.size() ? kDesiredNames[i] : "unknown";
}

Result<DesiredState> ParseDesiredState(std::string_view name) {
  for (std::size_t i = 0; i < kDesiredNames.size(); ++i) {
    if (kDesiredNames[i] == name) return static_cast<DesiredState>(i);
  }
  return Status::InvalidArgument(fmt::format("\"{}\" is not a desired state", name));
}

}  // namespace larder::stores
