#include "clients/repository.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/validation.hpp"
#include "db/row_reader.hpp"
#include "db/sql_fragments.hpp"
#include "db/statement.hpp"

#include <algorithm>
#include <regex>

namespace crm::clients::repo {
namespace {

// Columns every client query returns, in the order clientFromRow() reads them (22 of them).
#define CRM_CLIENT_COLUMNS                                                                      \
    "c.id, c.name, c.domain, c.website, c.industry, c.size, c.address_line1, c.address_line2, " \
    "c.city, c.region, c.postal_code, c.country, c.phone, c.status, "                           \
    "array_to_json(c.tags)::text, c.notes, c.owner_id, c.created_by, "                          \
    "c.created_at AT TIME ZONE 'UTC', c.updated_at AT TIME ZONE 'UTC', "                        \
    "c.deleted_at AT TIME ZONE 'UTC', c.version"

constexpr int kClientColumnCount = 22;

ClientRecord clientFromRow(const pqxx::row& row) {
    db::RowReader in(row);
    ClientRecord client;
    client.id = in.text();
    auto& f = client.fields;
    f.name = in.text();
    f.domain = in.optionalText();
    f.website = in.optionalText();
    f.industry = in.optionalText();
    f.size = in.optionalText();
    f.address_line1 = in.optionalText();
    f.address_line2 = in.optionalText();
    f.city = in.optionalText();
    f.region = in.optionalText();
    f.postal_code = in.optionalText();
    f.country = in.optionalText();
    f.phone = in.optionalText();
    f.status = in.text();
    f.tags = nlohmann::json::parse(in.view()).get<std::vector<std::string>>();
    f.notes = in.optionalText();
    f.owner_id = in.optionalText();
    client.created_by = in.optionalText();
    client.created_at = in.utcTimestamp();
    client.updated_at = in.utcTimestamp();
    client.deleted_at = in.optionalUtcTimestamp();
    client.version = in.integer();
    return client;
}

/// A PostgreSQL array literal of text ({"a","b \"c\""}), passed as one `$n::text[]` parameter
/// so that any tag text travels as data, never as SQL.
std::string textArray(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "\"" : ",\"";
        for (const char c : items[i]) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
            }
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

// A client's contacts are those linked to it today, as the contacts' search and insights read
// a company: a link that ended or has not begun is listed (with its dates), not counted.
const db::Statement kFindClientWithCounts{"clients.find_with_counts", R"sql(
    SELECT )sql" CRM_CLIENT_COLUMNS R"sql(, cc.n, oj.n, od.n, pj.n
    FROM clients c
    LEFT JOIN LATERAL (
        SELECT count(*) AS n
        FROM client_contacts l
        JOIN contacts p ON p.org_id = l.org_id AND p.id = l.contact_id
        WHERE l.org_id = c.org_id AND l.client_id = c.id AND p.deleted_at IS NULL
          AND )sql" CRM_LINK_IN_FORCE("l") R"sql(
    ) cc ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM jobs j
        WHERE j.org_id = c.org_id AND j.client_id = c.id AND j.status = 'open'
          AND j.deleted_at IS NULL
    ) oj ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM deals d
        WHERE d.org_id = c.org_id AND d.client_id = c.id AND d.status = 'open'
          AND d.deleted_at IS NULL
    ) od ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM projects p
        WHERE p.org_id = c.org_id AND p.client_id = c.id AND p.deleted_at IS NULL
    ) pj ON true
    WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL)sql"};

const db::Statement kClientExists{"clients.exists", R"sql(
    SELECT 1 FROM clients WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL)sql"};

// The live contacts linked to a client, locked in id order: before the client, as a links PUT
// and a merge lock a contact and then its clients. The ids are gathered first and looked up as
// one array: an IN (...) OR ANY(...) made every plan read all the organisation's contacts and
// filter them (125 ms a delete on 60,000).
const db::Statement kLockLinkedContacts{"clients.lock_linked_contacts", R"sql(
    SELECT p.id FROM contacts p
    WHERE p.org_id = $1 AND p.deleted_at IS NULL
      AND p.id = ANY(ARRAY(SELECT l.contact_id FROM client_contacts l WHERE l.org_id = $1 AND l.client_id = $2)
                     || $3::uuid[])
    ORDER BY p.id FOR NO KEY UPDATE)sql"};

// The same contacts, read again once the client is locked: the ones whose links change.
const db::Statement kLinkedContacts{"clients.linked_contacts", R"sql(
    SELECT p.id FROM contacts p
    WHERE p.org_id = $1 AND p.deleted_at IS NULL
      AND p.id IN (SELECT l.contact_id FROM client_contacts l WHERE l.org_id = $1 AND l.client_id = $2))sql"};

