// Contacts: create, read, update, delete, restore, duplicates, the list and its search.
#include "contacts/dto.hpp"
#include "contacts/repository.hpp"
#include "contacts_fixture.hpp"
#include "support/query_plans.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <future>
#include <regex>

namespace crm::test {
namespace {

using nlohmann::json;
namespace repo = crm::contacts::repo;

// The plan PostgreSQL ran a list query with (EXPLAIN ANALYZE), as JSON.
json analyzedListPlan(TestServer& server, const repo::BuiltQuery& query) {
    auto connection = server.database().connect();
    pqxx::read_transaction tx(connection);
    return analyzedPlan(tx, query.sql, query.params);
}

class ContactsApiTest : public ContactsFixture {
protected:
    /// Each sort of the list, and the ORDER BY that gives the same order in SQL.
    static const std::map<std::string, std::string>& sortOrders() {
        static const std::map<std::string, std::string> orders{
            {"-created_at", "created_at DESC, id DESC"},
            {"created_at", "created_at, id"},
            {"-updated_at", "updated_at DESC, id DESC"},
            {"last_name", "crm_fold(last_name), crm_fold(first_name), id"}};
        return orders;
    }

    /// The ids of every page of `GET /api/contacts?<query>` as `user`, 200 a page (at most 100).
    static std::vector<std::string> listAllIds(const TestUser& user, const std::string& query) {
        std::vector<std::string> listed;
        std::string cursor;
        for (int page = 0; page < 100; ++page) {
            const auto response =
                as(user).get("/api/contacts?limit=200&" + query + (cursor.empty() ? "" : "&cursor=" + cursor));
            EXPECT_EQ(response.status, 200) << query << " " << response.body;
            if (response.status != 200) {
                break;
            }
            const auto body = response.json();
            for (const auto& item : body.at("data")) {
                listed.push_back(item.at("id").get<std::string>());
            }
            if (body.at("page").at("next_cursor").is_null()) {
                break;
            }
            cursor = body.at("page").at("next_cursor").get<std::string>();
        }
        return listed;
    }
};

// A created contact comes back with its ETag and Location, owned by its creator.
TEST_F(ContactsApiTest, CreateReturnsContactWithEtagAndLocation) {
    const auto response = as(sales_).post("/api/contacts", {{"first_name", "Ada"}, {"last_name", "Lovelace"}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto body = response.json();
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(response.header("Location"), "/api/v1/contacts/" + body.at("id").get<std::string>());
    EXPECT_EQ(body.at("full_name"), "Ada Lovelace");
    EXPECT_EQ(body.at("owner_id"), sales_.id);
    EXPECT_EQ(body.at("is_dual"), false);
    EXPECT_EQ(body.at("warnings"), json::array());
    EXPECT_EQ(body.at("sales_profiles"), json::array());
}

// E-mails are lower-cased, phones become E.164, countries upper case, tags lower case and unique.
TEST_F(ContactsApiTest, CreateNormalisesContactDetails) {
    const auto body = createContact(
        sales_, {{"first_name", "Grace"},
                 {"email", " Grace.Hopper@Example.COM "},
                 {"emails", {{{"email", "GH@Navy.example"}, {"label", "work"}}}},
                 {"phone", "(212) 555-0123"},
                 {"phones", {{{"phone", "+44 20 7946 0123"}, {"label", "London"}}}},
                 {"country", "us"},
                 {"tags", {"VIP", "vip", "Speaker", "ÉTÉ", "été"}}});
    EXPECT_EQ(body.at("email"), "grace.hopper@example.com");
    EXPECT_EQ(body.at("emails").at(0).at("email"), "gh@navy.example");
    EXPECT_EQ(body.at("phone"), "+12125550123");
    EXPECT_EQ(body.at("phones").at(0).at("phone"), "+442079460123");
    EXPECT_EQ(body.at("country"), "US");
    EXPECT_EQ(body.at("tags"), json({"vip", "speaker", "été"}));
}

// The limit of 50 tags counts different tags: a repeat, in any case, is kept once, not refused.
TEST_F(ContactsApiTest, TagLimitCountsDifferentTags) {
    json tags = json::array();
    for (int i = 0; i < 50; ++i) {
        tags.push_back("t" + std::to_string(i));
    }
    tags.push_back("T7");
    tags.push_back("t7");
    const auto body = createContact(sales_, {{"first_name", "Tess"}, {"tags", tags}});
    EXPECT_EQ(body.at("tags").size(), 50u);
    tags.push_back("t50");
    const auto refused = as(sales_).post("/api/contacts", {{"first_name", "Tess"}, {"tags", tags}});
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(errorFields(refused), std::set<std::string>{"tags"});
    auto client_tags = body.at("tags");
    client_tags.push_back("T0");
    const auto client = as(sales_).post("/api/clients", {{"name", "Tagged"}, {"tags", client_tags}});
    ASSERT_EQ(client.status, 201) << client.body;
    EXPECT_EQ(client.json().at("tags").size(), 50u);
    // Places are one place in any case too; the first spelling is kept.
    const auto places = createContact(
        recruiter_, {{"first_name", "Pia"}, {"candidate_profile", {{"desired_locations", {"Oslo", "oslo", "OSLO", "Bergen"}}}}});
    EXPECT_EQ(places.at("candidate_profiles").at(0).at("desired_locations"), json({"Oslo", "Bergen"}));
}

// Decimals may come as JSON numbers too, taken as the digits written; a number that carries
// more decimals than the field keeps (what float arithmetic leaves) is refused, never rounded.
TEST_F(ContactsApiTest, DecimalNumbersAreTakenAsWritten) {
    const auto body = createContact(
        recruiter_, {{"first_name", "Yara"}, {"candidate_profile", {{"years_experience", 12.5}}}});
    EXPECT_EQ(body.at("candidate_profiles").at(0).at("years_experience"), 12.5);
    const auto budget = createContact(
        manager_, {{"first_name", "Ben"}, {"sales_profile", {{"budget", 1250.5}, {"currency", "EUR"}}}});
    EXPECT_EQ(budget.at("sales_profiles").at(0).at("budget"), "1250.50");
    const auto inexact = as(recruiter_).post(
        "/api/contacts", {{"first_name", "Zed"}, {"candidate_profile", {{"years_experience", 0.1 + 0.2}}}});
    EXPECT_EQ(inexact.status, 422);
    EXPECT_EQ(errorFields(inexact), std::set<std::string>{"candidate_profile.years_experience"});
    // A whole number written with a decimal point is that number; -0.0 is zero, not negative.
    const auto whole = createContact(
        manager_, {{"first_name", "Ivo"},
                   {"sales_profile", {{"lead_score", 50.0}, {"budget", -0.0}, {"currency", "EUR"}}},
                   {"candidate_profile", {{"current_salary", "-0.00"}, {"currency", "EUR"},
                                          {"skills", {{{"name", "Go"}, {"level", 3.0}}}}}}});
    EXPECT_EQ(whole.at("sales_profiles").at(0).at("lead_score"), 50);
    EXPECT_EQ(whole.at("sales_profiles").at(0).at("budget"), "0.00");
    EXPECT_EQ(whole.at("candidate_profiles").at(0).at("current_salary"), "0.00");
    EXPECT_EQ(whole.at("candidate_profiles").at(0).at("skills").at(0).at("level"), 3);
    // A level sent as text that reads as a number is that number: "5" is 5, "6" out of range.
    const auto texts = createContact(
        manager_, {{"first_name", "Ivy"},
                   {"candidate_profile", {{"skills", {{{"name", "Go"}, {"level", "5"}}, {{"name", "C"}, {"level", " 2.0 "}}}}}}});
    EXPECT_EQ(texts.at("candidate_profiles").at(0).at("skills").at(0).at("level"), 5);
    EXPECT_EQ(texts.at("candidate_profiles").at(0).at("skills").at(1).at("level"), 2);
    const auto out_of_range = as(manager_).post(
        "/api/contacts", {{"first_name", "Ivy"},
                          {"candidate_profile", {{"skills", {{{"name", "Go"}, {"level", "6"}}, {{"name", "C"}, {"level", "-1"}},
                                                             {{"name", "R"}, {"level", "2.5"}}}}}}});
    EXPECT_EQ(errorFields(out_of_range),
              (std::set<std::string>{"candidate_profile.skills[0].level", "candidate_profile.skills[1].level",
                                      "candidate_profile.skills[2].level"}))
        << out_of_range.body;
    const auto fraction = as(manager_).post(
        "/api/contacts", {{"first_name", "Ivo"}, {"sales_profile", {{"lead_score", 50.5}}}});
    EXPECT_EQ(errorFields(fraction), std::set<std::string>{"sales_profile.lead_score"});
}

// One request creates the contact and both profiles: the contact is dual and both are primary.
TEST_F(ContactsApiTest, CreateWithBothProfilesIsDual) {
    const auto body = createContact(
        manager_, {{"first_name", "Linus"},
                   {"sales_profile", {{"company_name", "Initech"}, {"budget", "50000.5"}, {"currency", "EUR"}}},
                   {"candidate_profile",
                    {{"headline", "Kernel hacker"},
                     {"skills", {{{"name", "C"}, {"level", 5}}, {{"name", "Git"}, {"level", "expert"}}}},
                     {"desired_salary_min", "90000"},
                     {"desired_salary_max", "120000"},
                     {"currency", "EUR"}}}});
    EXPECT_EQ(body.at("is_dual"), true);
    ASSERT_EQ(body.at("sales_profiles").size(), 1u);
    ASSERT_EQ(body.at("candidate_profiles").size(), 1u);
    EXPECT_EQ(body.at("sales_profiles").at(0).at("is_primary"), true);
    EXPECT_EQ(body.at("sales_profiles").at(0).at("budget"), "50000.50");
    EXPECT_EQ(body.at("candidate_profiles").at(0).at("is_primary"), true);
    EXPECT_EQ(body.at("candidate_profiles").at(0).at("skill_names"), json({"c", "git"}));
    const auto fetched = as(recruiter_).get("/api/contacts/" + body.at("id").get<std::string>());
    ASSERT_EQ(fetched.status, 200);
    EXPECT_EQ(fetched.json().at("is_dual"), true);
    EXPECT_EQ(fetched.json().at("candidate_profiles").at(0).at("desired_salary_max"), "120000.00");
}

// Every bad field is reported in one 422, nested ones by their full path.
TEST_F(ContactsApiTest, CreateReportsEveryBadField) {
    const auto response = as(manager_).post(
        "/api/contacts",
        {{"email", "not-an-email"},
         {"phones", {{{"phone", "+1 212 555 0100"}}, {{"phone", "call me"}}}},
         {"country", "XX"},
         {"linkedin_url", "linkedin.com/in/x"},
         {"lawful_basis", "because"},
         {"sales_profile", {{"decision_role", "boss"}, {"lead_score", 101}}},
         {"candidate_profile", {{"desired_salary_min", "-5"}, {"skills", {{{"name", "C"}, {"level", 9}}}}}}});
    ASSERT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(errorFields(response),
              (std::set<std::string>{"first_name", "email", "phones[1].phone", "country", "linkedin_url",
                                     "lawful_basis", "sales_profile.decision_role",
                                     "sales_profile.lead_score", "candidate_profile.desired_salary_min",
                                     "candidate_profile.skills[0].level"}));
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
}

// A body that is no object is named alone: none of its fields can be there, so none (the
// required first_name) is reported missing.
TEST_F(ContactsApiTest, ANonObjectIsNamedAlone) {
    for (const auto& body : {json::array(), json("x"), json(nullptr)}) {
        const auto response = as(manager_).post("/api/contacts", body);
        EXPECT_EQ(response.status, 422) << body;
        EXPECT_EQ(errorFields(response), std::set<std::string>{"body"}) << body;
    }
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
}

// Values that look sent but say nothing, or that PostgreSQL's checks would refuse, are each
// named: a blank entry of a list is not silently dropped (its label with it), a number too
// short for E.164 in full, a LinkedIn address without a real host.
TEST_F(ContactsApiTest, BlankAndBorderlineValuesAreNamed) {
    const auto response = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"},
                          {"emails", {{{"email", ""}, {"label", "work"}}}},
                          {"phones", {{{"phone", " "}, {"label", "mobile"}}, {{"phone", "+49 1234"}}}},
                          {"phone", "+49 30 12"},
                          {"linkedin_url", "https://@@@"},
                          {"tags", {"vip", "\u200b"}},
                          {"email", "\u200b"}});
    ASSERT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(errorFields(response),
              (std::set<std::string>{"emails[0].email", "phones[0].phone", "phones[1].phone", "phone",
                                     "linkedin_url", "tags[1]", "email"}));
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);

