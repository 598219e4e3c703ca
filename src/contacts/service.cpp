#include "contacts/service.hpp"

#include "contacts/rules.hpp"
#include "core/error.hpp"
#include "core/pagination.hpp"
#include "db/audit.hpp"
#include "db/owners.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace crm::contacts {
namespace {

using core::AppError;
using core::Permission;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Checks shared by the writes

AppError contactNotFound() {
    return AppError::notFound("Contact not found");
}

// The contact, locked; deleted contacts are 404 like missing ones.
repo::ContactRecord lockLive(pqxx::transaction_base& tx, const core::Actor& actor,
                             const std::string& contact_id) {
    auto contact = repo::lockContact(tx, actor.org_id, contact_id);
    if (!contact || contact->deleted_at) {
        throw contactNotFound();
    }
    return *contact;
}

void requireOwnership(const core::Actor& actor, const repo::ContactRecord& contact) {
    if (!actor.mayManage(contact.owner_id)) {
        throw AppError::forbidden("Only the contact's owner or a manager may change this contact");
    }
}

// A profile may be changed by whoever may change its contact, or by the user who created it
// (a recruiter keeps the candidate profile they added to a colleague's contact).
void requireProfileRights(const core::Actor& actor, const repo::ContactRecord& contact,
                          const std::optional<std::string>& created_by,
                          const char* message =
                              "Only the contact's owner, the profile's creator or a manager may change this profile") {
    if (!actor.mayManage(contact.owner_id) && !(created_by && *created_by == actor.user_id)) {
        throw AppError::forbidden(message);
    }
}

void checkVersion(std::optional<int> if_match, int version, const char* what) {
    if (if_match && *if_match != version) {
        throw AppError::preconditionFailed(std::string("The ") + what +
                                           " was changed by someone else; reload it");
    }
}

// E-mails and phones of `after` that `before` did not have (all of them on create), as
// duplicate probes named after the request fields.
std::vector<repo::DuplicateProbe> duplicateProbes(const repo::ContactRecord* before,
                                                  const repo::ContactRecord& after) {
    std::set<std::string> old_emails;
    std::set<std::string> old_phones;
    if (before) {
        if (before->email) {
            old_emails.insert(*before->email);
        }
        for (const auto& item : before->emails) {
            old_emails.insert(item.value("email", ""));
        }
        if (before->phone) {
            old_phones.insert(*before->phone);
        }
        for (const auto& item : before->phones) {
            old_phones.insert(item.value("phone", ""));
        }
    }
    std::vector<repo::DuplicateProbe> probes;
    if (after.email && !old_emails.count(*after.email)) {
        probes.push_back({"email", "email", *after.email});
    }
    for (std::size_t i = 0; i < after.emails.size(); ++i) {
        const auto email = after.emails[i].value("email", "");
        if (!old_emails.count(email)) {
            probes.push_back({"emails[" + std::to_string(i) + "].email", "email", email});
        }
    }
    if (after.phone && !old_phones.count(*after.phone)) {
        probes.push_back({"phone", "phone", *after.phone});
    }
    for (std::size_t i = 0; i < after.phones.size(); ++i) {
        const auto phone = after.phones[i].value("phone", "");
        if (!old_phones.count(phone)) {
            probes.push_back({"phones[" + std::to_string(i) + "].phone", "phone", phone});
        }
    }
    return probes;
}

// 409 when another live contact has one of the probed e-mails or phones. The advisory locks
// make a concurrent create of the same person wait for this transaction, then see its row.
void guardDuplicates(pqxx::transaction_base& tx, const std::string& org_id,
                     const std::vector<repo::DuplicateProbe>& probes,
                     const std::optional<std::string>& exclude_id) {
    if (probes.empty()) {
        return;
    }
    std::vector<std::string> keys;
    for (const auto& probe : probes) {
        keys.push_back(probe.kind + ":" + probe.value);
    }
    repo::lockDuplicateKeys(tx, org_id, keys);
    const auto match = repo::findDuplicate(tx, org_id, probes, exclude_id);
    if (!match) {
        return;
    }
    const auto kind = match->field.find("email") != std::string::npos ? "e-mail" : "phone";
    AppError error(core::ErrorCode::Conflict,
                   std::string("Another contact already has this ") + kind +
                       "; send ?allow_duplicate=true to keep both",
                   {}, {core::FieldError{match->field, "is already used by contact " + match->existing_id}});
    error.withExtra("existing_id", match->existing_id);
    error.withExtra("matched_field", match->field);
    error.withExtra("matched_value", match->value);
    throw error;
}

// "A similar name at the same company" warnings for a new contact. Its companies: what its
// sales profile names (text or client) and where its candidate profile says it works.
json similarNameWarnings(pqxx::transaction_base& tx, const core::Actor& actor,
                         const repo::ContactRecord& contact,
                         const std::optional<repo::SalesProfileRecord>& sales,
                         const std::optional<std::string>& client_name,
                         const std::optional<repo::CandidateProfileRecord>& candidate) {
    auto warnings = json::array();
    std::vector<std::string> names;
    const auto add = [&names](const std::optional<std::string>& name) {
        if (name && std::find(names.begin(), names.end(), *name) == names.end()) {
            names.push_back(*name);
        }
    };
    if (sales) {
        add(sales->company_name);
        add(client_name);
    }
    if (candidate) {
        add(candidate->current_employer);
    }
    const std::optional<std::string> client_id = sales ? sales->client_id : std::nullopt;
    if (!client_id && names.empty()) {
        return warnings;
    }
    for (const auto& similar : repo::findSimilarAtCompany(tx, actor.org_id, contact.id,
                                                          contact.first_name, contact.last_name,
                                                          client_id, names)) {
        const auto name = fullName(similar.first_name, similar.last_name);
        warnings.push_back({
            {"type", "possible_duplicate"},
            {"reason", "similar_name_same_company"},
            {"contact_id", similar.id},
            {"name", name},
            {"company", similar.company},
            {"similarity", std::round(similar.similarity * 100) / 100},
            {"message", name + " at " + (similar.company.empty() ? std::string("the same company")
                                                                 : similar.company) +
                            " has a similar name: check that this is not the same person"},
        });
    }
    return warnings;
}

json relationshipSetJson(const std::vector<repo::RelationshipRecord>& links) {
    auto out = json::array();
    for (const auto& link : links) {
        out.push_back({{"client_id", link.client_id},
                       {"role", link.role ? json(*link.role) : json(nullptr)},
                       {"title", link.title ? json(*link.title) : json(nullptr)},
                       {"is_primary_contact", link.is_primary_contact},
                       {"start_date", link.start_date ? json(*link.start_date) : json(nullptr)},
                       {"end_date", link.end_date ? json(*link.end_date) : json(nullptr)}});
    }
    return out;
}

// The history row of a change to a contact's client links: none when the set is the same.
std::vector<repo::HistoryChange> relationshipChanges(const std::vector<repo::RelationshipRecord>& before,
                                                     const std::vector<repo::RelationshipRecord>& after,
                                                     const std::string& field = "client_relationships") {
    return diffFields("contact", std::nullopt, {{field, relationshipSetJson(before)}},
                      {{field, relationshipSetJson(after)}}, {field});
}

// ---------------------------------------------------------------------------------------------
// The two profile kinds share their rules; these traits give each kind's types and SQL.

struct SalesKind {
    using Record = repo::SalesProfileRecord;
    using Input = SalesProfileInput;
    static constexpr repo::ProfileKind kKind = repo::ProfileKind::Sales;
    static constexpr const char* kType = "sales";
    static constexpr Permission kPermission = Permission::SalesProfilesWrite;

