#pragma once

#include "kv/redis.hpp"

#include <optional>
#include <string>

namespace crm::kv {

/// What a POST with an Idempotency-Key found when it arrived.
struct IdempotencyClaim {
    enum class State {
        New,         // first use: run the request, then record its answer
        InProgress,  // the first request with this key has not answered yet
        Mismatch,    // the key was used for a different request body
        Replay,      // answered before: send `stored` again
    };
    State state = State::New;
    std::string stored;  // the recorded answer (opaque to this class)
};

/// Idempotency keys in Redis, shared by every node: a client retrying a POST after a timeout
/// gets the first answer instead of creating the record twice. Keys live 24 hours and are
/// scoped to the caller.
class IdempotencyStore {
public:
    explicit IdempotencyStore(Redis& redis) : redis_(redis) {}

    /// Claims `key` for `scope` (the caller) and a request whose body hashes to `fingerprint`.
    /// A key held under `former_fingerprint` (the same request as an earlier release took its
    /// fingerprint) is held for this request too.
    IdempotencyClaim claim(const std::string& scope, const std::string& key,
                           const std::string& fingerprint, const std::string& former_fingerprint = {});
    /// Records the answer of a claimed key.
    void complete(const std::string& scope, const std::string& key, const std::string& fingerprint,
                  const std::string& answer);
    /// Frees a claimed key whose request failed in a way worth retrying (5xx).
    void release(const std::string& scope, const std::string& key);

private:
    std::string redisKey(const std::string& scope, const std::string& key) const;
    Redis& redis_;
};

}  // namespace crm::kv
