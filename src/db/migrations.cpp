#include "db/migrations.hpp"

#include "core/embedded.hpp"
#include "core/log.hpp"

#include <sodium.h>

#include <chrono>
#include <map>
#include <regex>

namespace crm::db {
namespace {

// One lock key for every node of every deployment sharing this database.
constexpr long long kMigrationLockKey = 0x63726d5f6d696772;  // "crm_migr"

constexpr const char kCreateTable[] = R"sql(
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version     integer PRIMARY KEY,
        name        text NOT NULL,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        duration_ms integer NOT NULL
    ))sql";

struct Applied {
    std::string name;
    std::string checksum;
};

std::map<int, Applied> appliedMigrations(pqxx::transaction_base& tx) {
    std::map<int, Applied> applied;
    const auto exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL")[0][0];
    if (!exists.as<bool>()) {
        return applied;
    }
    for (const auto& row : tx.exec("SELECT version, name, checksum FROM schema_migrations")) {
        applied.emplace(row[0].as<int>(), Applied{row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return applied;
}

// Throws when an applied migration changed or is unknown; returns those still to apply.
std::vector<const Migration*> pendingAfterChecks(const std::map<int, Applied>& applied,
                                                 const std::vector<Migration>& migrations) {
    std::map<int, const Migration*> known;
    for (const auto& migration : migrations) {
        known.emplace(migration.version, &migration);
    }
    for (const auto& [version, row] : applied) {
        const auto it = known.find(version);
        if (it == known.end()) {
            throw MigrationError("the database has migration " + row.name +
                                 " which this build does not know: deploy the newer build");
        }
        if (it->second->checksum != row.checksum) {
            throw MigrationError("migration " + it->second->name +
                                 " was changed after it was applied (checksum " + row.checksum +
                                 " in the database, " + it->second->checksum +
                                 " in the file): migrations are forward-only, add a new one");
        }
    }
    std::vector<const Migration*> pending;
    for (const auto& migration : migrations) {
        if (applied.find(migration.version) == applied.end()) {
            pending.push_back(&migration);
        }
    }
    return pending;
}

// The API checks and folds text as PostgreSQL does in a C.UTF-8 database (core::lowerUnicode,
// core::containsSpace): e-mails, tags and the check functions must agree on both sides. A
// database whose LC_CTYPE is C, Turkish or ICU-provided would not, and would store text the API
// can no longer find.
void requireUnicodeCtype(pqxx::transaction_base& tx) {
    const auto row = tx.exec1(
        "SELECT lower('IÉΣ') = 'iéσ' AND E'\\u3000' ~ '^\\s$', current_setting('lc_ctype')");
    if (!row[0].as<bool>()) {
        throw MigrationError("the database's LC_CTYPE (" + row[1].as<std::string>() +
                             ") does not fold case and white space as C.UTF-8 does: create it with "
                             "ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' (README, External PostgreSQL)");
    }
}

}  // namespace

std::string sha256Hex(std::string_view text) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

std::vector<Migration> loadMigrations(const std::vector<std::pair<std::string, std::string>>& files) {
    static const std::regex kName(R"(^(\d{4})_[a-z0-9_]+\.sql$)");
    std::vector<Migration> migrations;
    for (const auto& [name, sql] : files) {
        std::smatch match;
        if (!std::regex_match(name, match, kName)) {
            throw MigrationError("migration file name " + name + " is not NNNN_name.sql");
        }
        migrations.push_back(Migration{std::stoi(match[1].str()), name, sql, sha256Hex(sql)});
    }
    std::sort(migrations.begin(), migrations.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < migrations.size(); ++i) {
        if (migrations[i].version == migrations[i - 1].version) {
            throw MigrationError("two migrations share version " +
                                 std::to_string(migrations[i].version));
        }
    }
    return migrations;
}

const std::vector<Migration>& builtInMigrations() {
    static const std::vector<Migration> migrations = [] {
        std::vector<std::pair<std::string, std::string>> files;
        for (const auto& file : embedded::migrations()) {
            files.emplace_back(file.name, file.content);
        }
        return loadMigrations(files);
    }();
    return migrations;
}

MigrationReport migrate(pqxx::connection& connection, const std::vector<Migration>& migrations) {
    MigrationReport report;
    {
        pqxx::nontransaction lock(connection);
        lock.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    }
    try {
        {
            pqxx::work tx(connection);
            tx.exec(kCreateTable);
            tx.commit();
        }
        std::vector<const Migration*> pending;
        {
            pqxx::work tx(connection);
            requireUnicodeCtype(tx);
            const auto applied = appliedMigrations(tx);
            report.already_applied = static_cast<int>(applied.size());
            pending = pendingAfterChecks(applied, migrations);
        }
        for (const auto* migration : pending) {
            const auto started = std::chrono::steady_clock::now();
            pqxx::work tx(connection);
            tx.exec(migration->sql);
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
            tx.exec_params(
                "INSERT INTO schema_migrations (version, name, checksum, duration_ms) "
                "VALUES ($1, $2, $3, $4)",
                migration->version, migration->name, migration->checksum, static_cast<int>(ms));
            tx.commit();
            core::log::info("migration applied", {{"migration", migration->name}, {"ms", ms}});
            report.applied.push_back(migration->name);
        }
    } catch (...) {
        pqxx::nontransaction unlock(connection);
        unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
        throw;
    }
    pqxx::nontransaction unlock(connection);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    return report;
}

void verifyMigrations(pqxx::connection& connection, const std::vector<Migration>& migrations) {
    pqxx::work tx(connection);
    requireUnicodeCtype(tx);
    const auto pending = pendingAfterChecks(appliedMigrations(tx), migrations);
    if (!pending.empty()) {
        throw MigrationError(std::to_string(pending.size()) + " migration(s) not applied yet, " +
                             "the first is " + pending.front()->name +
                             ": run `crm-server migrate` (or ./crm migrate)");
    }
}

}  // namespace crm::db
