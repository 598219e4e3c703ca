#pragma once

#include "kv/redis.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace crm::auth {

/// A signed-in device. Lives in Redis, so every API node sees the same sessions.
struct Session {
    std::string id;
    std::string user_id;
    std::string org_id;
    std::string role;
    std::string created_at;    // RFC 3339
    std::string last_used_at;  // RFC 3339
    std::string ip;
    std::string user_agent;
};

/// The fresh session and the refresh token that continues it.
struct NewSession {
    Session session;
    std::string refresh_token;
};

enum class RotationOutcome {
    Rotated,  // the token was current: a new one replaces it
    Unknown,  // never issued, or expired
    Reused,   // already spent: the whole session (token family) is now revoked
    Revoked,  // the session was ended (logout, password change, deactivation)
};

struct Rotation {
    RotationOutcome outcome = RotationOutcome::Unknown;
    Session session;            // filled when Rotated (user, org, role) or Reused (id, user)
    std::string refresh_token;  // the new token, when Rotated
};

/// Sessions and refresh tokens in Redis. Refresh tokens are opaque (256 random bits, prefixed
/// "rt_" so no other kind of token passes for one) and stored only as SHA-256 digests. Rotation
/// is one Lua script, so of two concurrent refreshes with the same token exactly one wins.
class SessionStore {
public:
    SessionStore(kv::Redis& redis, std::chrono::seconds refresh_ttl, std::chrono::seconds cache_ttl);

    NewSession create(const std::string& user_id, const std::string& org_id,
                      const std::string& role, const std::string& ip,
                      const std::string& user_agent);

    /// Spends `refresh_token` and issues its successor.
    Rotation rotate(const std::string& refresh_token, const std::string& ip,
                    const std::string& user_agent);

    /// The session if it is still alive. Answers from a per-process cache for up to `cache_ttl`,
    /// so a session revoked on another node stops working within that time (this node: at once).
    std::optional<Session> find(const std::string& session_id);

    void revoke(const std::string& session_id);
    /// Ends every session of the user; returns how many.
    int revokeAllOfUser(const std::string& user_id);
    /// Ends every session of the user but `keep_session_id`.
    int revokeOthersOfUser(const std::string& user_id, const std::string& keep_session_id);
    /// Sessions keep the user's current role, so a role change applies without a new login.
    void setRoleOfUser(const std::string& user_id, const std::string& role);
    std::vector<Session> listOfUser(const std::string& user_id);

    /// The digest under which a token is stored (hex SHA-256).
    static std::string digest(std::string_view token);

private:
    std::string sessionKey(const std::string& id) const;
    std::string userKey(const std::string& user_id) const;
    std::string refreshKey(const std::string& digest) const;
    std::optional<Session> load(const std::string& session_id);
    void forget(const std::string& session_id);

    kv::Redis& redis_;
    std::chrono::seconds refresh_ttl_;
    std::chrono::seconds cache_ttl_;

    struct Cached {
        std::optional<Session> session;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex cache_mutex_;
    std::unordered_map<std::string, Cached> cache_;
};

}  // namespace crm::auth