    // Bidi isolates and other characters that print as nothing: a name of them is blank, an
    // address with one is refused (it could pass for another); line separators break a line.
    const auto invisible = as(manager_).post(
        "/api/contacts", {{"first_name", "\u2066\u2069"}, {"last_name", "\u3164"}, {"email", "ada\u2066@x.example"},
                          {"tags", {"a\u2028b"}},
                          {"candidate_profile", {{"skills", {{{"name", "Go\u2029Rust"}, {"level", "ex\u2028pert"}}}}}}});
    EXPECT_EQ(errorFields(invisible),
              (std::set<std::string>{"first_name", "last_name", "email", "tags[0]", "candidate_profile.skills[0].name",
                                     "candidate_profile.skills[0].level"}));

    const auto linkedin = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"}, {"linkedin_url", "HTTPS://WWW.LinkedIn.com/in/Ada"}});
    ASSERT_EQ(linkedin.status, 201) << linkedin.body;
    EXPECT_EQ(linkedin.json().at("linkedin_url"), "https://www.linkedin.com/in/Ada");
}

// Input that once reached the server's stack or PostgreSQL unchecked is a 4xx naming the field,
// and the server keeps answering: a decimal of 300,000 digits (std::regex recursed once per
// character), NUL characters in list items and skill levels, a body nested 100,000 levels deep
// (copying it recursed once per level).
TEST_F(ContactsApiTest, HostileInputIsRefusedByField) {
    const auto huge_budget = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"},
                          {"sales_profile", {{"budget", std::string(300000, '9')}, {"currency", "EUR"}}}});
    ASSERT_EQ(huge_budget.status, 422) << huge_budget.body.substr(0, 300);
    EXPECT_EQ(errorFields(huge_budget), std::set<std::string>{"sales_profile.budget"});

    const auto nul_tag = as(manager_).post("/api/contacts", {{"first_name", "Ada"},
                                                             {"tags", {std::string("a\0b", 3)}}});
    ASSERT_EQ(nul_tag.status, 422) << nul_tag.body;
    EXPECT_EQ(errorFields(nul_tag), std::set<std::string>{"tags[0]"});
    const auto second_tag = as(manager_).post("/api/contacts", {{"first_name", "Ada"}, {"tags", {"vip", 7, "", "ok"}}});
    ASSERT_EQ(second_tag.status, 422) << second_tag.body;
    EXPECT_EQ(errorFields(second_tag), (std::set<std::string>{"tags[1]", "tags[2]"}));  // each entry, by its place

    // Control characters garble what shows a name; line breaks belong in notes, not in tags.
    const auto controls = as(manager_).post(
        "/api/contacts", {{"first_name", "Bob\x01by"}, {"last_name", "Esc\x1b[31m"}, {"tags", {"a\tb"}},
                          {"candidate_profile", {{"summary", "First line\nsecond line\twith a tab"}}}});
    ASSERT_EQ(controls.status, 422) << controls.body;
    EXPECT_EQ(errorFields(controls), (std::set<std::string>{"first_name", "last_name", "tags[0]"}));

    // A name, a city or a title is one line: a line break would split it in a list or an
    // e-mail greeting, and a bidi override shows it reversed ("Li\u202Etset" reads "Litest").
    const auto one_line = as(manager_).post(
        "/api/contacts", {{"first_name", "Ann\nDrop"}, {"last_name", "Li\u202Etset"}, {"city", "Oslo\u2028X"},
                          {"sales_profile", {{"title", "Head\tof sales"}, {"notes", "Met at the fair.\nCall in May."}}},
                          {"tags", {"ab\u202Ecd"}},
                          {"candidate_profile", {{"current_employer", "Initech\r\nLtd"},
                                                 {"desired_locations", {"Os\u202Dlo"}}}}});
    ASSERT_EQ(one_line.status, 422) << one_line.body;
    EXPECT_EQ(errorFields(one_line),
              (std::set<std::string>{"first_name", "last_name", "city", "sales_profile.title", "tags[0]",
                                     "candidate_profile.current_employer", "candidate_profile.desired_locations[0]"}));
    EXPECT_NE(one_line.body.find("must be one line"), std::string::npos) << one_line.body;
    EXPECT_NE(one_line.body.find("bidi overrides"), std::string::npos) << one_line.body;


    const auto nul_level = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"},
                          {"candidate_profile", {{"skills", {{{"name", "C++"}, {"level", std::string("a\0", 2)}}}}}}});
    ASSERT_EQ(nul_level.status, 422) << nul_level.body;
    EXPECT_EQ(errorFields(nul_level), std::set<std::string>{"candidate_profile.skills[0].level"});

    const std::string deep = "{\"first_name\":\"Ada\",\"emails\":" + std::string(100000, '[') +
                             std::string(100000, ']') + "}";
    const auto nested = as(manager_).request("POST", "/api/contacts", deep);
    EXPECT_EQ(nested.status, 400) << nested.body;

    EXPECT_EQ(as(manager_).get("/api/contacts").status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
}

// Paragraphs belong in notes and a summary; a Persian name keeps its joiner (U+200C), and a
// name copied with direction isolates (U+2068, U+2069) keeps them: only overrides are refused.
TEST_F(ContactsApiTest, ParagraphsInNotesAndShapingInNamesAreKept) {
    const auto kept = as(manager_).post(
        "/api/contacts", {{"first_name", "\u2068Ann\u2069"}, {"last_name", "\u0645\u06cc\u200c\u0631\u0648\u062f"},
                          {"sales_profile", {{"notes", "Met at the fair.\nCall in May."}}},
                          {"candidate_profile", {{"summary", "First line\nsecond line\twith a tab"}}}});
    ASSERT_EQ(kept.status, 201) << kept.body;
    EXPECT_EQ(kept.json().at("first_name"), "\u2068Ann\u2069");
    EXPECT_EQ(kept.json().at("last_name"), "\u0645\u06cc\u200c\u0631\u0648\u062f");
    EXPECT_EQ(kept.json().at("sales_profiles").at(0).at("notes"), "Met at the fair.\nCall in May.");
    EXPECT_EQ(kept.json().at("candidate_profiles").at(0).at("summary"), "First line\nsecond line\twith a tab");
}

// E-mails are lower-cased beyond ASCII and white space is recognised beyond ASCII, the way
// PostgreSQL's checks see them: what the API accepts, the database accepts, and what it would
// refuse is a 422 naming the field rather than an anonymous rule.
TEST_F(ContactsApiTest, UnicodeCaseAndSpacesFollowTheDatabase) {
    const auto created = as(manager_).post("/api/contacts", {{"first_name", "Ärne"}, {"email", "ÄRNE@Example.com"}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json().at("email"), "ärne@example.com");

    const auto ideographic_space = std::string("\u3000");
    const auto blank = as(manager_).post("/api/contacts", {{"first_name", ideographic_space + ideographic_space}});
    ASSERT_EQ(blank.status, 422) << blank.body;
    EXPECT_EQ(errorFields(blank), std::set<std::string>{"first_name"});
    // A name of characters that print as nothing is as blank as one of spaces, to a reader.
    const auto invisible = as(manager_).post("/api/contacts", {{"first_name", "\u200b\u200b"}, {"last_name", "\ufeff"}});
    ASSERT_EQ(invisible.status, 422) << invisible.body;
    EXPECT_EQ(errorFields(invisible), (std::set<std::string>{"first_name", "last_name"}));

    // Skill names are one line each, and a skill named again in another case is one skill.
    const auto skills = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"},
                          {"candidate_profile", {{"skills", {{{"name", "Go"}, {"level", 4}}, {{"name", "go "}},
                                                             {{"name", "GO"}}, {{"name", "SQL"}}}}}}});
    ASSERT_EQ(skills.status, 201) << skills.body;
    EXPECT_EQ(skills.json().at("candidate_profiles").at(0).at("skills"),
              json::parse(R"([{"name": "Go", "level": 4}, {"name": "SQL", "level": null}])"));
    const auto tabbed = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"}, {"candidate_profile", {{"skills", {{{"name", "Go\tRust"}}}}}}});
    EXPECT_EQ(errorFields(tabbed), std::set<std::string>{"candidate_profile.skills[0].name"});

    const auto spaced = as(manager_).post(
        "/api/contacts", {{"first_name", "Ada"},
                          {"email", "ada" + ideographic_space + "x@example.com"},
                          {"linkedin_url", "https://www.linkedin.com/in/ada" + ideographic_space + "x"}});
    ASSERT_EQ(spaced.status, 422) << spaced.body;
    EXPECT_EQ(errorFields(spaced), (std::set<std::string>{"email", "linkedin_url"}));
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 2);
}

// The last_name sort's cursor carries two names; with the longest names the API accepts (200
// characters, two bytes each in UTF-8) it must still be accepted back.
TEST_F(ContactsApiTest, LongestNamesStillPage) {
    for (const char* letter : {"А", "Б", "В"}) {
        std::string name;
        for (int i = 0; i < 199; ++i) {
            name += "Ж";
        }
        name += letter;
        ASSERT_FALSE(createContactId(sales_, {{"first_name", name}, {"last_name", name}}).empty());
    }
    std::string target = "/api/contacts?sort=last_name&limit=1";
    std::set<std::string> seen;
    for (int page = 0; page < 3; ++page) {
        const auto response = as(sales_).get(target);
        ASSERT_EQ(response.status, 200) << response.body;
        const auto body = response.json();
        ASSERT_EQ(body.at("data").size(), 1u);
        seen.insert(body.at("data").at(0).at("id").get<std::string>());
        if (page < 2) {
            target = "/api/contacts?sort=last_name&limit=1&cursor=" +
                     body.at("page").at("next_cursor").get<std::string>();
        }
    }
    EXPECT_EQ(seen.size(), 3u);
}

// A profile that breaks a rule across fields fails the whole request: nothing is written.
TEST_F(ContactsApiTest, BadProfileWritesNothing) {
    const auto response = as(manager_).post(
        "/api/contacts", {{"first_name", "Ken"},
                          {"sales_profile", {{"company_name", "Bell Labs"}}},
                          {"candidate_profile",
                           {{"desired_salary_min", "90000"}, {"desired_salary_max", "80000"}, {"currency", "USD"}}}});
    ASSERT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(errorFields(response), std::set<std::string>{"candidate_profile.desired_salary_min"});
    EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM sales_profiles"), 0);
}

// Fields the resource does not have, or that the server maintains, are refused by name.
TEST_F(ContactsApiTest, UnknownAndServerFieldsAreRefused) {
    const auto response = as(sales_).post(
        "/api/contacts", {{"first_name", "Ann"}, {"favourite_colour", "red"}, {"search_text", "x"},
                          {"merged_into_id", "00000000-0000-7000-8000-000000000001"}});
    ASSERT_EQ(response.status, 422);
    EXPECT_EQ(errorFields(response),
              (std::set<std::string>{"favourite_colour", "search_text", "merged_into_id"}));
}

// A second live contact with a known e-mail is a 409 naming the existing one, unless allowed.
TEST_F(ContactsApiTest, DuplicateEmailConflictsUnlessAllowed) {
    const auto first = createContactId(sales_, {{"first_name", "Ann"}, {"email", "ann@acme.example"}});
    const auto again = as(sales2_).post("/api/contacts", {{"first_name", "Annie"}, {"email", "ANN@acme.example"}});
    ASSERT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(again.json().at("existing_id"), first);
    EXPECT_EQ(again.json().at("matched_field"), "email");
    EXPECT_EQ(errorFields(again), std::set<std::string>{"email"});
    // Given twice, the switch is refused rather than read by the order of its values.
    for (const auto* query : {"?allow_duplicate=true&allow_duplicate=false",
                              "?allow_duplicate=false&allow_duplicate=true"}) {
        const auto twice = as(sales2_).post(std::string("/api/contacts") + query,
                                            {{"first_name", "Annie"}, {"email", "ann@acme.example"}});
        ASSERT_EQ(twice.status, 422) << query;
        EXPECT_EQ(errorFields(twice), std::set<std::string>{"allow_duplicate"});
    }
    const auto allowed = as(sales2_).post("/api/contacts?allow_duplicate=true",
                                          {{"first_name", "Annie"}, {"email", "ann@acme.example"}});
    EXPECT_EQ(allowed.status, 201);
    // Composed and decomposed spellings are one address, one name, one search.
    const auto composed = createContactId(sales_, {{"first_name", "Jos\u00e9"}, {"email", "jos\u00e9@acme.example"}});
    const auto decomposed = as(sales2_).post("/api/contacts", {{"first_name", "Jose\u0301"}, {"email", "jose\u0301@acme.example"}});
    ASSERT_EQ(decomposed.status, 409) << decomposed.body;
    EXPECT_EQ(decomposed.json().at("existing_id"), composed);
    const auto found = as(sales_).get("/api/contacts?q=jose%CC%81").json().at("data");  // e + U+0301
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found.at(0).at("id"), composed);
}

