#include "app/application.hpp"

#include "auth/auth_service.hpp"
#include "auth/routes.hpp"
#include "auth/sessions.hpp"
#include "auth/tokens.hpp"
#include "auth/user_service.hpp"
#include "clients/routes.hpp"
#include "clients/service.hpp"
#include "contacts/routes.hpp"
#include "contacts/service.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/pagination.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "kv/idempotency.hpp"
#include "kv/rate_limiter.hpp"
#include "kv/redis.hpp"
#include "mail/mailer.hpp"
#include "ops/routes.hpp"
#include "tasks/queue.hpp"

namespace crm::app {

struct Application::State {
    core::Config config;
    core::Metrics metrics;
    db::Pool pool;
    kv::Redis redis;
    kv::RateLimiter limiter;
    kv::IdempotencyStore idempotency;
    auth::TokenService tokens;
    auth::SessionStore sessions;
    auth::AuthService auth;
    auth::UserService users;
    clients::ClientService clients;
    contacts::ContactService contacts;
    std::unique_ptr<mail::Mailer> mailer;
    tasks::Worker worker;
    http::Router router;
    std::unique_ptr<http::Server> server;

    explicit State(core::Config cfg)
        : config(withJwtSecret(std::move(cfg))),
          pool(db::PoolOptions{config.database_url, config.db_pool_size,
                               std::chrono::milliseconds(config.db_pool_timeout_ms),
                               config.db_statement_timeout_ms, config.db_prepared_statements}),
          redis(kv::RedisOptions{config.redis_url, config.redis_pool_size,
                                 std::chrono::milliseconds(config.redis_timeout_ms),
                                 config.redis_prefix}),
          limiter(redis),
          idempotency(redis),
          tokens(config.jwt_secret, config.jwt_issuer, config.jwt_audience,
                 config.access_token_ttl_seconds),
          sessions(redis, std::chrono::hours(24) * config.refresh_token_ttl_days,
                   std::chrono::seconds(config.session_cache_seconds)),
          auth(pool, sessions, tokens, limiter,
               auth::AuthLimits{config.login_attempts_per_minute_per_ip,
                                config.login_failures_before_lockout, config.lockout_seconds,
                                config.refresh_token_ttl_days * 86400,
                                config.password_reset_ttl_minutes, config.allow_signup,
                                config.public_url, config.session_cache_seconds}),
          users(pool, sessions, auth),
          clients(pool, clients::ClientSettings{config.default_phone_region}),
          contacts(pool, contacts::ContactSettings{config.default_phone_region}),
          mailer(mail::makeMailer(mail::SmtpOptions{config.smtp_url, config.smtp_user,
                                                    config.smtp_password, config.mail_from,
                                                    std::chrono::milliseconds(10000),
                                                    config.isProduction()})),
          worker(pool, "api-" + core::newUuidV7().substr(24),
                 std::chrono::milliseconds(config.task_poll_ms)) {}

    // Development without CRM_JWT_SECRET gets a random key per process (production refuses to
    // start without one): tokens then do not survive a restart, which is fine locally.
    static core::Config withJwtSecret(core::Config config) {
        if (config.jwt_secret.empty()) {
            config.jwt_secret = core::randomToken(48);
            core::log::warn("CRM_JWT_SECRET is not set: using a random key; tokens end at restart");
        }
        return config;
    }
};

namespace {

http::ServerOptions serverOptions(const core::Config& config) {
    http::ServerOptions options;
    options.host = config.host;
    options.port = static_cast<unsigned short>(config.port);
    options.io_threads = config.io_threads;
    options.worker_threads = config.worker_threads;
    options.max_body_bytes = config.max_body_bytes;
    options.header_timeout_seconds = config.header_timeout_seconds;
    options.read_timeout_seconds = config.read_timeout_seconds;
    options.idle_timeout_seconds = config.idle_timeout_seconds;
    options.max_connections = config.max_connections;
    options.shutdown_grace_seconds = config.shutdown_grace_seconds;
    options.cors_origins = config.cors_origins;
    options.cors_allow_credentials = config.cors_allow_credentials;
    options.hsts_max_age_seconds = config.hsts_max_age_seconds;
    options.trusted_proxy_hops = config.trust_proxy ? config.proxy_hops : 0;
    options.access_log = config.access_log;
    return options;
}

}  // namespace

Application::Application(core::Config config,
                         const std::function<void(http::Router&)>& extra_routes)
    : state_(std::make_unique<State>(std::move(config))) {
    auto& s = *state_;
    core::log::setLevel(s.config.log_level);
    core::setCursorSecret(s.config.jwt_secret);
    s.metrics.addCollector([&pool = s.pool](std::string& out) { pool.appendMetrics(out); });

    ops::registerRoutes(s.router, ops::OpsDependencies{
                                      s.metrics,
                                      [&pool = s.pool] { return pool.ping(); },
                                      [&redis = s.redis] { return redis.ping(); },
                                      s.config.swagger_ui_dir,
                                  });

    auth::registerRoutes(s.router, s.auth, s.users);
    clients::registerRoutes(s.router, s.clients);
    contacts::registerRoutes(s.router, s.contacts);
    if (extra_routes) {
        extra_routes(s.router);
    }

    s.worker.on(
        "email.send",
        [&mailer = *s.mailer](const tasks::Task& task) {
            try {
                mailer.send(mail::Email{task.payload.value("to", ""), task.payload.value("subject", ""),
                                        task.payload.value("text", "")});
            } catch (const std::invalid_argument& e) {
                throw tasks::PermanentFailure(e.what());  // the same message would fail again
            }
        },
        tasks::HandlerOptions{true});

    s.server = std::make_unique<http::Server>(
        serverOptions(s.config), s.router,
        auth::makeGuard(s.auth, s.limiter, s.config.rate_limit_per_minute, s.idempotency),
        s.metrics);
}

Application::~Application() {
    stop();
}

void Application::start() {
    verifySchema();
    state_->server->start();
    if (state_->config.run_workers) {
        state_->worker.start();
    }
    core::log::info("listening", {{"host", state_->config.host}, {"port", port()}});
}

void Application::verifySchema() {
    auto lease = state_->pool.acquire();
    db::verifyMigrations(lease.get(), db::builtInMigrations());
}

void Application::startWorkerOnly() {
    verifySchema();
    state_->worker.start();
    core::log::info("background worker running (no HTTP)");
}

unsigned short Application::port() const {
    return state_->server->port();
}

void Application::runUntilSignal() {
    state_->server->runUntilSignal();
}

void Application::stop() {
    if (state_ && state_->server) {
        state_->server->stop();
        state_->worker.stop();
    }
}

const core::Config& Application::config() const {
    return state_->config;
}

db::Pool& Application::pool() {
    return state_->pool;
}

kv::Redis& Application::redis() {
    return state_->redis;
}

const http::Router& Application::router() const {
    return state_->router;
}

tasks::Worker& Application::worker() {
    return state_->worker;
}

const auth::TokenService& Application::tokens() const {
    return state_->tokens;
}

auth::SessionStore& Application::sessions() {
    return state_->sessions;
}

}  // namespace crm::app
