#pragma once

#include "core/pagination.hpp"

#include <nlohmann/json.hpp>

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

/// SQL for users, organisations and password-reset tokens. Every function takes the caller's
/// transaction; every query on tenant rows is scoped by org_id.
namespace crm::auth::repo {

struct UserRecord {
    std::string id;
    std::string org_id;
    std::string email;
    std::string name;
    std::string role;
    bool active = true;
    std::optional<std::string> team_id;
    std::optional<std::string> last_login_at;
    std::optional<std::string> password_changed_at;
    std::string created_at;
    std::string updated_at;
    int version = 1;
    std::string password_hash;
    std::string org_slug;
    std::string org_name;
};

/// Active and inactive users with this e-mail in any organisation (login, reset).
std::vector<UserRecord> findUsersByEmail(pqxx::transaction_base& tx, const std::string& email);

std::optional<UserRecord> findUser(pqxx::transaction_base& tx, const std::string& org_id,
                                   const std::string& user_id);
/// The same, locking the row until the transaction ends.
std::optional<UserRecord> findUserForUpdate(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::string& user_id);

struct UserFilter {
    std::optional<std::string> role;
    std::optional<bool> active;
    std::optional<std::string> q;  // name or e-mail contains
};

struct UserPage {
    std::vector<UserRecord> items;
    /// The sort key and id of the last row, when another page follows (the cursor's content).
    std::optional<nlohmann::json> next_keys;
};

/// Sorts: created_at, name, email (ascending or descending), keyset on (key, id).
UserPage listUsers(pqxx::transaction_base& tx, const std::string& org_id, const UserFilter& filter,
                   const core::PageRequest& page);
/// How many users match, counted up to core::kTotalCountCap + 1.
long long countUsers(pqxx::transaction_base& tx, const std::string& org_id, const UserFilter& filter);

struct NewUser {
    std::string org_id;
    std::string email;
    std::string name;
    std::string role;
    std::string password_hash;
    std::optional<std::string> created_by;
    /// False for an invited user, whose hash is a placeholder until they choose a password:
    /// `password_changed_at` then stays empty.
    bool password_chosen = true;
};

/// Throws AppError::conflict (naming `email`) when the organisation already has that e-mail.
UserRecord insertUser(pqxx::transaction_base& tx, const NewUser& user);

struct UserChanges {
    std::optional<std::string> email;
    std::optional<std::string> name;
    std::optional<std::string> role;
    std::optional<bool> active;
};

/// Applies the changes when the row is still at `expected_version` (if given); nullopt when it
/// is not (a concurrent edit) or gone.
std::optional<UserRecord> updateUser(pqxx::transaction_base& tx, const std::string& org_id,
                                     const std::string& user_id, const UserChanges& changes,
                                     std::optional<int> expected_version);

void setPassword(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id,
                 const std::string& password_hash);
/// Sets the password only if the stored hash is still `checked_hash` (the one the caller's
/// current password was checked against): false when it changed meanwhile.
bool replacePassword(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id,
                     const std::string& password_hash, const std::string& checked_hash);
void recordLogin(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id);

/// Active admins of the organisation, locked, so two concurrent demotions cannot both pass.
int lockActiveAdmins(pqxx::transaction_base& tx, const std::string& org_id);

struct Organization {
    std::string id;
    std::string name;
    std::string slug;
};

/// Creates an organisation with a slug derived from its name (made unique with a suffix), and
/// its default recruitment stages and sales pipeline.
Organization insertOrganization(pqxx::transaction_base& tx, const std::string& name);
std::optional<Organization> findOrganizationBySlug(pqxx::transaction_base& tx, const std::string& slug);

void insertResetToken(pqxx::transaction_base& tx, const std::string& org_id,
                      const std::string& user_id, const std::string& token_hash_hex,
                      int ttl_minutes, const std::string& ip);

/// Ends every outstanding reset or invitation code of the user (after a password change).
void invalidateResetTokens(pqxx::transaction_base& tx, const std::string& org_id,
                           const std::string& user_id);

struct ResetTarget {
    std::string org_id;
    std::string user_id;
};

/// Marks the token used and returns whose it was, if it exists, is unused and has not expired.
std::optional<ResetTarget> consumeResetToken(pqxx::transaction_base& tx,
                                             const std::string& token_hash_hex);

}  // namespace crm::auth::repo
