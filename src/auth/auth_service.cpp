#include "auth/auth_service.hpp"

#include "auth/passwords.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/validation.hpp"
#include "db/audit.hpp"
#include "tasks/queue.hpp"

#include <algorithm>
#include <iterator>

namespace crm::auth {
namespace {

constexpr const char kResetPrefix[] = "prt_";
constexpr std::size_t kResetBytes = 32;
// Reset e-mails one account receives per hour, whatever the number of addresses asking: more
// would let anyone fill a stranger's inbox. The answer stays 202 either way.
constexpr long long kResetEmailsPerAccountPerHour = 5;

core::AppError badCredentials() {
    return core::AppError::unauthenticated(
        "The e-mail or password is wrong (an e-mail with accounts in several organisations also "
        "needs the organization)");
}

core::AppError rateLimited(const std::string& message, long long retry_after) {
    core::AppError error(core::ErrorCode::RateLimited, message);
    error.withRetryAfter(static_cast<int>(std::max<long long>(retry_after, 1)));
    return error;
}

db::AuditEntry audit(const std::string& org_id, const std::optional<std::string>& actor,
                     const std::string& action, const std::string& user_id,
                     nlohmann::json changes = nullptr) {
    return db::AuditEntry{org_id, actor, action, std::string("user"), user_id, std::move(changes)};
}

// Wrong passwords of one account, wherever they were typed.
std::string wrongPasswordKey(const std::string& user_id) {
    return "login_fail:{" + user_id + "}";  // a hash tag: its ":checking" twin on the same node
}

using Verdict = kv::RateLimiter::AttemptVerdict;
using Outcome = kv::RateLimiter::AttemptOutcome;

// The 429 for a password that was not checked.
core::AppError passwordCheckRefusal(const kv::RateLimiter::AttemptStart& start) {
    if (start.verdict == Verdict::Locked) {
        return rateLimited("This account is locked after too many wrong passwords; retry in " +
                               std::to_string(start.retry_after_seconds) + " s",
                           start.retry_after_seconds);
    }
    return rateLimited("Other passwords for this account are being checked; retry in " +
                           std::to_string(start.retry_after_seconds) + " s",
                       start.retry_after_seconds);
}

std::string safeIp(const std::string& ip) {
    return core::isIpAddress(ip) ? ip : std::string{};
}

}  // namespace

AuthService::AuthService(db::Pool& pool, SessionStore& sessions, const TokenService& tokens,
                         kv::RateLimiter& limiter, AuthLimits limits)
    : pool_(pool), sessions_(sessions), tokens_(tokens), limiter_(limiter), limits_(std::move(limits)) {}

void AuthService::checkIpLimit(const std::string& scope, const std::string& ip) {
    const auto count = limiter_.hit(scope + ":" + ip, 60);
    if (count.count > limits_.login_attempts_per_minute_per_ip) {
        throw rateLimited("Too many attempts from this address; retry in " +
                              std::to_string(count.reset_seconds) + " s",
                          count.reset_seconds);
    }
}

TokenPair AuthService::issue(const repo::UserRecord& user, const core::RequestMeta& meta) {
    auto created = sessions_.create(user.id, user.org_id, user.role, meta.ip, meta.user_agent);
    TokenPair pair;
    pair.access_token = tokens_.issueAccess(user.id, user.org_id, user.role, created.session.id);
    pair.expires_in = tokens_.ttlSeconds();
    pair.refresh_token = std::move(created.refresh_token);
    pair.refresh_expires_in = limits_.refresh_ttl_seconds;
    pair.session_id = created.session.id;
    pair.user = user;
    return pair;
}

TokenPair AuthService::login(const LoginDto& input, const core::RequestMeta& meta) {
    checkIpLimit("login_ip", meta.ip);

    std::vector<repo::UserRecord> accounts;
    {
        auto lease = pool_.acquire();
        pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
        accounts = repo::findUsersByEmail(tx, input.email);
    }
    if (input.organization) {
        std::erase_if(accounts, [&](const auto& user) { return user.org_slug != *input.organization; });
    }

    if (accounts.size() > 1) {
        // Without the organization, only an active account can be the one meant.
        std::vector<repo::UserRecord> active;
        std::copy_if(accounts.begin(), accounts.end(), std::back_inserter(active),
                     [](const auto& account) { return account.active; });
        if (active.size() > 1) {
            // Several: the password is checked against none of them, and the answer is an
            // unknown e-mail's. Trying it on each would tell whoever controls one account
            // whether it is also another's password; a distinct answer would tell anyone
            // which e-mails have accounts in other organisations (an admin can create a user
            // with any e-mail).
            accounts.clear();
        } else if (active.size() == 1) {
            accounts = std::move(active);
        } else {
            accounts.resize(1);  // all inactive: refused as one inactive account is
        }
    }
    if (accounts.empty()) {
        // Spend the time a real check would take, so timing reveals nothing.
        burnVerificationTime(input.password);
        core::log::info("login failed", {{"reason", "unknown e-mail, or several organisations"},
                                         {"ip", meta.ip}, {"request_id", meta.request_id}});
        throw badCredentials();
    }
    const auto& user = accounts.front();
    // The check is begun before the password is checked, so parallel guesses cannot pass the
    // limit; a locked account answers without the check.
    const auto check = beginPasswordCheck(user.id);
    if (check.verdict != Verdict::Go) {
        throw passwordCheckRefusal(check);
    }
    if (!verifyPassword(user.password_hash, input.password) || !user.active) {
        // Count the failure first (Redis), then record it (PostgreSQL): never both at once.
        const auto failures = endPasswordCheck(user.id, check, Outcome::Failed);
        recordWrongPassword(audit(user.org_id, std::nullopt, "auth.login_failed", user.id,
                                  {{"reason", user.active ? "wrong password" : "inactive user"},
                                   {"failures", failures}}),
                            failures, meta);
        throw badCredentials();
    }
    TokenPair pair;
    // What the locked re-read found: until it ran, a failure proves nothing about the password.
    auto outcome_if_interrupted = Outcome::Abandoned;
    try {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        // The account again, locked: checking the password took about 100 ms (argon2). A reset
        // or deactivation that committed meanwhile wins here; one that commits later waits for
        // this lock and then ends the session made below, which is in the user's index by then.
        // A hash changed meanwhile may be a concurrent sign-in's rehash of the same password:
        // checked again rather than taken for a new password.
        const auto current = repo::findUserForUpdate(tx, user.org_id, user.id);
        const bool still_valid =
            current && current->active &&
            (current->password_hash == user.password_hash ||
             verifyPassword(current->password_hash, input.password));
        outcome_if_interrupted = still_valid ? Outcome::Passed : Outcome::Failed;
        if (!still_valid) {
            throw badCredentials();
        }
        pair = issue(*current, meta);
        try {
            repo::recordLogin(tx, user.org_id, user.id);
            if (needsRehash(current->password_hash)) {
                repo::setPassword(tx, user.org_id, user.id, hashPassword(input.password));
            }
            db::recordAudit(tx, audit(user.org_id, user.id, "auth.login", user.id,
                                      {{"session_id", pair.session_id}}),
                            meta);
            pair.user = repo::findUser(tx, user.org_id, user.id).value_or(*current);
            tx.commit();
        } catch (...) {
            sessions_.revoke(pair.session_id);  // no sign-in without its audit row
            throw;
        }
    } catch (...) {
        endPasswordCheckQuietly(user.id, check, outcome_if_interrupted);  // the first error wins
        throw;
    }
    endPasswordCheckQuietly(user.id, check, Outcome::Passed);  // signed in: nothing to undo
    forgetUser(user.id);
    return pair;
}

TokenPair AuthService::refresh(const RefreshDto& input, const core::RequestMeta& meta) {
    const auto rotation = sessions_.rotate(input.refresh_token, meta.ip, meta.user_agent);
    switch (rotation.outcome) {
        case RotationOutcome::Rotated:
            break;
        case RotationOutcome::Reused: {
            auto lease = pool_.acquire();
            pqxx::work tx(lease.get());
            const auto rows = tx.exec_params("SELECT org_id FROM users WHERE id = $1",
                                             rotation.session.user_id.empty()
                                                 ? std::optional<std::string>()
                                                 : std::optional(rotation.session.user_id));
            if (!rows.empty()) {
                db::recordAudit(tx,
                                audit(rows[0][0].as<std::string>(), std::nullopt,
                                      "auth.refresh_reuse", rotation.session.user_id,
                                      {{"session_id", rotation.session.id}}),
                                meta);
            }
            tx.commit();
            core::log::warn("refresh token reused; session revoked",
                            {{"session_id", rotation.session.id}, {"ip", meta.ip},
                             {"request_id", meta.request_id}});
            throw core::AppError::unauthenticated(
                "This refresh token was already used, so the session has been ended: sign in again");
        }
        case RotationOutcome::Unknown:
        case RotationOutcome::Revoked:
            throw core::AppError::unauthenticated("The refresh token is invalid or expired");
    }

    std::optional<repo::UserRecord> user;
    {
        auto lease = pool_.acquire();
        pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
        user = repo::findUser(tx, rotation.session.org_id, rotation.session.user_id);
    }
    if (!user || !user->active) {
        sessions_.revoke(rotation.session.id);
        throw core::AppError::unauthenticated("The account is no longer active");
    }
    if (user->role != rotation.session.role) {
        // A role change whose session update was lost is repaired here, at the latest one
        // access-token lifetime later.
        sessions_.setRoleOfUser(user->id, user->role);
    }
    TokenPair pair;
    pair.access_token =
        tokens_.issueAccess(user->id, user->org_id, user->role, rotation.session.id);
    pair.expires_in = tokens_.ttlSeconds();
    pair.refresh_token = rotation.refresh_token;
    pair.refresh_expires_in = limits_.refresh_ttl_seconds;
    pair.session_id = rotation.session.id;
    pair.user = *user;
    return pair;
}

TokenPair AuthService::signup(const SignupDto& input, const core::RequestMeta& meta) {
    if (!limits_.allow_signup) {
        throw core::AppError::forbidden("Sign-up is disabled on this server (CRM_ALLOW_SIGNUP)");
    }
    checkIpLimit("signup_ip", meta.ip);
    const auto hash = hashPassword(input.password);
    repo::UserRecord user;
    {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        const auto org = repo::insertOrganization(tx, input.organization_name);
        user = repo::insertUser(tx, repo::NewUser{org.id, input.email, input.name, "admin", hash, std::nullopt});
        // Signing up signs the admin in: the first sign-in is now, the transaction's time that
        // created_at also has.
        repo::recordLogin(tx, org.id, user.id);
        user.last_login_at = user.created_at;
        db::recordAudit(tx, db::AuditEntry{org.id, user.id, "organization.created",
                                           std::string("organization"), org.id,
                                           {{"name", org.name}, {"slug", org.slug}}},
                        meta);
        tx.commit();
    }
    return issue(user, meta);
}

void AuthService::logout(const core::Actor& actor, const core::RequestMeta& meta) {
    sessions_.revoke(actor.session_id);
    auditSessionEnd(actor, "auth.logout", {{"session_id", actor.session_id}}, meta);
}

void AuthService::logoutAll(const core::Actor& actor, const core::RequestMeta& meta) {
    const int ended = sessions_.revokeAllOfUser(actor.user_id);
    auditSessionEnd(actor, "auth.logout_all", {{"sessions", ended}}, meta);
}

// Sessions live in Redis, so ending one shares no transaction with its audit row. The session
// is ended first: a database outage must not keep a session alive that its owner ended; the
// event then goes to the server log instead.
void AuthService::auditSessionEnd(const core::Actor& actor, const std::string& action,
                                  nlohmann::json changes, const core::RequestMeta& meta) {
    try {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        db::recordAudit(tx, audit(actor.org_id, actor.user_id, action, actor.user_id, changes), meta);
        tx.commit();
    } catch (const std::exception& e) {
        core::log::warn("audit row not written", {{"action", action},
                                                  {"user_id", actor.user_id},
                                                  {"changes", changes.dump()},
                                                  {"error", e.what()}});
    }
}

repo::UserRecord AuthService::me(const core::Actor& actor) {
    constexpr std::size_t kMaxCachedUsers = 50000;
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(users_mutex_);
        if (const auto it = users_.find(actor.user_id);
            it != users_.end() && it->second.until > now && it->second.user.org_id == actor.org_id) {
            return it->second.user;
        }
    }
    auto user = loadUser(actor);
    std::lock_guard lock(users_mutex_);
    if (users_.size() >= kMaxCachedUsers) {
        users_.clear();
    }
    users_[actor.user_id] = CachedUser{user, now + std::chrono::seconds(limits_.user_cache_seconds)};
    return user;
}

