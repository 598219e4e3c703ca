#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace crm::ops {

/// Converts a YAML document to JSON. Plain scalars become booleans, nulls and numbers where
/// YAML 1.2's core schema says so; quoted scalars stay strings. Throws std::runtime_error.
nlohmann::json yamlToJson(std::string_view yaml);

/// The API contract (openapi/openapi.yaml compiled into the binary) as JSON, parsed once.
const nlohmann::json& openapiJson();

}  // namespace crm::ops
