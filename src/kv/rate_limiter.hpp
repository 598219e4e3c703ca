#pragma once

#include "kv/redis.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace crm::kv {

struct RateCount {
    long long count = 0;        // hits in the current window, this one included
    long long reset_seconds = 0;  // until the window ends
};

/// Fixed-window counters in Redis, shared by every API node.
class RateLimiter {
public:
    explicit RateLimiter(Redis& redis) : redis_(redis) {}

    /// Counts one request against `limit` per minute for `key`, in windows aligned to the
    /// minute so every node counts in the same window. To spare a Redis round trip per request,
    /// hits are added up in this process and sent to Redis with INCRBY at most every
    /// `kSyncInterval` per key, and on every hit once the count is within `kExactMargin` of the
    /// limit, so refusals are exact and only far-from-limit counts lag (by < 100 ms of traffic).
    RateCount hitPerMinute(const std::string& key, long long limit);

    /// Counts one hit on `key` (the first hit opens a window of `window_seconds`).
    RateCount hit(const std::string& key, int window_seconds);
    void reset(const std::string& key);
    /// Takes back one hit counted by `hit` (never below zero; a counter gone stays gone).
    void release(const std::string& key);
    /// Makes the counter last `seconds` from now (a lockout runs its full length).
    void extend(const std::string& key, int seconds);

private:
    struct LocalCount {
        long long window = -1;        // minutes since the epoch
        long long known_total = 0;    // the shared count Redis returned at the last sync
        long long pending = 0;        // hits of this process not yet sent
        std::chrono::steady_clock::time_point last_sync{};
    };

    Redis& redis_;
    std::mutex mutex_;
    std::unordered_map<std::string, LocalCount> local_;
};

}  // namespace crm::kv
