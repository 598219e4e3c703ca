#pragma once

#include "contacts/repository.hpp"
#include "core/error.hpp"
#include "core/query_params.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crm::contacts {

/// One field of a request body: absent (leave it), null (clear it) or a value.
template <typename T>
struct Patch {
    bool present = false;
    std::optional<T> value;
};

/// The contact fields a client may send (create and partial update).
struct ContactInput {
    Patch<std::string> first_name;
    Patch<std::string> last_name;
    Patch<std::string> email;             // lower-cased
    Patch<nlohmann::json> emails;         // [{email, label}], e-mails lower-cased
    Patch<std::string> phone;             // E.164
    Patch<nlohmann::json> phones;         // [{phone, label}], E.164
    Patch<std::string> city;
    Patch<std::string> country;           // ISO 3166-1 alpha-2, upper case
    Patch<std::string> linkedin_url;
    Patch<std::string> owner_id;
    Patch<std::string> source;
    Patch<std::vector<std::string>> tags;  // lower-cased, distinct
    Patch<bool> marketing_consent;
    Patch<std::string> consent_source;
    Patch<std::string> lawful_basis;
    Patch<bool> do_not_contact;
    /// `phone` and `phones` as sent, when an update without `country` sends them: a number
    /// typed without a country code is read in the contact's stored country, known only once
    /// the row is read (withPhonesReadIn). Empty otherwise.
    std::optional<nlohmann::json> phones_as_sent;

    /// This input with `phones_as_sent` read, national numbers in `region` (the stored
    /// country, else the default region). Throws a 422 naming `phone` or `phones[i].phone`.
    ContactInput withPhonesReadIn(const std::string& region) const;

    /// True when a consent field is sent (consent_updated_at is stamped when they change).
    bool touchesConsent() const {
        return marketing_consent.present || consent_source.present || lawful_basis.present;
    }
};

struct SalesProfileInput {
    Patch<std::string> client_id;
    Patch<std::string> company_name;
    Patch<std::string> title;
    Patch<std::string> department;
    Patch<std::string> decision_role;
    Patch<std::string> budget;  // canonical decimal text
    Patch<std::string> currency;
    Patch<std::string> lead_status;
    Patch<long long> lead_score;
    Patch<std::string> notes;
    Patch<bool> is_primary;
};

struct CandidateProfileInput {
    Patch<std::string> headline;
    Patch<std::string> summary;
    Patch<nlohmann::json> skills;  // [{name, level}]
    Patch<std::string> years_experience;
    Patch<std::string> seniority;
    Patch<std::string> current_salary;
    Patch<std::string> desired_salary_min;
    Patch<std::string> desired_salary_max;
    Patch<std::string> currency;
    Patch<std::vector<std::string>> desired_locations;
    Patch<std::string> remote_preference;
    Patch<std::string> available_from;
    Patch<long long> notice_period_days;
    Patch<std::string> work_authorization;
    Patch<std::string> current_employer;
    Patch<std::string> current_title;
    Patch<bool> is_primary;
};

/// POST /api/contacts: a contact and, optionally, its first profiles (one transaction).
struct CreateContactDto {
    ContactInput contact;
    std::optional<SalesProfileInput> sales_profile;
    std::optional<CandidateProfileInput> candidate_profile;
    /// Phones without a country code are read in `phone_region`. Throws one 422 listing every
    /// bad field, nested ones as `candidate_profile.desired_salary_min` or `phones[1].phone`.
    static CreateContactDto fromJson(const nlohmann::json& body, const std::string& phone_region);
};

/// PUT /api/contacts/{id}: only the fields sent change; null clears a nullable field.
struct UpdateContactDto {
    ContactInput contact;
    static UpdateContactDto fromJson(const nlohmann::json& body, const std::string& phone_region);
};

/// POST (create = true: the body is a new profile) or PUT (partial) of a sales profile.
struct SalesProfileDto {
    SalesProfileInput input;
    static SalesProfileDto fromJson(const nlohmann::json& body, bool create);
};

struct CandidateProfileDto {
    CandidateProfileInput input;
    static CandidateProfileDto fromJson(const nlohmann::json& body, bool create);
};

/// PUT /api/contacts/{id}/client-relationships: the contact's whole set of client links.
struct ClientRelationshipsDto {
    std::vector<repo::RelationshipValues> relationships;
    static ClientRelationshipsDto fromJson(const nlohmann::json& body);
};

/// POST /api/contacts/{id}/merge: `other_id` is merged into the contact of the path.
struct MergeDto {
    std::string other_id;
    static MergeDto fromJson(const nlohmann::json& body);
};

// ---------------------------------------------------------------------------------------------
// Query strings

/// GET /api/contacts: filters, sort, page and include. Throws a 422 naming the parameter.
struct ContactListQuery {
    repo::ListRequest request;
    bool with_total = false;
    bool include_profiles = false;
    /// The caller asked for deleted rows too (only managers and admins may).
    bool include_deleted = false;
    /// The list's request path: its cursors are good for it alone.
    std::string list;
};
/// `phone_region` reads a phone number typed in national form in `q` (see searchTerms).
ContactListQuery parseContactListQuery(const core::QueryParams& query, std::string_view list,
                                       std::string_view phone_region);

/// A cursor of the list at `list` for `sort` with its keys; the list routes hand these out.
std::string listCursor(std::string_view list, const std::string& sort, const nlohmann::json& keys);

