#include "app/application.hpp"

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "kv/redis.hpp"
#include "ops/routes.hpp"

namespace crm::app {

struct Application::State {
    core::Config config;
    core::Metrics metrics;
    db::Pool pool;
    kv::Redis redis;
    http::Router router;
    std::unique_ptr<http::Server> server;

    explicit State(core::Config cfg)
        : config(std::move(cfg)),
          pool(db::PoolOptions{config.database_url, config.db_pool_size,
                               std::chrono::milliseconds(config.db_pool_timeout_ms),
                               config.db_statement_timeout_ms, config.db_prepared_statements}),
          redis(kv::RedisOptions{config.redis_url, config.redis_pool_size,
                                 std::chrono::milliseconds(config.redis_timeout_ms),
                                 config.redis_prefix}) {}
};

namespace {

http::ServerOptions serverOptions(const core::Config& config) {
    http::ServerOptions options;
    options.host = config.host;
    options.port = static_cast<unsigned short>(config.port);
    options.io_threads = config.io_threads;
    options.worker_threads = config.worker_threads;
    options.max_body_bytes = config.max_body_bytes;
    options.read_timeout_seconds = config.read_timeout_seconds;
    options.idle_timeout_seconds = config.idle_timeout_seconds;
    options.shutdown_grace_seconds = config.shutdown_grace_seconds;
    options.cors_origins = config.cors_origins;
    options.cors_allow_credentials = config.cors_allow_credentials;
    options.hsts_max_age_seconds = config.hsts_max_age_seconds;
    options.trust_proxy = config.trust_proxy;
    options.access_log = config.access_log;
    return options;
}

}  // namespace

Application::Application(core::Config config,
                         const std::function<void(http::Router&)>& extra_routes)
    : state_(std::make_unique<State>(std::move(config))) {
    auto& s = *state_;
    core::log::setLevel(s.config.log_level);
    s.metrics.addCollector([&pool = s.pool](std::string& out) { pool.appendMetrics(out); });

    ops::registerRoutes(s.router, ops::OpsDependencies{
                                      s.metrics,
                                      [&pool = s.pool] { return pool.ping(); },
                                      [&redis = s.redis] { return redis.ping(); },
                                      s.config.swagger_ui_dir,
                                  });

    if (extra_routes) {
        extra_routes(s.router);
    }

    http::Guard guard;
    guard.authenticate = [](const http::Request&) -> core::Actor {
        throw core::AppError::unauthenticated();
    };
    s.server = std::make_unique<http::Server>(serverOptions(s.config), s.router, std::move(guard),
                                              s.metrics);
}

Application::~Application() {
    stop();
}

void Application::start() {
    {
        auto lease = state_->pool.acquire();
        db::verifyMigrations(lease.get(), db::builtInMigrations());
    }
    state_->server->start();
    core::log::info("listening", {{"host", state_->config.host}, {"port", port()}});
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

}  // namespace crm::app
