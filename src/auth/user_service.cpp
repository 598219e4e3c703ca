#include "auth/user_service.hpp"

#include "auth/passwords.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "db/audit.hpp"

namespace crm::auth {
namespace {

// Invitations last longer than resets: people do not open them within half an hour.
constexpr int kInvitationTtlMinutes = 72 * 60;

core::AppError lastAdmin() {
    return core::AppError(core::ErrorCode::Conflict,
                          "The organisation must keep at least one active admin", {},
                          {core::FieldError{"role", "this is the last active admin"}});
}

}  // namespace

UserService::UserService(db::Pool& pool, SessionStore& sessions, AuthService& auth)
    : pool_(pool), sessions_(sessions), auth_(auth) {}

repo::UserPage UserService::list(const core::Actor& actor, const repo::UserFilter& filter,
                                 const core::PageRequest& page) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
    return repo::listUsers(tx, actor.org_id, filter, page);
}

long long UserService::count(const core::Actor& actor, const repo::UserFilter& filter) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());
    return repo::countUsers(tx, actor.org_id, filter);
}

repo::UserRecord UserService::get(const core::Actor& actor, const std::string& user_id) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
    auto user = repo::findUser(tx, actor.org_id, user_id);
    if (!user) {
        throw core::AppError::notFound("User not found");
    }
    return *user;
}

repo::UserRecord UserService::create(const core::Actor& actor, const CreateUserDto& input,
                                     const core::RequestMeta& meta) {
    // An invited user gets an unusable random password until they choose one with the code.
    const auto hash = hashPassword(input.password.value_or(core::randomToken(32)));
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    auto user = repo::insertUser(tx, repo::NewUser{actor.org_id, input.email, input.name, input.role,
                                                   hash, actor.user_id, input.password.has_value()});
    if (!input.password) {
        auth_.queueResetEmail(tx, user, meta.ip, kInvitationTtlMinutes, true);
    }
    db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, "user.created", std::string("user"),
                                       user.id, {{"email", user.email}, {"role", user.role},
                                                 {"invited", !input.password.has_value()}}},
                    meta);
    tx.commit();
    return user;
}

repo::UserRecord UserService::update(const core::Actor& actor, const std::string& user_id,
                                     const nlohmann::json& body, std::optional<int> if_match,
                                     const core::RequestMeta& meta) {
    const bool self = user_id == actor.user_id;
    if (!self && !actor.can(core::Permission::UsersManage)) {
        // Reading users is allowed to every role, so the record's existence is no secret.
        throw core::AppError::forbidden("Only admins may edit other users");
    }
    const auto input = UpdateUserDto::fromJson(body, self);
    // A stolen token must not be enough to move the account to another mailbox (and then reset
    // its password there): changing one's own e-mail takes the current password. It is checked
    // before the transaction, so that hashing and the lockout count hold no row lock and a
    // wrong one stays recorded although the change is refused.
    std::optional<std::string> checked_hash;
    if (self && input.email) {
        const auto user = get(actor, user_id);
        if (*input.email != user.email) {
            if (!input.current_password ||
                !auth_.checkOwnPassword(actor, user.password_hash, *input.current_password, meta)) {
                throw core::AppError::invalidField("current_password",
                                                   "is required, and must be right, to change your e-mail");
            }
            checked_hash = user.password_hash;
        }
    }

    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    // A role or active change may take an admin away: the admins are locked first, in id
    // order, then the user. Locking the user first let two admins demoting each other wait on
    // each other's row (a deadlock).
    const int active_admins =
        input.role || input.active ? repo::lockActiveAdmins(tx, actor.org_id) : 0;
    const auto current = repo::findUserForUpdate(tx, actor.org_id, user_id);
    if (!current) {
        throw core::AppError::notFound("User not found");
    }
    if (if_match && *if_match != current->version) {
        throw core::AppError::preconditionFailed("The user was changed by someone else; reload it");
    }
    if (self && input.email && *input.email != current->email && current->password_hash != checked_hash) {
        // The e-mail or the password changed while the password was checked: check again.
        throw core::AppError(core::ErrorCode::Conflict,
                             "Your account changed while this was checked; send the change again");
    }
    const bool demoted = input.role && *input.role != "admin" && current->role == "admin";
    const bool deactivated = input.active && !*input.active && current->active;
    if ((demoted || deactivated) && current->active && current->role == "admin" && active_admins <= 1) {
        throw lastAdmin();
    }
    auto updated = repo::updateUser(
        tx, actor.org_id, user_id,
        repo::UserChanges{input.email, input.name, input.role, input.active}, current->version);
    if (!updated) {
        throw core::AppError::preconditionFailed("The user was changed by someone else; reload it");
    }
    nlohmann::json changes = nlohmann::json::object();
    auto note = [&changes](const char* field, const auto& from, const auto& to) {
        if (from != to) {
            changes[field] = {{"from", from}, {"to", to}};
        }
    };
    note("email", current->email, updated->email);
    note("name", current->name, updated->name);
    note("role", current->role, updated->role);
    note("active", current->active, updated->active);
    // A reset or invitation code went to the old mailbox, or to an account being shut: it must
    // not outlive either.
    if (changes.contains("email") || !updated->active) {
        repo::invalidateResetTokens(tx, actor.org_id, user_id);
    }
    if (!changes.empty()) {
        const char* action = deactivated             ? "user.deactivated"
                             : changes.contains("role") ? "user.role_changed"
                                                        : "user.updated";
        db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, action,
                                           std::string("user"), user_id, changes},
                        meta);
    }
    tx.commit();
    auth_.forgetUser(user_id);

    // Side effects on sessions only once the change is durable: a deactivation must hold even
    // while Redis is down (the sessions' next refresh is refused for an inactive user, within
    // one access-token lifetime), and a role must not reach the sessions before it is saved.
    if (!updated->active) {
        sessions_.revokeAllOfUser(user_id);
    } else if (updated->role != current->role) {
        sessions_.setRoleOfUser(user_id, updated->role);
    }
    return *updated;
}

void UserService::deactivate(const core::Actor& actor, const std::string& user_id,
                             std::optional<int> if_match, const core::RequestMeta& meta) {
    if (user_id == actor.user_id) {
        throw core::AppError(core::ErrorCode::Conflict, "You cannot deactivate yourself");
    }
    {
        auto lease = pool_.acquire();
        pqxx::work tx(lease.get());
        const int active_admins = repo::lockActiveAdmins(tx, actor.org_id);  // before the user: see update()
        const auto current = repo::findUserForUpdate(tx, actor.org_id, user_id);
        if (!current) {
            throw core::AppError::notFound("User not found");
        }
        if (if_match && *if_match != current->version) {
            throw core::AppError::preconditionFailed("The user was changed by someone else; reload it");
        }
        if (!current->active) {
            return;  // already inactive: deleting twice is not an error
        }
        if (current->role == "admin" && active_admins <= 1) {
            throw lastAdmin();
        }
        repo::updateUser(tx, actor.org_id, user_id, repo::UserChanges{std::nullopt, std::nullopt, std::nullopt, false},
                         current->version);
        repo::invalidateResetTokens(tx, actor.org_id, user_id);
        db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, "user.deactivated",
                                           std::string("user"), user_id,
                                           {{"active", {{"from", true}, {"to", false}}}}},
                        meta);
        tx.commit();
    }
    auth_.forgetUser(user_id);
    sessions_.revokeAllOfUser(user_id);  // once saved, as in update()
}

}  // namespace crm::auth
