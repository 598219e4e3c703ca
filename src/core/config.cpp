#include "core/config.hpp"

#include <charconv>
#include <thread>
#include <cstdlib>

extern char** environ;

namespace crm::core {
namespace {

// Secrets shorter than this give HS256 less strength than its 256-bit key size.
constexpr std::size_t kMinJwtSecretBytes = 32;

class Reader {
public:
    explicit Reader(const std::map<std::string, std::string>& vars) : vars_(vars) {}

    std::optional<std::string> raw(const std::string& name) const {
        const auto it = vars_.find(name);
        if (it == vars_.end() || it->second.empty()) {
            return std::nullopt;
        }
        return it->second;
    }

    void text(const std::string& name, std::string& out) const {
        if (auto value = raw(name)) {
            out = *value;
        }
    }

    void integer(const std::string& name, int& out, int min, int max) const {
        const auto value = raw(name);
        if (!value) {
            return;
        }
        int parsed = 0;
        const auto* end = value->data() + value->size();
        const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
        if (ec != std::errc{} || ptr != end || parsed < min || parsed > max) {
            throw ConfigError(name + " must be a whole number from " + std::to_string(min) +
                              " to " + std::to_string(max) + ", got '" + *value + "'");
        }
        out = parsed;
    }

    void size(const std::string& name, std::size_t& out, int min, int max) const {
        int value = static_cast<int>(out);
        integer(name, value, min, max);
        out = static_cast<std::size_t>(value);
    }

    void boolean(const std::string& name, bool& out) const {
        const auto value = raw(name);
        if (!value) {
            return;
        }
        if (*value == "true" || *value == "1" || *value == "yes") {
            out = true;
        } else if (*value == "false" || *value == "0" || *value == "no") {
            out = false;
        } else {
            throw ConfigError(name + " must be true or false, got '" + *value + "'");
        }
    }