// The links a contact shows: those to live clients, as GET …/client-relationships lists them and
// its history records them (contacts::relationshipSetJson). $3's links show when `visible`.
#define CRM_SHOWN_LINKS(visible)                                                                    \
    "(SELECT coalesce(jsonb_agg(jsonb_build_object('client_id', cc.client_id, 'role', cc.role,"     \
    " 'title', cc.title, 'is_primary_contact', cc.is_primary_contact, 'start_date', cc.start_date," \
    " 'end_date', cc.end_date) ORDER BY cl.name, cc.client_id), '[]'::jsonb)"                       \
    " FROM client_contacts cc JOIN clients cl ON cl.org_id = cc.org_id AND cl.id = cc.client_id"    \
    " WHERE cc.org_id = $1 AND cc.contact_id = r.id"                                                \
    " AND CASE WHEN cc.client_id = $3 THEN " visible " ELSE cl.deleted_at IS NULL END)"

// The client's delete or restore ($4: whether its links showed before) changed the links its
// contacts ($2) show: each gets a new version and a history row of its links before and after.
const db::Statement kRenewLinkedContacts{"clients.renew_linked_contacts",
    "WITH r AS (UPDATE contacts SET version = version + 1"
    " WHERE org_id = $1 AND id = ANY($2::uuid[]) RETURNING id)"
    " INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field, old_value,"
    " new_value, changed_by, request_id, changed_at)"
    " SELECT $1, r.id, 'contact', 'client_relationships', " CRM_SHOWN_LINKS("$4::boolean") ", "
    CRM_SHOWN_LINKS("NOT $4::boolean") ", $5, $6, clock_timestamp() FROM r"};
#undef CRM_SHOWN_LINKS

// NO KEY UPDATE, as for every row other tables point at: a plain FOR UPDATE would also wait
// for (and deadlock with) the foreign-key checks of links and profiles written meanwhile.
const db::Statement kLockClient{"clients.lock", R"sql(
    SELECT )sql" CRM_CLIENT_COLUMNS R"sql( FROM clients c
    WHERE c.org_id = $1 AND c.id = $2 FOR NO KEY UPDATE)sql"};

const db::Statement kInsertClient{"clients.insert", R"sql(
    WITH inserted AS (
        INSERT INTO clients (org_id, name, domain, website, industry, size, address_line1,
                             address_line2, city, region, postal_code, country, phone, status,
                             tags, notes, owner_id, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text[], $16,
                $17::uuid, $18::uuid)
        RETURNING *)
    SELECT )sql" CRM_CLIENT_COLUMNS R"sql( FROM inserted c)sql"};

const db::Statement kUpdateClient{"clients.update", R"sql(
    WITH updated AS (
        UPDATE clients
        SET name = $3, domain = $4, website = $5, industry = $6, size = $7, address_line1 = $8,
            address_line2 = $9, city = $10, region = $11, postal_code = $12, country = $13,
            phone = $14, status = $15, tags = $16::text[], notes = $17, owner_id = $18::uuid
        WHERE org_id = $1 AND id = $2
        RETURNING *)
    SELECT )sql" CRM_CLIENT_COLUMNS R"sql( FROM updated c)sql"};

const db::Statement kSetDeleted{"clients.set_deleted", R"sql(
    WITH updated AS (
        UPDATE clients SET deleted_at = CASE WHEN $3::boolean THEN clock_timestamp() END
        WHERE org_id = $1 AND id = $2
        RETURNING *)
    SELECT )sql" CRM_CLIENT_COLUMNS R"sql( FROM updated c)sql"};

// Served by clients_domain_idx (org_id, domain).
const db::Statement kFindLiveClientWithDomain{"clients.find_live_with_domain", R"sql(
    SELECT id FROM clients
    WHERE org_id = $1 AND domain = $2 AND deleted_at IS NULL
      AND ($3::uuid IS NULL OR id <> $3::uuid)
    ORDER BY created_at, id
    LIMIT 1)sql"};

// clients_name_sort_idx holds the folded names of live clients.
const db::Statement kFindLiveClientNamed{"clients.find_live_named", R"sql(
    SELECT id, name FROM clients
    WHERE org_id = $1 AND crm_fold(name) = crm_fold($2::text) AND deleted_at IS NULL
      AND ($3::uuid IS NULL OR id <> $3::uuid)
    ORDER BY created_at, id
    LIMIT 1)sql"};

