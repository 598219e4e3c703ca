// Contacts: sales and candidate profiles, the one-primary rule, client relationships, field
// history and merging.
#include "contacts_fixture.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace crm::test {
namespace {

using nlohmann::json;

class ContactProfilesApiTest : public ContactsFixture {
protected:
    std::string salesProfile(const std::string& contact, const json& body, const TestUser& user) {
        const auto response = as(user).post("/api/contacts/" + contact + "/sales-profile", body);
        EXPECT_EQ(response.status, 201) << response.body;
        return response.json().value("id", "");
    }
    std::string candidateProfile(const std::string& contact, const json& body, const TestUser& user) {
        const auto response = as(user).post("/api/contacts/" + contact + "/candidate-profile", body);
        EXPECT_EQ(response.status, 201) << response.body;
        return response.json().value("id", "");
    }
    // profile id → is_primary, for the contact's live profiles of a kind.
    std::map<std::string, bool> primaries(const std::string& contact, const std::string& list) {
        const auto body = as(admin_).get("/api/contacts/" + contact + "/profiles").json();
        std::map<std::string, bool> out;
        for (const auto& profile : body.at(list)) {
            out[profile.at("id").get<std::string>()] = profile.at("is_primary").get<bool>();
        }
        return out;
    }
};

// The first profile of a kind becomes primary even when not asked; later ones are not.
TEST_F(ContactProfilesApiTest, FirstProfileOfAKindIsPrimary) {
    const auto contact = createContactId(sales_, {{"first_name", "Pat"}});
    const auto response = as(sales_).post("/api/contacts/" + contact + "/sales-profile",
                                          {{"company_name", "Initech"}, {"is_primary", false}});
    ASSERT_EQ(response.status, 201) << response.body;
    EXPECT_EQ(response.json().at("is_primary"), true);
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(response.header("Location"),
              "/api/v1/contacts/" + contact + "/sales-profile/" + response.json().at("id").get<std::string>());
    const auto second = salesProfile(contact, {{"company_name", "Globex"}}, sales_);
    EXPECT_EQ(primaries(contact, "sales_profiles")[second], false);
    const auto profiles = as(sales_).get("/api/contacts/" + contact + "/profiles").json();
    EXPECT_EQ(profiles.at("has_sales_profile"), true);
    EXPECT_EQ(profiles.at("is_dual"), false);
    EXPECT_EQ(profiles.at("sales_profiles").at(0).at("is_primary"), true);  // primary listed first
}

// A new profile sent as primary takes over: the old primary is demoted in the same change.
TEST_F(ContactProfilesApiTest, NewPrimaryDemotesTheOldOne) {
    const auto contact = createContactId(recruiter_, {{"first_name", "Quinn"}});
    const auto first = candidateProfile(contact, {{"headline", "Developer"}}, recruiter_);
    const auto second = candidateProfile(contact, {{"headline", "Architect"}, {"is_primary", true}}, recruiter_);
    const auto flags = primaries(contact, "candidate_profiles");
    EXPECT_EQ(flags.at(first), false);
    EXPECT_EQ(flags.at(second), true);
}

// make-primary swaps the primary profile and records both changes in the history.
TEST_F(ContactProfilesApiTest, MakePrimarySwapsAndRecordsHistory) {
    const auto contact = createContactId(sales_, {{"first_name", "Ray"}});
    const auto first = salesProfile(contact, {{"company_name", "A"}}, sales_);
    const auto second = salesProfile(contact, {{"company_name", "B"}}, sales_);
    const auto response = as(sales_).post("/api/contacts/" + contact + "/profiles/" + second + "/make-primary",
                                          json::object());
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("is_primary"), true);
    EXPECT_EQ(response.header("ETag"), "\"2\"");
    const auto flags = primaries(contact, "sales_profiles");
    EXPECT_EQ(flags.at(first), false);
    EXPECT_EQ(flags.at(second), true);
    const auto history = as(sales_).get("/api/contacts/" + contact + "/history?profile_type=sales").json();
    int primary_rows = 0;
    for (const auto& entry : history.at("data")) {
        if (entry.at("field") == "is_primary") {
            ++primary_rows;
        }
    }
    EXPECT_EQ(primary_rows, 2);
    // Making the primary primary again changes nothing.
    EXPECT_EQ(as(sales_).post("/api/contacts/" + contact + "/profiles/" + second + "/make-primary", json::object())
                  .header("ETag"),
              "\"2\"");
}

// Deleting the primary profile promotes the oldest remaining one.
TEST_F(ContactProfilesApiTest, DeletingThePrimaryPromotesTheOldestRemaining) {
    const auto contact = createContactId(recruiter_, {{"first_name", "Sam"}});
    const auto first = candidateProfile(contact, {{"headline", "One"}}, recruiter_);
    const auto second = candidateProfile(contact, {{"headline", "Two"}}, recruiter_);
    const auto third = candidateProfile(contact, {{"headline", "Three"}}, recruiter_);
    ASSERT_EQ(as(recruiter_).post("/api/contacts/" + contact + "/profiles/" + third + "/make-primary", json::object())
                  .status,
              200);
    ASSERT_EQ(as(recruiter_).del("/api/contacts/" + contact + "/candidate-profile/" + third).status, 204);
    auto flags = primaries(contact, "candidate_profiles");
    EXPECT_EQ(flags.size(), 2u);
    EXPECT_EQ(flags.at(first), true);
    EXPECT_EQ(flags.at(second), false);
    ASSERT_EQ(as(recruiter_).del("/api/contacts/" + contact + "/candidate-profile/" + first).status, 204);
    flags = primaries(contact, "candidate_profiles");
    EXPECT_EQ(flags.at(second), true);
    ASSERT_EQ(as(recruiter_).del("/api/contacts/" + contact + "/candidate-profile/" + second).status, 204);
    EXPECT_EQ(as(recruiter_).get("/api/contacts/" + contact).json().at("has_candidate_profile"), false);
    EXPECT_EQ(as(recruiter_).del("/api/contacts/" + contact + "/candidate-profile/" + second).status, 404);
}

// A deleted profile can be brought back, as it was: primary again only when its kind has no
// live primary; its delete's ETag is what a conditional restore names; the history shows both.
TEST_F(ContactProfilesApiTest, DeletedProfileIsRestoredAsItWas) {
    const auto contact = createContactId(sales_, {{"first_name", "Una"}});
    const auto first = salesProfile(contact, {{"company_name", "Initech"}, {"title", "CTO"}}, sales_);
    const auto second = salesProfile(contact, {{"company_name", "Hooli"}}, sales_);
    const auto path = "/api/contacts/" + contact + "/sales-profile/";
    const auto deleted = as(sales_).del(path + first);
    ASSERT_EQ(deleted.status, 204);
    EXPECT_EQ(deleted.header("ETag"), "\"2\"");
    EXPECT_EQ(primaries(contact, "sales_profiles"), (std::map<std::string, bool>{{second, true}}));
    EXPECT_EQ(as(sales_).post(path + first + "/restore", json::object(), {{"If-Match", "\"1\""}}).status, 412);

    const auto restored = as(sales_).post(path + first + "/restore", json::object(), {{"If-Match", "\"2\""}});
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_EQ(restored.json().at("title"), "CTO");
    EXPECT_EQ(restored.json().at("is_primary"), false);  // Hooli took the place meanwhile
    EXPECT_EQ(restored.header("ETag"), "\"3\"");
    EXPECT_EQ(primaries(contact, "sales_profiles"), (std::map<std::string, bool>{{first, false}, {second, true}}));
    EXPECT_EQ(as(sales_).post(path + first + "/restore", json::object()).status, 409);  // live already

    const auto history = as(sales_).get("/api/contacts/" + contact + "/history?profile_type=sales").json();
    const auto& newest = history.at("data").at(0);
    EXPECT_EQ(newest.at("profile_id"), first);
    EXPECT_EQ(newest.at("field"), "deleted_at");
    EXPECT_TRUE(newest.at("old_value").is_string());
    EXPECT_TRUE(newest.at("new_value").is_null());

    // The last profile of a kind comes back primary; the contact is a buyer again.
    ASSERT_EQ(as(sales_).del(path + first).status, 204);
    ASSERT_EQ(as(sales_).del(path + second).status, 204);
    EXPECT_EQ(as(sales_).get("/api/contacts/" + contact).json().at("has_sales_profile"), false);
    const auto back = as(sales_).post(path + second + "/restore", json::object());
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(back.json().at("is_primary"), true);
    EXPECT_EQ(as(sales_).get("/api/contacts/" + contact).json().at("has_sales_profile"), true);
}

