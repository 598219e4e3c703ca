#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace crm::db {

struct PoolOptions {
    std::string url;
    int size = 16;
    std::chrono::milliseconds acquire_timeout{2000};
    int statement_timeout_ms = 15000;
    bool prepared_statements = true;
};

/// A bounded pool of PostgreSQL connections. Connections open on demand; one found broken
/// (the server restarted) is dropped and replaced, so the pool recovers by itself.
class Pool {
public:
    explicit Pool(PoolOptions options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    /// RAII loan of one connection, returned to the pool on destruction.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        pqxx::connection& get() { return *connection_; }
        pqxx::connection& operator*() { return *connection_; }

    private:
        friend class Pool;
        Lease(Pool* pool, std::unique_ptr<pqxx::connection> connection);
        Pool* pool_;
        std::unique_ptr<pqxx::connection> connection_;
    };

    /// Waits at most `acquire_timeout` for a connection. Throws AppError::unavailable (503 with
    /// Retry-After) when the pool stays exhausted or PostgreSQL cannot be reached.
    Lease acquire();

    /// True when PostgreSQL answers `SELECT 1` on a connection kept outside the pool, so a busy
    /// pool does not read as a dead database.
    bool ping();

    struct Stats {
        int size = 0;
        int open = 0;
        int in_use = 0;
        int idle = 0;
        int waiting = 0;
        std::uint64_t acquired_total = 0;
        std::uint64_t timeouts_total = 0;
        std::uint64_t connect_failures_total = 0;
        double wait_seconds_total = 0;
    };
    Stats stats() const;

    /// Appends the pool's Prometheus metric families.
    void appendMetrics(std::string& out) const;

    const PoolOptions& options() const { return options_; }

    /// The connection string with application_name, connect and statement timeouts added.
    std::string connectionString() const;

private:
    void release(std::unique_ptr<pqxx::connection> connection);
    std::unique_ptr<pqxx::connection> connect();

    PoolOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
    int open_ = 0;
    int in_use_ = 0;
    int waiting_ = 0;
    std::uint64_t acquired_total_ = 0;
    std::uint64_t timeouts_total_ = 0;
    std::uint64_t connect_failures_total_ = 0;
    double wait_seconds_total_ = 0;

    std::mutex ping_mutex_;
    std::unique_ptr<pqxx::connection> ping_connection_;
};

}  // namespace crm::db