// Sub-lists: newest first, keyset on (created_at, id); per-client sets are small and each is
// found through its (org_id, client_id) index.
const db::Statement kListClientContacts{"clients.list_contacts", R"sql(
    SELECT l.id, l.role, l.title, l.is_primary_contact, l.start_date::text, l.end_date::text,
           l.created_at AT TIME ZONE 'UTC', p.id, p.first_name, p.last_name, p.email, p.phone,
           p.city, p.country, p.owner_id, l.created_at::text
    FROM client_contacts l
    JOIN contacts p ON p.org_id = l.org_id AND p.id = l.contact_id
    WHERE l.org_id = $1 AND l.client_id = $2 AND p.deleted_at IS NULL
      AND ($3::timestamptz IS NULL OR (l.created_at, l.id) < ($3::timestamptz, $4::uuid))
    ORDER BY l.created_at DESC, l.id DESC
    LIMIT $5)sql"};

const db::Statement kListClientJobs{"clients.list_jobs", R"sql(
    SELECT j.id, j.title, j.status, j.seniority, j.location, j.remote, j.employment_type,
           j.openings, j.salary_min::text, j.salary_max::text, j.currency, j.owner_id,
           j.opened_at AT TIME ZONE 'UTC', j.closes_at AT TIME ZONE 'UTC',
           j.created_at AT TIME ZONE 'UTC', j.updated_at AT TIME ZONE 'UTC', j.version,
           j.created_at::text
    FROM jobs j
    WHERE j.org_id = $1 AND j.client_id = $2 AND j.deleted_at IS NULL
      AND ($3::text IS NULL OR j.status = $3)
      AND ($4::timestamptz IS NULL OR (j.created_at, j.id) < ($4::timestamptz, $5::uuid))
    ORDER BY j.created_at DESC, j.id DESC
    LIMIT $6)sql"};

const db::Statement kListClientProjects{"clients.list_projects", R"sql(
    SELECT p.id, p.name, p.status, p.deal_id, p.budget::text, p.currency, p.start_date::text,
           p.end_date::text, p.owner_id, p.created_at AT TIME ZONE 'UTC',
           p.updated_at AT TIME ZONE 'UTC', p.version, p.created_at::text
    FROM projects p
    WHERE p.org_id = $1 AND p.client_id = $2 AND p.deleted_at IS NULL
      AND ($3::text IS NULL OR p.status = $3)
      AND ($4::timestamptz IS NULL OR (p.created_at, p.id) < ($4::timestamptz, $5::uuid))
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT $6)sql"};

// Served by audit_log_entity_idx (org_id, entity_type, entity_id, created_at DESC).
const db::Statement kListClientHistory{"clients.list_history", R"sql(
    SELECT a.id, a.action, a.actor_id, u.name, a.created_at AT TIME ZONE 'UTC', a.changes::text,
           a.created_at::text
    FROM audit_log a
    LEFT JOIN users u ON u.org_id = a.org_id AND u.id = a.actor_id
    WHERE a.org_id = $1 AND a.entity_type = 'client' AND a.entity_id = $2
      AND ($3::timestamptz IS NULL OR (a.created_at, a.id) < ($3::timestamptz, $4::uuid))
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT $5)sql"};