    void list(const std::string& name, std::vector<std::string>& out) const {
        const auto value = raw(name);
        if (!value) {
            return;
        }
        out.clear();
        std::size_t start = 0;
        while (start <= value->size()) {
            auto comma = value->find(',', start);
            if (comma == std::string::npos) {
                comma = value->size();
            }
            auto item = value->substr(start, comma - start);
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty()) {
                out.push_back(item);
            }
            start = comma + 1;
        }
    }

private:
    const std::map<std::string, std::string>& vars_;
};

Environment parseEnvironment(const std::optional<std::string>& value) {
    if (!value || *value == "development") {
        return Environment::Development;
    }
    if (*value == "test") {
        return Environment::Test;
    }
    if (*value == "production") {
        return Environment::Production;
    }
    throw ConfigError("CRM_ENV must be development, test or production, got '" + *value + "'");
}

bool startsWith(const std::string& text, std::string_view prefix) {
    return text.rfind(prefix, 0) == 0;
}

void checkUrl(const std::string& name, const std::string& url,
              std::initializer_list<std::string_view> schemes) {
    for (const auto scheme : schemes) {
        if (startsWith(url, scheme)) {
            return;
        }
    }
    std::string expected;
    for (const auto scheme : schemes) {
        expected += (expected.empty() ? "" : " or ") + std::string(scheme);
    }
    throw ConfigError(name + " must start with " + expected);
}

// A secret made of one repeated character, or a well-known placeholder, is weak at any length.
bool isWeakSecret(const std::string& secret) {
    if (secret.size() < kMinJwtSecretBytes) {
        return true;
    }
    if (secret.find_first_not_of(secret.front()) == std::string::npos) {
        return true;
    }
    for (const auto* placeholder : {"changeme", "secret", "development", "password"}) {
        if (secret.find(placeholder) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

Config Config::fromEnvironment(const std::map<std::string, std::string>& vars) {
    const Reader read(vars);
    Config config;
    config.env = parseEnvironment(read.raw("CRM_ENV"));
    const bool production = config.isProduction();

    read.text("CRM_HOST", config.host);
    read.integer("CRM_PORT", config.port, 0, 65535);
    read.integer("CRM_IO_THREADS", config.io_threads, 1, 64);
    read.integer("CRM_DB_POOL_SIZE", config.db_pool_size, 1, 500);
    // Handlers mostly wait on PostgreSQL and Redis, but every extra thread costs context
    // switches: two per core measured best on this 2-core machine (docs/operations.md).
    config.worker_threads = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
    read.integer("CRM_WORKER_THREADS", config.worker_threads, 1, 1000);
    read.size("CRM_MAX_BODY_BYTES", config.max_body_bytes, 1024, 256 * 1024 * 1024);
    read.integer("CRM_HEADER_TIMEOUT_SECONDS", config.header_timeout_seconds, 1, 3600);
    read.integer("CRM_READ_TIMEOUT_SECONDS", config.read_timeout_seconds, 1, 3600);
    read.integer("CRM_IDLE_TIMEOUT_SECONDS", config.idle_timeout_seconds, 1, 3600);
    read.integer("CRM_MAX_CONNECTIONS", config.max_connections, 1, 1000000);
    read.integer("CRM_SHUTDOWN_GRACE_SECONDS", config.shutdown_grace_seconds, 0, 3600);
    read.list("CRM_CORS_ORIGINS", config.cors_origins);
    read.boolean("CRM_CORS_ALLOW_CREDENTIALS", config.cors_allow_credentials);
    read.integer("CRM_HSTS_MAX_AGE_SECONDS", config.hsts_max_age_seconds, 0, 63072000);
    read.boolean("CRM_TRUST_PROXY", config.trust_proxy);
    read.integer("CRM_PROXY_HOPS", config.proxy_hops, 1, 10);
    read.boolean("CRM_ACCESS_LOG", config.access_log);
    read.boolean("CRM_BATCH_SCHEDULING", config.batch_scheduling);
    read.text("CRM_SWAGGER_UI_DIR", config.swagger_ui_dir);

    read.text("CRM_DATABASE_URL", config.database_url);
    read.integer("CRM_DB_POOL_TIMEOUT_MS", config.db_pool_timeout_ms, 1, 600000);
    read.integer("CRM_DB_STATEMENT_TIMEOUT_MS", config.db_statement_timeout_ms, 0, 3600000);
    read.boolean("CRM_DB_PREPARED_STATEMENTS", config.db_prepared_statements);

    read.text("CRM_REDIS_URL", config.redis_url);
    read.integer("CRM_REDIS_POOL_SIZE", config.redis_pool_size, 1, 500);
    read.integer("CRM_REDIS_TIMEOUT_MS", config.redis_timeout_ms, 1, 60000);
    read.text("CRM_REDIS_PREFIX", config.redis_prefix);

    read.text("CRM_JWT_SECRET", config.jwt_secret);
    read.text("CRM_JWT_ISSUER", config.jwt_issuer);
    read.text("CRM_JWT_AUDIENCE", config.jwt_audience);
    read.integer("CRM_ACCESS_TOKEN_TTL_SECONDS", config.access_token_ttl_seconds, 30, 86400);
    read.integer("CRM_REFRESH_TOKEN_TTL_DAYS", config.refresh_token_ttl_days, 1, 365);
    read.integer("CRM_SESSION_CACHE_SECONDS", config.session_cache_seconds, 0, 60);
    read.integer("CRM_PASSWORD_RESET_TTL_MINUTES", config.password_reset_ttl_minutes, 5, 1440);
    config.allow_signup = !production;
    read.boolean("CRM_ALLOW_SIGNUP", config.allow_signup);

    read.integer("CRM_RATE_LIMIT_PER_MINUTE", config.rate_limit_per_minute, 1, 1000000);
    read.integer("CRM_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", config.login_attempts_per_minute_per_ip,
                 1, 100000);
    read.integer("CRM_LOGIN_FAILURES_BEFORE_LOCKOUT", config.login_failures_before_lockout, 1,
                 1000);
    read.integer("CRM_LOCKOUT_SECONDS", config.lockout_seconds, 1, 86400);

    read.text("CRM_SMTP_URL", config.smtp_url);
    read.text("CRM_SMTP_USER", config.smtp_user);
    read.text("CRM_SMTP_PASSWORD", config.smtp_password);
    read.text("CRM_MAIL_FROM", config.mail_from);
    read.text("CRM_PUBLIC_URL", config.public_url);
    read.text("CRM_DEFAULT_PHONE_REGION", config.default_phone_region);
    read.text("CRM_LOG_LEVEL", config.log_level);
    read.integer("CRM_TASK_POLL_MS", config.task_poll_ms, 10, 60000);
    read.boolean("CRM_RUN_WORKERS", config.run_workers);

    if (config.database_url.empty()) {
        throw ConfigError("CRM_DATABASE_URL is required (e.g. postgresql://crm@localhost/crm)");
    }
    checkUrl("CRM_DATABASE_URL", config.database_url, {"postgresql://", "postgres://"});
    if (config.redis_url.empty()) {
        throw ConfigError("CRM_REDIS_URL is required (e.g. redis://localhost:6379/0)");
    }
    checkUrl("CRM_REDIS_URL", config.redis_url, {"redis://", "unix://"});
    if (!config.smtp_url.empty()) {
        checkUrl("CRM_SMTP_URL", config.smtp_url, {"smtp://", "smtps://"});
    }
    if (config.default_phone_region.size() != 2 ||
        !std::isupper(static_cast<unsigned char>(config.default_phone_region[0])) ||
        !std::isupper(static_cast<unsigned char>(config.default_phone_region[1]))) {
        throw ConfigError("CRM_DEFAULT_PHONE_REGION must be an ISO 3166 code such as US or GB");
    }
    const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
    if (std::find(levels.begin(), levels.end(), config.log_level) == levels.end()) {
        throw ConfigError("CRM_LOG_LEVEL must be one of trace, debug, info, warn, error, off");
    }

    if (config.jwt_secret.empty()) {
        if (production) {
            throw ConfigError("CRM_JWT_SECRET is required in production (at least 32 random bytes)");
        }
    } else if (production && isWeakSecret(config.jwt_secret)) {
        throw ConfigError("CRM_JWT_SECRET is too weak for production: use at least 32 random bytes");
    }
    if (production && config.smtp_url.empty()) {
        // Without a relay the development mailer would write reset codes into the log.
        throw ConfigError("CRM_SMTP_URL is required in production (e.g. smtps://smtp.example.com:465)");
    }
    const bool any_origin = std::find(config.cors_origins.begin(), config.cors_origins.end(),
                                      "*") != config.cors_origins.end();
    if (production && any_origin && config.cors_allow_credentials) {
        throw ConfigError(
            "CRM_CORS_ORIGINS=* with CRM_CORS_ALLOW_CREDENTIALS=true would let any site act as "
            "a logged-in user: list the allowed origins");
    }
    return config;
}

std::map<std::string, std::string> Config::processEnvironment() {
    std::map<std::string, std::string> vars;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view line(*entry);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos || line.rfind("CRM_", 0) != 0) {
            continue;
        }
        vars.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    return vars;
}

}  // namespace crm::core
