#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace crm::core {

enum class Environment { Development, Test, Production };

/// A setting that is missing or invalid; `what()` is one line naming the variable.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Every CRM_* setting, read once at start-up. README.md's settings table lists the same names.
struct Config {
    Environment env = Environment::Development;

    // HTTP
    std::string host = "127.0.0.1";
    int port = 8080;
    int io_threads = 1;
    int worker_threads = 4;
    std::size_t max_body_bytes = 1024 * 1024;
    int header_timeout_seconds = 10;
    int read_timeout_seconds = 30;
    int idle_timeout_seconds = 60;
    int max_connections = 10000;
    int shutdown_grace_seconds = 20;
    std::vector<std::string> cors_origins;
    bool cors_allow_credentials = false;
    int hsts_max_age_seconds = 0;  // 0: no Strict-Transport-Security header
    bool trust_proxy = false;       // take the client address from X-Forwarded-For
    int proxy_hops = 1;             // with trust_proxy: proxies in front, each adding one entry
    bool access_log = true;
    bool batch_scheduling = true;   // run the server's threads under SCHED_BATCH (Linux)
    std::string swagger_ui_dir;

    // PostgreSQL
    std::string database_url;
    int db_pool_size = 16;
    int db_pool_timeout_ms = 2000;
    int db_statement_timeout_ms = 15000;
    bool db_prepared_statements = true;

    // Redis
    std::string redis_url;
    int redis_pool_size = 16;
    int redis_timeout_ms = 1000;
    std::string redis_prefix = "crm:";

    // Tokens and sessions
    std::string jwt_secret;
    std::string jwt_issuer = "shortcut-scale-x";
    std::string jwt_audience = "shortcut-scale-x-api";
    int access_token_ttl_seconds = 900;
    int refresh_token_ttl_days = 30;
    int session_cache_seconds = 5;
    int password_reset_ttl_minutes = 30;
    bool allow_signup = true;

    // Limits
    int rate_limit_per_minute = 1200;
    int login_attempts_per_minute_per_ip = 30;
    int login_failures_before_lockout = 10;
    int lockout_seconds = 900;

    // Mail and people
    std::string smtp_url;
    std::string smtp_user;
    std::string smtp_password;
    std::string mail_from = "Shortcut Scale X <no-reply@localhost>";
    std::string public_url = "http://localhost:8080";
    std::string default_phone_region = "US";

    // Background work
    int task_poll_ms = 500;
    bool run_workers = true;

    // Logs
    std::string log_level = "info";

    bool isProduction() const { return env == Environment::Production; }

    /// Reads and checks every setting. Throws ConfigError naming the first bad variable.
    static Config fromEnvironment(const std::map<std::string, std::string>& vars);
    /// The process environment as a map (CRM_* variables only).
    static std::map<std::string, std::string> processEnvironment();
};

}  // namespace crm::core
