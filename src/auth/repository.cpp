#include "auth/repository.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/validation.hpp"
#include "db/row_reader.hpp"
#include "db/statement.hpp"

namespace crm::auth::repo {
namespace {

// Columns every user query returns, in the order userFromRow() reads them.
#define CRM_USER_COLUMNS                                                                        \
    "u.id, u.org_id, u.email, u.name, u.role, u.active, u.team_id, "                            \
    "u.last_login_at AT TIME ZONE 'UTC', u.password_changed_at AT TIME ZONE 'UTC', "            \
    "u.created_at AT TIME ZONE 'UTC', u.updated_at AT TIME ZONE 'UTC', u.version, "             \
    "u.password_hash, o.slug, o.name"

UserRecord userFromRow(const pqxx::row& row) {
    db::RowReader in(row);
    UserRecord user;
    user.id = in.text();
    user.org_id = in.text();
    user.email = in.text();
    user.name = in.text();
    user.role = in.text();
    user.active = in.boolean();
    user.team_id = in.optionalText();
    user.last_login_at = in.optionalUtcTimestamp();
    user.password_changed_at = in.optionalUtcTimestamp();
    user.created_at = in.utcTimestamp();
    user.updated_at = in.utcTimestamp();
    user.version = in.integer();
    user.password_hash = in.text();
    user.org_slug = in.text();
    user.org_name = in.text();
    return user;
}

const db::Statement kFindUsersByEmail{"auth.find_users_by_email",
    "SELECT " CRM_USER_COLUMNS " FROM users u JOIN organizations o ON o.id = u.org_id "
    "WHERE u.email = $1 ORDER BY u.created_at"};

const db::Statement kFindUser{"auth.find_user",
    "SELECT " CRM_USER_COLUMNS " FROM users u JOIN organizations o ON o.id = u.org_id "
    "WHERE u.org_id = $1 AND u.id = $2"};

// NO KEY UPDATE: every write that names a user (owner, created_by, the audit's actor) checks
// its foreign key with a KEY SHARE lock on the user's row, which FOR UPDATE would wait for, and
// these routes lock the admins before the target: a user edit and a reassignment deadlocked.
const db::Statement kFindUserForUpdate{"auth.find_user_for_update",
    "SELECT " CRM_USER_COLUMNS " FROM users u JOIN organizations o ON o.id = u.org_id "
    "WHERE u.org_id = $1 AND u.id = $2 FOR NO KEY UPDATE OF u"};

const db::Statement kInsertUser{"auth.insert_user", R"sql(
    WITH inserted AS (
        INSERT INTO users (org_id, email, name, role, password_hash, password_changed_at, created_by)
        VALUES ($1, $2, $3, $4, $5, CASE WHEN $7 THEN now() END, $6)
        RETURNING *)
    SELECT )sql" CRM_USER_COLUMNS R"sql( FROM inserted u JOIN organizations o ON o.id = u.org_id)sql"};

const db::Statement kUpdateUser{"auth.update_user", R"sql(
    WITH updated AS (
        UPDATE users SET email = coalesce($3, email), name = coalesce($4, name),
                         role = coalesce($5, role), active = coalesce($6, active)
        WHERE org_id = $1 AND id = $2 AND ($7::int IS NULL OR version = $7)
        RETURNING *)
    SELECT )sql" CRM_USER_COLUMNS R"sql( FROM updated u JOIN organizations o ON o.id = u.org_id)sql"};

const db::Statement kSetPassword{"auth.set_password", R"sql(
    UPDATE users SET password_hash = $3, password_changed_at = now()
    WHERE org_id = $1 AND id = $2)sql"};

// Only while the stored hash is still `$4`, the one the current password was checked against.
const db::Statement kReplacePassword{"auth.replace_password", R"sql(
    UPDATE users SET password_hash = $3, password_changed_at = now()
    WHERE org_id = $1 AND id = $2 AND password_hash = $4)sql"};

const db::Statement kRecordLogin{"auth.record_login", R"sql(
    UPDATE users SET last_login_at = now()
    WHERE org_id = $1 AND id = $2)sql"};

const db::Statement kLockActiveAdmins{"auth.lock_active_admins", R"sql(
    SELECT id FROM users WHERE org_id = $1 AND role = 'admin' AND active ORDER BY id FOR NO KEY UPDATE)sql"};

const db::Statement kInsertOrganization{"auth.insert_organization", R"sql(
    INSERT INTO organizations (name, slug) VALUES ($1, $2)
    ON CONFLICT (slug) DO NOTHING
    RETURNING id, name, slug)sql"};

const db::Statement kCreateOrgDefaults{"auth.create_org_defaults",
    "SELECT crm_create_org_defaults($1)"};

const db::Statement kFindOrganizationBySlug{"auth.find_org_by_slug",
    "SELECT id, name, slug FROM organizations WHERE slug = $1"};

const db::Statement kInsertResetToken{"auth.insert_reset_token", R"sql(
    INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at, requested_ip)
    VALUES ($1, $2, decode($3, 'hex'), now() + make_interval(mins => $4),
            CASE WHEN $5 = '' THEN NULL ELSE $5::inet END))sql"};

const db::Statement kInvalidateResetTokens{"auth.invalidate_reset_tokens", R"sql(
    UPDATE password_reset_tokens SET used_at = now()
    WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL)sql"};

const db::Statement kConsumeResetToken{"auth.consume_reset_token", R"sql(
    UPDATE password_reset_tokens SET used_at = now()
    WHERE token_hash = decode($1, 'hex') AND used_at IS NULL AND expires_at > now()
    RETURNING org_id, user_id)sql"};

std::string slugify(const std::string& name) {
    std::string slug;
    for (const char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            slug.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        } else if (!slug.empty() && slug.back() != '-') {
            slug.push_back('-');
        }
    }
    while (!slug.empty() && slug.back() == '-') {
        slug.pop_back();
    }
    if (slug.size() > 50) {
        slug.resize(50);
        while (!slug.empty() && slug.back() == '-') {
            slug.pop_back();
        }
    }
    return slug.empty() ? std::string("org") : slug;
}

