#include "db/statement.hpp"

#include <atomic>

namespace crm::db {
namespace {

std::vector<const Statement*>& registry() {
    static std::vector<const Statement*> all;
    return all;
}

std::atomic<bool> g_prepared{true};

}  // namespace

Statement::Statement(const char* name, const char* sql) : name_(name), sql_(sql) {
    registry().push_back(this);
}

const std::vector<const Statement*>& statements() {
    return registry();
}

void setPreparedStatements(bool enabled) {
    g_prepared = enabled;
}

bool preparedStatements() {
    return g_prepared.load(std::memory_order_relaxed);
}

void prepareAll(pqxx::connection& connection) {
    if (!preparedStatements()) {
        return;
    }
    for (const auto* statement : registry()) {
        connection.prepare(statement->name(), statement->sql());
    }
}

}  // namespace crm::db

namespace crm::db {

void appendUtcTimestamp(std::string& out, UtcTimestampText timestamp) {
    // PostgreSQL prints "2026-03-31 09:30:00" or "2026-03-31 09:30:00.1234", dropping the
    // fraction's trailing zeros. Written with all six digits, the text sorts as the time does:
    // "09:30:00.54072Z" came after "09:30:00.540721Z" as text, before it as time.
    constexpr std::size_t kDigits = 6;
    const auto text = timestamp.text;
    const auto start = out.size();
    out.append(text);
    const auto space = text.find(' ');  // after the date: a year may have five digits
    if (space != std::string_view::npos) {
        out[start + space] = 'T';
    }
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        out.push_back('.');
        out.append(kDigits, '0');
    } else if (const auto digits = text.size() - dot - 1; digits < kDigits) {
        out.append(kDigits - digits, '0');
    }
    out.push_back('Z');
}

std::string utcTimestamp(UtcTimestampText timestamp) {
    std::string text;
    text.reserve(timestamp.text.size() + 8);
    appendUtcTimestamp(text, timestamp);
    return text;
}

std::string utcTimestamp(const pqxx::field& field) {
    return utcTimestamp(UtcTimestampText{std::string_view(field.c_str(), field.size())});
}

std::optional<std::string> nullableUtcTimestamp(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return utcTimestamp(field);
}

std::string uuidArray(const std::vector<std::string>& ids) {
    std::string out = "{";
    for (const auto& id : ids) {
        out += (out.size() > 1 ? "," : "") + id;
    }
    return out + "}";
}

}  // namespace crm::db
