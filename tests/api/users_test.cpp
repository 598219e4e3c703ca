#include "support/smtp_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <regex>

namespace crm::test {
namespace {

class UsersApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        smtp_ = std::make_unique<SmtpServer>();
        server_ = TestServer::start({{"CRM_SMTP_URL", smtp_->url()}, {"CRM_TASK_POLL_MS", "20"}});
    }
    static void TearDownTestSuite() {
        server_.reset();
        smtp_.reset();
    }
    void SetUp() override {
        server_->reset();
        smtp_->clear();
        org_ = server_->createOrganization("Acme");
        admin_ = server_->createUser(org_, "admin");
        manager_ = server_->createUser(org_, "manager");
        recruiter_ = server_->createUser(org_, "recruiter");
        sales_ = server_->createUser(org_, "sales");
        other_org_ = server_->createOrganization("Other Co");
        stranger_ = server_->createUser(other_org_, "admin");
    }

    static std::string firstErrorField(const HttpResponse& response) {
        const auto body = response.json();
        return body.contains("errors") ? body.at("errors").at(0).at("field").get<std::string>() : "";
    }

    static inline std::unique_ptr<SmtpServer> smtp_;
    static inline std::unique_ptr<TestServer> server_;
    TestOrg org_;
    TestOrg other_org_;
    TestUser admin_, manager_, recruiter_, sales_, stranger_;
};

