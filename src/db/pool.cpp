#include "db/pool.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "db/statement.hpp"

namespace crm::db {
namespace {

constexpr int kRetryAfterSeconds = 1;
constexpr int kConnectTimeoutSeconds = 3;

}  // namespace

Pool::Lease::Lease(Pool* pool, std::unique_ptr<pqxx::connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

Pool::Lease::~Lease() {
    if (connection_) {
        pool_->release(std::move(connection_));
    }
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
    setPreparedStatements(options_.prepared_statements);
}

Pool::~Pool() = default;

std::string Pool::connectionString() const {
    // libpq reads these from the URL; the settings travel in the start-up packet, so they hold
    // without a SET (which PgBouncer's transaction pooling would not keep). JIT compilation is
    // off: it costs milliseconds on queries that run in microseconds, and this is OLTP.
    std::string url = options_.url;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "application_name=crm-server&connect_timeout=" + std::to_string(kConnectTimeoutSeconds);
    // A server that vanishes without a reset (a dropped network, a frozen host) would leave a
    // worker waiting in libpq for the kernel's retransmission timeout, a quarter of an hour:
    // keepalive probes give up on a silent peer after about 25 s, and tcp_user_timeout on data
    // it never acknowledges after 30 s. A long query on a live server answers the probes.
    url += "&keepalives=1&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
           "&tcp_user_timeout=30000";
    // No parallel workers either: starting them cost 60 ms on a filtered contacts page whose
    // work took 4, and a request should not take cores from the requests beside it.
    url += "&options=-c%20jit%3Doff%20-c%20max_parallel_workers_per_gather%3D0";
    if (options_.statement_timeout_ms > 0) {
        url += "%20-c%20statement_timeout%3D" + std::to_string(options_.statement_timeout_ms);
    }
    return url;
}

std::unique_ptr<pqxx::connection> Pool::connect() {
    auto connection = std::make_unique<pqxx::connection>(connectionString());
    prepareAll(*connection);
    return connection;
}

Pool::Lease Pool::acquire() {
    const auto started = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    ++waiting_;
    const bool got = available_.wait_until(lock, started + options_.acquire_timeout, [this] {
        return !idle_.empty() || open_ < options_.size;
    });
    --waiting_;
    wait_seconds_total_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!got) {
        ++timeouts_total_;
        throw core::AppError::unavailable("The server is busy; retry shortly",
                                          "database pool exhausted", kRetryAfterSeconds);
    }
    ++acquired_total_;
    ++in_use_;
    if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, connect());
    } catch (const std::exception& e) {
        lock.lock();
        --open_;
        --in_use_;
        ++connect_failures_total_;
        lock.unlock();
        available_.notify_one();
        throw core::AppError::unavailable("The database is unavailable; retry shortly",
                                          std::string("connect: ") + e.what(), kRetryAfterSeconds);
    }
}

void Pool::release(std::unique_ptr<pqxx::connection> connection) {
    // A connection that lost its server, or was left inside a transaction by an error, is
    // closed rather than handed to the next caller.
    const bool healthy = connection->is_open();
    if (!healthy) {
        connection.reset();
    }
    {
        std::lock_guard lock(mutex_);
        --in_use_;
        if (healthy) {
            idle_.push_back(std::move(connection));
        } else {
            --open_;
        }
    }
    available_.notify_one();
}

bool Pool::ping() {
    std::lock_guard lock(ping_mutex_);
    try {
        if (!ping_connection_ || !ping_connection_->is_open()) {
            ping_connection_ = std::make_unique<pqxx::connection>(connectionString());
        }
        pqxx::nontransaction tx(*ping_connection_);
        tx.exec("SELECT 1");
        return true;
    } catch (const std::exception& e) {
        ping_connection_.reset();
        core::log::warn("database ping failed", {{"error", e.what()}});
        return false;
    }
}

Pool::Stats Pool::stats() const {
    std::lock_guard lock(mutex_);
    Stats stats;
    stats.size = options_.size;
    stats.open = open_;
    stats.in_use = in_use_;
    stats.idle = static_cast<int>(idle_.size());
    stats.waiting = waiting_;
    stats.acquired_total = acquired_total_;
    stats.timeouts_total = timeouts_total_;
    stats.connect_failures_total = connect_failures_total_;
    stats.wait_seconds_total = wait_seconds_total_;
    return stats;
}

void Pool::appendMetrics(std::string& out) const {
    const auto s = stats();
    auto gauge = [&out](const char* name, const char* help, double value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" +
               name + " " + std::to_string(value) + "\n";
    };
    auto counter = [&out](const char* name, const char* help, double value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
               name + " " + std::to_string(value) + "\n";
    };
    gauge("db_pool_size", "Most connections the pool may open.", s.size);
    gauge("db_pool_connections_in_use", "Connections lent to requests now.", s.in_use);
    gauge("db_pool_connections_idle", "Open connections waiting in the pool.", s.idle);
    gauge("db_pool_waiting", "Requests waiting for a connection now.", s.waiting);
    counter("db_pool_acquired_total", "Connections lent since start.",
            static_cast<double>(s.acquired_total));
    counter("db_pool_timeouts_total", "Requests that gave up waiting for a connection (503).",
            static_cast<double>(s.timeouts_total));
    counter("db_pool_connect_failures_total", "Failed attempts to open a connection.",
            static_cast<double>(s.connect_failures_total));
    counter("db_pool_wait_seconds_total", "Time spent waiting for a connection.",
            s.wait_seconds_total);
}

}  // namespace crm::db
