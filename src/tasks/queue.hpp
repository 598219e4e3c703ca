#pragma once

#include "db/pool.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

/// Background work in a PostgreSQL table (the transactional outbox): a task is written in the
/// same transaction as the change that caused it, so nothing acknowledged is ever lost, and
/// claimed with FOR UPDATE SKIP LOCKED, so any number of workers share the queue.
namespace crm::tasks {

struct NewTask {
    std::optional<std::string> org_id;  // null: platform work
    std::string kind;                   // e.g. "email.send"
    nlohmann::json payload = nlohmann::json::object();
    std::optional<std::string> dedupe_key;
    int max_attempts = 10;
};

/// Adds a task inside the caller's transaction; it runs only if that transaction commits.
void enqueue(pqxx::transaction_base& tx, const NewTask& task);

struct Task {
    std::string id;
    std::optional<std::string> org_id;
    std::string kind;
    nlohmann::json payload;
    int attempts = 0;  // including this one
    int max_attempts = 10;
};

/// A task handler; throwing makes the task retry later with backoff, until max_attempts.
using Handler = std::function<void(const Task&)>;

/// Thrown by a handler when retrying cannot help (a malformed address, a rejected payload):
/// the task is given up at once instead of after max_attempts.
class PermanentFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct HandlerOptions {
    /// Blank the payload once done: it may hold a secret (a reset code in an e-mail).
    bool scrub_payload_when_done = false;
};

class Worker {
public:
    Worker(db::Pool& pool, std::string name, std::chrono::milliseconds poll_interval);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void on(const std::string& kind, Handler handler, HandlerOptions options = {});

    /// Starts the background thread that runs due tasks every poll interval.
    void start();
    /// Stops after the task in hand. Safe to call twice.
    void stop();

    /// Claims and runs every task that is due now; returns how many ran.
    int runDue();

private:
    struct Registered {
        Handler handler;
        HandlerOptions options;
    };
    void finish(const Task& task, const Registered* registered, const std::string& error,
                bool permanent);

    db::Pool& pool_;
    std::string name_;
    std::chrono::milliseconds poll_interval_;
    std::map<std::string, Registered> handlers_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace crm::tasks
