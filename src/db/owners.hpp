#pragma once

#include <pqxx/pqxx>

#include <string>

namespace crm::db {

/// Whether `user_id` is an active user of the organisation, who may own records (clients,
/// contacts, and what comes after them).
///
/// Not locked: a deactivation committed just after the check leaves a record owned by an
/// inactive user, as the same two changes made a second apart do (deactivation hands nothing
/// over). A share lock would only order the two, at the price of a login's wait and a deadlock
/// with the last-admin check's locks.
bool isActiveOwner(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id);

}  // namespace crm::db
