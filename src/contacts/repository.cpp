#include "contacts/repository.hpp"

#include "core/error.hpp"
#include "core/validation.hpp"
#include "db/json_records.hpp"
#include "db/row_reader.hpp"
#include "db/sql_fragments.hpp"
#include "db/statement.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>

namespace crm::contacts::repo {
namespace {

// Columns every contact query returns, in the order contactViewFromRow() reads them (0..27).
// Times are read as UTC timestamps without zone (db::utcTimestamp formats them); the jsonb and
// array columns come as JSON text.
#define CRM_CONTACT_COLUMNS                                                                        \
    "c.id, c.org_id, c.first_name, c.last_name, c.email, c.emails::text, c.phone, "                 \
    "c.phones::text, c.city, c.country, c.linkedin_url, c.owner_id, c.source, "                    \
    "array_to_json(c.tags)::text, c.marketing_consent, "                                           \
    "c.consent_updated_at AT TIME ZONE 'UTC', c.consent_source, c.lawful_basis, "                  \
    "c.do_not_contact, c.anonymized_at AT TIME ZONE 'UTC', c.retention_until::text, "              \
    "c.last_activity_at AT TIME ZONE 'UTC', c.merged_into_id, c.created_at AT TIME ZONE 'UTC', "   \
    "c.updated_at AT TIME ZONE 'UTC', c.created_by, c.version, c.deleted_at AT TIME ZONE 'UTC'"

// Columns 28 and 29: whether the contact has live profiles of each kind, kept on the contact by
// the triggers of migration 0008 (probing both profile tables per row halved list throughput).
#define CRM_CONTACT_FLAGS "c.has_sales_profile, c.has_candidate_profile"

// A sales profile as a JSON object (row_to_json over these columns); kSalesSetters reads it.
#define CRM_SALES_COLUMNS                                                                          \
    "s.id, s.contact_id, s.client_id, s.company_name, s.title, s.department, s.decision_role, "     \
    "s.budget::text AS budget, s.currency, s.lead_status, s.lead_score, s.is_primary, s.notes, "   \
    "s.created_at AT TIME ZONE 'UTC' AS created_at, s.updated_at AT TIME ZONE 'UTC' AS updated_at, " \
    "s.created_by, s.version, s.deleted_at AT TIME ZONE 'UTC' AS deleted_at"

// A candidate profile as a JSON object; never the embedding itself (6 KB of floats).
#define CRM_CANDIDATE_COLUMNS                                                                      \
    "p.id, p.contact_id, p.headline, p.summary, p.skills, p.skill_names, "                          \
    "p.years_experience::text AS years_experience, p.seniority, "                                  \
    "p.current_salary::text AS current_salary, p.desired_salary_min::text AS desired_salary_min, " \
    "p.desired_salary_max::text AS desired_salary_max, p.currency, p.desired_locations, "          \
    "p.remote_preference, p.available_from::text AS available_from, p.notice_period_days, "        \
    "p.work_authorization, p.current_employer, p.current_title, p.is_primary, "                    \
    "p.embedded_at AT TIME ZONE 'UTC' AS embedded_at, "                                            \
    "p.created_at AT TIME ZONE 'UTC' AS created_at, p.updated_at AT TIME ZONE 'UTC' AS updated_at, " \
    "p.created_by, p.version, p.deleted_at AT TIME ZONE 'UTC' AS deleted_at"

// GET /api/contacts/{id}: the contact and both live profile lists in one round trip.
// bench/contacts.sh runs this exact text with pgbench (tests/unit/contacts_test.cpp checks).
const db::Statement kContactDetail{"contacts.detail",
    "SELECT " CRM_CONTACT_COLUMNS ", "
    "(SELECT coalesce(json_agg(x ORDER BY x.is_primary DESC, x.created_at, x.id), '[]')::text "
    "FROM (SELECT " CRM_SALES_COLUMNS " FROM sales_profiles s "
    "WHERE s.org_id = c.org_id AND s.contact_id = c.id AND s.deleted_at IS NULL) x), "
    "(SELECT coalesce(json_agg(x ORDER BY x.is_primary DESC, x.created_at, x.id), '[]')::text "
    "FROM (SELECT " CRM_CANDIDATE_COLUMNS " FROM candidate_profiles p "
    "WHERE p.org_id = c.org_id AND p.contact_id = c.id AND p.deleted_at IS NULL) x) "
    "FROM contacts c WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL"};

const db::Statement kFindContact{"contacts.find",
    "SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS
    " FROM contacts c WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL"};

const db::Statement kLockContact{"contacts.lock",
    "SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS
    " FROM contacts c WHERE c.org_id = $1 AND c.id = $2 FOR NO KEY UPDATE OF c"};

// Rows are locked as the sort returns them: always in id order.
const db::Statement kLockContacts{"contacts.lock_many",
    "SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS
    " FROM contacts c WHERE c.org_id = $1 AND c.id = ANY($2::uuid[]) ORDER BY c.id"
    " FOR NO KEY UPDATE OF c"};

const db::Statement kSerializeMerges{"contacts.serialize_merges",
    "SELECT pg_advisory_xact_lock(hashtextextended('contact-merge:' || $1::text, 0))"};

const db::Statement kInsertContact{"contacts.insert",
    "WITH c AS ("
    " INSERT INTO contacts (org_id, first_name, last_name, email, emails, phone, phones, city,"
    " country, linkedin_url, owner_id, source, tags, marketing_consent, consent_updated_at,"
    " consent_source, lawful_basis, do_not_contact, created_by)"
    " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11, $12,"
    " ARRAY(SELECT jsonb_array_elements_text($13::jsonb)), $14, CASE WHEN $15::boolean THEN clock_timestamp() END,"
    " $16, $17, $18, $19)"
    " RETURNING *)"
    " SELECT " CRM_CONTACT_COLUMNS ", false, false FROM c"};

const db::Statement kUpdateContact{"contacts.update",
    "WITH c AS ("
    " UPDATE contacts SET first_name = $3, last_name = $4, email = $5, emails = $6::jsonb,"
    " phone = $7, phones = $8::jsonb, city = $9, country = $10, linkedin_url = $11,"
    " owner_id = $12, source = $13, tags = ARRAY(SELECT jsonb_array_elements_text($14::jsonb)),"
    " marketing_consent = $15, consent_source = $16, lawful_basis = $17, do_not_contact = $18,"
    " consent_updated_at = coalesce($20::timestamptz,"
    " CASE WHEN $19::boolean THEN clock_timestamp() ELSE consent_updated_at END)"
    " WHERE org_id = $1 AND id = $2"
    " RETURNING *)"
    " SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS " FROM c"};

const db::Statement kSetContactDeleted{"contacts.set_deleted",
    "WITH c AS ("
    " UPDATE contacts SET deleted_at = CASE WHEN $3::boolean THEN clock_timestamp() END,"
    " merged_into_id = coalesce($4::uuid, merged_into_id)"
    " WHERE org_id = $1 AND id = $2"
    " RETURNING *)"
    " SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS " FROM c"};

// crm_touch_row turns any explicit version change into the next version (migration 0016).
const db::Statement kBumpContactVersion{"contacts.bump_version",
    "UPDATE contacts SET version = version + 1 WHERE org_id = $1 AND id = $2 RETURNING version"};

// Sorted, so that two transactions wanting overlapping keys take them in the same order.
const db::Statement kLockDuplicateKeys{"contacts.lock_duplicate_keys",
    "SELECT pg_advisory_xact_lock(k.h) FROM ("
    " SELECT DISTINCT hashtextextended('contact-dup:' || $1::text || ':' || key, 0) AS h"
    " FROM jsonb_array_elements_text($2::jsonb) AS key ORDER BY h) k"};

// One probe, one indexed lookup: contacts_email_idx or contacts_emails_gin (a BitmapOr) for an
// e-mail; contacts_phone_idx or contacts_phones_gin for a phone. One small statement per probe
// rather than one over a jsonb_to_recordset of all probes: that function's 100-row estimate
// pushed the plan above jit_above_cost, and JIT compilation cost 60 ms per create. The queries
// live in functions (migration 0011) that keep their plan: as plain prepared statements they
// were planned again on every execution, at five times the cost of the lookup.
const db::Statement kFindEmailDuplicate{"contacts.find_email_duplicate",
    "SELECT id FROM crm_contacts_with_email($1, $2, $3::uuid) AS id"};
const db::Statement kFindPhoneDuplicate{"contacts.find_phone_duplicate",
    "SELECT id FROM crm_contacts_with_phone($1, $2, $3::uuid) AS id"};

// Contacts at the same company found from the company side (client links by client id, sales
// profiles by client id or by company name, candidates by current employer, names through the
// trigram indexes), then compared by normalised full name: equal, or trigram similarity >= 0.5.
const db::Statement kFindSimilar{"contacts.find_similar", R"sql(
    WITH target AS (
        SELECT btrim(regexp_replace(crm_fold($3::text || ' ' || coalesce($4::text, '')),
                                    '[^[:alnum:]]+', ' ', 'g')) AS name),
    -- The company is the client ($5) or any live client named like it ($6, $7, $8, compared
    -- folded, the form the trigram indexes hold): a contact at Initech may have been recorded
    -- by its client_id, its company_name, or both.
    companies AS (
        SELECT cl.id, cl.name FROM clients cl
        WHERE cl.org_id = $1 AND cl.deleted_at IS NULL
          AND (cl.id = $5::uuid OR crm_fold(cl.name) LIKE crm_like_literal(crm_fold($6))
               OR crm_fold(cl.name) LIKE crm_like_literal(crm_fold($7))
               OR crm_fold(cl.name) LIKE crm_like_literal(crm_fold($8)))),
    at_company AS (
        SELECT cc.contact_id, co.name AS company
        FROM client_contacts cc JOIN companies co ON co.id = cc.client_id
        WHERE cc.org_id = $1 AND cc.client_id = ANY(ARRAY(SELECT id FROM companies))
          -- A link in force today, as the search reads a company: not a former or future one.
          AND )sql" CRM_LINK_IN_FORCE("cc") R"sql(
        UNION ALL
        SELECT sp.contact_id, coalesce(sp.company_name, co.name, '') AS company
        FROM sales_profiles sp LEFT JOIN companies co ON co.id = sp.client_id
        WHERE sp.org_id = $1 AND sp.deleted_at IS NULL
          -- An array, not a join, so both halves of the OR stay index conditions (BitmapOr).
          AND (sp.client_id = ANY(ARRAY(SELECT id FROM companies))
               OR crm_fold(sp.company_name) LIKE crm_like_literal(crm_fold($6))
               OR crm_fold(sp.company_name) LIKE crm_like_literal(crm_fold($7))
               OR crm_fold(sp.company_name) LIKE crm_like_literal(crm_fold($8)))
        UNION ALL
        SELECT cp.contact_id, cp.current_employer
        FROM candidate_profiles cp
        WHERE cp.org_id = $1 AND cp.deleted_at IS NULL
          AND (crm_fold(cp.current_employer) LIKE crm_like_literal(crm_fold($6))
               OR crm_fold(cp.current_employer) LIKE crm_like_literal(crm_fold($7))
               OR crm_fold(cp.current_employer) LIKE crm_like_literal(crm_fold($8))))
    SELECT c.id, c.first_name, c.last_name, a.company, similarity(n.name, t.name)::float8 AS score
    FROM (SELECT contact_id, max(company) AS company FROM at_company GROUP BY contact_id) a
    JOIN contacts c ON c.org_id = $1 AND c.id = a.contact_id AND c.deleted_at IS NULL AND c.id <> $2
    CROSS JOIN target t
    CROSS JOIN LATERAL (
        SELECT btrim(regexp_replace(crm_fold(c.first_name || ' ' || coalesce(c.last_name, '')),
                                    '[^[:alnum:]]+', ' ', 'g')) AS name) n
    WHERE n.name = t.name OR similarity(n.name, t.name) >= 0.5
    ORDER BY score DESC, c.id
    LIMIT 5)sql"};

// Profiles ----------------------------------------------------------------------------------

// include=profiles: both kinds for a whole page in one round trip.
const db::Statement kLoadProfiles{"contacts.load_profiles",
    "SELECT 's', row_to_json(x)::text FROM (SELECT " CRM_SALES_COLUMNS
    " FROM sales_profiles s WHERE s.org_id = $1 AND s.contact_id = ANY($2::uuid[])"
    " AND s.deleted_at IS NULL) x"
    " UNION ALL "
    "SELECT 'c', row_to_json(x)::text FROM (SELECT " CRM_CANDIDATE_COLUMNS
    " FROM candidate_profiles p WHERE p.org_id = $1 AND p.contact_id = ANY($2::uuid[])"
    " AND p.deleted_at IS NULL) x"};

const db::Statement kLockSalesProfile{"contacts.lock_sales_profile",
    "SELECT row_to_json(x)::text FROM (SELECT " CRM_SALES_COLUMNS " FROM sales_profiles s"
    " WHERE s.org_id = $1 AND s.contact_id = $2 AND s.id = $3 AND s.deleted_at IS NULL"
    " FOR NO KEY UPDATE) x"};

const db::Statement kLockCandidateProfile{"contacts.lock_candidate_profile",
    "SELECT row_to_json(x)::text FROM (SELECT " CRM_CANDIDATE_COLUMNS " FROM candidate_profiles p"
    " WHERE p.org_id = $1 AND p.contact_id = $2 AND p.id = $3 AND p.deleted_at IS NULL"
    " FOR NO KEY UPDATE) x"};

const db::Statement kProfileKindOf{"contacts.profile_kind", R"sql(
    SELECT 'sales' FROM sales_profiles
    WHERE org_id = $1 AND contact_id = $2 AND id = $3 AND deleted_at IS NULL
    UNION ALL
    SELECT 'candidate' FROM candidate_profiles
    WHERE org_id = $1 AND contact_id = $2 AND id = $3 AND deleted_at IS NULL)sql"};

const db::Statement kInsertSalesProfile{"contacts.insert_sales_profile",
    "WITH s AS ("
    " INSERT INTO sales_profiles (org_id, contact_id, client_id, company_name, title, department,"
    " decision_role, budget, currency, lead_status, lead_score, is_primary, notes, created_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11::integer, $12, $13, $14)"
    " RETURNING *)"
    " SELECT row_to_json(x)::text FROM (SELECT " CRM_SALES_COLUMNS " FROM s) x"};

const db::Statement kUpdateSalesProfile{"contacts.update_sales_profile",
    "WITH s AS ("
    " UPDATE sales_profiles SET client_id = $3, company_name = $4, title = $5, department = $6,"
    " decision_role = $7, budget = $8::numeric, currency = $9, lead_status = $10,"
    " lead_score = $11::integer, is_primary = $12, notes = $13"
    " WHERE org_id = $1 AND id = $2"
    " RETURNING *)"
    " SELECT row_to_json(x)::text FROM (SELECT " CRM_SALES_COLUMNS " FROM s) x"};

const db::Statement kInsertCandidateProfile{"contacts.insert_candidate_profile",
    "WITH p AS ("
    " INSERT INTO candidate_profiles (org_id, contact_id, headline, summary, skills,"
    " years_experience, seniority, current_salary, desired_salary_min, desired_salary_max,"
    " currency, desired_locations, remote_preference, available_from, notice_period_days,"
    " work_authorization, current_employer, current_title, is_primary, created_by)"
    " VALUES ($1, $2, $3, $4, $5::jsonb, $6::numeric, $7, $8::numeric, $9::numeric, $10::numeric,"
    " $11, ARRAY(SELECT jsonb_array_elements_text($12::jsonb)), $13, $14::date, $15::integer,"
    " $16, $17, $18, $19, $20)"
    " RETURNING *)"
    " SELECT row_to_json(x)::text FROM (SELECT " CRM_CANDIDATE_COLUMNS " FROM p) x"};

const db::Statement kUpdateCandidateProfile{"contacts.update_candidate_profile",
    "WITH p AS ("
    " UPDATE candidate_profiles SET headline = $3, summary = $4, skills = $5::jsonb,"
    " years_experience = $6::numeric, seniority = $7, current_salary = $8::numeric,"
    " desired_salary_min = $9::numeric, desired_salary_max = $10::numeric, currency = $11,"
    " desired_locations = ARRAY(SELECT jsonb_array_elements_text($12::jsonb)),"
    " remote_preference = $13, available_from = $14::date, notice_period_days = $15::integer,"
    " work_authorization = $16, current_employer = $17, current_title = $18, is_primary = $19"
    " WHERE org_id = $1 AND id = $2"
    " RETURNING *)"
    " SELECT row_to_json(x)::text FROM (SELECT " CRM_CANDIDATE_COLUMNS " FROM p) x"};

// The statements below exist once per profile table. The oldest-profile query reads the
// contact's few profiles through (org_id, contact_id) and sorts them: the OFFSET 0 keeps the
// planner from walking the table's created_at index for the ORDER BY ... LIMIT 1 instead.
#define CRM_PROFILE_STATEMENTS(kind, table)                                                        \
    const db::Statement kPrimaryOf##kind{"contacts.primary_" #table,                               \
        "SELECT id FROM " #table " WHERE org_id = $1 AND contact_id = $2 AND is_primary"           \
        " AND deleted_at IS NULL"};                                                                \
    const db::Statement kSetPrimary##kind{"contacts.set_primary_" #table,                          \
        "UPDATE " #table " SET is_primary = $3 WHERE org_id = $1 AND id = $2"};                    \
    const db::Statement kSoftDelete##kind{"contacts.soft_delete_" #table,                          \
        "UPDATE " #table " SET deleted_at = clock_timestamp(), is_primary = false"                 \
        " WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL"                                    \
        " RETURNING deleted_at AT TIME ZONE 'UTC', version"};                                      \
    const db::Statement kOldest##kind{"contacts.oldest_" #table,                                   \
        "SELECT id FROM (SELECT id, created_at FROM " #table                                       \
        " WHERE org_id = $1 AND contact_id = $2 AND deleted_at IS NULL OFFSET 0) x"                \
        " ORDER BY created_at, id LIMIT 1"};                                                       \
    const db::Statement kCreator##kind{"contacts.creator_" #table,                                 \
        "SELECT created_by FROM " #table " WHERE org_id = $1 AND id = $2"};                        \
    const db::Statement kLockDeleted##kind{"contacts.lock_deleted_" #table,                        \
        "SELECT created_by, version, deleted_at AT TIME ZONE 'UTC' FROM " #table                   \
        " WHERE org_id = $1 AND contact_id = $2 AND id = $3 AND deleted_at IS NOT NULL"            \
        " FOR NO KEY UPDATE"};                                                                     \
    const db::Statement kRestore##kind{"contacts.restore_" #table,                                 \
        "UPDATE " #table " SET deleted_at = NULL, is_primary = $3"                                 \
        " WHERE org_id = $1 AND id = $2 AND deleted_at IS NOT NULL"};

