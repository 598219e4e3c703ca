#pragma once

#include "contacts/repository.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

/// Pure business rules of contacts: no database, no HTTP; unit-tested in
/// tests/unit/contacts_test.cpp.
namespace crm::contacts {

/// "First Last", or the first name alone.
std::string fullName(const std::string& first_name, const std::optional<std::string>& last_name);

/// The deterministic summary of a contact: the same facts always give the same text (no
/// relative times, no model). `sales` / `candidate` are the primary profiles, if any.
std::string summaryText(const repo::ContactRecord& contact, const repo::SalesProfileRecord* sales,
                        const repo::CandidateProfileRecord* candidate,
                        const repo::SummaryFacts& facts);

/// The insight types, as `type` values and in list order.
const std::vector<std::string>& insightTypes();

/// One insight as the API shows it: type, contact, client, message and the type's figures.
nlohmann::json insightJson(const repo::InsightRow& row);

/// The most tags, and the most secondary e-mails or phones, a contact carries: what a request may
/// send and what a merge may unite.
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxSecondaryContactPoints = 20;

/// What the survivor of a merge looks like: its own values, empty fields filled from `other`,
/// tags, e-mails and phones united (the other's main e-mail and phone join the lists when the
/// survivor has its own), do_not_contact if either says so, and the consent fields of whichever
/// record changed consent last. `filled` receives the names of the fields taken from `other`.
/// Tags are folded again (rows stored before migration 0014 may differ in case). A union over
/// kMaxTags or kMaxSecondaryContactPoints is a 422 naming the list: nothing is dropped, and the
/// survivor stays editable.
repo::ContactRecord mergedValues(const repo::ContactRecord& survivor,
                                 const repo::ContactRecord& other, std::vector<std::string>& filled);

/// Orders two RFC 3339 UTC timestamps as this API prints them ("...:05Z", "...:05.25Z").
bool timestampBefore(const std::string& a, const std::string& b);

}  // namespace crm::contacts