// Secondary e-mails count both ways: a new address matching an existing list entry, and a new
// list entry matching an existing address.
TEST_F(ContactsApiTest, DuplicateCheckCoversSecondaryEmails) {
    const auto first = createContactId(
        sales_, {{"first_name", "Bo"}, {"email", "bo@one.example"}, {"emails", {{{"email", "bo@two.example"}}}}});
    const auto by_address = as(sales_).post("/api/contacts", {{"first_name", "B"}, {"email", "bo@two.example"}});
    ASSERT_EQ(by_address.status, 409);
    EXPECT_EQ(by_address.json().at("existing_id"), first);
    const auto by_list = as(sales_).post(
        "/api/contacts", {{"first_name", "B"}, {"emails", {{{"email", "x@y.example"}}, {{"email", "bo@one.example"}}}}});
    ASSERT_EQ(by_list.status, 409);
    EXPECT_EQ(by_list.json().at("matched_field"), "emails[1].email");
}

// Secondary phones count both ways too, whatever format each side was typed in.
TEST_F(ContactsApiTest, DuplicateCheckCoversSecondaryPhones) {
    const auto first = createContactId(
        sales_, {{"first_name", "Di"}, {"phone", "+1 212 555 0101"}, {"phones", {{{"phone", "+1 (212) 555-0102"}}}}});
    const auto by_phone = as(sales_).post("/api/contacts", {{"first_name", "D"}, {"phone", "+12125550102"}});
    ASSERT_EQ(by_phone.status, 409) << by_phone.body;
    EXPECT_EQ(by_phone.json().at("existing_id"), first);
    EXPECT_EQ(by_phone.json().at("matched_field"), "phone");
    const auto by_list = as(sales_).post(
        "/api/contacts", {{"first_name", "D"}, {"phones", {{{"phone", "+1 212 555 0199"}}, {{"phone", "+1 212-555-0102"}}}}});
    ASSERT_EQ(by_list.status, 409) << by_list.body;
    EXPECT_EQ(by_list.json().at("matched_field"), "phones[1].phone");
    EXPECT_EQ(as(sales_).post("/api/contacts", {{"first_name", "D"}, {"phone", "+1 212 555 0103"}}).status, 201);
}

// The same phone in another format is a duplicate too.
TEST_F(ContactsApiTest, DuplicatePhoneConflicts) {
    const auto first = createContactId(sales_, {{"first_name", "Cy"}, {"phone", "+1 212 555 0199"}});
    const auto again = as(sales_).post("/api/contacts", {{"first_name", "Cyrus"}, {"phone", "(212) 555-0199"}});
    ASSERT_EQ(again.status, 409);
    EXPECT_EQ(again.json().at("existing_id"), first);
    EXPECT_EQ(again.json().at("matched_field"), "phone");
}

// A number without a country code is read in the contact's own country: the same number
// written nationally and internationally is one number, and a duplicate.
TEST_F(ContactsApiTest, LocalNumbersAreReadInTheContactsCountry) {
    const auto claire = createContact(sales_, {{"first_name", "Claire"}, {"country", "fr"}, {"phone", "01 42 68 53 99"},
                                               {"phones", {{{"phone", "06 12 34 56 78"}}}}});
    EXPECT_EQ(claire.at("phone"), "+33142685399");
    EXPECT_EQ(claire.at("phones").at(0).at("phone"), "+33612345678");
    const auto again = as(sales_).post("/api/contacts", {{"first_name", "Claire"}, {"phone", "0033 1 42 68 53 99"}});
    ASSERT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(again.json().at("existing_id"), claire.at("id"));
}

// Editing only the number of a contact in France reads it in France, as creating it did; a
// number that is no number there is a 422 naming its field, and nothing changes.
TEST_F(ContactsApiTest, EditedLocalNumbersAreReadInTheStoredCountry) {
    const auto id = createContactId(sales_, {{"first_name", "Margaux"}, {"country", "FR"}});
    const auto edited = as(sales_).put("/api/contacts/" + id, {{"phone", "01 42 68 53 98"},
                                                               {"phones", {{{"phone", "06 12 34 56 70"}}}}});
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(edited.json().at("phone"), "+33142685398");
    EXPECT_EQ(edited.json().at("phones").at(0).at("phone"), "+33612345670");

    const auto bad = as(sales_).put("/api/contacts/" + id, {{"city", "Lyon"}, {"phones", {{{"phone", "+33 6 12"}}, {{"phone", "12"}}}}});
    ASSERT_EQ(bad.status, 422) << bad.body;
    EXPECT_EQ(errorFields(bad), (std::set<std::string>{"phones[0].phone", "phones[1].phone"}));
    const auto stored = as(sales_).get("/api/contacts/" + id).json();
    EXPECT_EQ(stored.at("city"), nullptr);
    EXPECT_EQ(stored.at("phones").at(0).at("phone"), "+33612345670");

    // A country sent with the number is the one it is read in; one cleared, the default region's.
    const auto moved = as(sales_).put("/api/contacts/" + id, {{"country", "DE"}, {"phone", "030 901820"}});
    EXPECT_EQ(moved.json().at("phone"), "+4930901820");
    const auto cleared = as(sales_).put("/api/contacts/" + id, {{"country", nullptr}, {"phone", "(212) 555-0142"}});
    EXPECT_EQ(cleared.json().at("phone"), "+12125550142");
    // With no stored country, the default region (US in this suite).
    EXPECT_EQ(as(sales_).put("/api/contacts/" + id, {{"phone", "(212) 555-0143"}}).json().at("phone"), "+12125550143");
}

// Deleted contacts and other organisations' contacts are not duplicates.
TEST_F(ContactsApiTest, DuplicatesAreLiveContactsOfTheOrganisation) {
    const auto gone = createContactId(sales_, {{"first_name", "Di"}, {"email", "di@acme.example"}});
    ASSERT_EQ(as(sales_).del("/api/contacts/" + gone).status, 204);
    createContact(stranger_, {{"first_name", "Di"}, {"email", "dee@acme.example"}});
    EXPECT_EQ(as(sales_).post("/api/contacts", {{"first_name", "Di"}, {"email", "di@acme.example"}}).status, 201);
    EXPECT_EQ(as(sales_).post("/api/contacts", {{"first_name", "Dee"}, {"email", "dee@acme.example"}}).status, 201);
}

