// Contacts: the pure logic (input parsing, rules across fields, merge values, summary and
// insight texts) and the SQL the benchmark replays.
#include "contacts/dto.hpp"
#include "contacts/repository.hpp"
#include "contacts/rules.hpp"
#include "core/error.hpp"
#include "core/query_params.hpp"
#include "core/validation.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace crm::contacts {
namespace {

using nlohmann::json;

std::set<std::string> fieldsOf(const std::function<void()>& parse) {
    std::set<std::string> fields;
    try {
        parse();
    } catch (const core::AppError& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::Validation);
        for (const auto& field : e.fields()) {
            fields.insert(field.field);
        }
    }
    return fields;
}

// Decimal texts compare by value, whatever their zeros and signs.
TEST(CompareDecimal, ComparesByValue) {
    EXPECT_EQ(compareDecimal("1250.50", "1250.5"), 0);
    EXPECT_LT(compareDecimal("999.99", "1000"), 0);
    EXPECT_GT(compareDecimal("10.01", "10.001"), 0);
    EXPECT_LT(compareDecimal("-5", "0"), 0);
    EXPECT_EQ(compareDecimal("-0", "0.00"), 0);
    EXPECT_GT(compareDecimal("-1", "-2"), 0);
    EXPECT_EQ(compareDecimal("007", "7.0"), 0);
}

// Only real ISO 3166-1 alpha-2 codes are countries.
TEST(CountryCodes, KnowsTheIsoList) {
    EXPECT_TRUE(core::isCountryCode("DE"));
    EXPECT_TRUE(core::isCountryCode("GB"));
    EXPECT_FALSE(core::isCountryCode("UK"));
    EXPECT_FALSE(core::isCountryCode("XX"));
    EXPECT_FALSE(core::isCountryCode("de"));
}

// A create body is normalised: lower-case e-mails, E.164 phones, upper-case country, tags.
TEST(CreateContactDto, NormalisesFields) {
    const auto dto = CreateContactDto::fromJson(
        {{"first_name", "  Ada "}, {"email", "ADA@Example.com"}, {"phone", "020 7946 0123"},
         {"phones", {{{"phone", "+1 (212) 555-0100"}, {"label", "NY"}}, {{"phone", "+12125550100"}}}},
         {"country", "gb"}, {"tags", {"VIP", "vip", "Board"}}},
        "GB");
    EXPECT_EQ(*dto.contact.first_name.value, "Ada");
    EXPECT_EQ(*dto.contact.email.value, "ada@example.com");
    EXPECT_EQ(*dto.contact.phone.value, "+442079460123");
    EXPECT_EQ(dto.contact.phones.value->size(), 1u);  // the same number twice is kept once
    EXPECT_EQ(*dto.contact.country.value, "GB");
    EXPECT_EQ(*dto.contact.tags.value, (std::vector<std::string>{"vip", "board"}));
    EXPECT_FALSE(dto.sales_profile.has_value());
}

// Every bad field of a create body is reported at once, nested ones by path.
TEST(CreateContactDto, ReportsEveryFieldByPath) {
    const auto fields = fieldsOf([] {
        CreateContactDto::fromJson(
            {{"emails", {{{"email", "ok@example.com"}}, {{"label", "no address"}}}},
             {"phones", {"+12125550100"}},
             {"tags", "vip"},
             {"sales_profile", {{"budget", 12.555}, {"lead_status", nullptr}}},
             {"candidate_profile", {{"years_experience", "71"}, {"notice_period_days", 400}, {"seniority", "guru"}}},
             {"colour", "red"}},
            "US");
    });
    EXPECT_EQ(fields, (std::set<std::string>{
                          "first_name", "emails[1].email", "phones[0]", "tags", "sales_profile.budget",
                          "sales_profile.lead_status", "candidate_profile.years_experience",
                          "candidate_profile.notice_period_days", "candidate_profile.seniority", "colour"}));
}

// An update cannot remove the first name nor change profiles through the contact.
TEST(UpdateContactDto, RefusesRemovalsAndProfiles) {
    const auto fields = fieldsOf([] {
        UpdateContactDto::fromJson({{"first_name", nullptr}, {"sales_profile", json::object()},
                                    {"marketing_consent", nullptr}},
                                   "US");
    });
    EXPECT_EQ(fields, (std::set<std::string>{"first_name", "sales_profile", "marketing_consent"}));
    const auto dto = UpdateContactDto::fromJson({{"city", nullptr}}, "US");
    EXPECT_TRUE(dto.contact.city.present);
    EXPECT_FALSE(dto.contact.city.value.has_value());
    EXPECT_FALSE(dto.contact.last_name.present);
}

