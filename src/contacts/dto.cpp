#include "contacts/dto.hpp"

#include "contacts/rules.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/pagination.hpp"
#include "core/phone.hpp"
#include "core/validation.hpp"
#include "core/web_address.hpp"

#include <algorithm>
#include <iterator>
#include <charconv>
#include <map>
#include <cmath>
#include <regex>
#include <set>

namespace crm::contacts {
namespace {

using nlohmann::json;

const std::vector<std::string> kLawfulBases{"consent", "contract", "legitimate_interest",
                                            "legal_obligation"};
const std::vector<std::string> kDecisionRoles{"decision_maker", "influencer", "champion",
                                              "user",           "gatekeeper", "other"};
const std::vector<std::string> kLeadStatuses{"new",       "contacted", "qualified", "unqualified",
                                             "nurturing", "customer",  "lost"};
const std::vector<std::string> kSeniorities{"intern", "junior",    "mid",      "senior",
                                            "lead",   "principal", "executive"};
const std::vector<std::string> kRemotePreferences{"onsite", "hybrid", "remote", "any"};

constexpr std::size_t kMaxListItems = 20;
constexpr std::size_t kMaxSkills = 100;
constexpr std::size_t kMaxRelationships = 100;
// numeric(14,2): 12 digits before the point, 2 after.
constexpr int kMoneyDigits = 12;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

json optional(const std::optional<std::string>& value) {
    return value ? json(*value) : json(nullptr);
}

// A nullable text field: absent, null or blank (cleared), or 1..max characters.
Patch<std::string> text(core::ObjectReader& in, std::string_view key, std::size_t max,
                        core::TextLines lines = core::TextLines::One) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalText(key, 0, max, lines);
    return patch;
}

// A text field that always has a value: null or blank is refused.
Patch<std::string> requiredOnUpdate(core::ObjectReader& in, std::string_view key, std::size_t max) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    if (in.isNull(key)) {
        in.fail(key, "cannot be removed");
        in.optionalJson(key);
        return patch;
    }
    patch.value = in.optionalText(key, 1, max);
    return patch;
}

Patch<std::string> enumeration(core::ObjectReader& in, std::string_view key,
                               const std::vector<std::string>& allowed) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalEnum(key, allowed);
    return patch;
}

// A boolean column that is never NULL.
Patch<bool> flag(core::ObjectReader& in, std::string_view key) {
    Patch<bool> patch;
    patch.present = in.has(key);
    if (in.isNull(key)) {
        in.fail(key, "must be true or false");
    }
    patch.value = in.optionalBool(key);
    return patch;
}

Patch<std::string> decimal(core::ObjectReader& in, std::string_view key, int digits, int fraction) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalDecimal(key, digits, fraction);
    return patch;
}

Patch<std::string> currency(core::ObjectReader& in, std::string_view key) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalCurrency(key);
    return patch;
}

Patch<long long> integer(core::ObjectReader& in, std::string_view key, long long min, long long max) {
    Patch<long long> patch;
    patch.present = in.has(key);
    patch.value = in.optionalInteger(key, min, max);
    return patch;
}

Patch<std::string> uuid(core::ObjectReader& in, std::string_view key) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalUuid(key);
    return patch;
}

Patch<std::string> date(core::ObjectReader& in, std::string_view key) {
    Patch<std::string> patch;
    patch.present = in.has(key);
    patch.value = in.optionalDate(key);
    return patch;
}

const char* kPhoneMessage = "must be a phone number such as +44 20 7946 0123";

// [{<field>, label}] as in `emails` and `phones`: each entry's value read, validated and
// normalised by `read_value`; repeats dropped.
template <typename ReadValue>
Patch<json> labelledList(core::ObjectReader& in, core::FieldErrors& errors, std::string_view key,
                         const std::string& field, ReadValue read_value) {
    const std::string shape = "{\"" + field + "\", \"label\"}";
    Patch<json> patch;
    patch.present = in.has(key);
    const auto value = in.optionalJson(key);
    if (!value || value->is_null()) {
        return patch;
    }
    if (!value->is_array() || value->size() > kMaxSecondaryContactPoints) {
        in.fail(key, "must be a list of at most " + std::to_string(kMaxSecondaryContactPoints) + " " +
                         shape + " objects");
        return patch;
    }
    const std::string article = field.front() == 'e' ? "an " : "a ";
    auto out = json::array();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto path = in.path(key) + "[" + std::to_string(i) + "]";
        if (!(*value)[i].is_object()) {
            errors.add(path, "must be " + article + shape + " object");
            continue;
        }
        core::ObjectReader item((*value)[i], errors, path + ".");
        item.requireValue(field);
        const std::optional<std::string> entry = read_value(item);
        const auto label = item.optionalText("label", 0, 50);
        item.finish();
        if (entry && seen.insert(*entry).second) {
            out.push_back({{field, *entry}, {"label", optional(label)}});
        }
    }
    patch.value = std::move(out);
    return patch;
}

// Every address validated and lower-cased.
Patch<json> emailList(core::ObjectReader& in, core::FieldErrors& errors, std::string_view key) {
    return labelledList(in, errors, key, "email",
                        [](core::ObjectReader& item) { return item.optionalEmail("email"); });
}

// Every number in E.164.
Patch<json> phoneList(core::ObjectReader& in, core::FieldErrors& errors, std::string_view key,
                      const std::optional<std::string>& region) {
    return labelledList(in, errors, key, "phone", [&region](core::ObjectReader& item) {
        std::optional<std::string> phone;
        if (const auto raw = item.optionalText("phone", 0, 40)) {
            phone = core::phoneOrTyped(*raw, region);
            if (!phone) {
                item.fail("phone", kPhoneMessage);
            }
        }
        return phone;
    });
}

void readPhones(core::ObjectReader& in, core::FieldErrors& errors, const std::optional<std::string>& region,
                ContactInput& c) {
    c.phone.present = in.has("phone");
    if (const auto raw = in.optionalText("phone", 0, 40)) {
        c.phone.value = core::phoneOrTyped(*raw, region);
        if (!c.phone.value) {
            in.fail("phone", kPhoneMessage);
        }
    }
    c.phones = phoneList(in, errors, "phones", region);
}

