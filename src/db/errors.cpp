#include "db/errors.hpp"

#include <pqxx/pqxx>

namespace crm::db {

std::optional<core::AppError> translate(const std::exception& error) {
    if (const auto* broken = dynamic_cast<const pqxx::broken_connection*>(&error)) {
        return core::AppError::unavailable("The database is unavailable; retry shortly",
                                           broken->what(), 1);
    }
    // Not sql_errors in libpqxx 6: a commit whose outcome is unknown, and a transaction
    // PostgreSQL rolled back (deadlock, serialization failure), which a retry can redo.
    if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr ||
        dynamic_cast<const pqxx::statement_completion_unknown*>(&error) != nullptr) {
        return core::AppError::unavailable(
            "The connection to the database was lost while saving: check whether the change was "
            "saved before retrying",
            error.what(), 1);
    }
    if (dynamic_cast<const pqxx::transaction_rollback*>(&error) != nullptr) {
        return core::AppError::unavailable(
            "The change collided with another one at the same moment and was undone; retry",
            error.what(), 1);
    }
    const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
    if (sql == nullptr) {
        return std::nullopt;
    }
    const std::string state = sql->sqlstate();
    const std::string detail = std::string(sql->what()) + " [" + state + "]";
    // Class 08 connection exceptions, 57P01-03 the server shutting down or starting,
    // 53 insufficient resources, 40001/40P01 serialization failure and deadlock: all transient.
    if (state.rfind("08", 0) == 0 || state.rfind("57P0", 0) == 0 || state.rfind("53", 0) == 0 ||
        state == "40001" || state == "40P01") {
        return core::AppError::unavailable("The database is busy or restarting; retry shortly",
                                           detail, 1);
    }
    if (state == "57014") {
        return core::AppError::unavailable("The request took too long and was cancelled", detail, 1);
    }
    if (state == "23505") {
        return core::AppError(core::ErrorCode::Conflict,
                              "The change conflicts with an existing record", detail);
    }
    if (state == "23503") {
        return core::AppError(core::ErrorCode::Validation,
                              "The change refers to a record that does not exist", detail);
    }
    if (state == "23514" || state == "23502" || state.rfind("22", 0) == 0) {
        return core::AppError(core::ErrorCode::Validation, "The change breaks a data rule", detail);
    }
    return std::nullopt;
}

bool wasRolledBack(const std::exception& error) {
    if (dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr ||
        dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr) {
        return true;
    }
    const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error);
    return sql != nullptr && (sql->sqlstate() == "40P01" || sql->sqlstate() == "40001");
}

}  // namespace crm::db