// Every number of the summary in one round trip; each LATERAL is answered from the
// (org_id, client_id) index of its table.
const db::Statement kSummaryFacts{"clients.summary_facts", R"sql(
    SELECT c.id, c.name, c.industry, c.size, c.status, c.owner_id, u.name,
           cc.n, cc.primary_id, cc.primary_name, oj.n, od.n, dv.totals::text, pj.n,
           la.last_at AT TIME ZONE 'UTC',
           (now() AT TIME ZONE 'UTC')::date - (la.last_at AT TIME ZONE 'UTC')::date
    FROM clients c
    LEFT JOIN users u ON u.org_id = c.org_id AND u.id = c.owner_id
    LEFT JOIN LATERAL (
        SELECT count(*) AS n,
               (array_agg(p.id ORDER BY l.created_at) FILTER (WHERE l.is_primary_contact))[1]
                   AS primary_id,
               (array_agg(btrim(p.first_name || ' ' || coalesce(p.last_name, ''))
                          ORDER BY l.created_at)
                   FILTER (WHERE l.is_primary_contact))[1] AS primary_name
        FROM client_contacts l
        JOIN contacts p ON p.org_id = l.org_id AND p.id = l.contact_id
        WHERE l.org_id = c.org_id AND l.client_id = c.id AND p.deleted_at IS NULL
          AND )sql" CRM_LINK_IN_FORCE("l") R"sql(
    ) cc ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM jobs j
        WHERE j.org_id = c.org_id AND j.client_id = c.id AND j.status = 'open'
          AND j.deleted_at IS NULL
    ) oj ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM deals d
        WHERE d.org_id = c.org_id AND d.client_id = c.id AND d.status = 'open'
          AND d.deleted_at IS NULL
    ) od ON true
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_array(s.currency, s.total::text) ORDER BY s.currency) AS totals
        FROM (
            SELECT d.currency, sum(d.value) AS total FROM deals d
            WHERE d.org_id = c.org_id AND d.client_id = c.id AND d.status = 'open'
              AND d.deleted_at IS NULL AND d.value IS NOT NULL
            GROUP BY d.currency
        ) s
    ) dv ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM projects p
        WHERE p.org_id = c.org_id AND p.client_id = c.id AND p.deleted_at IS NULL
    ) pj ON true
    LEFT JOIN LATERAL (
        SELECT max(GREATEST(a.created_at, a.completed_at)) AS last_at
        FROM sales_activities a
        WHERE a.org_id = c.org_id AND a.deleted_at IS NULL
          AND (a.client_id = c.id
               OR a.deal_id IN (SELECT d.id FROM deals d
                                WHERE d.org_id = c.org_id AND d.client_id = c.id AND d.deleted_at IS NULL)
               OR a.project_id IN (SELECT p.id FROM projects p
                                   WHERE p.org_id = c.org_id AND p.client_id = c.id AND p.deleted_at IS NULL))
    ) la ON true
    WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL)sql"};

// ------------------------------------------------------------------------------------------
// Keyset cursors

/// A sortable column of the client list: public name → SQL (never taken from the request).
struct SortColumn {
    const char* key;       // the ORDER BY expression
    const char* key_text;  // the same as text, for the cursor
    const char* cast;      // how a cursor's text is compared with the key
    bool is_time;
};

SortColumn sortColumn(const std::string& name) {
    if (name == "name") {
        // As searches compare names (no case, no accents: "acme" beside "Acme", "Élan" among
        // the e's), the form clients_name_sort_idx holds; the cursor keeps the folded key.
        return {"crm_fold(c.name)", "crm_fold(c.name)", "::text", false};
    }
    if (name == "updated_at") {
        return {"c.updated_at", "c.updated_at::text", "::timestamptz", true};
    }
    return {"c.created_at", "c.created_at::text", "::timestamptz", true};
}

core::AppError badCursor() {
    return core::AppError::invalidField("cursor", "is not a cursor this list handed out");
}

/// PostgreSQL's text form of a timestamptz ("2026-03-31 09:30:00.123456+00").
bool isTimestampText(const std::string& text) {
    static const std::regex kShape(
        R"(^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$)");
    return std::regex_match(text, kShape);
}

struct CursorKeys {
    std::optional<std::string> key;
    std::optional<std::string> id;
};

/// The (key, id) a cursor carries, checked so that it can only ever be compared, never fail
/// a cast in SQL: a malformed cursor is a 422 naming `cursor`.
CursorKeys cursorKeys(const core::PageRequest& page, bool key_is_time) {
    if (!page.after) {
        return {};
    }
    const auto& keys = *page.after;
    if (keys.size() != 2 || !keys[0].is_string() || !keys[1].is_string()) {
        throw badCursor();
    }
    auto key = keys[0].get<std::string>();
    auto id = keys[1].get<std::string>();
    if (!core::isUuid(id) || !core::isStorableText(key) ||
        (key_is_time && !isTimestampText(key))) {
        throw badCursor();
    }
    return {std::move(key), std::move(id)};
}

template <typename T, typename Read>
Page<T> readPage(const pqxx::result& rows, int limit, int key_column, int id_column, Read read) {
    Page<T> page;
    for (const auto& row : rows) {
        if (static_cast<int>(page.items.size()) == limit) {
            // The extra row only says that another page exists; the cursor points after the
            // last row shown, in the database's own text form of the sort key.
            const auto& last = rows[static_cast<pqxx::result::size_type>(limit - 1)];
            page.next_keys = nlohmann::json::array(
                {last[key_column].as<std::string>(), last[id_column].as<std::string>()});
            break;
        }
        page.items.push_back(read(row));
    }
    return page;
}

/// Runs a list statement; a cursor whose time PostgreSQL still refuses (a month 13 passes the
/// shape check) is the caller's error, not ours.
template <typename... Args>
pqxx::result execList(pqxx::transaction_base& tx, const db::Statement& statement, Args&&... args) {
    try {
        return db::exec(tx, statement, std::forward<Args>(args)...);
    } catch (const pqxx::data_exception&) {
        throw badCursor();
    }
}

