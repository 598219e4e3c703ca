#pragma once

#include "clients/repository.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::clients {

/// A field of a partial update: absent (nullopt), cleared (a value holding nullopt) or set.
template <typename T>
using Patch = std::optional<std::optional<T>>;

/// The fields of a POST or PUT body, validated and normalised. Absent fields stay absent, so
/// the same type serves a create (applied to the defaults) and a partial update.
struct ClientInput {
    Patch<std::string> name;
    Patch<std::string> domain;
    Patch<std::string> website;
    Patch<std::string> industry;
    Patch<std::string> size;
    Patch<std::string> address_line1;
    Patch<std::string> address_line2;
    Patch<std::string> city;
    Patch<std::string> region;
    Patch<std::string> postal_code;
    Patch<std::string> country;
    Patch<std::string> phone;
    Patch<std::string> status;
    Patch<std::vector<std::string>> tags;
    Patch<std::string> notes;
    Patch<std::string> owner_id;
    /// `phone` as sent by an update that leaves `country` as it is: a number typed without a
    /// country code is read in the client's stored country, known once the row is read
    /// (withPhoneReadIn). Empty otherwise.
    std::optional<nlohmann::json> phone_as_sent;

    /// POST /api/clients: `name` required. Phones without a country code are read in the
    /// request's `country`, else in `phone_region`. Throws one 422 listing every bad, unknown
    /// or read-only field.
    static ClientInput fromCreateJson(const nlohmann::json& body, std::string_view phone_region);
    /// PUT /api/clients/{id}: every field optional; `null` clears a nullable field. Without
    /// `country`, `phone` waits in `phone_as_sent`.
    static ClientInput fromUpdateJson(const nlohmann::json& body, std::string_view phone_region);

    /// This input with `phone_as_sent` read, a national number in `region` (the stored
    /// country, else the default region). Throws a 422 naming `phone`.
    ClientInput withPhoneReadIn(std::string_view region) const;
};

/// POST /api/clients/{id}/assign: `owner_id` required, `null` leaves the client unowned.
struct AssignClientDto {
    std::optional<std::string> owner_id;
    static AssignClientDto fromJson(const nlohmann::json& body);
};

/// `current` with the input's fields applied. When the input sets `website` but not `domain`,
/// the domain is derived from the website if the client has no domain yet or its domain was
/// the old website's (so it follows the website unless someone set it on purpose).
repo::ClientFields applyInput(const repo::ClientFields& current, const ClientInput& input);

/// Every writable field, as the API shows it (also the basis of the audit `changes`).
nlohmann::json fieldsJson(const repo::ClientFields& fields);

/// {"field": {"from", "to"}} for each field that differs. Without `before` (a create), the
/// fields set to a value.
nlohmann::json fieldChanges(const std::optional<repo::ClientFields>& before,
                            const repo::ClientFields& after);

nlohmann::json toJson(const repo::ClientRecord& client);
nlohmann::json toJson(const repo::ClientWithCounts& client);
nlohmann::json toJson(const repo::LinkedContact& link);
nlohmann::json toJson(const repo::ClientJob& job);
nlohmann::json toJson(const repo::ClientProject& project);
nlohmann::json toJson(const repo::HistoryEntry& entry);

/// "EUR 12,000.00" from a currency and a decimal text.
std::string formatMoney(const std::string& currency, const std::string& amount);

/// The summary sentence(s), deterministic for the same facts:
/// "Acme Corp (software, 51-200) is an active client owned by Ada Byron. 4 contacts (primary:
/// Grace Hopper), 2 open jobs, 1 open deal worth EUR 12,000.00, last activity 3 days ago."
std::string summaryText(const repo::SummaryFacts& facts);

/// {"summary": text, "facts": {...the numbers used...}}.
nlohmann::json summaryJson(const repo::SummaryFacts& facts);

}  // namespace crm::clients