// An admin creates a user; the answer has Location and ETag, and the new user can sign in.
TEST_F(UsersApiTest, AdminCreatesUser) {
    const auto response = server_->clientFor(admin_).post(
        "/api/users", {{"email", "New.Person@Acme.example"}, {"name", "New Person"}, {"role", "recruiter"},
                       {"password", "a long and private passphrase"}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto id = response.json().at("id").get<std::string>();
    EXPECT_EQ(response.header("Location"), "/api/v1/users/" + id);
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(response.json().at("email"), "new.person@acme.example");
    const auto login = server_->client().post(
        "/api/auth/login", {{"email", "new.person@acme.example"}, {"password", "a long and private passphrase"}});
    EXPECT_EQ(login.status, 200);
    EXPECT_EQ(server_->auditCount("user.created"), 1);
}

// A user created without a password is invited by e-mail with a code to choose one.
TEST_F(UsersApiTest, InvitationByEmail) {
    const auto response = server_->clientFor(admin_).post(
        "/api/users", {{"email", "invitee@acme.example"}, {"name", "Invitee"}, {"role", "sales"}});
    ASSERT_EQ(response.status, 201) << response.body;
    EXPECT_TRUE(response.json().at("password_changed_at").is_null());  // no password chosen yet
    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    std::smatch match;
    const auto body = mails[0].decodedBody();
    ASSERT_TRUE(std::regex_search(body, match, std::regex(R"((prt_[A-Za-z0-9_-]+))")));
    // The invitee asked for nothing: the e-mail says how to get a new code, not to ignore it.
    EXPECT_NE(body.find("forgot password"), std::string::npos) << body;
    EXPECT_EQ(body.find("did not ask"), std::string::npos) << body;
    EXPECT_EQ(server_->client().post("/api/auth/password/reset",
                                     {{"token", match[1].str()}, {"password", "my very own passphrase"}}).status,
              204);
    EXPECT_EQ(server_->client().post("/api/auth/login", {{"email", "invitee@acme.example"},
                                                         {"password", "my very own passphrase"}}).status,
              200);
    const auto invitee = server_->clientFor(admin_).get("/api/users/" + response.json().at("id").get<std::string>());
    EXPECT_FALSE(invitee.json().at("password_changed_at").is_null());
}

// An invitation sent to an address the user no longer has, or to an account since shut, no
// longer opens it.
TEST_F(UsersApiTest, CodesDieWithTheMailboxOrTheAccount) {
    auto admin = server_->clientFor(admin_);
    const auto code_for = [this](std::size_t nth) {
        const auto mails = smtp_->waitForMessages(nth, std::chrono::seconds(10));
        EXPECT_EQ(mails.size(), nth);
        std::smatch match;
        const auto body = mails.back().decodedBody();
        EXPECT_TRUE(std::regex_search(body, match, std::regex(R"((prt_[A-Za-z0-9_-]+))")));
        return match[1].str();
    };
    const auto moved = admin.post("/api/users", {{"email", "old@acme.example"}, {"name", "Mover"}, {"role", "sales"}});
    ASSERT_EQ(moved.status, 201) << moved.body;
    const auto moved_code = code_for(1);
    ASSERT_EQ(admin.put("/api/users/" + moved.json().at("id").get<std::string>(),
                        {{"email", "new@acme.example"}}).status,
              200);
    EXPECT_EQ(server_->client().post("/api/auth/password/reset",
                                     {{"token", moved_code}, {"password", "my very own passphrase"}}).status,
              422);

    const auto shut = admin.post("/api/users", {{"email", "shut@acme.example"}, {"name", "Shut"}, {"role", "sales"}});
    ASSERT_EQ(shut.status, 201) << shut.body;
    const auto shut_code = code_for(2);
    const auto shut_id = shut.json().at("id").get<std::string>();
    ASSERT_EQ(admin.del("/api/users/" + shut_id).status, 204);
    ASSERT_EQ(admin.put("/api/users/" + shut_id, {{"active", true}}).status, 200);
    EXPECT_EQ(server_->client().post("/api/auth/password/reset",
                                     {{"token", shut_code}, {"password", "my very own passphrase"}}).status,
              422);
}

// A second user with the same e-mail in the organisation is a 409 naming the field.
TEST_F(UsersApiTest, DuplicateEmailConflicts) {
    const auto response = server_->clientFor(admin_).post(
        "/api/users", {{"email", sales_.email}, {"name", "Dup"}, {"role", "sales"}, {"password", "a long and private passphrase"}});
    EXPECT_EQ(response.status, 409);
    EXPECT_EQ(firstErrorField(response), "email");
    // The same address typed decomposed ("e" + U+0301) is the same address.
    auto admin = server_->clientFor(admin_);
    ASSERT_EQ(admin.post("/api/users", {{"email", "Jos\u00e9@acme.example"}, {"name", "Jose"}, {"role", "sales"},
                                        {"password", "a long and private passphrase"}})
                  .status,
              201);
    const auto look_alike = admin.post("/api/users", {{"email", "jose\u0301@acme.example"}, {"name", "Jose Two"},
                                                      {"role", "sales"}, {"password", "a long and private passphrase"}});
    EXPECT_EQ(look_alike.status, 409) << look_alike.body;
}

// Creating a user validates every field and lists all problems at once.
TEST_F(UsersApiTest, CreateValidatesAllFields) {
    const auto response = server_->clientFor(admin_).post(
        "/api/users", {{"email", "not-an-email"}, {"role", "overlord"}, {"password", "short"}, {"active", false}});
    ASSERT_EQ(response.status, 422);
    std::set<std::string> fields;
    const auto body = response.json();
    for (const auto& error : body.at("errors")) {
        fields.insert(error.at("field").get<std::string>());
    }
    EXPECT_EQ(fields, (std::set<std::string>{"email", "name", "role", "password", "active"}));
}

// Every role lists the organisation's users, never another organisation's.
TEST_F(UsersApiTest, ListIsScopedToOrganisation) {
    const auto response = server_->clientFor(sales_).get("/api/users?limit=200");
    ASSERT_EQ(response.status, 200);
    const auto body = response.json();
    EXPECT_EQ(body.at("data").size(), 4u);
    for (const auto& user : body.at("data")) {
        EXPECT_NE(user.at("id"), stranger_.id);
        EXPECT_FALSE(user.contains("password_hash"));
    }
}

// Keyset pages walk the whole list without repeats, in every offered sort.
TEST_F(UsersApiTest, PagesCoverEveryUserOnce) {
    for (int i = 0; i < 5; ++i) {
        server_->createUser(org_, "sales");
    }
    for (const std::string sort : {"-created_at", "name", "-email"}) {
        std::set<std::string> seen;
        std::string cursor;
        int pages = 0;
        do {
            const auto response = server_->clientFor(admin_).get("/api/users?limit=2&sort=" + sort +
                                                                 (cursor.empty() ? "" : "&cursor=" + cursor));
            ASSERT_EQ(response.status, 200) << response.body;
            const auto body = response.json();
            for (const auto& user : body.at("data")) {
                EXPECT_TRUE(seen.insert(user.at("id").get<std::string>()).second) << "repeated in " << sort;
            }
            cursor = body.at("page").at("next_cursor").is_null() ? "" : body.at("page").at("next_cursor").get<std::string>();
            ++pages;
        } while (!cursor.empty() && pages < 10);
        EXPECT_EQ(seen.size(), 9u) << sort;
    }
}

// Filters narrow the list by role and by a search text.
TEST_F(UsersApiTest, FiltersByRoleAndText) {
    const auto by_role = server_->clientFor(admin_).get("/api/users?role=recruiter").json();
    ASSERT_EQ(by_role.at("data").size(), 1u);
    EXPECT_EQ(by_role.at("data").at(0).at("id"), recruiter_.id);
    const auto by_text = server_->clientFor(admin_).get("/api/users?q=MANAGER").json();
    ASSERT_EQ(by_text.at("data").size(), 1u);
    EXPECT_EQ(by_text.at("data").at(0).at("id"), manager_.id);
    EXPECT_EQ(server_->clientFor(admin_).get("/api/users?role=king").status, 422);
    // A fault two checks find is named once.
    const auto nul = server_->clientFor(admin_).get("/api/users?q=a%00b");
    ASSERT_EQ(nul.status, 422);
    EXPECT_EQ(nul.json().at("errors").size(), 1u) << nul.body;
    // Any case in every alphabet, the stored one included.
    const auto created = server_->clientFor(admin_).post(
        "/api/users", {{"email", "\u00f6d\u00f6n@acme.example"}, {"name", "\u00d6d\u00f6n Kov\u00e1cs"}, {"role", "sales"}});
    ASSERT_EQ(created.status, 201) << created.body;
    ASSERT_EQ(server_->clientFor(admin_)
                  .put("/api/users/" + created.json().at("id").get<std::string>(), {{"name", "\u00d6d\u00f6n Kov\u00e1cs \u03a3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2"}})
                  .status,
              200);
    for (const std::string q : {"%C3%96d%C3%B6n", "%C3%96D%C3%96N", "KOV%C3%81CS", "%C3%B6d%C3%B6n%40",
                                "%CE%A3%CE%8A%CE%A3%CE%A5%CE%A6%CE%9F%CE%A3",  // ΣΊΣΥΦΟΣ finds Σίσυφος
                                "%CE%A3%CE%99%CE%A3%CE%A5%CE%A6%CE%9F%CE%A3",  // and ΣΙΣΥΦΟΣ: no accents
                                "odon%20kovacs", "odon%40acme"}) {
        const auto found = server_->clientFor(admin_).get("/api/users?q=" + q).json();
        ASSERT_EQ(found.at("data").size(), 1u) << q;
        EXPECT_EQ(found.at("data").at(0).at("id"), created.json().at("id")) << q;
    }
    // A blank q is no filter; a misspelt or repeated parameter is refused by name, with the
    // paging errors in the same answer, never silently ignored.
    const auto all = server_->clientFor(admin_).get("/api/users?limit=200").json().at("data").size();
    EXPECT_EQ(server_->clientFor(admin_).get("/api/users?limit=200&q=%E3%80%80").json().at("data").size(), all);
    EXPECT_EQ(server_->clientFor(admin_).get("/api/users?limit=200&q=%E2%80%8B%E2%80%8B%E2%80%8B").json().at("data").size(), all);
    EXPECT_EQ(errorFields(server_->clientFor(admin_).get("/api/users?q=-")), std::set<std::string>{"q"});  // folds to nothing
    const auto refused = server_->clientFor(admin_).get("/api/users?rolle=admin&role=sales&role=admin&limit=0");
    ASSERT_EQ(refused.status, 422);
    const auto problem = refused.json();  // kept: the loop below must not view a temporary
    std::set<std::string> fields;
    for (const auto& error : problem.at("errors")) {
        fields.insert(error.at("field").get<std::string>());
    }
    EXPECT_EQ(fields, (std::set<std::string>{"rolle", "role", "limit"})) << refused.body;
}

// Another organisation's user is a 404 on every route, even for an admin.
TEST_F(UsersApiTest, OtherOrganisationIsNotFound) {
    auto admin = server_->clientFor(admin_);
    EXPECT_EQ(admin.get("/api/users/" + stranger_.id).status, 404);
    EXPECT_EQ(admin.put("/api/users/" + stranger_.id, {{"name", "Hijacked"}}).status, 404);
    EXPECT_EQ(admin.del("/api/users/" + stranger_.id).status, 404);
    EXPECT_EQ(admin.get("/api/users/not-a-uuid").status, 404);
}

// Users edit their own name and e-mail, but not their role, status or hidden fields.
TEST_F(UsersApiTest, SelfEditRefusesPrivilegedFields) {
    auto client = server_->clientFor(sales_);
    const auto renamed = client.put("/api/users/" + sales_.id, {{"name", "Sally Sales"}});
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(renamed.json().at("name"), "Sally Sales");
    for (const auto* field : {"role", "active", "org_id", "password_hash"}) {
        nlohmann::json body{{"name", "x"}};
        body[field] = std::string(field) == "active" ? nlohmann::json(false) : nlohmann::json("admin");
        const auto response = client.put("/api/users/" + sales_.id, body);
        EXPECT_EQ(response.status, 422) << field;
        EXPECT_EQ(firstErrorField(response), field);
    }
    EXPECT_EQ(client.get("/api/auth/me").json().at("role"), "sales");
}

// Changing one's own e-mail takes the current password.
TEST_F(UsersApiTest, OwnEmailChangeNeedsPassword) {
    auto client = server_->clientFor(sales_);
    const auto without = client.put("/api/users/" + sales_.id, {{"email", "new.sales@acme.example"}});
    EXPECT_EQ(without.status, 422);
    EXPECT_EQ(firstErrorField(without), "current_password");
    const auto wrong = client.put("/api/users/" + sales_.id,
                                  {{"email", "new.sales@acme.example"}, {"current_password", "not it at all"}});
    EXPECT_EQ(wrong.status, 422);
    const auto right = client.put("/api/users/" + sales_.id,
                                  {{"email", "new.sales@acme.example"}, {"current_password", kTestPassword}});
    ASSERT_EQ(right.status, 200) << right.body;
    EXPECT_EQ(right.json().at("email"), "new.sales@acme.example");
}

// with_total adds the number of matching users.
TEST_F(UsersApiTest, WithTotalCountsMatches) {
    const auto body = server_->clientFor(admin_).get("/api/users?limit=1&with_total=true").json();
    EXPECT_EQ(body.at("page").at("total"), 4);
    EXPECT_EQ(body.at("page").at("total_capped"), false);
    EXPECT_EQ(body.at("data").size(), 1u);
}

// Only admins edit other users.
TEST_F(UsersApiTest, NonAdminCannotEditOthers) {
    EXPECT_EQ(server_->clientFor(manager_).put("/api/users/" + sales_.id, {{"name", "X"}}).status, 403);
    EXPECT_EQ(server_->clientFor(sales_).put("/api/users/" + recruiter_.id, {{"role", "admin"}}).status, 403);
}

// A role change applies to the user's live sessions at once and is audited.
TEST_F(UsersApiTest, RoleChangeAppliesToLiveSessions) {
    auto sales_client = server_->clientFor(sales_);
    EXPECT_EQ(sales_client.post("/api/users", {{"email", "a@acme.example"}, {"name", "A"}, {"role", "sales"}}).status, 403);
    const auto changed = server_->clientFor(admin_).put("/api/users/" + sales_.id, {{"role", "admin"}});
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_EQ(sales_client.get("/api/auth/me").json().at("role"), "admin");
    EXPECT_EQ(sales_client.post("/api/users", {{"email", "a@acme.example"}, {"name", "A"}, {"role", "sales"}}).status, 201);
    EXPECT_EQ(server_->auditCount("user.role_changed"), 1);
}

// The last active admin can be neither demoted nor deactivated.
TEST_F(UsersApiTest, LastAdminIsProtected) {
    const auto second = server_->createUser(org_, "admin");
    auto acting = server_->clientFor(admin_);
    // Simulate the race this guards against: admin_ was demoted a moment ago (in the database)
    // while its request was already authorised, so `second` is the last active admin.
    {
        auto connection = server_->database().connect();
        pqxx::work tx(connection);
        tx.exec_params("UPDATE users SET role = 'manager' WHERE id = $1", admin_.id);
        tx.commit();
    }
    const auto demote = acting.put("/api/users/" + second.id, {{"role", "sales"}});
    EXPECT_EQ(demote.status, 409) << demote.body;
    EXPECT_EQ(firstErrorField(demote), "role");
    EXPECT_EQ(acting.put("/api/users/" + second.id, {{"active", false}}).status, 409);
    EXPECT_EQ(acting.del("/api/users/" + second.id).status, 409);
    EXPECT_EQ(server_->clientFor(second).get("/api/auth/me").json().at("role"), "admin");
}

// null for a role or for active, or a blank e-mail or name, is refused by name, never silently
// ignored.
TEST_F(UsersApiTest, NullRoleOrActiveIsRefused) {
    const auto response = server_->clientFor(admin_).put(
        "/api/users/" + sales_.id, {{"role", nullptr}, {"active", nullptr}, {"email", " "}, {"name", ""}});
    EXPECT_EQ(response.status, 422) << response.body;
    const auto errors = response.json().at("errors");
    std::set<std::string> fields;
    for (const auto& error : errors) {
        fields.insert(error.at("field").get<std::string>());
    }
    EXPECT_EQ(fields, (std::set<std::string>{"role", "active", "email", "name"}));

    // A name is one line: it opens every invitation and reset e-mail ("Hello <name>,").
    const auto two_lines = server_->clientFor(admin_).put("/api/users/" + sales_.id,
                                                          {{"name", "Sam\nPlease wire the fee to"}});
    ASSERT_EQ(two_lines.status, 422) << two_lines.body;
    EXPECT_EQ(two_lines.json().at("errors").at(0).at("field"), "name");
    EXPECT_EQ(two_lines.json().at("errors").at(0).at("message"), "must be one line, without tabs");
}

// An admin cannot give a user a password made of that user's name.
TEST_F(UsersApiTest, PasswordMadeOfTheNameIsRefused) {
    const auto response = server_->clientFor(admin_).post(
        "/api/users", {{"email", "grace@acme.example"}, {"name", "Grace Hopper"}, {"role", "sales"},
                       {"password", "gracehopper2026"}});
    EXPECT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(firstErrorField(response), "password");
}

// The user signing in (or failing to) does not make an admin's copy stale: If-Match still holds.
TEST_F(UsersApiTest, SigningInKeepsTheVersion) {
    auto admin = server_->clientFor(admin_);
    const auto before = admin.get("/api/users/" + sales_.id);
    ASSERT_EQ(before.status, 200);
    const auto etag = before.header("ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(server_->client().post("/api/auth/login", {{"email", sales_.email}, {"password", kTestPassword}}).status, 200);
    EXPECT_EQ(server_->client().post("/api/auth/login", {{"email", sales_.email}, {"password", "wrong password here"}}).status, 401);
    const auto edit = admin.put("/api/users/" + sales_.id, {{"name", "Renamed"}}, {{"If-Match", etag}});
    EXPECT_EQ(edit.status, 200) << edit.body;
}

// Two admins demoting two others at the same moment both succeed: the admins are locked in one
// order, so neither waits on the other's row (which was a deadlock, answered 500).
TEST_F(UsersApiTest, ConcurrentDemotionsDoNotDeadlock) {
    for (int round = 0; round < 6; ++round) {
        const auto a = server_->createUser(org_, "admin");
        const auto b = server_->createUser(org_, "admin");
        const auto x = server_->createUser(org_, "admin");
        const auto y = server_->createUser(org_, "admin");
        auto as_a = server_->clientFor(a);
        auto as_b = server_->clientFor(b);
        int first = 0;
        int second = 0;
        std::thread one([&] { first = as_a.put("/api/users/" + x.id, {{"role", "sales"}}).status; });
        std::thread two([&] { second = as_b.del("/api/users/" + y.id).status; });
        one.join();
        two.join();
        EXPECT_EQ(first, 200) << "round " << round;
        EXPECT_EQ(second, 204) << "round " << round;
    }
}

// Editing a user does not wait for writes that merely name them or the editing admin (as owner,
// creator or actor): their foreign-key checks hold those rows FOR KEY SHARE until they commit.
// The edit locked both FOR UPDATE, which waited for them, and deadlocked with a reassignment
// naming the admin next.
TEST_F(UsersApiTest, EditingAUserDoesNotWaitForWritesThatNameThem) {
    auto holder = server_->database().connect();
    pqxx::work naming(holder);
    naming.exec_params("SELECT 1 FROM users WHERE id = $1 OR id = $2 FOR KEY SHARE", sales_.id, admin_.id);
    auto admin = server_->clientFor(admin_);
    const auto renamed = admin.put("/api/users/" + sales_.id, {{"name", "Renamed While Named"}, {"role", "recruiter"}});
    const auto deactivated = admin.del("/api/users/" + recruiter_.id);
    naming.commit();
    EXPECT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(deactivated.status, 204) << deactivated.body;
}

// With two admins, one may demote the other; nobody may deactivate themselves.
TEST_F(UsersApiTest, AdminsManageEachOtherButNotThemselves) {
    const auto second = server_->createUser(org_, "admin");
    auto admin = server_->clientFor(admin_);
    EXPECT_EQ(admin.put("/api/users/" + second.id, {{"role", "manager"}}).status, 200);
    EXPECT_EQ(admin.del("/api/users/" + admin_.id).status, 409);
    EXPECT_EQ(admin.put("/api/users/" + admin_.id, {{"role", "sales"}}).status, 422);
}

// A deactivated user's token stops working and they cannot sign in.
TEST_F(UsersApiTest, DeactivationEndsAccess) {
    auto sales_client = server_->clientFor(sales_);
    EXPECT_EQ(sales_client.get("/api/auth/me").status, 200);
    EXPECT_EQ(server_->clientFor(admin_).del("/api/users/" + sales_.id).status, 204);
    EXPECT_EQ(sales_client.get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->client().post("/api/auth/login", {{"email", sales_.email}, {"password", kTestPassword}}).status, 401);
    EXPECT_FALSE(server_->clientFor(admin_).get("/api/users/" + sales_.id).json().at("active").get<bool>());
}

// If-Match with a stale version is a 412; with the current one the edit goes through.
TEST_F(UsersApiTest, IfMatchGuardsConcurrentEdits) {
    auto admin = server_->clientFor(admin_);
    const auto current = admin.get("/api/users/" + sales_.id);
    const auto etag = current.header("ETag");
    EXPECT_EQ(admin.put("/api/users/" + sales_.id, {{"name", "First"}}, {{"If-Match", etag}}).status, 200);
    EXPECT_EQ(admin.put("/api/users/" + sales_.id, {{"name", "Second"}}, {{"If-Match", etag}}).status, 412);
    EXPECT_EQ(admin.put("/api/users/" + sales_.id, {{"name", "Third"}}, {{"If-Match", "garbage"}}).status, 400);
}

// The permission matrix, role by role, on the user routes.
TEST_F(UsersApiTest, PermissionMatrix) {
    struct Case {
        std::string method;
        std::string path;
        nlohmann::json body;
        std::map<std::string, int> expected;  // role → status
    };
    const auto target = server_->createUser(org_, "sales");
    const std::vector<Case> cases{
        {"GET", "/api/users", nullptr, {{"admin", 200}, {"manager", 200}, {"recruiter", 200}, {"sales", 200}}},
        {"GET", "/api/users/" + target.id, nullptr, {{"admin", 200}, {"manager", 200}, {"recruiter", 200}, {"sales", 200}}},
        {"PUT", "/api/users/" + target.id, {{"name", "Renamed"}}, {{"admin", 200}, {"manager", 403}, {"recruiter", 403}, {"sales", 403}}},
        {"POST", "/api/users", {{"email", "m@acme.example"}, {"name", "M"}, {"role", "sales"}, {"password", "a long and private passphrase"}},
         {{"admin", 201}, {"manager", 403}, {"recruiter", 403}, {"sales", 403}}},
        {"GET", "/api/users/" + stranger_.id, nullptr, {{"admin", 404}, {"manager", 404}, {"recruiter", 404}, {"sales", 404}}},
        {"GET", "/api/auth/me", nullptr, {{"admin", 200}, {"manager", 200}, {"recruiter", 200}, {"sales", 200}}},
    };
    const std::map<std::string, TestUser> users{{"admin", admin_}, {"manager", manager_}, {"recruiter", recruiter_}, {"sales", sales_}};
    for (const auto& test : cases) {
        for (const auto& [role, status] : test.expected) {
            auto client = server_->clientFor(users.at(role));
            const auto response = test.body.is_null()
                                      ? client.request(test.method, test.path)
                                      : client.request(test.method, test.path, test.body.dump());
            EXPECT_EQ(response.status, status) << role << " " << test.method << " " << test.path << ": " << response.body;
        }
    }
    // DELETE last, on its own target per role, so one role's success does not change the next.
    for (const auto& [role, status] : std::map<std::string, int>{{"admin", 204}, {"manager", 403}, {"recruiter", 403}, {"sales", 403}}) {
        const auto victim = server_->createUser(org_, "sales");
        EXPECT_EQ(server_->clientFor(users.at(role)).del("/api/users/" + victim.id).status, status) << role;
    }
}

}  // namespace
}  // namespace crm::test