/// `q` as the list searches it, each text found anywhere (the SQL folds it with crm_fold and
/// makes it a LIKE pattern with crm_like_literal): the text over search_text (for a phone-like
/// text, its digits), `q` as typed over company names, and for a phone number typed as dialled
/// its digits as E.164 has them (core::phoneSearchDigits in `phone_region`), over search_text
/// too. nullopt when `q` has fewer than three characters (trigrams need three).
struct SearchTerms {
    std::string text;
    std::string company;
    std::optional<std::string> dialled;
    /// `text` is one or two characters of a Chinese, Japanese or Korean name, searched as a
    /// whole name (ContactFilter::name_key) rather than as a substring.
    bool whole_name = false;
};
std::optional<SearchTerms> searchTerms(const std::string& q, std::string_view phone_region);

/// Limit, cursor and with_total of the history and insight lists (fixed sort, newest first or
/// by type), with a cursor of `arity` keys; `list` (the request path) and `name` bind cursors
/// to the list they came from.
/// Parameters other than `allowed`, and repeated ones, are a 422 naming them.
struct SimplePage {
    int limit = 50;
    std::optional<nlohmann::json> after;
    bool with_total = false;
};
/// Throws one 422 naming every bad parameter: its own and those already in `errors`.
SimplePage parseSimplePage(const core::QueryParams& query, std::string_view list, const std::string& name,
                           std::size_t arity, const std::vector<std::string>& allowed,
                           core::FieldErrors& errors);

// ---------------------------------------------------------------------------------------------
// Applying input to rows, and the rules spanning fields

/// The row after the patch (absent fields keep their value, null clears).
repo::ContactRecord applyContact(repo::ContactRecord base, const ContactInput& input);
repo::SalesProfileRecord applySales(repo::SalesProfileRecord base, const SalesProfileInput& input);
repo::CandidateProfileRecord applyCandidate(repo::CandidateProfileRecord base,
                                            const CandidateProfileInput& input);

/// Rules across fields of a whole profile, field names prefixed with `prefix`: a currency
/// whenever an amount is set, desired_salary_min <= desired_salary_max.
void checkSales(const repo::SalesProfileRecord& profile, const std::string& prefix,
                core::FieldErrors& errors);
void checkCandidate(const repo::CandidateProfileRecord& profile, const std::string& prefix,
                    core::FieldErrors& errors);

/// Compares two canonical decimal texts ("-12.5", "1250.50"): <0, 0, >0.
int compareDecimal(const std::string& a, const std::string& b);

// ---------------------------------------------------------------------------------------------
// JSON out

/// Appends the record's JSON object to `out` (the one definition of each shape; the toJson()
/// below parse it). Hot paths write responses with these directly.
void appendJson(std::string& out, const repo::ContactRecord& contact);
void appendJson(std::string& out, const repo::ContactView& contact);
void appendJson(std::string& out, const repo::SalesProfileRecord& profile);
void appendJson(std::string& out, const repo::CandidateProfileRecord& profile);
/// A contact with its `sales_profiles` and `candidate_profiles` (and `warnings` if given).
void appendJson(std::string& out, const repo::ContactRecord& contact,
                const std::vector<repo::SalesProfileRecord>& sales,
                const std::vector<repo::CandidateProfileRecord>& candidates,
                const std::optional<nlohmann::json>& warnings = std::nullopt);
void appendJson(std::string& out, const repo::ContactView& contact,
                const std::vector<repo::SalesProfileRecord>& sales,
                const std::vector<repo::CandidateProfileRecord>& candidates);
/// The contact of a detail with its profile lists, as response text.
std::string jsonText(const repo::ContactDetail& detail,
                     const std::optional<nlohmann::json>& warnings = std::nullopt);

nlohmann::json toJson(const repo::ContactRecord& contact);
nlohmann::json toJson(const repo::SalesProfileRecord& profile);
nlohmann::json toJson(const repo::CandidateProfileRecord& profile);
/// The contact with `sales_profiles`, `candidate_profiles` and the profile flags.
nlohmann::json toJson(const repo::ContactDetail& detail);
nlohmann::json toJson(const repo::RelationshipRecord& relationship);
nlohmann::json toJson(const repo::HistoryRecord& entry);

/// {"sales_profiles": [...], "candidate_profiles": [...], has_*, is_dual}.
nlohmann::json profilesJson(const std::vector<repo::SalesProfileRecord>& sales,
                            const std::vector<repo::CandidateProfileRecord>& candidates);

// ---------------------------------------------------------------------------------------------
// Field history

/// The fields whose changes the history records, per record kind.
const std::vector<std::string>& contactHistoryFields();
const std::vector<std::string>& salesHistoryFields();
const std::vector<std::string>& candidateHistoryFields();

/// One history change per field of `fields` whose JSON differs between `before` and `after`.
std::vector<repo::HistoryChange> diffFields(const std::string& profile_type,
                                            const std::optional<std::string>& profile_id,
                                            const nlohmann::json& before,
                                            const nlohmann::json& after,
                                            const std::vector<std::string>& fields);

/// The listed fields of `record` (a creation is recorded as one `record` row holding them).
nlohmann::json pick(const nlohmann::json& record, const std::vector<std::string>& fields);

}  // namespace crm::contacts
