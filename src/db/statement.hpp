#pragma once

#include <pqxx/pqxx>

#include <string>
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