// A similar name at the same company is created, with a warning naming the look-alike.
TEST_F(ContactsApiTest, SimilarNameAtSameCompanyWarns) {
    const auto jon = createContactId(
        manager_, {{"first_name", "Jon"}, {"last_name", "Smith"}, {"sales_profile", {{"company_name", "Initech"}}}});
    const auto response = as(manager_).post(
        "/api/contacts",
        {{"first_name", "John"}, {"last_name", "Smith"}, {"sales_profile", {{"company_name", "INITECH"}}}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto warnings = response.json().at("warnings");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings.at(0).at("contact_id"), jon);
    EXPECT_EQ(warnings.at(0).at("reason"), "similar_name_same_company");
    const auto other_name = as(manager_).post(
        "/api/contacts", {{"first_name", "Mary"}, {"last_name", "Major"}, {"sales_profile", {{"company_name", "Initech"}}}});
    EXPECT_EQ(other_name.json().at("warnings"), json::array());
    const auto other_company = as(manager_).post(
        "/api/contacts", {{"first_name", "Jon"}, {"last_name", "Smith"}, {"sales_profile", {{"company_name", "Globex"}}}});
    EXPECT_EQ(other_company.json().at("warnings"), json::array());
    // Greek in capitals is the same name ("ΑΡΗΣ ΖΑΣ" is "Άρης Ζας": capitals carry no accents
    // and have one Σ), as is a name typed without its accents ("Jose" for "José").
    const auto aris = createContactId(
        manager_, {{"first_name", "Άρης"}, {"last_name", "Ζας"}, {"sales_profile", {{"company_name", "Όμιλος"}}}});
    const auto shouted = as(manager_).post(
        "/api/contacts", {{"first_name", "ΑΡΗΣ"}, {"last_name", "ΖΑΣ"}, {"sales_profile", {{"company_name", "ΟΜΙΛΟΣ"}}}});
    ASSERT_EQ(shouted.status, 201) << shouted.body;
    ASSERT_EQ(shouted.json().at("warnings").size(), 1u) << shouted.body;
    EXPECT_EQ(shouted.json().at("warnings").at(0).at("contact_id"), aris);
    EXPECT_EQ(shouted.json().at("warnings").at(0).at("similarity"), 1.0);
}

// A candidate's current employer is a company too: the warning works in both directions.
TEST_F(ContactsApiTest, SimilarNameAtEmployerWarns) {
    const auto buyer = createContactId(manager_, {{"first_name", "Ada"}, {"last_name", "Byron"},
                                                  {"sales_profile", {{"company_name", "Analytical Engines"}}}});
    const auto candidate = as(manager_).post("/api/contacts", {{"first_name", "Ada"}, {"last_name", "Byron"},
                                                               {"candidate_profile", {{"current_employer", "analytical ENGINES"}}}});
    ASSERT_EQ(candidate.status, 201) << candidate.body;
    const auto warned = candidate.json().at("warnings");
    ASSERT_EQ(warned.size(), 1u) << warned;
    EXPECT_EQ(warned.at(0).at("contact_id"), buyer);
    EXPECT_EQ(warned.at(0).at("company"), "Analytical Engines");
    const auto third = as(manager_).post("/api/contacts", {{"first_name", "Ada"}, {"last_name", "Byron"},
                                                           {"sales_profile", {{"company_name", "Analytical Engines"}}}});
    ASSERT_EQ(third.status, 201) << third.body;
    std::set<std::string> named;
    const auto third_body = third.json();
    for (const auto& warning : third_body.at("warnings")) {
        named.insert(warning.at("contact_id").get<std::string>());
    }
    EXPECT_EQ(named, (std::set<std::string>{buyer, candidate.json().at("id").get<std::string>()}));
    const auto elsewhere = as(manager_).post("/api/contacts", {{"first_name", "Ada"}, {"last_name", "Byron"},
                                                               {"candidate_profile", {{"current_employer", "Difference Ltd"}}}});
    ASSERT_EQ(elsewhere.status, 201) << elsewhere.body;
    EXPECT_EQ(elsewhere.json().at("warnings"), json::array());
}

// The same name linked to the same client (by client id) also warns.
TEST_F(ContactsApiTest, SameNameAtSameClientWarns) {
    const auto client = insertClient(org_, "Umbrella");
    const auto first = createContactId(manager_, {{"first_name", "Alice"}, {"last_name", "Abernathy"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + first + "/client-relationships",
                               {{"relationships", {{{"client_id", client}}}}}).status,
              200);
    const auto response = as(manager_).post(
        "/api/contacts", {{"first_name", "alice"}, {"last_name", "ABERNATHY"}, {"sales_profile", {{"client_id", client}}}});
    ASSERT_EQ(response.status, 201) << response.body;
    ASSERT_EQ(response.json().at("warnings").size(), 1u);
    EXPECT_EQ(response.json().at("warnings").at(0).at("contact_id"), first);
    // Someone who left the client long ago is not "at the same company" any more.
    const auto former = createContactId(manager_, {{"first_name", "Bruno"}, {"last_name", "Bellweather"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + former + "/client-relationships",
                               {{"relationships", {{{"client_id", client}, {"start_date", "2019-01-01"},
                                                    {"end_date", "2020-01-01"}}}}})
                  .status,
              200);
    const auto again = as(manager_).post(
        "/api/contacts", {{"first_name", "Bruno"}, {"last_name", "Bellweather"}, {"sales_profile", {{"client_id", client}}}});
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_TRUE(again.json().value("warnings", json::array()).empty()) << again.body;
}

// However the company was recorded, by client or by name, the same company is recognised, and
// the warning and the summary name it.
TEST_F(ContactsApiTest, CompanyByClientOrByNameIsTheSameCompany) {
    const auto client = insertClient(org_, "Initech");
    const auto by_client = createContactId(
        manager_, {{"first_name", "Jon"}, {"last_name", "Smith"}, {"sales_profile", {{"client_id", client}, {"title", "CTO"}}}});
    const auto twin = as(manager_).post(
        "/api/contacts", {{"first_name", "John"}, {"last_name", "Smith"}, {"sales_profile", {{"company_name", "INITECH"}}}});
    ASSERT_EQ(twin.status, 201) << twin.body;
    const auto warnings = twin.json().at("warnings");
    ASSERT_EQ(warnings.size(), 1u) << twin.body;
    const auto& warning = warnings.at(0);
    EXPECT_EQ(warning.at("contact_id"), by_client);
    EXPECT_EQ(warning.at("company"), "Initech");
    EXPECT_EQ(warning.at("message"), "Jon Smith at Initech has a similar name: check that this is not the same person");
    const auto text = as(sales_).get("/api/contacts/" + by_client + "/summary").json().at("text").get<std::string>();
    EXPECT_NE(text.find("As a buyer: CTO at Initech"), std::string::npos) << text;
}

// A PUT changes only the fields sent; null clears a nullable one; the version moves on.
TEST_F(ContactsApiTest, UpdateIsPartialAndNullClears) {
    const auto created = createContact(sales_, {{"first_name", "Eve"}, {"last_name", "Adams"}, {"city", "Oslo"}});
    const auto id = created.at("id").get<std::string>();
    const auto first = as(sales_).put("/api/contacts/" + id, {{"city", "Paris"}});
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json().at("city"), "Paris");
    EXPECT_EQ(first.json().at("last_name"), "Adams");
    EXPECT_EQ(first.header("ETag"), "\"2\"");
    const auto cleared = as(sales_).put("/api/contacts/" + id, {{"last_name", nullptr}});
    EXPECT_TRUE(cleared.json().at("last_name").is_null());
    const auto refused = as(sales_).put("/api/contacts/" + id, {{"first_name", nullptr}});
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(errorFields(refused), std::set<std::string>{"first_name"});
}

// An unchanged PUT keeps the version, so a client's If-Match stays valid.
TEST_F(ContactsApiTest, NoOpUpdateKeepsVersion) {
    const auto id = createContactId(sales_, {{"first_name", "Fay"}, {"city", "Rome"}});
    const auto response = as(sales_).put("/api/contacts/" + id, {{"city", "Rome"}});
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("ETag"), "\"1\"");
}

// A stale If-Match is a 412 and changes nothing.
TEST_F(ContactsApiTest, StaleIfMatchIsPreconditionFailed) {
    const auto id = createContactId(sales_, {{"first_name", "Gus"}});
    ASSERT_EQ(as(sales_).put("/api/contacts/" + id, {{"city", "Lima"}}, {{"If-Match", "\"1\""}}).status, 200);
    const auto stale = as(sales_).put("/api/contacts/" + id, {{"city", "Quito"}}, {{"If-Match", "\"1\""}});
    EXPECT_EQ(stale.status, 412);
    EXPECT_EQ(as(sales_).get("/api/contacts/" + id).json().at("city"), "Lima");
    EXPECT_EQ(as(sales_).del("/api/contacts/" + id, {{"If-Match", "\"1\""}}).status, 412);
}

// Changing the e-mail to one another contact has is a 409, as on create.
TEST_F(ContactsApiTest, UpdateChecksDuplicates) {
    createContact(sales_, {{"first_name", "Hal"}, {"email", "hal@acme.example"}});
    const auto id = createContactId(sales_, {{"first_name", "Ian"}, {"email", "ian@acme.example"}});
    const auto response = as(sales_).put("/api/contacts/" + id, {{"email", "hal@acme.example"}});
    EXPECT_EQ(response.status, 409);
    EXPECT_EQ(as(sales_).put("/api/contacts/" + id + "?allow_duplicate=true", {{"email", "hal@acme.example"}}).status,
              200);
}

// Each changed field leaves a history row with old and new value, author and request id.
TEST_F(ContactsApiTest, UpdateWritesFieldHistory) {
    const auto id = createContactId(sales_, {{"first_name", "Ivy"}, {"email", "ivy@old.example"}});
    ASSERT_EQ(as(sales_).put("/api/contacts/" + id, {{"email", "ivy@new.example"}, {"tags", {"hot"}}},
                             {{"X-Request-Id", "req-history-1"}}).status,
              200);
    const auto history = as(sales_).get("/api/contacts/" + id + "/history?profile_type=contact");
    ASSERT_EQ(history.status, 200);
    const auto body = history.json();
    std::map<std::string, json> by_field;
    for (const auto& entry : body.at("data")) {
        by_field[entry.at("field").get<std::string>()] = entry;
    }
    ASSERT_TRUE(by_field.count("email"));
    EXPECT_EQ(by_field["email"].at("old_value"), "ivy@old.example");
    EXPECT_EQ(by_field["email"].at("new_value"), "ivy@new.example");
    EXPECT_EQ(by_field["email"].at("changed_by"), sales_.id);
    EXPECT_EQ(by_field["email"].at("request_id"), "req-history-1");
    EXPECT_EQ(by_field["tags"].at("new_value"), json({"hot"}));
    EXPECT_TRUE(by_field.count("record"));  // the creation
}

// Owners are reassigned by managers only, and only to active users of the organisation.
TEST_F(ContactsApiTest, ReassignmentNeedsManagerAndAValidUser) {
    const auto id = createContactId(sales_, {{"first_name", "Jay"}});
    EXPECT_EQ(as(sales_).put("/api/contacts/" + id, {{"owner_id", sales2_.id}}).status, 403);
    const auto foreign = as(manager_).put("/api/contacts/" + id, {{"owner_id", stranger_.id}});
    EXPECT_EQ(foreign.status, 422);
    EXPECT_EQ(errorFields(foreign), std::set<std::string>{"owner_id"});
    const auto moved = as(manager_).put("/api/contacts/" + id, {{"owner_id", sales2_.id}});
    ASSERT_EQ(moved.status, 200);
    EXPECT_EQ(moved.json().at("owner_id"), sales2_.id);
    EXPECT_EQ(as(sales_).post("/api/contacts", {{"first_name", "K"}, {"owner_id", sales2_.id}}).status, 403);
    // An explicit null is no owner, never quietly the caller: a manager's decision, as above.
    EXPECT_EQ(as(sales_).post("/api/contacts", {{"first_name", "L"}, {"owner_id", nullptr}}).status, 403);
    const auto unowned = as(manager_).post("/api/contacts", {{"first_name", "M"}, {"owner_id", nullptr}});
    ASSERT_EQ(unowned.status, 201) << unowned.body;
    EXPECT_TRUE(unowned.json().at("owner_id").is_null());
}

// A deleted contact disappears (404, not listed) until it is restored.
TEST_F(ContactsApiTest, DeleteHidesUntilRestore) {
    const auto id = createContactId(sales_, {{"first_name", "Kim"}});
    ASSERT_EQ(as(sales_).del("/api/contacts/" + id).status, 204);
    EXPECT_EQ(as(sales_).get("/api/contacts/" + id).status, 404);
    EXPECT_EQ(as(sales_).put("/api/contacts/" + id, {{"city", "X"}}).status, 404);
    EXPECT_EQ(as(sales_).del("/api/contacts/" + id).status, 404);
    EXPECT_TRUE(as(sales_).get("/api/contacts").json().at("data").empty());
    // Restore takes no body: one sent along, of any type, is ignored.
    const auto restored = as(sales_).request("POST", "/api/contacts/" + id + "/restore", "not json",
                                             {{"Content-Type", "text/plain"}});
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_TRUE(restored.json().at("deleted_at").is_null());
    EXPECT_EQ(as(sales_).get("/api/contacts/" + id).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action IN ('contact.deleted', 'contact.restored')"), 2);
}

// Restoring takes If-Match like every other write: one made against the contact as it was
// before it was deleted is a 412 and leaves it deleted.
TEST_F(ContactsApiTest, RestoreWithAStaleIfMatchIsRefused) {
    const auto id = createContactId(sales_, {{"first_name", "Lou"}});
    const auto deleted = as(sales_).del("/api/contacts/" + id, {{"If-Match", "\"1\""}});
    ASSERT_EQ(deleted.status, 204);
    EXPECT_EQ(deleted.header("ETag"), "\"2\"");  // the version a conditional restore names
    const auto stale = as(sales_).post("/api/contacts/" + id + "/restore", json::object(), {{"If-Match", "\"1\""}});
    EXPECT_EQ(stale.status, 412) << stale.body;
    EXPECT_EQ(as(sales_).get("/api/contacts/" + id).status, 404);
    const auto restored = as(sales_).post("/api/contacts/" + id + "/restore", json::object(), {{"If-Match", "\"2\""}});
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_EQ(restored.header("ETag"), "\"3\"");
}

// The list is newest first and says which profiles each contact has.
TEST_F(ContactsApiTest, ListNewestFirstWithProfileFlags) {
    const auto a = createContactId(manager_, {{"first_name", "A"}});
    const auto b = createContactId(manager_, {{"first_name", "B"}, {"sales_profile", json::object()}});
    const auto c = createContactId(
        manager_, {{"first_name", "C"}, {"sales_profile", json::object()}, {"candidate_profile", json::object()}});
    const auto response = as(recruiter_).get("/api/contacts");
    ASSERT_EQ(response.status, 200);
    const auto body = response.json();
    EXPECT_EQ(ids(body.at("data")), (std::vector<std::string>{c, b, a}));
    EXPECT_EQ(body.at("data").at(0).at("is_dual"), true);
    EXPECT_EQ(body.at("data").at(1).at("has_sales_profile"), true);
    EXPECT_EQ(body.at("data").at(1).at("has_candidate_profile"), false);
    EXPECT_FALSE(body.at("data").at(0).contains("sales_profiles"));  // only with include=profiles
    EXPECT_TRUE(body.at("page").at("next_cursor").is_null());
}

// A list item is the contact as its own page shows it, field for field: lists read rows in
// place and write them straight out, the contact's page goes through a record.
TEST_F(ContactsApiTest, ListItemsMatchTheContactsOwnPage) {
    const auto full = createContactId(
        manager_, {{"first_name", "Ünal"}, {"last_name", "O\"Brien \\ Tab\t"},
                   {"email", "unal@example.com"},
                   {"emails", {{{"email", "u2@example.com"}, {"label", "work \"desk\""}}}},
                   {"phone", "+44 20 7946 0999"},
                   {"phones", {{{"phone", "+1 212 555 0199"}, {"label", "NY"}}}},
                   {"city", "Zürich"}, {"country", "CH"},
                   {"linkedin_url", "https://www.linkedin.com/in/unal"}, {"source", "referral"},
                   {"tags", {"vip", "emoji 🎉"}}, {"marketing_consent", true},
                   {"consent_source", "web form"}, {"lawful_basis", "consent"},
                   {"sales_profile", {{"company_name", "Initech"}}},
                   {"candidate_profile", {{"headline", "Engineer"}}}});
    const auto bare = createContactId(manager_, {{"first_name", "Bare"}});
    const auto listed = as(recruiter_).get("/api/contacts?include=profiles").json().at("data");
    ASSERT_EQ(listed.size(), 2u);
    std::map<std::string, json> by_id;
    for (const auto& item : listed) {
        by_id[item.at("id").get<std::string>()] = item;
    }
    for (const auto& id : {full, bare}) {
        const auto own = as(recruiter_).get("/api/contacts/" + id).json();
        EXPECT_EQ(by_id.at(id), own) << id;
    }
    const auto plain = as(recruiter_).get("/api/contacts").json().at("data");
    for (const auto& item : plain) {
        auto own = as(recruiter_).get("/api/contacts/" + item.at("id").get<std::string>()).json();
        own.erase("sales_profiles");
        own.erase("candidate_profiles");
        EXPECT_EQ(item, own);
    }
    EXPECT_NE(by_id.at(full).at("consent_updated_at"), nullptr);

    // Byte for byte too: the JSON columns come out as compact as the page writes them.
    const std::string emails = R"("emails":[{"email":"u2@example.com","label":"work \"desk\""}])";
    const std::string phones = R"("phones":[{"label":"NY","phone":"+12125550199"}])";
    for (const auto& body : {as(recruiter_).get("/api/contacts").body,
                             as(recruiter_).get("/api/contacts/" + full).body}) {
        EXPECT_NE(body.find(emails), std::string::npos) << body;
        EXPECT_NE(body.find(phones), std::string::npos) << body;
    }
    // The same through a search, a cursor page and the last_name sort (no last name: last).
    const auto same_as_own = [this](const std::string& target) {
        const auto page = as(recruiter_).get(target).json();
        for (const auto& item : page.at("data")) {
            auto own = as(recruiter_).get("/api/contacts/" + item.at("id").get<std::string>()).json();
            own.erase("sales_profiles");
            own.erase("candidate_profiles");
            EXPECT_EQ(item, own) << target;
        }
        return page;
    };
    EXPECT_EQ(same_as_own("/api/contacts?q=unal").at("data").size(), 1u);
    for (const std::string sort : {"-created_at", "last_name"}) {
        const auto first = same_as_own("/api/contacts?limit=1&sort=" + sort);
        const auto cursor = first.at("page").at("next_cursor").get<std::string>();
        const auto second = same_as_own("/api/contacts?limit=1&sort=" + sort + "&cursor=" + cursor);
        ASSERT_EQ(second.at("data").size(), 1u);
        if (sort == "last_name") {
            EXPECT_EQ(second.at("data").at(0).at("id"), bare);
        }
    }
}

// Every bad parameter of a history page is named in one answer.
TEST_F(ContactsApiTest, HistoryNamesEveryBadParameter) {
    const auto id = createContactId(manager_, {{"first_name", "Hal"}});
    const auto response = as(manager_).get("/api/contacts/" + id + "/history?profile_type=x&limit=0&colour=red");
    EXPECT_EQ(response.status, 422);
    EXPECT_EQ(errorFields(response), (std::set<std::string>{"profile_type", "limit", "colour"}));
    const auto empty = as(manager_).get("/api/contacts/" + id + "/history?profile_type=");
    EXPECT_EQ(errorFields(empty), std::set<std::string>{"profile_type"}) << empty.body;
}