CRM_PROFILE_STATEMENTS(Sales, sales_profiles)
CRM_PROFILE_STATEMENTS(Candidate, candidate_profiles)

const db::Statement kLiveClientName{"contacts.live_client_name",
    "SELECT name FROM clients WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL"};

// Client relationships ----------------------------------------------------------------------

#define CRM_LIST_RELATIONSHIPS(client_state)                                                     \
    "SELECT cc.id, cc.client_id, cl.name, cc.role, cc.title, cc.is_primary_contact,"              \
    " cc.start_date::text, cc.end_date::text, cc.created_at AT TIME ZONE 'UTC',"                  \
    " cc.updated_at AT TIME ZONE 'UTC', cc.version"                                               \
    " FROM client_contacts cc"                                                                    \
    " JOIN clients cl ON cl.org_id = cc.org_id AND cl.id = cc.client_id"                          \
    " WHERE cc.org_id = $1 AND cc.contact_id = $2 AND cl.deleted_at " client_state                \
    " ORDER BY cl.name, cc.client_id"

const db::Statement kListRelationships{"contacts.list_relationships",
                                       CRM_LIST_RELATIONSHIPS("IS NULL")};
const db::Statement kListRelationshipsToDeleted{"contacts.list_relationships_to_deleted",
                                                CRM_LIST_RELATIONSHIPS("IS NOT NULL")};
#undef CRM_LIST_RELATIONSHIPS

// FOR SHARE: a client deleted or restored meanwhile (which locks the row FOR NO KEY UPDATE) waits for
// this change, or is seen as it is after. A row read again once that commits gives `live` as it
// is then. One array of ids, so the lookup stays on the primary key (an `OR id IN (...)` reads
// every client of the organisation), and in id order, as every multi-row lock.
const db::Statement kLockClientsOfLinks{"contacts.lock_clients_of_links", R"sql(
    SELECT id, deleted_at IS NULL AS live FROM clients
    WHERE org_id = $1
      AND id = ANY($3::uuid[] || ARRAY(SELECT cc.client_id FROM client_contacts cc
                                       WHERE cc.org_id = $1 AND cc.contact_id = ANY($2::uuid[])))
    ORDER BY id FOR SHARE)sql"};

const db::Statement kReleasePrimaryContact{"contacts.release_primary_contact", R"sql(
    UPDATE client_contacts SET is_primary_contact = false
    WHERE org_id = $1 AND contact_id = $2 AND is_primary_contact
    RETURNING client_id)sql"};

const db::Statement kPrimaryContactsOf{"contacts.primary_contacts_of", R"sql(
    SELECT client_id, contact_id, coalesce(end_date < current_date, false) FROM client_contacts
    WHERE org_id = $1 AND client_id = ANY($2::uuid[]) AND is_primary_contact AND contact_id <> $3)sql"};

// Only while the link is still primary and ended: the former contact's own change may have
// come first.
const db::Statement kReleaseEndedPrimaryPlaces{"contacts.release_ended_primary_places", R"sql(
    UPDATE client_contacts SET is_primary_contact = false
    WHERE org_id = $1 AND contact_id = $2 AND client_id = ANY($3::uuid[]) AND is_primary_contact
      AND end_date < current_date)sql"};

// Links to deleted clients are left alone: they are not shown, so a replace cannot mean them.
const db::Statement kDeleteRelationshipsExcept{"contacts.delete_relationships_except", R"sql(
    DELETE FROM client_contacts cc USING clients cl
    WHERE cc.org_id = $1 AND cc.contact_id = $2 AND cl.org_id = cc.org_id AND cl.id = cc.client_id
      AND cl.deleted_at IS NULL AND NOT (cc.client_id = ANY($3::uuid[])))sql"};

// An unchanged link is not rewritten, so its version stays.
const db::Statement kUpsertRelationships{"contacts.upsert_relationships", R"sql(
    INSERT INTO client_contacts (org_id, client_id, contact_id, role, title, is_primary_contact,
                                 start_date, end_date, created_by)
    SELECT $1, r.client_id, $2, r.role, r.title, r.is_primary_contact, r.start_date, r.end_date, $4
    FROM jsonb_to_recordset($3::jsonb) AS r(client_id uuid, role text, title text,
                                             is_primary_contact boolean, start_date date, end_date date)
    ON CONFLICT (client_id, contact_id) DO UPDATE
    SET role = EXCLUDED.role, title = EXCLUDED.title, is_primary_contact = EXCLUDED.is_primary_contact,
        start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date
    WHERE (client_contacts.role, client_contacts.title, client_contacts.is_primary_contact,
           client_contacts.start_date, client_contacts.end_date)
          IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.title, EXCLUDED.is_primary_contact,
                            EXCLUDED.start_date, EXCLUDED.end_date))sql"};

// History -----------------------------------------------------------------------------------

// clock_timestamp(), as db::recordAudit: the time the change was made under its row locks.
const db::Statement kInsertHistory{"contacts.insert_history", R"sql(
    INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, profile_id, field,
                                           old_value, new_value, changed_by, request_id, changed_at)
    SELECT $1, $2, r.profile_type, r.profile_id, r.field, r.old_value, r.new_value, $3, $4,
           clock_timestamp()
    FROM jsonb_to_recordset($5::jsonb)
         AS r(profile_type text, profile_id uuid, field text, old_value jsonb, new_value jsonb))sql"};

