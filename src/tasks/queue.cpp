#include "tasks/queue.hpp"

#include "core/log.hpp"
#include "db/statement.hpp"

namespace crm::tasks {
namespace {

constexpr int kClaimBatch = 20;
constexpr int kMaxBackoffSeconds = 3600;

const db::Statement kInsertTask{"tasks.insert", R"sql(
    INSERT INTO tasks (org_id, kind, payload, dedupe_key, max_attempts)
    VALUES ($1, $2, $3::jsonb, $4, $5)
    ON CONFLICT (dedupe_key) WHERE done_at IS NULL AND dedupe_key IS NOT NULL DO NOTHING)sql"};

const db::Statement kClaimTasks{"tasks.claim", R"sql(
    -- A task whose worker died becomes claimable again when its lease runs out.
    UPDATE tasks SET locked_by = $1, locked_until = now() + interval '5 minutes',
                     attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM tasks
        WHERE done_at IS NULL AND run_at <= now()
          AND (locked_until IS NULL OR locked_until < now())
        ORDER BY run_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED)
    RETURNING id, org_id, kind, payload::text, attempts, max_attempts)sql"};

const db::Statement kCompleteTask{"tasks.complete", R"sql(
    UPDATE tasks SET done_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL,
                     payload = CASE WHEN $2 THEN '{}'::jsonb ELSE payload END
    WHERE id = $1)sql"};

const db::Statement kRetryTask{"tasks.retry", R"sql(
    UPDATE tasks SET run_at = now() + make_interval(secs => $2), locked_by = NULL,
                     locked_until = NULL, last_error = $3
    WHERE id = $1)sql"};

const db::Statement kGiveUpTask{"tasks.give_up", R"sql(
    UPDATE tasks SET done_at = now(), failed_at = now(), locked_by = NULL, locked_until = NULL,
                     last_error = $2,
                     payload = CASE WHEN $3 THEN '{}'::jsonb ELSE payload END
    WHERE id = $1)sql"};

}  // namespace

void enqueue(pqxx::transaction_base& tx, const NewTask& task) {
    db::exec(tx, kInsertTask, task.org_id, task.kind, task.payload.dump(), task.dedupe_key,
             task.max_attempts);
}

Worker::Worker(db::Pool& pool, std::string name, std::chrono::milliseconds poll_interval)
    : pool_(pool), name_(std::move(name)), poll_interval_(poll_interval) {}

Worker::~Worker() {
    stop();
}

void Worker::on(const std::string& kind, Handler handler, HandlerOptions options) {
    handlers_[kind] = Registered{std::move(handler), options};
}

void Worker::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                while (runDue() > 0) {
                    std::lock_guard check(mutex_);
                    if (stopping_) {
                        break;
                    }
                }
            } catch (const std::exception& e) {
                // PostgreSQL down or restarting: try again next round.
                core::log::warn("task worker round failed", {{"worker", name_}, {"error", e.what()}});
            }
            lock.lock();
            wake_.wait_for(lock, poll_interval_, [this] { return stopping_; });
        }
    });
}

void Worker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

int Worker::runDue() {
    std::vector<Task> claimed;
    {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        for (const auto& row : db::exec(tx, kClaimTasks, name_, kClaimBatch)) {
            Task task;
            task.id = row[0].as<std::string>();
            task.org_id = db::nullable<std::string>(row[1]);
            task.kind = row[2].as<std::string>();
            task.payload = nlohmann::json::parse(row[3].as<std::string>(), nullptr, false);
            task.attempts = row[4].as<int>();
            task.max_attempts = row[5].as<int>();
            claimed.push_back(std::move(task));
        }
        tx.commit();
    }
    // Handlers run outside any transaction: they talk to the outside world.
    for (const auto& task : claimed) {
        const auto it = handlers_.find(task.kind);
        std::string error;
        bool permanent = false;
        if (it == handlers_.end()) {
            error = "no handler for task kind " + task.kind;
        } else {
            try {
                it->second.handler(task);
            } catch (const PermanentFailure& e) {
                error = e.what();
                permanent = true;
            } catch (const std::exception& e) {
                error = e.what();
            }
        }
        finish(task, it == handlers_.end() ? nullptr : &it->second, error, permanent);
    }
    return static_cast<int>(claimed.size());
}

void Worker::finish(const Task& task, const Registered* registered, const std::string& error,
                    bool permanent) {
    const bool scrub = registered != nullptr && registered->options.scrub_payload_when_done;
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    if (error.empty()) {
        db::exec(tx, kCompleteTask, task.id, scrub);
    } else if (permanent || task.attempts >= task.max_attempts) {
        db::exec(tx, kGiveUpTask, task.id, error, scrub);
        core::log::error("task given up", {{"task_id", task.id}, {"kind", task.kind},
                                           {"attempts", task.attempts}, {"error", error}});
    } else {
        // Exponential backoff: 2, 4, 8 ... seconds, at most an hour.
        const int delay = std::min(kMaxBackoffSeconds, 1 << std::min(task.attempts, 12));
        db::exec(tx, kRetryTask, task.id, delay, error);
        core::log::warn("task failed; will retry", {{"task_id", task.id}, {"kind", task.kind},
                                                    {"attempts", task.attempts},
                                                    {"retry_in_s", delay}, {"error", error}});
    }
    tx.commit();
}

}  // namespace crm::tasks