std::optional<json> phonesAsSent(core::ObjectReader& in) {
    auto sent = json::object();
    for (const char* key : {"phone", "phones"}) {
        if (in.has(key)) {
            sent[key] = in.optionalJson(key).value_or(nullptr);
        }
    }
    return sent.empty() ? std::nullopt : std::optional<json>(std::move(sent));
}

ContactInput readContact(core::ObjectReader& in, core::FieldErrors& errors,
                         const std::string& default_region, bool create) {
    ContactInput c;
    if (create) {
        c.first_name.present = true;
        c.first_name.value = in.requiredText("first_name", 1, 200);
    } else {
        c.first_name = requiredOnUpdate(in, "first_name", 200);
    }
    c.last_name = text(in, "last_name", 200);
    c.email.present = in.has("email");
    c.email.value = in.optionalEmail("email");
    c.emails = emailList(in, errors, "emails");

    c.country.present = in.has("country");
    if (const auto country = in.optionalText("country", 0, 10)) {
        if (core::isCountryCode(upper(*country))) {
            c.country.value = upper(*country);
        } else {
            in.fail("country", "must be an ISO 3166-1 alpha-2 code such as DE");
        }
    }
    // Numbers typed without a country code are read in the contact's own country ("01 42 68 53
    // 99" in FR is +33 1 42 68 53 99): the one the request names, else (a create, or a country
    // cleared) the default region. An update that leaves the country as it is reads them once
    // the stored one is known.
    if (create || c.country.present) {
        readPhones(in, errors, c.country.value.value_or(default_region), c);
    } else {
        c.phones_as_sent = phonesAsSent(in);
        ContactInput typed;  // all that needs no region now, with the other fields' errors
        readPhones(in, errors, std::nullopt, typed);
    }

    c.city = text(in, "city", 200);
    c.linkedin_url.present = in.has("linkedin_url");
    if (const auto url = in.optionalText("linkedin_url", 0, 500)) {
        // The scheme is required (so nothing is added to what was sent); the host must be a
        // domain name, as a client's website's.
        static const std::regex kScheme(R"(^https?://)", std::regex::icase);
        const auto website = core::normalizeWebsite(*url);
        if (std::regex_search(*url, kScheme) && website) {
            c.linkedin_url.value = website;
        } else {
            in.fail("linkedin_url", "must be an http(s) URL such as https://www.linkedin.com/in/name");
        }
    }
    c.owner_id = uuid(in, "owner_id");
    c.source = text(in, "source", 100);
    c.tags.present = in.has("tags");
    c.tags.value = in.optionalTextList("tags", kMaxTags, 50, core::foldTag);
    c.marketing_consent = flag(in, "marketing_consent");
    c.consent_source = text(in, "consent_source", 200);
    c.lawful_basis = enumeration(in, "lawful_basis", kLawfulBases);
    c.do_not_contact = flag(in, "do_not_contact");

    in.forbid("id", "is assigned by the server");
    in.forbid("org_id", "contacts belong to your own organisation");
    in.forbid("version", "is not set directly: send If-Match");
    in.forbid("search_text", "is derived from the name, e-mail and phone");
    in.forbid("merged_into_id", "is set by POST /api/contacts/{id}/merge");
    in.forbid("deleted_at", "use DELETE /api/contacts/{id} and POST /api/contacts/{id}/restore");
    in.forbid("last_activity_at", "is maintained by the server");
    in.forbid("consent_updated_at", "is stamped by the server when consent changes");
    return c;
}

SalesProfileInput readSales(core::ObjectReader& in, bool create) {
    SalesProfileInput s;
    s.client_id = uuid(in, "client_id");
    s.company_name = text(in, "company_name", 200);
    s.title = text(in, "title", 200);
    s.department = text(in, "department", 200);
    s.decision_role = enumeration(in, "decision_role", kDecisionRoles);
    s.budget = decimal(in, "budget", kMoneyDigits, 2);
    s.currency = currency(in, "currency");
    if (in.isNull("lead_status")) {
        in.fail("lead_status", create ? "must be one of new, contacted, qualified, unqualified, "
                                        "nurturing, customer, lost"
                                      : "cannot be removed");
    }
    s.lead_status = enumeration(in, "lead_status", kLeadStatuses);
    s.lead_score = integer(in, "lead_score", 0, 100);
    s.notes = text(in, "notes", 5000, core::TextLines::Many);
    s.is_primary = flag(in, "is_primary");
    in.forbid("id", "is assigned by the server");
    in.forbid("contact_id", "is the contact of the path");
    in.forbid("version", "is not set directly: send If-Match");
    return s;
}

// A skill level sent as text that reads as a number ("5", "2.0") is that number: "5" and 5 are
// one level, and "6" is out of range rather than a label. "2.5" is no whole level (0).
std::optional<long long> numericLevel(const json& raw) {
    if (const auto number = core::wholeNumber(raw)) {
        return number;
    }
    static const std::regex kNumber(R"(\s*[+-]?\d{1,9}(\.\d{1,9})?\s*)");
    if (!raw.is_string() || !std::regex_match(raw.get_ref<const std::string&>(), kNumber)) {
        return std::nullopt;
    }
    const double value = std::strtod(raw.get_ref<const std::string&>().c_str(), nullptr);
    return value == std::floor(value) ? static_cast<long long>(value) : 0;
}