    static Record apply(Record base, const Input& input) { return applySales(std::move(base), input); }
    static void check(const Record& r, core::FieldErrors& errors) { checkSales(r, "", errors); }
    static std::optional<Record> lock(pqxx::transaction_base& tx, const std::string& org,
                                      const std::string& contact, const std::string& id) {
        return repo::lockSalesProfile(tx, org, contact, id);
    }
    static Record insert(pqxx::transaction_base& tx, const std::string& org, const Record& r,
                         const std::string& by) {
        return repo::insertSalesProfile(tx, org, r, by);
    }
    static Record update(pqxx::transaction_base& tx, const std::string& org, const Record& r) {
        return repo::updateSalesProfile(tx, org, r);
    }
    static const std::vector<std::string>& fields() { return salesHistoryFields(); }
    static std::optional<std::string> clientId(const Record& r) { return r.client_id; }
    static const Patch<bool>& primaryPatch(const Input& input) { return input.is_primary; }
};

struct CandidateKind {
    using Record = repo::CandidateProfileRecord;
    using Input = CandidateProfileInput;
    static constexpr repo::ProfileKind kKind = repo::ProfileKind::Candidate;
    static constexpr const char* kType = "candidate";
    static constexpr Permission kPermission = Permission::CandidateProfilesWrite;