// Keyset pages cover every contact exactly once, in every sort, names missing included.
TEST_F(ContactsApiTest, PagesCoverEveryContactOnceInEverySort) {
    const std::vector<std::pair<std::string, std::optional<std::string>>> people{
        {"Ann", "Zeta"}, {"Bob", "Alpha"}, {"Cid", std::nullopt}, {"Dan", "Alpha"},
        {"Eve", std::nullopt}, {"Fay", "Mu"}, {"Gil", "alpha"}};
    for (const auto& [first, last] : people) {
        json body{{"first_name", first}};
        if (last) {
            body["last_name"] = *last;
        }
        createContact(sales_, body);
    }
    for (const std::string sort : {"-created_at", "created_at", "last_name", "-updated_at"}) {
        std::vector<std::string> names;
        std::set<std::string> seen;
        std::string cursor;
        int pages = 0;
        do {
            const auto response = as(sales_).get("/api/contacts?limit=2&sort=" + sort +
                                                 (cursor.empty() ? "" : "&cursor=" + cursor));
            ASSERT_EQ(response.status, 200) << sort << ": " << response.body;
            const auto body = response.json();
            for (const auto& item : body.at("data")) {
                EXPECT_TRUE(seen.insert(item.at("id").get<std::string>()).second) << "repeated in " << sort;
                names.push_back(item.at("first_name").get<std::string>());
            }
            const auto& next = body.at("page").at("next_cursor");
            cursor = next.is_null() ? "" : next.get<std::string>();
        } while (!cursor.empty() && ++pages < 10);
        EXPECT_EQ(seen.size(), people.size()) << sort;
        if (sort == "last_name") {
            // As a reader orders names: "alpha" among the "Alpha"s (no case), then by first
            // name; the unnamed last.
            EXPECT_EQ(names, (std::vector<std::string>{"Bob", "Dan", "Gil", "Fay", "Ann", "Cid", "Eve"}));
        }
        if (sort == "created_at") {
            EXPECT_EQ(names.front(), "Ann");
        }
    }
}

// Filters narrow the list: profiles, owner, client, tag, skill and location.
TEST_F(ContactsApiTest, ListFilters) {
    const auto client = insertClient(org_, "Hooli");
    const auto buyer = createContactId(
        sales_, {{"first_name", "Buyer"}, {"city", "Berlin"}, {"tags", {"vip", "Été"}}, {"sales_profile", {{"client_id", client}}}});
    const auto seeker = createContactId(
        recruiter_, {{"first_name", "Seeker"}, {"country", "FR"},
                     {"candidate_profile", {{"skills", {{{"name", "Rust"}}, {{"name", "ÉLIXIR"}}}}}}});
    const auto both = createContactId(
        manager_, {{"first_name", "Both"}, {"sales_profile", json::object()}, {"candidate_profile", json::object()}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + both + "/client-relationships",
                               {{"relationships", {{{"client_id", client}}}}}).status,
              200);
    const auto list = [this](const std::string& query) {
        const auto response = as(admin_).get("/api/contacts?" + query);
        EXPECT_EQ(response.status, 200) << query << ": " << response.body;
        auto out = ids(response.json().at("data"));
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(list("has_sales_profile=true"), sorted({buyer, both}));
    EXPECT_EQ(list("has_sales_profile=false"), sorted({seeker}));
    EXPECT_EQ(list("has_candidate_profile=true&has_sales_profile=true"), sorted({both}));
    EXPECT_EQ(list("owner_id=" + recruiter_.id), sorted({seeker}));
    EXPECT_EQ(list("client_id=" + client), sorted({both}));
    EXPECT_EQ(list("tag=VIP"), sorted({buyer}));
    EXPECT_EQ(list("tag=%C3%89T%C3%89"), sorted({buyer}));  // ÉTÉ: case folds in every alphabet
    EXPECT_EQ(list("skill=rust"), sorted({seeker}));
    EXPECT_EQ(list("skill=%C3%89lixir"), sorted({seeker}));  // Élixir: any case, any alphabet
    EXPECT_EQ(list("location=berlin"), sorted({buyer}));
    EXPECT_EQ(list("location=fr"), sorted({seeker}));
    EXPECT_EQ(as(admin_).get("/api/contacts?has_sales_profile=maybe").status, 422);
    EXPECT_EQ(as(admin_).get("/api/contacts?owner_id=nobody").status, 422);
    // A filter that is not applied is an error, never silently ignored.
    const auto unknown = as(admin_).get("/api/contacts?colour=red&tag=a&tag=b");
    EXPECT_EQ(unknown.status, 422);
    EXPECT_EQ(errorFields(unknown), (std::set<std::string>{"colour", "tag"}));
    EXPECT_EQ(as(admin_).get("/api/insights/cross-profile?with_total=true").status, 422);
    // Paging errors are reported with the others, not instead of them.
    const auto several = as(admin_).get("/api/contacts?colour=red&limit=0&sort=name&has_sales_profile=yes");
    EXPECT_EQ(errorFields(several), (std::set<std::string>{"colour", "limit", "sort", "has_sales_profile"}));
    // A deleted client's links are hidden from the filter, as from the contact's relationships.
    ASSERT_EQ(as(admin_).del("/api/clients/" + client).status, 204);
    EXPECT_EQ(list("client_id=" + client), std::vector<std::string>{});
}

// Percent-encodes a query value (Greek letters and all).
std::string encoded(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 && byte < 0x80) {
            out.push_back(c);
        } else {
            out += {'%', kHex[byte >> 4], kHex[byte & 0xF]};
        }
    }
    return out;
}

// Searches ignore case and accents: Greek capitals carry no accents and have one Σ for both
// sigmas, so a name, a company or a city typed in capitals is the same word as in lower case;
// a tag typed in capitals is stored as Greek spells it ("φίλος", not lower()'s "φίλοσ").
TEST_F(ContactsApiTest, SearchesIgnoreCaseAndAccents) {
    const auto created = createContact(manager_, {{"first_name", "Σωκράτης"}, {"last_name", "ΚΑΡΑΓΙΑΝΝΗΣ"},
                                                  {"city", "ΒΌΛΟΣ"}, {"tags", {"ΦΊΛΟΣ", "φίλος"}},
                                                  {"sales_profile", {{"company_name", "Αθηναϊκός Όμιλος"}}}});
    const auto id = created.at("id").get<std::string>();
    EXPECT_EQ(created.at("tags"), json::array({"φίλος"}));
    createContact(manager_, {{"first_name", "Νίκος"}, {"city", "Αθήνα"}});
    const auto list = [this](const std::string& name, const std::string& value) {
        const auto response = as(recruiter_).get("/api/contacts?" + name + "=" + encoded(value));
        EXPECT_EQ(response.status, 200) << name << "=" << value << ": " << response.body;
        return ids(response.json().at("data"));
    };
    // Greek capitals carry no accents: "ΣΩΚΡΑΤΗΣ" is "Σωκράτης".
    for (const std::string q : {"ΣΩΚΡΆΤΗΣ", "ΣΩΚΡΑΤΗΣ", "σωκράτης", "καραγιαννης", "ΚΑΡΑΓΙΑΝΝΗΣ", "ΑΘΗΝΑΪΚΟΣ",
                                "όμιλος", "ΟΜΙΛΟΣ"}) {
        EXPECT_EQ(list("q", q), std::vector<std::string>{id}) << q;
    }
    for (const std::string tag : {"φίλος", "ΦΊΛΟΣ", "φίλοσ"}) {
        EXPECT_EQ(list("tag", tag), std::vector<std::string>{id}) << tag;
    }
    EXPECT_EQ(list("location", "βόλος"), std::vector<std::string>{id});
    EXPECT_EQ(list("location", "Βόλος"), std::vector<std::string>{id});
    EXPECT_EQ(list("location", "ΒΟΛΟΣ"), std::vector<std::string>{id});
    // Accents are ignored in every alphabet: "jose" finds "José" at "Société Générale".
    const auto jose = createContactId(manager_, {{"first_name", "José"}, {"last_name", "Müller"},
                                                 {"sales_profile", {{"company_name", "Société Générale"}}}});
    for (const std::string q : {"jose", "JOSÉ", "muller", "societe gen"}) {
        EXPECT_EQ(list("q", q), std::vector<std::string>{jose}) << q;
    }
    // Arabic harakat and Hebrew niqqud are marks too; the ideographic space typed between
    // Japanese names is a space.
    const auto muhammad = createContactId(manager_, {{"first_name", "\u0645\u064F\u062D\u064E\u0645\u0651\u064E\u062F"}});
    EXPECT_EQ(list("q", "\u0645\u062D\u0645\u062F"), std::vector<std::string>{muhammad});
    const auto shalom = createContactId(manager_, {{"first_name", "\u05E9\u05C1\u05B8\u05DC\u05D5\u05B9\u05DD"}});
    EXPECT_EQ(list("q", "\u05E9\u05DC\u05D5\u05DD"), std::vector<std::string>{shalom});
    const auto yamada = createContactId(manager_, {{"first_name", "山田"}, {"last_name", "太郎"}});
    EXPECT_EQ(list("q", "山田\u3000太郎"), std::vector<std::string>{yamada});
    // Three characters as the search compares them: "ﬃ" is "ffi"; accents on nothing are not
    // characters, so "ph" with two of them is too short, and three alone are no search at all.
    const auto phil = createContactId(manager_, {{"first_name", "Phil"}, {"last_name", "Affirm"}});
    EXPECT_EQ(list("q", "\uFB03"), std::vector<std::string>{phil});
    // A zero-width space or soft hyphen pasted into the search is not searched for.
    EXPECT_EQ(list("q", "Ph\u200Bil\u00AD"), std::vector<std::string>{phil});
    const auto pasted_short = as(recruiter_).get("/api/contacts?q=" + encoded("ph\u200B"));
    EXPECT_EQ(errorFields(pasted_short), std::set<std::string>{"q"}) << pasted_short.body;
    // "ß" is searched as "ss": "iß" is three characters.
    EXPECT_EQ(as(recruiter_).get("/api/contacts?q=" + encoded("i\u00DF")).status, 200);
    const auto short_q = as(recruiter_).get("/api/contacts?q=" + encoded("ph\u0301\u0301"));
    EXPECT_EQ(errorFields(short_q), std::set<std::string>{"q"}) << short_q.body;
    const auto everyone = as(recruiter_).get("/api/contacts?limit=200").json().at("data").size();
    EXPECT_EQ(list("q", "\u0301\u0301\u0301").size(), everyone);
    EXPECT_EQ(list("q", "\u0301\u200B \u0301").size(), everyone);  // with invisible ones and spaces
    // A skill is listed as written in lower case, and found in either case.
    const auto seller = createContact(recruiter_, {{"first_name", "Ελένη"},
                                                   {"candidate_profile", {{"skills", {{{"name", "ΠΩΛΉΣΕΙΣ"}},
                                                                                      {{"name", "Πωλήσεις"}}}}}}});
    const auto& profile = seller.at("candidate_profiles").at(0);
    EXPECT_EQ(profile.at("skills").size(), 1u) << profile;  // one skill in two cases
    EXPECT_EQ(profile.at("skill_names"), json::array({"πωλήσεις"}));
    for (const std::string skill : {"πωλήσεις", "ΠΩΛΉΣΕΙΣ"}) {
        EXPECT_EQ(list("skill", skill), std::vector<std::string>{seller.at("id").get<std::string>()}) << skill;
    }
}

// Apostrophes are not searched for and a run of spaces is one space, in what is stored as in
// q: "obrien" finds O'Brien and O’Brien (typed on a phone), a q pasted with two spaces finds
// the name, and a name saved with two spaces is found typed with one. Names sort the same way.
TEST_F(ContactsApiTest, SearchesIgnoreApostrophesAndExtraSpaces) {
    const auto typed = createContactId(manager_, {{"first_name", "Sinéad"}, {"last_name", "O'Brien"},
                                                  {"tags", {"apostrophe-sort"}}});
    const auto phoned = createContactId(manager_, {{"first_name", "Liam"}, {"last_name", "O\u2019Brien"},
                                                   {"sales_profile", {{"company_name", "D'Arcy  Masius"}}}});
    const auto spaced = createContactId(manager_, {{"first_name", "Mary  Ann"}, {"last_name", "Quill"}});
    const auto list = [this](const std::string& q) {
        const auto response = as(recruiter_).get("/api/contacts?q=" + encoded(q));
        EXPECT_EQ(response.status, 200) << q << ": " << response.body;
        auto found = ids(response.json().at("data"));
        std::sort(found.begin(), found.end());
        return found;
    };
    auto both = std::vector<std::string>{typed, phoned};
    std::sort(both.begin(), both.end());
    for (const std::string q : {"obrien", "O'Brien", "o\u2019brien", "OBRIEN"}) {
        EXPECT_EQ(list(q), both) << q;
    }
    EXPECT_EQ(list("sinead  o'brien"), std::vector<std::string>{typed});
    EXPECT_EQ(list("mary ann"), std::vector<std::string>{spaced});
    EXPECT_EQ(list("Mary   Ann Quill"), std::vector<std::string>{spaced});
    EXPECT_EQ(list("darcy masius"), std::vector<std::string>{phoned});
    // Three characters as compared: "o'b" is two.
    EXPECT_EQ(errorFields(as(recruiter_).get("/api/contacts?q=" + encoded("o'b"))), std::set<std::string>{"q"});

    // O'Brien sorts as "obrien": after Obama, before Ocasio.
    const auto ocasio = createContactId(manager_, {{"first_name", "Zed"}, {"last_name", "Ocasio"},
                                                  {"tags", {"apostrophe-sort"}}});
    const auto obama = createContactId(manager_, {{"first_name", "Zed"}, {"last_name", "Obama"},
                                                 {"tags", {"apostrophe-sort"}}});
    const auto sorted = as(recruiter_).get("/api/contacts?tag=apostrophe-sort&sort=last_name");
    EXPECT_EQ(ids(sorted.json().at("data")), (std::vector<std::string>{obama, typed, ocasio}));
}

