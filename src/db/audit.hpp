#pragma once

#include "core/request_meta.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <optional>
#include <string>

namespace crm::db {

/// One row of the general audit log (who did what to which record, from where).
struct AuditEntry {
    std::string org_id;
    std::optional<std::string> actor_id;
    std::string action;  // dotted, lower-case: "auth.login", "user.role_changed"
    std::optional<std::string> entity_type;
    std::optional<std::string> entity_id;
    nlohmann::json changes;  // null, or what changed ({"role": {"from": .., "to": ..}})
};

/// Writes an audit row inside the caller's transaction, so it exists exactly when the change does.
void recordAudit(pqxx::transaction_base& tx, const AuditEntry& entry, const core::RequestMeta& meta);

}  // namespace crm::db