// Restoring a profile needs what changing it needs; on another kind's path, a deleted contact's
// or another organisation's, it is not found.
TEST_F(ContactProfilesApiTest, RestoringAProfileNeedsTheRightToChangeIt) {
    const auto contact = createContactId(recruiter_, {{"first_name", "Vic"}});
    const auto profile = candidateProfile(contact, {{"headline", "Data engineer"}}, recruiter_);
    const auto path = "/api/contacts/" + contact + "/candidate-profile/" + profile;
    ASSERT_EQ(as(recruiter_).del(path).status, 204);
    EXPECT_EQ(as(sales_).post(path + "/restore", json::object()).status, 403);       // no candidate_profiles:write
    EXPECT_EQ(as(recruiter2_).post(path + "/restore", json::object()).status, 403);  // not theirs
    EXPECT_EQ(as(stranger_).post(path + "/restore", json::object()).status, 404);
    EXPECT_EQ(as(manager_).post("/api/contacts/" + contact + "/sales-profile/" + profile + "/restore", json::object())
                  .status,
              404);
    ASSERT_EQ(as(manager_).del("/api/contacts/" + contact).status, 204);
    EXPECT_EQ(as(recruiter_).post(path + "/restore", json::object()).status, 404);  // the contact is deleted
    ASSERT_EQ(as(manager_).post("/api/contacts/" + contact + "/restore", json::object()).status, 200);
    const auto restored = as(recruiter_).post(path + "/restore", json::object());
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_EQ(restored.json().at("headline"), "Data engineer");
    EXPECT_EQ(as(recruiter_).get("/api/contacts/" + contact).json().at("has_candidate_profile"), true);
}

