#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::db {

/// A named SQL statement. Defining one at namespace scope in a repository registers it, so
/// every pooled connection prepares it (when prepared statements are on).
class Statement {
public:
    Statement(const char* name, const char* sql);
    const std::string& name() const { return name_; }
    const std::string& sql() const { return sql_; }

private:
    std::string name_;
    std::string sql_;
};

/// Several reads that must agree with one another (a page and its embedded profiles, a summary
/// and its facts, links and the version they carry): one snapshot for all of them. Read
/// Committed would let each statement see a different moment.
using SnapshotRead = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

/// Every registered statement.
const std::vector<const Statement*>& statements();

/// Whether exec() uses server-side prepared statements (CRM_DB_PREPARED_STATEMENTS; off behind
/// PgBouncer in transaction mode before 1.21).
void setPreparedStatements(bool enabled);
bool preparedStatements();

/// Prepares every registered statement on a new connection.
void prepareAll(pqxx::connection& connection);

/// Runs a statement with `$n` parameters, prepared or not as configured.
template <typename... Args>
pqxx::result exec(pqxx::transaction_base& tx, const Statement& statement, Args&&... args) {
    if (preparedStatements()) {
        return tx.exec_prepared(statement.name(), std::forward<Args>(args)...);
    }
    return tx.exec_params(statement.sql(), std::forward<Args>(args)...);
}

}  // namespace crm::db

namespace crm::db {

/// A nullable column as std::optional. libpqxx 6.4's own `as<std::optional<T>>()` builds the
/// empty value from nullptr under C++20 and throws on every NULL, so it must not be used.
template <typename T>
std::optional<T> nullable(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<T>();
}

}  // namespace crm::db

namespace crm::db {

/// RFC 3339 text ("2026-03-31T09:30:00.123456Z") of a column selected as
/// `(column AT TIME ZONE 'UTC')`, i.e. a UTC timestamp without zone in PostgreSQL's ISO output.
/// Formatting here rather than with to_char() keeps a primary-key read ~2.5x cheaper for
/// PostgreSQL.
std::string utcTimestamp(const pqxx::field& field);
std::optional<std::string> nullableUtcTimestamp(const pqxx::field& field);

/// Such a column's text as PostgreSQL printed it ("2026-03-31 09:30:00.123456"), viewed in its
/// result: rows read in place keep it so, and it becomes RFC 3339 only as it is written out.
struct UtcTimestampText {
    std::string_view text;
};
/// Appends the RFC 3339 form utcTimestamp() returns, always with six fraction digits
/// ("2026-03-31T09:30:00.000000Z"), so that the text sorts as the time does.
void appendUtcTimestamp(std::string& out, UtcTimestampText timestamp);
std::string utcTimestamp(UtcTimestampText timestamp);

/// PostgreSQL's array literal of ids ("{a,b}"), for a `$n::uuid[]` parameter. The ids are
/// canonical UUIDs (checked by the caller), so nothing needs quoting.
std::string uuidArray(const std::vector<std::string>& ids);

/// A json or jsonb column's text as PostgreSQL printed it, viewed in its result.
struct JsonText {
    std::string_view text;
};

}  // namespace crm::db
