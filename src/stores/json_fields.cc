#include "stores/json_fields.h"

#include <fmt/format.h>

namespace larder::stores::json_fields {
namespace {

Status Bad(std::string_view field, std::string_view want) {
  return Status::Corruption(fmt::format("field \"{}\": missing or not {}", field, want));
}

const Json* Find(const Json& j, std::string_view field) {
  auto it = j.find(std::string(field));
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

Result<Json> ParseObject(std::string_view what, std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(fmt::format("{}: not a JSON object", what));
  }
  return j;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Status String(const Json& j, std::string_view field, std::string* out) {
  const Json* v = Find(j, field);
  if (v == nullptr || !v->is_string()) return Bad(field, "a string");
  *out = v->get_ref<const std::string&>();
  return Status::Ok();
}

Status Uint(const Json& j, std::string_view field, std::uint64_t* out) {
  const Json* v = Find(j, field);
  if (v == nullptr || !v->is_number_unsigned()) return Bad(field, "an unsigned integer");
  *out = v->get<std::uint64_t>();
  return Status::Ok();
}

Status Int(const Json& j, std::string_view field, std::int64_t* out) {
  const Json* v = Find(j, field);
  if (v == nullptr || !v->is_number_integer()) return Bad(field, "an integer");
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > INT64_MAX) return Bad(field, "an int64");
  *out = v->get<std::int64_t>();
  return Status::Ok();
}

Status Double(const Json& j, std::string_view field, double* out) {
  const Json* v = Find(j, field);
  if (v == nullptr || !v->is_number()) return Bad(field, "a number");
  *out = v->get<double>();
  return Status::Ok();
}

Status OptString(const Json& j, std::string_view field, std::string* out) {
  if (Find(j, field) == nullptr) return Status::Ok();
  return String(j, field, out);
}

Status OptUint(const Json& j, std::string_view field, std::uint64_t* out) {
  if (Find(j, field) == nullptr) return Status::Ok();
  return Uint(j, field, out);
}

}  // namespace larder::stores::json_fields
