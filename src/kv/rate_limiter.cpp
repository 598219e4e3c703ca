#include "kv/rate_limiter.hpp"

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

// DECR only an existing, positive counter: one that expired meanwhile is not brought back
// without an expiry.
const Script kRelease(R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
)lua");

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

void RateLimiter::extend(const std::string& key, int seconds) {
    redis_.command({"EXPIRE", redis_.key(key), std::to_string(seconds)});
}

void RateLimiter::release(const std::string& key) {
    redis_.eval(kRelease, {redis_.key(key)}, {});
}

void RateLimiter::reset(const std::string& key) {
    redis_.command({"DEL", redis_.key(key)});
}

}  // namespace crm::kv
