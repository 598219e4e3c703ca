#pragma once

#include "core/config.hpp"

#include <functional>
#include <memory>

namespace crm::db {
class Pool;
}
namespace crm::kv {
class Redis;
}
namespace crm::http {
class Router;
}
namespace crm::tasks {
class Worker;
}
namespace crm::auth {
class TokenService;
class SessionStore;
}

namespace crm::app {

/// The whole server: configuration, pools, routes and the HTTP listener, wired once.
/// `crm-server serve` runs one; API tests run one in-process on port 0.
class Application {
public:
    /// `extra_routes` lets tests add routes of their own before the server starts.
    explicit Application(core::Config config,
                         const std::function<void(http::Router&)>& extra_routes = {});
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    /// Refuses to start (MigrationError) when the schema is behind or an applied migration
    /// changed; then binds and serves. Returns at once.
    void start();
    /// `serve --role worker`: checks the schema and runs only the background worker.
    void startWorkerOnly();
    /// The bound port (CRM_PORT=0 picks a free one).
    unsigned short port() const;
    /// Blocks until SIGINT/SIGTERM, then stops gracefully.
    void runUntilSignal();
    /// Finishes requests in flight, then stops. Safe to call twice.
    void stop();

    const core::Config& config() const;
    db::Pool& pool();
    kv::Redis& redis();
    const http::Router& router() const;
    tasks::Worker& worker();
    const auth::TokenService& tokens() const;
    auth::SessionStore& sessions();

private:
    void verifySchema();

    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace crm::app
