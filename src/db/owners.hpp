#pragma once

#include <pqxx/pqxx>

#include <string>

namespace crm::db {

/// Whether `user_id` is an active user of the organisation, who may own records (clients,
/// contacts, and what comes after them). Share-locks the user for the rest of the transaction:
/// a deactivation under way is waited for (and then the user may not own), a later one waits
/// for the commit, so no record is handed to someone deactivated at the same moment.
bool lockActiveOwner(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id);

}  // namespace crm::db
