#include "contacts/rules.hpp"

#include "core/error.hpp"
#include "core/validation.hpp"

#include <algorithm>
#include <cctype>

namespace crm::contacts {
namespace {

std::string plural(long long count, const std::string& singular, const std::string& plural_form) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural_form);
}

// "no deals", or "3 deals (1 open)" when `qualifier` names part of them.
std::string tally(long long count, const std::string& singular, const std::string& plural_form,
                  long long part = 0, const std::string& qualifier = {}) {
    if (count == 0) {
        return "no " + plural_form;
    }
    auto text = plural(count, singular, plural_form);
    if (!qualifier.empty()) {
        text += " (" + std::to_string(part) + " " + qualifier + ")";
    }
    return text;
}

std::string joinParts(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
        if (!part.empty()) {
            out += (out.empty() ? "" : ", ") + part;
        }
    }
    return out;
}

std::string words(std::string value) {
    std::replace(value.begin(), value.end(), '_', ' ');
    return value;
}

// "8.0" → "8", "8.5" → "8.5".
std::string trimDecimal(std::string value) {
    if (value.find('.') != std::string::npos) {
        while (!value.empty() && value.back() == '0') {
            value.pop_back();
        }
        if (!value.empty() && value.back() == '.') {
            value.pop_back();
        }
    }
    return value;
}

std::string buyerSentence(const repo::SalesProfileRecord& s, int count) {
    std::vector<std::string> parts;
    if (s.title && s.company_name) {
        parts.push_back(*s.title + " at " + *s.company_name);
    } else if (s.title) {
        parts.push_back(*s.title);
    } else if (s.company_name) {
        parts.push_back("works at " + *s.company_name);
    }
    if (s.department) {
        parts.push_back(*s.department + " department");
    }
    if (s.decision_role) {
        parts.push_back(words(*s.decision_role));
    }
    parts.push_back("lead status " + s.lead_status);
    if (s.lead_score) {
        parts.push_back("lead score " + std::to_string(*s.lead_score));
    }
    if (s.budget) {
        parts.push_back("budget " + *s.budget + (s.currency ? " " + *s.currency : ""));
    }
    std::string sentence = "As a buyer: " + joinParts(parts) + ".";
    if (count > 1) {
        sentence += " (" + std::to_string(count) + " sales profiles in all.)";
    }
    return sentence;
}

std::string candidateSentence(const repo::CandidateProfileRecord& p, int count) {
    std::vector<std::string> parts;
    if (p.headline) {
        parts.push_back(*p.headline);
    }
    if (p.current_title && p.current_employer) {
        parts.push_back("currently " + *p.current_title + " at " + *p.current_employer);
    } else if (p.current_employer) {
        parts.push_back("currently at " + *p.current_employer);
    } else if (p.current_title && !p.headline) {
        parts.push_back(*p.current_title);
    }
    if (p.years_experience) {
        const auto years = trimDecimal(*p.years_experience);
        parts.push_back(years + (years == "1" ? " year" : " years") + " of experience");
    }
    if (p.seniority) {
        parts.push_back(*p.seniority + " level");
    }
    if (!p.skill_names.empty()) {
        std::string skills;
        for (std::size_t i = 0; i < p.skill_names.size() && i < 5; ++i) {
            skills += (i == 0 ? "" : ", ") + p.skill_names[i];
        }
        parts.push_back("skills: " + skills);
    }
    const auto currency = p.currency ? " " + *p.currency : std::string();
    if (p.desired_salary_min && p.desired_salary_max) {
        parts.push_back("seeking " + *p.desired_salary_min + " to " + *p.desired_salary_max + currency);
    } else if (p.desired_salary_min) {
        parts.push_back("seeking at least " + *p.desired_salary_min + currency);
    } else if (p.desired_salary_max) {
        parts.push_back("seeking up to " + *p.desired_salary_max + currency);
    }
    if (p.remote_preference) {
        parts.push_back(*p.remote_preference == "any" ? "open to any work arrangement"
                                                      : "prefers " + *p.remote_preference + " work");
    }
    if (p.available_from) {
        parts.push_back("available from " + *p.available_from);
    }
    if (p.notice_period_days) {
        parts.push_back(plural(*p.notice_period_days, "day", "days") + " notice");
    }
    std::string sentence = "As a candidate: " + (parts.empty() ? std::string("no details yet") : joinParts(parts)) + ".";
    if (count > 1) {
        sentence += " (" + std::to_string(count) + " candidate profiles in all.)";
    }
    return sentence;
}

}  // namespace

std::string fullName(const std::string& first_name, const std::optional<std::string>& last_name) {
    return last_name ? first_name + " " + *last_name : first_name;
}