// A profile PUT is partial, checks If-Match and records each changed field.
TEST_F(ContactProfilesApiTest, ProfileUpdateIsPartialWithIfMatch) {
    const auto contact = createContactId(sales_, {{"first_name", "Tom"}});
    const auto profile = salesProfile(contact, {{"company_name", "Initech"}, {"lead_score", 10}}, sales_);
    const auto path = "/api/contacts/" + contact + "/sales-profile/" + profile;
    const auto response = as(sales_).put(path, {{"lead_score", 70}, {"lead_status", "qualified"}}, {{"If-Match", "\"1\""}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("company_name"), "Initech");
    EXPECT_EQ(response.json().at("lead_score"), 70);
    EXPECT_EQ(response.header("ETag"), "\"2\"");
    EXPECT_EQ(as(sales_).put(path, {{"lead_score", 80}}, {{"If-Match", "\"1\""}}).status, 412);
    const auto history = as(sales_).get("/api/contacts/" + contact + "/history?profile_type=sales").json();
    std::set<std::string> fields;
    for (const auto& entry : history.at("data")) {
        fields.insert(entry.at("field").get<std::string>());
        EXPECT_EQ(entry.at("profile_id"), profile);
    }
    EXPECT_EQ(fields, (std::set<std::string>{"record", "lead_score", "lead_status"}));
}

// A profile saved again unchanged keeps its version, of either kind: another editor's
// If-Match stays valid.
TEST_F(ContactProfilesApiTest, UnchangedProfilePutKeepsTheVersion) {
    const auto contact = createContactId(manager_, {{"first_name", "Una"}});
    const auto sales = salesProfile(contact, {{"company_name", "Initech"}, {"title", "CTO"}}, manager_);
    const auto candidate = as(manager_).post("/api/contacts/" + contact + "/candidate-profile",
                                             {{"headline", "Engineer"}}).json().at("id").get<std::string>();
    for (const auto& path : {"/api/contacts/" + contact + "/sales-profile/" + sales,
                             "/api/contacts/" + contact + "/candidate-profile/" + candidate}) {
        for (const auto& body : {json::object(), json{{"is_primary", true}}}) {
            const auto response = as(manager_).put(path, body, {{"If-Match", "\"1\""}});
            ASSERT_EQ(response.status, 200) << path << " " << response.body;
            EXPECT_EQ(response.header("ETag"), "\"1\"") << path;
        }
    }
    const auto same_title = as(manager_).put("/api/contacts/" + contact + "/sales-profile/" + sales,
                                             {{"title", "CTO"}}, {{"If-Match", "\"1\""}});
    EXPECT_EQ(same_title.header("ETag"), "\"1\"");
    EXPECT_EQ(as(manager_).put("/api/contacts/" + contact + "/sales-profile/" + sales, {{"title", "CEO"}},
                               {{"If-Match", "\"1\""}}).header("ETag"),
              "\"2\"");
}

// Money needs its currency, and the salary range must be a range, also across PUTs.
TEST_F(ContactProfilesApiTest, RulesAcrossFieldsHoldOnUpdate) {
    const auto contact = createContactId(manager_, {{"first_name", "Uma"}});
    const auto no_currency = as(manager_).post("/api/contacts/" + contact + "/sales-profile", {{"budget", "1000"}});
    EXPECT_EQ(no_currency.status, 422);
    EXPECT_EQ(errorFields(no_currency), std::set<std::string>{"currency"});
    const auto profile = candidateProfile(
        contact, {{"desired_salary_min", "50000"}, {"desired_salary_max", "60000"}, {"currency", "EUR"}}, manager_);
    const auto path = "/api/contacts/" + contact + "/candidate-profile/" + profile;
    const auto inverted = as(manager_).put(path, {{"desired_salary_min", "70000"}});
    EXPECT_EQ(inverted.status, 422);
    EXPECT_EQ(errorFields(inverted), std::set<std::string>{"desired_salary_min"});
    // A rule across fields is reported with the fields' own errors, in one 422; a field named
    // for its own value is not named again for the rule.
    const auto all_at_once = as(manager_).post(
        "/api/contacts", {{"first_name", "Sal"},
                          {"candidate_profile", {{"desired_salary_min", "10"}, {"desired_salary_max", "5"},
                                                 {"currency", "EUR"}, {"skills", {{{"name", ""}}}}}}});
    ASSERT_EQ(all_at_once.status, 422) << all_at_once.body;
    EXPECT_EQ(errorFields(all_at_once), (std::set<std::string>{"candidate_profile.skills[0].name",
                                                              "candidate_profile.desired_salary_min"}));
    const auto bad_currency = as(manager_).post("/api/contacts/" + contact + "/sales-profile",
                                                {{"budget", "1000"}, {"currency", "E1"}, {"title", 5}});
    ASSERT_EQ(bad_currency.status, 422) << bad_currency.body;
    EXPECT_EQ(errorFields(bad_currency), (std::set<std::string>{"currency", "title"}));
    EXPECT_EQ(bad_currency.json().at("errors").size(), 2u);  // "currency" once, for its value
    // A currency in lower case is the same code.
    const auto lower = as(manager_).put(path, {{"currency", "usd"}});
    ASSERT_EQ(lower.status, 200) << lower.body;
    EXPECT_EQ(lower.json().at("currency"), "USD");
    const auto uncurrencied = as(manager_).put(path, {{"currency", nullptr}});
    EXPECT_EQ(errorFields(uncurrencied), std::set<std::string>{"currency"});
    EXPECT_EQ(as(manager_).put(path, {{"desired_salary_max", nullptr}, {"desired_salary_min", "70000"}}).status, 200);
}

// A new profile's Location can be read, by any role that reads contacts, with the ETag a PUT
// needs; a deleted profile, or one asked for under another contact, is a 404.
TEST_F(ContactProfilesApiTest, NewProfileLocationCanBeRead) {
    const auto contact = createContactId(manager_, {{"first_name", "Lia"}});
    const auto other = createContactId(manager_, {{"first_name", "Max"}});
    for (const std::string kind : {"sales-profile", "candidate-profile"}) {
        const auto body = kind == "sales-profile" ? json{{"title", "CTO"}} : json{{"headline", "Engineer"}};
        const auto made = as(manager_).post("/api/contacts/" + contact + "/" + kind, body);
        ASSERT_EQ(made.status, 201) << made.body;
        const auto id = made.json().at("id").get<std::string>();
        const auto location = made.header("Location");
        EXPECT_EQ(location, "/api/v1/contacts/" + contact + "/" + kind + "/" + id);
        const auto read = as(recruiter_).get(location);
        ASSERT_EQ(read.status, 200) << kind << " " << read.body;
        EXPECT_EQ(read.json(), made.json());
        EXPECT_EQ(read.header("ETag"), "\"1\"");
        EXPECT_EQ(as(recruiter_).get("/api/contacts/" + other + "/" + kind + "/" + id).status, 404);
        ASSERT_EQ(as(manager_).del(location).status, 204);
        EXPECT_EQ(as(recruiter_).get(location).status, 404);
    }
}

// The primary profile cannot be switched off directly: another one must be made primary.
TEST_F(ContactProfilesApiTest, PrimaryCannotBeUnset) {
    const auto contact = createContactId(sales_, {{"first_name", "Vic"}});
    const auto profile = salesProfile(contact, json::object(), sales_);
    const auto response = as(sales_).put("/api/contacts/" + contact + "/sales-profile/" + profile, {{"is_primary", false}});
    EXPECT_EQ(response.status, 422);
    EXPECT_EQ(errorFields(response), std::set<std::string>{"is_primary"});
}

// A sales profile's client must be a client of the organisation.
TEST_F(ContactProfilesApiTest, SalesProfileClientMustBeOurs) {
    const auto contact = createContactId(sales_, {{"first_name", "Wes"}});
    const auto theirs = insertClient(other_org_, "Their Client");
    const auto response = as(sales_).post("/api/contacts/" + contact + "/sales-profile", {{"client_id", theirs}});
    EXPECT_EQ(response.status, 422);
    EXPECT_EQ(errorFields(response), std::set<std::string>{"client_id"});
    const auto ours = insertClient(org_, "Our Client");
    EXPECT_EQ(as(sales_).post("/api/contacts/" + contact + "/sales-profile", {{"client_id", ours}}).status, 201);
}

// A profile is only reachable through its own contact; fields it does not have are refused.
TEST_F(ContactProfilesApiTest, ProfilesBelongToTheirContact) {
    const auto a = createContactId(sales_, {{"first_name", "Xia"}});
    const auto b = createContactId(sales_, {{"first_name", "Yan"}});
    const auto profile = salesProfile(a, json::object(), sales_);
    EXPECT_EQ(as(sales_).put("/api/contacts/" + b + "/sales-profile/" + profile, {{"title", "CTO"}}).status, 404);
    EXPECT_EQ(as(sales_).post("/api/contacts/" + b + "/profiles/" + profile + "/make-primary", json::object()).status,
              404);
    const auto candidate = as(manager_).post("/api/contacts/" + a + "/candidate-profile",
                                             {{"skill_names", {"x"}}, {"embedding", {1, 2}}});
    EXPECT_EQ(errorFields(candidate), (std::set<std::string>{"skill_names", "embedding"}));
}

// Client relationships are replaced as a whole set.
TEST_F(ContactProfilesApiTest, ClientRelationshipsReplaceTheWholeSet) {
    const auto one = insertClient(org_, "One Inc");
    const auto two = insertClient(org_, "Two Ltd");
    const auto contact = createContactId(sales_, {{"first_name", "Zed"}});
    const auto path = "/api/contacts/" + contact + "/client-relationships";
    const auto response = as(sales_).put(
        path, {{"relationships",
                {{{"client_id", one}, {"role", "buyer"}, {"is_primary_contact", true}, {"start_date", "2024-01-01"}},
                 {{"client_id", two}, {"title", "Advisor"}}}}});
    ASSERT_EQ(response.status, 200) << response.body;
    auto body = response.json();
    ASSERT_EQ(body.at("data").size(), 2u);
    EXPECT_EQ(body.at("data").at(0).at("client_name"), "One Inc");
    EXPECT_EQ(body.at("data").at(0).at("is_primary_contact"), true);
    ASSERT_EQ(as(sales_).put(path, {{"relationships", {{{"client_id", two}, {"title", "Advisor"}}}}}).status, 200);
    body = as(sales_).get(path).json();
    ASSERT_EQ(body.at("data").size(), 1u);
    EXPECT_EQ(body.at("data").at(0).at("client_id"), two);
    EXPECT_EQ(body.at("data").at(0).at("version"), 1);  // unchanged link kept as it was
    ASSERT_EQ(as(sales_).put(path, {{"relationships", json::array()}}).status, 200);
    EXPECT_TRUE(as(sales_).get(path).json().at("data").empty());
}

// The links are part of the contact: they carry its ETag, replacing them gives it a new
// version, and a stale If-Match (the contact's or the links') is a 412 that changes nothing.
TEST_F(ContactProfilesApiTest, ReplacingRelationshipsIsAChangeToTheContact) {
    const auto one = insertClient(org_, "One Inc");
    const auto two = insertClient(org_, "Two Ltd");
    const auto contact = createContactId(sales_, {{"first_name", "Vic"}});
    const auto path = "/api/contacts/" + contact + "/client-relationships";
    EXPECT_EQ(as(sales_).get(path).header("ETag"), "\"1\"");
    const json first{{"relationships", {{{"client_id", one}}}}};
    const auto replaced = as(sales_).put(path, first, {{"If-Match", "\"1\""}});
    ASSERT_EQ(replaced.status, 200) << replaced.body;
    EXPECT_EQ(replaced.header("ETag"), "\"2\"");
    EXPECT_EQ(as(sales_).get("/api/contacts/" + contact).header("ETag"), "\"2\"");
    EXPECT_EQ(as(sales_).get(path).header("ETag"), "\"2\"");

    // Someone holding the version before the links changed cannot overwrite them, nor the contact.
    const auto stale = as(sales_).put(path, {{"relationships", {{{"client_id", two}}}}}, {{"If-Match", "\"1\""}});
    EXPECT_EQ(stale.status, 412) << stale.body;
    EXPECT_EQ(as(sales_).get(path).json().at("data").at(0).at("client_id"), one);
    EXPECT_EQ(as(sales_).put("/api/contacts/" + contact, {{"city", "Oslo"}}, {{"If-Match", "\"1\""}}).status, 412);

    // The same set again changes nothing: same version, no history entry.
    const auto same = as(sales_).put(path, first, {{"If-Match", "\"2\""}});
    ASSERT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(same.header("ETag"), "\"2\"");
    EXPECT_EQ(count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + contact +
                    "' AND field = 'client_relationships'"),
              1);
}

// A client deleted while a contact's links are saved: the save waits for the delete and
// refuses the link (once linked without a version step or history row, hidden until restored).
TEST_F(ContactProfilesApiTest, RelationshipToAClientBeingDeletedIsRefused) {
    const auto client = insertClient(org_, "Going");
    const auto contact = createContactId(sales_, {{"first_name", "Abe"}});
    auto connection = server_->database().connect();
    pqxx::work deleting(connection);  // as ClientService::remove: lock, then mark deleted
    deleting.exec_params("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", client);
    deleting.exec_params("UPDATE clients SET deleted_at = now() WHERE id = $1", client);
    auto put = std::async(std::launch::async, [&] {
        return as(sales_).put("/api/contacts/" + contact + "/client-relationships",
                              {{"relationships", {{{"client_id", client}}}}});
    });
    EXPECT_TRUE(someoneWaitsForALock()) << "the save never waited for the delete";
    deleting.commit();
    const auto response = put.get();
    EXPECT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(errorFields(response), std::set<std::string>{"relationships[0].client_id"});
    EXPECT_EQ(sql("SELECT count(*) FROM client_contacts WHERE contact_id = $1", contact)[0][0].as<int>(), 0);
}

