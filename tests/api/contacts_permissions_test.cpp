// Contacts: who may do what, role by role, on every route; another organisation's ids are 404.
//
// The contact under test is owned by `sales_`; its sales profile was added by `sales_`, its
// candidate profile by `recruiter_` (a shared desk: anyone whose role writes a kind of profile
// may add one to any contact). `sales2_` and `recruiter2_` own nothing here.
#include "contacts_fixture.hpp"

#include <functional>

namespace crm::test {
namespace {

using nlohmann::json;

class ContactPermissionsApiTest : public ContactsFixture {
protected:
    void SetUp() override {
        ContactsFixture::SetUp();
        const auto body = createContact(sales_, {{"first_name", "Owned"}, {"sales_profile", {{"company_name", "Acme"}}}});
        contact_ = body.at("id").get<std::string>();
        sales_profile_ = body.at("sales_profiles").at(0).at("id").get<std::string>();
        const auto candidate = as(recruiter_).post("/api/contacts/" + contact_ + "/candidate-profile", {{"headline", "Dev"}});
        ASSERT_EQ(candidate.status, 201) << candidate.body;
        candidate_profile_ = candidate.json().at("id").get<std::string>();
    }

    struct Expectation {
        const TestUser* user;
        int status;
    };

    // Runs `call` as each user and checks the status it gets.
    void expectStatuses(const std::string& what, const std::vector<Expectation>& expectations,
                        const std::function<HttpResponse(const TestUser&)>& call) {
        for (const auto& [user, status] : expectations) {
            const auto response = call(*user);
            EXPECT_EQ(response.status, status) << what << " as " << user->role << " " << user->email << ": "
                                               << response.body;
        }
    }

    // A fresh contact owned by sales_ (for the routes that use one up).
    std::string freshContact() { return createContactId(sales_, {{"first_name", "Fresh"}}); }

    std::vector<Expectation> everyone(int status) {
        return {{&admin_, status}, {&manager_, status}, {&recruiter_, status}, {&recruiter2_, status},
                {&sales_, status}, {&sales2_, status}, {&stranger_, 404}};
    }