// ------------------------------------------------------------------------------------------
// The client list: only the filters present become SQL, so every plan is the plain one for
// its filters (trigram bitmap scans for q, the GIN index for tags, the keyset index for the
// default sort).

/// Appends `value` as the next parameter and returns its placeholder ($n).
std::string bind(ListQuery& query, std::string value) {
    query.params.push_back(std::move(value));
    return "$" + std::to_string(query.params.size());
}

/// Whether the search text is long enough for the trigram indexes: pg_trgm needs three
/// characters to extract a trigram from `%q%`; shorter texts are a filter on the org's rows.
bool searchesByTrigram(const ClientFilter& filter) {
    return filter.q && core::searchedLength(*filter.q) >= 3;
}

bool isDate(const std::string& text) {
    return text.size() == 10;  // YYYY-MM-DD; the route has checked the shape
}

std::string searchClause(ListQuery& query, const std::string& q) {
    const auto text = bind(query, q);
    // The name as searches compare it (crm_fold: any case, any accents), which clients_name_trgm
    // indexes (0020); folded first, then escaped, as unaccent() makes a full-width ％ a %. The
    // domain as it is, its %, _ and \ taken literally by the same crm_like_literal.
    return "(crm_fold(c.name) LIKE '%' || crm_like_literal(crm_fold(" + text + ")) || '%'"
           " OR c.domain ILIKE '%' || crm_like_literal(" + text + ") || '%')";
}

/// Every filter but the cursor, ANDed; the text search only `with_search`.
std::string whereClause(ListQuery& query, const std::string& org_id, const ClientFilter& filter,
                        bool with_search = true) {
    std::string where = "c.org_id = " + bind(query, org_id) + "::uuid";
    if (!filter.include_deleted) {
        where += " AND c.deleted_at IS NULL";
    }
    if (filter.q && with_search) {
        where += " AND " + searchClause(query, *filter.q);
    }
    if (!filter.statuses.empty()) {
        where += " AND c.status = ANY(" + bind(query, textArray(filter.statuses)) + "::text[])";
    }
    if (filter.industry) {
        // Any case, with or without accents: "software" is the industry typed "Software".
        where += " AND crm_fold(c.industry) = crm_fold(" + bind(query, *filter.industry) + ")";
    }
    if (filter.owner_id) {
        where += " AND c.owner_id = " + bind(query, *filter.owner_id) + "::uuid";
    }
    if (!filter.tags.empty()) {
        where += " AND c.tags @> " + bind(query, textArray(filter.tags)) + "::text[]";
    }
    if (filter.created_from) {
        const auto value = bind(query, *filter.created_from);
        where += isDate(*filter.created_from)
                     ? " AND c.created_at >= (" + value + "::date::timestamp AT TIME ZONE 'UTC')"
                     : " AND c.created_at >= " + value + "::timestamptz";
    }
    if (filter.created_to) {
        // A date covers its whole day: everything before the next midnight (UTC).
        const auto value = bind(query, *filter.created_to);
        where += isDate(*filter.created_to) ? " AND c.created_at < ((" + value +
                                                  "::date + 1)::timestamp AT TIME ZONE 'UTC')"
                                            : " AND c.created_at <= " + value + "::timestamptz";
    }
    return where;
}

}  // namespace

