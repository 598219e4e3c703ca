#include "db/audit.hpp"

#include "db/statement.hpp"

#include "core/validation.hpp"

namespace crm::db {
namespace {

// Stamped with the clock, not the transaction's start: a change that waited for another's row
// lock started before it but happened after, and its history must say so.
const Statement kInsertAudit{"audit.insert", R"sql(
    INSERT INTO audit_log (org_id, actor_id, action, entity_type, entity_id, changes, ip,
                           user_agent, request_id, created_at)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::inet, $8, $9, clock_timestamp()))sql"};

// Only a well-formed address reaches the inet column; anything else is stored as NULL rather
// than failing the change being audited.
std::optional<std::string> validIp(const std::string& ip) {
    return core::isIpAddress(ip) ? std::optional<std::string>(ip) : std::nullopt;
}

}  // namespace

void recordAudit(pqxx::transaction_base& tx, const AuditEntry& entry, const core::RequestMeta& meta) {
    std::optional<std::string> changes;
    if (!entry.changes.is_null()) {
        changes = entry.changes.dump();
    }
    exec(tx, kInsertAudit, entry.org_id, entry.actor_id, entry.action, entry.entity_type,
         entry.entity_id, changes, validIp(meta.ip), meta.user_agent.substr(0, 300), meta.request_id);
}

}  // namespace crm::db