// [{name, level}]: level null, 1..5 or a short label.
Patch<json> skillList(core::ObjectReader& in, core::FieldErrors& errors) {
    Patch<json> patch;
    patch.present = in.has("skills");
    const auto value = in.optionalJson("skills");
    if (!value || value->is_null()) {
        return patch;
    }
    if (!value->is_array() || value->size() > kMaxSkills) {
        in.fail("skills", "must be a list of at most 100 {\"name\", \"level\"} objects");
        return patch;
    }
    auto out = json::array();
    std::set<std::string> seen;  // names as crm_skill_names() lists them: "Go" and "go" are one skill
    for (std::size_t i = 0; i < value->size(); ++i) {
        if (!(*value)[i].is_object()) {
            errors.add(in.path("skills") + "[" + std::to_string(i) + "]", "must be a {\"name\", \"level\"} object");
            continue;
        }
        core::ObjectReader item((*value)[i], errors, in.path("skills") + "[" + std::to_string(i) + "].");
        const auto name = item.requiredText("name", 1, 100);
        json level = nullptr;
        if (const auto raw = item.optionalJson("level"); raw && !raw->is_null()) {
            // A whole number, as every integer field takes it (4.0 is 4), also as text.
            if (const auto number = numericLevel(*raw)) {
                if (*number >= 1 && *number <= 5) {
                    level = *number;
                } else {
                    item.fail("level", "must be 1 to 5 or a label such as \"expert\"");
                }
            } else if (raw->is_string()) {
                if (const auto label = item.optionalText("level", 1, 50)) {  // blank, NUL, lines, length
                    level = *label;
                }
            } else {
                item.fail("level", "must be 1 to 5 or a label such as \"expert\"");
            }
        }
        item.finish();
        if (!name.empty() && seen.insert(core::lowerAsWritten(name)).second) {
            out.push_back({{"name", name}, {"level", level}});
        }
    }
    patch.value = std::move(out);
    return patch;
}

CandidateProfileInput readCandidate(core::ObjectReader& in, core::FieldErrors& errors) {
    CandidateProfileInput p;
    p.headline = text(in, "headline", 300);
    p.summary = text(in, "summary", 10000, core::TextLines::Many);
    p.skills = skillList(in, errors);
    p.years_experience = decimal(in, "years_experience", 3, 1);
    if (p.years_experience.value && compareDecimal(*p.years_experience.value, "70") > 0) {
        in.fail("years_experience", "must be from 0 to 70");
    }
    p.seniority = enumeration(in, "seniority", kSeniorities);
    p.current_salary = decimal(in, "current_salary", kMoneyDigits, 2);
    p.desired_salary_min = decimal(in, "desired_salary_min", kMoneyDigits, 2);
    p.desired_salary_max = decimal(in, "desired_salary_max", kMoneyDigits, 2);
    p.currency = currency(in, "currency");
    p.desired_locations.present = in.has("desired_locations");
    // "Oslo" and "oslo" are one place: the first spelling is kept.
    p.desired_locations.value = in.optionalTextList("desired_locations", kMaxListItems, 200, nullptr, core::foldCase);
    p.remote_preference = enumeration(in, "remote_preference", kRemotePreferences);
    p.available_from = date(in, "available_from");
    p.notice_period_days = integer(in, "notice_period_days", 0, 365);
    p.work_authorization = text(in, "work_authorization", 200);
    p.current_employer = text(in, "current_employer", 200);
    p.current_title = text(in, "current_title", 200);
    p.is_primary = flag(in, "is_primary");
    in.forbid("id", "is assigned by the server");
    in.forbid("contact_id", "is the contact of the path");
    in.forbid("version", "is not set directly: send If-Match");
    in.forbid("skill_names", "is derived from skills");
    in.forbid("embedding", "is computed by the embeddings backfill");
    in.forbid("embedding_model", "is computed by the embeddings backfill");
    in.forbid("embedded_at", "is computed by the embeddings backfill");
    return p;
}

template <typename T>
void apply(std::optional<T>& target, const Patch<T>& patch) {
    if (patch.present) {
        target = patch.value;
    }
}

template <typename T>
void applyRequired(T& target, const Patch<T>& patch) {
    if (patch.present && patch.value) {
        target = *patch.value;
    }
}

// "2026-03-31T09:30:00Z" or with 1 to 6 fraction digits: the shape of the timestamps we write.
// By hand rather than std::regex, which cost a deep page more than decoding its cursor.
bool isUtcTimestampShape(std::string_view text) {
    static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd";
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (text.size() < kPattern.size() + 1 || text.back() != 'Z') {
        return false;
    }
    for (std::size_t i = 0; i < kPattern.size(); ++i) {
        if (kPattern[i] == 'd' ? !digit(text[i]) : text[i] != kPattern[i]) {
            return false;
        }
    }
    const auto fraction = text.substr(kPattern.size(), text.size() - kPattern.size() - 1);
    if (fraction.empty()) {
        return true;
    }
    return fraction.size() >= 2 && fraction.size() <= 7 && fraction[0] == '.' &&
           std::all_of(fraction.begin() + 1, fraction.end(), digit);
}

// A cursor is only base64 JSON: its keys are checked before they reach SQL casts.
bool validCursorKeys(const std::string& sort, const json& keys) {
    const auto isText = [](const json& key) { return key.is_string(); };
    const auto isId = [](const json& key) { return key.is_string() && core::isUuid(key.get<std::string>()); };
    const auto isTime = [](const json& key) {
        return key.is_string() && isUtcTimestampShape(key.get_ref<const std::string&>());
    };
    if (sort == "last_name") {
        return (keys[0].is_null() || isText(keys[0])) && isText(keys[1]) && isId(keys[2]);
    }
    return isTime(keys[0]) && isId(keys[1]);
}

// Query parameters: "true" or "false".
std::optional<bool> boolParam(const core::QueryParams& query, const char* name,
                              core::FieldErrors& errors) {
    const auto value = query.single(name);
    if (!value) {
        return std::nullopt;
    }
    if (*value == "true") {
        return true;
    }
    if (*value == "false") {
        return false;
    }
    errors.add(name, "must be true or false");
    return std::nullopt;
}


std::optional<std::string> uuidParam(const core::QueryParams& query, const char* name,
                                     core::FieldErrors& errors) {
    const auto value = query.single(name);
    if (!value) {
        return std::nullopt;
    }
    if (!core::isUuid(*value)) {
        errors.add(name, "must be a UUID");
        return std::nullopt;
    }
    return lower(*value);
}