void AuthService::forgetUser(const std::string& user_id) {
    std::lock_guard lock(users_mutex_);
    users_.erase(user_id);
}

repo::UserRecord AuthService::loadUser(const core::Actor& actor) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
    auto user = repo::findUser(tx, actor.org_id, actor.user_id);
    if (!user) {
        throw core::AppError::unauthenticated("The account no longer exists");
    }
    return *user;
}

std::vector<Session> AuthService::sessions(const core::Actor& actor) {
    return sessions_.listOfUser(actor.user_id);
}

void AuthService::revokeSession(const core::Actor& actor, const std::string& session_id,
                                const core::RequestMeta& meta) {
    const auto own = sessions_.listOfUser(actor.user_id);
    const bool mine = std::any_of(own.begin(), own.end(),
                                  [&](const Session& s) { return s.id == session_id; });
    if (!mine) {
        throw core::AppError::notFound("No such session");
    }
    sessions_.revoke(session_id);
    auditSessionEnd(actor, "auth.session_revoked", {{"session_id", session_id}}, meta);
}

void AuthService::queueResetEmail(pqxx::transaction_base& tx, const repo::UserRecord& user,
                                  const std::string& ip, int ttl_minutes, bool invitation) {
    const auto code = kResetPrefix + core::randomToken(kResetBytes);
    repo::insertResetToken(tx, user.org_id, user.id, SessionStore::digest(code), ttl_minutes,
                           safeIp(ip));
    const auto hours = ttl_minutes >= 120 ? std::to_string(ttl_minutes / 60) + " hours"
                                          : std::to_string(ttl_minutes) + " minutes";
    // The code travels only in the e-mail body: never in a URL, where proxies and browser
    // history would keep it.
    const std::string text =
        (invitation
             ? "Hello " + user.name + ",\n\nAn account was created for you in " + user.org_name +
                   " on Shortcut Scale X. To choose your password, open " + limits_.public_url +
                   " and use this code on the \"set password\" page:\n\n"
             : "Hello " + user.name + ",\n\nSomeone (hopefully you) asked to reset the password of " +
                   "your Shortcut Scale X account in " + user.org_name + ". Use this code on the "
                   "\"reset password\" page of " + limits_.public_url + ":\n\n") +
        "    " + code + "\n\nThe code works once and expires in " + hours + "." +
        (invitation ? " If it expires, \"forgot password\" on the sign-in page sends a new one.\n"
                    : " If you did not ask for this, ignore this e-mail: your password stays as it is.\n");
    tasks::enqueue(tx, tasks::NewTask{user.org_id, "email.send",
                                      {{"to", user.email},
                                       {"subject", invitation ? "Your Shortcut Scale X account"
                                                              : "Reset your Shortcut Scale X password"},
                                       {"text", text}},
                                      std::nullopt, 10});
}

