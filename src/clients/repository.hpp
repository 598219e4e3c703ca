#pragma once

#include "core/pagination.hpp"

#include <nlohmann/json.hpp>

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <utility>
#include <vector>

/// SQL for clients (companies) and what hangs off them. Every function takes the caller's
/// transaction and the caller's organisation; no query reads another organisation's rows.
namespace crm::clients::repo {

/// The columns a user writes, already validated and normalised (domain, website, phone).
struct ClientFields {
    std::string name;
    std::optional<std::string> domain;
    std::optional<std::string> website;
    std::optional<std::string> industry;
    std::optional<std::string> size;
    std::optional<std::string> address_line1;
    std::optional<std::string> address_line2;
    std::optional<std::string> city;
    std::optional<std::string> region;
    std::optional<std::string> postal_code;
    std::optional<std::string> country;
    std::optional<std::string> phone;
    std::string status = "prospect";
    std::vector<std::string> tags;
    std::optional<std::string> notes;
    std::optional<std::string> owner_id;
};

struct ClientRecord {
    std::string id;
    ClientFields fields;
    std::optional<std::string> created_by;
    std::string created_at;
    std::string updated_at;
    std::optional<std::string> deleted_at;
    int version = 1;
};

/// What GET /api/clients/{id} adds to the client.
struct ClientCounts {
    long long contacts = 0;    // linked contacts that are not deleted
    long long open_jobs = 0;   // jobs with status open, not deleted
    long long open_deals = 0;  // deals with status open, not deleted
    long long projects = 0;    // projects not deleted
};

struct ClientWithCounts {
    ClientRecord client;
    ClientCounts counts;
};

/// A live (not deleted) client with its counts, in one statement.
std::optional<ClientWithCounts> findClientWithCounts(pqxx::transaction_base& tx,
                                                     const std::string& org_id,
                                                     const std::string& client_id);

/// True when a live client with this id exists in the organisation.
bool clientExists(pqxx::transaction_base& tx, const std::string& org_id,
                  const std::string& client_id);

/// The client, deleted or not, locked until the transaction ends.
std::optional<ClientRecord> lockClient(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id);

ClientRecord insertClient(pqxx::transaction_base& tx, const std::string& org_id,
                          const ClientFields& fields, const std::string& created_by);

/// Writes every field of a client the caller has locked.
ClientRecord updateClient(pqxx::transaction_base& tx, const std::string& org_id,
                          const std::string& client_id, const ClientFields& fields);

/// Locks the live contacts linked to the client, and those of `also` (id order, in one
/// statement; before the client, as a contact's links PUT and a merge lock a contact, then its
/// clients), and returns their ids.
std::vector<std::string> lockLinkedContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                            const std::string& client_id, const std::vector<std::string>& also);
/// The live contacts linked to the client now (unlocked: read once the client is locked, when
/// its links cannot change).
std::vector<std::string> linkedContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                        const std::string& client_id);
/// The client was deleted (`client_deleted`) or restored: the links `contact_ids` (linked to
/// it, and locked) show changed. Each gets a new version and a `client_relationships` row in
/// its history (the links it showed before and shows now), made by `actor_id`.
void renewLinkedContacts(pqxx::transaction_base& tx, const std::string& org_id, const std::string& client_id,
                         const std::vector<std::string>& contact_ids, bool client_deleted,
                         const std::string& actor_id, const std::string& request_id);

/// Sets (`deleted` true) or clears deleted_at of a client the caller has locked.
ClientRecord setDeleted(pqxx::transaction_base& tx, const std::string& org_id,
                        const std::string& client_id, bool deleted);

/// The oldest other live client of the organisation with this domain, if any.
std::optional<std::string> findLiveClientWithDomain(pqxx::transaction_base& tx,
                                                    const std::string& org_id,
                                                    const std::string& domain,
                                                    const std::optional<std::string>& except_id);

struct NamedClient {
    std::string id;
    std::string name;
};

/// The oldest other live client of the organisation whose name is this one as searches compare
/// names (crm_fold: "ACME Corp." is "Acme corp"), if any.
std::optional<NamedClient> findLiveClientNamed(pqxx::transaction_base& tx, const std::string& org_id,
                                               const std::string& name,
                                               const std::optional<std::string>& except_id);

/// Filters of the client list; every member is optional.
struct ClientFilter {
    std::optional<std::string> q;         // name or domain contains, any case
    std::vector<std::string> statuses;    // any of
    std::optional<std::string> industry;  // exactly
    std::optional<std::string> owner_id;
    std::vector<std::string> tags;  // all of
    /// Bounds on created_at: an RFC 3339 time, or a date (the bound covers that whole UTC day).
    std::optional<std::string> created_from;
    std::optional<std::string> created_to;
    bool include_deleted = false;
};

template <typename T>
struct Page {
    std::vector<T> items;
    /// The sort key and id of the last row, when another page follows (the cursor's content).
    std::optional<nlohmann::json> next_keys;
};

/// Sorts: created_at, name, updated_at; keyset on (key, id). Throws a 422 naming `cursor`
/// when the cursor's keys do not fit the sort.
Page<ClientRecord> listClients(pqxx::transaction_base& tx, const std::string& org_id,
                               const ClientFilter& filter, const core::PageRequest& page);