// Names no list of this module reads are refused, and so are repeats: a filter a client sent
// must never be silently ignored.
void checkNames(const core::QueryParams& query, const std::vector<std::string>& allowed,
                core::FieldErrors& errors) {
    std::map<std::string, int> seen;
    for (const auto& [name, value] : query.values()) {
        ++seen[name];
    }
    for (const auto& [name, count] : seen) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            errors.add(name, "is not a parameter of this list");
        } else if (count > 1) {
            errors.add(name, "must be given once");
        }
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bodies

ContactInput ContactInput::withPhonesReadIn(const std::string& region) const {
    ContactInput read = *this;
    if (!phones_as_sent) {
        return read;
    }
    core::FieldErrors errors;
    core::ObjectReader in(*phones_as_sent, errors);
    readPhones(in, errors, region, read);
    in.finish();
    errors.throwIfAny();
    read.phones_as_sent.reset();
    return read;
}

namespace {

// The rules across a new profile's fields, checked with the fields themselves so that one 422
// names every problem. A field already named for its own value is not named again (an
// unreadable currency is not also "required"). The service checks the record it writes again.
void checkNewSales(const SalesProfileInput& input, const std::string& prefix, core::FieldErrors& errors) {
    core::FieldErrors across;
    checkSales(applySales(repo::SalesProfileRecord{}, input), prefix, across);
    errors.addForOtherFields(across);
}

void checkNewCandidate(const CandidateProfileInput& input, const std::string& prefix,
                       core::FieldErrors& errors) {
    core::FieldErrors across;
    checkCandidate(applyCandidate(repo::CandidateProfileRecord{}, input), prefix, across);
    errors.addForOtherFields(across);
}

}  // namespace

CreateContactDto CreateContactDto::fromJson(const json& body, const std::string& phone_region) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    CreateContactDto dto;
    dto.contact = readContact(in, errors, phone_region, true);
    // The nested objects are copied out of the body, so their readers' references stay valid.
    if (const auto sales = in.optionalJson("sales_profile"); sales && !sales->is_null()) {
        core::ObjectReader nested(*sales, errors, "sales_profile.");
        dto.sales_profile = readSales(nested, true);
        nested.finish();
        checkNewSales(*dto.sales_profile, "sales_profile.", errors);
    }
    if (const auto candidate = in.optionalJson("candidate_profile"); candidate && !candidate->is_null()) {
        core::ObjectReader nested(*candidate, errors, "candidate_profile.");
        dto.candidate_profile = readCandidate(nested, errors);
        nested.finish();
        checkNewCandidate(*dto.candidate_profile, "candidate_profile.", errors);
    }
    in.finish();
    errors.throwIfAny();
    return dto;
}

UpdateContactDto UpdateContactDto::fromJson(const json& body, const std::string& phone_region) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    UpdateContactDto dto;
    dto.contact = readContact(in, errors, phone_region, false);
    in.forbid("sales_profile", "change profiles with /api/contacts/{id}/sales-profile/{profile_id}");
    in.forbid("candidate_profile",
              "change profiles with /api/contacts/{id}/candidate-profile/{profile_id}");
    in.finish();
    errors.throwIfAny();
    return dto;
}

SalesProfileDto SalesProfileDto::fromJson(const json& body, bool create) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    SalesProfileDto dto;
    dto.input = readSales(in, create);
    in.finish();
    if (create) {
        checkNewSales(dto.input, "", errors);
    }
    errors.throwIfAny();
    return dto;
}

CandidateProfileDto CandidateProfileDto::fromJson(const json& body, bool create) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    CandidateProfileDto dto;
    dto.input = readCandidate(in, errors);
    in.finish();
    if (create) {
        checkNewCandidate(dto.input, "", errors);
    }
    errors.throwIfAny();
    return dto;
}

ClientRelationshipsDto ClientRelationshipsDto::fromJson(const json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    ClientRelationshipsDto dto;
    if (!in.has("relationships") || in.isNull("relationships")) {
        in.fail("relationships", "is required (an empty list removes every link)");
    }
    const auto list = in.optionalJson("relationships");
    in.finish();
    if (list && !list->is_null()) {
        if (!list->is_array() || list->size() > kMaxRelationships) {
            in.fail("relationships", "must be a list of at most 100 relationships");
        } else {
            std::set<std::string> seen;
            for (std::size_t i = 0; i < list->size(); ++i) {
                const auto prefix = "relationships[" + std::to_string(i) + "].";
                if (!(*list)[i].is_object()) {
                    errors.add("relationships[" + std::to_string(i) + "]", "must be a relationship object");
                    continue;
                }
                core::ObjectReader item((*list)[i], errors, prefix);
                repo::RelationshipValues link;
                item.requirePresent("client_id");
                link.client_id = item.optionalUuid("client_id").value_or("");
                link.role = item.optionalText("role", 0, 100);
                link.title = item.optionalText("title", 0, 200);
                if (item.isNull("is_primary_contact")) {
                    item.fail("is_primary_contact", "must be true or false");
                }
                link.is_primary_contact = item.optionalBool("is_primary_contact").value_or(false);
                link.start_date = item.optionalDate("start_date");
                link.end_date = item.optionalDate("end_date");
                item.finish();
                if (link.start_date && link.end_date && *link.end_date < *link.start_date) {
                    item.fail("end_date", "must not be before start_date");
                }
                if (!link.client_id.empty() && !seen.insert(link.client_id).second) {
                    item.fail("client_id", "is listed twice");
                }
                dto.relationships.push_back(std::move(link));
            }
        }
    }
    errors.throwIfAny();
    return dto;
}

MergeDto MergeDto::fromJson(const json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    MergeDto dto;
    in.requirePresent("other_id");
    dto.other_id = in.optionalUuid("other_id").value_or("");
    in.finish();
    errors.throwIfAny();
    return dto;
}

// ---------------------------------------------------------------------------------------------
// Query strings

