#include "core/config.hpp"

#include <gtest/gtest.h>

namespace crm::core {
namespace {

std::map<std::string, std::string> minimal() {
    return {{"CRM_DATABASE_URL", "postgresql://crm@localhost/crm"},
            {"CRM_REDIS_URL", "redis://localhost:6379/0"},
            {"CRM_SMTP_URL", "smtps://smtp.example.com:465"}};
}

std::string errorOf(const std::map<std::string, std::string>& vars) {
    try {
        Config::fromEnvironment(vars);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// Defaults apply when only the two URLs are given.
TEST(Config, DefaultsWithMinimalSettings) {
    const auto config = Config::fromEnvironment(minimal());
    EXPECT_EQ(config.port, 8080);
    EXPECT_EQ(config.env, Environment::Development);
    EXPECT_TRUE(config.allow_signup);
    EXPECT_EQ(config.rate_limit_per_minute, 1200);
    EXPECT_EQ(config.max_connections, 10000);
}

// A missing database URL names the variable.
TEST(Config, MissingDatabaseUrlNamesVariable) {
    auto vars = minimal();
    vars.erase("CRM_DATABASE_URL");
    EXPECT_NE(errorOf(vars).find("CRM_DATABASE_URL"), std::string::npos);
}

// A malformed number names the variable and the accepted range.
TEST(Config, InvalidPortNamesVariable) {
    auto vars = minimal();
    vars["CRM_PORT"] = "80x";
    const auto error = errorOf(vars);
    EXPECT_NE(error.find("CRM_PORT"), std::string::npos);
    EXPECT_NE(error.find("65535"), std::string::npos);
}

// The proxy chain is one hop unless told otherwise; zero hops is not a proxy setting.
TEST(Config, ProxyHopsDefaultToOneAndRejectZero) {
    auto vars = minimal();
    vars["CRM_TRUST_PROXY"] = "true";
    const auto config = Config::fromEnvironment(vars);
    EXPECT_TRUE(config.trust_proxy);
    EXPECT_EQ(config.proxy_hops, 1);
    vars["CRM_PROXY_HOPS"] = "0";
    EXPECT_NE(errorOf(vars).find("CRM_PROXY_HOPS"), std::string::npos);
}

// Production refuses to start without a JWT secret.
TEST(Config, ProductionRequiresJwtSecret) {
    auto vars = minimal();
    vars["CRM_ENV"] = "production";
    EXPECT_NE(errorOf(vars).find("CRM_JWT_SECRET"), std::string::npos);
}

// Production refuses a short or placeholder JWT secret.
TEST(Config, ProductionRejectsWeakJwtSecret) {
    auto vars = minimal();
    vars["CRM_ENV"] = "production";
    vars["CRM_JWT_SECRET"] = "short";
    EXPECT_NE(errorOf(vars).find("CRM_JWT_SECRET"), std::string::npos);
    vars["CRM_JWT_SECRET"] = std::string(40, 'a');
    EXPECT_NE(errorOf(vars).find("CRM_JWT_SECRET"), std::string::npos);
    vars["CRM_JWT_SECRET"] = "changeme-changeme-changeme-changeme-123";
    EXPECT_NE(errorOf(vars).find("CRM_JWT_SECRET"), std::string::npos);
    vars["CRM_JWT_SECRET"] = "q8Vt3LxZ0pR7mW2nK9sB4yH6cJ1fD5gA8eU0iO3l";
    EXPECT_EQ(errorOf(vars), "");
}

// Production refuses CORS * combined with credentials.
TEST(Config, ProductionRejectsWildcardCorsWithCredentials) {
    auto vars = minimal();
    vars["CRM_ENV"] = "production";
    vars["CRM_JWT_SECRET"] = "q8Vt3LxZ0pR7mW2nK9sB4yH6cJ1fD5gA8eU0iO3l";
    vars["CRM_CORS_ORIGINS"] = "*";
    vars["CRM_CORS_ALLOW_CREDENTIALS"] = "true";
    EXPECT_NE(errorOf(vars).find("CRM_CORS_ORIGINS"), std::string::npos);
}

// Sign-up defaults to off in production.
TEST(Config, SignupDefaultsOffInProduction) {
    auto vars = minimal();
    vars["CRM_ENV"] = "production";
    vars["CRM_JWT_SECRET"] = "q8Vt3LxZ0pR7mW2nK9sB4yH6cJ1fD5gA8eU0iO3l";
    EXPECT_FALSE(Config::fromEnvironment(vars).allow_signup);
}

// Production refuses to start without an SMTP relay (reset codes would go to the log).
TEST(Config, ProductionRequiresSmtp) {
    auto vars = minimal();
    vars["CRM_ENV"] = "production";
    vars["CRM_JWT_SECRET"] = "q8Vt3LxZ0pR7mW2nK9sB4yH6cJ1fD5gA8eU0iO3l";
    vars.erase("CRM_SMTP_URL");
    EXPECT_NE(errorOf(vars).find("CRM_SMTP_URL"), std::string::npos);
}

// Booleans accept only clear words.
TEST(Config, RejectsAmbiguousBoolean) {
    auto vars = minimal();
    vars["CRM_CORS_ALLOW_CREDENTIALS"] = "maybe";
    EXPECT_NE(errorOf(vars).find("CRM_CORS_ALLOW_CREDENTIALS"), std::string::npos);
}

// Comma-separated origins are trimmed.
TEST(Config, ParsesOriginList) {
    auto vars = minimal();
    vars["CRM_CORS_ORIGINS"] = "https://a.example, https://b.example ,";
    const auto config = Config::fromEnvironment(vars);
    ASSERT_EQ(config.cors_origins.size(), 2u);
    EXPECT_EQ(config.cors_origins[1], "https://b.example");
}

}  // namespace
}  // namespace crm::core