// A hyphen (or dash, full stop, comma, slash, bracket) is a space to a search, in what is
// stored as in q: Jean-Luc is found by "jean luc", Anne Marie by "anne-marie", a company by
// its name without its punctuation. A name is found surname first too, as written in East
// Asia ("山田 太郎") or in a list of surnames ("Hopper Grace"); an e-mail typed in full still
// finds its address.
TEST_F(ContactsApiTest, SearchesReadPunctuationAsSpacesAndNamesEitherWay) {
    const auto jean = createContactId(manager_, {{"first_name", "Jean-Luc"}, {"last_name", "Picard"},
                                                 {"email", "jl.picard@starfleet.example"}});
    const auto anne = createContactId(manager_, {{"first_name", "Anne Marie"}, {"last_name", "García—Márquez"},
                                                 {"sales_profile", {{"company_name", "Müller-Lüdenscheidt, Inc."}}}});
    const auto taro = createContactId(manager_, {{"first_name", "太郎"}, {"last_name", "山田"}});
    const auto grace = createContactId(manager_, {{"first_name", "Grace"}, {"last_name", "Hopper"}});
    const auto list = [this](const std::string& q) {
        const auto response = as(recruiter_).get("/api/contacts?q=" + encoded(q));
        EXPECT_EQ(response.status, 200) << q << ": " << response.body;
        return ids(response.json().at("data"));
    };
    for (const std::string q : {"jean luc", "Jean-Luc", "jean–luc picard", "jl picard", "jl.picard@starfleet.example"}) {
        EXPECT_EQ(list(q), std::vector<std::string>{jean}) << q;
    }
    for (const std::string q : {"anne-marie", "garcia marquez", "garcia-marquez", "muller luden", "Lüdenscheidt Inc"}) {
        EXPECT_EQ(list(q), std::vector<std::string>{anne}) << q;
    }
    for (const std::string q : {"山田 太郎", "太郎 山田", "山田　太郎", "山田太郎"}) {
        EXPECT_EQ(list(q), std::vector<std::string>{taro}) << q;
    }
    EXPECT_EQ(list("hopper grace"), std::vector<std::string>{grace});
    // A tab (pasted from a spreadsheet) is a space between the words.
    EXPECT_EQ(list("hopper\tgrace"), std::vector<std::string>{grace});
    // One or two characters of a Chinese, Japanese or Korean name are a whole name: the surname,
    // the given name, or both without a space, either way round; never a part of one.
    const auto fang = createContactId(manager_, {{"first_name", "芳"}, {"last_name", "王"}});
    const auto fangming = createContactId(manager_, {{"first_name", "芳明"}, {"last_name", "李"}});
    for (const std::string q : {"王芳", "芳王", "王", "芳"}) {
        EXPECT_EQ(list(q), std::vector<std::string>{fang}) << q;
    }
    EXPECT_EQ(list("芳明"), std::vector<std::string>{fangming});
    EXPECT_EQ(list("山田"), std::vector<std::string>{taro});
    EXPECT_EQ(list("山田、"), std::vector<std::string>{taro});  // the comma is folded away
    EXPECT_EQ(list("山田 山田"), std::vector<std::string>{});  // never across two parts of the search text
    EXPECT_EQ(errorFields(as(recruiter_).get("/api/contacts?q=picard%1Fjl")), std::set<std::string>{"q"});
    EXPECT_EQ(list("明"), std::vector<std::string>{});  // part of a given name: not a name
    EXPECT_EQ(errorFields(as(recruiter_).get("/api/contacts?q=" + encoded("ab"))), std::set<std::string>{"q"});
    // Punctuation counts as one space between characters, nothing at the ends: "-a-b-" is 3.
    EXPECT_EQ(errorFields(as(recruiter_).get("/api/contacts?q=" + encoded("(a.)"))), std::set<std::string>{"q"});
}

// q finds contacts by name, e-mail, phone (in any format) and company.
TEST_F(ContactsApiTest, SearchCoversNameEmailPhoneAndCompany) {
    const auto ada = createContactId(manager_, {{"first_name", "Ada"}, {"last_name", "Lovelace"},
                                                {"email", "countess@analytical.example"}, {"phone", "+44 20 7946 0000"}});
    const auto bob = createContactId(manager_, {{"first_name", "Bob"}, {"sales_profile", {{"company_name", "Cyberdyne Systems"}}}});
    createContact(manager_, {{"first_name", "Carl"}, {"last_name", "Other"}});
    const auto search = [this](const std::string& q) {
        const auto response = as(recruiter_).get("/api/contacts?q=" + q);
        EXPECT_EQ(response.status, 200) << q << ": " << response.body;
        return ids(response.json().at("data"));
    };
    EXPECT_EQ(search("LOVEL"), std::vector<std::string>{ada});
    EXPECT_EQ(search("analytical"), std::vector<std::string>{ada});
    EXPECT_EQ(search("20%207946%200000"), std::vector<std::string>{ada});
    EXPECT_EQ(search("0044%2020%207946"), std::vector<std::string>{ada});      // dialled abroad
    EXPECT_EQ(search(encoded("\uFF0B\uFF14\uFF14 \uFF12\uFF10 \uFF17\uFF19\uFF14\uFF16")),
              std::vector<std::string>{ada});  // "＋４４ ２０ ７９４６", typed in full width
    EXPECT_EQ(search("%2B44%20(0)20%207946"), std::vector<std::string>{ada});  // with the (0)
    // Dialled at home, with the trunk 0, in a region that is not the default (the US here).
    EXPECT_EQ(search("020%207946%200000"), std::vector<std::string>{ada});
    const auto amelie = createContactId(manager_, {{"first_name", "Amélie"}, {"phone", "+33 6 12 34 56 78"}});
    EXPECT_EQ(search("06%2012%2034%2056%2078"), std::vector<std::string>{amelie});
    EXPECT_EQ(search("cyberdyne"), std::vector<std::string>{bob});
    EXPECT_EQ(search("100%25"), std::vector<std::string>{});  // % is a literal character
    // So are their full-width forms, which the folding makes ASCII: "50％ off" (U+FF05) is no
    // wildcard that would find "50x off", and a company ending in ＼ (U+FF3C) no escape that
    // would end a pattern.
    const auto fifty = createContactId(manager_, {{"first_name", "Fay"}, {"last_name", "50x off"}});
    EXPECT_EQ(search("50%EF%BC%85%20off"), std::vector<std::string>{});
    EXPECT_EQ(search("50x%20off"), std::vector<std::string>{fifty});
    const auto slash = as(manager_).post("/api/contacts", {{"first_name", "Sal"},
                                                           {"sales_profile", {{"company_name", "Cyberdyne\uFF3C"}}}});
    ASSERT_EQ(slash.status, 201) << slash.body;
    EXPECT_EQ(search("dyne%EF%BC%BC"), std::vector<std::string>{slash.json().at("id").get<std::string>()});
    // A candidate's company is their current employer, while the profile lives.
    const auto cyd = createContactId(manager_, {{"first_name", "Cyd"},
                                                {"candidate_profile", {{"current_employer", "Wayne Enterprises"}}}});
    EXPECT_EQ(search("wayne%20ENTER"), std::vector<std::string>{cyd});
    const auto profile = as(manager_).get("/api/contacts/" + cyd + "/profiles").json().at("candidate_profiles").at(0);
    ASSERT_EQ(as(manager_).del("/api/contacts/" + cyd + "/candidate-profile/" + profile.at("id").get<std::string>()).status, 204);
    EXPECT_EQ(search("wayne"), std::vector<std::string>{});
    // Every e-mail and phone of a contact is searched, not only the main ones.
    const auto dee = createContactId(manager_, {{"first_name", "Dee"},
                                                {"emails", {{{"email", "dee@second.example"}}}},
                                                {"phones", {{{"phone", "+1 718 555 0122"}}}}});
    EXPECT_EQ(search("second.example"), std::vector<std::string>{dee});
    EXPECT_EQ(search("718%20555%200122"), std::vector<std::string>{dee});
    // The company is also a client's name: of a buyer recorded by client, or of a contact
    // linked to the client; a deleted client is no longer found.
    const auto initech = insertClient(org_, "Initech");
    const auto eve = createContactId(manager_, {{"first_name", "Eve"}, {"sales_profile", {{"client_id", initech}}}});
    const auto fay = createContactId(manager_, {{"first_name", "Fay"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + fay + "/client-relationships",
                               {{"relationships", {{{"client_id", initech}}}}}).status, 200);
    // Links not in force today (ended, or not started) are not the contact's company.
    for (const auto& [from, to] : std::vector<std::pair<json, json>>{{"2019-01-01", "2020-01-01"}, {"2999-01-01", nullptr}}) {
        const auto other = createContactId(manager_, {{"first_name", "Gus"}});
        ASSERT_EQ(as(manager_).put("/api/contacts/" + other + "/client-relationships",
                                   {{"relationships", {{{"client_id", initech}, {"start_date", from}, {"end_date", to}}}}})
                      .status,
                  200);
    }
    auto found = search("INITECH");
    std::sort(found.begin(), found.end());
    auto expected = std::vector<std::string>{eve, fay};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(found, expected);
    sql("UPDATE clients SET deleted_at = now() WHERE id = $1", initech);
    EXPECT_EQ(search("initech"), std::vector<std::string>{});
    const auto short_q = as(recruiter_).get("/api/contacts?q=ad");
    EXPECT_EQ(short_q.status, 422);
    EXPECT_EQ(errorFields(short_q), std::set<std::string>{"q"});
    // A NUL can be neither stored nor searched for: each filter names itself, none reaches
    // the database as an unnamed failure.
    const auto nul = as(recruiter_).get("/api/contacts?q=abc%00def&tag=a%00b&skill=c%00&location=x%00");
    EXPECT_EQ(nul.status, 422);
    EXPECT_EQ(errorFields(nul), (std::set<std::string>{"q", "tag", "skill", "location"}));
    // Text that prints as nothing (U+200B, U+FEFF) is blank: no filter as q, as spaces are, and
    // a 422 as any other filter.
    const auto unseen = as(recruiter_).get("/api/contacts?tag=%E2%80%8B&skill=%E2%80%8B%E2%80%8B&location=%EF%BB%BF");
    EXPECT_EQ(unseen.status, 422);
    EXPECT_EQ(errorFields(unseen), (std::set<std::string>{"tag", "skill", "location"}));
    // A filter given twice is named once, for the repeat, whatever its values.
    const auto twice = as(recruiter_).get(
        "/api/contacts?q=ab&q=cd&tag=&tag=x&limit=0&limit=0&owner_id=x&owner_id=y&has_sales_profile=1&has_sales_profile=2");
    ASSERT_EQ(twice.status, 422);
    const auto twice_body = twice.json();
    ASSERT_EQ(twice_body.at("errors").size(), 5u) << twice.body;
    for (const auto& error : twice_body.at("errors")) {
        EXPECT_EQ(error.at("message"), "must be given once") << twice.body;
    }
    const auto everyone = as(recruiter_).get("/api/contacts?limit=200").json().at("data").size();
    EXPECT_EQ(as(recruiter_).get("/api/contacts?limit=200&q=%E2%80%8B%E2%80%8B%E2%80%8B").json().at("data").size(), everyone);
}

// A number typed in full width by a Japanese input method, or pasted with en dashes and a
// non-breaking space, is the number: stored in E.164, found again, and a duplicate as such.
TEST_F(ContactsApiTest, NumbersTypedInFullWidthOrPastedAreTheSameNumber) {
    const auto taro = createContact(sales_, {{"first_name", "Taro"}, {"country", "JP"},
                                             {"phone", "\uFF10\uFF13\u30FC\uFF11\uFF12\uFF13\uFF14\u30FC\uFF15\uFF16\uFF17\uFF18"}});
    EXPECT_EQ(taro.at("phone"), "+81312345678");  // ０３ー１２３４ー５６７８
    const auto again = as(sales_).post("/api/contacts", {{"first_name", "Taro"}, {"phone", "+81\u00A03\u20131234\u20135678"}});
    ASSERT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(again.json().at("existing_id"), taro.at("id"));
    const auto found = as(sales_).get("/api/contacts?q=" + encoded("\uFF11\uFF12\uFF13\uFF14\u30FC\uFF15\uFF16\uFF17\uFF18"));
    ASSERT_EQ(found.status, 200) << found.body;
    ASSERT_EQ(found.json().at("data").size(), 1u);
    EXPECT_EQ(found.json().at("data").at(0).at("id"), taro.at("id"));
    // Circled digits are decoration, not a number: refused, as letters are.
    const auto circled = as(sales_).post("/api/contacts", {{"first_name", "Taro"}, {"phone", "\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u2469"}});
    ASSERT_EQ(circled.status, 422) << circled.body;
    EXPECT_EQ(errorFields(circled), std::set<std::string>{"phone"});
}

// with_total counts every match; include=profiles embeds both lists per contact.
TEST_F(ContactsApiTest, TotalsAndIncludedProfiles) {
    for (int i = 0; i < 3; ++i) {
        createContact(manager_, {{"first_name", "P" + std::to_string(i)},
                                 {"sales_profile", {{"company_name", "Co" + std::to_string(i)}}},
                                 {"candidate_profile", {{"headline", "H" + std::to_string(i)}}}});
    }
    const auto response = as(sales_).get("/api/contacts?limit=2&with_total=true&include=profiles");
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = response.json();
    EXPECT_EQ(body.at("page").at("total"), 3);
    EXPECT_EQ(body.at("page").at("total_capped"), false);
    ASSERT_EQ(body.at("data").size(), 2u);
    for (const auto& item : body.at("data")) {
        ASSERT_EQ(item.at("sales_profiles").size(), 1u);
        ASSERT_EQ(item.at("candidate_profiles").size(), 1u);
        EXPECT_EQ(item.at("sales_profiles").at(0).at("contact_id"), item.at("id"));
        // Times read as columns and times read from a profile's JSON alike: six fraction
        // digits, so their text sorts as the time does.
        static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
        for (const auto& time : {item.at("created_at"), item.at("sales_profiles").at(0).at("updated_at"),
                                 item.at("candidate_profiles").at(0).at("created_at")}) {
            EXPECT_TRUE(std::regex_match(time.get<std::string>(), kTime)) << time;
        }
    }
    EXPECT_EQ(as(sales_).get("/api/contacts?include=everything").status, 422);
    // An empty choice is no choice: refused, not read as "no filter" (nothing would be embedded).
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?include=")), std::set<std::string>{"include"});
}

// Only managers and admins may list deleted contacts along with the others.
TEST_F(ContactsApiTest, IncludeDeletedIsForManagers) {
    const auto id = createContactId(sales_, {{"first_name", "Gone"}});
    createContact(sales_, {{"first_name", "Here"}});
    ASSERT_EQ(as(sales_).del("/api/contacts/" + id).status, 204);
    EXPECT_EQ(as(sales_).get("/api/contacts?include_deleted=true").status, 403);
    const auto response = as(manager_).get("/api/contacts?include_deleted=true");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("data").size(), 2u);
}

