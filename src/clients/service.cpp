#include "clients/service.hpp"

#include "core/error.hpp"
#include "db/audit.hpp"
#include "db/owners.hpp"
#include "db/statement.hpp"

#include <algorithm>
#include <functional>

namespace crm::clients {
namespace {

core::AppError clientNotFound() { return core::AppError::notFound("Client not found"); }

core::AppError staleVersion() {
    return core::AppError::preconditionFailed("The client was changed by someone else; reload it");
}

core::AppError inactiveOwner() {
    return core::AppError::invalidField("owner_id", "must be an active user of your organisation");
}

/// Locks a live client and applies the ownership rule and If-Match, in that order: 404, 403,
/// 412. `what` completes "You may only ... clients you own".
repo::ClientRecord lockForChange(pqxx::transaction_base& tx, const core::Actor& actor,
                                 const std::string& client_id, std::optional<int> if_match,
                                 const char* what) {
    auto current = repo::lockClient(tx, actor.org_id, client_id);
    if (!current || current->deleted_at) {
        throw clientNotFound();
    }
    if (!actor.mayManage(current->fields.owner_id)) {
        throw core::AppError::forbidden(std::string("You may only ") + what + " clients you own");
    }
    if (if_match && *if_match != current->version) {
        throw staleVersion();
    }
    return *current;
}

/// Runs `change(tx, client, linked)` with the client locked by `lock_client(tx)` and the live
/// contacts linked to it (`linked`) locked as well, for a change that renews those contacts
/// (delete, restore). The contacts are locked first, in id order, as a links PUT and a merge
/// lock a contact and then its clients; once the client is locked no link to it can change, so
/// they are read again. A contact linked in between was not locked: everything this took is
/// given back (rolled back to a savepoint, so that the links PUT that may be waiting for the
/// client can finish), and it starts again with that contact among those to lock, all of them
/// in id order in one statement again. Linking at a steady pace used to make the whole
/// transaction fail and start again until its retries ran out (a 503).
template <typename Client, typename Result>
Result changeWithLinkedContacts(pqxx::work& tx, const std::string& org_id, const std::string& client_id,
                                const std::function<Client(pqxx::transaction_base&)>& lock_client,
                                const std::function<Result(pqxx::transaction_base&, const Client&,
                                                           const std::vector<std::string>&)>& change) {
    constexpr int kMaxRounds = 20;
    std::vector<std::string> also;  // contacts a previous round found linked after its locks
    for (int round = 1;; ++round) {
        // A savepoint of our own: libpqxx 6.4's subtransaction sends its SAVEPOINT only before
        // a plain statement, not before a prepared one, and then has nothing to roll back to.
        tx.exec0("SAVEPOINT linked_contacts");
        const auto locked = repo::lockLinkedContacts(tx, org_id, client_id, also);
        const auto client = lock_client(tx);
        const auto linked = repo::linkedContacts(tx, org_id, client_id);
        const bool all_locked = std::all_of(linked.begin(), linked.end(), [&locked](const std::string& id) {
            return std::find(locked.begin(), locked.end(), id) != locked.end();
        });
        if (all_locked) {
            tx.exec0("RELEASE SAVEPOINT linked_contacts");
            return change(tx, client, linked);
        }
        if (round == kMaxRounds) {
            throw pqxx::serialization_failure("contacts kept being linked to the client while it was locked");
        }
        tx.exec0("ROLLBACK TO SAVEPOINT linked_contacts; RELEASE SAVEPOINT linked_contacts");
        also = linked;
    }
}

/// The rules of handing a live client to `owner_id` (an assignment, by assign or by PUT).
void checkNewOwner(pqxx::transaction_base& tx, const core::Actor& actor,
                   const std::optional<std::string>& owner_id) {
    // As on create: an unowned client is one only managers and admins may touch, so only they
    // may make one; an owner hands their client to a colleague, not to no one.
    if (!owner_id && !actor.can(core::Permission::RecordsManageAny)) {
        throw core::AppError::forbidden("Only managers and admins may leave a client without an owner");
    }
    if (owner_id && !db::isActiveOwner(tx, actor.org_id, *owner_id)) {
        throw inactiveOwner();
    }
}

/// The warnings of a client's write: another live client of the organisation with the same
/// name (as searches compare names), or with the same domain, looked up only when the write
/// sets that field.
nlohmann::json duplicateWarnings(pqxx::transaction_base& tx, const std::string& org_id,
                                 const std::optional<std::string>& name, const std::optional<std::string>& domain,
                                 const std::optional<std::string>& except_id) {
    auto warnings = nlohmann::json::array();
    if (name) {
        if (const auto existing = repo::findLiveClientNamed(tx, org_id, *name, except_id)) {
            warnings.push_back({{"code", "duplicate_name"},
                                {"message", "Another client is already called " + existing->name},
                                {"existing_id", existing->id}});
        }
    }
    if (domain) {
        if (const auto existing = repo::findLiveClientWithDomain(tx, org_id, *domain, except_id)) {
            warnings.push_back({{"code", "duplicate_domain"},
                                {"message", "Another client already uses the domain " + *domain},
                                {"existing_id", *existing}});
        }
    }
    return warnings;
}

void audit(pqxx::transaction_base& tx, const core::Actor& actor, const std::string& action,
           const std::string& client_id, nlohmann::json changes, const core::RequestMeta& meta) {
    db::recordAudit(tx,
                    db::AuditEntry{actor.org_id, actor.user_id, action, std::string("client"),
                                   client_id, std::move(changes)},
                    meta);
}

}  // namespace

ClientService::ClientService(db::Pool& pool, ClientSettings settings)
    : pool_(pool), settings_(std::move(settings)) {}

ClientList ClientService::list(const core::Actor& actor, const repo::ClientFilter& filter,
                               const core::PageRequest& page) {
    if (filter.include_deleted && !actor.can(core::Permission::RecordsManageAny)) {
        throw core::AppError::forbidden("Only managers and admins may list deleted clients");
    }
    auto lease = pool_.acquire();
    if (!page.with_total) {
        pqxx::nontransaction tx(lease.get());  // one read: autocommit
        return ClientList{repo::listClients(tx, actor.org_id, filter, page), std::nullopt};
    }
    db::SnapshotRead tx(lease.get());  // the total counts the rows the page was taken from
    ClientList result{repo::listClients(tx, actor.org_id, filter, page), std::nullopt};
    result.total = repo::countClients(tx, actor.org_id, filter);
    tx.commit();
    return result;
}

repo::ClientWithCounts ClientService::get(const core::Actor& actor, const std::string& client_id) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
    auto client = repo::findClientWithCounts(tx, actor.org_id, client_id);
    if (!client) {
        throw clientNotFound();
    }
    return *client;
}

