#include "db/owners.hpp"

#include "db/statement.hpp"

namespace crm::db {
namespace {

const Statement kIsActiveOwner{"owners.is_active",
    "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND active"};

}  // namespace

bool isActiveOwner(pqxx::transaction_base& tx, const std::string& org_id, const std::string& user_id) {
    return !exec(tx, kIsActiveOwner, org_id, user_id).empty();
}

}  // namespace crm::db