// An update that leaves the country as it is keeps its numbers until the stored country is
// known; with a country, they are read in it at once.
TEST(UpdateContactDto, ReadsLocalNumbersInTheCountryTheyBelongTo) {
    const auto later = UpdateContactDto::fromJson({{"phone", "01 42 68 53 99"}, {"phones", nullptr}}, "US");
    ASSERT_TRUE(later.contact.phones_as_sent.has_value());
    EXPECT_THROW(applyContact(repo::ContactRecord{}, later.contact), std::logic_error);
    const auto read = later.contact.withPhonesReadIn("FR");
    EXPECT_EQ(read.phone.value, "+33142685399");
    EXPECT_TRUE(read.phones.present);
    EXPECT_FALSE(read.phones.value.has_value());
    // Their shape is checked with the other fields, so one 422 still names every bad field.
    EXPECT_EQ(fieldsOf([] {
                  UpdateContactDto::fromJson({{"email", "nope"}, {"phone", 7}, {"phones", {{{"phone", true}}}}}, "US");
              }),
              (std::set<std::string>{"email", "phone", "phones[0].phone"}));
    // So is what needs no region: letters, too few digits, an international number too short.
    EXPECT_EQ(fieldsOf([] {
                  UpdateContactDto::fromJson({{"email", "nope"}, {"phone", "+1 2"},
                                              {"phones", {{{"phone", "call me"}}, {{"phone", "12"}}}}},
                                             "US");
              }),
              (std::set<std::string>{"email", "phone", "phones[0].phone", "phones[1].phone"}));

    const auto now = UpdateContactDto::fromJson({{"country", "fr"}, {"phone", "01 42 68 53 99"}}, "US");
    EXPECT_FALSE(now.contact.phones_as_sent.has_value());
    EXPECT_EQ(now.contact.phone.value, "+33142685399");
    EXPECT_FALSE(UpdateContactDto::fromJson({{"city", "Paris"}}, "US").contact.phones_as_sent.has_value());
}

// Relationship lists name the entry at fault: repeated clients, dates out of order.
TEST(ClientRelationshipsDto, NamesTheEntry) {
    const std::string client = "01890a5d-ac96-774b-bcce-b302099a8057";
    const auto fields = fieldsOf([&] {
        ClientRelationshipsDto::fromJson(
            {{"relationships",
              {{{"client_id", client}},
               {{"client_id", client}},
               {{"client_id", "nope"}},
               {{"client_id", "01890a5d-ac96-774b-bcce-b302099a8058"}, {"start_date", "2024-02-01"},
                {"end_date", "2024-01-01"}}}}});
    });
    EXPECT_EQ(fields, (std::set<std::string>{"relationships[1].client_id", "relationships[2].client_id",
                                             "relationships[3].end_date"}));
    EXPECT_EQ(fieldsOf([] { ClientRelationshipsDto::fromJson(json::object()); }),
              std::set<std::string>{"relationships"});
}

// Money needs a currency and the desired salary must be a range, wherever the values come from.
TEST(ProfileRules, CheckAcrossFields) {
    repo::CandidateProfileRecord candidate;
    candidate.desired_salary_min = "90000";
    candidate.desired_salary_max = "80000.50";
    core::FieldErrors errors;
    checkCandidate(candidate, "candidate_profile.", errors);
    EXPECT_EQ(fieldsOf([&] { errors.throwIfAny(); }),
              (std::set<std::string>{"candidate_profile.desired_salary_min", "candidate_profile.currency"}));
    repo::SalesProfileRecord sales;
    sales.budget = "10";
    core::FieldErrors sales_errors;
    checkSales(sales, "", sales_errors);
    EXPECT_EQ(fieldsOf([&] { sales_errors.throwIfAny(); }), std::set<std::string>{"currency"});
}

