#pragma once

#include "contacts/dto.hpp"
#include "contacts/repository.hpp"
#include "core/access.hpp"
#include "core/request_meta.hpp"
#include "db/pool.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crm::contacts {

struct ContactSettings {
    std::string default_phone_region = "US";  // CRM_DEFAULT_PHONE_REGION
};

/// Contacts with their sales and candidate profiles, relationships, history and insights.
/// Every method is one unit of work; a contact of another organisation is always NotFound.
/// Writes need the route's permission (checked by the router) and, on an existing contact,
/// ownership (Actor::mayManage on the locked row); docs/contacts.md states the rules.
class ContactService {
public:
    ContactService(db::Pool& pool, ContactSettings settings);

    const ContactSettings& settings() const { return settings_; }

    struct ListResult {
        pqxx::result rows;  // what `items` view
        std::vector<repo::ContactView> items;
        std::optional<repo::ProfileSet> profiles;  // with include=profiles
        std::optional<std::string> next_cursor;
        std::optional<long long> total;
    };
    /// include_deleted needs records:manage_any (403 otherwise).
    ListResult list(const core::Actor& actor, const ContactListQuery& query);

    repo::ContactDetail get(const core::Actor& actor, const std::string& contact_id);

    struct Created {
        repo::ContactDetail detail;
        nlohmann::json warnings = nlohmann::json::array();
    };
    /// The contact and its optional profiles in one transaction. A live contact with the same
    /// e-mail or phone is a 409 (existing_id, matched_field) unless `allow_duplicate`; a similar
    /// name at the same company only adds a warning.
    Created create(const core::Actor& actor, const CreateContactDto& input, bool allow_duplicate,
                   const core::RequestMeta& meta);

    repo::ContactDetail update(const core::Actor& actor, const std::string& contact_id,
                               const UpdateContactDto& input, bool allow_duplicate,
                               std::optional<int> if_match, const core::RequestMeta& meta);

    /// Soft delete; returns the version the delete left, which a conditional restore names.
    int remove(const core::Actor& actor, const std::string& contact_id,
               std::optional<int> if_match, const core::RequestMeta& meta);

    /// Undoes a soft delete (a live contact is returned as it is); a merged contact cannot be
    /// restored (409), nor one whose e-mail or phone another live contact took meanwhile (409
    /// with existing_id) unless `allow_duplicate`. `if_match` is the deleted contact's version.
    repo::ContactDetail restore(const core::Actor& actor, const std::string& contact_id,
                                bool allow_duplicate, std::optional<int> if_match,
                                const core::RequestMeta& meta);

    repo::ContactDetail profiles(const core::Actor& actor, const std::string& contact_id);
    /// One live profile of the contact (404 for a deleted one or another contact's).
    repo::SalesProfileRecord salesProfile(const core::Actor& actor, const std::string& contact_id,
                                          const std::string& profile_id);
    repo::CandidateProfileRecord candidateProfile(const core::Actor& actor, const std::string& contact_id,
                                                  const std::string& profile_id);

    repo::SalesProfileRecord createSalesProfile(const core::Actor& actor,
                                                const std::string& contact_id,
                                                const SalesProfileDto& input,
                                                const core::RequestMeta& meta);
    repo::SalesProfileRecord updateSalesProfile(const core::Actor& actor,
                                                const std::string& contact_id,
                                                const std::string& profile_id,
                                                const SalesProfileDto& input,
                                                std::optional<int> if_match,
                                                const core::RequestMeta& meta);
    /// Soft delete; returns the version the delete left, which a conditional restore names.
    int deleteSalesProfile(const core::Actor& actor, const std::string& contact_id,
                           const std::string& profile_id, std::optional<int> if_match,
                           const core::RequestMeta& meta);
    /// Undoes a profile's delete, on a live contact, with the rights its change needs; 409 when
    /// it is not deleted. Primary again if the contact has no live profile of the kind.
    repo::SalesProfileRecord restoreSalesProfile(const core::Actor& actor, const std::string& contact_id,
                                                 const std::string& profile_id, std::optional<int> if_match,
                                                 const core::RequestMeta& meta);

    repo::CandidateProfileRecord createCandidateProfile(const core::Actor& actor,
                                                        const std::string& contact_id,
                                                        const CandidateProfileDto& input,
                                                        const core::RequestMeta& meta);
    repo::CandidateProfileRecord updateCandidateProfile(const core::Actor& actor,
                                                        const std::string& contact_id,
                                                        const std::string& profile_id,
                                                        const CandidateProfileDto& input,
                                                        std::optional<int> if_match,
                                                        const core::RequestMeta& meta);
    int deleteCandidateProfile(const core::Actor& actor, const std::string& contact_id,
                               const std::string& profile_id, std::optional<int> if_match,
                               const core::RequestMeta& meta);
    repo::CandidateProfileRecord restoreCandidateProfile(const core::Actor& actor,
                                                         const std::string& contact_id,
                                                         const std::string& profile_id,
                                                         std::optional<int> if_match,
                                                         const core::RequestMeta& meta);

    struct ProfileResult {
        nlohmann::json body;
        int version = 1;
    };
    /// Makes a live profile of either kind the primary one of its kind (the previous primary is
    /// demoted first, in the same transaction). Needs the kind's write permission.
    ProfileResult makePrimary(const core::Actor& actor, const std::string& contact_id,
                              const std::string& profile_id, std::optional<int> if_match,
                              const core::RequestMeta& meta);

    /// A contact's client links, with the contact's version: the links are part of the
    /// contact, and replacing them gives it a new version.
    struct Relationships {
        std::vector<repo::RelationshipRecord> links;
        int contact_version = 1;
    };
    Relationships relationships(const core::Actor& actor, const std::string& contact_id);
    /// Replaces the contact's whole set of client links; `if_match` is the contact's version.
    Relationships replaceRelationships(const core::Actor& actor, const std::string& contact_id,
                                       const ClientRelationshipsDto& input,
                                       std::optional<int> if_match, const core::RequestMeta& meta);

    struct HistoryResult {
        repo::HistoryPage page;
        std::optional<long long> total;
    };
    HistoryResult history(const core::Actor& actor, const std::string& contact_id,
                          const std::optional<std::string>& profile_type, const SimplePage& page);

    /// {contact_id, name, text, facts, primary_sales_profile, primary_candidate_profile}.
    nlohmann::json summary(const core::Actor& actor, const std::string& contact_id);

    /// Insights of one contact (`contact_id`) or of the whole organisation.
    repo::InsightPage insights(const core::Actor& actor, const std::optional<std::string>& contact_id,
                               const std::optional<std::string>& type, const SimplePage& page);

    /// Merges `input.other_id` into `contact_id` (see docs/contacts.md, "Merge").
    repo::ContactDetail merge(const core::Actor& actor, const std::string& contact_id,
                              const MergeDto& input, std::optional<int> if_match,
                              const core::RequestMeta& meta);

private:
    db::Pool& pool_;
    ContactSettings settings_;
};

}  // namespace crm::contacts