// Keyset on (changed_at, id), newest first, on contact_profile_audit_log_contact_idx.
const db::Statement kListHistory{"contacts.list_history", R"sql(
    SELECT h.id, h.profile_type, h.profile_id, h.field, h.old_value::text, h.new_value::text,
           h.changed_by, u.name, h.changed_at AT TIME ZONE 'UTC', h.request_id
    FROM contact_profile_audit_log h
    LEFT JOIN users u ON u.org_id = h.org_id AND u.id = h.changed_by
    WHERE h.org_id = $1 AND h.contact_id = $2 AND ($3::text IS NULL OR h.profile_type = $3)
      AND ($4::timestamptz IS NULL OR (h.changed_at, h.id) < ($4::timestamptz, $5::uuid))
    ORDER BY h.changed_at DESC, h.id DESC
    LIMIT $6)sql"};

const db::Statement kCountHistory{"contacts.count_history", R"sql(
    SELECT count(*) FROM (
        SELECT 1 FROM contact_profile_audit_log h
        WHERE h.org_id = $1 AND h.contact_id = $2 AND ($3::text IS NULL OR h.profile_type = $3)
        LIMIT $4) t)sql"};

// Summary -----------------------------------------------------------------------------------

const db::Statement kSummaryFacts{"contacts.summary_facts", R"sql(
    SELECT s.has_sales_profile, s.has_candidate_profile, s.is_dual, s.sales_profile_count,
           s.candidate_profile_count, s.primary_sales_profile_id, s.primary_candidate_profile_id,
           s.application_count,
           (SELECT count(*) FROM candidate_profiles p
            JOIN job_applications a ON a.org_id = p.org_id AND a.candidate_profile_id = p.id
            JOIN jobs j ON j.org_id = a.org_id AND j.id = a.job_id AND j.deleted_at IS NULL
            WHERE p.org_id = s.org_id AND p.contact_id = s.contact_id AND p.deleted_at IS NULL
              AND a.status = 'active')::integer,
           s.deal_count,
           (SELECT count(*) FROM deals d
            WHERE d.org_id = s.org_id AND d.contact_id = s.contact_id AND d.deleted_at IS NULL
              AND d.status = 'open')::integer,
           s.message_count, s.last_activity_at AT TIME ZONE 'UTC'
    FROM contact_profile_summary s
    WHERE s.org_id = $1 AND s.contact_id = $2)sql"};

// Insights ----------------------------------------------------------------------------------

// A branch runs only when the page can hold its type: the type asked for ($3), and not before
// the cursor's type ($4). Planned with the values, the condition is a constant, and a false one
// stops the branch before it reads anything: a page of one type, or a page deep into the
// later types, no longer computes every insight of the organisation.
#define CRM_INSIGHT_WANTED(type) \
    "($3::text IS NULL OR $3 = '" type "') AND ($4::text IS NULL OR $4 <= '" type "')"

// Every insight type is one branch, each started from the small side (clients with open deals
// or jobs, hired or active applications), whose people are looked up by index: company names
// through the folded-name indexes of migrations 0022 and 0026, so they are written
// crm_fold(column), never crm_fold(btrim(column)) (crm_fold trims: the same value, but an
// expression no index has). $2 limits them to one contact. Company names match as searches
// compare them (crm_fold): any case, any accents; client links count while in force today, as
// the search reads them (not a former or future company).
const db::Statement kListInsights{"contacts.list_insights", R"sql(
    WITH open_deals AS (
        SELECT d.client_id, count(*) AS n FROM deals d
        WHERE d.org_id = $1 AND d.status = 'open' AND d.deleted_at IS NULL AND d.client_id IS NOT NULL
        GROUP BY d.client_id),
    open_jobs AS (
        SELECT j.client_id, count(*) AS n FROM jobs j
        WHERE j.org_id = $1 AND j.status = 'open' AND j.deleted_at IS NULL AND j.client_id IS NOT NULL
        GROUP BY j.client_id),
    -- Each hired candidate's employer, folded once: fenced, so that the clients are looked up
    -- by index for these few names rather than folded against every joined row (a tenant's
    -- clients are estimated at a row or two when other tenants hold most of the table).
    hired AS MATERIALIZED (
        SELECT DISTINCT ON (p.contact_id, crm_fold(p.current_employer))
               p.contact_id, crm_fold(p.current_employer) AS employer_key,
               btrim(p.current_employer) AS employer, j.title
        FROM job_applications a
        JOIN candidate_profiles p ON p.org_id = a.org_id AND p.id = a.candidate_profile_id
        JOIN jobs j ON j.org_id = a.org_id AND j.id = a.job_id AND j.deleted_at IS NULL
        WHERE a.org_id = $1 AND a.status = 'hired' AND p.deleted_at IS NULL
          AND btrim(coalesce(p.current_employer, '')) <> ''
          AND ($2::uuid IS NULL OR p.contact_id = $2)
        ORDER BY p.contact_id, crm_fold(p.current_employer), a.updated_at DESC),
    insights AS (
        (SELECT DISTINCT ON (x.contact_id, x.client_id)
                'candidate_at_client_with_open_deals'::text AS type, x.contact_id, x.client_id,
                NULL::text AS company, od.n AS count, x.via AS detail
         FROM (SELECT p.contact_id, cl.id AS client_id, 'current_employer' AS via, 2 AS rank
               FROM open_deals d
               JOIN clients cl ON cl.org_id = $1 AND cl.id = d.client_id AND cl.deleted_at IS NULL
               JOIN candidate_profiles p ON p.org_id = $1 AND p.deleted_at IS NULL
                    AND crm_fold(p.current_employer) = crm_fold(cl.name)
               WHERE ($2::uuid IS NULL OR p.contact_id = $2)
               UNION ALL
               SELECT cc.contact_id, cc.client_id, 'client_link', 1
               FROM open_deals d
               JOIN client_contacts cc ON cc.org_id = $1 AND cc.client_id = d.client_id
               WHERE ($2::uuid IS NULL OR cc.contact_id = $2)
                 AND )sql" CRM_LINK_IN_FORCE("cc") R"sql(
                 AND EXISTS (SELECT 1 FROM candidate_profiles p WHERE p.org_id = cc.org_id
                             AND p.contact_id = cc.contact_id AND p.deleted_at IS NULL)) x
         JOIN open_deals od ON od.client_id = x.client_id
         WHERE )sql" CRM_INSIGHT_WANTED("candidate_at_client_with_open_deals") R"sql(
         ORDER BY x.contact_id, x.client_id, x.rank)
        UNION ALL
        (SELECT DISTINCT ON (x.contact_id, x.client_id)
                'buyer_at_client_with_open_jobs', x.contact_id, x.client_id, NULL, oj.n, x.via
         FROM (SELECT s.contact_id, s.client_id, 'sales_profile' AS via, 1 AS rank
               FROM open_jobs j
               JOIN sales_profiles s ON s.org_id = $1 AND s.client_id = j.client_id AND s.deleted_at IS NULL
               WHERE ($2::uuid IS NULL OR s.contact_id = $2)
               UNION ALL
               SELECT cc.contact_id, cc.client_id, 'client_link', 2
               FROM open_jobs j
               JOIN client_contacts cc ON cc.org_id = $1 AND cc.client_id = j.client_id
               WHERE ($2::uuid IS NULL OR cc.contact_id = $2)
                 AND )sql" CRM_LINK_IN_FORCE("cc") R"sql(
                 AND EXISTS (SELECT 1 FROM sales_profiles s WHERE s.org_id = cc.org_id
                             AND s.contact_id = cc.contact_id AND s.deleted_at IS NULL)
               UNION ALL
               SELECT s.contact_id, cl.id, 'company_name', 3
               FROM open_jobs j
               JOIN clients cl ON cl.org_id = $1 AND cl.id = j.client_id AND cl.deleted_at IS NULL
               JOIN sales_profiles s ON s.org_id = $1 AND s.deleted_at IS NULL
                    AND crm_fold(s.company_name) = crm_fold(cl.name)
               WHERE ($2::uuid IS NULL OR s.contact_id = $2)) x
         JOIN open_jobs oj ON oj.client_id = x.client_id
         WHERE )sql" CRM_INSIGHT_WANTED("buyer_at_client_with_open_jobs") R"sql(
         ORDER BY x.contact_id, x.client_id, x.rank)
        UNION ALL
        (SELECT 'placed_candidate_at_non_client', h.contact_id, pc.id, h.employer, NULL::bigint, h.title
         FROM hired h
         LEFT JOIN LATERAL (SELECT pc.id FROM clients pc
                            WHERE pc.org_id = $1 AND pc.deleted_at IS NULL AND pc.status = 'prospect'
                              AND crm_fold(pc.name) = h.employer_key
                            ORDER BY pc.created_at, pc.id LIMIT 1) pc ON true
         WHERE )sql" CRM_INSIGHT_WANTED("placed_candidate_at_non_client") R"sql(
           AND NOT EXISTS (SELECT 1 FROM clients cl WHERE cl.org_id = $1
                           AND cl.deleted_at IS NULL AND cl.status <> 'prospect'
                           AND crm_fold(cl.name) = h.employer_key))
        UNION ALL
        (SELECT 'buyer_is_active_candidate', n.contact_id, s.client_id, s.company_name, n.active, NULL
         FROM (SELECT p.contact_id, count(*) AS active
               FROM candidate_profiles p
               JOIN job_applications a ON a.org_id = p.org_id AND a.candidate_profile_id = p.id
               JOIN jobs j ON j.org_id = a.org_id AND j.id = a.job_id AND j.deleted_at IS NULL
               WHERE p.org_id = $1 AND p.deleted_at IS NULL AND a.status = 'active'
                 AND ($2::uuid IS NULL OR p.contact_id = $2)
               GROUP BY p.contact_id) n
         JOIN LATERAL (SELECT s.client_id, s.company_name FROM sales_profiles s
                       WHERE s.org_id = $1 AND s.contact_id = n.contact_id AND s.deleted_at IS NULL
                       ORDER BY s.is_primary DESC, s.created_at, s.id LIMIT 1) s ON true
         WHERE )sql" CRM_INSIGHT_WANTED("buyer_is_active_candidate") R"sql())
    SELECT * FROM (
        SELECT i.type, i.contact_id, c.first_name, c.last_name, cl.id AS client_id,
               coalesce(cl.name, i.company) AS company, i.count, i.detail,
               coalesce(cl.id::text, 'company:' || crm_fold(coalesce(i.company, ''))) AS subject_key
        FROM insights i
        JOIN contacts c ON c.org_id = $1 AND c.id = i.contact_id AND c.deleted_at IS NULL
        LEFT JOIN clients cl ON cl.org_id = $1 AND cl.id = i.client_id AND cl.deleted_at IS NULL
        WHERE (cl.id IS NOT NULL OR i.type NOT IN ('candidate_at_client_with_open_deals',
                                                   'buyer_at_client_with_open_jobs'))) z
    WHERE ($3::text IS NULL OR z.type = $3)
      AND ($4::text IS NULL OR (z.type, z.contact_id, z.subject_key) > ($4, $5::uuid, $6))
    ORDER BY z.type, z.contact_id, z.subject_key
    LIMIT $7)sql"};

// Merge -------------------------------------------------------------------------------------

// A survivor that has a live primary keeps it: the other's primary is demoted before moving.
#define CRM_DEMOTE_BEFORE_MOVE(table)                                                              \
    "UPDATE " #table " SET is_primary = false WHERE org_id = $1 AND contact_id = $3 AND is_primary" \
    " AND EXISTS (SELECT 1 FROM " #table " x WHERE x.org_id = $1 AND x.contact_id = $2"            \
    " AND x.is_primary AND x.deleted_at IS NULL)"                                                  \
    " RETURNING id"

const db::Statement kMergeDemoteSales{"contacts.merge_demote_sales", CRM_DEMOTE_BEFORE_MOVE(sales_profiles)};
const db::Statement kMergeDemoteCandidate{"contacts.merge_demote_candidate",
                                          CRM_DEMOTE_BEFORE_MOVE(candidate_profiles)};
