// Contacts: the generated summary and the cross-profile insights.
#include "contacts/repository.hpp"
#include "contacts_fixture.hpp"
#include "support/query_plans.hpp"

#include <algorithm>

namespace crm::test {
namespace {

using nlohmann::json;

class ContactInsightsApiTest : public ContactsFixture {
protected:
    // The insights of a list answer, by type.
    static std::multimap<std::string, json> byType(const HttpResponse& response) {
        EXPECT_EQ(response.status, 200) << response.body;
        std::multimap<std::string, json> out;
        const auto body = response.json();
        for (const auto& item : body.at("data")) {
            out.emplace(item.at("type").get<std::string>(), item);
        }
        return out;
    }
};

// The summary states the contact's roles, profiles and activity in plain, repeatable text.
TEST_F(ContactInsightsApiTest, SummaryDescribesADualContact) {
    const auto client = insertClient(org_, "Initech");
    const auto body = createContact(
        manager_, {{"first_name", "Nora"}, {"last_name", "Quist"}, {"city", "Oslo"}, {"country", "NO"},
                   {"sales_profile", {{"client_id", client}, {"company_name", "Initech"}, {"title", "CTO"},
                                      {"decision_role", "decision_maker"}, {"lead_status", "qualified"},
                                      {"lead_score", 72}, {"budget", "50000"}, {"currency", "EUR"}}},
                   {"candidate_profile", {{"headline", "Engineering leader"}, {"years_experience", 12},
                                          {"skills", {{{"name", "Go"}}, {{"name", "Kubernetes"}}}},
                                          {"desired_salary_min", "90000"}, {"desired_salary_max", "110000"},
                                          {"currency", "EUR"}, {"available_from", "2026-05-01"}}}});
    const auto id = body.at("id").get<std::string>();
    const auto job = insertJob(org_, std::nullopt, "VP Engineering");
    insertApplication(org_, job, body.at("candidate_profiles").at(0).at("id").get<std::string>());
    // An application to a job since deleted counts nowhere: not in the total, not as active.
    const auto gone_job = insertJob(org_, std::nullopt, "Withdrawn Role");
    insertApplication(org_, gone_job, body.at("candidate_profiles").at(0).at("id").get<std::string>());
    sql("UPDATE jobs SET deleted_at = now() WHERE id = $1", gone_job);
    insertDeal(org_, client, id);
    sql("INSERT INTO communications (org_id, channel, contact_id, body) VALUES ($1, 'email', $2, 'Hi')", org_.id, id);

    const auto response = as(recruiter_).get("/api/contacts/" + id + "/summary");
    ASSERT_EQ(response.status, 200) << response.body;
    const auto summary = response.json();
    const auto text = summary.at("text").get<std::string>();
    EXPECT_EQ(text.rfind("Nora Quist is both a buyer and a candidate. Based in Oslo, NO.", 0), 0u) << text;
    EXPECT_NE(text.find("As a buyer: CTO at Initech, decision maker, lead status qualified, lead score 72, "
                        "budget 50000.00 EUR."),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("As a candidate: Engineering leader, 12 years of experience, skills: go, kubernetes, "
                        "seeking 90000.00 to 110000.00 EUR, available from 2026-05-01."),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("1 application (1 active), 1 deal (1 open), 1 message."), std::string::npos) << text;
    EXPECT_NE(text.find("Last activity on "), std::string::npos) << text;
    const auto& facts = summary.at("facts");
    EXPECT_EQ(facts.at("is_dual"), true);
    EXPECT_EQ(facts.at("application_count"), 1);
    EXPECT_EQ(facts.at("deal_count"), 1);
    EXPECT_EQ(facts.at("message_count"), 1);
    EXPECT_EQ(facts.at("primary_sales_profile_id"), body.at("sales_profiles").at(0).at("id"));
    // Deterministic: asking again gives the same text.
    EXPECT_EQ(as(sales_).get("/api/contacts/" + id + "/summary").json().at("text"), summary.at("text"));
}

// A buyer recorded by client only: the text names the client, the profile is shown as stored
// (the same profile reads the same on every route).
TEST_F(ContactInsightsApiTest, SummaryNamesTheClientButShowsTheProfileAsStored) {
    const auto client = insertClient(org_, "Umbrella Corp");
    const auto created = createContact(sales_, {{"first_name", "Rae"}, {"sales_profile", {{"client_id", client}}}});
    const auto id = created.at("id").get<std::string>();
    const auto summary = as(sales_).get("/api/contacts/" + id + "/summary").json();
    EXPECT_NE(summary.at("text").get<std::string>().find("Umbrella Corp"), std::string::npos) << summary.at("text");
    EXPECT_EQ(summary.at("primary_sales_profile"), created.at("sales_profiles").at(0));
}

// A contact without profiles or activity is summarised as such.
TEST_F(ContactInsightsApiTest, SummaryOfABareContact) {
    const auto id = createContactId(sales_, {{"first_name", "Olaf"}, {"do_not_contact", true}});
    const auto text = as(sales_).get("/api/contacts/" + id + "/summary").json().at("text").get<std::string>();
    EXPECT_EQ(text, "Olaf has no sales or candidate profile yet. No applications, no deals, no messages. "
                    "No activity recorded yet. Marked do not contact.");
}

// A candidate working at (or linked to) a client with open deals is flagged for sales.
TEST_F(ContactInsightsApiTest, CandidateAtClientWithOpenDeals) {
    const auto globex = insertClient(org_, "Globex");
    insertDeal(org_, globex, std::nullopt);
    insertDeal(org_, globex, std::nullopt);
    insertDeal(org_, globex, std::nullopt, "won");
    const auto by_employer = createContactId(
        recruiter_, {{"first_name", "Hank"}, {"candidate_profile", {{"current_employer", "globex"}}}});
    const auto by_link = createContactId(recruiter_, {{"first_name", "Ivy"}, {"candidate_profile", json::object()}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + by_link + "/client-relationships",
                               {{"relationships", {{{"client_id", globex}}}}}).status,
              200);
    createContact(recruiter_, {{"first_name", "Jill"}, {"candidate_profile", {{"current_employer", "Hooli"}}}});

    const auto insights = byType(as(sales_).get("/api/insights/cross-profile?type=candidate_at_client_with_open_deals"));
    ASSERT_EQ(insights.size(), 2u);
    std::map<std::string, json> by_contact;
    for (const auto& [type, item] : insights) {
        by_contact[item.at("contact_id").get<std::string>()] = item;
    }
    EXPECT_EQ(by_contact.at(by_employer).at("client_id"), globex);
    EXPECT_EQ(by_contact.at(by_employer).at("open_deal_count"), 2);
    EXPECT_EQ(by_contact.at(by_employer).at("via"), "current_employer");
    EXPECT_EQ(by_contact.at(by_link).at("via"), "client_link");
    EXPECT_EQ(by_contact.at(by_employer).at("message"),
              "Hank is a candidate and works at Globex, a client with 2 open deals: talk to sales before "
              "approaching them.");
    const auto mine = byType(as(recruiter_).get("/api/contacts/" + by_employer + "/insights"));
    EXPECT_EQ(mine.count("candidate_at_client_with_open_deals"), 1u);
    // An employer typed in Greek capitals is the client of that name ("ΌΜΙΛΟΣ" is "Όμιλος").
    const auto omilos = insertClient(org_, "Όμιλος");
    insertDeal(org_, omilos, std::nullopt);
    const auto greek = createContactId(
        recruiter_, {{"first_name", "Άρης"}, {"candidate_profile", {{"current_employer", "ΌΜΙΛΟΣ"}}}});
    const auto greek_insights = byType(as(recruiter_).get("/api/contacts/" + greek + "/insights"));
    ASSERT_EQ(greek_insights.count("candidate_at_client_with_open_deals"), 1u);
    EXPECT_EQ(greek_insights.find("candidate_at_client_with_open_deals")->second.at("client_id"), omilos);
}

// A link that ended, or has not begun, is a former or future company: no insight, as the search
// does not read it as the contact's company either. One in force today counts.
TEST_F(ContactInsightsApiTest, OnlyLinksInForceTodayCount) {
    const auto globex = insertClient(org_, "Globex");
    insertDeal(org_, globex, std::nullopt);
    insertJob(org_, globex, "Backend Engineer");
    const auto link = [&](const std::string& contact, const json& dates) {
        json relationship = dates;
        relationship["client_id"] = globex;
        ASSERT_EQ(as(manager_).put("/api/contacts/" + contact + "/client-relationships",
                                   {{"relationships", json::array({relationship})}}).status,
                  200);
    };
    const auto dual = createContactId(
        manager_, {{"first_name", "Lou"}, {"candidate_profile", json::object()}, {"sales_profile", json::object()}});
    const auto insightsOf = [&] { return byType(as(manager_).get("/api/contacts/" + dual + "/insights")); };
    link(dual, {{"start_date", "2018-01-01"}, {"end_date", "2020-01-01"}});
    EXPECT_EQ(insightsOf().count("candidate_at_client_with_open_deals"), 0u) << "an ended link";
    EXPECT_EQ(insightsOf().count("buyer_at_client_with_open_jobs"), 0u) << "an ended link";
    link(dual, {{"start_date", "2099-01-01"}});
    EXPECT_EQ(insightsOf().count("candidate_at_client_with_open_deals"), 0u) << "a future link";
    EXPECT_EQ(insightsOf().count("buyer_at_client_with_open_jobs"), 0u) << "a future link";
    link(dual, {{"start_date", "2018-01-01"}, {"end_date", "2099-01-01"}});
    EXPECT_EQ(insightsOf().count("candidate_at_client_with_open_deals"), 1u) << "a link in force";
    EXPECT_EQ(insightsOf().count("buyer_at_client_with_open_jobs"), 1u) << "a link in force";
}

// A buyer at a client with open jobs is a hiring contact too.
TEST_F(ContactInsightsApiTest, BuyerAtClientWithOpenJobs) {
    const auto hooli = insertClient(org_, "Hooli");
    insertJob(org_, hooli, "Backend Engineer");
    insertJob(org_, hooli, "Designer", "closed");
    const auto buyer = createContactId(sales_, {{"first_name", "Gavin"}, {"sales_profile", {{"client_id", hooli}}}});
    const auto by_name = createContactId(sales_, {{"first_name", "Big"}, {"sales_profile", {{"company_name", "HOOLI"}}}});
    const auto insights = byType(as(recruiter_).get("/api/insights/cross-profile"));
    std::map<std::string, json> buyers;
    for (auto [it, end] = insights.equal_range("buyer_at_client_with_open_jobs"); it != end; ++it) {
        buyers[it->second.at("contact_id").get<std::string>()] = it->second;
    }
    ASSERT_EQ(buyers.size(), 2u);
    EXPECT_EQ(buyers.at(buyer).at("open_job_count"), 1);
    EXPECT_EQ(buyers.at(buyer).at("via"), "sales_profile");
    EXPECT_EQ(buyers.at(by_name).at("via"), "company_name");
    EXPECT_EQ(buyers.at(buyer).at("message"),
              "Gavin buys for Hooli, which has 1 open job: a hiring contact as well as a buyer.");
}

// A candidate we placed who works at a company that is not (yet) a client is a sales lead.
TEST_F(ContactInsightsApiTest, PlacedCandidateAtNonClient) {
    const auto job = insertJob(org_, std::nullopt, "Data Scientist");
    const auto prospect = insertClient(org_, "Pied Piper", "prospect");
    const auto active = insertClient(org_, "Aviato");
    const auto make = [&](const std::string& name, const std::string& employer, const std::string& status) {
        const auto body = createContact(recruiter_, {{"first_name", name}, {"candidate_profile", {{"current_employer", employer}}}});
        insertApplication(org_, job, body.at("candidate_profiles").at(0).at("id").get<std::string>(), status);
        return body.at("id").get<std::string>();
    };
    const auto at_new = make("Kai", "Raviga", "hired");
    const auto at_prospect = make("Lu", "Pied Piper", "hired");
    make("Mo", "Aviato", "hired");         // already a client
    make("Ned", "Bachmanity", "active");   // not placed
    // A hire on a job since deleted is hidden with the job, as every deleted record is.
    const auto gone_job = insertJob(org_, std::nullopt, "Withdrawn Role");
    const auto gone = createContact(recruiter_, {{"first_name", "Oz"}, {"candidate_profile", {{"current_employer", "Endframe"}}}});
    insertApplication(org_, gone_job, gone.at("candidate_profiles").at(0).at("id").get<std::string>(), "hired");
    sql("UPDATE jobs SET deleted_at = now() WHERE id = $1", gone_job);
    (void)active;
    const auto insights = byType(as(sales_).get("/api/insights/cross-profile?type=placed_candidate_at_non_client"));
    std::map<std::string, json> placed;
    for (const auto& [type, item] : insights) {
        placed[item.at("contact_id").get<std::string>()] = item;
    }
    ASSERT_EQ(placed.size(), 2u);
    EXPECT_TRUE(placed.at(at_new).at("client_id").is_null());
    EXPECT_EQ(placed.at(at_new).at("company"), "Raviga");
    EXPECT_EQ(placed.at(at_new).at("job_title"), "Data Scientist");
    EXPECT_EQ(placed.at(at_prospect).at("client_id"), prospect);
    EXPECT_EQ(placed.at(at_new).at("message"),
              "Kai was placed (hired for Data Scientist) and works at Raviga, which is not a client yet: a warm "
              "introduction for sales.");
}

// The insights start from the few clients with open deals or jobs and look their people up by
// the folded company name (migration 0026): no read of every profile of the organisation, which
// folded every employer and company name per request (over a second on 66,000 profiles).
TEST_F(ContactInsightsApiTest, CompanyMatchesAreLookedUpByIndex) {
    sql(R"sql(
        INSERT INTO contacts (org_id, first_name, last_name)
        SELECT $1, 'First' || g, 'Last' || g FROM generate_series(1, 8000) AS g)sql",
        org_.id);
    // Even contacts are candidates and odd ones buyers, at "Employer 0" to "Employer 399": twenty
    // candidates at each even-numbered company, twenty buyers at each odd-numbered one.
    sql(R"sql(
        INSERT INTO candidate_profiles (org_id, contact_id, current_employer, is_primary)
        SELECT org_id, id, 'Employer ' || (substr(first_name, 6)::int % 400), true FROM contacts
        WHERE org_id = $1 AND substr(first_name, 6)::int % 2 = 0)sql",
        org_.id);
    sql(R"sql(
        INSERT INTO sales_profiles (org_id, contact_id, company_name, is_primary)
        SELECT org_id, id, 'employer ' || (substr(first_name, 6)::int % 400), true FROM contacts
        WHERE org_id = $1 AND substr(first_name, 6)::int % 2 = 1)sql",
        org_.id);
    sql("INSERT INTO clients (org_id, name) SELECT $1, 'Employer ' || g FROM generate_series(0, 399) AS g", org_.id);
    for (int n = 0; n < 10; ++n) {  // five of them employ candidates
        insertDeal(org_, sql("SELECT id FROM clients WHERE org_id = $1 AND name = $2", org_.id,
                             "Employer " + std::to_string(n))[0][0].as<std::string>(),
                   std::nullopt);
    }
    for (int n = 10; n < 20; ++n) {  // five of them employ buyers
        insertJob(org_, sql("SELECT id FROM clients WHERE org_id = $1 AND name = $2", org_.id,
                            "Employer " + std::to_string(n))[0][0].as<std::string>(),
                  "Engineer");
    }
    {
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        for (const auto* table : {"contacts", "candidate_profiles", "sales_profiles", "clients", "deals", "jobs"}) {
            tx.exec0(std::string("VACUUM ANALYZE ") + table);
        }
    }
    {
        auto connection = server_->database().connect();
        pqxx::read_transaction tx(connection);
        const auto plan = json::parse(
            tx.exec_params("EXPLAIN (FORMAT JSON) " + contacts::repo::insightsSql(), org_.id, nullptr, nullptr,
                           nullptr, nullptr, nullptr, 51)[0][0]
                .c_str());
        const auto scans = tableScans(plan);
        for (const auto& scan : scans) {
            // The organisation's 400 clients are read whole where that is cheaper: a few pages.
            for (const auto* table : {"contacts", "candidate_profiles", "sales_profiles"}) {
                EXPECT_NE(scan, std::string("Seq Scan  on ") + table) << plan.dump(1);
            }
        }
        const auto uses = [&scans](const std::string& index) {
            return std::any_of(scans.begin(), scans.end(),
                               [&index](const std::string& scan) { return scan.find(" " + index + " ") != std::string::npos; });
        };
        EXPECT_TRUE(uses("candidate_profiles_employer_fold_idx")) << plan.dump(1);
        EXPECT_TRUE(uses("sales_profiles_company_fold_idx")) << plan.dump(1);
    }
    // And the answers are the people at those companies, whatever the case of the name.
    const auto candidates = as(sales_).get("/api/insights/cross-profile?type=candidate_at_client_with_open_deals&limit=200");
    ASSERT_EQ(candidates.status, 200) << candidates.body;
    EXPECT_EQ(candidates.json().at("data").size(), 100u);
    EXPECT_TRUE(candidates.json().at("page").at("next_cursor").is_null());
    const auto buyers = as(sales_).get("/api/insights/cross-profile?type=buyer_at_client_with_open_jobs&limit=200");
    ASSERT_EQ(buyers.status, 200) << buyers.body;
    const auto buyer_items = buyers.json().at("data");
    EXPECT_EQ(buyer_items.size(), 100u);
    for (const auto& item : buyer_items) {
        EXPECT_EQ(item.at("via"), "company_name");
    }
    // A page of one type, or after a cursor in a later type, computes only the types it can
    // hold: the 200 insights above are not read for a type that has none.
    const auto rowsReadFor = [&](const std::optional<std::string>& type, const std::optional<std::string>& after) {
        auto connection = server_->database().connect();
        pqxx::read_transaction tx(connection);
        // A cursor is (type, contact id, subject key); the lowest id and key, so that the
        // whole of the cursor's type comes after it.
        const std::optional<std::string> after_id =
            after ? std::optional<std::string>("00000000-0000-0000-0000-000000000000") : std::nullopt;
        const std::optional<std::string> after_key = after ? std::optional<std::string>("") : std::nullopt;
        const std::vector<std::optional<std::string>> params{org_.id, std::nullopt, type, after, after_id, after_key, "51"};
        return rowsRead(analyzedPlan(tx, contacts::repo::insightsSql(), params));
    };
    EXPECT_GT(rowsReadFor(std::nullopt, std::nullopt), 200);
    EXPECT_LT(rowsReadFor("placed_candidate_at_non_client", std::nullopt), 50);
    EXPECT_LT(rowsReadFor("buyer_is_active_candidate", std::nullopt), 50);
    EXPECT_LT(rowsReadFor(std::nullopt, "placed_candidate_at_non_client"), 50);
    EXPECT_GT(rowsReadFor(std::nullopt, "buyer_at_client_with_open_jobs"), 100);  // its own type still runs
}

