#pragma once

#include <string>

namespace crm::core {

/// Appends the current time as the API and the log write times: RFC 3339 UTC with six fraction
/// digits, 2026-01-31T12:34:56.123456Z (as db::utcTimestamp() writes a column).
void appendUtcNow(std::string& out);
std::string utcNow();

}  // namespace crm::core
