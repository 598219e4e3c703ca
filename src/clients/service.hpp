#pragma once

#include "clients/dto.hpp"
#include "clients/repository.hpp"
#include "core/access.hpp"
#include "core/pagination.hpp"
#include "core/request_meta.hpp"
#include "db/pool.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace crm::clients {

struct ClientSettings {
    std::string default_phone_region = "US";  // CRM_DEFAULT_PHONE_REGION
};

/// A created or changed client, with warnings that did not stop the write
/// (`[{"code": "duplicate_domain", "message", "existing_id"}]`).
struct ClientWrite {
    repo::ClientRecord client;
    nlohmann::json warnings = nlohmann::json::array();
};

struct ClientList {
    repo::Page<repo::ClientRecord> page;
    std::optional<long long> total;  // when with_total was asked for
};

/// Clients (companies): CRUD, assignment, relationships, history and summaries.
///
/// Routes check the role's permission (clients:read / write / delete); this class adds the
/// ownership rule: without records:manage_any a user changes, deletes, restores and hands
/// over only the clients they own. Every method works in the caller's organisation only;
/// another organisation's client is "not found".
class ClientService {
public:
    ClientService(db::Pool& pool, ClientSettings settings);

    const ClientSettings& settings() const { return settings_; }

    /// `include_deleted` needs records:manage_any (403 otherwise).
    ClientList list(const core::Actor& actor, const repo::ClientFilter& filter,
                    const core::PageRequest& page);
    /// A live client with its counts; 404 when deleted or not the caller's organisation's.
    repo::ClientWithCounts get(const core::Actor& actor, const std::string& client_id);
    /// Owner defaults to the caller; another owner (or none) needs records:manage_any and must
    /// be an active user of the organisation (422 naming owner_id).
    ClientWrite create(const core::Actor& actor, const ClientInput& input,
                       const core::RequestMeta& meta);
    /// Partial update of a live client; 412 when `if_match` is stale. A body that changes
    /// nothing writes nothing (the version stays).
    ClientWrite update(const core::Actor& actor, const std::string& client_id,
                       const ClientInput& input, std::optional<int> if_match,
                       const core::RequestMeta& meta);
    /// Soft delete; a deleted client is a 404 here (deleting twice). Returns the version the
    /// delete left, which a conditional restore names.
    int remove(const core::Actor& actor, const std::string& client_id, std::optional<int> if_match,
               const core::RequestMeta& meta);
    /// Undoes a soft delete; 409 when the client is not deleted.
    repo::ClientRecord restore(const core::Actor& actor, const std::string& client_id,
                               std::optional<int> if_match, const core::RequestMeta& meta);
    /// Hands the client to another active user (or to nobody).
    repo::ClientRecord assign(const core::Actor& actor, const std::string& client_id,
                              const AssignClientDto& input, std::optional<int> if_match,
                              const core::RequestMeta& meta);

    repo::Page<repo::LinkedContact> contacts(const core::Actor& actor, const std::string& client_id,
                                             const core::PageRequest& page);
    repo::Page<repo::ClientJob> jobs(const core::Actor& actor, const std::string& client_id,
                                     const std::optional<std::string>& status,
                                     const core::PageRequest& page);
    repo::Page<repo::ClientProject> projects(const core::Actor& actor, const std::string& client_id,
                                             const std::optional<std::string>& status,
                                             const core::PageRequest& page);
    repo::Page<repo::HistoryEntry> history(const core::Actor& actor, const std::string& client_id,
                                           const core::PageRequest& page);
    repo::SummaryFacts summary(const core::Actor& actor, const std::string& client_id);

private:
    db::Pool& pool_;
    ClientSettings settings_;
};

}  // namespace crm::clients
