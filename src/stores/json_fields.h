// Checked reads of JSON record fields: a missing or mistyped field is a Corruption naming the
// field, never an exception or a default. Used by the stores' record codecs.
#ifndef LARDER_SRC_STORES_JSON_FIELDS_H_
#define LARDER_SRC_STORES_JSON_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "larder/result.h"
#include "larder/status.h"

namespace larder::stores::json_fields {

using Json = nlohmann::json;

// Parses `text` as one JSON object. Corruption (naming `what`) when it is not.
Result<Json> ParseObject(std::string_view what, std::string_view text);
// Serializes compactly; invalid UTF-8 in strings is replaced rather than throwing.
std::string Dump(const Json& j);

Status String(const Json& j, std::string_view field, std::string* out);
Status Uint(const Json& j, std::string_view field, std::uint64_t* out);
Status Int(const Json& j, std::string_view field, std::int64_t* out);
Status Double(const Json& j, std::string_view field, double* out);
// Optional variants: absent leaves *out unchanged; present with a wrong type is Corruption.
Status OptString(const Json& j, std::string_view field, std::string* out);
Status OptUint(const Json& j, std::string_view field, std::uint64_t* out);

}  // namespace larder::stores::json_fields

#endif  // LARDER_SRC_STORES_JSON_FIELDS_H_
