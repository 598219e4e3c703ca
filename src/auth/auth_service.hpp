#pragma once

#include "auth/dto.hpp"
#include "auth/sessions.hpp"
#include "auth/tokens.hpp"
#include "core/access.hpp"
#include "core/request_meta.hpp"
#include "db/audit.hpp"
#include "db/pool.hpp"
#include "kv/rate_limiter.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

namespace crm::auth {

struct AuthLimits {
    int login_attempts_per_minute_per_ip = 30;
    int login_failures_before_lockout = 10;
    int lockout_seconds = 900;
    int refresh_ttl_seconds = 30 * 86400;
    int password_reset_ttl_minutes = 30;
    bool allow_signup = true;
    std::string public_url;
    /// How long /me may answer from this process's copy of the user (other nodes' edits show
    /// within this time; this node's at once). Same bound as the session cache.
    int user_cache_seconds = 5;
};

/// Sign-in, tokens, sessions and passwords. Each public method is one unit of work; none keeps
/// a transaction open while it calls Redis or hashes a password.
class AuthService {
public:
    AuthService(db::Pool& pool, SessionStore& sessions, const TokenService& tokens,
                kv::RateLimiter& limiter, AuthLimits limits);

    TokenPair login(const LoginDto& input, const core::RequestMeta& meta);
    TokenPair refresh(const RefreshDto& input, const core::RequestMeta& meta);
    TokenPair signup(const SignupDto& input, const core::RequestMeta& meta);
    void logout(const core::Actor& actor, const core::RequestMeta& meta);
    void logoutAll(const core::Actor& actor, const core::RequestMeta& meta);

    /// The caller's user record, from a short-lived per-process cache: /me is the most frequent
    /// call of every client.
    repo::UserRecord me(const core::Actor& actor);
    /// Drops the cached copy after a change to the user.
    void forgetUser(const std::string& user_id);
    std::vector<Session> sessions(const core::Actor& actor);
    void revokeSession(const core::Actor& actor, const std::string& session_id,
                       const core::RequestMeta& meta);

    /// Always succeeds from the caller's view (no account enumeration); mails a reset code to
    /// each active account with that e-mail.
    void forgotPassword(const ForgotPasswordDto& input, const core::RequestMeta& meta);
    void resetPassword(const ResetPasswordDto& input, const core::RequestMeta& meta);
    void changePassword(const core::Actor& actor, const ChangePasswordDto& input,
                        const core::RequestMeta& meta);
    /// Whether `given` is the signed-in user's password (`password_hash`), where a change asks
    /// for it (new password, new e-mail). A wrong one counts toward the account's lock-out as a
    /// failed sign-in does, so a stolen access token cannot be used to guess the password, and
    /// is audited (`auth.password_check_failed`, then `auth.account_locked`); while the account
    /// is locked the answer is a 429 and nothing is checked. Call it outside any transaction:
    /// it hashes (about 100 ms), calls Redis and writes its own audit rows.
    bool checkOwnPassword(const core::Actor& actor, const std::string& password_hash,
                          const std::string& given, const core::RequestMeta& meta);

    /// The caller behind a bearer token: signature, expiry and a live session. While Redis is
    /// unreachable a valid token is still honoured until it expires (with the role it carries).
    core::Actor authenticate(std::string_view authorization_header);

    /// Creates a reset code for the user and queues the e-mail carrying it, inside `tx`.
    /// Returns nothing: the code exists only in the e-mail.
    void queueResetEmail(pqxx::transaction_base& tx, const repo::UserRecord& user,
                         const std::string& ip, int ttl_minutes, bool invitation);

private:
    repo::UserRecord loadUser(const core::Actor& actor);
    TokenPair issue(const repo::UserRecord& user, const core::RequestMeta& meta);
    void checkIpLimit(const std::string& scope, const std::string& ip);
    /// Begins a check of the account's password (at sign-in or where a change asks for it)
    /// before it is checked: failures plus checks in progress never pass the lockout limit, so
    /// parallel guesses get no more tries than sequential ones (kv::RateLimiter::beginAttempt).
    kv::RateLimiter::AttemptStart beginPasswordCheck(const std::string& user_id);
    /// Ends a check begun with Go: Failed counts a wrong password and returns the failures (the
    /// one reaching the limit locks the account for the full lockout), Passed clears them.
    long long endPasswordCheck(const std::string& user_id, const kv::RateLimiter::AttemptStart& check,
                               kv::RateLimiter::AttemptOutcome outcome);
    /// Writes the audit row of a counted wrong password and, when it was the one reaching the
    /// limit, the account's `auth.account_locked`.
    void recordWrongPassword(const db::AuditEntry& failure, long long failures,
                             const core::RequestMeta& meta);
    /// The same where an answer is already decided (a sign-in made, or another error on its
    /// way): a Redis failure is logged, not allowed to replace that answer.
    void endPasswordCheckQuietly(const std::string& user_id, const kv::RateLimiter::AttemptStart& check,
                                 kv::RateLimiter::AttemptOutcome outcome) noexcept;
    void auditSessionEnd(const core::Actor& actor, const std::string& action,
                         nlohmann::json changes, const core::RequestMeta& meta);

    db::Pool& pool_;
    SessionStore& sessions_;
    const TokenService& tokens_;
    kv::RateLimiter& limiter_;
    AuthLimits limits_;

    struct CachedUser {
        repo::UserRecord user;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex users_mutex_;
    std::unordered_map<std::string, CachedUser> users_;
};

}  // namespace crm::auth