// A tampered cursor, or one from another sort, is a 422 naming `cursor`.
TEST_F(ContactsApiTest, ForeignCursorsAreRefused) {
    for (int i = 0; i < 3; ++i) {
        createContact(sales_, {{"first_name", "C" + std::to_string(i)}});
    }
    const auto cursor = as(sales_).get("/api/contacts?limit=1").json().at("page").at("next_cursor").get<std::string>();
    const auto other_sort = as(sales_).get("/api/contacts?sort=last_name&cursor=" + cursor);
    EXPECT_EQ(other_sort.status, 422);
    EXPECT_EQ(errorFields(other_sort), std::set<std::string>{"cursor"});
    EXPECT_EQ(as(sales_).get("/api/contacts?cursor=" + cursor + "x").status, 422);
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?cursor=")), std::set<std::string>{"cursor"});
    const auto one = createContactId(sales_, {{"first_name", "C3"}});
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts/" + one + "/history?cursor=")), std::set<std::string>{"cursor"});
    EXPECT_EQ(as(sales_).get("/api/contacts?sort=first_name").status, 422);
    // A refused sort still lets the cursor be named when it is wrong whatever the sort.
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?sort=first_name&cursor=")), (std::set<std::string>{"sort", "cursor"}));
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?sort=first_name&cursor=bogus")), (std::set<std::string>{"sort", "cursor"}));
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?sort=first_name&cursor=" + cursor)), std::set<std::string>{"sort"});
    // Another organisation's cursor names a place in its list, not in this one.
    const auto stranger_page = as(stranger_).get("/api/contacts?cursor=" + cursor);
    EXPECT_EQ(stranger_page.status, 422) << stranger_page.body;
    EXPECT_EQ(errorFields(stranger_page), std::set<std::string>{"cursor"});
    EXPECT_EQ(as(manager_).get("/api/contacts?cursor=" + cursor).status, 200);  // a colleague's is fine
    // Named with the other bad parameters in one 422, not on the next try.
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts?cursor=bogus&tag=&limit=0")),
              (std::set<std::string>{"cursor", "tag", "limit"}));
    EXPECT_EQ(errorFields(as(sales_).get("/api/contacts/" + createContactId(sales_, {{"first_name", "H"}}) +
                                         "/history?cursor=bogus&limit=0")),
              (std::set<std::string>{"cursor", "limit"}));
    // q's length is counted after trimming, as its minimum is.
    EXPECT_EQ(as(sales_).get("/api/contacts?q=%20%20" + std::string(199, 'a') + "%20%20").status, 200);
}

// A change that waited for another's row lock is stamped when it was made: its history row,
// updated_at and, for a consent change, consent_updated_at all come after the lock's release.
TEST_F(ContactsApiTest, ChangesAreStampedWhenMade) {
    const auto id = createContactId(sales_, {{"first_name", "Abe"}});
    auto connection = server_->database().connect();
    pqxx::work hold(connection);
    hold.exec_params("SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", id);
    auto edit = std::async(std::launch::async, [&] {
        return as(sales_).put("/api/contacts/" + id, {{"marketing_consent", true}, {"consent_source", "fair"}});
    });
    EXPECT_TRUE(someoneWaitsForALock()) << "the PUT never waited for the row lock";
    const auto released = hold.exec("SELECT clock_timestamp()::text")[0][0].as<std::string>();
    hold.commit();
    ASSERT_EQ(edit.get().status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM contacts WHERE id = '" + id + "' AND consent_updated_at >= '" + released +
                    "' AND updated_at >= '" + released + "'"),
              1);
    EXPECT_EQ(count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + id +
                    "' AND field = 'marketing_consent' AND changed_at >= '" + released + "'"),
              1);
}

// Another organisation's contacts are never listed and are a 404 by id.
TEST_F(ContactsApiTest, OtherOrganisationsAreInvisible) {
    const auto id = createContactId(sales_, {{"first_name", "Mine"}, {"email", "mine@acme.example"}});
    const auto theirs = as(stranger_).get("/api/contacts?q=mine&with_total=true");
    ASSERT_EQ(theirs.status, 200);
    EXPECT_TRUE(theirs.json().at("data").empty());
    EXPECT_EQ(theirs.json().at("page").at("total"), 0);
    EXPECT_EQ(as(stranger_).get("/api/contacts/" + id).status, 404);
    EXPECT_EQ(as(sales_).get("/api/contacts/not-a-uuid").status, 404);
}

// The unfiltered pages of a large organisation run on their prepared, generic plan instead of
// being planned again for every request: seeing the organisation's id, PostgreSQL costed its
// page below the generic plan and never switched (planning was half of the page's time).
TEST_F(ContactsApiTest, UnfilteredPagesSettleOnAGenericPlan) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, created_at)
        SELECT $1, 'Bulk' || g, now() - g * interval '1 minute' FROM generate_series(1, 4000) AS g)sql",
        org_.id);
    // Forty small organisations beside it, so that this one is far above the average one the
    // generic plan is costed for (with this one alone, both plans would cost the same anyway).
    sql(R"sql(
        WITH small AS (
            INSERT INTO organizations (name, slug)
            SELECT 'Small ' || g, 'small-plan-' || g FROM generate_series(1, 40) AS g RETURNING id)
        INSERT INTO contacts (org_id, first_name) SELECT s.id, 'Few' || g FROM small s, generate_series(1, 50) AS g)sql");
    auto connection = server_->database().connect();
    pqxx::nontransaction tx(connection);
    tx.exec0("ANALYZE contacts");
    repo::ListRequest first;
    repo::ListRequest deep;
    deep.after = json::array({"2100-01-01T00:00:00Z", org_.id});
    for (const auto& [name, request] : {std::pair{"first_page", first}, std::pair{"deep_page", deep}}) {
        const auto query = repo::buildListQuery(org_.id, request);
        ASSERT_TRUE(query.cacheable) << name;
        connection.prepare(name, query.sql);
        for (int run = 0; run < 8; ++run) {
            EXPECT_FALSE(tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(query.params)).empty()) << name;
        }
        const auto plans = tx.exec_params1(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1", std::string(name));
        EXPECT_GT(plans[0].as<int>(), 0) << name << ": planned again on every run";
        EXPECT_LE(plans[1].as<int>(), 5) << name << ": more than PostgreSQL's five trial plans";
    }
}

// On a few thousand contacts, text search never reads the contacts table sequentially: both
// halves of q (search_text and company name) go through their trigram indexes.
TEST_F(ContactsApiTest, SearchNeverSeqScansContacts) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email, phone, city, created_at)
        SELECT $1, 'First' || g, (ARRAY['Smith', 'Jones', 'Garcia', 'Kowalski', 'Nakamura'])[1 + g % 5] || g,
               'person' || g || '@example.com', '+1212555' || lpad(g::text, 4, '0'),
               (ARRAY['Berlin', 'Paris', 'Lima'])[1 + g % 3], now() - g * interval '1 minute'
        FROM generate_series(1, 4000) AS g)sql",
        org_.id);
    sql(R"sql(
        INSERT INTO sales_profiles (org_id, contact_id, company_name, is_primary)
        SELECT org_id, id, 'Company ' || substr(md5(id::text), 1, 8), true FROM contacts
        WHERE org_id = $1 AND last_name LIKE 'Smith%')sql",
        org_.id);
    // Candidates with their employers, for the company half's third branch.
    sql(R"sql(
        INSERT INTO candidate_profiles (org_id, contact_id, current_employer, is_primary)
        SELECT org_id, id, 'Employer ' || substr(md5(id::text), 1, 8), true FROM contacts
        WHERE org_id = $1 AND last_name LIKE 'Garcia%')sql",
        org_.id);
    // Clients for the company half's other branch: buyers recorded by client, linked contacts.
    sql(R"sql(
        INSERT INTO clients (org_id, name) SELECT $1, 'Client ' || g FROM generate_series(1, 400) AS g)sql",
        org_.id);
    sql(R"sql(
        INSERT INTO client_contacts (org_id, client_id, contact_id)
        SELECT c.org_id, (SELECT id FROM clients WHERE org_id = c.org_id ORDER BY name OFFSET c.n % 400 LIMIT 1), c.id
        FROM (SELECT org_id, id, row_number() OVER (ORDER BY id) AS n FROM contacts
              WHERE org_id = $1 AND last_name LIKE 'Jones%') c)sql",
        org_.id);
    {
        // As autovacuum would after a bulk load: moves the GIN pending lists into the indexes
        // and refreshes the statistics the planner costs them with.
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        for (const auto* table : {"contacts", "sales_profiles", "candidate_profiles", "clients", "client_contacts"}) {
            tx.exec0(std::string("VACUUM ANALYZE ") + table);
        }
    }
    // The plan of a search as the service runs it (bitmap scans only), after checking that it
    // reads no table sequentially: contacts, profiles, clients or their links.
    // Both the first query of a search (at most kFewMatches matches) and the one that reads
    // them all; the latter's plan is returned.
    const auto searchPlan = [&](const contacts::repo::ContactFilter& filter, const std::string& q) {
        contacts::repo::ListRequest request;
        request.filter = filter;
        auto connection = server_->database().connect();
        pqxx::read_transaction tx(connection);
        contacts::repo::planBitmapScansOnly(tx);
        json plan;
        for (const auto list_plan : {contacts::repo::ListPlan::FewMatches, contacts::repo::ListPlan::Direct}) {
            const auto query = contacts::repo::buildListQuery(org_.id, request, list_plan);
            plan = json::parse(tx.exec_params("EXPLAIN (FORMAT JSON) " + query.sql,
                                              pqxx::prepare::make_dynamic_params(query.params))[0][0]
                                   .c_str());
            for (const auto& scan : tableScans(plan)) {
                EXPECT_EQ(scan.find("Seq Scan"), std::string::npos) << q << ": " << plan.dump(1);
            }
        }
        return plan.dump();
    };
    for (const std::string q : {"kowalski3998", "person42@", "5550123", "company a", "smi", "client 12", "employer",
                                "001 212 555 0123"}) {
        const auto patterns = contacts::searchTerms(q, "US");
        ASSERT_TRUE(patterns);
        contacts::repo::ContactFilter filter;
        filter.search_terms = patterns->text;
        filter.company_terms = patterns->company;
        filter.dialled_terms = patterns->dialled;
        EXPECT_NE(searchPlan(filter, q).find("contacts_search_trgm"), std::string::npos) << q;
        // The company branches are costed: on this test's few hundred profiles an organisation
        // index with a filter is cheaper than a trigram probe, and the planner says so; on the
        // benchmark's 100,000 they go through their trigram indexes (docs/contacts.md, Search).
    }
    // A name of one or two East Asian characters is looked up in contacts_name_keys_gin.
    const auto name = contacts::searchTerms("王芳", "US");
    ASSERT_TRUE(name && name->whole_name);
    contacts::repo::ContactFilter by_name;
    by_name.name_key = name->text;
    EXPECT_NE(searchPlan(by_name, "王芳").find("contacts_name_keys_gin"), std::string::npos);
    // The same search through the API finds the rows.
    const auto response = as(admin_).get("/api/contacts?q=kowalski3998&with_total=true");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("page").at("total"), 1);
    const auto linked = as(admin_).get("/api/contacts?q=client%20399&with_total=true");
    ASSERT_EQ(linked.status, 200);
    EXPECT_EQ(linked.json().at("page").at("total"), 2);  // 800 Jones contacts over 400 clients
    const auto employed = as(admin_).get("/api/contacts?q=employer&with_total=true");
    ASSERT_EQ(employed.status, 200);
    EXPECT_EQ(employed.json().at("page").at("total"), 800);  // every Garcia is a candidate
}