ClientWrite ClientService::create(const core::Actor& actor, const ClientInput& input,
                                  const core::RequestMeta& meta) {
    auto fields = applyInput(repo::ClientFields{}, input);
    if (!input.owner_id) {
        fields.owner_id = actor.user_id;
    }
    // A role-only check: before the transaction.
    if (fields.owner_id != actor.user_id && !actor.can(core::Permission::RecordsManageAny)) {
        throw core::AppError::forbidden(
            "Only managers and admins may create clients for someone else or without an owner");
    }
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    if (fields.owner_id && *fields.owner_id != actor.user_id &&
        !db::isActiveOwner(tx, actor.org_id, *fields.owner_id)) {
        throw inactiveOwner();
    }
    // Looked up before the insert, so the new client does not find itself.
    auto warnings = duplicateWarnings(tx, actor.org_id, fields.name, fields.domain, std::nullopt);
    auto client = repo::insertClient(tx, actor.org_id, fields, actor.user_id);
    audit(tx, actor, "client.created", client.id, fieldChanges(std::nullopt, client.fields), meta);
    tx.commit();
    return ClientWrite{std::move(client), std::move(warnings)};
}

ClientWrite ClientService::update(const core::Actor& actor, const std::string& client_id,
                                  const ClientInput& input, std::optional<int> if_match,
                                  const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto current = lockForChange(tx, actor, client_id, if_match, "change");
    const auto next = applyInput(
        current.fields, input.withPhoneReadIn(current.fields.country.value_or(settings_.default_phone_region)));
    if (next.owner_id != current.fields.owner_id) {
        checkNewOwner(tx, actor, next.owner_id);  // an assignment, with the assignment's rules
    }
    auto changes = fieldChanges(current.fields, next);
    if (changes.empty()) {
        return ClientWrite{current, nlohmann::json::array()};  // nothing to write or record
    }
    auto warnings = duplicateWarnings(tx, actor.org_id, changes.contains("name") ? std::optional(next.name) : std::nullopt,
                                      changes.contains("domain") ? next.domain : std::nullopt, client_id);
    auto updated = repo::updateClient(tx, actor.org_id, client_id, next);
    // An owner change is an assignment, whichever route made it (the row holds every change).
    const bool assigned = changes.contains("owner_id");
    audit(tx, actor, assigned ? "client.assigned" : "client.updated", client_id, std::move(changes),
          meta);
    tx.commit();
    return ClientWrite{std::move(updated), std::move(warnings)};
}