    static Record apply(Record base, const Input& input) {
        return applyCandidate(std::move(base), input);
    }
    static void check(const Record& r, core::FieldErrors& errors) { checkCandidate(r, "", errors); }
    static std::optional<Record> lock(pqxx::transaction_base& tx, const std::string& org,
                                      const std::string& contact, const std::string& id) {
        return repo::lockCandidateProfile(tx, org, contact, id);
    }
    static Record insert(pqxx::transaction_base& tx, const std::string& org, const Record& r,
                         const std::string& by) {
        return repo::insertCandidateProfile(tx, org, r, by);
    }
    static Record update(pqxx::transaction_base& tx, const std::string& org, const Record& r) {
        return repo::updateCandidateProfile(tx, org, r);
    }
    static const std::vector<std::string>& fields() { return candidateHistoryFields(); }
    static std::optional<std::string> clientId(const Record&) { return std::nullopt; }
    static const Patch<bool>& primaryPatch(const Input& input) { return input.is_primary; }
};

repo::HistoryChange primaryChange(const char* type, const std::string& profile_id, bool from, bool to) {
    return repo::HistoryChange{type, profile_id, "is_primary", from, to};
}

// Demotes the contact's current primary profile of the kind (if any and not `keep_id`), after
// checking that the caller may change it; records the change.
template <typename Kind>
void demoteCurrentPrimary(pqxx::transaction_base& tx, const core::Actor& actor,
                          const repo::ContactRecord& contact, const std::string& keep_id,
                          std::vector<repo::HistoryChange>& changes) {
    const auto current = repo::primaryProfileId(tx, Kind::kKind, actor.org_id, contact.id);
    if (!current || *current == keep_id) {
        return;
    }
    // The caller may own the new primary; the refusal is about the one it would demote.
    requireProfileRights(actor, contact, repo::profileCreator(tx, Kind::kKind, actor.org_id, *current),
                         "Making this profile primary demotes the current primary profile, which only "
                         "its creator, the contact's owner or a manager may change");
    repo::setProfilePrimary(tx, Kind::kKind, actor.org_id, *current, false);
    changes.push_back(primaryChange(Kind::kType, *current, true, false));
}

void requireLiveClient(pqxx::transaction_base& tx, const core::Actor& actor,
                       const std::optional<std::string>& client_id, const std::string& field) {
    if (client_id && !repo::liveClientName(tx, actor.org_id, *client_id)) {
        throw AppError::invalidField(field, "is not a client of your organisation");
    }
}

template <typename Kind>
typename Kind::Record createProfile(db::Pool& pool, const core::Actor& actor,
                                    const std::string& contact_id, const typename Kind::Input& input,
                                    const core::RequestMeta& meta) {
    auto values = Kind::apply(typename Kind::Record{}, input);
    core::FieldErrors errors;
    Kind::check(values, errors);
    errors.throwIfAny();

    auto lease = pool.acquire();
    pqxx::work tx(lease.get());
    // Shared desk: any user whose role writes this kind of profile may add one to any live
    // contact of the organisation; changing existing profiles needs ownership.
    const auto contact = lockLive(tx, actor, contact_id);
    requireLiveClient(tx, actor, Kind::clientId(values), "client_id");
    std::vector<repo::HistoryChange> changes;
    // The first profile of a kind is primary; a new primary demotes the old one first, since
    // the one-primary index is checked row by row.
    if (!repo::primaryProfileId(tx, Kind::kKind, actor.org_id, contact_id)) {
        values.is_primary = true;
    } else if (values.is_primary) {
        demoteCurrentPrimary<Kind>(tx, actor, contact, "", changes);
    }
    values.contact_id = contact_id;
    const auto created = Kind::insert(tx, actor.org_id, values, actor.user_id);
    changes.insert(changes.begin(), repo::HistoryChange{Kind::kType, created.id, "record", nullptr,
                                                        pick(toJson(created), Kind::fields())});
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    tx.commit();
    return created;
}

template <typename Kind>
typename Kind::Record updateProfile(db::Pool& pool, const core::Actor& actor,
                                    const std::string& contact_id, const std::string& profile_id,
                                    const typename Kind::Input& input, std::optional<int> if_match,
                                    const core::RequestMeta& meta) {
    auto lease = pool.acquire();
    pqxx::work tx(lease.get());
    const auto contact = lockLive(tx, actor, contact_id);
    const auto current = Kind::lock(tx, actor.org_id, contact_id, profile_id);
    if (!current) {
        throw AppError::notFound("Profile not found");
    }
    requireProfileRights(actor, contact, current->created_by);
    checkVersion(if_match, current->version, "profile");

    auto values = Kind::apply(*current, input);
    core::FieldErrors errors;
    Kind::check(values, errors);
    const auto& primary = Kind::primaryPatch(input);
    if (primary.present && primary.value && !*primary.value && current->is_primary) {
        errors.add("is_primary", "a contact keeps one primary profile of each kind: make another "
                                 "profile primary instead");
    }
    errors.throwIfAny();
    if (Kind::clientId(values) != Kind::clientId(*current)) {
        requireLiveClient(tx, actor, Kind::clientId(values), "client_id");
    }

    std::vector<repo::HistoryChange> changes;
    if (values.is_primary && !current->is_primary) {
        demoteCurrentPrimary<Kind>(tx, actor, contact, profile_id, changes);
    }
    const auto updated = Kind::update(tx, actor.org_id, values);
    const auto diff = diffFields(Kind::kType, profile_id, toJson(*current), toJson(updated), Kind::fields());
    changes.insert(changes.end(), diff.begin(), diff.end());
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    tx.commit();
    return updated;
}

template <typename Kind>
int deleteProfile(db::Pool& pool, const core::Actor& actor, const std::string& contact_id,
                  const std::string& profile_id, std::optional<int> if_match,
                  const core::RequestMeta& meta) {
    auto lease = pool.acquire();
    pqxx::work tx(lease.get());
    const auto contact = lockLive(tx, actor, contact_id);
    const auto current = Kind::lock(tx, actor.org_id, contact_id, profile_id);
    if (!current) {
        throw AppError::notFound("Profile not found");
    }
    requireProfileRights(actor, contact, current->created_by);
    checkVersion(if_match, current->version, "profile");

    std::vector<repo::HistoryChange> changes;
    const auto deleted = repo::softDeleteProfile(tx, Kind::kKind, actor.org_id, profile_id);
    changes.push_back(repo::HistoryChange{Kind::kType, profile_id, "deleted_at", nullptr, deleted.deleted_at});
    if (current->is_primary) {
        changes.push_back(primaryChange(Kind::kType, profile_id, true, false));
        // The oldest remaining profile of the kind takes over.
        if (const auto next = repo::oldestLiveProfile(tx, Kind::kKind, actor.org_id, contact_id)) {
            repo::setProfilePrimary(tx, Kind::kKind, actor.org_id, *next, true);
            changes.push_back(primaryChange(Kind::kType, *next, false, true));
        }
    }
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    tx.commit();
    return deleted.version;
}

// Undoes a delete: the profile comes back as it was, primary again when the contact has no live
// profile of its kind (its place was given up on delete and another may hold it now).
template <typename Kind>
typename Kind::Record restoreProfile(db::Pool& pool, const core::Actor& actor, const std::string& contact_id,
                                     const std::string& profile_id, std::optional<int> if_match,
                                     const core::RequestMeta& meta) {
    auto lease = pool.acquire();
    pqxx::work tx(lease.get());
    const auto contact = lockLive(tx, actor, contact_id);
    const auto deleted = repo::lockDeletedProfile(tx, Kind::kKind, actor.org_id, contact_id, profile_id);
    if (!deleted) {
        if (Kind::lock(tx, actor.org_id, contact_id, profile_id)) {
            throw AppError::conflict("The profile is not deleted");
        }
        throw AppError::notFound("Profile not found");
    }
    requireProfileRights(actor, contact, deleted->created_by);
    checkVersion(if_match, deleted->version, "profile");

    const bool primary = !repo::primaryProfileId(tx, Kind::kKind, actor.org_id, contact_id);
    repo::restoreProfile(tx, Kind::kKind, actor.org_id, profile_id, primary);
    std::vector<repo::HistoryChange> changes{
        repo::HistoryChange{Kind::kType, profile_id, "deleted_at", deleted->deleted_at, nullptr}};
    if (primary) {
        changes.push_back(primaryChange(Kind::kType, profile_id, false, true));
    }
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    auto restored = Kind::lock(tx, actor.org_id, contact_id, profile_id);
    tx.commit();
    return std::move(restored).value();
}

template <typename Kind>
ContactService::ProfileResult promote(pqxx::work& tx, const core::Actor& actor,
                                      const repo::ContactRecord& contact,
                                      const std::string& profile_id, std::optional<int> if_match,
                                      const core::RequestMeta& meta) {
    if (!actor.can(Kind::kPermission)) {
        throw AppError::forbidden("Your role may not " + std::string(core::toString(Kind::kPermission)));
    }
    auto current = Kind::lock(tx, actor.org_id, contact.id, profile_id);
    if (!current) {
        throw AppError::notFound("Profile not found");
    }
    requireProfileRights(actor, contact, current->created_by);
    checkVersion(if_match, current->version, "profile");
    if (!current->is_primary) {
        std::vector<repo::HistoryChange> changes;
        demoteCurrentPrimary<Kind>(tx, actor, contact, profile_id, changes);
        repo::setProfilePrimary(tx, Kind::kKind, actor.org_id, profile_id, true);
        changes.push_back(primaryChange(Kind::kType, profile_id, false, true));
        repo::insertHistory(tx, actor.org_id, contact.id, changes, actor.user_id, meta.request_id);
        current = Kind::lock(tx, actor.org_id, contact.id, profile_id);
    }
    return ContactService::ProfileResult{toJson(*current), current->version};
}

}  // namespace