// A client the new set leaves out, deleted meanwhile: the save waits for the delete and then
// leaves that link alone, as it does every link to a deleted client. It once read the link as
// live, answered and recorded its removal, and the link came back with the client's restore.
TEST_F(ContactProfilesApiTest, LinksSavedWhileALinkedClientIsDeletedAreRecordedAsTheyAre) {
    const auto going = insertClient(org_, "Going");
    const auto staying = insertClient(org_, "Staying");
    const auto contact = createContactId(sales_, {{"first_name", "Abe"}});
    const auto path = "/api/contacts/" + contact + "/client-relationships";
    ASSERT_EQ(as(sales_).put(path, {{"relationships", {{{"client_id", going}}, {{"client_id", staying}}}}}).status, 200);
    const auto rows_before = count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + contact + "'");
    auto connection = server_->database().connect();
    pqxx::work deleting(connection);
    deleting.exec_params("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", going);
    deleting.exec_params("UPDATE clients SET deleted_at = now() WHERE id = $1", going);
    auto put = std::async(std::launch::async, [&] {
        return as(sales_).put(path, {{"relationships", {{{"client_id", staying}}}}});
    });
    EXPECT_TRUE(someoneWaitsForALock()) << "the save never waited for the delete";
    deleting.commit();
    const auto response = put.get();
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("data").size(), 1u);
    // The live set was [Staying] before and after: no change to record.
    EXPECT_EQ(count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + contact + "'"), rows_before);
    sql("UPDATE clients SET deleted_at = NULL WHERE id = $1", going);
    EXPECT_EQ(as(sales_).get(path).json().at("data").size(), 2u) << "the hidden link was kept, as its history says";
}

// An unknown or foreign client fails the whole set with a 422 naming the entry.
TEST_F(ContactProfilesApiTest, RelationshipToUnknownClientNamesTheEntry) {
    const auto one = insertClient(org_, "One");
    const auto two = insertClient(org_, "Two");
    const auto theirs = insertClient(other_org_, "Theirs");
    const auto contact = createContactId(sales_, {{"first_name", "Abe"}});
    const auto path = "/api/contacts/" + contact + "/client-relationships";
    ASSERT_EQ(as(sales_).put(path, {{"relationships", {{{"client_id", one}}}}}).status, 200);
    const auto response = as(sales_).put(
        path, {{"relationships", {{{"client_id", two}}, {{"client_id", one}}, {{"client_id", theirs}}}}});
    EXPECT_EQ(response.status, 422);
    EXPECT_EQ(errorFields(response), std::set<std::string>{"relationships[2].client_id"});
    const auto body = as(sales_).get(path).json();
    ASSERT_EQ(body.at("data").size(), 1u);  // nothing changed
    const auto twice = as(sales_).put(path, {{"relationships", {{{"client_id", one}}, {{"client_id", one}}}}});
    EXPECT_EQ(errorFields(twice), std::set<std::string>{"relationships[1].client_id"});
    const auto dates = as(sales_).put(
        path, {{"relationships", {{{"client_id", one}, {"start_date", "2024-05-01"}, {"end_date", "2024-04-01"}}}}});
    EXPECT_EQ(errorFields(dates), std::set<std::string>{"relationships[0].end_date"});
}

// A client has at most one primary contact: a second one is a 409 naming the entry.
TEST_F(ContactProfilesApiTest, SecondPrimaryContactOfAClientConflicts) {
    const auto client = insertClient(org_, "Solo");
    const auto first = createContactId(sales_, {{"first_name", "Bea"}});
    const auto second = createContactId(sales_, {{"first_name", "Cal"}});
    ASSERT_EQ(as(sales_).put("/api/contacts/" + first + "/client-relationships",
                             {{"relationships", {{{"client_id", client}, {"is_primary_contact", true}}}}}).status,
              200);
    const auto response = as(sales_).put("/api/contacts/" + second + "/client-relationships",
                                         {{"relationships", {{{"client_id", client}, {"is_primary_contact", true}}}}});
    ASSERT_EQ(response.status, 409) << response.body;
    EXPECT_EQ(response.json().at("existing_id"), first);
    EXPECT_EQ(errorFields(response), std::set<std::string>{"relationships[0].is_primary_contact"});
}

// A former contact, whose link to the client has ended, gives the primary place up to the
// contact claiming it: its link stays (as no longer primary), its version moves and its history
// shows the change, made by the claimant. That takes the right to change the former contact (a
// 409 naming it otherwise). A link that has not started yet keeps the place: that person is
// coming.
TEST_F(ContactProfilesApiTest, EndedLinkGivesUpThePrimaryPlace) {
    const auto client = insertClient(org_, "Handover");
    const auto former = createContactId(sales2_, {{"first_name", "Former"}});
    const auto successor = createContactId(sales_, {{"first_name", "Successor"}});
    ASSERT_EQ(as(sales2_).put("/api/contacts/" + former + "/client-relationships",
                              {{"relationships", {{{"client_id", client}, {"is_primary_contact", true},
                                                   {"end_date", "2025-01-01"}}}}}).status,
              200);
    const json claim{{"relationships", {{{"client_id", client}, {"is_primary_contact", true}}}}};
    const auto not_theirs = as(sales_).put("/api/contacts/" + successor + "/client-relationships", claim);
    ASSERT_EQ(not_theirs.status, 409) << not_theirs.body;
    EXPECT_EQ(not_theirs.json().at("existing_id"), former);
    EXPECT_EQ(errorFields(not_theirs), std::set<std::string>{"relationships[0].is_primary_contact"});

    const auto version_before = as(manager_).get("/api/contacts/" + former).json().at("version").get<int>();
    const auto taken = as(manager_).put("/api/contacts/" + successor + "/client-relationships", claim);
    ASSERT_EQ(taken.status, 200) << taken.body;
    const auto links = as(manager_).get("/api/contacts/" + former + "/client-relationships").json().at("data");
    ASSERT_EQ(links.size(), 1u);
    EXPECT_EQ(links.at(0).at("is_primary_contact"), false);
    EXPECT_EQ(links.at(0).at("end_date"), "2025-01-01");
    EXPECT_EQ(as(manager_).get("/api/contacts/" + former).json().at("version"), version_before + 1);
    const auto history = as(manager_).get("/api/contacts/" + former + "/history").json().at("data");
    ASSERT_FALSE(history.empty());
    EXPECT_EQ(history.at(0).at("field"), "client_relationships");
    EXPECT_EQ(history.at(0).at("changed_by"), manager_.id);
    const auto summary = as(manager_).get("/api/clients/" + client + "/summary").json();
    EXPECT_NE(summary.dump().find("Successor"), std::string::npos) << summary.dump();

    // A former contact of two clients gives both up at once: one new version, one history row.
    const auto second = insertClient(org_, "Second");
    const auto third = insertClient(org_, "Third");
    const auto leaver = createContactId(sales_, {{"first_name", "Leaver"}});
    ASSERT_EQ(as(sales_).put("/api/contacts/" + leaver + "/client-relationships",
                             {{"relationships", {{{"client_id", second}, {"is_primary_contact", true}, {"end_date", "2025-01-01"}},
                                                 {{"client_id", third}, {"is_primary_contact", true}, {"end_date", "2025-02-01"}}}}})
                  .status,
              200);
    const auto leaver_version = as(sales_).get("/api/contacts/" + leaver).json().at("version").get<int>();
    const auto both = as(sales_).put("/api/contacts/" + successor + "/client-relationships",
                                     {{"relationships", {{{"client_id", second}, {"is_primary_contact", true}},
                                                         {{"client_id", third}, {"is_primary_contact", true}}}}});
    ASSERT_EQ(both.status, 200) << both.body;
    EXPECT_EQ(as(sales_).get("/api/contacts/" + leaver).json().at("version"), leaver_version + 1);
    const auto leaver_history = as(sales_).get("/api/contacts/" + leaver + "/history").json().at("data");
    EXPECT_EQ(std::count_if(leaver_history.begin(), leaver_history.end(),
                            [](const json& row) { return row.at("field") == "client_relationships"; }),
              2);  // the links set, then the hand-over

    const auto later = insertClient(org_, "Incoming");
    const auto coming = createContactId(manager_, {{"first_name", "Coming"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + coming + "/client-relationships",
                               {{"relationships", {{{"client_id", later}, {"is_primary_contact", true},
                                                    {"start_date", "2999-01-01"}}}}}).status,
              200);
    const auto refused = as(manager_).put("/api/contacts/" + successor + "/client-relationships",
                                          {{"relationships", {{{"client_id", later}, {"is_primary_contact", true}}}}});
    ASSERT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(refused.json().at("existing_id"), coming);
}

// Contacts claiming the same primary-contact place at once: one gets it, and every other gets
// the same 409 a later claim would, naming the entry and the contact that holds the place.
TEST_F(ContactProfilesApiTest, ConcurrentPrimaryClaimsNameTheHolder) {
    const auto client = insertClient(org_, "Contested");
    std::vector<std::string> contacts;
    for (int i = 0; i < 8; ++i) {
        contacts.push_back(createContactId(sales_, {{"first_name", "Claimant " + std::to_string(i)}}));
    }
    const json claim{{"relationships", {{{"client_id", client}, {"is_primary_contact", true}}}}};
    std::vector<std::future<HttpResponse>> answers;
    for (const auto& contact : contacts) {
        answers.push_back(std::async(std::launch::async, [this, &claim, contact] {
            return as(sales_).put("/api/contacts/" + contact + "/client-relationships", claim);
        }));
    }
    std::string holder;
    std::vector<HttpResponse> refused;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        auto answer = answers[i].get();
        if (answer.status == 200) {
            EXPECT_TRUE(holder.empty()) << "two contacts got the place";
            holder = contacts[i];
        } else {
            refused.push_back(std::move(answer));
        }
    }
    ASSERT_FALSE(holder.empty());
    ASSERT_EQ(refused.size(), 7u);
    for (const auto& answer : refused) {
        ASSERT_EQ(answer.status, 409) << answer.body;
        EXPECT_EQ(answer.json().at("existing_id"), holder) << answer.body;
        EXPECT_EQ(errorFields(answer), std::set<std::string>{"relationships[0].is_primary_contact"});
    }
}

