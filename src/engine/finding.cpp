// Facts for replay specs: values encoded as JSON once, where the rule knows their type.
#include "engine/finding.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace lstmlint::engine {

Fact Fact::integer(std::string key, long long value, std::optional<Span> origin, std::string note) {
  return {std::move(key), std::to_string(value), origin, std::move(note)};
}

Fact Fact::number(std::string key, double value, std::optional<Span> origin, std::string note) {
  return {std::move(key), std::isfinite(value) ? nlohmann::json(value).dump() : "null", origin, std::move(note)};
}

Fact Fact::boolean(std::string key, bool value, std::optional<Span> origin, std::string note) {
  return {std::move(key), value ? "true" : "false", origin, std::move(note)};
}

Fact Fact::text(std::string key, const std::string& value, std::optional<Span> origin, std::string note) {
  return {std::move(key), nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), origin,
          std::move(note)};
}

Fact Fact::integers(std::string key, const std::vector<long long>& values, std::optional<Span> origin, std::string note) {
  return {std::move(key), nlohmann::json(values).dump(), origin, std::move(note)};
}

}  // namespace lstmlint::engine