int ClientService::remove(const core::Actor& actor, const std::string& client_id,
                          std::optional<int> if_match, const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto version = changeWithLinkedContacts<repo::ClientRecord, int>(
        tx, actor.org_id, client_id,
        [&](pqxx::transaction_base& locked) { return lockForChange(locked, actor, client_id, if_match, "delete"); },
        [&](pqxx::transaction_base& locked, const repo::ClientRecord&, const std::vector<std::string>& linked) {
            const auto deleted = repo::setDeleted(locked, actor.org_id, client_id, true);
            // The link leaves its contacts' visible links: a change made against what they
            // showed before must be refused (412), as for any other change to them, and their
            // history says why.
            repo::renewLinkedContacts(locked, actor.org_id, client_id, linked, true, actor.user_id, meta.request_id);
            audit(locked, actor, "client.deleted", client_id,
                  {{"deleted_at", {{"from", nullptr}, {"to", *deleted.deleted_at}}}}, meta);
            return deleted.version;
        });
    tx.commit();
    return version;
}

repo::ClientRecord ClientService::restore(const core::Actor& actor, const std::string& client_id,
                                          std::optional<int> if_match,
                                          const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto lockDeleted = [&](pqxx::transaction_base& locked) {
        auto current = repo::lockClient(locked, actor.org_id, client_id);
        if (!current) {
            throw clientNotFound();
        }
        if (!actor.mayManage(current->fields.owner_id)) {
            throw core::AppError::forbidden("You may only restore clients you own");
        }
        if (!current->deleted_at) {
            throw core::AppError::conflict("The client is not deleted");
        }
        if (if_match && *if_match != current->version) {
            throw staleVersion();
        }
        return *current;
    };
    auto restored = changeWithLinkedContacts<repo::ClientRecord, repo::ClientRecord>(
        tx, actor.org_id, client_id, lockDeleted,
        [&](pqxx::transaction_base& locked, const repo::ClientRecord& current, const std::vector<std::string>& linked) {
            auto restored = repo::setDeleted(locked, actor.org_id, client_id, false);
            // Its links show again on their contacts: a links PUT made against the set without
            // them would drop them unseen, so it gets 412 instead.
            repo::renewLinkedContacts(locked, actor.org_id, client_id, linked, false, actor.user_id, meta.request_id);
            audit(locked, actor, "client.restored", client_id,
                  {{"deleted_at", {{"from", *current.deleted_at}, {"to", nullptr}}}}, meta);
            return restored;
        });
    tx.commit();
    return restored;
}

repo::ClientRecord ClientService::assign(const core::Actor& actor, const std::string& client_id,
                                         const AssignClientDto& input, std::optional<int> if_match,
                                         const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto current = lockForChange(tx, actor, client_id, if_match, "hand over");
    if (input.owner_id == current.fields.owner_id) {
        return current;  // already theirs: nothing to write or record
    }
    checkNewOwner(tx, actor, input.owner_id);
    auto next = current.fields;
    next.owner_id = input.owner_id;
    auto updated = repo::updateClient(tx, actor.org_id, client_id, next);
    audit(tx, actor, "client.assigned", client_id, fieldChanges(current.fields, next), meta);
    tx.commit();
    return updated;
}

repo::Page<repo::LinkedContact> ClientService::contacts(const core::Actor& actor,
                                                        const std::string& client_id,
                                                        const core::PageRequest& page) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());
    if (!repo::clientExists(tx, actor.org_id, client_id)) {
        throw clientNotFound();
    }
    return repo::listClientContacts(tx, actor.org_id, client_id, page);
}

repo::Page<repo::ClientJob> ClientService::jobs(const core::Actor& actor,
                                                const std::string& client_id,
                                                const std::optional<std::string>& status,
                                                const core::PageRequest& page) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());
    if (!repo::clientExists(tx, actor.org_id, client_id)) {
        throw clientNotFound();
    }
    return repo::listClientJobs(tx, actor.org_id, client_id, status, page);
}

repo::Page<repo::ClientProject> ClientService::projects(const core::Actor& actor,
                                                        const std::string& client_id,
                                                        const std::optional<std::string>& status,
                                                        const core::PageRequest& page) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());
    if (!repo::clientExists(tx, actor.org_id, client_id)) {
        throw clientNotFound();
    }
    return repo::listClientProjects(tx, actor.org_id, client_id, status, page);
}

repo::Page<repo::HistoryEntry> ClientService::history(const core::Actor& actor,
                                                      const std::string& client_id,
                                                      const core::PageRequest& page) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());
    if (!repo::clientExists(tx, actor.org_id, client_id)) {
        throw clientNotFound();
    }
    return repo::listClientHistory(tx, actor.org_id, client_id, page);
}

repo::SummaryFacts ClientService::summary(const core::Actor& actor, const std::string& client_id) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one read: autocommit, one round trip
    auto facts = repo::summaryFacts(tx, actor.org_id, client_id);
    if (!facts) {
        throw clientNotFound();
    }
    return *facts;
}

}  // namespace crm::clients