std::string summaryText(const repo::ContactRecord& contact, const repo::SalesProfileRecord* sales,
                        const repo::CandidateProfileRecord* candidate,
                        const repo::SummaryFacts& facts) {
    const auto name = fullName(contact.first_name, contact.last_name);
    std::string text;
    if (facts.is_dual) {
        text = name + " is both a buyer and a candidate.";
    } else if (facts.has_sales_profile) {
        text = name + " is a buyer.";
    } else if (facts.has_candidate_profile) {
        text = name + " is a candidate.";
    } else {
        text = name + " has no sales or candidate profile yet.";
    }
    if (contact.city || contact.country) {
        text += " Based in " +
                joinParts({contact.city.value_or(""), contact.country.value_or("")}) + ".";
    }
    if (sales) {
        text += " " + buyerSentence(*sales, facts.sales_profile_count);
    }
    if (candidate) {
        text += " " + candidateSentence(*candidate, facts.candidate_profile_count);
    }
    auto tallies = tally(facts.application_count, "application", "applications",
                         facts.active_application_count, "active") +
                   ", " + tally(facts.deal_count, "deal", "deals", facts.open_deal_count, "open") + ", " +
                   tally(facts.message_count, "message", "messages") + ".";
    tallies[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(tallies[0])));  // "No applications"
    text += " " + tallies;
    if (facts.last_activity_at) {
        text += " Last activity on " + facts.last_activity_at->substr(0, 10) + ".";
    } else {
        text += " No activity recorded yet.";
    }
    if (contact.do_not_contact) {
        text += " Marked do not contact.";
    }
    return text;
}

const std::vector<std::string>& insightTypes() {
    static const std::vector<std::string> types{
        "buyer_at_client_with_open_jobs", "buyer_is_active_candidate",
        "candidate_at_client_with_open_deals", "placed_candidate_at_non_client"};
    return types;
}

nlohmann::json insightJson(const repo::InsightRow& row) {
    const auto name = fullName(row.first_name, row.last_name);
    const auto company = row.company.value_or("an unnamed company");
    const auto count = row.count.value_or(0);
    nlohmann::json out{
        {"type", row.type},
        {"contact_id", row.contact_id},
        {"contact_name", name},
        {"client_id", row.client_id ? nlohmann::json(*row.client_id) : nlohmann::json(nullptr)},
        {"company", row.company ? nlohmann::json(*row.company) : nlohmann::json(nullptr)},
    };
    std::string message;
    if (row.type == "candidate_at_client_with_open_deals") {
        const bool linked = row.detail.value_or("") == "client_link";
        message = name + " is a candidate and " + (linked ? "is linked to " : "works at ") +
                  company + ", a client with " + plural(count, "open deal", "open deals") +
                  ": talk to sales before approaching them.";
        out["open_deal_count"] = count;
        out["via"] = row.detail.value_or("");
    } else if (row.type == "buyer_at_client_with_open_jobs") {
        message = name + " buys for " + company + ", which has " +
                  plural(count, "open job", "open jobs") + ": a hiring contact as well as a buyer.";
        out["open_job_count"] = count;
        out["via"] = row.detail.value_or("");
    } else if (row.type == "placed_candidate_at_non_client") {
        message = name + " was placed" +
                  (row.detail ? " (hired for " + *row.detail + ")" : std::string()) +
                  " and works at " + company + ", which " +
                  (row.client_id ? "is still only a prospect" : "is not a client yet") +
                  ": a warm introduction for sales.";
        out["job_title"] = row.detail ? nlohmann::json(*row.detail) : nlohmann::json(nullptr);
    } else if (row.type == "buyer_is_active_candidate") {
        message = name + " is a buyer" + (row.company ? " at " + *row.company : std::string()) +
                  " and also an active candidate with " +
                  plural(count, "application", "applications") +
                  " in progress: handle with discretion.";
        out["active_application_count"] = count;
    }
    out["message"] = message;
    return out;
}

bool timestampBefore(const std::string& a, const std::string& b) {
    // "2026-03-31T09:30:05Z" and "2026-03-31T09:30:05.25Z": compare the seconds part, then
    // the fraction padded to the same width.
    const auto split = [](const std::string& text) {
        auto body = text;
        if (!body.empty() && body.back() == 'Z') {
            body.pop_back();
        }
        const auto dot = body.find('.');
        std::string fraction = dot == std::string::npos ? "" : body.substr(dot + 1);
        fraction.resize(6, '0');
        return std::make_pair(body.substr(0, dot), fraction);
    };
    return split(a) < split(b);
}