std::optional<ClientWithCounts> findClientWithCounts(pqxx::transaction_base& tx,
                                                     const std::string& org_id,
                                                     const std::string& client_id) {
    const auto rows = db::exec(tx, kFindClientWithCounts, org_id, client_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    ClientWithCounts result{clientFromRow(row), {}};
    result.counts.contacts = row[kClientColumnCount].as<long long>();
    result.counts.open_jobs = row[kClientColumnCount + 1].as<long long>();
    result.counts.open_deals = row[kClientColumnCount + 2].as<long long>();
    result.counts.projects = row[kClientColumnCount + 3].as<long long>();
    return result;
}

bool clientExists(pqxx::transaction_base& tx, const std::string& org_id,
                  const std::string& client_id) {
    return !db::exec(tx, kClientExists, org_id, client_id).empty();
}

std::optional<ClientRecord> lockClient(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id) {
    const auto rows = db::exec(tx, kLockClient, org_id, client_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return clientFromRow(rows[0]);
}

ClientRecord insertClient(pqxx::transaction_base& tx, const std::string& org_id,
                          const ClientFields& f, const std::string& created_by) {
    const auto rows =
        db::exec(tx, kInsertClient, org_id, f.name, f.domain, f.website, f.industry, f.size,
                 f.address_line1, f.address_line2, f.city, f.region, f.postal_code, f.country,
                 f.phone, f.status, textArray(f.tags), f.notes, f.owner_id, created_by);
    return clientFromRow(rows.at(0));
}

ClientRecord updateClient(pqxx::transaction_base& tx, const std::string& org_id,
                          const std::string& client_id, const ClientFields& f) {
    const auto rows =
        db::exec(tx, kUpdateClient, org_id, client_id, f.name, f.domain, f.website, f.industry,
                 f.size, f.address_line1, f.address_line2, f.city, f.region, f.postal_code,
                 f.country, f.phone, f.status, textArray(f.tags), f.notes, f.owner_id);
    return clientFromRow(rows.at(0));
}

std::vector<std::string> lockLinkedContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::string& client_id, const std::vector<std::string>& also) {
    std::vector<std::string> ids;
    for (const auto& row : db::exec(tx, kLockLinkedContacts, org_id, client_id, db::uuidArray(also))) {
        ids.push_back(row[0].as<std::string>());
    }
    return ids;
}

std::vector<std::string> linkedContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                        const std::string& client_id) {
    std::vector<std::string> ids;
    for (const auto& row : db::exec(tx, kLinkedContacts, org_id, client_id)) {
        ids.push_back(row[0].as<std::string>());
    }
    return ids;
}

void renewLinkedContacts(pqxx::transaction_base& tx, const std::string& org_id, const std::string& client_id,
                         const std::vector<std::string>& contact_ids, bool client_deleted,
                         const std::string& actor_id, const std::string& request_id) {
    if (!contact_ids.empty()) {
        db::exec(tx, kRenewLinkedContacts, org_id, db::uuidArray(contact_ids), client_id, client_deleted,
                 actor_id, request_id.empty() ? std::nullopt : std::optional<std::string>(request_id));
    }
}

ClientRecord setDeleted(pqxx::transaction_base& tx, const std::string& org_id,
                        const std::string& client_id, bool deleted) {
    const auto rows = db::exec(tx, kSetDeleted, org_id, client_id, deleted);
    return clientFromRow(rows.at(0));
}

