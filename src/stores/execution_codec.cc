#include "stores/execution_codec.h"

#include "stores/json_fields.h"

namespace larder::stores {

using json_fields::Json;

std::string EncodeExecution(const Execution& e) {
  Json j = {
      {"id", e.id},
      {"job_id", e.job_id},
      {"job_type", e.job_type},
      {"state", ExecutionStateName(e.state)},
      {"desired_state", DesiredStateName(e.desired_state)},
      {"revision", e.revision},
      {"create_time", e.create_time_ns},
      {"modify_time", e.modify_time_ns},
      {"resources",
       {{"cpu", e.resources.cpu},
        {"memory_bytes", e.resources.memory_bytes},
        {"disk_bytes", e.resources.disk_bytes},
        {"gpu", e.resources.gpu}}},
  };
  if (e.result.has_value()) {
    j["result"] = {{"exit_code", e.result->exit_code}, {"output", e.result->output}};
  }
  if (!e.error.empty()) j["error"] = e.error;
  return json_fields::Dump(j);
}

Result<Execution> DecodeExecution(std::string_view json) {
  namespace f = json_fields;
  LARDER_ASSIGN_OR_RETURN(Json j, f::ParseObject("execution record", json));
  Execution e;
  std::string state, desired;
  LARDER_RETURN_IF_ERROR(f::String(j, "id", &e.id));
  LARDER_RETURN_IF_ERROR(f::String(j, "job_id", &e.job_id));
  LARDER_RETURN_IF_ERROR(f::String(j, "job_type", &e.job_type));
  LARDER_RETURN_IF_ERROR(f::String(j, "state", &state));
  LARDER_RETURN_IF_ERROR(f::String(j, "desired_state", &desired));
  LARDER_RETURN_IF_ERROR(f::Uint(j, "revision", &e.revision));
  LARDER_RETURN_IF_ERROR(f::Int(j, "create_time", &e.create_time_ns));
  LARDER_RETURN_IF_ERROR(f::Int(j, "modify_time", &e.modify_time_ns));
  Result<ExecutionState> s = ParseExecutionState(state);
  if (!s.ok()) return Status::Corruption(s.status().message());
  e.state = *s;
  Result<DesiredState> d = ParseDesiredState(desired);
  if (!d.ok()) return Status::Corruption(d.status().message());
  e.desired_state = *d;
  auto res = j.find("resources");
  if (res == j.end() || !res->is_object()) {
    return Status::Corruption("field \"resources\": missing or not an object");
  }
  LARDER_RETURN_IF_ERROR(f::Double(*res, "cpu", &e.resources.cpu));
  LARDER_RETURN_IF_ERROR(f::Uint(*res, "memory_bytes", &e.resources.memory_bytes));
  LARDER_RETURN_IF_ERROR(f::Uint(*res, "disk_bytes", &e.resources.disk_bytes));
  LARDER_RETURN_IF_ERROR(f::Uint(*res, "gpu", &e.resources.gpu));
  auto result = j.find("result");
  if (result != j.end()) {
    if (!result->is_object()) return Status::Corruption("field \"result\": not an object");
    ExecutionResult r;
    LARDER_RETURN_IF_ERROR(f::Int(*result, "exit_code", &r.exit_code));
    LARDER_RETURN_IF_ERROR(f::String(*result, "output", &r.output));
    e.result = std::move(r);
  }
  LARDER_RETURN_IF_ERROR(f::OptString(j, "error", &e.error));
  return e;
}

std::string EncodeExecutionEvent(const ExecutionEvent& ev) {
  Json j = {{"seq", ev.seq},
            {"time", ev.time_ns},
            {"new_state", ExecutionStateName(ev.new_state)},
            {"revision", ev.revision},
            {"reason", ev.reason}};
  if (ev.previous_state.has_value()) j["previous_state"] = ExecutionStateName(*ev.previous_state);
  return json_fields::Dump(j);
}

Result<ExecutionEvent> DecodeExecutionEvent(std::string_view json) {
  namespace f = json_fields;
  LARDER_ASSIGN_OR_RETURN(Json j, f::ParseObject("execution history entry", json));
  ExecutionEvent ev;
  std::string new_state, previous;
  LARDER_RETURN_IF_ERROR(f::Uint(j, "seq", &ev.seq));
  LARDER_RETURN_IF_ERROR(f::Int(j, "time", &ev.time_ns));
  LARDER_RETURN_IF_ERROR(f::String(j, "new_state", &new_state));
  LARDER_RETURN_IF_ERROR(f::Uint(j, "revision", &ev.revision));
  LARDER_RETURN_IF_ERROR(f::String(j, "reason", &ev.reason));
  LARDER_RETURN_IF_ERROR(f::OptString(j, "previous_state", &previous));
  Result<ExecutionState> s = ParseExecutionState(new_state);
  if (!s.ok()) return Status::Corruption(s.status().message());
  ev.new_state = *s;
  if (!previous.empty()) {
    Result<ExecutionState> p = ParseExecutionState(previous);
    if (!p.ok()) return Status::Corruption(p.status().message());
    ev.previous_state = *p;
  }
  return ev;
}

}  // namespace larder::stores