void AuthService::forgotPassword(const ForgotPasswordDto& input, const core::RequestMeta& meta) {
    checkIpLimit("forgot_ip", meta.ip);
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    for (const auto& user : repo::findUsersByEmail(tx, input.email)) {
        if (!user.active || (input.organization && user.org_slug != *input.organization)) {
            continue;
        }
        if (limiter_.hit("forgot_account:" + user.id, 3600).count > kResetEmailsPerAccountPerHour) {
            core::log::info("reset e-mail not sent: hourly limit of the account",
                            {{"user_id", user.id}, {"ip", meta.ip}});
            continue;
        }
        queueResetEmail(tx, user, meta.ip, limits_.password_reset_ttl_minutes, false);
        db::recordAudit(tx, audit(user.org_id, std::nullopt, "auth.password_reset_requested", user.id), meta);
    }
    tx.commit();
}

void AuthService::resetPassword(const ResetPasswordDto& input, const core::RequestMeta& meta) {
    if (input.token.rfind(kResetPrefix, 0) != 0) {
        throw core::AppError::invalidField("token", "is invalid, used or expired");
    }
    checkIpLimit("reset_ip", meta.ip);
    std::string user_id;
    std::string org_id;
    {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        const auto target = repo::consumeResetToken(tx, SessionStore::digest(input.token));
        if (!target) {
            throw core::AppError::invalidField("token", "is invalid, used or expired");
        }
        const auto user = repo::findUserForUpdate(tx, target->org_id, target->user_id);
        if (!user || !user->active) {
            throw core::AppError::invalidField("token", "is invalid, used or expired");
        }
        if (const auto problem = passwordProblem(input.password, {user->name, user->email});
            !problem.empty()) {
            // Nothing is committed, so the code still works with a better password.
            throw core::AppError::invalidField("password", problem);
        }
        repo::setPassword(tx, user->org_id, user->id, hashPassword(input.password));
        repo::invalidateResetTokens(tx, user->org_id, user->id);
        db::recordAudit(tx, audit(user->org_id, user->id, "auth.password_reset", user->id), meta);
        // Sessions end before the new password is saved: if Redis cannot end them, nothing is
        // saved and the code still works; a session of whoever knew the old password must not
        // outlive the reset. (If the commit then fails, the owner only signs in again.)
        sessions_.revokeAllOfUser(user->id);
        tx.commit();
        user_id = user->id;
        org_id = user->org_id;
    }
    forgetUser(user_id);
    try {
        limiter_.reset(wrongPasswordKey(user_id));
    } catch (const core::AppError& e) {
        // The reset is saved: a lockout left behind expires by itself.
        core::log::warn("lockout not cleared after a password reset", {{"error", e.detail()}});
    }
}