std::optional<std::string> findLiveClientWithDomain(pqxx::transaction_base& tx,
                                                    const std::string& org_id,
                                                    const std::string& domain,
                                                    const std::optional<std::string>& except_id) {
    const auto rows = db::exec(tx, kFindLiveClientWithDomain, org_id, domain, except_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<std::string>();
}

std::optional<NamedClient> findLiveClientNamed(pqxx::transaction_base& tx, const std::string& org_id,
                                               const std::string& name,
                                               const std::optional<std::string>& except_id) {
    const auto rows = db::exec(tx, kFindLiveClientNamed, org_id, name, except_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return NamedClient{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
}

ListQuery buildListQuery(const std::string& org_id, const ClientFilter& filter,
                         const core::PageRequest& page, ListPlan plan) {
    const auto column = sortColumn(page.sort.name);
    const auto after = cursorKeys(page, column.is_time);
    const char* op = page.sort.descending ? "<" : ">";
    const char* direction = page.sort.descending ? " DESC" : "";
    const std::string order = std::string(column.key) + direction + ", c.id" + direction;
    const std::string select = "SELECT " CRM_CLIENT_COLUMNS ", " + std::string(column.key_text);
    ListQuery query;
    auto where = whereClause(query, org_id, filter, plan != ListPlan::Probe);
    if (after.key) {
        const auto key = bind(query, *after.key);
        const auto id = bind(query, *after.id);
        where += std::string(" AND (") + column.key + ", c.id) " + op + " (" + key + column.cast +
                 ", " + id + "::uuid)";
    }
    switch (plan) {
        case ListPlan::Direct: {
            const auto limit = bind(query, std::to_string(page.limit + 1));
            if (!filter.include_deleted) {
                query.sql = select + " FROM clients c WHERE " + where + " ORDER BY " + order +
                            " LIMIT " + limit + "::int";
                break;
            }
            // The sort indexes hold live clients only: with the deleted ones included, a page
            // is read among each (the deleted through their own indexes, migration 0028), at
            // most a page of each, and the two are merged, rather than sorting the whole
            // organisation.
            const auto branch = [&](const char* deleted) {
                return "(" + select + ", " + column.key + " AS page_key FROM clients c WHERE " + where +
                       " AND c.deleted_at IS " + deleted + " ORDER BY " + order + " LIMIT " + limit + "::int)";
            };
            query.sql = "SELECT * FROM (" + branch("NULL") + " UNION ALL " + branch("NOT NULL") +
                        ") c ORDER BY c.page_key" + direction + ", c.id" + direction + " LIMIT " + limit + "::int";
            break;
        }
        case ListPlan::Probe: {
            // The first rows in sort order that pass the other filters, then the text: the
            // matches among them precede every match further on, so a full page is exact.
            const auto rows = bind(query, std::to_string(kSearchProbeRows));
            const auto search = searchClause(query, *filter.q);
            const auto limit = bind(query, std::to_string(page.limit + 1));
            query.sql = select + " FROM (SELECT * FROM clients c WHERE " + where + " ORDER BY " +
                        order + " LIMIT " + rows + "::int) c WHERE " + search + " ORDER BY " +
                        order + " LIMIT " + limit + "::int";
            break;
        }
        case ListPlan::TrigramFirst: {
            // Every match (the trigram indexes find them, however few of them are in this
            // organisation), then sort and cut the page, then read the page's rows.
            const auto limit = bind(query, std::to_string(page.limit + 1));
            query.sql = "WITH matches AS MATERIALIZED (SELECT c.id, " + std::string(column.key) +
                        " AS sort_key FROM clients c WHERE " + where +
                        "), page_rows AS (SELECT id, sort_key FROM matches ORDER BY sort_key" +
                        direction + ", id" + direction + " LIMIT " + limit + "::int) " + select +
                        " FROM page_rows p JOIN clients c ON c.id = p.id ORDER BY " + order;
            break;
        }
    }
    return query;
}

Page<ClientRecord> listClients(pqxx::transaction_base& tx, const std::string& org_id,
                               const ClientFilter& filter, const core::PageRequest& page) {
    auto run = [&](ListPlan plan) {
        const auto query = buildListQuery(org_id, filter, page, plan);
        try {
            return tx.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
        } catch (const pqxx::data_exception&) {
            throw badCursor();  // filters are checked by the route; only a cursor can get here
        }
    };
    if (!searchesByTrigram(filter)) {
        return readPage<ClientRecord>(run(ListPlan::Direct), page.limit, kClientColumnCount, 0,
                                      clientFromRow);
    }
    // PostgreSQL's statistics are not per organisation, so for a text search the planner
    // cannot tell whether this organisation's matches are many (walk the sort index and stop
    // after a page) or few (collect them through the trigram indexes); guessing wrong costs a
    // scan of the whole organisation either way. Try the first, bounded; then the second.
    // Deleted rows (outside the partial sort indexes the probe walks) would make the probe
    // itself a scan, so a search that includes them goes straight to the trigram indexes.
    if (!filter.include_deleted) {
        const auto rows = run(ListPlan::Probe);
        if (static_cast<int>(rows.size()) > page.limit) {
            return readPage<ClientRecord>(rows, page.limit, kClientColumnCount, 0, clientFromRow);
        }
    }
    return readPage<ClientRecord>(run(ListPlan::TrigramFirst), page.limit, kClientColumnCount, 0,
                                  clientFromRow);
}

long long countClients(pqxx::transaction_base& tx, const std::string& org_id,
                       const ClientFilter& filter) {
    ListQuery query;
    const auto where = whereClause(query, org_id, filter);
    const auto cap = bind(query, std::to_string(core::kTotalCountCap + 1));
    query.sql = searchesByTrigram(filter)
                    ? "WITH matches AS MATERIALIZED (SELECT c.id FROM clients c WHERE " + where +
                          ") SELECT count(*) FROM (SELECT 1 FROM matches LIMIT " + cap + "::int) t"
                    : "SELECT count(*) FROM (SELECT 1 FROM clients c WHERE " + where + " LIMIT " +
                          cap + "::int) t";
    return tx.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params))[0][0]
        .as<long long>();
}

Page<LinkedContact> listClientContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id,
                                       const core::PageRequest& page) {
    const auto after = cursorKeys(page, true);
    const auto rows =
        execList(tx, kListClientContacts, org_id, client_id, after.key, after.id, page.limit + 1);
    return readPage<LinkedContact>(rows, page.limit, 15, 0, [](const pqxx::row& row) {
        db::RowReader in(row);
        LinkedContact link;
        link.link_id = in.text();
        link.role = in.optionalText();
        link.title = in.optionalText();
        link.is_primary_contact = in.boolean();
        link.start_date = in.optionalText();
        link.end_date = in.optionalText();
        link.linked_at = in.utcTimestamp();
        link.contact_id = in.text();
        link.first_name = in.text();
        link.last_name = in.optionalText();
        link.email = in.optionalText();
        link.phone = in.optionalText();
        link.city = in.optionalText();
        link.country = in.optionalText();
        link.owner_id = in.optionalText();
        return link;
    });
}

