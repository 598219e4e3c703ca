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

    /// Attempts that may fail a limited number of times (passwords): `key` counts failures in a
    /// window, and attempts being checked are counted too, so that failures plus checks in
    /// progress never pass the limit, however many attempts arrive at once. A check not ended
    /// within 30 s is taken as a failure.
    enum class AttemptVerdict { Go, Busy, Locked };
    struct AttemptStart {
        AttemptVerdict verdict = AttemptVerdict::Go;
        long long retry_after_seconds = 0;  // Busy: 1; Locked: until the failures' window ends
        std::string check_id;               // Go: for endAttempt
    };
    /// Go: one more check in progress, to be ended by endAttempt. Locked: `limit` failures in
    /// the window of `window_seconds`. Busy: the checks in progress could reach the limit.
    AttemptStart beginAttempt(const std::string& key, long long limit, int window_seconds);
    enum class AttemptOutcome { Failed, Passed, Abandoned };
    /// Ends a check begun with Go. Failed counts a failure and returns the failures, which are
    /// kept until `window_seconds` pass without one (so a lock lasts its full length from the
    /// failure that reached `limit`); Passed clears them; Abandoned (the check was cut short by
    /// an error) does neither.
    long long endAttempt(const std::string& key, const std::string& check_id, AttemptOutcome outcome,
                         int window_seconds);

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