// Two prospects of the same name: a placed candidate's insight names the older one, once, the
// same one on every request (its id is the insight's cursor key).
TEST_F(ContactInsightsApiTest, PlacedCandidateAtADuplicatedProspectNamesTheOlderOne) {
    const auto job = insertJob(org_, std::nullopt, "Analyst");
    const auto first = insertClient(org_, "Hooli", "prospect");
    insertClient(org_, "HOOLI", "prospect");
    const auto body = createContact(recruiter_, {{"first_name", "Gavin"}, {"candidate_profile", {{"current_employer", "Hooli"}}}});
    insertApplication(org_, job, body.at("candidate_profiles").at(0).at("id").get<std::string>(), "hired");
    const auto insights = byType(as(sales_).get("/api/insights/cross-profile?type=placed_candidate_at_non_client"));
    ASSERT_EQ(insights.size(), 1u);
    EXPECT_EQ(insights.begin()->second.at("client_id"), first);  // the older one
}

// A buyer who is also actively applying for jobs is flagged for discretion.
TEST_F(ContactInsightsApiTest, BuyerWhoIsAnActiveCandidate) {
    const auto job = insertJob(org_, std::nullopt, "COO");
    const auto body = createContact(
        manager_, {{"first_name", "Ola"}, {"sales_profile", {{"company_name", "Initrode"}}}, {"candidate_profile", json::object()}});
    insertApplication(org_, job, body.at("candidate_profiles").at(0).at("id").get<std::string>());
    // An application to a deleted job is no candidacy in progress.
    const auto gone_job = insertJob(org_, std::nullopt, "CFO");
    insertApplication(org_, gone_job, body.at("candidate_profiles").at(0).at("id").get<std::string>());
    sql("UPDATE jobs SET deleted_at = now() WHERE id = $1", gone_job);
    const auto insights = byType(as(sales_).get("/api/contacts/" + body.at("id").get<std::string>() + "/insights"));
    ASSERT_EQ(insights.count("buyer_is_active_candidate"), 1u);
    const auto item = insights.find("buyer_is_active_candidate")->second;
    EXPECT_EQ(item.at("active_application_count"), 1);
    EXPECT_EQ(item.at("message"),
              "Ola is a buyer at Initrode and also an active candidate with 1 application in progress: handle "
              "with discretion.");
}