// A deleted contact gives up the primary-contact place it held, so another contact can take it;
// restoring the contact does not take it back.
TEST_F(ContactProfilesApiTest, DeletedContactFreesThePrimaryPlace) {
    const auto client = insertClient(org_, "Solo");
    const auto first = createContactId(sales_, {{"first_name", "Bea"}});
    const auto second = createContactId(sales_, {{"first_name", "Cal"}});
    const json primary{{"relationships", {{{"client_id", client}, {"is_primary_contact", true}}}}};
    ASSERT_EQ(as(sales_).put("/api/contacts/" + first + "/client-relationships", primary).status, 200);
    ASSERT_EQ(as(sales_).del("/api/contacts/" + first).status, 204);
    const auto taken = as(sales_).put("/api/contacts/" + second + "/client-relationships", primary);
    ASSERT_EQ(taken.status, 200) << taken.body;
    ASSERT_EQ(as(sales_).post("/api/contacts/" + first + "/restore", json::object()).status, 200);
    const auto links = as(sales_).get("/api/contacts/" + first + "/client-relationships").json().at("data");
    ASSERT_EQ(links.size(), 1u);
    EXPECT_EQ(links.at(0).at("is_primary_contact"), false);
}

// Restoring is checked like creating: a live contact that took the e-mail meanwhile is a 409
// with its id, unless allow_duplicate.
TEST_F(ContactProfilesApiTest, RestoreChecksDuplicates) {
    const auto first = createContactId(sales_, {{"first_name", "Ann"}, {"email", "ann@dup.example"}});
    ASSERT_EQ(as(sales_).del("/api/contacts/" + first).status, 204);
    const auto second = createContactId(sales_, {{"first_name", "Ann B"}, {"email", "ann@dup.example"}});
    ASSERT_FALSE(second.empty());
    const auto refused = as(sales_).post("/api/contacts/" + first + "/restore", json::object());
    ASSERT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(refused.json().at("existing_id"), second);
    EXPECT_EQ(as(sales_).get("/api/contacts/" + first).status, 404);
    EXPECT_EQ(as(sales_).post("/api/contacts/" + first + "/restore?allow_duplicate=true", json::object()).status, 200);
}

// History pages go newest first and cover every change once.
TEST_F(ContactProfilesApiTest, HistoryPagesNewestFirst) {
    const auto contact = createContactId(sales_, {{"first_name", "Dot"}});
    for (const std::string city : {"Oslo", "Rome", "Lima", "Kyiv"}) {
        ASSERT_EQ(as(sales_).put("/api/contacts/" + contact, {{"city", city}}).status, 200);
    }
    std::vector<json> entries;
    std::string cursor;
    do {
        const auto response = as(recruiter_).get("/api/contacts/" + contact + "/history?limit=2&with_total=true" +
                                                 (cursor.empty() ? "" : "&cursor=" + cursor));
        ASSERT_EQ(response.status, 200) << response.body;
        const auto body = response.json();
        EXPECT_EQ(body.at("page").at("total"), 5);
        for (const auto& entry : body.at("data")) {
            entries.push_back(entry);
        }
        const auto& next = body.at("page").at("next_cursor");
        cursor = next.is_null() ? "" : next.get<std::string>();
    } while (!cursor.empty() && entries.size() < 20);
    ASSERT_EQ(entries.size(), 5u);
    EXPECT_EQ(entries.front().at("new_value"), "Kyiv");
    EXPECT_EQ(entries.front().at("old_value"), "Lima");
    EXPECT_EQ(entries.back().at("field"), "record");
    EXPECT_EQ(entries.front().at("changed_by_name"), "Test sales");
}