std::optional<SearchTerms> searchTerms(const std::string& raw, std::string_view phone_region) {
    const auto q = core::trim(raw);
    // Phone numbers are stored in E.164: "+44 20 7946" searches for the digits "44207946", and
    // so do "＋４４ ２０ ７９４６" typed in full width and "415–555–0123" pasted with en dashes.
    const auto plain = core::phoneTextInAscii(q);
    const bool phone_like = !plain.empty() && plain.find_first_not_of("0123456789 +-().,_\t/") == std::string::npos;
    std::string digits;
    if (phone_like) {
        std::copy_if(plain.begin(), plain.end(), std::back_inserter(digits), [](char c) { return c >= '0' && c <= '9'; });
    }
    const std::string text = phone_like && digits.size() >= 3 ? digits : q;
    // Counted as the search compares it: "ﬃ" is three letters, "ph" with accents on nothing two.
    if (core::searchedLength(text) < 3) {
        // One or two characters are a whole name in Chinese, Japanese and Korean ("王芳", "山田"),
        // too short for a trigram: searched as a given name, surname or full name instead.
        if (!phone_like && core::isEastAsianName(q)) {
            return SearchTerms{q, q, std::nullopt, true};
        }
        return std::nullopt;
    }
    SearchTerms terms{text, q, std::nullopt};
    // Also as dialled numbers are stored ("06 12 34 56 78": 612345678); the digits as typed stay
    // searched, since a fragment such as "09 75 83 51" may just start with a 0.
    if (const auto dialled = phone_like ? core::phoneSearchDigits(plain, phone_region) : std::string{};
        dialled.size() >= 3 && dialled != text) {
        terms.dialled = dialled;
    }
    return terms;
}

ContactListQuery parseContactListQuery(const core::QueryParams& query, std::string_view list,
                                       std::string_view phone_region) {
    // The cursor's arity depends on the sort, so it is decoded here rather than by
    // parsePageRequest (which knows two-key cursors only).
    core::FieldErrors errors;
    const auto page = core::parsePageRequest(query.without({"cursor"}), list, repo::contactSorts(), errors);
    ContactListQuery out;
    out.list = std::string(list);
    out.request.limit = page.limit;
    out.request.sort = (page.sort.descending ? "-" : "") + page.sort.name;
    out.with_total = page.with_total;

    checkNames(query, {"limit", "cursor", "sort", "with_total", "q", "has_sales_profile",
                       "has_candidate_profile", "owner_id", "client_id", "tag", "skill", "location",
                       "include_deleted", "include"},
               errors);
    auto& filter = out.request.filter;
    if (const auto q = core::searchParam(query, "q", 200, errors)) {
        if (const auto terms = searchTerms(*q, phone_region); terms && terms->whole_name) {
            filter.name_key = terms->text;
        } else if (terms) {
            filter.search_terms = terms->text;
            filter.company_terms = terms->company;
            filter.dialled_terms = terms->dialled;
        } else {
            errors.add("q", "must have at least 3 characters and a letter or digit (or 3 digits of a phone number)");
        }
    }
    filter.has_sales_profile = boolParam(query, "has_sales_profile", errors);
    filter.has_candidate_profile = boolParam(query, "has_candidate_profile", errors);
    filter.owner_id = uuidParam(query, "owner_id", errors);
    filter.client_id = uuidParam(query, "client_id", errors);
    if (const auto tag = core::textParam(query, "tag", 50, errors)) {
        filter.tag = core::foldTag(*tag);
    }
    if (const auto skill = core::textParam(query, "skill", 100, errors)) {
        filter.skill = core::lowerAsWritten(*skill);  // as crm_skill_names() lowers the composed name
    }
    filter.location = core::textParam(query, "location", 200, errors);
    out.include_deleted = boolParam(query, "include_deleted", errors).value_or(false);
    filter.include_deleted = out.include_deleted;
    if (const auto include = query.single("include")) {
        if (*include == "profiles") {
            out.include_profiles = true;
        } else {
            errors.add("include", "must be profiles");  // an empty one too, as oneOf's choices
        }
    }
    // Checked with the other parameters, so one 422 names them all (after a refused sort, only
    // for what is wrong whatever the sort: a cursor belongs to its sort).
    if (const auto cursor = query.single("cursor")) {
        auto keys = core::decodeCursor(*cursor, list, page.sort_refused ? std::nullopt : std::optional(out.request.sort),
                                       repo::cursorArity(out.request.sort), errors);
        if (keys && !validCursorKeys(out.request.sort, *keys)) {
            errors.add("cursor", "is not a cursor this list handed out");
        } else if (keys) {
            out.request.after = std::move(*keys);
        }
    }
    errors.throwIfAny();
    return out;
}

std::string listCursor(std::string_view list, const std::string& sort, const json& keys) {
    return core::encodeCursor(list, sort, keys);
}

SimplePage parseSimplePage(const core::QueryParams& query, std::string_view list, const std::string& name,
                           std::size_t arity, const std::vector<std::string>& allowed,
                           core::FieldErrors& errors) {
    checkNames(query, allowed, errors);
    // A paging parameter this list does not take was named by checkNames: not again here.
    const auto takes = [&allowed](const char* name) {
        return std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    };
    const auto page = core::parsePageRequest(
        query.without({"cursor", takes("sort") ? "" : "sort", takes("with_total") ? "" : "with_total"}), list, {name},
        errors);
    SimplePage out;
    out.limit = page.limit;
    out.with_total = page.with_total;
    if (const auto cursor = query.single("cursor")) {
        auto keys = core::decodeCursor(*cursor, list, page.sort_refused ? std::nullopt : std::optional(name), arity, errors);
        if (keys && !std::all_of(keys->begin(), keys->end(), [](const json& key) { return key.is_string(); })) {
            errors.add("cursor", "is not a cursor this list handed out");
        } else if (keys) {
            out.after = std::move(*keys);
        }
    }
    errors.throwIfAny();
    return out;
}

// ---------------------------------------------------------------------------------------------
// Applying input

