#include "support/test_server.hpp"

#include "auth/passwords.hpp"
#include "auth/repository.hpp"
#include "auth/sessions.hpp"
#include "auth/tokens.hpp"
#include "core/config.hpp"
#include "db/statement.hpp"
#include "kv/redis.hpp"

#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace crm::test {

std::string testRedisUrl() {
    const char* url = std::getenv("CRM_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') {
        throw std::runtime_error("CRM_TEST_REDIS_URL is not set: run the tests with ./crm test");
    }
    return url;
}

void clearRedisPrefix(const std::string& prefix) {
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000), prefix});
    std::string cursor = "0";
    do {
        const auto reply = redis.command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
        cursor = reply.elements.at(0).text;
        for (const auto& key : reply.elements.at(1).elements) {
            redis.command({"DEL", key.text});
        }
    } while (cursor != "0");
}

std::map<std::string, std::string> TestServer::baseSettings(const TestDatabase& database) {
    static std::atomic<int> counter{0};
    return {
        {"CRM_ENV", "test"},
        {"CRM_HOST", "127.0.0.1"},
        {"CRM_PORT", "0"},
        {"CRM_DATABASE_URL", database.url()},
        {"CRM_REDIS_URL", testRedisUrl()},
        {"CRM_REDIS_PREFIX", "crm_test:" + std::to_string(::getpid()) + ":" +
                                 std::to_string(counter++) + ":"},
        {"CRM_JWT_SECRET", "test-only-secret-0123456789abcdef0123456789abcdef"},
        {"CRM_DB_POOL_SIZE", "4"},
        {"CRM_ACCESS_LOG", "false"},
        {"CRM_LOG_LEVEL", "warn"},
        {"CRM_SHUTDOWN_GRACE_SECONDS", "5"},
    };
}

std::unique_ptr<TestServer> TestServer::start(
    const std::map<std::string, std::string>& overrides,
    const std::function<void(http::Router&)>& extra_routes) {
    return start(TestDatabase::createMigrated(), overrides, extra_routes);
}

std::unique_ptr<TestServer> TestServer::start(
    std::unique_ptr<TestDatabase> database, const std::map<std::string, std::string>& overrides,
    const std::function<void(http::Router&)>& extra_routes) {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
    std::unique_ptr<TestServer> server(new TestServer());
    server->database_ = std::move(database);
    server->settings_ = baseSettings(*server->database_);
    for (const auto& [name, value] : overrides) {
        server->settings_[name] = value;
    }
    server->app_ = std::make_unique<app::Application>(core::Config::fromEnvironment(server->settings_), extra_routes);
    server->app_->start();
    return server;
}

TestServer::~TestServer() {
    if (app_) {
        app_->stop();
        app_.reset();
    }
    try {
        clearRedisPrefix(settings_.at("CRM_REDIS_PREFIX"));
    } catch (const std::exception&) {
        // Redis may be the thing a test stopped; the prefix is unique to this run anyway.
    }
}

unsigned short TestServer::port() const {
    return app_->port();
}

TestOrg TestServer::createOrganization(const std::string& name) {
    auto connection = database_->connect();
    db::prepareAll(connection);
    pqxx::work tx(connection);
    const auto org = auth::repo::insertOrganization(tx, name);
    tx.commit();
    return TestOrg{org.id, org.slug};
}

TestUser TestServer::createUser(const TestOrg& org, const std::string& role, std::string email) {
    // One argon2id hash per test binary: hashing is deliberately slow.
    static const std::string hash = auth::hashPassword(kTestPassword);
    static std::atomic<int> counter{0};
    if (email.empty()) {
        email = role + std::to_string(counter++) + "@" + org.slug + ".example";
    }
    auto connection = database_->connect();
    db::prepareAll(connection);
    pqxx::work tx(connection);
    const auto user = auth::repo::insertUser(
        tx, auth::repo::NewUser{org.id, email, "Test " + role, role, hash, std::nullopt});
    tx.commit();
    return TestUser{user.id, user.org_id, user.email, user.role};
}

std::string TestServer::accessTokenFor(const TestUser& user) {
    const auto session =
        app_->sessions().create(user.id, user.org_id, user.role, "127.0.0.1", "crm-tests");
    return app_->tokens().issueAccess(user.id, user.org_id, user.role, session.session.id);
}

long long TestServer::auditCount(const std::string& action) {
    auto connection = database_->connect();
    pqxx::read_transaction tx(connection);
    return tx.exec_params1("SELECT count(*) FROM audit_log WHERE action = $1", action)[0].as<long long>();
}

HttpClient TestServer::clientFor(const TestUser& user) {
    auto client = HttpClient(port());
    client.setDefaultHeader("Authorization", "Bearer " + accessTokenFor(user));
    return client;
}

void TestServer::reset() {
    database_->truncateAll();
    clearRedisPrefix(settings_.at("CRM_REDIS_PREFIX"));
}

}  // namespace crm::test