// The name sort reads one page, wherever the cursor points: after a named row (the names after
// it, then the unnamed) and among the unnamed. Asking for `last_name IS NULL` instead of the
// indexed crm_fold(last_name) walked every named contact on the way to the unnamed ones.
TEST_F(ContactsApiTest, NameSortPagesReadOnlyTheirRows) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email)
        SELECT $1, 'First' || g, CASE WHEN g % 1000 = 0 THEN NULL ELSE 'Name' || g END, 'n' || g || '@example.com'
        FROM generate_series(1, 4000) AS g)sql",
        org_.id);
    {
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        tx.exec0("VACUUM ANALYZE contacts");
    }
    const auto some_named = sql("SELECT id::text FROM contacts WHERE org_id = $1 AND last_name = 'Name20'", org_.id)[0][0]
                                .as<std::string>();
    const auto some_unnamed = sql("SELECT id::text FROM contacts WHERE org_id = $1 AND first_name = 'First1000'", org_.id)[0][0]
                                  .as<std::string>();
    for (const auto& after : {json::array({"Name20", "First20", some_named}), json::array({nullptr, "First1000", some_unnamed})}) {
        contacts::repo::ListRequest request;
        request.sort = "last_name";
        request.limit = 50;
        request.after = after;
        const auto plan = analyzedListPlan(*server_, contacts::repo::buildListQuery(org_.id, request));
        EXPECT_NE(plan.dump().find("contacts_name_sort_idx"), std::string::npos) << after << plan.dump(1);
        EXPECT_LT(rowsRemovedByFilter(plan), 100) << after << ": rows read and thrown away\n" << plan.dump(1);
    }
}

// A page that includes deleted contacts merges two ordered reads, the live contacts and the
// deleted ones, each through its own index (migration 0027): it lists every contact once, in
// the sort's order wherever the cursor stands, and reads about a page of rows, where it used to
// read and sort the whole organisation.
TEST_F(ContactsApiTest, IncludeDeletedPagesMergeLiveAndDeletedInOrder) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email, created_at, updated_at)
        SELECT $1, 'First' || (g % 97), CASE WHEN g % 500 = 0 THEN NULL ELSE 'Name' || (g % 613) END,
               'd' || g || '@example.com', now() - g * interval '1 minute', now() - (g % 50) * interval '1 hour'
        FROM generate_series(1, 4000) AS g)sql",
        org_.id);
    sql("UPDATE contacts SET deleted_at = now() WHERE org_id = $1 AND substr(email, 2)::text ~ '^[0-9]*[05]@'", org_.id);
    {
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        tx.exec0("VACUUM ANALYZE contacts");
    }
    ASSERT_EQ(count("SELECT count(*) FROM contacts WHERE org_id = '" + org_.id + "' AND deleted_at IS NOT NULL"), 800);
    for (const auto& [sort, order] : sortOrders()) {
        std::vector<std::string> expected;
        for (const auto& row : sql("SELECT id::text FROM contacts WHERE org_id = $1 ORDER BY " + order, org_.id)) {
            expected.push_back(row[0].as<std::string>());
        }
        EXPECT_EQ(listAllIds(manager_, "include_deleted=true&sort=" + sort), expected) << sort;
    }
    // Each branch reads at most a page: rows read by every scan together, a deep page included.
    const auto middle = sql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id::text, "
                            "last_name, first_name, "
                            "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                            "FROM contacts WHERE org_id = $1 AND email = 'd2001@example.com'",
                            org_.id)[0];
    for (const auto& sort : {"-created_at", "created_at", "-updated_at", "last_name"}) {
        for (const bool deep : {false, true}) {
            contacts::repo::ListRequest request;
            request.sort = sort;
            request.limit = 50;
            request.filter.include_deleted = true;
            if (deep) {
                const auto time_key = std::string(sort) == "-updated_at" ? middle[4] : middle[0];
                request.after = std::string(sort) == "last_name"
                                    ? json::array({middle[2].as<std::string>(), middle[3].as<std::string>(), middle[1].as<std::string>()})
                                    : json::array({time_key.as<std::string>(), middle[1].as<std::string>()});
            }
            const auto plan = analyzedListPlan(*server_, contacts::repo::buildListQuery(org_.id, request));
            EXPECT_LE(rowsRead(plan), 4 * 51) << sort << (deep ? " (deep)" : "") << plan.dump(1);
            const auto deleted_index = std::string(sort) == "last_name"     ? "contacts_deleted_name_sort_idx"
                                       : std::string(sort) == "-updated_at" ? "contacts_deleted_updated_idx"
                                                                            : "contacts_deleted_keyset_idx";
            EXPECT_NE(plan.dump().find(deleted_index), std::string::npos) << sort << plan.dump(1);
        }
    }
}

// A text search answers in the sort's order however many contacts match: a few (collected
// through the trigram indexes), many spread along the sort order (found by walking the sort
// index), and many gathered far along it (the walk gives up; every match is collected): the
// newest and last by name, or the oldest and least recently updated. Every page, down to the
// contacts without a last name, and with another filter, the total and the profiles read after
// it in the same transaction.
TEST_F(ContactsApiTest, SearchesOfFewOrManyMatchesListInOrder) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email, tags, created_at, updated_at)
        SELECT $1, CASE WHEN g % 5 = 0 THEN 'Commonname' WHEN g % 500 = 1 THEN 'Rarely' ELSE 'Plain' END,
               CASE WHEN g % 700 = 0 THEN NULL ELSE 'Name' || (g % 613) END, 'p' || g || '@example.com',
               CASE WHEN g % 9 = 0 THEN '{}'::text[] ELSE '{many}' END,
               now() - g * interval '1 minute', now() - (g % 50) * interval '1 hour'
        FROM generate_series(1, 13800) AS g)sql",
        org_.id);
    // The newest, last by name and least recently updated: far along created_at, last_name and
    // -updated_at.
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email, created_at, updated_at)
        SELECT $1, 'Clusterword', 'Zz' || (g % 37), 'z' || g || '@example.com', now() - g * interval '1 second',
               now() - interval '2 years'
        FROM generate_series(1, 2100) AS g)sql",
        org_.id);
    // The oldest: far along the default order (and -updated_at).
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name, email, created_at, updated_at)
        SELECT $1, 'Oldword', 'Nz' || (g % 37), 'o' || g || '@example.com', now() - interval '1 year' - g * interval '1 second',
               now() - interval '2 years'
        FROM generate_series(1, 2100) AS g)sql",
        org_.id);
    // Every Commonname buys for Initech: more than kFewMatches found by company.
    sql("INSERT INTO sales_profiles (org_id, contact_id, company_name, is_primary) "
        "SELECT org_id, id, 'Initech', true FROM contacts WHERE org_id = $1 AND first_name = 'Commonname'",
        org_.id);
    {
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        tx.exec0("VACUUM ANALYZE contacts");
        tx.exec0("VACUUM ANALYZE sales_profiles");
    }
    for (const auto* name : {"Commonname", "Clusterword", "Oldword"}) {
        ASSERT_GT(count("SELECT count(*) FROM contacts WHERE org_id = '" + org_.id + "' AND first_name = '" + name + "'"),
                  contacts::repo::kFewMatches)
            << name;
    }
    ASSERT_GT(count("SELECT count(*) FROM contacts WHERE org_id = '" + org_.id +
                    "' AND first_name = 'Commonname' AND 'many' = ANY(tags)"),
              contacts::repo::kFewMatches);
    const auto ids = [&](const std::string& where, const std::string& order) {
        std::vector<std::string> out;
        for (const auto& row : sql("SELECT id::text FROM contacts WHERE org_id = $1 AND deleted_at IS NULL AND " +
                                       where + " ORDER BY " + order,
                                   org_.id)) {
            out.push_back(row[0].as<std::string>());
        }
        return out;
    };
    for (const std::string q : {"commonname", "clusterword", "oldword", "rarely", "initech"}) {
        for (const auto& [sort, order] : sortOrders()) {
            EXPECT_EQ(listAllIds(sales_, "q=" + q + "&sort=" + sort),
                      ids("(search_text LIKE '%" + q + "%' OR id IN (SELECT contact_id FROM sales_profiles "
                          "WHERE deleted_at IS NULL AND crm_fold(company_name) LIKE '%" + q + "%'))",
                          order))
                << q << " sorted by " << sort;
        }
    }
    // With a tag (the walk applies it as it goes), the total and the embedded profiles.
    EXPECT_EQ(listAllIds(sales_, "q=commonname&tag=many"),
              ids("search_text LIKE '%commonname%' AND 'many' = ANY(tags)", sortOrders().at("-created_at")));
    const auto page = as(sales_).get("/api/contacts?q=commonname&tag=many&with_total=true&include=profiles").json();
    EXPECT_EQ(page.at("page").at("total"), count("SELECT count(*) FROM contacts WHERE org_id = '" + org_.id +
                                                 "' AND first_name = 'Commonname' AND 'many' = ANY(tags)"));
    ASSERT_EQ(page.at("data").size(), 50u);
    for (const auto& item : page.at("data")) {
        EXPECT_EQ(item.at("sales_profiles").size(), 1u) << item.dump();
    }
    // The walk for a common name, by last update or by name (the clusters lie at the other
    // end): along the sort index, about a page's worth of rows at most (one in five is a match
    // by name; the newest updates are all Commonnames).
    auto connection = server_->database().connect();
    for (const auto& [sort, index] : {std::pair{"-updated_at", "contacts_org_updated_idx"},
                                      std::pair{"last_name", "contacts_name_sort_idx"}}) {
        contacts::repo::ListRequest request;
        request.sort = sort;
        request.filter.search_terms = "commonname";
        const auto query = contacts::repo::buildListQuery(org_.id, request, contacts::repo::ListPlan::SortProbe);
        pqxx::read_transaction tx(connection);
        tx.exec0("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off");  // as listContacts plans it
        const auto plan = analyzedPlan(tx, query.sql, query.params);
        EXPECT_NE(plan.dump().find(index), std::string::npos) << sort << plan.dump(1);
        EXPECT_LT(rowsRead(plan), 5 * 51 + 100) << sort << plan.dump(1);
    }
    // Which step answers, by the contacts read: the first query's 2,001 and the walk's few
    // hundred for Commonname by name; for Clusterword by name, after those, the walk's 10,000
    // and every one of its 2,100 matches again.
    const auto rowsReadForPage = [&](const std::string& q) {
        contacts::repo::ListRequest request;
        request.sort = "last_name";
        request.filter.search_terms = q;
        const auto before = rowsReadFrom(connection, "contacts");
        pqxx::read_transaction tx(connection);
        contacts::repo::planBitmapScansOnly(tx);
        const auto page = contacts::repo::listContacts(tx, org_.id, request);
        tx.commit();
        EXPECT_EQ(page.items.size(), 50u) << q;
        return rowsReadFrom(connection, "contacts") - before;
    };
    const auto walked = rowsReadForPage("commonname");
    EXPECT_GT(walked, contacts::repo::kFewMatches);
    EXPECT_LT(walked, contacts::repo::kFewMatches + 1000);
    EXPECT_GT(rowsReadForPage("clusterword"), contacts::repo::kFewMatches + contacts::repo::kSortProbeRows + 2000);
}

}  // namespace
}  // namespace crm::test