repo::ContactRecord mergedValues(const repo::ContactRecord& survivor,
                                 const repo::ContactRecord& other, std::vector<std::string>& filled) {
    auto out = survivor;
    const auto fill = [&filled](std::optional<std::string>& target,
                                const std::optional<std::string>& source, const char* field) {
        if (!target && source) {
            target = source;
            filled.emplace_back(field);
        }
    };
    fill(out.last_name, other.last_name, "last_name");
    fill(out.city, other.city, "city");
    fill(out.country, other.country, "country");
    fill(out.linkedin_url, other.linkedin_url, "linkedin_url");
    fill(out.owner_id, other.owner_id, "owner_id");
    fill(out.source, other.source, "source");

    // E-mails: the survivor's main address stays main; every other address joins the list once.
    const auto addEmail = [&out](const std::string& email, const nlohmann::json& label) {
        if (out.email && *out.email == email) {
            return false;
        }
        for (const auto& item : out.emails) {
            if (item.value("email", "") == email) {
                return false;
            }
        }
        out.emails.push_back({{"email", email}, {"label", label}});
        return true;
    };
    bool emails_changed = false;
    if (!out.email && other.email) {
        out.email = other.email;
        filled.emplace_back("email");
        // The new main address no longer needs its place in the list.
        auto kept = nlohmann::json::array();
        for (const auto& item : out.emails) {
            if (item.value("email", "") != *out.email) {
                kept.push_back(item);
            }
        }
        out.emails = kept;
    } else if (other.email) {
        emails_changed |= addEmail(*other.email, nullptr);
    }
    for (const auto& item : other.emails) {
        emails_changed |= addEmail(item.value("email", ""), item.value("label", nlohmann::json(nullptr)));
    }
    if (emails_changed) {
        filled.emplace_back("emails");
    }

    const auto addPhone = [&out](const std::string& phone, const nlohmann::json& label) {
        if (out.phone && *out.phone == phone) {
            return false;
        }
        for (const auto& item : out.phones) {
            if (item.value("phone", "") == phone) {
                return false;
            }
        }
        out.phones.push_back({{"phone", phone}, {"label", label}});
        return true;
    };
    bool phones_changed = false;
    if (!out.phone && other.phone) {
        out.phone = other.phone;
        filled.emplace_back("phone");
        auto kept = nlohmann::json::array();
        for (const auto& item : out.phones) {
            if (item.value("phone", "") != *out.phone) {
                kept.push_back(item);
            }
        }
        out.phones = kept;
    } else if (other.phone) {
        phones_changed |= addPhone(*other.phone, nullptr);
    }
    for (const auto& item : other.phones) {
        phones_changed |= addPhone(item.value("phone", ""), item.value("label", nlohmann::json(nullptr)));
    }
    if (phones_changed) {
        filled.emplace_back("phones");
    }

    auto united_tags = out.tags;
    united_tags.insert(united_tags.end(), other.tags.begin(), other.tags.end());
    united_tags = core::foldTags(united_tags);
    if (united_tags != out.tags) {
        out.tags = std::move(united_tags);
        filled.emplace_back("tags");
    }

    core::FieldErrors too_many;
    const auto cap = [&too_many](const char* field, std::size_t count, std::size_t most, const char* what) {
        if (count > most) {
            too_many.add(field, "the merged contact would carry " + std::to_string(count) + " " + what +
                                    ", more than " + std::to_string(most) +
                                    ": remove some from either contact first");
        }
    };
    cap("tags", out.tags.size(), kMaxTags, "tags");
    cap("emails", out.emails.size(), kMaxSecondaryContactPoints, "secondary e-mails");
    cap("phones", out.phones.size(), kMaxSecondaryContactPoints, "secondary phones");
    too_many.throwIfAny();

    // Consent belongs to the person: the most recent decision of either record holds.
    const bool other_is_newer =
        other.consent_updated_at &&
        (!survivor.consent_updated_at ||
         timestampBefore(*survivor.consent_updated_at, *other.consent_updated_at));
    if (other_is_newer) {
        out.marketing_consent = other.marketing_consent;
        out.consent_source = other.consent_source;
        out.lawful_basis = other.lawful_basis;
        out.consent_updated_at = other.consent_updated_at;
        filled.emplace_back("consent");
    } else if (!survivor.consent_updated_at) {
        // Neither record holds a consent decision: a lawful basis is only missing information.
        // Once the survivor has decided, its empty basis is part of that decision.
        fill(out.lawful_basis, other.lawful_basis, "lawful_basis");
    }
    // A "do not contact" request on either record must survive the merge.
    if (other.do_not_contact && !out.do_not_contact) {
        out.do_not_contact = true;
        filled.emplace_back("do_not_contact");
    }
    return out;
}

}  // namespace crm::contacts