// A merge moves profiles, links, deals, activities and messages to the survivor, keeps one
// primary per kind, fills the survivor's gaps and retires the other contact.
TEST_F(ContactProfilesApiTest, MergeMovesEverythingToTheSurvivor) {
    const auto shared = insertClient(org_, "Shared Client");
    const auto only_other = insertClient(org_, "Other Client");
    const auto survivor = createContact(
        manager_, {{"first_name", "Eli"}, {"email", "eli@one.example"}, {"tags", {"a"}},
                   {"sales_profile", {{"company_name", "One"}}}});
    const auto other = createContact(
        manager_, {{"first_name", "Elias"}, {"last_name", "Moss"}, {"email", "eli@two.example"}, {"city", "Bern"},
                   {"phone", "+41 44 668 18 00"}, {"tags", {"a", "b"}}, {"do_not_contact", true},
                   {"sales_profile", {{"company_name", "Two"}}}, {"candidate_profile", {{"headline", "PM"}}}});
    const auto survivor_id = survivor.at("id").get<std::string>();
    const auto other_id = other.at("id").get<std::string>();
    ASSERT_EQ(as(manager_).put("/api/contacts/" + survivor_id + "/client-relationships",
                               {{"relationships", {{{"client_id", shared}}}}}).status,
              200);
    ASSERT_EQ(as(manager_).put("/api/contacts/" + other_id + "/client-relationships",
                               {{"relationships", {{{"client_id", shared}, {"is_primary_contact", true}, {"role", "cfo"}},
                                                   {{"client_id", only_other}}}}}).status,
              200);
    const auto deal = insertDeal(org_, shared, other_id);
    sql("INSERT INTO sales_activities (org_id, type, subject, contact_id) VALUES ($1, 'call', 'Intro', $2)", org_.id,
        other_id);
    sql("INSERT INTO communications (org_id, channel, contact_id, body) VALUES ($1, 'email', $2, 'Hi')", org_.id,
        other_id);

    const auto response = as(manager_).post("/api/contacts/" + survivor_id + "/merge", {{"other_id", other_id}});
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = response.json();
    EXPECT_EQ(body.at("last_name"), "Moss");
    EXPECT_EQ(body.at("email"), "eli@one.example");
    EXPECT_EQ(body.at("emails").at(0).at("email"), "eli@two.example");
    EXPECT_EQ(body.at("phone"), "+41446681800");
    EXPECT_EQ(body.at("city"), "Bern");
    EXPECT_EQ(body.at("tags"), json({"a", "b"}));
    EXPECT_EQ(body.at("do_not_contact"), true);
    EXPECT_EQ(body.at("is_dual"), true);
    ASSERT_EQ(body.at("sales_profiles").size(), 2u);
    EXPECT_EQ(body.at("sales_profiles").at(0).at("company_name"), "One");  // the survivor's primary stays
    EXPECT_EQ(body.at("sales_profiles").at(1).at("is_primary"), false);
    EXPECT_EQ(body.at("candidate_profiles").at(0).at("is_primary"), true);

    const auto links = as(manager_).get("/api/contacts/" + survivor_id + "/client-relationships").json().at("data");
    ASSERT_EQ(links.size(), 2u);
    for (const auto& link : links) {
        if (link.at("client_id") == shared) {
            EXPECT_EQ(link.at("is_primary_contact"), true);
            EXPECT_EQ(link.at("role"), "cfo");
        }
    }
    EXPECT_EQ(sql("SELECT contact_id FROM deals WHERE id = $1", deal)[0][0].as<std::string>(), survivor_id);
    EXPECT_EQ(count("SELECT count(*) FROM sales_activities WHERE contact_id = '" + survivor_id + "'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM communications WHERE contact_id = '" + survivor_id + "'"), 1);
    EXPECT_EQ(as(manager_).get("/api/contacts/" + other_id).status, 404);
    EXPECT_EQ(sql("SELECT merged_into_id FROM contacts WHERE id = $1", other_id)[0][0].as<std::string>(), survivor_id);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'contact.merged'"), 1);
    // The other's history now belongs to the survivor, with a row saying where it came from.
    const auto history = as(manager_).get("/api/contacts/" + survivor_id + "/history?limit=200").json();
    bool merged_from = false;
    int records = 0;
    bool demotion = false;
    const auto demoted_id = body.at("sales_profiles").at(1).at("id");
    for (const auto& entry : history.at("data")) {
        merged_from |= entry.at("field") == "merged_from";
        records += entry.at("field") == "record" ? 1 : 0;
        demotion |= entry.at("field") == "is_primary" && entry.at("profile_id") == demoted_id &&
                    entry.at("old_value") == true && entry.at("new_value") == false;
    }
    EXPECT_TRUE(merged_from);
    EXPECT_TRUE(demotion) << "the other's sales profile lost its primary place: a history row says so";
    // The survivor's links before and after, as a links PUT records them (newest row first).
    const auto newest_links = std::find_if(history.at("data").begin(), history.at("data").end(), [](const json& entry) {
        return entry.at("field") == "client_relationships";
    });
    ASSERT_NE(newest_links, history.at("data").end());
    EXPECT_EQ(newest_links->at("old_value").size(), 1u);
    EXPECT_EQ(newest_links->at("old_value").at(0).at("role"), nullptr);
    EXPECT_EQ(newest_links->at("new_value").size(), 2u);
    for (const auto& link : newest_links->at("new_value")) {
        EXPECT_EQ(link.at("role"), link.at("client_id") == shared ? json("cfo") : json(nullptr)) << link;
    }
    EXPECT_EQ(records, 5);  // two contacts and three profiles created
    // A merged contact cannot come back.
    const auto restore = as(manager_).post("/api/contacts/" + other_id + "/restore", json::object());
    EXPECT_EQ(restore.status, 409);
    EXPECT_EQ(restore.json().at("merged_into_id"), survivor_id);
    // For good: whatever version the caller holds.
    const auto stale = as(manager_).post("/api/contacts/" + other_id + "/restore", json::object(), {{"If-Match", "\"1\""}});
    EXPECT_EQ(stale.status, 409) << stale.body;
    // Merged on: the contact merged first names the last survivor, one that opens.
    const auto last = createContactId(manager_, {{"first_name", "Last"}});
    ASSERT_EQ(as(manager_).post("/api/contacts/" + last + "/merge", {{"other_id", survivor_id}}).status, 200);
    EXPECT_EQ(as(manager_).post("/api/contacts/" + other_id + "/restore", json::object()).json().at("merged_into_id"),
              last);
    // The survivor deleted too: the answer says to restore it, which brings the details back.
    ASSERT_EQ(as(manager_).del("/api/contacts/" + last).status, 204);
    const auto behind_deleted = as(manager_).post("/api/contacts/" + other_id + "/restore", json::object());
    EXPECT_EQ(behind_deleted.status, 409);
    EXPECT_EQ(behind_deleted.json().at("merged_into_id"), last);
    EXPECT_NE(behind_deleted.json().at("detail").get<std::string>().find("which is deleted"), std::string::npos)
        << behind_deleted.body;
    EXPECT_EQ(as(manager_).post("/api/contacts/" + last + "/restore", json::object()).status, 200);
}

// A merge that fills none of the survivor's fields still changes it (it gains the other's
// profiles and links): a new version, so an edit made against the old one is a 412.
TEST_F(ContactProfilesApiTest, MergeGivesTheSurvivorANewVersion) {
    const auto survivor = createContactId(manager_, {{"first_name", "Ute"}, {"last_name", "Berg"}});
    const auto other = createContactId(manager_, {{"first_name", "Ute"}, {"candidate_profile", json::object()}});
    const auto merged = as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}},
                                          {{"If-Match", "\"1\""}});
    ASSERT_EQ(merged.status, 200) << merged.body;
    EXPECT_EQ(merged.header("ETag"), "\"2\"");
    EXPECT_EQ(as(manager_).put("/api/contacts/" + survivor, {{"city", "Oslo"}}, {{"If-Match", "\"1\""}}).status, 412);
}

// A survivor without an owner takes the other's owner only if that user is still active: a
// merge cannot make a state no edit could.
TEST_F(ContactProfilesApiTest, MergeDoesNotHandOverToAnInactiveOwner) {
    const auto leaver = server_->createUser(org_, "sales");
    const auto other = createContactId(manager_, {{"first_name", "Ivo"}, {"owner_id", leaver.id}});
    const auto survivor = createContactId(manager_, {{"first_name", "Ivo"}, {"owner_id", nullptr}});
    ASSERT_EQ(as(admin_).del("/api/users/" + leaver.id).status, 204);
    const auto merged = as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}});
    ASSERT_EQ(merged.status, 200) << merged.body;
    EXPECT_TRUE(merged.json().at("owner_id").is_null());
}

// A merge whose united tags would pass the cap is refused by name and changes neither contact:
// the survivor must stay a contact its users can save.
TEST_F(ContactProfilesApiTest, MergePastTheTagCapChangesNothing) {
    json first_tags = json::array();
    json second_tags = json::array();
    for (int i = 0; i < 30; ++i) {
        first_tags.push_back("first " + std::to_string(i));
        second_tags.push_back("second " + std::to_string(i));
    }
    const auto survivor = createContactId(manager_, {{"first_name", "Ola"}, {"tags", first_tags}});
    const auto other = createContactId(manager_, {{"first_name", "Ola"}, {"tags", second_tags},
                                                  {"candidate_profile", json::object()}});
    const auto refused = as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}});
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_EQ(errorFields(refused), std::set<std::string>{"tags"});
    const auto kept = as(manager_).get("/api/contacts/" + survivor).json();  // profiles always included
    EXPECT_EQ(kept.at("tags"), first_tags);
    EXPECT_EQ(kept.at("version"), 1);
    EXPECT_FALSE(kept.at("has_candidate_profile").get<bool>());
    EXPECT_EQ(as(manager_).get("/api/contacts/" + other).status, 200);  // not merged away
}

// Merges in a cycle (C takes A, A takes B, B takes C, all at once) wait for each other instead of
// deadlocking, which answered one of them 503 after PostgreSQL's second of detection: once C
// had taken A, "B takes C" re-pointed A at B while "A takes B" held A and waited for B. Merges
// of an organisation now run one at a time, and each finds what the one before left.
TEST_F(ContactProfilesApiTest, MergesInACycleWaitInsteadOfDeadlocking) {
    const auto a = createContactId(manager_, {{"first_name", "Ann"}});
    const auto b = createContactId(manager_, {{"first_name", "Ben"}});
    const auto c = createContactId(manager_, {{"first_name", "Cal"}});
    const auto waiting = [] {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock'");
    };
    const auto until_waiting = [&](long long expected) {
        for (int i = 0; i < 200 && waiting() < expected; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return waiting() >= expected;
    };
    const auto merge = [this](const std::string& survivor, const std::string& other) {
        return std::async(std::launch::async, [this, survivor, other] {
            return as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}});
        });
    };

    auto connection = server_->database().connect();
    pqxx::work holding(connection);
    holding.exec_params("SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", c);
    auto c_takes_a = merge(c, a);
    ASSERT_TRUE(until_waiting(1));
    auto a_takes_b = merge(a, b);
    ASSERT_TRUE(until_waiting(2));
    auto b_takes_c = merge(b, c);
    ASSERT_TRUE(until_waiting(3));
    holding.commit();

    const auto first = c_takes_a.get();
    const auto second = a_takes_b.get();
    const auto third = b_takes_c.get();
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(second.status, 404) << second.body;  // A had been merged into C
    EXPECT_EQ(third.status, 200) << third.body;
    // merged_into_id never names a merged contact: A, merged into C, now names B as C does.
    EXPECT_EQ(sql("SELECT merged_into_id::text FROM contacts WHERE id = $1", a)[0][0].as<std::string>(), b);
    EXPECT_EQ(sql("SELECT merged_into_id::text FROM contacts WHERE id = $1", c)[0][0].as<std::string>(), b);
    EXPECT_EQ(as(manager_).get("/api/contacts/" + b).status, 200);
    // A's history says so too: merged into C, then re-pointed to B when C was.
    const auto a_history = sql("SELECT old_value::text, new_value::text FROM contact_profile_audit_log "
                               "WHERE contact_id = $1 AND field = 'merged_into_id' ORDER BY changed_at, id", a);
    ASSERT_EQ(a_history.size(), 2u);
    EXPECT_EQ(a_history[1][0].as<std::string>(), "\"" + c + "\"");
    EXPECT_EQ(a_history[1][1].as<std::string>(), "\"" + b + "\"");
}