const db::Statement kMergeMoveSales{"contacts.merge_move_sales",
    "UPDATE sales_profiles SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeMoveCandidate{"contacts.merge_move_candidate",
    "UPDATE candidate_profiles SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeCountApplications{"contacts.merge_count_applications", R"sql(
    SELECT count(*) FROM job_applications a
    JOIN candidate_profiles p ON p.org_id = a.org_id AND p.id = a.candidate_profile_id
    WHERE p.org_id = $1 AND p.contact_id = $2)sql"};

// Links to a client both contacts have: the other's row goes, its data fills the survivor's.
const db::Statement kMergeDropDuplicateLinks{"contacts.merge_drop_duplicate_links", R"sql(
    WITH gone AS (
        DELETE FROM client_contacts o
        WHERE o.org_id = $1 AND o.contact_id = $3
          AND EXISTS (SELECT 1 FROM client_contacts s
                      WHERE s.org_id = $1 AND s.contact_id = $2 AND s.client_id = o.client_id)
        RETURNING o.client_id, o.role, o.title, o.is_primary_contact, o.start_date, o.end_date)
    SELECT coalesce(jsonb_agg(to_jsonb(gone)), '[]'::jsonb)::text FROM gone)sql"};
// The two periods (a missing date is an open end) become one when they overlap or meet, the
// other's role and title filling empty ones, primary if either was. Otherwise one link stays
// as it was (role, title and primary place included): the one in force today, else the later
// one. Spanning the gap would show the person at the client when neither record did; taking
// the other's role or place would give them one they held at another time; and a link in
// force today is what the client's team works with (the other stays in the history).
const db::Statement kMergeFillLinks{"contacts.merge_fill_links", R"sql(
    UPDATE client_contacts s
    SET is_primary_contact = m.is_primary_contact, role = m.role, title = m.title,
        start_date = m.start_date, end_date = m.end_date
    FROM (
        SELECT o.client_id,
               CASE h.kept WHEN 'ours' THEN o.is_primary_contact WHEN 'theirs' THEN g.is_primary_contact
                           ELSE o.is_primary_contact OR g.is_primary_contact END AS is_primary_contact,
               CASE h.kept WHEN 'ours' THEN o.role WHEN 'theirs' THEN g.role
                           ELSE coalesce(o.role, g.role) END AS role,
               CASE h.kept WHEN 'ours' THEN o.title WHEN 'theirs' THEN g.title
                           ELSE coalesce(o.title, g.title) END AS title,
               lower(p.period) AS start_date, upper(p.period) - 1 AS end_date
        FROM client_contacts o
        JOIN jsonb_to_recordset($3::jsonb) AS g(client_id uuid, role text, title text,
                                                is_primary_contact boolean, start_date date,
                                                end_date date) ON g.client_id = o.client_id
        CROSS JOIN LATERAL (SELECT daterange(o.start_date, o.end_date, '[]') AS ours,
                                   daterange(g.start_date, g.end_date, '[]') AS theirs) r
        CROSS JOIN LATERAL (SELECT CASE WHEN r.ours && r.theirs OR r.ours -|- r.theirs THEN 'both'
                                        WHEN r.theirs @> current_date THEN 'theirs'
                                        WHEN r.ours @> current_date THEN 'ours'
                                        WHEN r.ours << r.theirs THEN 'theirs'
                                        ELSE 'ours' END AS kept) h
        CROSS JOIN LATERAL (SELECT CASE h.kept WHEN 'both' THEN r.ours + r.theirs
                                               WHEN 'theirs' THEN r.theirs
                                               ELSE r.ours END AS period) p
        WHERE o.org_id = $1 AND o.contact_id = $2) m
    WHERE s.org_id = $1 AND s.contact_id = $2 AND s.client_id = m.client_id)sql"};
const db::Statement kMergeMoveLinks{"contacts.merge_move_links",
    "UPDATE client_contacts SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeDropDuplicateMembers{"contacts.merge_drop_duplicate_members", R"sql(
    DELETE FROM project_team_members o
    WHERE o.org_id = $1 AND o.contact_id = $3
      AND EXISTS (SELECT 1 FROM project_team_members s
                  WHERE s.org_id = $1 AND s.contact_id = $2 AND s.project_id = o.project_id))sql"};
const db::Statement kMergeMoveMembers{"contacts.merge_move_members",
    "UPDATE project_team_members SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeMoveDeals{"contacts.merge_move_deals",
    "UPDATE deals SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeMoveActivities{"contacts.merge_move_activities",
    "UPDATE sales_activities SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeMoveMessages{"contacts.merge_move_messages",
    "UPDATE communications SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
const db::Statement kMergeMoveHistory{"contacts.merge_move_history",
    "UPDATE contact_profile_audit_log SET contact_id = $2 WHERE org_id = $1 AND contact_id = $3"};
// Contacts merged into the other earlier now point at the survivor: merged_into_id always names
// a contact that is not itself merged (a restore's 409 names it, and it must open).
const db::Statement kMergeRepointMerged{"contacts.merge_repoint_merged",
    "UPDATE contacts SET merged_into_id = $2 WHERE org_id = $1 AND merged_into_id = $3"
    " RETURNING id"};
const db::Statement kMergeMoveAttachments{"contacts.merge_move_attachments",
    "UPDATE attachments SET entity_id = $2 WHERE org_id = $1 AND entity_type = 'contact'"
    " AND entity_id = $3"};
const db::Statement kMergeLastActivity{"contacts.merge_last_activity", R"sql(
    UPDATE contacts s SET last_activity_at = GREATEST(s.last_activity_at, o.last_activity_at)
    FROM contacts o
    WHERE s.org_id = $1 AND s.id = $2 AND o.org_id = $1 AND o.id = $3
      AND o.last_activity_at IS NOT NULL)sql"};

// ---------------------------------------------------------------------------------------------
// Row and JSON readers

// The first column of every row: ids a statement returned.
std::vector<std::string> firstColumn(const pqxx::result& rows) {
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(row[0].as<std::string>());
    }
    return out;
}

std::vector<std::string> stringList(const nlohmann::json& array) {
    std::vector<std::string> out;
    if (array.is_array()) {
        for (const auto& item : array) {
            if (item.is_string()) {
                out.push_back(item.get<std::string>());
            }
        }
    }
    return out;
}

// Most contacts have no secondary e-mails, phones or tags: "[]" needs no parser.
nlohmann::json jsonArray(std::string_view text) {
    if (text == "[]") {
        return nlohmann::json::array();
    }
    return nlohmann::json::parse(text);
}

// The columns of CRM_CONTACT_COLUMNS (and CRM_CONTACT_FLAGS with `with_flags`), in order.
ContactView contactViewFromRow(const pqxx::row& row, bool with_flags) {
    db::RowReader in(row);
    ContactView c;
    c.id = in.textView();
    c.org_id = in.textView();
    c.first_name = in.textView();
    c.last_name = in.optionalView();
    c.email = in.optionalView();
    c.emails = in.json();
    c.phone = in.optionalView();
    c.phones = in.json();
    c.city = in.optionalView();
    c.country = in.optionalView();
    c.linkedin_url = in.optionalView();
    c.owner_id = in.optionalView();
    c.source = in.optionalView();
    c.tags = in.json();
    c.marketing_consent = in.boolean();
    c.consent_updated_at = in.optionalUtcTimestampText();
    c.consent_source = in.optionalView();
    c.lawful_basis = in.optionalView();
    c.do_not_contact = in.boolean();
    c.anonymized_at = in.optionalUtcTimestampText();
    c.retention_until = in.optionalView();
    c.last_activity_at = in.optionalUtcTimestampText();
    c.merged_into_id = in.optionalView();
    c.created_at = in.utcTimestampText();
    c.updated_at = in.utcTimestampText();
    c.created_by = in.optionalView();
    c.version = in.integer();
    c.deleted_at = in.optionalUtcTimestampText();
    if (with_flags) {
        c.has_sales_profile = in.boolean();
        c.has_candidate_profile = in.boolean();
    }
    return c;
}

std::optional<std::string> owned(const std::optional<std::string_view>& text) {
    return text ? std::optional<std::string>(std::in_place, *text) : std::nullopt;
}

std::optional<std::string> owned(const std::optional<db::UtcTimestampText>& timestamp) {
    return timestamp ? std::optional<std::string>(db::utcTimestamp(*timestamp)) : std::nullopt;
}

ContactRecord contactFromRow(const pqxx::row& row, bool with_flags) {
    const auto v = contactViewFromRow(row, with_flags);
    ContactRecord c;
    c.id = v.id;
    c.org_id = v.org_id;
    c.first_name = v.first_name;
    c.last_name = owned(v.last_name);
    c.email = owned(v.email);
    c.emails = jsonArray(v.emails.text);
    c.phone = owned(v.phone);
    c.phones = jsonArray(v.phones.text);
    c.city = owned(v.city);
    c.country = owned(v.country);
    c.linkedin_url = owned(v.linkedin_url);
    c.owner_id = owned(v.owner_id);
    c.source = owned(v.source);
    c.tags = stringList(jsonArray(v.tags.text));
    c.marketing_consent = v.marketing_consent;
    c.consent_updated_at = owned(v.consent_updated_at);
    c.consent_source = owned(v.consent_source);
    c.lawful_basis = owned(v.lawful_basis);
    c.do_not_contact = v.do_not_contact;
    c.anonymized_at = owned(v.anonymized_at);
    c.retention_until = owned(v.retention_until);
    c.last_activity_at = owned(v.last_activity_at);
    c.merged_into_id = owned(v.merged_into_id);
    c.created_at = db::utcTimestamp(v.created_at);
    c.updated_at = db::utcTimestamp(v.updated_at);
    c.created_by = owned(v.created_by);
    c.version = v.version;
    c.deleted_at = owned(v.deleted_at);
    c.has_sales_profile = v.has_sales_profile;
    c.has_candidate_profile = v.has_candidate_profile;
    return c;
}

using Column = db::JsonColumn;

// The columns of CRM_SALES_COLUMNS, as row_to_json names them.
const db::JsonColumnSetters<SalesProfileRecord> kSalesSetters = {
    {"id", [](SalesProfileRecord& s, Column& c) { s.id = std::move(c.text); }},
    {"contact_id", [](SalesProfileRecord& s, Column& c) { s.contact_id = std::move(c.text); }},
    {"client_id", [](SalesProfileRecord& s, Column& c) { s.client_id = c.optionalText(); }},
    {"company_name", [](SalesProfileRecord& s, Column& c) { s.company_name = c.optionalText(); }},
    {"title", [](SalesProfileRecord& s, Column& c) { s.title = c.optionalText(); }},
    {"department", [](SalesProfileRecord& s, Column& c) { s.department = c.optionalText(); }},
    {"decision_role", [](SalesProfileRecord& s, Column& c) { s.decision_role = c.optionalText(); }},
    {"budget", [](SalesProfileRecord& s, Column& c) { s.budget = c.optionalText(); }},
    {"currency", [](SalesProfileRecord& s, Column& c) { s.currency = c.optionalText(); }},
    {"lead_status", [](SalesProfileRecord& s, Column& c) { s.lead_status = c.optionalText().value_or("new"); }},
    {"lead_score", [](SalesProfileRecord& s, Column& c) { s.lead_score = c.optionalInteger(); }},
    {"is_primary", [](SalesProfileRecord& s, Column& c) { s.is_primary = c.flag; }},
    {"notes", [](SalesProfileRecord& s, Column& c) { s.notes = c.optionalText(); }},
    {"created_at", [](SalesProfileRecord& s, Column& c) { s.created_at = c.optionalUtcTimestamp().value_or(""); }},
    {"updated_at", [](SalesProfileRecord& s, Column& c) { s.updated_at = c.optionalUtcTimestamp().value_or(""); }},
    {"created_by", [](SalesProfileRecord& s, Column& c) { s.created_by = c.optionalText(); }},
    {"version", [](SalesProfileRecord& s, Column& c) { s.version = static_cast<int>(c.integer); }},
    {"deleted_at", [](SalesProfileRecord& s, Column& c) { s.deleted_at = c.optionalUtcTimestamp(); }},
};

// The columns of CRM_CANDIDATE_COLUMNS.
const db::JsonColumnSetters<CandidateProfileRecord> kCandidateSetters = {
    {"id", [](CandidateProfileRecord& p, Column& c) { p.id = std::move(c.text); }},
    {"contact_id", [](CandidateProfileRecord& p, Column& c) { p.contact_id = std::move(c.text); }},
    {"headline", [](CandidateProfileRecord& p, Column& c) { p.headline = c.optionalText(); }},
    {"summary", [](CandidateProfileRecord& p, Column& c) { p.summary = c.optionalText(); }},
    {"skills", [](CandidateProfileRecord& p, Column& c) {
         p.skills = c.nested.is_array() ? std::move(c.nested) : nlohmann::json::array();
     }},
    {"skill_names", [](CandidateProfileRecord& p, Column& c) { p.skill_names = stringList(c.nested); }},
    {"years_experience", [](CandidateProfileRecord& p, Column& c) { p.years_experience = c.optionalText(); }},
    {"seniority", [](CandidateProfileRecord& p, Column& c) { p.seniority = c.optionalText(); }},
    {"current_salary", [](CandidateProfileRecord& p, Column& c) { p.current_salary = c.optionalText(); }},
    {"desired_salary_min", [](CandidateProfileRecord& p, Column& c) { p.desired_salary_min = c.optionalText(); }},
    {"desired_salary_max", [](CandidateProfileRecord& p, Column& c) { p.desired_salary_max = c.optionalText(); }},
    {"currency", [](CandidateProfileRecord& p, Column& c) { p.currency = c.optionalText(); }},
    {"desired_locations", [](CandidateProfileRecord& p, Column& c) { p.desired_locations = stringList(c.nested); }},
    {"remote_preference", [](CandidateProfileRecord& p, Column& c) { p.remote_preference = c.optionalText(); }},
    {"available_from", [](CandidateProfileRecord& p, Column& c) { p.available_from = c.optionalText(); }},
    {"notice_period_days", [](CandidateProfileRecord& p, Column& c) { p.notice_period_days = c.optionalInteger(); }},
    {"work_authorization", [](CandidateProfileRecord& p, Column& c) { p.work_authorization = c.optionalText(); }},
    {"current_employer", [](CandidateProfileRecord& p, Column& c) { p.current_employer = c.optionalText(); }},
    {"current_title", [](CandidateProfileRecord& p, Column& c) { p.current_title = c.optionalText(); }},
    {"is_primary", [](CandidateProfileRecord& p, Column& c) { p.is_primary = c.flag; }},
    {"embedded_at", [](CandidateProfileRecord& p, Column& c) { p.embedded_at = c.optionalUtcTimestamp(); }},
    {"created_at", [](CandidateProfileRecord& p, Column& c) { p.created_at = c.optionalUtcTimestamp().value_or(""); }},
    {"updated_at", [](CandidateProfileRecord& p, Column& c) { p.updated_at = c.optionalUtcTimestamp().value_or(""); }},
    {"created_by", [](CandidateProfileRecord& p, Column& c) { p.created_by = c.optionalText(); }},
    {"version", [](CandidateProfileRecord& p, Column& c) { p.version = static_cast<int>(c.integer); }},
    {"deleted_at", [](CandidateProfileRecord& p, Column& c) { p.deleted_at = c.optionalUtcTimestamp(); }},
};

std::vector<SalesProfileRecord> salesProfilesFromJson(std::string_view json) {
    return db::readJsonRecords(json, kSalesSetters);
}

std::vector<CandidateProfileRecord> candidateProfilesFromJson(std::string_view json) {
    return db::readJsonRecords(json, kCandidateSetters);
}

// A single profile (row_to_json of one row).
SalesProfileRecord salesProfileFromJson(std::string_view json) {
    return std::move(salesProfilesFromJson(json).at(0));
}

CandidateProfileRecord candidateProfileFromJson(std::string_view json) {
    return std::move(candidateProfilesFromJson(json).at(0));
}

// Primary first, then oldest first (the order the API lists profiles in).
template <typename Profile>
void sortProfiles(std::vector<Profile>& profiles) {
    std::sort(profiles.begin(), profiles.end(), [](const Profile& a, const Profile& b) {
        if (a.is_primary != b.is_primary) {
            return a.is_primary;
        }
        if (a.created_at != b.created_at) {
            return a.created_at < b.created_at;
        }
        return a.id < b.id;
    });
}

std::string jsonList(const std::vector<std::string>& items) {
    return nlohmann::json(items).dump();
}

// Runs a query built at run time. Cacheable shapes (unfiltered pages: a handful of shapes, each
// prepared once per connection) become named prepared statements, so the common list pages
// skip parsing and planning like the fixed statements do; the others are planned for their
// actual values.
pqxx::result execBuilt(pqxx::transaction_base& tx, const BuiltQuery& query) {
    const auto params = pqxx::prepare::make_dynamic_params(query.params);
    if (query.cacheable && db::preparedStatements()) {
        char name[48];
        std::snprintf(name, sizeof(name), "contacts.dyn_%016zx", std::hash<std::string>{}(query.sql));
        tx.conn().prepare(name, query.sql);
        return tx.exec_prepared(name, params);
    }
    return tx.exec_params(query.sql, params);
}

// Text as searches compare it (crm_fold, migration 0020): without accents, lower case, Greek's
// final sigma as a sigma, so "ΚΑΡΑΓΙΑΝΝΗΣ" and "Καραγιάννης" are one word, and "Jose" finds
// "José". The trigram indexes are on this form.
std::string folded(const std::string& expression) {
    return "crm_fold(" + expression + ")";
}

// A LIKE pattern that finds the text anywhere in a folded column. Folded first, then escaped:
// unaccent() turns a full-width ％ into %, so escaping before folding would let it match
// anything.
std::string foldedAnywhere(const std::string& text) {
    return "'%' || crm_like_literal(crm_fold(" + text + ")) || '%'";
}

// Only unfiltered pages (the hot path) keep a prepared, generic plan. A filter's best plan
// depends on its value: a rare owner or tag is best found through its index, a common one by
// walking the sort index, and a generic plan cannot tell them apart.
bool unfiltered(const ContactFilter& f) {
    return !f.searchesText() && !f.has_sales_profile && !f.has_candidate_profile && !f.owner_id &&
           !f.client_id && !f.tag && !f.skill && !f.location;
}

// How the company half of a text search hands over its contacts: an array of ids, an index
// condition beside the trigram one (for a bitmap scan), or a set tested row by row (for a walk:
// `= ANY` of an array compares each row with every element; a hashed set looks it up once).
enum class CompanyMatches { IdArray, HashedSet };

// The WHERE clause shared by the list and its count; parameters are appended to `query`. `org`
// is the organisation's placeholder, or an expression that reads it.
std::string filterClause(BuiltQuery& query, const std::string& org, const ContactFilter& f,
                         CompanyMatches company_matches = CompanyMatches::IdArray) {
    query.cacheable = unfiltered(f);
    auto param = [&query](std::optional<std::string> value) {
        query.params.push_back(std::move(value));
        return "$" + std::to_string(query.params.size());
    };
    std::string where = "c.org_id = " + org;
    if (!f.include_deleted) {
        where += " AND c.deleted_at IS NULL";
    }
    if (f.search_terms) {
        // Both halves are trigram searches (contacts_search_trgm; sales_profiles_company_trgm,
        // candidate_profiles_employer_trgm and clients_name_trgm) over all tenants' rows,
        // narrowed to this organisation afterwards. The company half finds the contacts whose
        // sales profile names the company, by text or by client, the candidates who work there,
        // and those linked to such a client now (a link that ended, or has not started, is a
        // former or future company, not theirs). It runs first, as an
        // InitPlan, and hands over an array of ids, so both halves of the OR are index
        // conditions on contacts: one bitmap scan reads the matching rows once, where an
        // `IN (... UNION ...)` looked each of them up again by id.
        const auto text = param(f.search_terms);
        const auto company = param(f.company_terms ? f.company_terms : f.search_terms);
        const auto dialled =
            f.dialled_terms ? " OR c.search_text LIKE " + foldedAnywhere(param(f.dialled_terms)) : "";
        const char* company_open = company_matches == CompanyMatches::IdArray ? " OR c.id = ANY (ARRAY(" : " OR c.id IN (";
        const char* company_close = company_matches == CompanyMatches::IdArray ? ")))" : "))";
        where += " AND (c.search_text LIKE " + foldedAnywhere(text) + dialled + company_open +
                 "SELECT sp.contact_id FROM sales_profiles sp WHERE sp.org_id = " + org +
                 " AND sp.deleted_at IS NULL AND " + folded("sp.company_name") + " LIKE " + foldedAnywhere(company) +
                 " UNION ALL SELECT cp.contact_id FROM candidate_profiles cp WHERE cp.org_id = " + org +
                 " AND cp.deleted_at IS NULL AND " + folded("cp.current_employer") + " LIKE " + foldedAnywhere(company) +
                 " UNION ALL SELECT x.contact_id FROM clients cl CROSS JOIN LATERAL ("
                 "SELECT sp.contact_id FROM sales_profiles sp WHERE sp.org_id = cl.org_id"
                 " AND sp.client_id = cl.id AND sp.deleted_at IS NULL"
                 " UNION ALL SELECT cc.contact_id FROM client_contacts cc WHERE cc.org_id = cl.org_id"
                 " AND cc.client_id = cl.id AND " CRM_LINK_IN_FORCE("cc") ") x"
                 " WHERE cl.org_id = " + org + " AND cl.deleted_at IS NULL AND " + folded("cl.name") + " LIKE " +
                 foldedAnywhere(company) + company_close;
    }
    if (f.name_key) {
        // Every contact's names as whole keys (contacts_name_keys_gin, migration 0025).
        where += " AND crm_name_keys(c.first_name, c.last_name) @> ARRAY[crm_fold(" + param(f.name_key) +
                 "::text)]";
    }
    if (f.has_sales_profile) {
        where += *f.has_sales_profile ? " AND c.has_sales_profile" : " AND NOT c.has_sales_profile";
    }
    if (f.has_candidate_profile) {
        where += *f.has_candidate_profile ? " AND c.has_candidate_profile"
                                          : " AND NOT c.has_candidate_profile";
    }
    if (f.owner_id) {
        where += " AND c.owner_id = " + param(f.owner_id) + "::uuid";
    }
    if (f.client_id) {
        // A deleted client's links are hidden, as on the contact's own relationships.
        where += " AND c.id IN (SELECT cc.contact_id FROM client_contacts cc JOIN clients cl"
                 " ON cl.org_id = cc.org_id AND cl.id = cc.client_id AND cl.deleted_at IS NULL"
                 " WHERE cc.org_id = " + org + " AND cc.client_id = " + param(f.client_id) + "::uuid)";
    }
    if (f.tag) {
        where += " AND c.tags @> ARRAY[" + param(f.tag) + "::text]";  // contacts_tags_gin
    }
    if (f.skill) {
        where += " AND c.id IN (SELECT p.contact_id FROM candidate_profiles p WHERE p.org_id = " +
                 org + " AND p.deleted_at IS NULL AND p.skill_names @> ARRAY[" + param(f.skill) +
                 "::text])";  // candidate_profiles_skills_gin
    }
    if (f.location) {
        const auto location = param(f.location);
        where += " AND (" + folded("c.city") + " = " + folded(location) + " OR c.country = upper(" + location + "))";
    }
    return where;
}

std::optional<std::string> keyText(const nlohmann::json& keys, std::size_t index) {
    if (index >= keys.size() || !keys[index].is_string()) {
        return std::nullopt;
    }
    return keys[index].get<std::string>();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Contacts

std::optional<ContactDetail> findContactDetail(pqxx::transaction_base& tx, const std::string& org_id,
                                               const std::string& contact_id) {
    const auto rows = db::exec(tx, kContactDetail, org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    ContactDetail detail;
    detail.contact = contactFromRow(rows[0], false);
    detail.sales_profiles = salesProfilesFromJson(rows[0][28].c_str());
    detail.candidate_profiles = candidateProfilesFromJson(rows[0][29].c_str());
    detail.contact.has_sales_profile = !detail.sales_profiles.empty();
    detail.contact.has_candidate_profile = !detail.candidate_profiles.empty();
    return detail;
}

const std::string& contactDetailSql() {
    return kContactDetail.sql();
}

std::optional<ContactRecord> findContact(pqxx::transaction_base& tx, const std::string& org_id,
                                         const std::string& contact_id) {
    const auto rows = db::exec(tx, kFindContact, org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return contactFromRow(rows[0], true);
}

std::optional<ContactRecord> lockContact(pqxx::transaction_base& tx, const std::string& org_id,
                                         const std::string& contact_id) {
    const auto rows = db::exec(tx, kLockContact, org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return contactFromRow(rows[0], true);
}

void serializeMerges(pqxx::transaction_base& tx, const std::string& org_id) {
    db::exec(tx, kSerializeMerges, org_id);
}

std::vector<ContactRecord> lockContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                        const std::vector<std::string>& contact_ids) {
    std::vector<ContactRecord> out;
    for (const auto& row : db::exec(tx, kLockContacts, org_id, db::uuidArray(contact_ids))) {
        out.push_back(contactFromRow(row, true));
    }
    return out;
}

const std::vector<std::string>& contactSorts() {
    static const std::vector<std::string> sorts{"-created_at", "created_at", "last_name",
                                                "-updated_at"};
    return sorts;
}

std::size_t cursorArity(const std::string& sort) {
    return sort == "last_name" ? 3 : 2;
}

BuiltQuery buildListQuery(const std::string& org_id, const ListRequest& request, ListPlan plan) {
    BuiltQuery query;
    auto param = [&query](std::optional<std::string> value) {
        query.params.push_back(std::move(value));
        return "$" + std::to_string(query.params.size());
    };
    // The page size is written into the SQL, not passed as a parameter: a generic plan with
    // LIMIT $n assumes a tenth of the rows, which on a large organisation costs the plan over
    // jit_above_cost (JIT then takes longer than the query). It is an integer from 2 to 201,
    // validated by parsePageRequest, so it needs no quoting.
    const auto limit = std::to_string(request.limit + 1);
    // Each page size is its own statement text: prepared for the sizes clients use, so a caller
    // walking limit=1..200 cannot leave hundreds of plans on every pooled connection.
    static constexpr std::array kPreparedPageSizes{10, 20, 25, 50, 100, 200};
    const bool prepared = unfiltered(request.filter) && db::preparedStatements() &&
                          std::find(kPreparedPageSizes.begin(), kPreparedPageSizes.end(), request.limit) !=
                              kPreparedPageSizes.end();
    // A prepared page reads its organisation through an InitPlan, which the planner cannot see
    // into. Seeing a large organisation's id, it costs the page far below the generic plan
    // (LIMIT 51 of 100,000 rows against 51 of the average organisation's), so PostgreSQL never
    // settled on the generic plan and planned every page again: as long as the page took to
    // run, for the same index scan. A page planned for each request keeps the id in sight.
    const auto org = param(org_id);
    // The walk tests each row it passes, so it wants the company matches as a hashed set.
    const auto where = filterClause(query, prepared ? "(SELECT " + org + "::uuid)" : org, request.filter,
                                    plan == ListPlan::SortProbe ? CompanyMatches::HashedSet : CompanyMatches::IdArray);
    query.cacheable = prepared;
    // A cursor's values likewise: seeing them, PostgreSQL costs a page by where the cursor
    // stands, and a page deep in a large organisation was planned every time again.
    const auto value = [&](std::optional<std::string> text, const std::string& type) {
        const auto placeholder = param(std::move(text));
        return prepared ? "(SELECT " + placeholder + "::" + type + ")" : placeholder + "::" + type;
    };
    const auto& after = request.after;

    // A page is read from one or more ordered index ranges ("branches"), each cut at `limit`
    // rows, then merged. The sort and its cursor give the ranges; with deleted contacts
    // included, each range is read once among the live contacts (the partial sort indexes of
    // 0002, 0008 and 0022) and once among the deleted (those of 0027), so that neither becomes
    // a scan and sort of the whole organisation. A text search is one bitmap scan either way.
    std::vector<std::string> ranges;
    std::string keys;      // the sort's ORDER BY within a branch
    std::string merged;    // the same order over the merged branches (`page`)
    std::string page_key;  // a column the merge orders by, if the branches must add one
    if (request.sort == "last_name") {
        // (last name, first name, id) as searches compare names (crm_fold: no case, no accents),
        // with NULL last names after all others, as the index contacts_name_sort_idx stores
        // them. The cursor keeps the row's names as stored and is folded here. A row comparison
        // is never true for a NULL last name, so the page after a named row is two index
        // ranges: the names after it, then the unnamed. The unnamed are asked for as
        // crm_fold(last_name) IS NULL (the same rows: crm_fold is strict), which is the index's
        // column; `last_name IS NULL` would read every named contact on the way to them.
        keys = "crm_fold(c.last_name), crm_fold(c.first_name), c.id";
        merged = "crm_fold(page.last_name), crm_fold(page.first_name), page.id";
        if (!after) {
            ranges = {""};
        } else if (const auto last_name = keyText(*after, 0)) {
            const auto k1 = value(last_name, "text");
            const auto k2 = value(keyText(*after, 1), "text");
            const auto k3 = value(keyText(*after, 2), "uuid");
            ranges = {" AND (" + keys + ") > (crm_fold(" + k1 + "), crm_fold(" + k2 + "), " + k3 + ")",
                      " AND crm_fold(c.last_name) IS NULL"};
        } else {
            const auto k2 = value(keyText(*after, 1), "text");
            const auto k3 = value(keyText(*after, 2), "uuid");
            ranges = {" AND crm_fold(c.last_name) IS NULL AND (crm_fold(c.first_name), c.id) > (crm_fold(" + k2 +
                      "), " + k3 + ")"};
        }
    } else {
        // created_at (either way) or updated_at (newest first), keyset on (key, id).
        const bool by_updated = request.sort == "-updated_at";
        const bool descending = request.sort.front() == '-';
        const std::string key = by_updated ? "c.updated_at" : "c.created_at";
        const std::string direction = descending ? " DESC" : "";
        keys = key + direction + ", c.id" + direction;
        merged = "page.page_key" + direction + ", page.id" + direction;
        page_key = ", " + key + " AS page_key";
        ranges = {""};
        if (after) {
            const auto k1 = value(keyText(*after, 0), "timestamptz");
            const auto k2 = value(keyText(*after, 1), "uuid");
            ranges = {" AND (" + key + ", c.id) " + (descending ? "<" : ">") + " (" + k1 + ", " + k2 + ")"};
        }
    }
    const bool searches = request.filter.searchesText();
    const std::vector<std::string> partitions =
        request.filter.include_deleted && !searches
            ? std::vector<std::string>{" AND c.deleted_at IS NULL", " AND c.deleted_at IS NOT NULL"}
            : std::vector<std::string>{""};
    const std::string columns = "SELECT " CRM_CONTACT_COLUMNS ", " CRM_CONTACT_FLAGS;
    const std::string tail = " FROM contacts c WHERE " + where;
    if (plan == ListPlan::FewMatches) {
        // The matches are numbered as they are read, and a match beyond kFewMatches sorts
        // first: it says that there are more. A count over all of them held every row until
        // the last (15 % of PostgreSQL's time for 200 matches); numbering passes them on.
        std::string branches;
        for (const auto& range : ranges) {
            branches += std::string(branches.empty() ? "" : " UNION ALL ") + "(" + columns + page_key +
                        ", row_number() OVER () AS match_number" + tail + range + " LIMIT " +
                        std::to_string(kFewMatches + 1) + ")";
        }
        query.sql = "SELECT * FROM (" + branches + ") page ORDER BY page.match_number > " +
                    std::to_string(kFewMatches) + " DESC, " + merged + " LIMIT " + limit;
        return query;
    }
    if (plan == ListPlan::SortProbe) {
        // The first range only: a last-name page after a named contact is also the unnamed
        // contacts, which come after every named one, so a page filled from the names is exact.
        const auto walked = filterClause(query, org, request.filter.withoutText());
        query.cacheable = false;
        // The folded names leave the walk as columns, so that the page is known to be in their
        // order and stops at its limit: recomputed outside, they were sorted again, all 10,000.
        const bool by_name = request.sort == "last_name";
        const std::string folded_names =
            by_name ? ", crm_fold(c.last_name) AS folded_last_name, crm_fold(c.first_name) AS folded_first_name" : "";
        const std::string probe_keys = by_name ? "c.folded_last_name, c.folded_first_name, c.id" : keys;
        query.sql = columns + " FROM (SELECT c.*" + folded_names + " FROM contacts c WHERE " + walked + ranges[0] +
                    " ORDER BY " + keys + " LIMIT " + std::to_string(kSortProbeRows) + ") c WHERE " + where +
                    " ORDER BY " + probe_keys + " LIMIT " + limit;
        return query;
    }
    if (ranges.size() * partitions.size() == 1) {
        query.sql = columns + tail + partitions[0] + ranges[0] + " ORDER BY " + keys + " LIMIT " + limit;
        return query;
    }
    std::string branches;
    for (const auto& partition : partitions) {
        for (const auto& range : ranges) {
            branches += std::string(branches.empty() ? "" : " UNION ALL ") + "(" + columns + page_key + tail +
                        partition + range + " ORDER BY " + keys + " LIMIT " + limit + ")";
        }
    }
    query.sql = "SELECT * FROM (" + branches + ") page ORDER BY " + merged + " LIMIT " + limit;
    return query;
}

namespace {

// Runs `query` planned as an ordered walk of a sort index (no sort of the organisation's rows),
// then gives the transaction back the planner settings it had (bitmap scans only, as the
// service plans searches). set_config(..., true) is SET LOCAL; the settings before are read in
// the same statement.
pqxx::result execAsIndexWalk(pqxx::transaction_base& tx, const BuiltQuery& query) {
    const auto before = tx.exec1(
        "WITH before AS MATERIALIZED (SELECT current_setting('enable_indexscan') AS indexscan, "
        "current_setting('enable_sort') AS sort) "
        "SELECT indexscan, sort, set_config('enable_indexscan', 'on', true), set_config('enable_sort', 'off', true) "
        "FROM before");
    auto rows = execBuilt(tx, query);
    tx.exec_params("SELECT set_config('enable_indexscan', $1, true), set_config('enable_sort', $2, true)",
                   before[0].as<std::string>(), before[1].as<std::string>());
    return rows;
}

// A page's rows. A text search's best plan depends on how many contacts of this organisation
// match, which PostgreSQL's statistics (not per organisation) cannot tell: a few are best found
// through the trigram indexes and sorted; many (a first name, a mail domain) are best found by
// walking the sort index until a page is full, where collecting and sorting them all took
// 840 ms for a pattern every one of 100,000 contacts matched. So: the matches through the
// trigram indexes, at most kFewMatches; more, and the sort index is walked, at most
// kSortProbeRows; a page still not full (the matches lie far along the sort order), and every
// match is collected after all. The first two are exact when they answer.
pqxx::result pageRows(pqxx::transaction_base& tx, const std::string& org_id, const ListRequest& request) {
    const bool searches = request.filter.searchesText();
    // Deleted contacts lie outside the partial sort indexes a probe would walk.
    if (!searches || request.filter.include_deleted) {
        return execBuilt(tx, buildListQuery(org_id, request));
    }
    auto few = execBuilt(tx, buildListQuery(org_id, request, ListPlan::FewMatches));
    if (few.empty() || few[0][few.columns() - 1].as<long long>() <= kFewMatches) {  // match_number
        return few;
    }
    auto probed = execAsIndexWalk(tx, buildListQuery(org_id, request, ListPlan::SortProbe));
    if (static_cast<int>(probed.size()) > request.limit) {
        return probed;
    }
    return execBuilt(tx, buildListQuery(org_id, request));
}

}  // namespace

ContactPage listContacts(pqxx::transaction_base& tx, const std::string& org_id,
                         const ListRequest& request) {
    ContactPage page;
    page.rows = pageRows(tx, org_id, request);
    page.items.reserve(page.rows.size());
    for (const auto& row : page.rows) {
        if (static_cast<int>(page.items.size()) == request.limit) {
            // The extra row only says that another page exists; the cursor points after the
            // last row shown.
            const auto& last = page.items.back();
            if (request.sort == "last_name") {
                page.next_keys = nlohmann::json::array(
                    {last.last_name ? nlohmann::json(std::string(*last.last_name)) : nlohmann::json(nullptr),
                     std::string(last.first_name), std::string(last.id)});
            } else {
                page.next_keys = nlohmann::json::array(
                    {db::utcTimestamp(request.sort == "-updated_at" ? last.updated_at : last.created_at),
                     std::string(last.id)});
            }
            break;
        }
        page.items.push_back(contactViewFromRow(row, true));
    }
    return page;
}

void planBitmapScansOnly(pqxx::transaction_base& tx) {
    // Constant utility statements, sent together: SET cannot be prepared, and they carry no
    // values.
    tx.exec0("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off");
}

long long countContacts(pqxx::transaction_base& tx, const std::string& org_id,
                        const ContactFilter& filter, int cap) {
    BuiltQuery query;
    query.params.push_back(org_id);
    const auto where = filterClause(query, "$1", filter);
    query.sql = "SELECT count(*) FROM (SELECT 1 FROM contacts c WHERE " + where + " LIMIT " +
                std::to_string(cap + 1) + ") t";  // a constant, like the list's page size
    return execBuilt(tx, query)[0][0].as<long long>();
}

ProfileSet loadProfiles(pqxx::transaction_base& tx, const std::string& org_id,
                        const std::vector<std::string>& contact_ids) {
    ProfileSet set;
    if (contact_ids.empty()) {
        return set;
    }
    for (const auto& row : db::exec(tx, kLoadProfiles, org_id, db::uuidArray(contact_ids))) {
        if (row[0].c_str()[0] == 's') {
            auto profile = salesProfileFromJson(row[1].c_str());
            set.sales[profile.contact_id].push_back(std::move(profile));
        } else {
            auto profile = candidateProfileFromJson(row[1].c_str());
            set.candidates[profile.contact_id].push_back(std::move(profile));
        }
    }
    for (auto& [id, profiles] : set.sales) {
        sortProfiles(profiles);
    }
    for (auto& [id, profiles] : set.candidates) {
        sortProfiles(profiles);
    }
    return set;
}

ContactRecord insertContact(pqxx::transaction_base& tx, const std::string& org_id,
                            const ContactRecord& v, const std::string& created_by,
                            bool consent_given) {
    const auto rows = db::exec(tx, kInsertContact, org_id, v.first_name, v.last_name, v.email,
                               v.emails.dump(), v.phone, v.phones.dump(), v.city, v.country,
                               v.linkedin_url, v.owner_id, v.source, jsonList(v.tags),
                               v.marketing_consent, consent_given, v.consent_source,
                               v.lawful_basis, v.do_not_contact, created_by);
    return contactFromRow(rows.at(0), true);
}

ContactRecord updateContact(pqxx::transaction_base& tx, const std::string& org_id,
                            const ContactRecord& v, bool consent_changed,
                            const std::optional<std::string>& consent_time) {
    const auto rows = db::exec(tx, kUpdateContact, org_id, v.id, v.first_name, v.last_name,
                               v.email, v.emails.dump(), v.phone, v.phones.dump(), v.city,
                               v.country, v.linkedin_url, v.owner_id, v.source, jsonList(v.tags),
                               v.marketing_consent, v.consent_source, v.lawful_basis,
                               v.do_not_contact, consent_changed, consent_time);
    return contactFromRow(rows.at(0), true);
}

ContactRecord setContactDeleted(pqxx::transaction_base& tx, const std::string& org_id,
                                const std::string& contact_id, bool deleted,
                                const std::optional<std::string>& merged_into) {
    const auto rows = db::exec(tx, kSetContactDeleted, org_id, contact_id, deleted, merged_into);
    return contactFromRow(rows.at(0), true);
}

int bumpContactVersion(pqxx::transaction_base& tx, const std::string& org_id,
                       const std::string& contact_id) {
    return db::exec(tx, kBumpContactVersion, org_id, contact_id).at(0).at(0).as<int>();
}

void lockDuplicateKeys(pqxx::transaction_base& tx, const std::string& org_id,
                       const std::vector<std::string>& keys) {
    if (!keys.empty()) {
        db::exec(tx, kLockDuplicateKeys, org_id, jsonList(keys));
    }
}

void lockPrimaryContactPlaces(pqxx::transaction_base& tx, const std::string& org_id,
                              const std::vector<std::string>& client_ids) {
    std::vector<std::string> keys;
    for (const auto& id : client_ids) {
        keys.push_back("primary-contact:" + id);  // beside the e-mail and phone keys, never equal
    }
    lockDuplicateKeys(tx, org_id, keys);
}

std::optional<DuplicateMatch> findDuplicate(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::vector<DuplicateProbe>& probes,
                                            const std::optional<std::string>& exclude_id) {
    for (const auto& probe : probes) {
        const auto rows = db::exec(tx, probe.kind == "email" ? kFindEmailDuplicate : kFindPhoneDuplicate,
                                   org_id, probe.value, exclude_id);
        if (!rows.empty()) {
            return DuplicateMatch{rows[0][0].as<std::string>(), probe.field, probe.value};
        }
    }
    return std::nullopt;
}

std::vector<SimilarContact> findSimilarAtCompany(pqxx::transaction_base& tx,
                                                 const std::string& org_id,
                                                 const std::string& contact_id,
                                                 const std::string& first_name,
                                                 const std::optional<std::string>& last_name,
                                                 const std::optional<std::string>& client_id,
                                                 const std::vector<std::string>& company_names) {
    // Company names are compared exactly but without regard to case or accents: LIKE on the
    // folded forms, every wildcard escaped after folding (crm_like_literal), which the trigram
    // indexes on those forms serve.
    std::optional<std::string> names[kMaxSimilarCompanyNames];
    for (std::size_t i = 0; i < company_names.size() && i < kMaxSimilarCompanyNames; ++i) {
        names[i] = company_names[i];
    }
    std::vector<SimilarContact> out;
    for (const auto& row : db::exec(tx, kFindSimilar, org_id, contact_id, first_name, last_name,
                                    client_id, names[0], names[1], names[2])) {
        out.push_back(SimilarContact{row[0].as<std::string>(), row[1].as<std::string>(),
                                     db::nullable<std::string>(row[2]), row[3].as<std::string>(),
                                     row[4].as<double>()});
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Profiles

std::optional<SalesProfileRecord> lockSalesProfile(pqxx::transaction_base& tx,
                                                   const std::string& org_id,
                                                   const std::string& contact_id,
                                                   const std::string& profile_id) {
    const auto rows = db::exec(tx, kLockSalesProfile, org_id, contact_id, profile_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return salesProfileFromJson(rows[0][0].c_str());
}

std::optional<CandidateProfileRecord> lockCandidateProfile(pqxx::transaction_base& tx,
                                                           const std::string& org_id,
                                                           const std::string& contact_id,
                                                           const std::string& profile_id) {
    const auto rows = db::exec(tx, kLockCandidateProfile, org_id, contact_id, profile_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return candidateProfileFromJson(rows[0][0].c_str());
}

std::optional<ProfileKind> profileKindOf(pqxx::transaction_base& tx, const std::string& org_id,
                                         const std::string& contact_id,
                                         const std::string& profile_id) {
    const auto rows = db::exec(tx, kProfileKindOf, org_id, contact_id, profile_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return std::string(rows[0][0].c_str()) == "sales" ? ProfileKind::Sales : ProfileKind::Candidate;
}

SalesProfileRecord insertSalesProfile(pqxx::transaction_base& tx, const std::string& org_id,
                                      const SalesProfileRecord& v, const std::string& created_by) {
    const auto rows = db::exec(tx, kInsertSalesProfile, org_id, v.contact_id, v.client_id,
                               v.company_name, v.title, v.department, v.decision_role, v.budget,
                               v.currency, v.lead_status, v.lead_score, v.is_primary, v.notes,
                               created_by);
    return salesProfileFromJson(rows.at(0)[0].c_str());
}

CandidateProfileRecord insertCandidateProfile(pqxx::transaction_base& tx,
                                              const std::string& org_id,
                                              const CandidateProfileRecord& v,
                                              const std::string& created_by) {
    const auto rows = db::exec(tx, kInsertCandidateProfile, org_id, v.contact_id, v.headline,
                               v.summary, v.skills.dump(), v.years_experience, v.seniority,
                               v.current_salary, v.desired_salary_min, v.desired_salary_max,
                               v.currency, jsonList(v.desired_locations), v.remote_preference,
                               v.available_from, v.notice_period_days, v.work_authorization,
                               v.current_employer, v.current_title, v.is_primary, created_by);
    return candidateProfileFromJson(rows.at(0)[0].c_str());
}

SalesProfileRecord updateSalesProfile(pqxx::transaction_base& tx, const std::string& org_id,
                                      const SalesProfileRecord& v) {
    const auto rows = db::exec(tx, kUpdateSalesProfile, org_id, v.id, v.client_id, v.company_name,
                               v.title, v.department, v.decision_role, v.budget, v.currency,
                               v.lead_status, v.lead_score, v.is_primary, v.notes);
    return salesProfileFromJson(rows.at(0)[0].c_str());
}

CandidateProfileRecord updateCandidateProfile(pqxx::transaction_base& tx,
                                              const std::string& org_id,
                                              const CandidateProfileRecord& v) {
    const auto rows = db::exec(tx, kUpdateCandidateProfile, org_id, v.id, v.headline, v.summary,
                               v.skills.dump(), v.years_experience, v.seniority,
                               v.current_salary, v.desired_salary_min, v.desired_salary_max,
                               v.currency, jsonList(v.desired_locations), v.remote_preference,
                               v.available_from, v.notice_period_days, v.work_authorization,
                               v.current_employer, v.current_title, v.is_primary);
    return candidateProfileFromJson(rows.at(0)[0].c_str());
}

std::optional<std::string> primaryProfileId(pqxx::transaction_base& tx, ProfileKind kind,
                                            const std::string& org_id,
                                            const std::string& contact_id) {
    const auto rows = db::exec(tx, kind == ProfileKind::Sales ? kPrimaryOfSales : kPrimaryOfCandidate,
                               org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<std::string>();
}

void setProfilePrimary(pqxx::transaction_base& tx, ProfileKind kind, const std::string& org_id,
                       const std::string& profile_id, bool primary) {
    db::exec(tx, kind == ProfileKind::Sales ? kSetPrimarySales : kSetPrimaryCandidate, org_id,
             profile_id, primary);
}

SoftDeleted softDeleteProfile(pqxx::transaction_base& tx, ProfileKind kind,
                              const std::string& org_id, const std::string& profile_id) {
    const auto rows = db::exec(tx, kind == ProfileKind::Sales ? kSoftDeleteSales : kSoftDeleteCandidate,
                               org_id, profile_id);
    return SoftDeleted{db::utcTimestamp(rows.at(0)[0]), rows.at(0)[1].as<int>()};
}

std::optional<DeletedProfile> lockDeletedProfile(pqxx::transaction_base& tx, ProfileKind kind,
                                                 const std::string& org_id,
                                                 const std::string& contact_id,
                                                 const std::string& profile_id) {
    const auto rows = db::exec(tx, kind == ProfileKind::Sales ? kLockDeletedSales : kLockDeletedCandidate,
                               org_id, contact_id, profile_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return DeletedProfile{db::nullable<std::string>(rows[0][0]), rows[0][1].as<int>(),
                          db::utcTimestamp(rows[0][2])};
}

void restoreProfile(pqxx::transaction_base& tx, ProfileKind kind, const std::string& org_id,
                    const std::string& profile_id, bool primary) {
    db::exec(tx, kind == ProfileKind::Sales ? kRestoreSales : kRestoreCandidate, org_id, profile_id, primary);
}

std::optional<std::string> oldestLiveProfile(pqxx::transaction_base& tx, ProfileKind kind,
                                             const std::string& org_id,
                                             const std::string& contact_id) {
    const auto rows = db::exec(tx, kind == ProfileKind::Sales ? kOldestSales : kOldestCandidate,
                               org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<std::string>();
}

std::optional<std::string> profileCreator(pqxx::transaction_base& tx, ProfileKind kind,
                                          const std::string& org_id,
                                          const std::string& profile_id) {
    const auto rows = db::exec(tx, kind == ProfileKind::Sales ? kCreatorSales : kCreatorCandidate,
                               org_id, profile_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return db::nullable<std::string>(rows[0][0]);
}

std::optional<std::string> liveClientName(pqxx::transaction_base& tx, const std::string& org_id,
                                          const std::string& client_id) {
    const auto rows = db::exec(tx, kLiveClientName, org_id, client_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<std::string>();
}

// ---------------------------------------------------------------------------------------------
// Client relationships

std::vector<RelationshipRecord> listRelationships(pqxx::transaction_base& tx,
                                                  const std::string& org_id,
                                                  const std::string& contact_id,
                                                  LinkedClients clients) {
    std::vector<RelationshipRecord> out;
    const auto& statement =
        clients == LinkedClients::Live ? kListRelationships : kListRelationshipsToDeleted;
    for (const auto& row : db::exec(tx, statement, org_id, contact_id)) {
        RelationshipRecord r;
        r.id = row[0].as<std::string>();
        r.client_id = row[1].as<std::string>();
        r.client_name = row[2].as<std::string>();
        r.role = db::nullable<std::string>(row[3]);
        r.title = db::nullable<std::string>(row[4]);
        r.is_primary_contact = row[5].as<bool>();
        r.start_date = db::nullable<std::string>(row[6]);
        r.end_date = db::nullable<std::string>(row[7]);
        r.created_at = db::utcTimestamp(row[8]);
        r.updated_at = db::utcTimestamp(row[9]);
        r.version = row[10].as<int>();
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<std::string> releasePrimaryContact(pqxx::transaction_base& tx, const std::string& org_id,
                                               const std::string& contact_id) {
    return firstColumn(db::exec(tx, kReleasePrimaryContact, org_id, contact_id));
}

std::vector<std::string> lockClientsOfLinks(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::vector<std::string>& contact_ids,
                                            const std::vector<std::string>& client_ids) {
    std::vector<std::string> live;
    for (const auto& row : db::exec(tx, kLockClientsOfLinks, org_id, db::uuidArray(contact_ids), db::uuidArray(client_ids))) {
        auto id = row[0].as<std::string>();
        if (row[1].as<bool>() && std::find(client_ids.begin(), client_ids.end(), id) != client_ids.end()) {
            live.push_back(std::move(id));
        }
    }
    return live;
}

std::map<std::string, PrimaryPlaceHolder> primaryContactsOf(pqxx::transaction_base& tx,
                                                            const std::string& org_id,
                                                            const std::vector<std::string>& client_ids,
                                                            const std::string& except_contact_id) {
    std::map<std::string, PrimaryPlaceHolder> out;
    if (client_ids.empty()) {
        return out;
    }
    for (const auto& row :
         db::exec(tx, kPrimaryContactsOf, org_id, db::uuidArray(client_ids), except_contact_id)) {
        out[row[0].as<std::string>()] = PrimaryPlaceHolder{row[1].as<std::string>(), row[2].as<bool>()};
    }
    return out;
}

bool releaseEndedPrimaryPlaces(pqxx::transaction_base& tx, const std::string& org_id,
                               const std::string& contact_id, const std::vector<std::string>& client_ids) {
    return db::exec(tx, kReleaseEndedPrimaryPlaces, org_id, contact_id, db::uuidArray(client_ids))
               .affected_rows() > 0;
}

void replaceRelationships(pqxx::transaction_base& tx, const std::string& org_id,
                          const std::string& contact_id,
                          const std::vector<RelationshipValues>& links,
                          const std::string& actor_id) {
    std::vector<std::string> keep;
    auto rows = nlohmann::json::array();
    for (const auto& link : links) {
        keep.push_back(link.client_id);
        auto optional = [](const std::optional<std::string>& value) {
            return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
        };
        rows.push_back({{"client_id", link.client_id},
                        {"role", optional(link.role)},
                        {"title", optional(link.title)},
                        {"is_primary_contact", link.is_primary_contact},
                        {"start_date", optional(link.start_date)},
                        {"end_date", optional(link.end_date)}});
    }
    db::exec(tx, kDeleteRelationshipsExcept, org_id, contact_id, db::uuidArray(keep));
    if (links.empty()) {
        return;
    }
    // A violation aborts the caller's transaction; the AppError that replaces it rolls it back.
    try {
        db::exec(tx, kUpsertRelationships, org_id, contact_id, rows.dump(), actor_id);
    } catch (const pqxx::unique_violation&) {
        throw core::AppError(core::ErrorCode::Conflict,
                             "Another contact became a client's primary contact meanwhile; reload");
    }
}

// ---------------------------------------------------------------------------------------------
// Field history

void insertHistory(pqxx::transaction_base& tx, const std::string& org_id,
                   const std::string& contact_id, const std::vector<HistoryChange>& changes,
                   const std::string& actor_id, const std::string& request_id) {
    if (changes.empty()) {
        return;
    }
    auto rows = nlohmann::json::array();
    for (const auto& change : changes) {
        rows.push_back({{"profile_type", change.profile_type},
                        {"profile_id", change.profile_id ? nlohmann::json(*change.profile_id)
                                                         : nlohmann::json(nullptr)},
                        {"field", change.field},
                        {"old_value", change.old_value},
                        {"new_value", change.new_value}});
    }
    db::exec(tx, kInsertHistory, org_id, contact_id, actor_id,
             request_id.empty() ? std::nullopt : std::optional<std::string>(request_id),
             rows.dump());
}

HistoryPage listHistory(pqxx::transaction_base& tx, const std::string& org_id,
                        const std::string& contact_id,
                        const std::optional<std::string>& profile_type, int limit,
                        const std::optional<nlohmann::json>& after) {
    std::optional<std::string> after_time;
    std::optional<std::string> after_id;
    if (after) {
        after_time = keyText(*after, 0);
        after_id = keyText(*after, 1);
    }
    const auto rows = db::exec(tx, kListHistory, org_id, contact_id, profile_type, after_time,
                               after_id, limit + 1);
    HistoryPage page;
    for (const auto& row : rows) {
        if (static_cast<int>(page.items.size()) == limit) {
            page.next_keys = nlohmann::json::array({page.items.back().changed_at, page.items.back().id});
            break;
        }
        HistoryRecord h;
        h.id = row[0].as<std::string>();
        h.profile_type = row[1].as<std::string>();
        h.profile_id = db::nullable<std::string>(row[2]);
        h.field = row[3].as<std::string>();
        h.old_value = row[4].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(row[4].c_str());
        h.new_value = row[5].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(row[5].c_str());
        h.changed_by = db::nullable<std::string>(row[6]);
        h.changed_by_name = db::nullable<std::string>(row[7]);
        h.changed_at = db::utcTimestamp(row[8]);
        h.request_id = db::nullable<std::string>(row[9]);
        page.items.push_back(std::move(h));
    }
    return page;
}

long long countHistory(pqxx::transaction_base& tx, const std::string& org_id,
                       const std::string& contact_id,
                       const std::optional<std::string>& profile_type, int cap) {
    return db::exec(tx, kCountHistory, org_id, contact_id, profile_type, cap + 1)[0][0].as<long long>();
}

// ---------------------------------------------------------------------------------------------
// Summary and insights

std::optional<SummaryFacts> findSummaryFacts(pqxx::transaction_base& tx, const std::string& org_id,
                                             const std::string& contact_id) {
    const auto rows = db::exec(tx, kSummaryFacts, org_id, contact_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    SummaryFacts f;
    f.has_sales_profile = row[0].as<bool>();
    f.has_candidate_profile = row[1].as<bool>();
    f.is_dual = row[2].as<bool>();
    f.sales_profile_count = row[3].as<int>();
    f.candidate_profile_count = row[4].as<int>();
    f.primary_sales_profile_id = db::nullable<std::string>(row[5]);
    f.primary_candidate_profile_id = db::nullable<std::string>(row[6]);
    f.application_count = row[7].as<int>();
    f.active_application_count = row[8].as<int>();
    f.deal_count = row[9].as<int>();
    f.open_deal_count = row[10].as<int>();
    f.message_count = row[11].as<int>();
    f.last_activity_at = db::nullableUtcTimestamp(row[12]);
    return f;
}

const std::string& insightsSql() {
    return kListInsights.sql();
}

InsightPage listInsights(pqxx::transaction_base& tx, const std::string& org_id,
                         const InsightQuery& query) {
    std::optional<std::string> k1;
    std::optional<std::string> k2;
    std::optional<std::string> k3;
    if (query.after) {
        k1 = keyText(*query.after, 0);
        k2 = keyText(*query.after, 1);
        k3 = keyText(*query.after, 2);
    }
    // A custom plan per call: $2 (one contact or all) changes the best plan completely.
    const auto rows = tx.exec_params(kListInsights.sql(), org_id, query.contact_id, query.type, k1,
                                     k2, k3, query.limit + 1);
    InsightPage page;
    for (const auto& row : rows) {
        if (static_cast<int>(page.items.size()) == query.limit) {
            const auto& last = page.items.back();
            page.next_keys = nlohmann::json::array({last.type, last.contact_id, last.subject_key});
            break;
        }
        InsightRow i;
        i.type = row[0].as<std::string>();
        i.contact_id = row[1].as<std::string>();
        i.first_name = row[2].as<std::string>();
        i.last_name = db::nullable<std::string>(row[3]);
        i.client_id = db::nullable<std::string>(row[4]);
        i.company = db::nullable<std::string>(row[5]);
        i.count = db::nullable<long long>(row[6]);
        i.detail = db::nullable<std::string>(row[7]);
        i.subject_key = row[8].as<std::string>();
        page.items.push_back(std::move(i));
    }
    return page;
}

// ---------------------------------------------------------------------------------------------
// Merge

MergeCounts moveContactData(pqxx::transaction_base& tx, const std::string& org_id,
                            const std::string& survivor_id, const std::string& other_id) {
    MergeCounts counts;
    const auto run = [&](const db::Statement& statement) {
        return static_cast<long long>(db::exec(tx, statement, org_id, survivor_id, other_id).affected_rows());
    };
    counts.applications =
        db::exec(tx, kMergeCountApplications, org_id, other_id)[0][0].as<long long>();
    // Demote first, then move: the one-primary indexes are checked row by row.
    counts.demoted_sales_profiles = firstColumn(db::exec(tx, kMergeDemoteSales, org_id, survivor_id, other_id));
    counts.sales_profiles = run(kMergeMoveSales);
    counts.demoted_candidate_profiles =
        firstColumn(db::exec(tx, kMergeDemoteCandidate, org_id, survivor_id, other_id));
    counts.candidate_profiles = run(kMergeMoveCandidate);

    const auto dropped = db::exec(tx, kMergeDropDuplicateLinks, org_id, survivor_id, other_id);
    const std::string gone = dropped[0][0].c_str();
    const auto merged_links = static_cast<long long>(nlohmann::json::parse(gone).size());
    if (merged_links > 0) {
        db::exec(tx, kMergeFillLinks, org_id, survivor_id, gone);
    }
    counts.client_relationships = merged_links + run(kMergeMoveLinks);

    counts.project_memberships = run(kMergeDropDuplicateMembers);
    counts.project_memberships += run(kMergeMoveMembers);
    counts.deals = run(kMergeMoveDeals);
    counts.activities = run(kMergeMoveActivities);
    counts.messages = run(kMergeMoveMessages);
    counts.history = run(kMergeMoveHistory);
    counts.attachments = run(kMergeMoveAttachments);
    counts.repointed = firstColumn(db::exec(tx, kMergeRepointMerged, org_id, survivor_id, other_id));
    return counts;
}

void mergeLastActivity(pqxx::transaction_base& tx, const std::string& org_id,
                       const std::string& survivor_id, const std::string& other_id) {
    db::exec(tx, kMergeLastActivity, org_id, survivor_id, other_id);
}

}  // namespace crm::contacts::repo
