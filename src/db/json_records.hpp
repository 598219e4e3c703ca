#pragma once

#include "db/statement.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crm::db {

/// One column of a row that PostgreSQL serialised with row_to_json() or json_agg().
struct JsonColumn {
    bool null = false;
    bool flag = false;         // booleans
    long long integer = 0;     // integers
    std::string text;          // strings (numeric columns are selected ::text, so arrive here)
    nlohmann::json nested;     // arrays and objects (jsonb columns, PostgreSQL arrays)

    std::optional<std::string> optionalText() {
        return null ? std::nullopt : std::optional<std::string>(std::move(text));
    }
    std::optional<long long> optionalInteger() const {
        return null ? std::nullopt : std::optional<long long>(integer);
    }
    /// A `timestamp AT TIME ZONE 'UTC'` column, which row_to_json prints without a zone (and
    /// with its `T`), in the form utcTimestamp() writes.
    std::optional<std::string> optionalUtcTimestamp() const {
        if (null) {
            return std::nullopt;
        }
        return utcTimestamp(UtcTimestampText{text});
    }
};

/// How each column name is stored into a record.
template <typename Record>
using JsonColumnSetters = std::unordered_map<std::string_view, void (*)(Record&, JsonColumn&)>;

/// Reads a JSON object, or an array of them, into records: the columns straight into their
/// fields, through `setters` (unknown columns are ignored). Parsed with simdjson: nlohmann's
/// parser, DOM or SAX, spent ~10 ns a byte, a tenth of a contact read's CPU.
template <typename Record>
std::vector<Record> readJsonRecords(std::string_view json, const JsonColumnSetters<Record>& setters);

namespace detail {

/// Calls `begin_record` for each object and `column` for each of its members. Throws
/// std::runtime_error when the text is not an object or an array of objects.
void forEachJsonRecord(std::string_view json, const std::function<void()>& begin_record,
                       const std::function<void(std::string_view, JsonColumn&)>& column);

}  // namespace detail

template <typename Record>
std::vector<Record> readJsonRecords(std::string_view json, const JsonColumnSetters<Record>& setters) {
    std::vector<Record> records;
    detail::forEachJsonRecord(
        json, [&records] { records.emplace_back(); },
        [&records, &setters](std::string_view name, JsonColumn& value) {
            if (const auto it = setters.find(name); it != setters.end()) {
                it->second(records.back(), value);
            }
        });
    return records;
}

}  // namespace crm::db