// Deleting or restoring a client changes what its contacts' links show: each linked contact
// gets a new version, so a links PUT sent against the set it saw before is a 412 instead of
// dropping a link its sender never saw.
TEST_F(ContactProfilesApiTest, ClientDeleteAndRestoreRenewLinkedContacts) {
    const auto kept = insertClient(org_, "Kept Client");
    const auto toggled = insertClient(org_, "Toggled Client");
    const auto contact = createContactId(manager_, {{"first_name", "Dee"}});
    const auto path = "/api/contacts/" + contact + "/client-relationships";
    ASSERT_EQ(as(manager_).put(path, {{"relationships", {{{"client_id", kept}},
                                                         {{"client_id", toggled}, {"role", "champion"},
                                                          {"is_primary_contact", true}}}}}).status,
              200);
    const auto before_delete = as(manager_).get(path).header("ETag");
    ASSERT_EQ(as(manager_).del("/api/clients/" + toggled).status, 204);
    const auto while_deleted = as(manager_).get(path);
    EXPECT_NE(while_deleted.header("ETag"), before_delete);
    EXPECT_EQ(while_deleted.json().at("data").size(), 1u);
    EXPECT_EQ(as(manager_).put(path, {{"relationships", json::array()}}, {{"If-Match", before_delete}}).status, 412);

    ASSERT_EQ(as(manager_).post("/api/clients/" + toggled + "/restore", json::object()).status, 200);
    const auto stale = as(manager_).put(path, {{"relationships", {{{"client_id", kept}}}}},
                                        {{"If-Match", while_deleted.header("ETag")}});
    EXPECT_EQ(stale.status, 412) << stale.body;
    const auto links = as(manager_).get(path).json().at("data");
    ASSERT_EQ(links.size(), 2u) << "the restored link was not dropped";
    for (const auto& link : links) {
        if (link.at("client_id") == toggled) {
            EXPECT_EQ(link.at("role"), "champion");
            EXPECT_EQ(link.at("is_primary_contact"), true);
        }
    }

    // Each new version has its history row: the links shown before and after, written as a
    // links PUT writes them, by whoever deleted and restored the client.
    const auto history = as(manager_).get("/api/contacts/" + contact + "/history").json().at("data");
    ASSERT_GE(history.size(), 3u);
    const json kept_link = {{"client_id", kept}, {"role", nullptr}, {"title", nullptr},
                            {"is_primary_contact", false}, {"start_date", nullptr}, {"end_date", nullptr}};
    const json toggled_link = {{"client_id", toggled}, {"role", "champion"}, {"title", nullptr},
                               {"is_primary_contact", true}, {"start_date", nullptr}, {"end_date", nullptr}};
    const auto& restored = history.at(0);
    const auto& deleted = history.at(1);
    const auto& put = history.at(2);
    for (const auto* entry : {&restored, &deleted, &put}) {
        EXPECT_EQ(entry->at("field"), "client_relationships");
        EXPECT_EQ(entry->at("changed_by"), manager_.id);
    }
    EXPECT_EQ(put.at("new_value"), json::array({kept_link, toggled_link}));
    EXPECT_EQ(deleted.at("old_value"), put.at("new_value"));
    EXPECT_EQ(deleted.at("new_value"), json::array({kept_link}));
    EXPECT_EQ(restored.at("old_value"), json::array({kept_link}));
    EXPECT_EQ(restored.at("new_value"), put.at("new_value"));
}

// Contacts linked to a client while its delete waits for the client's lock are locked and
// renewed too, in the same transaction: the delete gives the client's lock back, locks them and
// tries again. It used to start the whole transaction again, and with links saved at a steady
// pace ran out of retries (a 503 for a delete the user then found undone). Here, as links PUTs
// would, four transactions each link a contact while the delete waits for the client, the
// next one holding that contact when it commits, so that each try of the delete meets a new
// link: more than the server's three runs of a transaction.
TEST_F(ContactProfilesApiTest, ClientDeleteTakesInContactsLinkedWhileItWaits) {
    const auto client = insertClient(org_, "Busy Client");
    const auto first = createContactId(manager_, {{"first_name", "First"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + first + "/client-relationships",
                               {{"relationships", {{{"client_id", client}}}}}).status,
              200);
    constexpr int kLinks = 4;
    std::vector<std::string> latecomers;
    for (int i = 0; i < kLinks; ++i) {
        latecomers.push_back(createContactId(manager_, {{"first_name", "Late" + std::to_string(i)}}));
    }
    std::vector<std::unique_ptr<pqxx::connection>> connections;
    for (int i = 0; i <= kLinks; ++i) {
        connections.push_back(std::make_unique<pqxx::connection>(server_->database().url()));
    }
    std::vector<std::unique_ptr<pqxx::work>> links;
    links.push_back(std::make_unique<pqxx::work>(*connections[0]));
    links[0]->exec_params("SELECT 1 FROM clients WHERE id = $1 FOR SHARE", client);
    auto deleting = std::async(std::launch::async, [&] { return as(manager_).del("/api/clients/" + client); });
    ASSERT_TRUE(someoneWaitsForALockOf(*connections[0])) << "the delete never waited for the client";
    for (int i = 0; i < kLinks; ++i) {
        links[i]->exec_params("INSERT INTO client_contacts (org_id, client_id, contact_id) VALUES ($1, $2, $3)",
                              org_.id, client, latecomers[i]);
        links.push_back(std::make_unique<pqxx::work>(*connections[i + 1]));
        links[i + 1]->exec_params("SELECT 1 FROM contacts WHERE id = $1 FOR NO KEY UPDATE", latecomers[i]);
        links[i]->commit();
        EXPECT_TRUE(someoneWaitsForALockOf(*connections[i + 1])) << "the delete did not wait for contact " << i;
        if (i + 1 < kLinks) {
            links[i + 1]->exec_params("SELECT 1 FROM clients WHERE id = $1 FOR SHARE", client);
        }
    }
    links[kLinks]->commit();
    const auto response = deleting.get();
    ASSERT_EQ(response.status, 204) << response.body;
    // Every contact linked when the delete committed shows one link fewer: a new version, and
    // the history row that explains it.
    for (const auto& contact : latecomers) {
        EXPECT_EQ(count("SELECT version FROM contacts WHERE id = '" + contact + "'"), 2) << contact;
        EXPECT_EQ(count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + contact +
                        "' AND field = 'client_relationships'"),
                  1)
            << contact;
    }
    EXPECT_EQ(count("SELECT count(*) FROM contact_profile_audit_log WHERE contact_id = '" + first +
                    "' AND field = 'client_relationships'"),
              2);  // the PUT and the delete
}

