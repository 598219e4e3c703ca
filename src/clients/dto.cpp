#include "clients/dto.hpp"

#include "core/phone.hpp"
#include "core/validation.hpp"
#include "core/web_address.hpp"

namespace crm::clients {
namespace {

using core::ObjectReader;

const std::vector<std::string> kSizes{"1-10",     "11-50",     "51-200", "201-500",
                                      "501-1000", "1001-5000", "5001+"};
const std::vector<std::string> kStatuses{"prospect", "active", "inactive", "churned"};

constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxTagLength = 50;

template <typename T>
Patch<T> cleared() {
    return Patch<T>{std::optional<T>{}};
}

template <typename T>
Patch<T> set(std::optional<T> value) {
    return Patch<T>{std::move(value)};
}

/// A nullable text field: absent, null or blank (cleared), or trimmed text of 1..max.
Patch<std::string> textPatch(ObjectReader& in, std::string_view key, std::size_t max,
                             core::TextLines lines = core::TextLines::One) {
    if (!in.has(key)) {
        return std::nullopt;
    }
    return set(in.optionalText(key, 0, max, lines));
}

/// A text field that must keep a value: null or blank is refused.
Patch<std::string> requiredTextPatch(ObjectReader& in, std::string_view key, std::size_t max) {
    if (!in.has(key)) {
        return std::nullopt;
    }
    if (in.isNull(key)) {
        in.optionalJson(key);
        in.fail(key, "cannot be removed");
        return std::nullopt;
    }
    return set(in.optionalText(key, 1, max));
}

/// A nullable text field whose value is normalised; `normalize` returning nullopt is a 422
/// with `message`, or with what `explain` says of the text when it says something.
template <typename Normalize>
Patch<std::string> normalizedPatch(ObjectReader& in, std::string_view key, std::size_t max,
                                   Normalize normalize, std::string_view message,
                                   std::optional<std::string_view> (*explain)(std::string_view) = nullptr) {
    auto patch = textPatch(in, key, max);
    if (patch && *patch) {
        if (const auto why = explain ? explain(**patch) : std::nullopt) {
            in.fail(key, *why);
            return std::nullopt;
        }
        auto normalized = normalize(**patch);
        if (!normalized) {
            in.fail(key, message);
            return std::nullopt;
        }
        return set(std::optional<std::string>(std::move(*normalized)));
    }
    return patch;
}

Patch<std::string> enumPatch(ObjectReader& in, std::string_view key,
                             const std::vector<std::string>& allowed, bool nullable) {
    if (!in.has(key)) {
        return std::nullopt;
    }
    if (in.isNull(key)) {
        in.optionalJson(key);
        if (!nullable) {
            in.fail(key, "cannot be removed");
            return std::nullopt;
        }
        return cleared<std::string>();
    }
    return set(in.optionalEnum(key, allowed));
}

std::optional<std::string> normalizeCountry(const std::string& text) {
    std::string upper = text;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!core::isCountryCode(upper)) {
        return std::nullopt;
    }
    return upper;
}

// `phone` in E.164, read in `region`; without one, as typed once its shape is checked.
Patch<std::string> phonePatch(ObjectReader& in, const std::optional<std::string>& region) {
    return normalizedPatch(
        in, "phone", 40, [&region](const std::string& text) { return core::phoneOrTyped(text, region); },
        "must be a complete phone number such as +44 20 7946 0123");
}

ClientInput readInput(const nlohmann::json& body, std::string_view phone_region, bool create) {
    core::FieldErrors errors;
    ObjectReader in(body, errors);
    ClientInput input;
    if (create) {
        input.name = set(std::optional<std::string>(in.requiredText("name", 1, 200)));
    } else {
        input.name = requiredTextPatch(in, "name", 200);
    }
    input.domain = normalizedPatch(in, "domain", core::kMaxWebsiteLength, core::normalizeDomain,
                                   "must be a domain name such as acme.com");
    input.website = normalizedPatch(
        in, "website", core::kMaxWebsiteLength, core::normalizeWebsite,
        "must be an http(s) address such as https://acme.com, at most 2048 characters with its scheme",
        [](std::string_view url) -> std::optional<std::string_view> {
            if (core::hasCredentials(url)) {
                return "must not hold a user name or password (user:password@)";
            }
            return std::nullopt;
        });
    input.industry = textPatch(in, "industry", 100);
    input.size = enumPatch(in, "size", kSizes, true);
    input.address_line1 = textPatch(in, "address_line1", 200);
    input.address_line2 = textPatch(in, "address_line2", 200);
    input.city = textPatch(in, "city", 100);
    input.region = textPatch(in, "region", 100);
    input.postal_code = textPatch(in, "postal_code", 20);
    input.country = normalizedPatch(in, "country", 10, normalizeCountry,
                                    "must be an ISO 3166 alpha-2 country code such as DE");
    // Numbers without a country code are read in the client's own country ("01 42 68 53 00"
    // in FR): the one the request names, else (a create, or a country cleared) the default
    // region. An update that leaves the country as it is reads them once the stored one is known.
    if (create || in.has("country")) {
        input.phone = phonePatch(in, input.country && *input.country ? **input.country
                                                                      : std::string(phone_region));
    } else if (in.has("phone")) {
        input.phone_as_sent = nlohmann::json{{"phone", in.optionalJson("phone").value_or(nullptr)}};
        phonePatch(in, std::nullopt);  // all that needs no region now, with the other fields' errors
    }
    input.status = enumPatch(in, "status", kStatuses, false);
    if (in.has("tags")) {
        if (in.isNull("tags")) {
            in.optionalJson("tags");
            input.tags = set(std::optional<std::vector<std::string>>(std::vector<std::string>{}));
        } else {
            input.tags = set(in.optionalTextList("tags", kMaxTags, kMaxTagLength, core::foldTag));
        }
    }
    input.notes = textPatch(in, "notes", 10000, core::TextLines::Many);
    if (in.isNull("owner_id")) {
        in.optionalJson("owner_id");
        input.owner_id = cleared<std::string>();  // no owner
    } else if (in.has("owner_id")) {
        input.owner_id = set(in.optionalUuid("owner_id"));
    }
    in.forbid("id", "is assigned by the server");
    in.forbid("org_id", "clients stay in your own organisation");
    in.forbid("created_at", "is set by the server");
    in.forbid("updated_at", "is set by the server");
    in.forbid("created_by", "is set by the server");
    in.forbid("version", "is set by the server; send If-Match to guard an update");
    in.forbid("deleted_at", "use DELETE /api/clients/{id} and POST /api/clients/{id}/restore");
    in.finish();
    errors.throwIfAny();
    return input;
}

template <typename T>
void apply(std::optional<T>& target, const Patch<T>& patch) {
    if (patch) {
        target = *patch;
    }
}

nlohmann::json optionalJson(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

/// "a/an <status> client", the phrase of the summary's first sentence.
std::string statusPhrase(const std::string& status) {
    if (status == "active") {
        return "an active client";
    }
    if (status == "inactive") {
        return "an inactive client";
    }
    if (status == "churned") {
        return "a churned client";
    }
    return "a prospective client";
}

/// "no open jobs", "1 open job", "2 open jobs".
std::string counted(long long n, const std::string& singular, const std::string& plural) {
    if (n == 0) {
        return "no " + plural;
    }
    return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

ClientInput ClientInput::fromCreateJson(const nlohmann::json& body, std::string_view phone_region) {
    return readInput(body, phone_region, true);
}

ClientInput ClientInput::fromUpdateJson(const nlohmann::json& body, std::string_view phone_region) {
    return readInput(body, phone_region, false);
}

ClientInput ClientInput::withPhoneReadIn(std::string_view region) const {
    ClientInput read = *this;
    if (!phone_as_sent) {
        return read;
    }
    core::FieldErrors errors;
    ObjectReader in(*phone_as_sent, errors);
    read.phone = phonePatch(in, std::string(region));
    in.finish();
    errors.throwIfAny();
    read.phone_as_sent.reset();
    return read;
}

AssignClientDto AssignClientDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    ObjectReader in(body, errors);
    AssignClientDto dto;
    if (!in.has("owner_id")) {
        in.fail("owner_id", "is required (null leaves the client without an owner)");
    }
    dto.owner_id = in.optionalUuid("owner_id");
    in.finish();
    errors.throwIfAny();
    return dto;
}

repo::ClientFields applyInput(const repo::ClientFields& current, const ClientInput& input) {
    if (input.phone_as_sent) {
        throw std::logic_error("applyInput: phone not read yet (withPhoneReadIn)");
    }
    repo::ClientFields next = current;
    if (input.name && *input.name) {
        next.name = **input.name;
    }
    apply(next.domain, input.domain);
    apply(next.website, input.website);
    apply(next.industry, input.industry);
    apply(next.size, input.size);
    apply(next.address_line1, input.address_line1);
    apply(next.address_line2, input.address_line2);
    apply(next.city, input.city);
    apply(next.region, input.region);
    apply(next.postal_code, input.postal_code);
    apply(next.country, input.country);
    apply(next.phone, input.phone);
    if (input.status && *input.status) {
        next.status = **input.status;
    }
    if (input.tags && *input.tags) {
        next.tags = **input.tags;
    }
    apply(next.notes, input.notes);
    apply(next.owner_id, input.owner_id);

    // The domain follows a new website unless it was given, or set apart from the website; a
    // domain that came from the website goes with it when the website is cleared (kept, it
    // would look set apart, and the next website would no longer renew it).
    if (!input.domain && input.website && *input.website != current.website) {
        const auto old_website_domain =
            current.website ? core::normalizeDomain(*current.website) : std::nullopt;
        if (!current.domain || current.domain == old_website_domain) {
            next.domain = *input.website ? core::normalizeDomain(**input.website) : std::nullopt;
        }
    }
    return next;
}

nlohmann::json fieldsJson(const repo::ClientFields& f) {
    return {
        {"name", f.name},
        {"domain", optionalJson(f.domain)},
        {"website", optionalJson(f.website)},
        {"industry", optionalJson(f.industry)},
        {"size", optionalJson(f.size)},
        {"address_line1", optionalJson(f.address_line1)},
        {"address_line2", optionalJson(f.address_line2)},
        {"city", optionalJson(f.city)},
        {"region", optionalJson(f.region)},
        {"postal_code", optionalJson(f.postal_code)},
        {"country", optionalJson(f.country)},
        {"phone", optionalJson(f.phone)},
        {"status", f.status},
        {"tags", f.tags},
        {"notes", optionalJson(f.notes)},
        {"owner_id", optionalJson(f.owner_id)},
    };
}

nlohmann::json fieldChanges(const std::optional<repo::ClientFields>& before,
                            const repo::ClientFields& after) {
    const auto to = fieldsJson(after);
    const auto from = before ? fieldsJson(*before) : nlohmann::json::object();
    auto changes = nlohmann::json::object();
    for (const auto& [key, value] : to.items()) {
        if (!before) {
            if (!value.is_null() && !(value.is_array() && value.empty())) {
                changes[key] = {{"from", nullptr}, {"to", value}};
            }
        } else if (from.at(key) != value) {
            changes[key] = {{"from", from.at(key)}, {"to", value}};
        }
    }
    return changes;
}

nlohmann::json toJson(const repo::ClientRecord& client) {
    auto body = fieldsJson(client.fields);
    body["id"] = client.id;
    body["created_by"] = optionalJson(client.created_by);
    body["created_at"] = client.created_at;
    body["updated_at"] = client.updated_at;
    body["deleted_at"] = optionalJson(client.deleted_at);
    body["version"] = client.version;
    return body;
}

nlohmann::json toJson(const repo::ClientWithCounts& client) {
    auto body = toJson(client.client);
    body["counts"] = {
        {"contacts", client.counts.contacts},
        {"open_jobs", client.counts.open_jobs},
        {"open_deals", client.counts.open_deals},
        {"projects", client.counts.projects},
    };
    return body;
}

nlohmann::json toJson(const repo::LinkedContact& link) {
    return {
        {"link_id", link.link_id},
        {"role", optionalJson(link.role)},
        {"title", optionalJson(link.title)},
        {"is_primary_contact", link.is_primary_contact},
        {"start_date", optionalJson(link.start_date)},
        {"end_date", optionalJson(link.end_date)},
        {"linked_at", link.linked_at},
        {"contact",
         {
             {"id", link.contact_id},
             {"first_name", link.first_name},
             {"last_name", optionalJson(link.last_name)},
             {"email", optionalJson(link.email)},
             {"phone", optionalJson(link.phone)},
             {"city", optionalJson(link.city)},
             {"country", optionalJson(link.country)},
             {"owner_id", optionalJson(link.owner_id)},
         }},
    };
}

nlohmann::json toJson(const repo::ClientJob& job) {
    return {
        {"id", job.id},
        {"title", job.title},
        {"status", job.status},
        {"seniority", optionalJson(job.seniority)},
        {"location", optionalJson(job.location)},
        {"remote", optionalJson(job.remote)},
        {"employment_type", optionalJson(job.employment_type)},
        {"openings", job.openings},
        {"salary_min", optionalJson(job.salary_min)},
        {"salary_max", optionalJson(job.salary_max)},
        {"currency", optionalJson(job.currency)},
        {"owner_id", optionalJson(job.owner_id)},
        {"opened_at", optionalJson(job.opened_at)},
        {"closes_at", optionalJson(job.closes_at)},
        {"created_at", job.created_at},
        {"updated_at", job.updated_at},
        {"version", job.version},
    };
}

nlohmann::json toJson(const repo::ClientProject& project) {
    return {
        {"id", project.id},
        {"name", project.name},
        {"status", project.status},
        {"deal_id", optionalJson(project.deal_id)},
        {"budget", optionalJson(project.budget)},
        {"currency", optionalJson(project.currency)},
        {"start_date", optionalJson(project.start_date)},
        {"end_date", optionalJson(project.end_date)},
        {"owner_id", optionalJson(project.owner_id)},
        {"created_at", project.created_at},
        {"updated_at", project.updated_at},
        {"version", project.version},
    };
}

nlohmann::json toJson(const repo::HistoryEntry& entry) {
    nlohmann::json actor = nullptr;
    if (entry.actor_id) {
        actor = {{"id", *entry.actor_id}, {"name", optionalJson(entry.actor_name)}};
    }
    return {
        {"id", entry.id},           {"action", entry.action},
        {"actor", actor},           {"created_at", entry.created_at},
        {"changes", entry.changes},
    };
}

std::string formatMoney(const std::string& currency, const std::string& amount) {
    std::string sign;
    std::string digits = amount;
    if (!digits.empty() && digits.front() == '-') {
        sign = "-";
        digits.erase(0, 1);
    }
    const auto point = digits.find('.');
    std::string integer = digits.substr(0, point);
    std::string fraction = point == std::string::npos ? std::string{} : digits.substr(point + 1);
    fraction.resize(2, '0');
    if (integer.empty()) {
        integer = "0";
    }
    std::string grouped;
    for (std::size_t i = 0; i < integer.size(); ++i) {
        if (i > 0 && (integer.size() - i) % 3 == 0) {
            grouped.push_back(',');
        }
        grouped.push_back(integer[i]);
    }
    return currency + " " + sign + grouped + "." + fraction;
}

std::string summaryText(const repo::SummaryFacts& facts) {
    std::string text = facts.name;
    if (facts.industry && facts.size) {
        text += " (" + *facts.industry + ", " + *facts.size + ")";
    } else if (facts.industry || facts.size) {
        text += " (" + (facts.industry ? *facts.industry : *facts.size) + ")";
    }
    text += " is " + statusPhrase(facts.status);
    text += facts.owner_name ? " owned by " + *facts.owner_name : std::string(" with no owner");
    text += ".";

    std::vector<std::string> parts;
    auto contacts = counted(facts.contacts, "contact", "contacts");
    if (facts.primary_contact_name && !facts.primary_contact_name->empty()) {
        contacts += " (primary: " + *facts.primary_contact_name + ")";
    }
    parts.push_back(contacts);
    parts.push_back(counted(facts.open_jobs, "open job", "open jobs"));
    auto deals = counted(facts.open_deals, "open deal", "open deals");
    if (facts.open_deals > 0 && !facts.open_deal_values.empty()) {
        deals += " worth ";
        for (std::size_t i = 0; i < facts.open_deal_values.size(); ++i) {
            if (i > 0) {
                deals += i + 1 == facts.open_deal_values.size() ? " and " : ", ";
            }
            deals += formatMoney(facts.open_deal_values[i].first, facts.open_deal_values[i].second);
        }
    }
    parts.push_back(deals);
    if (!facts.days_since_last_activity) {
        parts.emplace_back("no recorded activity");
    } else if (*facts.days_since_last_activity <= 0) {
        parts.emplace_back("last activity today");
    } else if (*facts.days_since_last_activity == 1) {
        parts.emplace_back("last activity yesterday");
    } else {
        parts.push_back("last activity " + std::to_string(*facts.days_since_last_activity) +
                        " days ago");
    }
    std::string second;
    for (const auto& part : parts) {
        second += (second.empty() ? "" : ", ") + part;
    }
    second[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(second[0])));
    return text + " " + second + ".";
}

nlohmann::json summaryJson(const repo::SummaryFacts& facts) {
    auto values = nlohmann::json::array();
    for (const auto& [currency, amount] : facts.open_deal_values) {
        values.push_back({{"currency", currency}, {"amount", amount}});
    }
    nlohmann::json owner = nullptr;
    if (facts.owner_id) {
        owner = {{"id", *facts.owner_id}, {"name", optionalJson(facts.owner_name)}};
    }
    nlohmann::json primary = nullptr;
    if (facts.primary_contact_id) {
        primary = {{"id", *facts.primary_contact_id},
                   {"name", optionalJson(facts.primary_contact_name)}};
    }
    return {
        {"summary", summaryText(facts)},
        {"facts",
         {
             {"client_id", facts.id},
             {"name", facts.name},
             {"industry", optionalJson(facts.industry)},
             {"size", optionalJson(facts.size)},
             {"status", facts.status},
             {"owner", owner},
             {"contacts", facts.contacts},
             {"primary_contact", primary},
             {"open_jobs", facts.open_jobs},
             {"open_deals", facts.open_deals},
             {"open_deal_value", values},
             {"projects", facts.projects},
             {"last_activity_at", optionalJson(facts.last_activity_at)},
             {"days_since_last_activity", facts.days_since_last_activity
                                              ? nlohmann::json(*facts.days_since_last_activity)
                                              : nlohmann::json(nullptr)},
         }},
    };
}

}  // namespace crm::clients
