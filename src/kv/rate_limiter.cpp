#include "kv/rate_limiter.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"

namespace crm::kv {
namespace {

// INCR and EXPIRE in one step, so a crash between them cannot leave a counter without expiry.
const Script kHit(R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {n, ttl}
)lua");

// Attempts: KEYS[1] counts the failures (a string that expires a window after the last one),
// KEYS[2] holds the checks in progress (a sorted set: check id -> start time in ms, Redis's own
// clock, kept as long as a failure would be). A check still there after ARGV[2] ms was lost
// (its process died, or its end never arrived): the next check to begin takes it out and counts
// it as a failure, so a lost check neither holds a place for long nor goes uncounted.
// ARGV[3] is the failures' window in seconds.
const Script kBeginAttempt(R"lua(
local limit = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lost = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
if lost > 0 then
  redis.call('INCRBY', KEYS[1], lost)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= limit then
  return {2, math.max(redis.call('TTL', KEYS[1]), 1)}
end
if failures + redis.call('ZCARD', KEYS[2]) >= limit then
  return {1, 1}
end
redis.call('ZADD', KEYS[2], now, ARGV[4])
-- As long as a failure is kept, and never shorter than two checks' time (a short window).
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[3]) * 1000, 2 * tonumber(ARGV[2])))
return {0, 0}
)lua");

// KEYS as above; ARGV[1] the outcome, ARGV[2] the failures' window (every failure restarts it,
// so the one reaching the limit locks for its full length), ARGV[3] the check's id. A check
// already taken out as lost was counted then, and is not again.
const Script kEndAttempt(R"lua(
local ended = redis.call('ZREM', KEYS[2], ARGV[3])
if ARGV[1] == 'passed' then
  redis.call('DEL', KEYS[1])
  return 0
end
if ended == 0 or ARGV[1] == 'abandoned' then
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return n
)lua");

constexpr int kAttemptCheckMs = 30000;

constexpr auto kSyncInterval = std::chrono::milliseconds(100);
constexpr long long kExactMargin = 20;
constexpr std::size_t kMaxLocalKeys = 100000;

}  // namespace

RateCount RateLimiter::hitPerMinute(const std::string& key, long long limit) {
    const auto wall = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    const long long window = wall / 60;
    const long long reset = 60 - wall % 60;
    const auto now = std::chrono::steady_clock::now();

    long long to_send = 0;
    {
        std::lock_guard lock(mutex_);
        if (local_.size() > kMaxLocalKeys) {
            local_.clear();  // bounded memory; counts re-sync from Redis
        }
        auto& entry = local_[key];
        if (entry.window != window) {
            entry = LocalCount{window, 0, 0, {}};
        }
        ++entry.pending;
        const long long estimate = entry.known_total + entry.pending;
        if (now - entry.last_sync < kSyncInterval && estimate < limit - kExactMargin) {
            return RateCount{estimate, reset};
        }
        to_send = entry.pending;
        entry.pending = 0;
        entry.last_sync = now;
    }
    // Outside the lock: other keys (and this one) keep counting during the round trip.
    const auto redis_key = redis_.key(key + ":" + std::to_string(window));
    const auto replies = redis_.pipeline({{"INCRBY", redis_key, std::to_string(to_send)},
                                          {"EXPIRE", redis_key, "120"}});
    const long long total = replies.at(0).integer;
    std::lock_guard lock(mutex_);
    auto& entry = local_[key];
    if (entry.window == window) {
        entry.known_total = std::max(entry.known_total, total);
    }
    return RateCount{total, reset};
}

RateCount RateLimiter::hit(const std::string& key, int window_seconds) {
    const auto reply = redis_.eval(kHit, {redis_.key(key)}, {std::to_string(window_seconds)});
    RateCount count;
    if (reply.elements.size() == 2) {
        count.count = reply.elements[0].integer;
        count.reset_seconds = reply.elements[1].integer;
    }
    return count;
}

RateLimiter::AttemptStart RateLimiter::beginAttempt(const std::string& key, long long limit,
                                                   int window_seconds) {
    AttemptStart start;
    start.check_id = core::randomHex(16);
    const auto reply = redis_.eval(kBeginAttempt, {redis_.key(key), redis_.key(key + ":checking")},
                                   {std::to_string(limit), std::to_string(kAttemptCheckMs),
                                    std::to_string(window_seconds), start.check_id});
    const bool well_formed = reply.type == Reply::Type::Array && reply.elements.size() == 2 &&
                             reply.elements[0].type == Reply::Type::Integer &&
                             reply.elements[0].integer >= 0 && reply.elements[0].integer <= 2;
    if (!well_formed) {
        throw core::AppError::unavailable("Redis answered the attempt check unexpectedly",
                                          "the attempt was not checked", 1);
    }
    start.verdict = static_cast<AttemptVerdict>(reply.elements[0].integer);
    start.retry_after_seconds = reply.elements[1].integer;
    return start;
}

long long RateLimiter::endAttempt(const std::string& key, const std::string& check_id,
                                  AttemptOutcome outcome, int window_seconds) {
    const char* name = outcome == AttemptOutcome::Failed   ? "failed"
                       : outcome == AttemptOutcome::Passed ? "passed"
                                                           : "abandoned";
    return redis_.eval(kEndAttempt, {redis_.key(key), redis_.key(key + ":checking")},
                       {name, std::to_string(window_seconds), check_id})
        .integer;
}

void RateLimiter::reset(const std::string& key) {
    redis_.command({"DEL", redis_.key(key)});
}

}  // namespace crm::kv