ContactService::ContactService(db::Pool& pool, ContactSettings settings)
    : pool_(pool), settings_(std::move(settings)) {}

// ---------------------------------------------------------------------------------------------
// Contacts

ContactService::ListResult ContactService::list(const core::Actor& actor,
                                                const ContactListQuery& query) {
    if (query.include_deleted && !actor.can(Permission::RecordsManageAny)) {
        throw AppError::forbidden("Only managers and admins may list deleted contacts");
    }
    auto lease = pool_.acquire();
    ListResult result;
    const auto run = [&](pqxx::transaction_base& tx) {
        auto page = repo::listContacts(tx, actor.org_id, query.request);
        if (query.include_profiles) {
            std::vector<std::string> ids;
            for (const auto& contact : page.items) {
                ids.emplace_back(contact.id);
            }
            result.profiles = repo::loadProfiles(tx, actor.org_id, ids);
        }
        if (query.with_total) {
            result.total =
                repo::countContacts(tx, actor.org_id, query.request.filter, core::kTotalCountCap);
        }
        if (page.next_keys) {
            result.next_cursor = listCursor(query.list, query.request.sort, *page.next_keys);
        }
        result.rows = std::move(page.rows);
        result.items = std::move(page.items);
    };
    const bool searches = query.request.filter.searchesText();
    if (searches || query.include_profiles || query.with_total) {
        // Several statements, one snapshot: the embedded profiles and the total agree with the
        // page. A text search plans with its indexes, whatever the organisation's size.
        db::SnapshotRead tx(lease.get());
        if (searches) {
            repo::planBitmapScansOnly(tx);
        }
        run(tx);
        tx.commit();
    } else {
        pqxx::nontransaction tx(lease.get());  // one read: autocommit, no BEGIN/COMMIT
        run(tx);
    }
    return result;
}

repo::ContactDetail ContactService::get(const core::Actor& actor, const std::string& contact_id) {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx(lease.get());  // one statement
    auto detail = repo::findContactDetail(tx, actor.org_id, contact_id);
    if (!detail) {
        throw contactNotFound();
    }
    return std::move(*detail);
}

ContactService::Created ContactService::create(const core::Actor& actor,
                                               const CreateContactDto& input,
                                               bool allow_duplicate,
                                               const core::RequestMeta& meta) {
    // Everything that needs no database is checked before the transaction opens.
    auto values = applyContact(repo::ContactRecord{}, input.contact);
    if (!input.contact.owner_id.present) {
        values.owner_id = actor.user_id;  // absent: the caller's; an explicit null: no owner
    }
    core::FieldErrors errors;
    std::optional<repo::SalesProfileRecord> sales;
    if (input.sales_profile) {
        sales = applySales(repo::SalesProfileRecord{}, *input.sales_profile);
        checkSales(*sales, "sales_profile.", errors);
    }
    std::optional<repo::CandidateProfileRecord> candidate;
    if (input.candidate_profile) {
        candidate = applyCandidate(repo::CandidateProfileRecord{}, *input.candidate_profile);
        checkCandidate(*candidate, "candidate_profile.", errors);
    }
    errors.throwIfAny();
    if (sales && !actor.can(Permission::SalesProfilesWrite)) {
        throw AppError::forbidden("Your role may not sales_profiles:write (sales_profile)");
    }
    if (candidate && !actor.can(Permission::CandidateProfilesWrite)) {
        throw AppError::forbidden("Your role may not candidate_profiles:write (candidate_profile)");
    }
    if (values.owner_id != actor.user_id && !actor.can(Permission::RecordsManageAny)) {
        throw AppError::forbidden(
            "Only managers and admins may create a contact for someone else or without an owner");
    }

    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    if (values.owner_id && *values.owner_id != actor.user_id &&
        !db::isActiveOwner(tx, actor.org_id, *values.owner_id)) {
        throw AppError::invalidField("owner_id", "is not an active user of your organisation");
    }
    std::optional<std::string> client_name;
    if (sales && sales->client_id) {
        client_name = repo::liveClientName(tx, actor.org_id, *sales->client_id);
        if (!client_name) {
            throw AppError::invalidField("sales_profile.client_id", "is not a client of your organisation");
        }
    }
    if (!allow_duplicate) {
        guardDuplicates(tx, actor.org_id, duplicateProbes(nullptr, values), std::nullopt);
    }

    Created result;
    auto& detail = result.detail;
    detail.contact = repo::insertContact(tx, actor.org_id, values, actor.user_id,
                                         input.contact.touchesConsent());
    const auto& contact = detail.contact;
    std::vector<repo::HistoryChange> changes{
        {"contact", std::nullopt, "record", nullptr, pick(toJson(contact), contactHistoryFields())}};
    // A new contact's profiles are the first of their kind: primary.
    if (sales) {
        sales->contact_id = contact.id;
        sales->is_primary = true;
        detail.sales_profiles.push_back(repo::insertSalesProfile(tx, actor.org_id, *sales, actor.user_id));
        const auto& created = detail.sales_profiles.back();
        changes.push_back({"sales", created.id, "record", nullptr, pick(toJson(created), salesHistoryFields())});
    }
    if (candidate) {
        candidate->contact_id = contact.id;
        candidate->is_primary = true;
        detail.candidate_profiles.push_back(
            repo::insertCandidateProfile(tx, actor.org_id, *candidate, actor.user_id));
        const auto& created = detail.candidate_profiles.back();
        changes.push_back({"candidate", created.id, "record", nullptr,
                           pick(toJson(created), candidateHistoryFields())});
    }
    detail.contact.has_sales_profile = !detail.sales_profiles.empty();
    detail.contact.has_candidate_profile = !detail.candidate_profiles.empty();
    result.warnings = similarNameWarnings(tx, actor, detail.contact, sales, client_name, candidate);
    repo::insertHistory(tx, actor.org_id, detail.contact.id, changes, actor.user_id, meta.request_id);
    tx.commit();
    return result;
}

