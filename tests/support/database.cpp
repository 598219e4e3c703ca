#include "support/database.hpp"

#include "db/migrations.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace crm::test {
namespace {

// Serialises template creation between test binaries running in parallel.
constexpr long long kTemplateLockKey = 0x63726d5f74706c;

std::string serverUrl() {
    const char* url = std::getenv("CRM_TEST_DATABASE_URL");
    if (url == nullptr || *url == '\0') {
        throw std::runtime_error(
            "CRM_TEST_DATABASE_URL is not set: run the tests with ./crm test, or point it at a "
            "PostgreSQL server whose user may create databases");
    }
    return url;
}

std::string uniqueName(const std::string& kind) {
    static std::atomic<int> counter{0};
    return "crm_test_" + kind + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++);
}

// A short fingerprint of the migration set, so a template built from older files is rebuilt.
std::string migrationsFingerprint() {
    std::string all;
    for (const auto& migration : db::builtInMigrations()) {
        all += migration.checksum;
    }
    return db::sha256Hex(all).substr(0, 12);
}

void createFromTemplate(pqxx::connection& admin, const std::string& name,
                        const std::string& template_name) {
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE " + tx.quote_name(template_name));
}

std::string ensureTemplate(pqxx::connection& admin) {
    const auto template_name = "crm_test_template_" + migrationsFingerprint();
    pqxx::nontransaction tx(admin);
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(kTemplateLockKey) + ")");
    const auto exists = tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1",
                                       template_name);
    if (exists.empty()) {
        const auto building = template_name + "_building";
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(building) + " WITH (FORCE)");
        tx.exec("CREATE DATABASE " + tx.quote_name(building) + " TEMPLATE template0");
        {
            pqxx::connection connection(databaseUrl(building));
            db::migrate(connection, db::builtInMigrations());
        }
        // Renamed only once complete, so a crash never leaves a half-migrated template.
        tx.exec("ALTER DATABASE " + tx.quote_name(building) + " RENAME TO " +
                tx.quote_name(template_name));
    }
    tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kTemplateLockKey) + ")");
    return template_name;
}

}  // namespace

std::string databaseUrl(const std::string& database) {
    auto url = serverUrl();
    const auto scheme_end = url.find("://");
    const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    const auto query = url.find('?');
    std::string rest = query == std::string::npos ? "" : url.substr(query);
    const auto base = path_start == std::string::npos ? url.substr(0, query) : url.substr(0, path_start);
    return base + "/" + database + rest;
}

TestDatabase::TestDatabase(std::string name, std::string url)
    : name_(std::move(name)), url_(std::move(url)) {}

std::unique_ptr<TestDatabase> TestDatabase::createMigrated() {
    pqxx::connection admin(serverUrl());
    const auto template_name = ensureTemplate(admin);
    const auto name = uniqueName("db");
    createFromTemplate(admin, name, template_name);
    return std::unique_ptr<TestDatabase>(new TestDatabase(name, databaseUrl(name)));
}

std::unique_ptr<TestDatabase> TestDatabase::createEmpty(const std::string& lc_ctype) {
    pqxx::connection admin(serverUrl());
    const auto name = uniqueName("empty");
    if (lc_ctype.empty()) {
        createFromTemplate(admin, name, "template0");
    } else {
        pqxx::nontransaction tx(admin);
        tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE template0 LC_CTYPE " + tx.quote(lc_ctype));
    }
    return std::unique_ptr<TestDatabase>(new TestDatabase(name, databaseUrl(name)));
}

TestDatabase::~TestDatabase() {
    try {
        pqxx::connection admin(serverUrl());
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (const std::exception&) {
        // The cluster is thrown away after the run anyway.
    }
}

pqxx::connection TestDatabase::connect() const {
    return pqxx::connection(url_);
}

void TestDatabase::truncateAll() const {
    auto connection = connect();
    pqxx::work tx(connection);
    const auto tables = tx.exec(
        "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
    if (!tables[0][0].is_null()) {
        tx.exec("TRUNCATE " + tables[0][0].as<std::string>() + " RESTART IDENTITY CASCADE");
    }
    tx.commit();
}

}  // namespace crm::test
