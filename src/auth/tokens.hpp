#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <mutex>
#include <unordered_map>

namespace crm::auth {

using Clock = std::function<std::chrono::system_clock::time_point()>;

/// What a verified access token says.
struct AccessClaims {
    std::string user_id;     // sub
    std::string org_id;      // org
    std::string role;        // role at issue time; the session holds the current one
    std::string session_id;  // sid
    std::string token_id;    // jti
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
};

/// Access tokens: JWT signed with HS256 and nothing else. `typ` is "access" in the claims, so no
/// other kind of token can pass for one. Refresh and reset tokens are opaque and never JWTs.
class TokenService {
public:
    TokenService(std::string secret, std::string issuer, std::string audience, int ttl_seconds,
                 Clock clock = std::chrono::system_clock::now);

    /// A signed access token for the session.
    std::string issueAccess(const std::string& user_id, const std::string& org_id,
                            const std::string& role, const std::string& session_id) const;

    /// Verifies the signature (HS256 only: `none` and every other algorithm are refused before
    /// the library sees the token), `typ`, `exp`, `nbf`, `iss` and `aud`. Throws
    /// AppError::unauthenticated with a reason safe to show.
    AccessClaims verifyAccess(std::string_view token) const;

    int ttlSeconds() const { return ttl_seconds_; }

private:
    AccessClaims verifyUncached(std::string_view token) const;

    std::string secret_;
    std::string issuer_;
    std::string audience_;
    int ttl_seconds_;
    Clock clock_;

    // Tokens already verified, so a client sending the same token every request costs a hash
    // lookup instead of a base64 + JSON + HMAC pass. Expiry is still checked on every use.
    mutable std::mutex cache_mutex_;
    mutable std::unordered_map<std::string, AccessClaims> verified_;
};

}  // namespace crm::auth