repo::ContactDetail ContactService::update(const core::Actor& actor, const std::string& contact_id,
                                           const UpdateContactDto& input, bool allow_duplicate,
                                           std::optional<int> if_match,
                                           const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto current = lockLive(tx, actor, contact_id);
    requireOwnership(actor, current);
    checkVersion(if_match, current.version, "contact");

    const auto values = applyContact(
        current, input.contact.withPhonesReadIn(current.country.value_or(settings_.default_phone_region)));
    if (values.owner_id != current.owner_id) {
        if (!actor.can(Permission::RecordsManageAny)) {
            throw AppError::forbidden("Only managers and admins may reassign a contact");
        }
        if (values.owner_id && !db::isActiveOwner(tx, actor.org_id, *values.owner_id)) {
            throw AppError::invalidField("owner_id", "is not an active user of your organisation");
        }
    }
    if (!allow_duplicate) {
        guardDuplicates(tx, actor.org_id, duplicateProbes(&current, values), contact_id);
    }
    const bool consent_changed = values.marketing_consent != current.marketing_consent ||
                                 values.consent_source != current.consent_source ||
                                 values.lawful_basis != current.lawful_basis;
    const auto updated = repo::updateContact(tx, actor.org_id, values, consent_changed);
    repo::insertHistory(tx, actor.org_id, contact_id,
                        diffFields("contact", std::nullopt, toJson(current), toJson(updated),
                                   contactHistoryFields()),
                        actor.user_id, meta.request_id);
    auto detail = repo::findContactDetail(tx, actor.org_id, contact_id);
    tx.commit();
    return std::move(*detail);
}

int ContactService::remove(const core::Actor& actor, const std::string& contact_id,
                           std::optional<int> if_match, const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto current = lockLive(tx, actor, contact_id);
    requireOwnership(actor, current);
    checkVersion(if_match, current.version, "contact");
    const auto deleted = repo::setContactDeleted(tx, actor.org_id, contact_id, true);
    std::vector<repo::HistoryChange> changes{
        {"contact", std::nullopt, "deleted_at", nullptr, *deleted.deleted_at}};
    // A deleted contact is hidden everywhere, so it must not keep a client's primary-contact
    // place, which only one contact may hold (and which another could then never take): the
    // client gets it back empty, and the history shows the link as it was.
    if (const auto released = repo::releasePrimaryContact(tx, actor.org_id, contact_id); !released.empty()) {
        const auto after = repo::listRelationships(tx, actor.org_id, contact_id);
        auto before = after;
        for (auto& link : before) {
            link.is_primary_contact = link.is_primary_contact ||
                                      std::find(released.begin(), released.end(), link.client_id) != released.end();
        }
        const auto diff = relationshipChanges(before, after);
        changes.insert(changes.end(), diff.begin(), diff.end());
    }
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, "contact.deleted",
                                       std::string("contact"), contact_id,
                                       {{"deleted_at", {{"from", nullptr}, {"to", *deleted.deleted_at}}}}},
                    meta);
    tx.commit();
    return deleted.version;
}

repo::ContactDetail ContactService::restore(const core::Actor& actor, const std::string& contact_id,
                                            bool allow_duplicate, std::optional<int> if_match,
                                            const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto current = repo::lockContact(tx, actor.org_id, contact_id);
    if (!current) {
        throw contactNotFound();
    }
    requireOwnership(actor, *current);
    // Merged is for good: that answer does not depend on which version the caller holds.
    if (current->merged_into_id) {
        // The contact it was merged into holds its details; when that one is deleted too, the
        // way back is to restore it, which the answer says rather than naming a 404.
        const bool survivor_deleted = !repo::findContact(tx, actor.org_id, *current->merged_into_id);
        AppError error(core::ErrorCode::Conflict,
                       survivor_deleted ? "This contact was merged into another one, which is deleted: restore that one "
                                          "(merged_into_id) to get this contact's details back"
                                        : "This contact was merged into another one and cannot be restored");
        error.withExtra("merged_into_id", *current->merged_into_id);
        throw error;
    }
    checkVersion(if_match, current->version, "contact");
    if (current->deleted_at) {
        // While it was deleted, another contact may have been made with its e-mail or phone:
        // coming back is checked like creating it.
        if (!allow_duplicate) {
            guardDuplicates(tx, actor.org_id, duplicateProbes(nullptr, *current), contact_id);
        }
        repo::setContactDeleted(tx, actor.org_id, contact_id, false);
        repo::insertHistory(tx, actor.org_id, contact_id,
                            {{"contact", std::nullopt, "deleted_at", *current->deleted_at, nullptr}},
                            actor.user_id, meta.request_id);
        db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, "contact.restored",
                                           std::string("contact"), contact_id,
                                           {{"deleted_at", {{"from", *current->deleted_at}, {"to", nullptr}}}}},
                        meta);
    }
    auto detail = repo::findContactDetail(tx, actor.org_id, contact_id);
    tx.commit();
    return std::move(*detail);
}

// ---------------------------------------------------------------------------------------------
// Profiles

repo::ContactDetail ContactService::profiles(const core::Actor& actor, const std::string& contact_id) {
    return get(actor, contact_id);
}

namespace {

template <typename Record>
Record takeProfile(std::vector<Record>& profiles, const std::string& profile_id) {
    for (auto& profile : profiles) {
        if (profile.id == profile_id) {
            return std::move(profile);
        }
    }
    throw AppError::notFound("Profile not found");
}

}  // namespace

// The contact's page carries its live profiles: one read, whichever kind is asked for.
repo::SalesProfileRecord ContactService::salesProfile(const core::Actor& actor,
                                                      const std::string& contact_id,
                                                      const std::string& profile_id) {
    auto detail = get(actor, contact_id);
    return takeProfile(detail.sales_profiles, profile_id);
}