// A link to a deleted client is not shown, but comes back with the client: a merge that brings
// one to the survivor records it, so the restored link is in the survivor's history.
TEST_F(ContactProfilesApiTest, MergeRecordsLinksToDeletedClients) {
    const auto gone_client = insertClient(org_, "Closed Client");
    const auto survivor = createContactId(manager_, {{"first_name", "Noa"}});
    const auto other = createContactId(manager_, {{"first_name", "Noah"}});
    ASSERT_EQ(as(manager_).put("/api/contacts/" + other + "/client-relationships",
                               {{"relationships", {{{"client_id", gone_client}, {"role", "buyer"}}}}}).status,
              200);
    ASSERT_EQ(as(manager_).del("/api/clients/" + gone_client).status, 204);
    ASSERT_EQ(as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}}).status, 200);

    const auto history = as(manager_).get("/api/contacts/" + survivor + "/history?limit=200").json();
    const auto hidden = std::find_if(history.at("data").begin(), history.at("data").end(), [](const json& entry) {
        return entry.at("field") == "client_relationships_to_deleted_clients";
    });
    ASSERT_NE(hidden, history.at("data").end()) << history.dump();
    EXPECT_EQ(hidden->at("old_value"), json::array());
    ASSERT_EQ(hidden->at("new_value").size(), 1u);
    EXPECT_EQ(hidden->at("new_value").at(0).at("client_id"), gone_client);
    EXPECT_EQ(hidden->at("new_value").at(0).at("role"), "buyer");
    // The visible links did not change: the two client_relationships rows are the other's own
    // links PUT and the client's delete, which hid the link, whose history moved with it.
    EXPECT_EQ(std::count_if(history.at("data").begin(), history.at("data").end(),
                            [](const json& entry) { return entry.at("field") == "client_relationships"; }),
              2);

    ASSERT_EQ(as(manager_).post("/api/clients/" + gone_client + "/restore", json::object()).status, 200);
    const auto links = as(manager_).get("/api/contacts/" + survivor + "/client-relationships").json().at("data");
    ASSERT_EQ(links.size(), 1u);
    EXPECT_EQ(links.at(0).at("client_id"), gone_client);
    // The restore shows the link the merge brought, and the survivor's history says so.
    const auto shown = as(manager_).get("/api/contacts/" + survivor + "/history?limit=1").json().at("data").at(0);
    EXPECT_EQ(shown.at("field"), "client_relationships");
    EXPECT_EQ(shown.at("old_value"), json::array());
    const json buyer_link = {{"client_id", gone_client}, {"role", "buyer"}, {"title", nullptr},
                             {"is_primary_contact", false}, {"start_date", nullptr}, {"end_date", nullptr}};
    EXPECT_EQ(shown.at("new_value"), json::array({buyer_link}));
}

// Two links to one client become one period when theirs overlap or meet, else the one in force
// today or the later one, as it was: a merge never shows the person at the client for a time,
// in a role or a primary place that neither record did, nor drops the link in force today.
TEST_F(ContactProfilesApiTest, MergedLinkPeriodsNeverSpanAGap) {
    const auto merged = [this](const json& ours, const json& theirs) {
        const auto client = insertClient(org_, "Period Client");
        const auto survivor = createContactId(manager_, {{"first_name", "Pat"}});
        const auto other = createContactId(manager_, {{"first_name", "Patrick"}});
        auto link = [&](const std::string& id, json period) {
            period["client_id"] = client;
            EXPECT_EQ(as(manager_).put("/api/contacts/" + id + "/client-relationships",
                                       {{"relationships", json::array({period})}}).status, 200);
        };
        link(survivor, ours);
        link(other, theirs);
        EXPECT_EQ(as(manager_).post("/api/contacts/" + survivor + "/merge", {{"other_id", other}}).status, 200);
        const auto links = as(manager_).get("/api/contacts/" + survivor + "/client-relationships").json().at("data");
        EXPECT_EQ(links.size(), 1u);
        const auto count = as(manager_).get("/api/clients/" + client).json().at("counts").at("contacts");
        return std::make_tuple(links.at(0).at("start_date"), links.at(0).at("end_date"), count,
                               links.at(0).at("role"), links.at(0).at("is_primary_contact"));
    };
    // A future link and a past one: the future one, and no contact of the client today.
    EXPECT_EQ(merged({{"start_date", "2099-01-01"}}, {{"start_date", "2020-01-01"}, {"end_date", "2020-12-31"}}),
              std::make_tuple(json("2099-01-01"), json(nullptr), json(0), json(nullptr), json(false)));
    EXPECT_EQ(merged({{"start_date", "2019-01-01"}, {"end_date", "2021-01-01"}}, {{"start_date", "2099-01-01"}}),
              std::make_tuple(json("2099-01-01"), json(nullptr), json(0), json(nullptr), json(false)));
    // The later stint keeps its own role, not one held at another time.
    EXPECT_EQ(merged({{"role", "Intern"}, {"start_date", "2015-01-01"}, {"end_date", "2016-01-01"}},
                     {{"role", "CTO"}, {"start_date", "2020-01-01"}}),
              std::make_tuple(json("2020-01-01"), json(nullptr), json(1), json("CTO"), json(false)));
    EXPECT_EQ(merged({{"start_date", "2020-01-01"}}, {{"role", "Intern"}, {"start_date", "2015-01-01"}, {"end_date", "2016-01-01"}}),
              std::make_tuple(json("2020-01-01"), json(nullptr), json(1), json(nullptr), json(false)));
    // Overlapping or meeting periods are one, roles filling empty ones; an open start stays open.
    EXPECT_EQ(merged({{"start_date", "2019-01-01"}, {"end_date", "2021-01-01"}}, {{"role", "CFO"}, {"start_date", "2021-01-02"}}),
              std::make_tuple(json("2019-01-01"), json(nullptr), json(1), json("CFO"), json(false)));
    EXPECT_EQ(merged(json::object(), {{"start_date", "2023-01-01"}, {"end_date", "2024-06-30"}}),
              std::make_tuple(json(nullptr), json(nullptr), json(1), json(nullptr), json(false)));
    EXPECT_EQ(merged({{"end_date", "2020-06-30"}}, {{"start_date", "2020-01-01"}, {"end_date", "2021-06-30"}}),
              std::make_tuple(json(nullptr), json("2021-06-30"), json(0), json(nullptr), json(false)));
    // A link in force today is kept over a later one, with its own role and primary place; an
    // old primary place does not come with a later link.
    EXPECT_EQ(merged({{"start_date", "2099-01-01"}},
                     {{"role", "Buyer"}, {"start_date", "2020-01-01"}, {"end_date", "2090-12-31"}, {"is_primary_contact", true}}),
              std::make_tuple(json("2020-01-01"), json("2090-12-31"), json(1), json("Buyer"), json(true)));
    EXPECT_EQ(merged({{"start_date", "2023-01-01"}}, {{"start_date", "2019-01-01"}, {"end_date", "2019-12-31"}, {"is_primary_contact", true}}),
              std::make_tuple(json("2023-01-01"), json(nullptr), json(1), json(nullptr), json(false)));
}

// Merging a contact with itself is a 422; with another organisation's contact a 404.
TEST_F(ContactProfilesApiTest, MergeNeedsAnotherContactOfTheOrganisation) {
    const auto mine = createContactId(manager_, {{"first_name", "Fox"}});
    const auto theirs = createContactId(stranger_, {{"first_name", "Fox"}});
    const auto self = as(manager_).post("/api/contacts/" + mine + "/merge", {{"other_id", mine}});
    EXPECT_EQ(self.status, 422);
    EXPECT_EQ(errorFields(self), std::set<std::string>{"other_id"});
    EXPECT_EQ(as(manager_).post("/api/contacts/" + mine + "/merge", {{"other_id", theirs}}).status, 404);
    EXPECT_EQ(as(stranger_).post("/api/contacts/" + mine + "/merge", {{"other_id", theirs}}).status, 404);
    EXPECT_EQ(as(manager_).post("/api/contacts/" + mine + "/merge", json::object()).status, 422);
    for (const auto* blank : {"", " ", "\u3000"}) {
        const auto response = as(manager_).post("/api/contacts/" + mine + "/merge", {{"other_id", blank}});
        EXPECT_EQ(response.status, 422) << blank;
        EXPECT_EQ(errorFields(response), std::set<std::string>{"other_id"}) << response.body;
    }
    EXPECT_EQ(as(manager_).get("/api/contacts/" + mine).status, 200);
}

}  // namespace
}  // namespace crm::test