repo::ContactRecord applyContact(repo::ContactRecord c, const ContactInput& in) {
    if (in.phones_as_sent) {
        throw std::logic_error("applyContact: phones not read yet (withPhonesReadIn)");
    }
    applyRequired(c.first_name, in.first_name);
    apply(c.last_name, in.last_name);
    apply(c.email, in.email);
    if (in.emails.present) {
        c.emails = in.emails.value.value_or(json::array());
    }
    apply(c.phone, in.phone);
    if (in.phones.present) {
        c.phones = in.phones.value.value_or(json::array());
    }
    apply(c.city, in.city);
    apply(c.country, in.country);
    apply(c.linkedin_url, in.linkedin_url);
    apply(c.owner_id, in.owner_id);
    apply(c.source, in.source);
    if (in.tags.present) {
        c.tags = in.tags.value.value_or(std::vector<std::string>{});
    }
    applyRequired(c.marketing_consent, in.marketing_consent);
    apply(c.consent_source, in.consent_source);
    apply(c.lawful_basis, in.lawful_basis);
    applyRequired(c.do_not_contact, in.do_not_contact);
    return c;
}

repo::SalesProfileRecord applySales(repo::SalesProfileRecord s, const SalesProfileInput& in) {
    apply(s.client_id, in.client_id);
    apply(s.company_name, in.company_name);
    apply(s.title, in.title);
    apply(s.department, in.department);
    apply(s.decision_role, in.decision_role);
    apply(s.budget, in.budget);
    apply(s.currency, in.currency);
    applyRequired(s.lead_status, in.lead_status);
    apply(s.lead_score, in.lead_score);
    apply(s.notes, in.notes);
    applyRequired(s.is_primary, in.is_primary);
    return s;
}

repo::CandidateProfileRecord applyCandidate(repo::CandidateProfileRecord p,
                                            const CandidateProfileInput& in) {
    apply(p.headline, in.headline);
    apply(p.summary, in.summary);
    if (in.skills.present) {
        p.skills = in.skills.value.value_or(json::array());
    }
    apply(p.years_experience, in.years_experience);
    apply(p.seniority, in.seniority);
    apply(p.current_salary, in.current_salary);
    apply(p.desired_salary_min, in.desired_salary_min);
    apply(p.desired_salary_max, in.desired_salary_max);
    apply(p.currency, in.currency);
    if (in.desired_locations.present) {
        p.desired_locations = in.desired_locations.value.value_or(std::vector<std::string>{});
    }
    apply(p.remote_preference, in.remote_preference);
    apply(p.available_from, in.available_from);
    apply(p.notice_period_days, in.notice_period_days);
    apply(p.work_authorization, in.work_authorization);
    apply(p.current_employer, in.current_employer);
    apply(p.current_title, in.current_title);
    applyRequired(p.is_primary, in.is_primary);
    return p;
}

void checkSales(const repo::SalesProfileRecord& s, const std::string& prefix,
                core::FieldErrors& errors) {
    if (s.budget && !s.currency) {
        errors.add(prefix + "currency", "is required with a budget");
    }
}

void checkCandidate(const repo::CandidateProfileRecord& p, const std::string& prefix,
                    core::FieldErrors& errors) {
    if (p.desired_salary_min && p.desired_salary_max &&
        compareDecimal(*p.desired_salary_min, *p.desired_salary_max) > 0) {
        errors.add(prefix + "desired_salary_min", "must not be above desired_salary_max");
    }
    if ((p.current_salary || p.desired_salary_min || p.desired_salary_max) && !p.currency) {
        errors.add(prefix + "currency", "is required with a salary");
    }
}

int compareDecimal(const std::string& a, const std::string& b) {
    struct Parts {
        bool negative;
        std::string integer;
        std::string fraction;
    };
    const auto split = [](const std::string& text) {
        Parts parts{!text.empty() && text[0] == '-', {}, {}};
        const auto digits = parts.negative ? text.substr(1) : text;
        const auto dot = digits.find('.');
        parts.integer = digits.substr(0, dot);
        parts.fraction = dot == std::string::npos ? "" : digits.substr(dot + 1);
        parts.integer.erase(0, std::min(parts.integer.find_first_not_of('0'), parts.integer.size()));
        while (!parts.fraction.empty() && parts.fraction.back() == '0') {
            parts.fraction.pop_back();
        }
        if (parts.integer.empty() && parts.fraction.empty()) {
            parts.negative = false;  // -0 is 0
        }
        return parts;
    };
    const auto x = split(a);
    const auto y = split(b);
    if (x.negative != y.negative) {
        return x.negative ? -1 : 1;
    }
    int magnitude = 0;
    if (x.integer.size() != y.integer.size()) {
        magnitude = x.integer.size() < y.integer.size() ? -1 : 1;
    } else if (const int cmp = x.integer.compare(y.integer); cmp != 0) {
        magnitude = cmp < 0 ? -1 : 1;
    } else {
        const auto width = std::max(x.fraction.size(), y.fraction.size());
        auto fx = x.fraction;
        auto fy = y.fraction;
        fx.resize(width, '0');
        fy.resize(width, '0');
        if (const int f = fx.compare(fy); f != 0) {
            magnitude = f < 0 ? -1 : 1;
        }
    }
    return x.negative ? -magnitude : magnitude;
}

// ---------------------------------------------------------------------------------------------
// JSON out

// The contact and profile objects are written straight into the response text: a page of 50
// contacts is one growing string rather than thousands of nlohmann nodes to build, dump and
// free (it was most of the server's time per list request). toJson() parses the same text, so
// the shape has one definition.
namespace {

// Writes one JSON object field by field.
class ObjectWriter {
public:
    explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
    ObjectWriter(const ObjectWriter&) = delete;
    ObjectWriter& operator=(const ObjectWriter&) = delete;