repo::CandidateProfileRecord ContactService::candidateProfile(const core::Actor& actor,
                                                              const std::string& contact_id,
                                                              const std::string& profile_id) {
    auto detail = get(actor, contact_id);
    return takeProfile(detail.candidate_profiles, profile_id);
}

repo::SalesProfileRecord ContactService::createSalesProfile(const core::Actor& actor,
                                                            const std::string& contact_id,
                                                            const SalesProfileDto& input,
                                                            const core::RequestMeta& meta) {
    return createProfile<SalesKind>(pool_, actor, contact_id, input.input, meta);
}

repo::SalesProfileRecord ContactService::updateSalesProfile(const core::Actor& actor,
                                                            const std::string& contact_id,
                                                            const std::string& profile_id,
                                                            const SalesProfileDto& input,
                                                            std::optional<int> if_match,
                                                            const core::RequestMeta& meta) {
    return updateProfile<SalesKind>(pool_, actor, contact_id, profile_id, input.input, if_match, meta);
}

int ContactService::deleteSalesProfile(const core::Actor& actor, const std::string& contact_id,
                                       const std::string& profile_id, std::optional<int> if_match,
                                       const core::RequestMeta& meta) {
    return deleteProfile<SalesKind>(pool_, actor, contact_id, profile_id, if_match, meta);
}

repo::SalesProfileRecord ContactService::restoreSalesProfile(const core::Actor& actor,
                                                             const std::string& contact_id,
                                                             const std::string& profile_id,
                                                             std::optional<int> if_match,
                                                             const core::RequestMeta& meta) {
    return restoreProfile<SalesKind>(pool_, actor, contact_id, profile_id, if_match, meta);
}

repo::CandidateProfileRecord ContactService::createCandidateProfile(
    const core::Actor& actor, const std::string& contact_id, const CandidateProfileDto& input,
    const core::RequestMeta& meta) {
    return createProfile<CandidateKind>(pool_, actor, contact_id, input.input, meta);
}

repo::CandidateProfileRecord ContactService::updateCandidateProfile(
    const core::Actor& actor, const std::string& contact_id, const std::string& profile_id,
    const CandidateProfileDto& input, std::optional<int> if_match, const core::RequestMeta& meta) {
    return updateProfile<CandidateKind>(pool_, actor, contact_id, profile_id, input.input, if_match,
                                        meta);
}

int ContactService::deleteCandidateProfile(const core::Actor& actor, const std::string& contact_id,
                                           const std::string& profile_id,
                                           std::optional<int> if_match,
                                           const core::RequestMeta& meta) {
    return deleteProfile<CandidateKind>(pool_, actor, contact_id, profile_id, if_match, meta);
}

repo::CandidateProfileRecord ContactService::restoreCandidateProfile(const core::Actor& actor,
                                                                     const std::string& contact_id,
                                                                     const std::string& profile_id,
                                                                     std::optional<int> if_match,
                                                                     const core::RequestMeta& meta) {
    return restoreProfile<CandidateKind>(pool_, actor, contact_id, profile_id, if_match, meta);
}

ContactService::ProfileResult ContactService::makePrimary(const core::Actor& actor,
                                                          const std::string& contact_id,
                                                          const std::string& profile_id,
                                                          std::optional<int> if_match,
                                                          const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto contact = lockLive(tx, actor, contact_id);
    const auto kind = repo::profileKindOf(tx, actor.org_id, contact_id, profile_id);
    if (!kind) {
        throw AppError::notFound("Profile not found");
    }
    auto result = *kind == repo::ProfileKind::Sales
                      ? promote<SalesKind>(tx, actor, contact, profile_id, if_match, meta)
                      : promote<CandidateKind>(tx, actor, contact, profile_id, if_match, meta);
    tx.commit();
    return result;
}

// ---------------------------------------------------------------------------------------------
// Client relationships

namespace {

// A former contact (whose link to the client ended before today) gives the client's primary
// place up to the contact claiming it: the person left, and whoever took over is the one to
// call. The former contact's links change, so its version moves (once) and its history shows
// the change, made by the claimant. `places`: former contact → the clients it gives up.
void handOverPrimaryPlaces(pqxx::transaction_base& tx, const core::Actor& actor,
                           const std::map<std::string, std::vector<std::string>>& places,
                           const core::RequestMeta& meta) {
    for (const auto& [former_id, client_ids] : places) {
        const auto before = repo::listRelationships(tx, actor.org_id, former_id);
        if (!repo::releaseEndedPrimaryPlaces(tx, actor.org_id, former_id, client_ids)) {
            continue;  // its own change came first
        }
        const auto after = repo::listRelationships(tx, actor.org_id, former_id);
        repo::bumpContactVersion(tx, actor.org_id, former_id);
        repo::insertHistory(tx, actor.org_id, former_id, relationshipChanges(before, after),
                            actor.user_id, meta.request_id);
    }
}

}  // namespace

ContactService::Relationships ContactService::relationships(const core::Actor& actor,
                                                           const std::string& contact_id) {
    auto lease = pool_.acquire();
    db::SnapshotRead tx(lease.get());
    const auto contact = repo::findContact(tx, actor.org_id, contact_id);
    if (!contact) {
        throw contactNotFound();
    }
    return {repo::listRelationships(tx, actor.org_id, contact_id), contact->version};
}