    std::string contact_;
    std::string sales_profile_;
    std::string candidate_profile_;
};

// Without a token every route is a 401.
TEST_F(ContactPermissionsApiTest, TokenRequired) {
    auto anonymous = server_->client();
    EXPECT_EQ(anonymous.get("/api/contacts").status, 401);
    EXPECT_EQ(anonymous.get("/api/contacts/" + contact_).status, 401);
    EXPECT_EQ(anonymous.post("/api/contacts", {{"first_name", "X"}}).status, 401);
    EXPECT_EQ(anonymous.get("/api/insights/cross-profile").status, 401);
}

// Every role reads contacts; another organisation's admin lists none of them.
TEST_F(ContactPermissionsApiTest, ReadsAreOpenToEveryRole) {
    for (const std::string path : {"", "/profiles", "/client-relationships", "/history", "/summary", "/insights"}) {
        expectStatuses("GET /api/contacts/{id}" + path, everyone(200),
                       [&](const TestUser& user) { return as(user).get("/api/contacts/" + contact_ + path); });
    }
    expectStatuses("GET /api/contacts", everyone(200), [&](const TestUser& user) {
        auto response = as(user).get("/api/contacts");
        if (&user == &stranger_) {
            EXPECT_TRUE(response.json().at("data").empty());
            response.status = 404;  // the expectation table's stand-in for "sees nothing"
        }
        return response;
    });
    expectStatuses("GET /api/insights/cross-profile", everyone(200), [&](const TestUser& user) {
        auto response = as(user).get("/api/insights/cross-profile");
        if (&user == &stranger_) {
            response.status = response.json().at("data").empty() ? 404 : 500;
        }
        return response;
    });
}

// Every role creates contacts; a profile in the same request needs that profile's permission.
TEST_F(ContactPermissionsApiTest, CreateNeedsTheProfilePermissions) {
    int n = 0;
    const auto create = [&](const TestUser& user, const json& extra) {
        json body{{"first_name", "New" + std::to_string(n++)}};
        body.update(extra);
        return as(user).post("/api/contacts", body);
    };
    const std::vector<Expectation> plain{{&admin_, 201}, {&manager_, 201}, {&recruiter_, 201}, {&sales_, 201},
                                         {&stranger_, 201}};
    expectStatuses("POST /api/contacts", plain, [&](const TestUser& user) { return create(user, json::object()); });
    expectStatuses("POST /api/contacts with sales_profile",
                   {{&admin_, 201}, {&manager_, 201}, {&recruiter_, 403}, {&sales_, 201}},
                   [&](const TestUser& user) { return create(user, {{"sales_profile", json::object()}}); });
    expectStatuses("POST /api/contacts with candidate_profile",
                   {{&admin_, 201}, {&manager_, 201}, {&recruiter_, 201}, {&sales_, 403}},
                   [&](const TestUser& user) { return create(user, {{"candidate_profile", json::object()}}); });
}

// Only the owner, managers and admins change a contact.
TEST_F(ContactPermissionsApiTest, UpdateNeedsOwnership) {
    expectStatuses("PUT /api/contacts/{id}",
                   {{&sales_, 200}, {&sales2_, 403}, {&recruiter_, 403}, {&manager_, 200}, {&admin_, 200},
                    {&stranger_, 404}},
                   [&](const TestUser& user) {
                       return as(user).put("/api/contacts/" + contact_, {{"city", "City of " + user.role}});
                   });
}

// Only the owner, managers and admins delete a contact, and restore it.
TEST_F(ContactPermissionsApiTest, DeleteAndRestoreNeedOwnership) {
    const std::vector<Expectation> rules{{&sales_, 204}, {&sales2_, 403}, {&recruiter_, 403},
                                         {&manager_, 204}, {&admin_, 204}, {&stranger_, 404}};
    expectStatuses("DELETE /api/contacts/{id}", rules,
                   [&](const TestUser& user) { return as(user).del("/api/contacts/" + freshContact()); });
    std::vector<Expectation> restore_rules;
    for (const auto& [user, status] : rules) {
        restore_rules.push_back({user, status == 204 ? 200 : status});
    }
    expectStatuses("POST /api/contacts/{id}/restore", restore_rules, [&](const TestUser& user) {
        const auto id = freshContact();
        EXPECT_EQ(as(sales_).del("/api/contacts/" + id).status, 204);
        return as(user).post("/api/contacts/" + id + "/restore", json::object());
    });
}

// Any sales user (and managers, admins) may add a sales profile to any contact; recruiters not.
TEST_F(ContactPermissionsApiTest, AddingASalesProfileIsASharedDesk) {
    expectStatuses("POST /api/contacts/{id}/sales-profile",
                   {{&sales_, 201}, {&sales2_, 201}, {&recruiter_, 403}, {&manager_, 201}, {&admin_, 201},
                    {&stranger_, 404}},
                   [&](const TestUser& user) {
                       return as(user).post("/api/contacts/" + contact_ + "/sales-profile", {{"title", user.role}});
                   });
}

// Any recruiter (and managers, admins) may add a candidate profile to any contact; sales not.
TEST_F(ContactPermissionsApiTest, AddingACandidateProfileIsASharedDesk) {
    expectStatuses("POST /api/contacts/{id}/candidate-profile",
                   {{&recruiter_, 201}, {&recruiter2_, 201}, {&sales_, 403}, {&manager_, 201}, {&admin_, 201},
                    {&stranger_, 404}},
                   [&](const TestUser& user) {
                       return as(user).post("/api/contacts/" + contact_ + "/candidate-profile",
                                            {{"headline", user.role}});
                   });
}

// A sales profile is changed by its contact's owner, its creator, managers and admins.
TEST_F(ContactPermissionsApiTest, ChangingASalesProfileNeedsOwnership) {
    const auto path = "/api/contacts/" + contact_ + "/sales-profile/" + sales_profile_;
    expectStatuses("PUT sales-profile",
                   {{&sales_, 200}, {&sales2_, 403}, {&recruiter_, 403}, {&manager_, 200}, {&admin_, 200},
                    {&stranger_, 404}},
                   [&](const TestUser& user) { return as(user).put(path, {{"title", user.role}}); });
    // sales2 created this one: the creator may change it on someone else's contact.
    const auto own = as(sales2_).post("/api/contacts/" + contact_ + "/sales-profile", json::object());
    ASSERT_EQ(own.status, 201);
    const auto own_path = "/api/contacts/" + contact_ + "/sales-profile/" + own.json().at("id").get<std::string>();
    EXPECT_EQ(as(sales2_).put(own_path, {{"title", "Mine"}}).status, 200);
    expectStatuses("DELETE sales-profile",
                   {{&recruiter_, 403}, {&stranger_, 404}, {&sales2_, 204}},
                   [&](const TestUser& user) { return as(user).del(own_path); });
}

// A candidate profile added by a recruiter to a sales person's contact is changed by that
// recruiter, managers and admins; the contact's owner lacks the permission, other recruiters
// the ownership.
TEST_F(ContactPermissionsApiTest, ChangingACandidateProfileNeedsOwnershipAndPermission) {
    const auto path = "/api/contacts/" + contact_ + "/candidate-profile/" + candidate_profile_;
    expectStatuses("PUT candidate-profile",
                   {{&recruiter_, 200}, {&recruiter2_, 403}, {&sales_, 403}, {&manager_, 200}, {&admin_, 200},
                    {&stranger_, 404}},
                   [&](const TestUser& user) { return as(user).put(path, {{"headline", user.role}}); });
    expectStatuses("DELETE candidate-profile",
                   {{&recruiter2_, 403}, {&sales_, 403}, {&stranger_, 404}, {&recruiter_, 204}},
                   [&](const TestUser& user) { return as(user).del(path); });
}

// make-primary needs the write permission of the profile's kind and the right to change it.
TEST_F(ContactPermissionsApiTest, MakePrimaryNeedsTheKindsPermission) {
    const auto second = as(recruiter_).post("/api/contacts/" + contact_ + "/candidate-profile", {{"headline", "Two"}});
    ASSERT_EQ(second.status, 201);
    const auto path = "/api/contacts/" + contact_ + "/profiles/" + second.json().at("id").get<std::string>() +
                      "/make-primary";
    expectStatuses("POST make-primary",
                   {{&sales_, 403}, {&recruiter2_, 403}, {&stranger_, 404}, {&recruiter_, 200}, {&manager_, 200}},
                   [&](const TestUser& user) { return as(user).post(path, json::object()); });
    const auto sales_path = "/api/contacts/" + contact_ + "/profiles/" + sales_profile_ + "/make-primary";
    expectStatuses("POST make-primary (sales)", {{&recruiter_, 403}, {&sales_, 200}, {&admin_, 200}},
                   [&](const TestUser& user) { return as(user).post(sales_path, json::object()); });
}

// recruiter2_ may change the candidate profile they added, but making it primary demotes
// recruiter_'s: the refusal says so, rather than a rule recruiter2_ seems to meet.
TEST_F(ContactPermissionsApiTest, DemotingAnotherUsersPrimaryIsExplained) {
    const auto own = as(recruiter2_).post("/api/contacts/" + contact_ + "/candidate-profile", {{"headline", "Own"}});
    ASSERT_EQ(own.status, 201) << own.body;
    const auto own_path = "/api/contacts/" + contact_ + "/candidate-profile/" + own.json().at("id").get<std::string>();
    EXPECT_EQ(as(recruiter2_).put(own_path, {{"headline", "Own, edited"}}).status, 200);
    for (const auto& response :
         {as(recruiter2_).post("/api/contacts/" + contact_ + "/profiles/" + own.json().at("id").get<std::string>() +
                                   "/make-primary",
                               json::object()),
          as(recruiter2_).post("/api/contacts/" + contact_ + "/candidate-profile",
                               {{"headline", "Third"}, {"is_primary", true}})}) {
        ASSERT_EQ(response.status, 403) << response.body;
        EXPECT_NE(response.json().at("detail").get<std::string>().find("demotes the current primary"),
                  std::string::npos)
            << response.body;
    }
    EXPECT_EQ(count("SELECT count(*) FROM candidate_profiles WHERE is_primary AND id = '" + candidate_profile_ + "'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM candidate_profiles WHERE headline = 'Third'"), 0);
}

// Client links are the contact's: owner, managers and admins replace them.
TEST_F(ContactPermissionsApiTest, ReplacingRelationshipsNeedsOwnership) {
    const auto client = insertClient(org_, "Linked");
    expectStatuses("PUT client-relationships",
                   {{&sales_, 200}, {&sales2_, 403}, {&recruiter_, 403}, {&manager_, 200}, {&admin_, 200},
                    {&stranger_, 404}},
                   [&](const TestUser& user) {
                       return as(user).put("/api/contacts/" + contact_ + "/client-relationships",
                                           {{"relationships", {{{"client_id", client}, {"title", user.role}}}}});
                   });
}

// Only managers and admins merge contacts.
TEST_F(ContactPermissionsApiTest, MergeIsForManagers) {
    expectStatuses("POST merge",
                   {{&sales_, 403}, {&recruiter_, 403}, {&stranger_, 404}, {&manager_, 200}, {&admin_, 200}},
                   [&](const TestUser& user) {
                       return as(user).post("/api/contacts/" + freshContact() + "/merge", {{"other_id", freshContact()}});
                   });
}

// Every route answers 404 for another organisation's contact, even to its admin, and changes
// nothing.
TEST_F(ContactPermissionsApiTest, AnotherOrganisationsIdsAreNotFound) {
    const auto base = "/api/contacts/" + contact_;
    auto client = as(stranger_);
    EXPECT_EQ(client.get(base).status, 404);
    EXPECT_EQ(client.put(base, {{"city", "X"}}).status, 404);
    EXPECT_EQ(client.del(base).status, 404);
    EXPECT_EQ(client.post(base + "/restore", json::object()).status, 404);
    EXPECT_EQ(client.get(base + "/profiles").status, 404);
    EXPECT_EQ(client.post(base + "/sales-profile", json::object()).status, 404);
    EXPECT_EQ(client.put(base + "/sales-profile/" + sales_profile_, {{"title", "X"}}).status, 404);
    EXPECT_EQ(client.del(base + "/sales-profile/" + sales_profile_).status, 404);
    EXPECT_EQ(client.post(base + "/candidate-profile", json::object()).status, 404);
    EXPECT_EQ(client.put(base + "/candidate-profile/" + candidate_profile_, {{"headline", "X"}}).status, 404);
    EXPECT_EQ(client.del(base + "/candidate-profile/" + candidate_profile_).status, 404);
    EXPECT_EQ(client.post(base + "/profiles/" + candidate_profile_ + "/make-primary", json::object()).status, 404);
    EXPECT_EQ(client.get(base + "/client-relationships").status, 404);
    EXPECT_EQ(client.put(base + "/client-relationships", {{"relationships", json::array()}}).status, 404);
    EXPECT_EQ(client.get(base + "/history").status, 404);
    EXPECT_EQ(client.get(base + "/summary").status, 404);
    EXPECT_EQ(client.get(base + "/insights").status, 404);
    EXPECT_EQ(client.post(base + "/merge", {{"other_id", createContactId(stranger_, {{"first_name", "S"}})}}).status, 404);
    const auto after = as(admin_).get(base).json();
    EXPECT_EQ(after.at("version"), 1);
    EXPECT_EQ(after.at("sales_profiles").size(), 1u);
    EXPECT_EQ(after.at("candidate_profiles").size(), 1u);
}

}  // namespace
}  // namespace crm::test