// A patch keeps absent fields, clears null ones and sets the rest.
TEST(ApplyPatch, AbsentKeepsNullClears) {
    repo::SalesProfileRecord base;
    base.title = "CTO";
    base.company_name = "Initech";
    base.lead_status = "qualified";
    const auto input = SalesProfileDto::fromJson({{"title", nullptr}, {"lead_score", 40}}, false).input;
    const auto after = applySales(base, input);
    EXPECT_FALSE(after.title.has_value());
    EXPECT_EQ(after.company_name, "Initech");
    EXPECT_EQ(after.lead_status, "qualified");
    EXPECT_EQ(after.lead_score, 40);
}

// q is searched as typed (the SQL folds it and makes it literal); a phone-like q searches its
// digits.
TEST(SearchTerms, ReadsTheTextToSearch) {
    EXPECT_FALSE(searchTerms("ab", "US").has_value());
    EXPECT_FALSE(searchTerms(" +4 ", "US").has_value());
    EXPECT_EQ(searchTerms("Ada L", "US")->text, "Ada L");
    EXPECT_EQ(searchTerms("+44 (20) 7946", "US")->text, "44207946");
    EXPECT_EQ(searchTerms("+44 (20) 7946", "US")->company, "+44 (20) 7946");
    EXPECT_EQ(searchTerms("50%_off\\", "US")->text, "50%_off\\");
    // A number typed as dialled is searched both as typed and as E.164 has it.
    EXPECT_EQ(searchTerms("020 7946 0958", "GB")->text, "02079460958");
    EXPECT_EQ(searchTerms("020 7946 0958", "GB")->dialled, "2079460958");
    EXPECT_FALSE(searchTerms("+44 20 7946", "GB")->dialled.has_value());  // nothing to leave out
    EXPECT_FALSE(searchTerms("Ada L", "GB")->dialled.has_value());
    // Pasted with the dashes, commas or underscores of a document, a number is still a number.
    for (const auto* pasted : {"415-555-0123", "415\u2013555\u2013555", "415\u2011555\u20110123", "415,555,0123",
                               "415_555_0123", "415\u2212555"}) {
        const auto terms = searchTerms(pasted, "US");
        ASSERT_TRUE(terms) << pasted;
        EXPECT_EQ(terms->text.find_first_not_of("0123456789"), std::string::npos) << pasted << ": " << terms->text;
    }
    // One or two characters of an East Asian name are a whole name; of a Latin one, too short.
    EXPECT_TRUE(searchTerms("\u738B\u82B3", "US")->whole_name);  // 王芳
    EXPECT_FALSE(searchTerms("\u738B\u82B3\u660E", "US")->whole_name);  // three: a substring search
    EXPECT_FALSE(searchTerms("ab", "US").has_value());
}

// List parameters are checked and named; a cursor only works with the sort that made it.
TEST(ContactListQuery, ValidatesParameters) {
    const auto fields = [](const std::string& query) {
        return fieldsOf([&] { parseContactListQuery(core::QueryParams::parse(query), "/api/contacts", "US"); });
    };
    EXPECT_EQ(fields("q=ab"), std::set<std::string>{"q"});
    EXPECT_EQ(fields("has_sales_profile=yes&owner_id=1&include=all"),
              (std::set<std::string>{"has_sales_profile", "owner_id", "include"}));
    EXPECT_EQ(fields("sort=-last_name"), std::set<std::string>{"sort"});
    const auto cursor = listCursor("/api/contacts", "-created_at", json::array({"2026-01-01T00:00:00Z", "01890a5d-ac96-774b-bcce-b302099a8057"}));
    EXPECT_EQ(fields("sort=last_name&cursor=" + cursor), std::set<std::string>{"cursor"});
    const auto bad_keys = listCursor("/api/contacts", "-created_at", json::array({"yesterday", "01890a5d-ac96-774b-bcce-b302099a8057"}));
    EXPECT_EQ(fields("cursor=" + bad_keys), std::set<std::string>{"cursor"});
    // The time key must have the shape of the timestamps the API writes, and nothing else.
    const auto withTime = [](const char* time) {
        return listCursor("/api/contacts", "-created_at", json::array({time, "01890a5d-ac96-774b-bcce-b302099a8057"}));
    };
    for (const char* good : {"2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.123456Z"}) {
        EXPECT_TRUE(fields("cursor=" + withTime(good)).empty()) << good;
    }
    for (const char* bad : {"2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.Z",
                            "2026-01-01T00:00:00.1234567Z", "2026-1-01T00:00:00Z", "2026-01-01T00:00:00+00Z",
                            "2026-01-01T00:00:0xZ", "Z"}) {
        EXPECT_EQ(fields("cursor=" + withTime(bad)), std::set<std::string>{"cursor"}) << bad;
    }
    const auto parsed = parseContactListQuery(core::QueryParams::parse("cursor=" + cursor + "&tag=VIP&limit=5"), "/api/contacts", "US");
    EXPECT_EQ(parsed.request.limit, 5);
    EXPECT_EQ(*parsed.request.filter.tag, "vip");
    ASSERT_TRUE(parsed.request.after.has_value());
}