ContactService::Relationships ContactService::replaceRelationships(
    const core::Actor& actor, const std::string& contact_id, const ClientRelationshipsDto& input,
    std::optional<int> if_match, const core::RequestMeta& meta) {
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    const auto contact = lockLive(tx, actor, contact_id);
    requireOwnership(actor, contact);
    checkVersion(if_match, contact.version, "contact");

    // Every client must be a live client of this organisation: 422 naming the entry.
    std::vector<std::string> ids;
    std::vector<std::string> wanted_primary;
    for (const auto& link : input.relationships) {
        ids.push_back(link.client_id);
        if (link.is_primary_contact) {
            wanted_primary.push_back(link.client_id);
        }
    }
    const auto existing = repo::lockClientsOfLinks(tx, actor.org_id, {contact_id}, ids);
    core::FieldErrors errors;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (std::find(existing.begin(), existing.end(), ids[i]) == existing.end()) {
            errors.add("relationships[" + std::to_string(i) + "].client_id",
                       "is not a client of your organisation");
        }
    }
    errors.throwIfAny();
    // One primary contact per client (a database rule): say which entry collides. The places
    // are locked first, so a claim committed meanwhile is seen here, not at the unique index.
    repo::lockPrimaryContactPlaces(tx, actor.org_id, wanted_primary);
    const auto holders = repo::primaryContactsOf(tx, actor.org_id, wanted_primary, contact_id);
    const auto placeTaken = [](std::size_t i, const std::string& holder_id, const std::string& why) {
        const auto field = "relationships[" + std::to_string(i) + "].is_primary_contact";
        AppError error(core::ErrorCode::Conflict, "The client already has another primary contact" + why,
                       {}, {core::FieldError{field, "client already has primary contact " + holder_id}});
        error.withExtra("existing_id", holder_id);
        return error;
    };
    std::map<std::string, std::vector<std::string>> former_places;  // former contact → clients
    std::map<std::string, std::size_t> first_claim;                  // former contact → entry
    for (std::size_t i = 0; i < input.relationships.size(); ++i) {
        const auto& link = input.relationships[i];
        const auto holder = holders.find(link.client_id);
        if (!link.is_primary_contact || holder == holders.end()) {
            continue;
        }
        if (!holder->second.link_ended) {
            throw placeTaken(i, holder->second.contact_id, "");
        }
        former_places[holder->second.contact_id].push_back(link.client_id);
        first_claim.emplace(holder->second.contact_id, i);
    }
    if (!former_places.empty()) {
        // Changing a former contact's link takes the right to change that contact, as demoting
        // another's primary profile does. Locked in id order, as merges lock theirs.
        std::vector<std::string> former_ids;
        for (const auto& [former_id, clients] : former_places) {
            former_ids.push_back(former_id);
        }
        for (const auto& former : repo::lockContacts(tx, actor.org_id, former_ids)) {
            if (!actor.mayManage(former.owner_id)) {
                throw placeTaken(first_claim.at(former.id), former.id,
                                 " (a former contact, whose link has ended, that only its owner or a "
                                 "manager may change)");
            }
        }
        handOverPrimaryPlaces(tx, actor, former_places, meta);
    }

    const auto before = repo::listRelationships(tx, actor.org_id, contact_id);
    repo::replaceRelationships(tx, actor.org_id, contact_id, input.relationships, actor.user_id);
    Relationships result{repo::listRelationships(tx, actor.org_id, contact_id), contact.version};
    const auto changes = relationshipChanges(before, result.links);
    if (!changes.empty()) {
        result.contact_version = repo::bumpContactVersion(tx, actor.org_id, contact_id);
        repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    }
    tx.commit();
    return result;
}

// ---------------------------------------------------------------------------------------------
// History, summary, insights

ContactService::HistoryResult ContactService::history(const core::Actor& actor,
                                                      const std::string& contact_id,
                                                      const std::optional<std::string>& profile_type,
                                                      const SimplePage& page) {
    auto lease = pool_.acquire();
    db::SnapshotRead tx(lease.get());
    if (!repo::findContact(tx, actor.org_id, contact_id)) {
        throw contactNotFound();
    }
    HistoryResult result;
    result.page = repo::listHistory(tx, actor.org_id, contact_id, profile_type, page.limit, page.after);
    if (page.with_total) {
        result.total = repo::countHistory(tx, actor.org_id, contact_id, profile_type, core::kTotalCountCap);
    }
    return result;
}

json ContactService::summary(const core::Actor& actor, const std::string& contact_id) {
    auto lease = pool_.acquire();
    db::SnapshotRead tx(lease.get());
    const auto detail = repo::findContactDetail(tx, actor.org_id, contact_id);
    if (!detail) {
        throw contactNotFound();
    }
    const auto facts = repo::findSummaryFacts(tx, actor.org_id, contact_id).value_or(repo::SummaryFacts{});
    const auto* sales = detail->sales_profiles.empty() ? nullptr : &detail->sales_profiles.front();
    // A buyer recorded by client only is at that client: the text names it, while the profile
    // itself is shown as stored.
    const auto* sales_for_text = sales;
    std::optional<repo::SalesProfileRecord> at_client;
    if (sales != nullptr && !sales->company_name && sales->client_id) {
        at_client = *sales;
        at_client->company_name = repo::liveClientName(tx, actor.org_id, *sales->client_id);
        sales_for_text = &*at_client;
    }
    const auto* candidate =
        detail->candidate_profiles.empty() ? nullptr : &detail->candidate_profiles.front();
    const auto optional = [](const std::optional<std::string>& value) {
        return value ? json(*value) : json(nullptr);
    };
    return {
        {"contact_id", contact_id},
        {"name", fullName(detail->contact.first_name, detail->contact.last_name)},
        {"text", summaryText(detail->contact, sales_for_text, candidate, facts)},
        {"facts",
         {{"has_sales_profile", facts.has_sales_profile},
          {"has_candidate_profile", facts.has_candidate_profile},
          {"is_dual", facts.is_dual},
          {"sales_profile_count", facts.sales_profile_count},
          {"candidate_profile_count", facts.candidate_profile_count},
          {"primary_sales_profile_id", optional(facts.primary_sales_profile_id)},
          {"primary_candidate_profile_id", optional(facts.primary_candidate_profile_id)},
          {"application_count", facts.application_count},
          {"active_application_count", facts.active_application_count},
          {"deal_count", facts.deal_count},
          {"open_deal_count", facts.open_deal_count},
          {"message_count", facts.message_count},
          {"last_activity_at", optional(facts.last_activity_at)}}},
        {"primary_sales_profile", sales ? toJson(*sales) : json(nullptr)},
        {"primary_candidate_profile", candidate ? toJson(*candidate) : json(nullptr)},
    };
}