kv::RateLimiter::AttemptStart AuthService::beginPasswordCheck(const std::string& user_id) {
    return limiter_.beginAttempt(wrongPasswordKey(user_id), limits_.login_failures_before_lockout,
                                 limits_.lockout_seconds);
}

long long AuthService::endPasswordCheck(const std::string& user_id,
                                        const kv::RateLimiter::AttemptStart& check, Outcome outcome) {
    return limiter_.endAttempt(wrongPasswordKey(user_id), check.check_id, outcome,
                               limits_.lockout_seconds);
}

void AuthService::endPasswordCheckQuietly(const std::string& user_id,
                                          const kv::RateLimiter::AttemptStart& check,
                                          Outcome outcome) noexcept {
    try {
        endPasswordCheck(user_id, check, outcome);
    } catch (const std::exception& error) {
        // Left open, the check is counted as a failure by the next one after 30 s.
        core::log::warn("password check not ended", {{"user_id", user_id}, {"error", error.what()}});
    }
}

void AuthService::recordWrongPassword(const db::AuditEntry& failure, long long failures,
                                      const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    db::recordAudit(tx, failure, meta);
    if (failures == limits_.login_failures_before_lockout) {
        db::recordAudit(tx, audit(failure.org_id, std::nullopt, "auth.account_locked", *failure.entity_id,
                                  {{"seconds", limits_.lockout_seconds}}),
                        meta);
    }
    tx.commit();
}

