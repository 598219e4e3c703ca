#include "db/owners.hpp"

#include "db/statement.hpp"

namespace crm::db {
namespace {

const Statement kLockActiveOwner{"owners.lock_active",
    "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND active FOR SHARE"};

}  // namespace

bool lockActiveOwner(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id) {
    return !exec(tx, kLockActiveOwner, org_id, user_id).empty();
}

}  // namespace crm::db
