#pragma once

#include <string>
#include <string_view>

/// Writing JSON text directly, for the hot paths (log lines, contact pages) that do not build an
/// nlohmann tree.
namespace crm::core {

/// Appends `text` as a JSON string (RFC 8259): quoted, with quote, backslash and control
/// characters escaped. UTF-8 passes through unchanged.
void appendJsonString(std::string& out, std::string_view text);

/// Appends valid JSON `text` without the white space between its tokens, as a JSON writer
/// without indentation prints it: PostgreSQL prints jsonb as `{"a": 1, "b": 2}`.
void appendCompactJson(std::string& out, std::string_view text);

}  // namespace crm::core
