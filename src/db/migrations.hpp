#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace crm::db {

struct Migration {
    int version = 0;
    std::string name;      // file name, e.g. 0002_clients_contacts.sql
    std::string sql;
    std::string checksum;  // SHA-256 of the file, hex
};

/// Parses and orders migration files; throws std::runtime_error on a bad name or a repeated
/// version.
std::vector<Migration> loadMigrations(const std::vector<std::pair<std::string, std::string>>& files);

/// The migrations compiled into this binary (migrations/*.sql).
const std::vector<Migration>& builtInMigrations();

/// Thrown when the database and the migrations disagree; what() says how, in one line.
class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MigrationReport {
    std::vector<std::string> applied;  // names applied by this call
    int already_applied = 0;
};

/// Applies pending migrations in order, each in its own transaction, under an advisory lock so
/// that several nodes starting at once apply each migration once. Refuses (MigrationError)
/// when an applied migration's file changed or the database knows a migration this build lacks.
MigrationReport migrate(pqxx::connection& connection, const std::vector<Migration>& migrations);

/// Checks without changing anything: throws MigrationError when a file changed, a migration
/// is unknown to this build, or some are still pending.
void verifyMigrations(pqxx::connection& connection, const std::vector<Migration>& migrations);

/// Hex SHA-256 of `text`.
std::string sha256Hex(std::string_view text);

}  // namespace crm::db
