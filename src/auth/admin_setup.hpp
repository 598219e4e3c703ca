#pragma once

#include <pqxx/pqxx>

#include <functional>

#include <string>
#include <vector>

/// Command-line set-up: the first admin and the demo organisation (crm-server create-admin, seed).
namespace crm::auth {

struct Credentials {
    std::string organization;  // slug
    std::string email;
    std::string role;
};

/// Ends every session of a user (SessionStore::revokeAllOfUser, in crm-server).
using EndSessions = std::function<void(const std::string& user_id)>;

/// Creates the admin (and its organisation, when no organisation has that name's slug), or,
/// when the e-mail already exists there, makes it an active admin with this password and ends
/// the account's sessions, as a password reset does: whoever held them needs the new password.
/// Sessions end before the change commits; if that fails, nothing changes. An account that is
/// already an active admin with this password is left as it is.
Credentials createAdmin(pqxx::connection& connection, const std::string& email,
                        const std::string& password, const std::string& name,
                        const std::string& organization_name, const EndSessions& end_sessions);

/// The id of the demo organisation seeds/demo.sql creates.
constexpr const char kDemoOrgId[] = "00000000-0000-7000-8000-000000000001";

struct SeedResult {
    bool seeded = false;  // false: the demo organisation was already there and was left alone
    std::vector<Credentials> users;
};

/// Loads the demo organisation unless it exists (or `reset` asks to replace it), giving every
/// demo user `password`. Never touches other organisations.
SeedResult seedDemo(pqxx::connection& connection, const std::string& password, bool reset);

}  // namespace crm::auth