    void key(std::string_view name) {
        if (!first_) {
            out_.push_back(',');
        }
        first_ = false;
        out_.push_back('"');
        out_.append(name);
        out_.append("\":", 2);
    }
    void text(std::string_view name, std::string_view value) {
        key(name);
        core::appendJsonString(out_, value);
    }
    void text(std::string_view name, const std::string& value) { text(name, std::string_view(value)); }
    void text(std::string_view name, const char* value) { text(name, std::string_view(value)); }
    // Any of the texts below (owned, viewed, a timestamp read in place), or null.
    template <typename Text>
    void text(std::string_view name, const std::optional<Text>& value) {
        if (value) {
            text(name, *value);
        } else {
            key(name);
            out_ += "null";
        }
    }
    // A timestamp read in place: PostgreSQL's text becomes RFC 3339 as it is written.
    void text(std::string_view name, db::UtcTimestampText value) {
        key(name);
        out_.push_back('"');
        db::appendUtcTimestamp(out_, value);
        out_.push_back('"');
    }
    void boolean(std::string_view name, bool value) {
        key(name);
        out_ += value ? "true" : "false";
    }
    void integer(std::string_view name, long long value) {
        key(name);
        appendInteger(value);
    }
    void integer(std::string_view name, const std::optional<long long>& value) {
        key(name);
        if (value) {
            appendInteger(*value);
        } else {
            out_.append("null", 4);
        }
    }
    // A decimal column's text ("8.5") as a JSON number.
    void number(std::string_view name, const std::optional<std::string>& value) {
        key(name);
        out_ += value ? *value : std::string("null");
    }
    void strings(std::string_view name, const std::vector<std::string>& values) {
        key(name);
        out_.push_back('[');
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) {
                out_.push_back(',');
            }
            core::appendJsonString(out_, values[i]);
        }
        out_.push_back(']');
    }
    void value(std::string_view name, const json& value) {
        key(name);
        if (value.is_array() && value.empty()) {
            out_ += "[]";  // most contacts: no secondary e-mails or phones
            return;
        }
        out_ += value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    // Already serialised JSON.
    void raw(std::string_view name, std::string_view json_text) {
        key(name);
        out_ += json_text;
    }
    // JSON as PostgreSQL printed it (valid JSON in the database's UTF-8), without the spaces
    // jsonb's output puts after ':' and ',': the same bytes the record path writes.
    void value(std::string_view name, db::JsonText value) {
        key(name);
        core::appendCompactJson(out_, value.text);
    }
    void strings(std::string_view name, db::JsonText values) { raw(name, values.text); }
    void close() { out_.push_back('}'); }

private:
    void appendInteger(long long value) {
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
        out_.append(digits, end);
    }

    std::string& out_;
    bool first_ = true;
};

// One shape for a contact, whether it owns its fields (ContactRecord) or views a result's
// (ContactView, list pages).
template <typename Contact>
void writeContactFields(ObjectWriter& w, const Contact& c) {
    w.text("id", c.id);
    w.text("first_name", c.first_name);
    w.text("last_name", c.last_name);
    std::string full_name(c.first_name);
    if (c.last_name) {
        full_name += ' ';
        full_name += *c.last_name;
    }
    w.text("full_name", full_name);
    w.text("email", c.email);
    w.value("emails", c.emails);
    w.text("phone", c.phone);
    w.value("phones", c.phones);
    w.text("city", c.city);
    w.text("country", c.country);
    w.text("linkedin_url", c.linkedin_url);
    w.text("owner_id", c.owner_id);
    w.text("source", c.source);
    w.strings("tags", c.tags);
    w.boolean("marketing_consent", c.marketing_consent);
    w.text("consent_updated_at", c.consent_updated_at);
    w.text("consent_source", c.consent_source);
    w.text("lawful_basis", c.lawful_basis);
    w.boolean("do_not_contact", c.do_not_contact);
    w.text("retention_until", c.retention_until);
    w.text("anonymized_at", c.anonymized_at);
    w.text("last_activity_at", c.last_activity_at);
    w.text("merged_into_id", c.merged_into_id);
    w.boolean("has_sales_profile", c.has_sales_profile);
    w.boolean("has_candidate_profile", c.has_candidate_profile);
    w.boolean("is_dual", c.has_sales_profile && c.has_candidate_profile);
    w.text("created_at", c.created_at);
    w.text("updated_at", c.updated_at);
    w.text("created_by", c.created_by);
    w.integer("version", c.version);
    w.text("deleted_at", c.deleted_at);
}

void writeProfileList(ObjectWriter& w, const std::vector<repo::SalesProfileRecord>& sales,
                      const std::vector<repo::CandidateProfileRecord>& candidates,
                      std::string& out) {
    w.key("sales_profiles");
    out.push_back('[');
    for (std::size_t i = 0; i < sales.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        appendJson(out, sales[i]);
    }
    out.push_back(']');
    w.key("candidate_profiles");
    out.push_back('[');
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        appendJson(out, candidates[i]);
    }
    out.push_back(']');
}

}  // namespace

void appendJson(std::string& out, const repo::ContactRecord& contact) {
    ObjectWriter w(out);
    writeContactFields(w, contact);
    w.close();
}

void appendJson(std::string& out, const repo::ContactView& contact) {
    ObjectWriter w(out);
    writeContactFields(w, contact);
    w.close();
}

void appendJson(std::string& out, const repo::SalesProfileRecord& s) {
    ObjectWriter w(out);
    w.text("id", s.id);
    w.text("type", "sales");
    w.text("contact_id", s.contact_id);
    w.text("client_id", s.client_id);
    w.text("company_name", s.company_name);
    w.text("title", s.title);
    w.text("department", s.department);
    w.text("decision_role", s.decision_role);
    w.text("budget", s.budget);
    w.text("currency", s.currency);
    w.text("lead_status", s.lead_status);
    w.integer("lead_score", s.lead_score);
    w.boolean("is_primary", s.is_primary);
    w.text("notes", s.notes);
    w.text("created_at", s.created_at);
    w.text("updated_at", s.updated_at);
    w.text("created_by", s.created_by);
    w.integer("version", s.version);
    w.close();
}