bool AuthService::checkOwnPassword(const core::Actor& actor, const std::string& password_hash,
                                   const std::string& given, const core::RequestMeta& meta) {
    const auto check = beginPasswordCheck(actor.user_id);
    if (check.verdict != Verdict::Go) {
        throw passwordCheckRefusal(check);
    }
    if (verifyPassword(password_hash, given)) {
        endPasswordCheck(actor.user_id, check, Outcome::Passed);
        return true;
    }
    const auto count = endPasswordCheck(actor.user_id, check, Outcome::Failed);
    recordWrongPassword(audit(actor.org_id, actor.user_id, "auth.password_check_failed", actor.user_id,
                              {{"failures", count}}),
                        count, meta);
    return false;
}

void AuthService::changePassword(const core::Actor& actor, const ChangePasswordDto& input,
                                 const core::RequestMeta& meta) {
    const auto user = loadUser(actor);
    if (!checkOwnPassword(actor, user.password_hash, input.current_password, meta)) {
        throw core::AppError::invalidField("current_password", "is not your current password");
    }
    if (input.current_password == input.new_password) {
        throw core::AppError::invalidField("new_password", "must differ from the current password");
    }
    if (const auto problem = passwordProblem(input.new_password, {user.name, user.email});
        !problem.empty()) {
        throw core::AppError::invalidField("new_password", problem);
    }
    const auto hash = hashPassword(input.new_password);
    {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        // Two changes at once both passed the check against the old password; the second must
        // not overwrite the first (its session is being ended by it, too).
        if (!repo::replacePassword(tx, actor.org_id, actor.user_id, hash, user.password_hash)) {
            throw core::AppError::conflict(
                "The password was changed at the same moment by another session; sign in again");
        }
        repo::invalidateResetTokens(tx, actor.org_id, actor.user_id);
        db::recordAudit(tx, audit(actor.org_id, actor.user_id, "auth.password_changed", actor.user_id), meta);
        // Every other device must sign in again with the new password: ended before it is
        // saved, so a Redis failure leaves the old password and every session as they were.
        sessions_.revokeOthersOfUser(actor.user_id, actor.session_id);
        tx.commit();
    }
    forgetUser(actor.user_id);
}

