// JSON form of execution records and history events (docs/stores.md).
#ifndef LARDER_SRC_STORES_EXECUTION_CODEC_H_
#define LARDER_SRC_STORES_EXECUTION_CODEC_H_

#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/stores/execution.h"

namespace larder::stores {

std::string EncodeExecution(const Execution& e);
// Corruption naming the field for a damaged or foreign record.
Result<Execution> DecodeExecution(std::string_view json);

std::string EncodeExecutionEvent(const ExecutionEvent& ev);
Result<ExecutionEvent> DecodeExecutionEvent(std::string_view json);

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_EXECUTION_CODEC_H_