void appendJson(std::string& out, const repo::CandidateProfileRecord& p) {
    ObjectWriter w(out);
    w.text("id", p.id);
    w.text("type", "candidate");
    w.text("contact_id", p.contact_id);
    w.text("headline", p.headline);
    w.text("summary", p.summary);
    w.value("skills", p.skills);
    w.strings("skill_names", p.skill_names);
    w.number("years_experience", p.years_experience);
    w.text("seniority", p.seniority);
    w.text("current_salary", p.current_salary);
    w.text("desired_salary_min", p.desired_salary_min);
    w.text("desired_salary_max", p.desired_salary_max);
    w.text("currency", p.currency);
    w.strings("desired_locations", p.desired_locations);
    w.text("remote_preference", p.remote_preference);
    w.text("available_from", p.available_from);
    w.integer("notice_period_days", p.notice_period_days);
    w.text("work_authorization", p.work_authorization);
    w.text("current_employer", p.current_employer);
    w.text("current_title", p.current_title);
    w.boolean("is_primary", p.is_primary);
    w.text("embedded_at", p.embedded_at);
    w.text("created_at", p.created_at);
    w.text("updated_at", p.updated_at);
    w.text("created_by", p.created_by);
    w.integer("version", p.version);
    w.close();
}

void appendJson(std::string& out, const repo::ContactRecord& contact,
                const std::vector<repo::SalesProfileRecord>& sales,
                const std::vector<repo::CandidateProfileRecord>& candidates,
                const std::optional<json>& warnings) {
    ObjectWriter w(out);
    writeContactFields(w, contact);
    writeProfileList(w, sales, candidates, out);
    if (warnings) {
        w.value("warnings", *warnings);
    }
    w.close();
}

void appendJson(std::string& out, const repo::ContactView& contact,
                const std::vector<repo::SalesProfileRecord>& sales,
                const std::vector<repo::CandidateProfileRecord>& candidates) {
    ObjectWriter w(out);
    writeContactFields(w, contact);
    writeProfileList(w, sales, candidates, out);
    w.close();
}

std::string jsonText(const repo::ContactDetail& detail, const std::optional<json>& warnings) {
    std::string out;
    out.reserve(2048);
    appendJson(out, detail.contact, detail.sales_profiles, detail.candidate_profiles, warnings);
    return out;
}

json toJson(const repo::ContactRecord& contact) {
    std::string out;
    appendJson(out, contact);
    return json::parse(out);
}

json toJson(const repo::SalesProfileRecord& profile) {
    std::string out;
    appendJson(out, profile);
    return json::parse(out);
}

json toJson(const repo::CandidateProfileRecord& profile) {
    std::string out;
    appendJson(out, profile);
    return json::parse(out);
}

json profilesJson(const std::vector<repo::SalesProfileRecord>& sales,
                  const std::vector<repo::CandidateProfileRecord>& candidates) {
    auto sales_json = json::array();
    for (const auto& profile : sales) {
        sales_json.push_back(toJson(profile));
    }
    auto candidate_json = json::array();
    for (const auto& profile : candidates) {
        candidate_json.push_back(toJson(profile));
    }
    return {
        {"sales_profiles", std::move(sales_json)},
        {"candidate_profiles", std::move(candidate_json)},
        {"has_sales_profile", !sales.empty()},
        {"has_candidate_profile", !candidates.empty()},
        {"is_dual", !sales.empty() && !candidates.empty()},
    };
}

json toJson(const repo::ContactDetail& detail) {
    return json::parse(jsonText(detail));
}

json toJson(const repo::RelationshipRecord& r) {
    return {
        {"id", r.id},
        {"client_id", r.client_id},
        {"client_name", r.client_name},
        {"role", optional(r.role)},
        {"title", optional(r.title)},
        {"is_primary_contact", r.is_primary_contact},
        {"start_date", optional(r.start_date)},
        {"end_date", optional(r.end_date)},
        {"created_at", r.created_at},
        {"updated_at", r.updated_at},
        {"version", r.version},
    };
}

json toJson(const repo::HistoryRecord& h) {
    return {
        {"id", h.id},
        {"profile_type", h.profile_type},
        {"profile_id", optional(h.profile_id)},
        {"field", h.field},
        {"old_value", h.old_value},
        {"new_value", h.new_value},
        {"changed_by", optional(h.changed_by)},
        {"changed_by_name", optional(h.changed_by_name)},
        {"changed_at", h.changed_at},
        {"request_id", optional(h.request_id)},
    };
}

// ---------------------------------------------------------------------------------------------
// Field history

const std::vector<std::string>& contactHistoryFields() {
    static const std::vector<std::string> fields{
        "first_name", "last_name",    "email",    "emails", "phone",
        "phones",     "city",         "country",  "linkedin_url", "owner_id",
        "source",     "tags",         "marketing_consent", "consent_source", "lawful_basis",
        "do_not_contact", "deleted_at", "merged_into_id"};
    return fields;
}

const std::vector<std::string>& salesHistoryFields() {
    static const std::vector<std::string> fields{
        "client_id", "company_name", "title",       "department", "decision_role", "budget",
        "currency",  "lead_status",  "lead_score",  "is_primary", "notes"};
    return fields;
}

const std::vector<std::string>& candidateHistoryFields() {
    static const std::vector<std::string> fields{
        "headline",          "summary",           "skills",           "years_experience",
        "seniority",         "current_salary",    "desired_salary_min", "desired_salary_max",
        "currency",          "desired_locations", "remote_preference", "available_from",
        "notice_period_days", "work_authorization", "current_employer", "current_title",
        "is_primary"};
    return fields;
}

std::vector<repo::HistoryChange> diffFields(const std::string& profile_type,
                                            const std::optional<std::string>& profile_id,
                                            const json& before, const json& after,
                                            const std::vector<std::string>& fields) {
    std::vector<repo::HistoryChange> changes;
    for (const auto& field : fields) {
        const auto old_value = before.value(field, json(nullptr));
        const auto new_value = after.value(field, json(nullptr));
        if (old_value != new_value) {
            changes.push_back(repo::HistoryChange{profile_type, profile_id, field, old_value, new_value});
        }
    }
    return changes;
}

json pick(const json& record, const std::vector<std::string>& fields) {
    auto out = json::object();
    for (const auto& field : fields) {
        if (record.contains(field) && field != "deleted_at" && field != "merged_into_id") {
            out[field] = record.at(field);
        }
    }
    return out;
}

}  // namespace crm::contacts
