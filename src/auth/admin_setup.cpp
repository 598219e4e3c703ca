#include "auth/admin_setup.hpp"

#include "auth/passwords.hpp"
#include "auth/repository.hpp"
#include "core/embedded.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/request_meta.hpp"
#include "core/validation.hpp"
#include "db/audit.hpp"

#include <stdexcept>

namespace crm::auth {

Credentials createAdmin(pqxx::connection& connection, const std::string& email_text,
                        const std::string& password, const std::string& name,
                        const std::string& organization_name, const EndSessions& end_sessions) {
    const auto email = core::normalizeEmail(email_text);
    if (!email) {
        throw std::invalid_argument("--email is not an e-mail address");
    }
    if (const auto problem = passwordProblem(password, {name, *email}); !problem.empty()) {
        throw std::invalid_argument("the password " + problem);
    }
    // No user acts here: the rows name the tool instead (user agent) and have no actor.
    const core::RequestMeta meta{core::newUuidV7(), "", "crm-server create-admin"};
    pqxx::work tx(connection);
    const auto existing = tx.exec_params(
        "SELECT u.org_id, u.id, o.slug, u.role, u.active, u.password_hash FROM users u "
        "JOIN organizations o ON o.id = u.org_id WHERE u.email = $1 AND lower(o.name) = lower($2)",
        *email, organization_name);
    Credentials credentials{"", *email, "admin"};
    if (!existing.empty()) {
        const auto org_id = existing[0][0].as<std::string>();
        const auto user_id = existing[0][1].as<std::string>();
        const auto role = existing[0][3].as<std::string>();
        const bool active = existing[0][4].as<bool>();
        credentials.organization = existing[0][2].as<std::string>();
        if (role == "admin" && active && verifyPassword(existing[0][5].c_str(), password)) {
            // Already so (crm-server seed with CRM_ADMIN_EMAIL does this on every ./crm up):
            // nothing to change, to audit, or to end.
            return credentials;
        }
        tx.exec_params("UPDATE users SET role = 'admin', active = true WHERE org_id = $1 AND id = $2",
                       org_id, user_id);
        repo::setPassword(tx, org_id, user_id, hashPassword(password));
        // The operator's way back into an account: as visible in the audit log as an admin's
        // change through the API, and the new password itself never recorded.
        nlohmann::json changes{{"password", "set"}};
        if (role != "admin") {
            changes["role"] = {{"from", role}, {"to", "admin"}};
        }
        if (!active) {
            changes["active"] = {{"from", false}, {"to", true}};
        }
        db::recordAudit(tx, db::AuditEntry{org_id, std::nullopt,
                                           role != "admin" ? "user.role_changed" : "user.updated",
                                           std::string("user"), user_id, changes},
                        meta);
        end_sessions(user_id);
    } else {
        const auto found = tx.exec_params("SELECT id, slug FROM organizations WHERE lower(name) = lower($1) "
                                          "ORDER BY created_at LIMIT 1",
                                          organization_name);
        std::string org_id;
        if (found.empty()) {
            const auto org = repo::insertOrganization(tx, organization_name);
            org_id = org.id;
            credentials.organization = org.slug;
            db::recordAudit(tx, db::AuditEntry{org.id, std::nullopt, "organization.created",
                                               std::string("organization"), org.id,
                                               {{"name", org.name}, {"slug", org.slug}}},
                            meta);
        } else {
            org_id = found[0][0].as<std::string>();
            credentials.organization = found[0][1].as<std::string>();
        }
        const auto user = repo::insertUser(tx, repo::NewUser{org_id, *email, name, "admin", hashPassword(password), std::nullopt});
        db::recordAudit(tx, db::AuditEntry{org_id, std::nullopt, "user.created", std::string("user"),
                                           user.id,
                                           {{"email", user.email}, {"role", user.role}, {"invited", false}}},
                        meta);
    }
    tx.commit();
    return credentials;
}

// Every table seeds/demo.sql writes (tests/db/schema_test.cpp checks the seed fills them).
constexpr const char* kSeededTables =
    "organizations, teams, users, audit_log, attachments, clients, contacts, client_contacts, "
    "contact_profile_audit_log, sales_profiles, candidate_profiles, jobs, application_stages, job_applications, "
    "application_stage_history, sales_pipelines, pipeline_stages, deals, deal_stage_history, projects, "
    "project_team_members, sales_activities, communication_templates, communications, communication_events";

SeedResult seedDemo(pqxx::connection& connection, const std::string& password, bool reset) {
    SeedResult result;
    {
        pqxx::work tx(connection);
        const bool present =
            !tx.exec_params("SELECT 1 FROM organizations WHERE id = $1", std::string(kDemoOrgId)).empty();
        if (!present || reset) {
            // The seed deletes and recreates only the demo organisation (and what it owns).
            tx.exec(std::string(embedded::demoSeed()));
            tx.exec_params("UPDATE users SET password_hash = $2, password_changed_at = now() "
                           "WHERE org_id = $1 AND password_hash = '!seed-placeholder'",
                           std::string(kDemoOrgId), hashPassword(password));
            result.seeded = true;
        }
        for (const auto& row : tx.exec_params(
                 "SELECT o.slug, u.email, u.role FROM users u JOIN organizations o ON o.id = u.org_id "
                 "WHERE u.org_id = $1 AND u.active ORDER BY array_position("
                 "ARRAY['admin','manager','recruiter','sales'], u.role), u.email",
                 std::string(kDemoOrgId))) {
            result.users.push_back(Credentials{row[0].as<std::string>(), row[1].as<std::string>(),
                                               row[2].as<std::string>()});
        }
        tx.commit();
    }
    if (result.seeded) {
        // Autovacuum analyses a table only after 50 changed rows and a tenth of the table, so
        // the demo's small tables (25 jobs) would keep the statistics of their empty state, and
        // plans costed on them, for good. Only the tables the seed writes: on a deployment with
        // data of its own, the others need no new statistics. The demo is committed by now, so
        // a failure here is worth a warning, not a failed seed.
        try {
            pqxx::nontransaction tx(connection);
            tx.exec0("ANALYZE " + std::string(kSeededTables));
        } catch (const pqxx::sql_error& e) {
            core::log::warn("could not analyse the seeded tables", {{"detail", e.what()}});
        }
    }
    return result;
}

}  // namespace crm::auth
