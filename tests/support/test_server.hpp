#pragma once

#include "app/application.hpp"
#include "support/database.hpp"
#include "support/http_client.hpp"

#include <map>
#include <memory>
#include <string>

namespace crm::test {

/// The password of every user createUser() makes.
inline const std::string kTestPassword = "correct horse battery staple 42";

struct TestOrg {
    std::string id;
    std::string slug;
};

struct TestUser {
    std::string id;
    std::string org_id;
    std::string email;
    std::string role;
};

/// The real server, in-process on a free port, with its own migrated database and Redis key
/// prefix. Settings come from the same CRM_* names as production; tests override a few.
class TestServer {
public:
    static std::unique_ptr<TestServer> start(
        const std::map<std::string, std::string>& overrides = {},
        const std::function<void(http::Router&)>& extra_routes = {});
    /// The same, on a database the test made (to reach it through a TcpProxy, say).
    static std::unique_ptr<TestServer> start(
        std::unique_ptr<TestDatabase> database, const std::map<std::string, std::string>& overrides,
        const std::function<void(http::Router&)>& extra_routes = {});
    ~TestServer();

    unsigned short port() const;
    HttpClient client() const { return HttpClient(port()); }
    app::Application& app() { return *app_; }
    TestDatabase& database() { return *database_; }
    const std::map<std::string, std::string>& settings() const { return settings_; }

    /// Empties every table and this server's Redis keys, for test isolation.
    void reset();

    /// An organisation with the default stages and pipeline, made directly in the database.
    TestOrg createOrganization(const std::string& name);
    /// A user with kTestPassword; role is admin, manager, recruiter or sales.
    TestUser createUser(const TestOrg& org, const std::string& role, std::string email = {});
    /// A client signed in as `user` (a real session and access token, without the cost of a
    /// password check).
    HttpClient clientFor(const TestUser& user);
    /// The access token clientFor() would send.
    std::string accessTokenFor(const TestUser& user);

    /// How many audit_log rows record `action` (e.g. "auth.login").
    long long auditCount(const std::string& action);

    /// The settings a test server runs with, before overrides.
    static std::map<std::string, std::string> baseSettings(const TestDatabase& database);

private:
    TestServer() = default;
    std::unique_ptr<TestDatabase> database_;
    std::map<std::string, std::string> settings_;
    std::unique_ptr<app::Application> app_;
};

/// CRM_TEST_REDIS_URL, with a clear error when it is missing.
std::string testRedisUrl();

/// Deletes every key under `prefix` in the test Redis.
void clearRedisPrefix(const std::string& prefix);

}  // namespace crm::test