// A buyer recorded at a client that was deleted since: the insight names no client id that
// would be a 404 everywhere else.
TEST_F(ContactInsightsApiTest, BuyerAtADeletedClientNamesNoClient) {
    const auto job = insertJob(org_, std::nullopt, "COO");
    const auto client = insertClient(org_, "Hooli");
    const auto body = createContact(
        manager_, {{"first_name", "Ola"}, {"sales_profile", {{"client_id", client}}}, {"candidate_profile", json::object()}});
    insertApplication(org_, job, body.at("candidate_profiles").at(0).at("id").get<std::string>());
    const auto path = "/api/contacts/" + body.at("id").get<std::string>() + "/insights";
    EXPECT_EQ(byType(as(sales_).get(path)).find("buyer_is_active_candidate")->second.at("client_id"), client);
    sql("UPDATE clients SET deleted_at = now() WHERE id = $1", client);
    const auto insights = byType(as(sales_).get(path));
    ASSERT_EQ(insights.count("buyer_is_active_candidate"), 1u);
    EXPECT_TRUE(insights.find("buyer_is_active_candidate")->second.at("client_id").is_null());
}

// The organisation-wide list pages through every insight once and shows no other tenant's.
TEST_F(ContactInsightsApiTest, CrossProfileInsightsPageAndStayInTheOrganisation) {
    const auto client = insertClient(org_, "Massive Dynamic");
    insertDeal(org_, client, std::nullopt);
    insertJob(org_, client, "Analyst");
    for (int i = 0; i < 3; ++i) {
        createContact(manager_, {{"first_name", "N" + std::to_string(i)},
                                 {"sales_profile", {{"client_id", client}}},
                                 {"candidate_profile", {{"current_employer", "Massive Dynamic"}}}});
    }
    const auto theirs = insertClient(other_org_, "Massive Dynamic");
    insertDeal(other_org_, theirs, std::nullopt);
    createContact(stranger_, {{"first_name", "Spy"}, {"candidate_profile", {{"current_employer", "Massive Dynamic"}}}});

    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        const auto response = as(sales_).get("/api/insights/cross-profile?limit=2" +
                                             (cursor.empty() ? "" : "&cursor=" + cursor));
        ASSERT_EQ(response.status, 200) << response.body;
        const auto body = response.json();
        for (const auto& item : body.at("data")) {
            EXPECT_TRUE(seen.insert(item.at("type").get<std::string>() + item.at("contact_id").get<std::string>()).second);
            EXPECT_NE(item.at("contact_name"), "Spy");
        }
        const auto& next = body.at("page").at("next_cursor");
        cursor = next.is_null() ? "" : next.get<std::string>();
    } while (!cursor.empty() && ++pages < 10);
    EXPECT_EQ(seen.size(), 6u);  // three candidates at a client with deals, three buyers at one with jobs
    EXPECT_EQ(as(sales_).get("/api/insights/cross-profile?type=gossip").status, 422);
    EXPECT_EQ(as(sales_).get("/api/insights/cross-profile?type=").status, 422);  // not "every type"
    EXPECT_EQ(byType(as(stranger_).get("/api/insights/cross-profile")).size(), 1u);
}

}  // namespace
}  // namespace crm::test