core::Actor AuthService::authenticate(std::string_view authorization_header) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization_header.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), authorization_header.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        throw core::AppError::unauthenticated("Send an access token: Authorization: Bearer <token>");
    }
    // RFC 9110, 11.4: one or more spaces between the scheme and the token.
    auto token = authorization_header.substr(kBearer.size());
    token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
    const auto claims = tokens_.verifyAccess(token);
    std::optional<Session> session;
    try {
        session = sessions_.find(claims.session_id);
    } catch (const core::AppError& e) {
        if (e.code() != core::ErrorCode::Unavailable) {
            throw;
        }
        // Redis is down: the signature and expiry still vouch for the token.
        core::log::warn("session check skipped: Redis unavailable", {{"session_id", claims.session_id}});
        const auto role = core::parseRole(claims.role);
        if (!role) {
            throw core::AppError::unauthenticated("The access token is invalid");
        }
        return core::Actor{claims.user_id, claims.org_id, *role, claims.session_id};
    }
    if (!session || session->user_id != claims.user_id) {
        throw core::AppError::unauthenticated("The session has ended: sign in again");
    }
    const auto role = core::parseRole(session->role);
    if (!role) {
        throw core::AppError::unauthenticated("The session is invalid: sign in again");
    }
    return core::Actor{claims.user_id, claims.org_id, *role, claims.session_id};
}

}  // namespace crm::auth