// History rows are made for changed fields only, with both values.
TEST(DiffFields, RecordsOnlyChanges) {
    const auto changes = diffFields("sales", std::string("p1"), {{"title", "CTO"}, {"lead_score", 10}, {"notes", nullptr}},
                                    {{"title", "CEO"}, {"lead_score", 10}, {"notes", "x"}},
                                    {"title", "lead_score", "notes"});
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].field, "title");
    EXPECT_EQ(changes[0].old_value, "CTO");
    EXPECT_EQ(changes[0].new_value, "CEO");
    EXPECT_EQ(changes[1].field, "notes");
    EXPECT_TRUE(changes[1].old_value.is_null());
}

// Timestamps with and without fractions order by time, not by text.
TEST(Timestamps, OrderByTime) {
    EXPECT_TRUE(timestampBefore("2026-03-31T09:30:05Z", "2026-03-31T09:30:05.25Z"));
    EXPECT_FALSE(timestampBefore("2026-03-31T09:30:05.5Z", "2026-03-31T09:30:05Z"));
    EXPECT_TRUE(timestampBefore("2026-03-31T09:30:05.999Z", "2026-03-31T09:30:06Z"));
}

// A merge fills the survivor's gaps, unites lists, keeps the newest consent and any "do not
// contact".
TEST(MergedValues, FillUniteAndKeepSafestConsent) {
    repo::ContactRecord survivor;
    survivor.first_name = "Eli";
    survivor.email = "eli@one.example";
    survivor.tags = {"a"};
    survivor.marketing_consent = true;
    survivor.consent_updated_at = "2025-01-01T00:00:00Z";
    repo::ContactRecord other;
    other.first_name = "Elias";
    other.last_name = "Moss";
    other.email = "eli@two.example";
    other.emails = json::array({{{"email", "eli@one.example"}, {"label", "old"}}});
    other.phone = "+41446681800";
    other.tags = {"a", "b"};
    other.do_not_contact = true;
    other.marketing_consent = false;
    other.consent_updated_at = "2025-06-01T00:00:00.5Z";
    std::vector<std::string> filled;
    const auto merged = mergedValues(survivor, other, filled);
    EXPECT_EQ(merged.first_name, "Eli");
    EXPECT_EQ(merged.last_name, "Moss");
    EXPECT_EQ(merged.email, "eli@one.example");
    EXPECT_EQ(merged.emails, json::array({{{"email", "eli@two.example"}, {"label", nullptr}}}));
    EXPECT_EQ(merged.phone, "+41446681800");
    EXPECT_EQ(merged.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(merged.do_not_contact);
    EXPECT_FALSE(merged.marketing_consent);  // the later decision wins
    EXPECT_EQ(std::set<std::string>(filled.begin(), filled.end()),
              (std::set<std::string>{"last_name", "emails", "phone", "tags", "consent", "do_not_contact"}));
}

// Tags stored in another case (before migration 0014) unite as one; a union over the caps is
// refused by list, and nothing is dropped to fit.
TEST(MergedValues, TagsFoldAndListsStayWithinTheirCaps) {
    repo::ContactRecord survivor;
    survivor.first_name = "Ida";
    survivor.tags = {"VIP", "emea"};
    repo::ContactRecord other;
    other.first_name = "Ida";
    other.tags = {"vip", "Été", "été"};
    std::vector<std::string> filled;
    const auto merged = mergedValues(survivor, other, filled);
    EXPECT_EQ(merged.tags, (std::vector<std::string>{"vip", "emea", "été"}));
    EXPECT_EQ(filled, std::vector<std::string>{"tags"});

    survivor.tags.clear();
    other.tags.clear();
    for (std::size_t i = 0; i < 30; ++i) {
        survivor.tags.push_back("s" + std::to_string(i));
        other.tags.push_back("o" + std::to_string(i));
    }
    for (std::size_t i = 0; i < 11; ++i) {
        survivor.emails.push_back({{"email", "s" + std::to_string(i) + "@ida.example"}, {"label", nullptr}});
        other.emails.push_back({{"email", "o" + std::to_string(i) + "@ida.example"}, {"label", nullptr}});
    }
    try {
        mergedValues(survivor, other, filled);
        FAIL() << "a merge past the caps was accepted";
    } catch (const core::AppError& error) {
        EXPECT_EQ(error.code(), core::ErrorCode::Validation);
        std::set<std::string> fields;
        for (const auto& field : error.fields()) {
            fields.insert(field.field);
        }
        EXPECT_EQ(fields, (std::set<std::string>{"tags", "emails"}));
        EXPECT_NE(error.fields().front().message.find("60"), std::string::npos) << error.fields().front().message;
    }
    other.tags.resize(20);  // 50 tags in all: at the cap, accepted
    other.emails.erase(other.emails.begin() + 9, other.emails.end());
    filled.clear();
    EXPECT_EQ(mergedValues(survivor, other, filled).tags.size(), kMaxTags);
}

// The survivor's consent decision is kept whole: an older record's lawful basis does not fill
// its empty one (that would assert a basis the newer decision never gave). Without any decision
// on the survivor, the basis is missing information and is filled.
TEST(MergedValues, ConsentFieldsMoveTogether) {
    repo::ContactRecord survivor;
    survivor.first_name = "Ann";
    survivor.marketing_consent = false;
    survivor.consent_source = "phone";
    survivor.consent_updated_at = "2026-02-01T00:00:00Z";
    repo::ContactRecord other;
    other.first_name = "Ann";
    other.marketing_consent = true;
    other.lawful_basis = "consent";
    other.consent_updated_at = "2026-01-01T00:00:00Z";
    std::vector<std::string> filled;
    auto merged = mergedValues(survivor, other, filled);
    EXPECT_FALSE(merged.lawful_basis.has_value());
    EXPECT_FALSE(merged.marketing_consent);
    EXPECT_EQ(merged.consent_source, "phone");
    EXPECT_TRUE(filled.empty());

    survivor.consent_updated_at.reset();
    survivor.consent_source.reset();
    other.consent_updated_at.reset();
    other.lawful_basis = "legitimate_interest";
    filled.clear();
    merged = mergedValues(survivor, other, filled);
    EXPECT_EQ(merged.lawful_basis, "legitimate_interest");
}

// The summary reads the same every time for the same facts.
TEST(SummaryText, IsDeterministicPlainText) {
    repo::ContactRecord contact;
    contact.first_name = "Ann";
    contact.last_name = "Lee";
    contact.city = "Lyon";
    repo::SalesProfileRecord sales;
    sales.title = "Head of Talent";
    sales.company_name = "Globex";
    sales.lead_status = "contacted";
    repo::SummaryFacts facts;
    facts.has_sales_profile = true;
    facts.sales_profile_count = 2;
    facts.deal_count = 1;
    facts.open_deal_count = 1;
    facts.last_activity_at = "2026-02-03T10:00:00Z";
    const auto text = summaryText(contact, &sales, nullptr, facts);
    EXPECT_EQ(text,
              "Ann Lee is a buyer. Based in Lyon. As a buyer: Head of Talent at Globex, lead status contacted. "
              "(2 sales profiles in all.) No applications, 1 deal (1 open), no messages. Last activity "
              "on 2026-02-03.");
    EXPECT_EQ(summaryText(contact, &sales, nullptr, facts), text);
}

// Insight messages name the contact, the company and the figure that matters.
TEST(InsightJson, WritesTheMessage) {
    repo::InsightRow row;
    row.type = "buyer_at_client_with_open_jobs";
    row.contact_id = "c1";
    row.first_name = "Gavin";
    row.client_id = "k1";
    row.company = "Hooli";
    row.count = 3;
    row.detail = "client_link";
    const auto item = insightJson(row);
    EXPECT_EQ(item.at("message"), "Gavin buys for Hooli, which has 3 open jobs: a hiring contact as well as a buyer.");
    EXPECT_EQ(item.at("open_job_count"), 3);
    EXPECT_EQ(item.at("via"), "client_link");
}

// The response writer escapes what JSON requires and keeps everything else as it is.
TEST(ContactJson, EscapesText) {
    repo::ContactRecord contact;
    contact.id = "c1";
    contact.first_name = "Zoë \"Q\" \\ Line\nBreak\tTab\x01";
    contact.tags = {"a\"b"};
    contact.emails = json::array({{{"email", "x@y.example"}, {"label", nullptr}}});
    const auto body = toJson(contact);
    EXPECT_EQ(body.at("first_name"), contact.first_name);
    EXPECT_EQ(body.at("full_name"), contact.first_name);
    EXPECT_EQ(body.at("tags"), json({"a\"b"}));
    EXPECT_EQ(body.at("emails"), contact.emails);
    EXPECT_TRUE(body.at("last_name").is_null());
    EXPECT_EQ(body.at("is_dual"), false);
}

// bench/contacts.sh replays the repository's SQL with pgbench: it must be the same text.
TEST(BenchSql, MatchesTheRepository) {
    std::ifstream file(std::string(CRM_SOURCE_DIR) + "/bench/contacts.sh");
    ASSERT_TRUE(file) << "bench/contacts.sh is missing";
    std::stringstream buffer;
    buffer << file.rdbuf();
    const auto script = buffer.str();
    const auto block = [&script](const std::string& name) {
        const auto start = script.find(name + "=$(cat <<'SQL'\n");
        if (start == std::string::npos) {
            return std::string();
        }
        const auto body = script.find('\n', start) + 1;
        return script.substr(body, script.find("\nSQL\n", body) - body);
    };
    const auto squash = [](const std::string& sql) {
        return std::regex_replace(std::regex_replace(sql, std::regex(R"(\s+)"), " "), std::regex(R"(^ | $)"), "");
    };
    const std::string org = "00000000-0000-7000-8000-0000000000aa";
    repo::ListRequest first;
    EXPECT_EQ(squash(block("GET_SQL")), squash(repo::contactDetailSql())) << repo::contactDetailSql();
    const auto list = repo::buildListQuery(org, first).sql;
    EXPECT_EQ(squash(block("LIST_SQL")), squash(list)) << list;
    repo::ListRequest deep;
    deep.after = json::array({"2026-01-01T00:00:00Z", org});
    const auto deep_sql = repo::buildListQuery(org, deep).sql;
    EXPECT_EQ(squash(block("DEEP_SQL")), squash(deep_sql)) << deep_sql;
    repo::ListRequest search;
    search.filter.search_terms = "x";
    search.filter.company_terms = "x";
    const auto search_sql = repo::buildListQuery(org, search, repo::ListPlan::FewMatches).sql;
    EXPECT_EQ(squash(block("SEARCH_SQL")), squash(search_sql)) << search_sql;
}

// Each page size is its own SQL text: only the common sizes become prepared statements, so a
// caller walking limit=1..200 cannot leave a plan per size on every pooled connection. A
// search is never prepared (its plan depends on the text).
TEST(ContactListQuery, PreparesOnlyCommonPageSizes) {
    const std::string org = "00000000-0000-7000-8000-0000000000aa";
    const auto cacheable = [&org](int limit, bool search) {
        repo::ListRequest request;
        request.limit = limit;
        if (search) {
            request.filter.search_terms = "x";
        }
        return repo::buildListQuery(org, request).cacheable;
    };
    for (const int limit : {10, 20, 25, 50, 100, 200}) {
        EXPECT_TRUE(cacheable(limit, false)) << limit;
        EXPECT_FALSE(cacheable(limit, true)) << limit;
    }
    for (const int limit : {1, 7, 49, 51, 199}) {
        EXPECT_FALSE(cacheable(limit, false)) << limit;
    }
    // Only a prepared page hides its organisation from the planner (to keep the generic plan);
    // one planned for its request sees it.
    repo::ListRequest odd;
    odd.limit = 7;
    EXPECT_NE(repo::buildListQuery(org, repo::ListRequest{}).sql.find("c.org_id = (SELECT $1::uuid)"), std::string::npos);
    EXPECT_NE(repo::buildListQuery(org, odd).sql.find("c.org_id = $1 "), std::string::npos);
}

}  // namespace
}  // namespace crm::contacts