repo::InsightPage ContactService::insights(const core::Actor& actor,
                                           const std::optional<std::string>& contact_id,
                                           const std::optional<std::string>& type,
                                           const SimplePage& page) {
    auto lease = pool_.acquire();
    db::SnapshotRead tx(lease.get());
    if (contact_id && !repo::findContact(tx, actor.org_id, *contact_id)) {
        throw contactNotFound();
    }
    return repo::listInsights(tx, actor.org_id,
                              repo::InsightQuery{contact_id, type, page.limit, page.after});
}

// ---------------------------------------------------------------------------------------------
// Merge

repo::ContactDetail ContactService::merge(const core::Actor& actor, const std::string& contact_id,
                                          const MergeDto& input, std::optional<int> if_match,
                                          const core::RequestMeta& meta) {
    if (input.other_id == contact_id) {
        throw AppError::invalidField("other_id", "must be another contact than the one merged into");
    }
    auto lease = pool_.acquire();
    pqxx::work tx(lease.get());
    repo::serializeMerges(tx, actor.org_id);
    const auto locked = repo::lockContacts(tx, actor.org_id, {contact_id, input.other_id});
    const auto find = [&locked](const std::string& id) -> const repo::ContactRecord* {
        for (const auto& contact : locked) {
            if (contact.id == id && !contact.deleted_at) {
                return &contact;
            }
        }
        return nullptr;
    };
    const auto* survivor = find(contact_id);
    if (survivor == nullptr) {
        throw contactNotFound();
    }
    const auto* other = find(input.other_id);
    if (other == nullptr) {
        throw AppError::notFound("The contact to merge (other_id) was not found");
    }
    checkVersion(if_match, survivor->version, "contact");

    // The united values first: a merge past the list limits is refused before anything moves.
    std::vector<std::string> filled;
    auto values = mergedValues(*survivor, *other, filled);
    // Only an active user may own a contact: an owner who has left is not carried over.
    if (values.owner_id && values.owner_id != survivor->owner_id &&
        !db::isActiveOwner(tx, actor.org_id, *values.owner_id)) {
        values.owner_id.reset();
        std::erase(filled, std::string("owner_id"));
    }
    // Then the move: the profiles and links the survivor gains count in its flags afterwards.
    // Both contacts' clients hold still until the merge commits, as for a links PUT, so the
    // survivor's links read before and after differ by the merge alone.
    repo::lockClientsOfLinks(tx, actor.org_id, {contact_id, input.other_id}, {});
    const auto links_before = repo::listRelationships(tx, actor.org_id, contact_id);
    const auto hidden_links_before =
        repo::listRelationships(tx, actor.org_id, contact_id, repo::LinkedClients::Deleted);
    const auto moved = repo::moveContactData(tx, actor.org_id, contact_id, input.other_id);
    const bool consent_from_other = values.consent_updated_at != survivor->consent_updated_at;
    const auto updated = repo::updateContact(
        tx, actor.org_id, values, false,
        consent_from_other ? values.consent_updated_at : std::nullopt);
    if (updated.version == survivor->version) {
        // None of its own fields changed, but it gained the other's data: a new version all the
        // same, so an edit made against the old one gets 412.
        repo::bumpContactVersion(tx, actor.org_id, contact_id);
    }
    repo::mergeLastActivity(tx, actor.org_id, contact_id, input.other_id);
    const auto gone = repo::setContactDeleted(tx, actor.org_id, input.other_id, true, contact_id);

    const json moved_json{{"sales_profiles", moved.sales_profiles},
                          {"candidate_profiles", moved.candidate_profiles},
                          {"client_relationships", moved.client_relationships},
                          {"applications", moved.applications},
                          {"deals", moved.deals},
                          {"activities", moved.activities},
                          {"messages", moved.messages},
                          {"history", moved.history},
                          {"project_memberships", moved.project_memberships},
                          {"attachments", moved.attachments}};
    auto changes = diffFields("contact", std::nullopt, toJson(*survivor), toJson(updated),
                              contactHistoryFields());
    changes.push_back({"contact", std::nullopt, "merged_from", nullptr,
                       {{"contact_id", input.other_id},
                        {"name", fullName(other->first_name, other->last_name)},
                        {"moved", moved_json}}});
    // The links it gained or filled in from the other's, as a links PUT records them.
    const auto link_changes = relationshipChanges(links_before, repo::listRelationships(tx, actor.org_id, contact_id));
    changes.insert(changes.end(), link_changes.begin(), link_changes.end());
    // And those to deleted clients, which are not shown but come back with the client: its
    // restore must not show a link the history never recorded.
    const auto hidden_link_changes = relationshipChanges(
        hidden_links_before,
        repo::listRelationships(tx, actor.org_id, contact_id, repo::LinkedClients::Deleted),
        "client_relationships_to_deleted_clients");
    changes.insert(changes.end(), hidden_link_changes.begin(), hidden_link_changes.end());
    // Profile changes are in the history like any other: the other's primaries that lost the
    // primary place to the survivor's.
    for (const auto& id : moved.demoted_sales_profiles) {
        changes.push_back({"sales", id, "is_primary", true, false});
    }
    for (const auto& id : moved.demoted_candidate_profiles) {
        changes.push_back({"candidate", id, "is_primary", true, false});
    }
    repo::insertHistory(tx, actor.org_id, contact_id, changes, actor.user_id, meta.request_id);
    repo::insertHistory(tx, actor.org_id, input.other_id,
                        {{"contact", std::nullopt, "merged_into_id", nullptr, contact_id},
                         {"contact", std::nullopt, "deleted_at", nullptr, *gone.deleted_at}},
                        actor.user_id, meta.request_id);
    for (const auto& id : moved.repointed) {
        repo::insertHistory(tx, actor.org_id, id,
                            {{"contact", std::nullopt, "merged_into_id", input.other_id, contact_id}},
                            actor.user_id, meta.request_id);
    }
    db::recordAudit(tx, db::AuditEntry{actor.org_id, actor.user_id, "contact.merged",
                                       std::string("contact"), contact_id,
                                       {{"merged_from", input.other_id},
                                        {"filled", filled},
                                        {"moved", moved_json}}},
                    meta);
    auto detail = repo::findContactDetail(tx, actor.org_id, contact_id);
    tx.commit();
    return std::move(*detail);
}

}  // namespace crm::contacts