/// Matching rows, counted up to core::kTotalCountCap + 1.
long long countClients(pqxx::transaction_base& tx, const std::string& org_id,
                       const ClientFilter& filter);

/// How listClients finds a page (see docs/clients.md, "Search and the trigram indexes").
enum class ListPlan {
    /// One statement walking the organisation's sort index with every filter: no text search,
    /// or a text too short for the trigram indexes.
    Direct,
    /// A text search tried on the first kSearchProbeRows rows (in sort order) that pass the
    /// other filters: enough when the text is common in the organisation.
    Probe,
    /// Every match collected through the trigram indexes, then sorted and cut: the fallback
    /// when the probe does not fill the page.
    TrigramFirst,
};

/// Rows a probe reads before giving way to ListPlan::TrigramFirst.
constexpr int kSearchProbeRows = 1000;

/// A statement built from the filters present, and its parameters ($1, $2, ... in order).
struct ListQuery {
    std::string sql;
    std::vector<std::string> params;
};
/// A SELECT listClients runs (exposed so that its plan can be checked with EXPLAIN). Throws a
/// 422 naming `cursor` when the cursor's keys do not fit the sort.
ListQuery buildListQuery(const std::string& org_id, const ClientFilter& filter,
                         const core::PageRequest& page, ListPlan plan);

/// A contact linked to the client, with the link's details.
struct LinkedContact {
    std::string link_id;
    std::optional<std::string> role;
    std::optional<std::string> title;
    bool is_primary_contact = false;
    std::optional<std::string> start_date;
    std::optional<std::string> end_date;
    std::string linked_at;
    std::string contact_id;
    std::string first_name;
    std::optional<std::string> last_name;
    std::optional<std::string> email;
    std::optional<std::string> phone;
    std::optional<std::string> city;
    std::optional<std::string> country;
    std::optional<std::string> owner_id;
};

/// Linked contacts that are not deleted, newest link first.
Page<LinkedContact> listClientContacts(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id, const core::PageRequest& page);

struct ClientJob {
    std::string id;
    std::string title;
    std::string status;
    std::optional<std::string> seniority;
    std::optional<std::string> location;
    std::optional<std::string> remote;
    std::optional<std::string> employment_type;
    int openings = 1;
    std::optional<std::string> salary_min;
    std::optional<std::string> salary_max;
    std::optional<std::string> currency;
    std::optional<std::string> owner_id;
    std::optional<std::string> opened_at;
    std::optional<std::string> closes_at;
    std::string created_at;
    std::string updated_at;
    int version = 1;
};

/// The client's jobs that are not deleted, newest first, optionally of one status.
Page<ClientJob> listClientJobs(pqxx::transaction_base& tx, const std::string& org_id,
                               const std::string& client_id,
                               const std::optional<std::string>& status,
                               const core::PageRequest& page);

struct ClientProject {
    std::string id;
    std::string name;
    std::string status;
    std::optional<std::string> deal_id;
    std::optional<std::string> budget;
    std::optional<std::string> currency;
    std::optional<std::string> start_date;
    std::optional<std::string> end_date;
    std::optional<std::string> owner_id;
    std::string created_at;
    std::string updated_at;
    int version = 1;
};

/// The client's projects that are not deleted, newest first, optionally of one status.
Page<ClientProject> listClientProjects(pqxx::transaction_base& tx, const std::string& org_id,
                                       const std::string& client_id,
                                       const std::optional<std::string>& status,
                                       const core::PageRequest& page);

struct HistoryEntry {
    std::string id;
    std::string action;
    std::optional<std::string> actor_id;
    std::optional<std::string> actor_name;
    std::string created_at;
    nlohmann::json changes;  // null or {"field": {"from", "to"}}
};

/// The client's audit rows (entity_type 'client'), newest first.
Page<HistoryEntry> listClientHistory(pqxx::transaction_base& tx, const std::string& org_id,
                                     const std::string& client_id, const core::PageRequest& page);

/// The numbers behind GET /api/clients/{id}/summary.
struct SummaryFacts {
    std::string id;
    std::string name;
    std::optional<std::string> industry;
    std::optional<std::string> size;
    std::string status;
    std::optional<std::string> owner_id;
    std::optional<std::string> owner_name;
    long long contacts = 0;
    std::optional<std::string> primary_contact_id;
    std::optional<std::string> primary_contact_name;
    long long open_jobs = 0;
    long long open_deals = 0;
    /// Sum of the open deals' values per currency ("EUR", "12000.00"), by currency code.
    std::vector<std::pair<std::string, std::string>> open_deal_values;
    long long projects = 0;
    /// Latest activity (created or completed) on the client, its deals or its projects.
    std::optional<std::string> last_activity_at;
    /// Calendar days (UTC) from that activity to today.
    std::optional<long long> days_since_last_activity;
};

std::optional<SummaryFacts> summaryFacts(pqxx::transaction_base& tx, const std::string& org_id,
                                         const std::string& client_id);

}  // namespace crm::clients::repo
