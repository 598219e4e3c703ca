#include "kv/idempotency.hpp"

namespace crm::kv {
namespace {

constexpr int kAnswerTtlSeconds = 24 * 3600;
// A claim outlives any request (statement timeout 15 s); a crashed node's claim expires.
constexpr int kClaimTtlSeconds = 120;

// Claims the key, or reports what holds it: "pending:<fingerprint>" or "done:<fingerprint>:<answer>".
const Script kClaim(R"lua(
if redis.call('SET', KEYS[1], 'pending:' .. ARGV[1], 'NX', 'EX', ARGV[2]) then
  return {'new'}
end
return {'held', redis.call('GET', KEYS[1]) or ''}
)lua");

}  // namespace

std::string IdempotencyStore::redisKey(const std::string& scope, const std::string& key) const {
    return redis_.key("idem:" + scope + ":" + key);
}

IdempotencyClaim IdempotencyStore::claim(const std::string& scope, const std::string& key,
                                         const std::string& fingerprint,
                                         const std::string& former_fingerprint) {
    const auto same = [&](const std::string& held) {
        return held == fingerprint || (!former_fingerprint.empty() && held == former_fingerprint);
    };
    const auto reply = redis_.eval(kClaim, {redisKey(scope, key)},
                                   {fingerprint, std::to_string(kClaimTtlSeconds)});
    IdempotencyClaim claim;
    if (reply.elements.empty() || reply.elements[0].text == "new") {
        return claim;
    }
    const auto held = reply.elements.size() > 1 ? reply.elements[1].text : std::string{};
    const std::string pending = "pending:";
    const std::string done = "done:";
    if (held.rfind(pending, 0) == 0) {
        claim.state = same(held.substr(pending.size())) ? IdempotencyClaim::State::InProgress
                                                        : IdempotencyClaim::State::Mismatch;
        return claim;
    }
    if (held.rfind(done, 0) == 0) {
        const auto rest = held.substr(done.size());
        const auto colon = rest.find(':');
        if (colon != std::string::npos && same(rest.substr(0, colon))) {
            claim.state = IdempotencyClaim::State::Replay;
            claim.stored = rest.substr(colon + 1);
        } else {
            claim.state = IdempotencyClaim::State::Mismatch;
        }
        return claim;
    }
    return claim;  // expired between the two steps: treat as new
}

void IdempotencyStore::complete(const std::string& scope, const std::string& key,
                                const std::string& fingerprint, const std::string& answer) {
    redis_.command({"SET", redisKey(scope, key), "done:" + fingerprint + ":" + answer, "EX",
                    std::to_string(kAnswerTtlSeconds)});
}

void IdempotencyStore::release(const std::string& scope, const std::string& key) {
    redis_.command({"DEL", redisKey(scope, key)});
}

}  // namespace crm::kv