Page<ClientJob> listClientJobs(pqxx::transaction_base& tx, const std::string& org_id,
                               const std::string& client_id,
                               const std::optional<std::string>& status,
                               const core::PageRequest& page) {
    const auto after = cursorKeys(page, true);
    const auto rows = execList(tx, kListClientJobs, org_id, client_id, status, after.key, after.id,
                               page.limit + 1);
    return readPage<ClientJob>(rows, page.limit, 17, 0, [](const pqxx::row& row) {
        db::RowReader in(row);
        ClientJob job;
        job.id = in.text();
        job.title = in.text();
        job.status = in.text();
        job.seniority = in.optionalText();
        job.location = in.optionalText();
        job.remote = in.optionalText();
        job.employment_type = in.optionalText();
        job.openings = in.integer();
        job.salary_min = in.optionalText();
        job.salary_max = in.optionalText();
        job.currency = in.optionalText();
        job.owner_id = in.optionalText();
        job.opened_at = in.optionalUtcTimestamp();
        job.closes_at = in.optionalUtcTimestamp();
        job.created_at = in.utcTimestamp();
        job.updated_at = in.utcTimestamp();
        job.version = in.integer();
        return job;
    });
}

Page<ClientProject> listClientProjects(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id,
                                       const std::optional<std::string>& status,
                                       const core::PageRequest& page) {
    const auto after = cursorKeys(page, true);
    const auto rows = execList(tx, kListClientProjects, org_id, client_id, status, after.key,
                               after.id, page.limit + 1);
    return readPage<ClientProject>(rows, page.limit, 12, 0, [](const pqxx::row& row) {
        db::RowReader in(row);
        ClientProject project;
        project.id = in.text();
        project.name = in.text();
        project.status = in.text();
        project.deal_id = in.optionalText();
        project.budget = in.optionalText();
        project.currency = in.optionalText();
        project.start_date = in.optionalText();
        project.end_date = in.optionalText();
        project.owner_id = in.optionalText();
        project.created_at = in.utcTimestamp();
        project.updated_at = in.utcTimestamp();
        project.version = in.integer();
        return project;
    });
}

Page<HistoryEntry> listClientHistory(pqxx::transaction_base& tx, const std::string& org_id,
                                     const std::string& client_id, const core::PageRequest& page) {
    const auto after = cursorKeys(page, true);
    const auto rows =
        execList(tx, kListClientHistory, org_id, client_id, after.key, after.id, page.limit + 1);
    return readPage<HistoryEntry>(rows, page.limit, 6, 0, [](const pqxx::row& row) {
        db::RowReader in(row);
        HistoryEntry entry;
        entry.id = in.text();
        entry.action = in.text();
        entry.actor_id = in.optionalText();
        entry.actor_name = in.optionalText();
        entry.created_at = in.utcTimestamp();
        entry.changes = in.isNull() ? nlohmann::json(nullptr) : nlohmann::json::parse(in.view());
        return entry;
    });
}

std::optional<SummaryFacts> summaryFacts(pqxx::transaction_base& tx, const std::string& org_id,
                                         const std::string& client_id) {
    const auto rows = db::exec(tx, kSummaryFacts, org_id, client_id);
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    SummaryFacts facts;
    facts.id = row[0].as<std::string>();
    facts.name = row[1].as<std::string>();
    facts.industry = db::nullable<std::string>(row[2]);
    facts.size = db::nullable<std::string>(row[3]);
    facts.status = row[4].as<std::string>();
    facts.owner_id = db::nullable<std::string>(row[5]);
    facts.owner_name = db::nullable<std::string>(row[6]);
    facts.contacts = row[7].as<long long>();
    facts.primary_contact_id = db::nullable<std::string>(row[8]);
    facts.primary_contact_name = db::nullable<std::string>(row[9]);
    facts.open_jobs = row[10].as<long long>();
    facts.open_deals = row[11].as<long long>();
    if (!row[12].is_null()) {
        for (const auto& pair : nlohmann::json::parse(row[12].c_str())) {
            facts.open_deal_values.emplace_back(pair.at(0).get<std::string>(),
                                                pair.at(1).get<std::string>());
        }
    }
    facts.projects = row[13].as<long long>();
    facts.last_activity_at = db::nullableUtcTimestamp(row[14]);
    facts.days_since_last_activity = db::nullable<long long>(row[15]);
    return facts;
}

}  // namespace crm::clients::repo