// Sorts the user list offers: public name → SQL expression (never taken from the request).
std::string sortExpression(const std::string& name) {
    if (name == "name") {
        return "crm_fold(u.name)";  // no case, no accents, as the clients' and contacts' name sorts
    }
    if (name == "email") {
        return "u.email";
    }
    return "u.created_at";
}

}  // namespace

std::vector<UserRecord> findUsersByEmail(pqxx::transaction_base& tx, const std::string& email) {
    std::vector<UserRecord> users;
    for (const auto& row : db::exec(tx, kFindUsersByEmail, email)) {
        users.push_back(userFromRow(row));
    }
    return users;
}

std::optional<UserRecord> findUser(pqxx::transaction_base& tx, const std::string& org_id,
                                   const std::string& user_id) {
    const auto rows = db::exec(tx, kFindUser, org_id, user_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return userFromRow(rows[0]);
}

std::optional<UserRecord> findUserForUpdate(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::string& user_id) {
    const auto rows = db::exec(tx, kFindUserForUpdate, org_id, user_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return userFromRow(rows[0]);
}

namespace {

// The user-list filter, shared by the page query and the count. $2 role, $3 active, $4 text,
// found in the name or the e-mail as searches compare them (crm_fold: any case, any accents):
// "odon" finds "Ödön", "ΣΙΣΥΦΟΣ" finds "Σίσυφος". Folded, then made literal (crm_like_literal).
constexpr const char kUserFilterSql[] =
    "u.org_id = $1 "
    "AND ($2::text IS NULL OR u.role = $2) "
    "AND ($3::boolean IS NULL OR u.active = $3) "
    "AND ($4::text IS NULL OR crm_fold(u.email) LIKE '%' || crm_like_literal(crm_fold($4)) || '%' "
    "OR crm_fold(u.name) LIKE '%' || crm_like_literal(crm_fold($4)) || '%') ";

}  // namespace

long long countUsers(pqxx::transaction_base& tx, const std::string& org_id, const UserFilter& filter) {
    const auto rows = tx.exec_params(
        std::string("SELECT count(*) FROM (SELECT 1 FROM users u WHERE ") + kUserFilterSql +
            "LIMIT $5) capped",
        org_id, filter.role, filter.active, filter.q, core::kTotalCountCap + 1);
    return rows[0][0].as<long long>();
}

UserPage listUsers(pqxx::transaction_base& tx, const std::string& org_id, const UserFilter& filter,
                   const core::PageRequest& page) {
    const auto key = sortExpression(page.sort.name);
    const char* op = page.sort.descending ? "<" : ">";
    const char* direction = page.sort.descending ? "DESC" : "ASC";
    // The key's type differs by sort, so the cursor value is compared as the same expression.
    const std::string key_cast = page.sort.name == "created_at" ? "::timestamptz" : "::text";
    const std::string sql =
        "SELECT " CRM_USER_COLUMNS ", " + key + "::text AS sort_key "
        "FROM users u JOIN organizations o ON o.id = u.org_id "
        "WHERE " + std::string(kUserFilterSql) +
        "AND ($5::text IS NULL OR (" + key + ", u.id) " + op + " ($5" + key_cast + ", $6::uuid)) "
        "ORDER BY " + key + " " + direction + ", u.id " + direction + " LIMIT $7";
    std::optional<std::string> after_key;
    std::optional<std::string> after_id;
    if (page.after) {
        after_key = (*page.after)[0].is_string() ? (*page.after)[0].get<std::string>() : std::string{};
        after_id = (*page.after)[1].is_string() ? (*page.after)[1].get<std::string>() : std::string{};
    }
    const auto rows = tx.exec_params(sql, org_id, filter.role, filter.active, filter.q, after_key, after_id,
                                     page.limit + 1);
    UserPage result;
    for (const auto& row : rows) {
        if (static_cast<int>(result.items.size()) == page.limit) {
            // The extra row only says that another page exists; the cursor points after the
            // last row shown, in the database's own sort key (crm_fold, computed by PostgreSQL).
            const auto& last = rows[static_cast<pqxx::result::size_type>(page.limit - 1)];
            result.next_keys = nlohmann::json::array({last[15].as<std::string>(),
                                                      last[0].as<std::string>()});
            break;
        }
        result.items.push_back(userFromRow(row));
    }
    return result;
}

UserRecord insertUser(pqxx::transaction_base& tx, const NewUser& user) {
    // A violation aborts the caller's transaction; the AppError that replaces it rolls it back.
    try {
        const auto rows = db::exec(tx, kInsertUser, user.org_id, user.email, user.name, user.role,
                                   user.password_hash, user.created_by, user.password_chosen);
        return userFromRow(rows.at(0));
    } catch (const pqxx::unique_violation&) {
        throw core::AppError(core::ErrorCode::Conflict,
                             "A user with this e-mail already exists in the organisation", {},
                             {core::FieldError{"email", "is already used by another user"}});
    }
}

std::optional<UserRecord> updateUser(pqxx::transaction_base& tx, const std::string& org_id,
                                     const std::string& user_id, const UserChanges& changes,
                                     std::optional<int> expected_version) {
    try {
        const auto rows = db::exec(tx, kUpdateUser, org_id, user_id, changes.email, changes.name,
                                   changes.role, changes.active, expected_version);
        if (rows.empty()) {
            return std::nullopt;
        }
        return userFromRow(rows[0]);
    } catch (const pqxx::unique_violation&) {
        throw core::AppError(core::ErrorCode::Conflict,
                             "A user with this e-mail already exists in the organisation", {},
                             {core::FieldError{"email", "is already used by another user"}});
    }
}

void setPassword(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id,
                 const std::string& password_hash) {
    db::exec(tx, kSetPassword, org_id, user_id, password_hash);
}

bool replacePassword(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id,
                     const std::string& password_hash, const std::string& checked_hash) {
    return db::exec(tx, kReplacePassword, org_id, user_id, password_hash, checked_hash).affected_rows() == 1;
}

void recordLogin(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id) {
    db::exec(tx, kRecordLogin, org_id, user_id);
}

int lockActiveAdmins(pqxx::transaction_base& tx, const std::string& org_id) {
    return static_cast<int>(db::exec(tx, kLockActiveAdmins, org_id).size());
}

Organization insertOrganization(pqxx::transaction_base& tx, const std::string& name) {
    // "acme", then "acme-2" to "acme-5", then a random suffix: a name shared by many (or one
    // of no ASCII letters, all "org") never runs out of slugs.
    const auto base = slugify(name);
    constexpr int kNumbered = 5;
    for (int attempt = 0; attempt < kNumbered + 20; ++attempt) {
        const auto slug = attempt == 0          ? base
                          : attempt < kNumbered ? base + "-" + std::to_string(attempt + 1)
                                                : base + "-" + core::randomHex(3);
        const auto rows = db::exec(tx, kInsertOrganization, name, slug);
        if (!rows.empty()) {
            Organization org{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                             rows[0][2].as<std::string>()};
            db::exec(tx, kCreateOrgDefaults, org.id);
            return org;
        }
    }
    throw core::AppError::conflict("Too many organisations share this name; choose another");
}

std::optional<Organization> findOrganizationBySlug(pqxx::transaction_base& tx,
                                                   const std::string& slug) {
    const auto rows = db::exec(tx, kFindOrganizationBySlug, slug);
    if (rows.empty()) {
        return std::nullopt;
    }
    return Organization{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                        rows[0][2].as<std::string>()};
}

void insertResetToken(pqxx::transaction_base& tx, const std::string& org_id,
                      const std::string& user_id, const std::string& token_hash_hex,
                      int ttl_minutes, const std::string& ip) {
    db::exec(tx, kInsertResetToken, org_id, user_id, token_hash_hex, ttl_minutes, ip);
}

void invalidateResetTokens(pqxx::transaction_base& tx, const std::string& org_id,
                           const std::string& user_id) {
    db::exec(tx, kInvalidateResetTokens, org_id, user_id);
}

std::optional<ResetTarget> consumeResetToken(pqxx::transaction_base& tx,
                                             const std::string& token_hash_hex) {
    const auto rows = db::exec(tx, kConsumeResetToken, token_hash_hex);
    if (rows.empty()) {
        return std::nullopt;
    }
    return ResetTarget{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
}

}  // namespace crm::auth::repo
