#pragma once

#include "core/access.hpp"
#include "core/metrics.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "kv/idempotency.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crm::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;  // 0 picks a free port; see Server::port()
    int io_threads = 1;
    int worker_threads = 16;
    std::size_t max_body_bytes = 1024 * 1024;
    int header_timeout_seconds = 10;  // from a request's first byte to the end of its header
    int read_timeout_seconds = 30;    // once a request's header arrived, for the rest of it
    int idle_timeout_seconds = 60;    // between requests on a keep-alive connection
    /// Open connections at most; the next is answered 503 and closed, not left to exhaust the
    /// process's file descriptors.
    int max_connections = 10000;
    int shutdown_grace_seconds = 20;
    std::vector<std::string> cors_origins;
    bool cors_allow_credentials = false;
    int hsts_max_age_seconds = 0;
    /// Proxies in front that append to X-Forwarded-For; 0: the header is ignored.
    int trusted_proxy_hops = 0;
    bool access_log = true;
};

/// The outcome of a rate-limit check: headers for the response and, when refused, how long
/// to wait.
struct RateDecision {
    bool allowed = true;
    int retry_after_seconds = 0;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// What the server asks of the rest of the application before a handler runs. Both run on
/// the worker pool, so they may block on Redis.
struct Guard {
    /// Verifies the caller's credentials; throws AppError 401 (a valid token is honoured while
    /// the session store is down, see docs/security.md).
    std::function<core::Actor(const Request&)> authenticate;
    /// Counts the request against the caller's limit (the user when known, else the IP).
    std::function<RateDecision(const Request&, const core::Actor*)> limit;
    /// Where `Idempotency-Key` answers of authenticated POSTs are kept; null disables them.
    kv::IdempotencyStore* idempotency = nullptr;
};

/// HTTP/1.1 server on Boost.Beast with C++20 coroutines. I/O runs on `io_threads`; handlers run
/// on a pool of `worker_threads` so a slow query never blocks the event loop.
class Server {
public:
    Server(ServerOptions options, const Router& router, Guard guard, core::Metrics& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts serving; returns at once. Throws std::runtime_error when the address
    /// cannot be bound.
    void start();
    /// The bound port.
    unsigned short port() const;
    /// Blocks until SIGINT or SIGTERM, then stops gracefully.
    void runUntilSignal();
    /// Stops accepting, lets requests in flight finish (up to the grace period), closes idle
    /// connections and joins every thread. Safe to call twice.
    void stop();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace crm::http
