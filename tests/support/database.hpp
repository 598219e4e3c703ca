#pragma once

#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace crm::test {

/// A PostgreSQL database owned by one test binary, dropped when it is destroyed. The server
/// comes from CRM_TEST_DATABASE_URL (set by `./crm test`), whose user may create databases.
class TestDatabase {
public:
    /// A database with every migration applied, copied from a template that is migrated once
    /// per migration set and shared by all test binaries.
    static std::unique_ptr<TestDatabase> createMigrated();
    /// A database with nothing in it; with `lc_ctype`, in that character locale instead of the
    /// server's default.
    static std::unique_ptr<TestDatabase> createEmpty(const std::string& lc_ctype = {});
    ~TestDatabase();

    const std::string& url() const { return url_; }
    const std::string& name() const { return name_; }
    pqxx::connection connect() const;
    /// Empties every table but schema_migrations.
    void truncateAll() const;

private:
    TestDatabase(std::string name, std::string url);
    std::string name_;
    std::string url_;
};

/// CRM_TEST_DATABASE_URL with its database name replaced.
std::string databaseUrl(const std::string& database);

}  // namespace crm::test
