#include "clients/repository.hpp"
#include "core/pagination.hpp"
#include "db/statement.hpp"
#include "support/query_plans.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

namespace crm::test {
namespace {

using nlohmann::json;

class ClientsApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // National numbers are read as German ones, to see the setting reach the service.
        server_ = TestServer::start({{"CRM_DEFAULT_PHONE_REGION", "DE"}});
    }
    static void TearDownTestSuite() { server_.reset(); }
    void SetUp() override {
        server_->reset();
        org_ = server_->createOrganization("Acme Staffing");
        admin_ = server_->createUser(org_, "admin");
        manager_ = server_->createUser(org_, "manager");
        recruiter_ = server_->createUser(org_, "recruiter");
        sales_ = server_->createUser(org_, "sales");
        other_org_ = server_->createOrganization("Other Co");
        stranger_ = server_->createUser(other_org_, "admin");
    }

    /// Creates a client through the API as `user` and returns its id.
    std::string createClient(const TestUser& user, json body) {
        if (!body.contains("name")) {
            body["name"] = "Client";
        }
        const auto response = server_->clientFor(user).post("/api/clients", body);
        EXPECT_EQ(response.status, 201) << response.body;
        return response.json().value("id", "");
    }

    /// Runs one SQL statement on the test database; the first column of the first row, if any.
    std::string sql(const std::string& statement, const std::vector<std::string>& params = {}) {
        auto connection = server_->database().connect();
        pqxx::work tx(connection);
        const auto rows = tx.exec_params(statement, pqxx::prepare::make_dynamic_params(params));
        tx.commit();
        return rows.empty() || rows[0].empty() || rows[0][0].is_null()
                   ? std::string{}
                   : rows[0][0].as<std::string>();
    }

    std::string addContact(const std::string& client_id, const std::string& first,
                           const std::string& last, bool primary = false, bool deleted = false) {
        const auto contact =
            sql("INSERT INTO contacts (org_id, first_name, last_name, email, deleted_at) "
                "VALUES ($1, $2, $3, lower($2) || '@example.com', CASE WHEN $4::boolean THEN now() "
                "END) "
                "RETURNING id",
                {org_.id, first, last, deleted ? "true" : "false"});
        sql("INSERT INTO client_contacts (org_id, client_id, contact_id, role, title, "
            "is_primary_contact, start_date) VALUES ($1, $2, $3, 'buyer', 'CTO', $4, '2025-01-01')",
            {org_.id, client_id, contact, primary ? "true" : "false"});
        return contact;
    }

    std::string addJob(const std::string& client_id, const std::string& status,
                       bool deleted = false) {
        return sql(
            "INSERT INTO jobs (org_id, client_id, title, status, deleted_at) "
            "VALUES ($1, $2, 'Engineer', $3, CASE WHEN $4::boolean THEN now() END) RETURNING id",
            {org_.id, client_id, status, deleted ? "true" : "false"});
    }

    std::string addDeal(const std::string& client_id, const std::string& status,
                        const std::string& value, const std::string& currency,
                        bool deleted = false) {
        return sql(
            "INSERT INTO deals (org_id, client_id, title, pipeline_id, stage_id, value, currency, "
            "status, won_at, deleted_at) "
            "SELECT $1, $2, 'Deal', p.id, s.id, nullif($4, '')::numeric, nullif($5, ''), $3, "
            "CASE WHEN $3 = 'won' THEN now() END, CASE WHEN $6::boolean THEN now() END "
            "FROM sales_pipelines p JOIN pipeline_stages s ON s.pipeline_id = p.id "
            "WHERE p.org_id = $1 AND p.is_default AND s.position = 0 RETURNING id",
            {org_.id, client_id, status, value, currency, deleted ? "true" : "false"});
    }

    std::string addProject(const std::string& client_id, const std::string& name,
                           bool deleted = false) {
        return sql(
            "INSERT INTO projects (org_id, client_id, name, budget, currency, deleted_at) "
            "VALUES ($1, $2, $3, 5000, 'EUR', CASE WHEN $4::boolean THEN now() END) RETURNING id",
            {org_.id, client_id, name, deleted ? "true" : "false"});
    }

    long long auditRows(const std::string& client_id, const std::string& action) {
        return std::stoll(
            sql("SELECT count(*) FROM audit_log WHERE entity_type = 'client' "
                "AND entity_id = $1 AND action = $2",
                {client_id, action}));
    }

    /// Every item of a list, page by page (at most 100 pages).
    std::vector<json> walk(const TestUser& user, const std::string& path_and_query) {
        std::vector<json> items;
        std::string cursor;
        auto client = server_->clientFor(user);
        const char separator = path_and_query.find('?') == std::string::npos ? '?' : '&';
        for (int pages = 0; pages < 100; ++pages) {
            const auto response = client.get(
                path_and_query + (cursor.empty() ? "" : separator + ("cursor=" + cursor)));
            EXPECT_EQ(response.status, 200) << response.body;
            if (response.status != 200) {
                break;
            }
            const auto body = response.json();
            for (const auto& item : body.at("data")) {
                items.push_back(item);
            }
            if (body.at("page").at("next_cursor").is_null()) {
                break;
            }
            cursor = body.at("page").at("next_cursor").get<std::string>();
        }
        return items;
    }

    static std::vector<std::string> ids(const std::vector<json>& items, const char* key = "id") {
        std::vector<std::string> out;
        for (const auto& item : items) {
            out.push_back(item.at(key).get<std::string>());
        }
        return out;
    }

    std::vector<std::string> listIds(const TestUser& user, const std::string& query) {
        const auto response = server_->clientFor(user).get("/api/clients?limit=200&" + query);
        EXPECT_EQ(response.status, 200) << query << ": " << response.body;
        if (response.status != 200) {
            return {};
        }
        const auto body = response.json();
        std::vector<std::string> out;
        for (const auto& item : body.at("data")) {
            out.push_back(item.at("id").get<std::string>());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    static std::vector<std::string> sorted(std::vector<std::string> values) {
        std::sort(values.begin(), values.end());
        return values;
    }

    static inline std::unique_ptr<TestServer> server_;
    TestOrg org_;
    TestOrg other_org_;
    TestUser admin_, manager_, recruiter_, sales_, stranger_;
};

// ---------------------------------------------------------------------------------------------
// Create

// A new client comes back with Location, ETag, the caller as owner and the defaults.
TEST_F(ClientsApiTest, CreateReturnsTheClient) {
    const auto response =
        server_->clientFor(sales_).post("/api/clients", {{"name", "  Acme Corp  "},
                                                         {"industry", "software"},
                                                         {"size", "51-200"},
                                                         {"tags", {"VIP", "emea", "vip", "Été"}},
                                                         {"notes", "Met at a fair"}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto body = response.json();
    const auto id = body.at("id").get<std::string>();
    EXPECT_EQ(response.header("Location"), "/api/v1/clients/" + id);
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(body.at("name"), "Acme Corp");
    EXPECT_EQ(body.at("status"), "prospect");
    EXPECT_EQ(body.at("owner_id"), sales_.id);
    EXPECT_EQ(body.at("created_by"), sales_.id);
    EXPECT_EQ(body.at("tags"), json({"vip", "emea", "été"}));  // one tag whatever its case
    EXPECT_EQ(body.at("version"), 1);
    EXPECT_TRUE(body.at("deleted_at").is_null());
    EXPECT_EQ(body.at("warnings"), json::array());
    EXPECT_EQ(body.at("created_at").get<std::string>().back(), 'Z');
    EXPECT_EQ(server_->clientFor(sales_).get("/api/clients/" + id).json().at("name"), "Acme Corp");
    EXPECT_EQ(auditRows(id, "client.created"), 1);
}

// Domain, website, phone and country are stored in their normal forms.
TEST_F(ClientsApiTest, CreateNormalisesContactDetails) {
    const auto response = server_->clientFor(sales_).post(
        "/api/clients", {{"name", "Acme"},
                         {"domain", "https://WWW.Acme.COM:443/about"},
                         {"website", "www.acme.com/en"},
                         {"phone", "030 901820"},
                         {"country", "de"}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto body = response.json();
    EXPECT_EQ(body.at("domain"), "acme.com");
    EXPECT_EQ(body.at("website"), "https://www.acme.com/en");
    EXPECT_EQ(body.at("phone"), "+4930901820");  // CRM_DEFAULT_PHONE_REGION=DE
    EXPECT_EQ(body.at("country"), "DE");
    // A number without a country code is read in the client's own country, not the default.
    const auto french = server_->clientFor(sales_).post(
        "/api/clients", {{"name", "Société Générale de Logiciels"}, {"country", "FR"}, {"phone", "01 42 68 53 00"}});
    ASSERT_EQ(french.status, 201) << french.body;
    EXPECT_EQ(french.json().at("phone"), "+33142685300");
}

// With only a website, the domain is derived from it.
TEST_F(ClientsApiTest, DomainIsDerivedFromWebsite) {
    const auto response = server_->clientFor(sales_).post(
        "/api/clients", {{"name", "Acme"}, {"website", "http://Shop.Acme.co.uk:8080/x"}});
    ASSERT_EQ(response.status, 201) << response.body;
    EXPECT_EQ(response.json().at("domain"), "shop.acme.co.uk");
    EXPECT_EQ(response.json().at("website"), "http://shop.acme.co.uk:8080/x");
}

// Every invalid field is named in one 422, and nothing is written.
TEST_F(ClientsApiTest, CreateValidatesEveryFieldAtOnce) {
    const auto response =
        server_->clientFor(sales_).post("/api/clients", {{"name", "   "},
                                                         {"domain", "localhost"},
                                                         {"website", "ftp://acme.com"},
                                                         {"industry", 7},
                                                         {"size", "huge"},
                                                         {"address_line1", std::string(201, 'x')},
                                                         {"address_line2", true},
                                                         {"city", json::array()},
                                                         {"region", 1},
                                                         {"postal_code", std::string(21, '9')},
                                                         {"country", "Germany"},
                                                         {"phone", "call me"},
                                                         {"status", "dead"},
                                                         {"tags", {"ok", 5}},
                                                         {"notes", json::object()},
                                                         {"owner_id", "nobody"},
                                                         {"favourite", true}});
    ASSERT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(
        errorFields(response),
        (std::set<std::string>{"name", "domain", "website", "industry", "size", "address_line1",
                               "address_line2", "city", "region", "postal_code", "country", "phone",
                               "status", "tags[1]", "notes", "owner_id", "favourite"}));
    EXPECT_EQ(sql("SELECT count(*) FROM clients"), "0");
}

// What PostgreSQL's checks would refuse is named before it gets there: a phone too short for
// E.164 in full, a website over 2048 characters once https:// is added. What is stored reads
// back and saves again unchanged.
TEST_F(ClientsApiTest, StoredFormsStayWithinTheLimits) {
    auto client = server_->clientFor(sales_);
    // A URL pasted whole as the domain is reduced to its host, however long its path.
    const auto pasted = client.post("/api/clients", {{"name", "Acme"}, {"domain", "https://www.acme.example/" + std::string(400, 'p')}});
    ASSERT_EQ(pasted.status, 201) << pasted.body;
    EXPECT_EQ(pasted.json().at("domain"), "acme.example");
    sql("DELETE FROM clients");
    const auto short_phone = client.post("/api/clients", {{"name", "Acme"}, {"phone", "+49 30 12"}});
    ASSERT_EQ(short_phone.status, 422) << short_phone.body;
    EXPECT_EQ(errorFields(short_phone), std::set<std::string>{"phone"});
    const auto long_website =
        client.post("/api/clients", {{"name", "Acme"}, {"website", "acme.com/" + std::string(2039, 'a')}});
    ASSERT_EQ(long_website.status, 422) << long_website.body;
    EXPECT_EQ(errorFields(long_website), std::set<std::string>{"website"});
    EXPECT_EQ(sql("SELECT count(*) FROM clients"), "0");

    const auto longest = client.post("/api/clients", {{"name", "Acme"}, {"website", "acme.com/" + std::string(2031, 'a')}});
    ASSERT_EQ(longest.status, 201) << longest.body;
    const auto website = longest.json().at("website").get<std::string>();
    EXPECT_EQ(website.size(), 2048u);
    const auto id = longest.json().at("id").get<std::string>();
    EXPECT_EQ(client.put("/api/clients/" + id, {{"website", website}}).status, 200);
}

// A day that is not in the calendar is a 422 naming its parameter (PostgreSQL's refusal was
// reported as a bad cursor), and a NUL inside a tag is refused by name before the database.
TEST_F(ClientsApiTest, ImpossibleDatesAndNulTagsNameTheirField) {
    auto client = server_->clientFor(sales_);
    for (const std::string param : {"created_from", "created_to"}) {
        // Offsets past 15:59 and the year 0000 are RFC 3339 that PostgreSQL refuses: they once
        // came back as a bad cursor nobody had sent.
        for (const std::string value : {"2026-02-31T00:00:00Z", "2026-02-29", "2025-04-31T10:00:00%2B02:00",
                                        "2026-11-27T10:00:00%2B16:00", "2026-11-27T10:00:00-20:00",
                                        "0000-01-01T00:00:00Z"}) {
            const auto response = client.get("/api/clients?" + param + "=" + value);
            EXPECT_EQ(response.status, 422) << param << "=" << value << ": " << response.body;
            EXPECT_EQ(errorFields(response), std::set<std::string>{param}) << value;
        }
    }
    EXPECT_EQ(client.get("/api/clients?created_from=2024-02-29T00:00:00Z").status, 200);
    EXPECT_EQ(client.get("/api/clients?created_from=2024-02-29t00:00:00z&created_to=2026-11-27T10:00:00-12:00").status, 200);
    EXPECT_EQ(client.get("/api/clients?created_from=2024-02-29t10:00:00+02:00").status, 200);  // + sent raw
    EXPECT_EQ(client.get("/api/clients?created_from=1899-12-31&created_to=9999-12-31").status, 200);
    EXPECT_EQ(client.get("/api/clients?created_to=2026-01-01T00:00:00.1234567Z").status, 200);
    EXPECT_EQ(client.get("/api/clients?created_to=2016-12-31T23:59:60Z").status, 200);  // a leap second
    EXPECT_EQ(errorFields(client.get("/api/clients?created_from=2016-12-31T23:59:60.5Z")),
              std::set<std::string>{"created_from"});  // PostgreSQL takes no fraction of one
    // A range that ends before it starts matches nothing: the bounds were likely swapped. The
    // moments are compared, offsets and whole days included.
    for (const std::string range : {"created_from=2026-11-27&created_to=2026-11-26",
                                    "created_from=2026-11-27T10:00:00Z&created_to=2026-11-27T09:59:59.999Z",
                                    "created_from=2026-11-27T10:00:00Z&created_to=2026-11-27T11:59:59%2B02:00",
                                    "created_from=2026-11-28T00:00:00Z&created_to=2026-11-27",
                                    "created_from=2024-03-01&created_to=2024-02-29", "created_from=0001-01-02&created_to=0001-01-01"}) {
        EXPECT_EQ(errorFields(client.get("/api/clients?" + range)), std::set<std::string>{"created_to"}) << range;
    }
    for (const std::string range : {"created_from=2026-11-27&created_to=2026-11-27",
                                    "created_from=2026-11-27T23:59:59.999999Z&created_to=2026-11-27",
                                    "created_from=2026-11-27T10:00:00Z&created_to=2026-11-27T12:00:00%2B02:00",
                                    "created_from=2026-11-27T10:00:00%2B02:00&created_to=2026-11-27T08:00:00Z",
                                    "created_from=2026-12-31&created_to=2027-01-01", "created_from=1969-12-31T23:00:00-02:00&created_to=1970-01-01"}) {
        EXPECT_EQ(client.get("/api/clients?" + range).status, 200) << range;
    }
    const auto nul_tag = client.post("/api/clients", {{"name", "Acme"}, {"tags", {std::string("a\0b", 3)}}});
    ASSERT_EQ(nul_tag.status, 422) << nul_tag.body;
    EXPECT_EQ(errorFields(nul_tag), std::set<std::string>{"tags[0]"});
    EXPECT_EQ(sql("SELECT count(*) FROM clients"), "0");
}

// A country is a real ISO 3166-1 alpha-2 code, as for contacts: two letters are not enough.
TEST_F(ClientsApiTest, CountryIsAnIsoCode) {
    auto client = server_->clientFor(sales_);
    const auto made_up = client.post("/api/clients", {{"name", "Acme"}, {"country", "ZZ"}});
    ASSERT_EQ(made_up.status, 422) << made_up.body;
    EXPECT_EQ(errorFields(made_up), std::set<std::string>{"country"});
    const auto german = client.post("/api/clients", {{"name", "Acme"}, {"country", "de"}});
    ASSERT_EQ(german.status, 201) << german.body;
    EXPECT_EQ(german.json().at("country"), "DE");
}

// A client's name, address and industry are one line (a break would split it in every list and
// summary), without a bidi override that shows it reversed; its notes may hold paragraphs.
TEST_F(ClientsApiTest, OnlyNotesHoldSeveralLines) {
    auto client = server_->clientFor(sales_);
    const auto split = client.post("/api/clients", {{"name", "Acme\nEvil"}, {"address_line1", "1 Main St\tRear"},
                                                    {"industry", "Acme\u202Eenil"}, {"notes", "Fine.\nReally."},
                                                    {"tags", {"v\u202Eip"}}});
    ASSERT_EQ(split.status, 422) << split.body;
    EXPECT_EQ(errorFields(split), (std::set<std::string>{"name", "address_line1", "industry", "tags[0]"}));
    EXPECT_EQ(sql("SELECT count(*) FROM clients"), "0");
    const auto created = client.post("/api/clients", {{"name", "Acme"}, {"notes", "Fine.\n\tReally."}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json().at("notes"), "Fine.\n\tReally.");
}

// A missing name is required; a body that is not an object is refused.
TEST_F(ClientsApiTest, CreateNeedsAnObjectWithAName) {
    auto client = server_->clientFor(sales_);
    EXPECT_EQ(errorFields(client.post("/api/clients", json::object())),
              std::set<std::string>{"name"});
    EXPECT_EQ(client.post("/api/clients", json::array()).status, 422);
    EXPECT_EQ(client.request("POST", "/api/clients", std::string("{broken")).status, 400);
}

// Server-set fields are refused by name on create.
TEST_F(ClientsApiTest, CreateRefusesServerFields) {
    for (const auto* field :
         {"id", "org_id", "created_at", "updated_at", "version", "deleted_at", "created_by"}) {
        json body{{"name", "Acme"}};
        body[field] = std::string(field) == "version" ? json(5) : json(admin_.id);
        const auto response = server_->clientFor(admin_).post("/api/clients", body);
        EXPECT_EQ(response.status, 422) << field;
        EXPECT_EQ(errorFields(response), std::set<std::string>{field});
    }
}

// A second live client with the same domain is created, with a warning naming the first.
TEST_F(ClientsApiTest, DuplicateDomainIsCreatedWithAWarning) {
    const auto first = createClient(sales_, {{"name", "Acme"}, {"domain", "acme.com"}});
    const auto second = server_->clientFor(manager_).post(
        "/api/clients", {{"name", "Acme GmbH"}, {"website", "https://www.acme.com/de"}});
    ASSERT_EQ(second.status, 201) << second.body;
    const auto body = second.json();
    ASSERT_EQ(body.at("warnings").size(), 1u);
    EXPECT_EQ(body.at("warnings").at(0).at("code"), "duplicate_domain");
    EXPECT_EQ(body.at("warnings").at(0).at("existing_id"), first);
    EXPECT_FALSE(body.at("warnings").at(0).at("message").get<std::string>().empty());
    EXPECT_EQ(body.at("domain"), "acme.com");
}

// A second live client whose name is the first's as searches compare names (case, accents,
// punctuation) is created, with a warning naming the first; so is a rename to it. Deleted and
// other organisations' clients do not count, nor does a client saved under its own name.
TEST_F(ClientsApiTest, DuplicateNameIsCreatedWithAWarning) {
    const auto first = createClient(sales_, {{"name", "Société Générale"}});
    const auto gone = createClient(sales_, {{"name", "Globex"}});
    ASSERT_EQ(server_->clientFor(sales_).del("/api/clients/" + gone).status, 204);
    createClient(stranger_, {{"name", "Initech"}});
    auto client = server_->clientFor(manager_);
    const auto second = client.post("/api/clients", {{"name", "SOCIETE  generale."}});
    ASSERT_EQ(second.status, 201) << second.body;
    const auto warnings = second.json().at("warnings");
    ASSERT_EQ(warnings.size(), 1u) << second.body;
    EXPECT_EQ(warnings.at(0).at("code"), "duplicate_name");
    EXPECT_EQ(warnings.at(0).at("existing_id"), first);
    EXPECT_EQ(warnings.at(0).at("message"), "Another client is already called Société Générale");
    for (const std::string name : {"Globex", "Initech", "Société Générale Bank"}) {
        EXPECT_EQ(client.post("/api/clients", {{"name", name}}).json().at("warnings"), json::array()) << name;
    }
    // A rename to a name in use warns; saving a client under its own name does not.
    const auto other = createClient(sales_, {{"name", "Umbrella"}, {"domain", "umbrella.example"}});
    const auto renamed = client.put("/api/clients/" + other, {{"name", "societe generale"}, {"domain", "acme.example"}});
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    ASSERT_EQ(renamed.json().at("warnings").size(), 1u) << renamed.body;
    EXPECT_EQ(renamed.json().at("warnings").at(0).at("existing_id"), first);
    const auto wayne = createClient(sales_, {{"name", "Wayne Enterprises"}});
    EXPECT_EQ(client.put("/api/clients/" + wayne, {{"name", "WAYNE enterprises"}}).json().at("warnings"), json::array());
    // Name and domain both taken: both warnings, the name's first.
    createClient(sales_, {{"name", "Hooli"}, {"domain", "hooli.example"}});
    const auto both = client.post("/api/clients", {{"name", "hooli"}, {"domain", "hooli.example"}}).json().at("warnings");
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both.at(0).at("code"), "duplicate_name");
    EXPECT_EQ(both.at(1).at("code"), "duplicate_domain");
}

// A website with a user name or password is refused with a message that says so (the generic
// "must be an http(s) address" sent people looking for a typo); the domain is left alone.
TEST_F(ClientsApiTest, WebsiteWithCredentialsIsRefusedSayingWhy) {
    auto client = server_->clientFor(sales_);
    for (const std::string website : {"https://ann:secret@acme.com/login", "ann@acme.com", "//ann@acme.com"}) {
        const auto response = client.post("/api/clients", {{"name", "Acme"}, {"website", website}});
        ASSERT_EQ(response.status, 422) << website;
        const auto errors = response.json().at("errors");
        ASSERT_EQ(errors.size(), 1u) << response.body;
        EXPECT_EQ(errors.at(0).at("field"), "website");
        EXPECT_EQ(errors.at(0).at("message"), "must not hold a user name or password (user:password@)") << website;
    }
    // An @ further on is the site's business.
    const auto path = client.post("/api/clients", {{"name", "Acme"}, {"website", "https://acme.com/@team"}});
    ASSERT_EQ(path.status, 201) << path.body;
    EXPECT_EQ(path.json().at("website"), "https://acme.com/@team");
}

// Deleted clients and other organisations' clients do not count as duplicates.
TEST_F(ClientsApiTest, DuplicateDomainIgnoresDeletedAndForeignClients) {
    const auto deleted = createClient(sales_, {{"domain", "acme.com"}});
    ASSERT_EQ(server_->clientFor(sales_).del("/api/clients/" + deleted).status, 204);
    createClient(stranger_, {{"domain", "acme.com"}});
    const auto response =
        server_->clientFor(sales_).post("/api/clients", {{"name", "Acme"}, {"domain", "acme.com"}});
    ASSERT_EQ(response.status, 201);
    EXPECT_EQ(response.json().at("warnings"), json::array());
}

// Creating for someone else needs records:manage_any; the owner must be an active colleague.
TEST_F(ClientsApiTest, CreateOwnerRules) {
    EXPECT_EQ(server_->clientFor(sales_)
                  .post("/api/clients", {{"name", "A"}, {"owner_id", manager_.id}})
                  .status,
              403);
    EXPECT_EQ(server_->clientFor(sales_)
                  .post("/api/clients", {{"name", "A"}, {"owner_id", nullptr}})
                  .status,
              403);
    const auto for_sales =
        server_->clientFor(manager_).post("/api/clients", {{"name", "A"}, {"owner_id", sales_.id}});
    ASSERT_EQ(for_sales.status, 201) << for_sales.body;
    EXPECT_EQ(for_sales.json().at("owner_id"), sales_.id);
    const auto unowned =
        server_->clientFor(manager_).post("/api/clients", {{"name", "B"}, {"owner_id", nullptr}});
    ASSERT_EQ(unowned.status, 201);
    EXPECT_TRUE(unowned.json().at("owner_id").is_null());

    const auto inactive = server_->createUser(org_, "sales");
    sql("UPDATE users SET active = false WHERE id = $1", {inactive.id});
    for (const auto& owner :
         {inactive.id, stranger_.id, std::string("00000000-0000-7000-8000-000000000000")}) {
        const auto response =
            server_->clientFor(manager_).post("/api/clients", {{"name", "C"}, {"owner_id", owner}});
        EXPECT_EQ(response.status, 422) << owner;
        EXPECT_EQ(errorFields(response), std::set<std::string>{"owner_id"});
    }
}

// ---------------------------------------------------------------------------------------------
// Read

// The client comes with counts of live contacts, open jobs, open deals and live projects.
TEST_F(ClientsApiTest, GetIncludesCounts) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    addContact(id, "Grace", "Hopper", true);
    addContact(id, "Alan", "Turing");
    addContact(id, "Gone", "Away", false, true);
    addJob(id, "open");
    addJob(id, "open");
    addJob(id, "closed");
    addJob(id, "open", true);
    addDeal(id, "open", "1000", "EUR");
    addDeal(id, "won", "500", "EUR");
    addDeal(id, "open", "1", "EUR", true);
    addProject(id, "Rollout");
    addProject(id, "Old", true);
    // Another client's rows do not count.
    const auto other = createClient(sales_, {{"name", "Other"}});
    addJob(other, "open");
    addContact(other, "Ada", "Lovelace");

    const auto response = server_->clientFor(recruiter_).get("/api/clients/" + id);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(response.json().at("counts"),
              json({{"contacts", 2}, {"open_jobs", 2}, {"open_deals", 1}, {"projects", 1}}));
}

// A query parameter a route does not take is a 422 naming it, not silently ignored: a caller
// sending include_deleted to a single client must not believe it was applied.
TEST_F(ClientsApiTest, UnknownQueryParametersAreRefused) {
    const auto id = createClient(manager_, {{"name", "Query Co"}});
    auto manager = server_->clientFor(manager_);
    const auto one = manager.get("/api/clients/" + id + "?include_deleted=true");
    EXPECT_EQ(one.status, 422) << one.body;
    EXPECT_EQ(errorFields(one), std::set<std::string>{"include_deleted"});
    EXPECT_EQ(errorFields(manager.put("/api/clients/" + id + "?force=1&x=2", {{"city", "Oslo"}})),
              (std::set<std::string>{"force", "x"}));
    EXPECT_EQ(manager.get("/api/clients/" + id).json().at("city"), nullptr) << "nothing written";
    EXPECT_EQ(errorFields(manager.post("/api/contacts?allow_duplicates=true", {{"first_name", "Q"}})),
              std::set<std::string>{"allow_duplicates"});
    EXPECT_EQ(manager.post("/api/contacts?allow_duplicate=true", {{"first_name", "Q"}}).status, 201);
    EXPECT_EQ(manager.get("/api/clients?status=active").status, 200);  // lists check their own
}

// An id that is not a UUID, or names no client, is a 404.
TEST_F(ClientsApiTest, UnknownIdIsNotFound) {
    auto client = server_->clientFor(admin_);
    EXPECT_EQ(client.get("/api/clients/not-a-uuid").status, 404);
    EXPECT_EQ(client.get("/api/clients/00000000-0000-7000-8000-000000000000").status, 404);
    EXPECT_EQ(client.get("/api/v1/clients/not-a-uuid/summary").status, 404);
}

// ---------------------------------------------------------------------------------------------
// Update

// Editing only the number of a client in France reads it in France; a number that is none
// there is a 422 naming `phone`, and nothing changes.
TEST_F(ClientsApiTest, EditedLocalNumberIsReadInTheStoredCountry) {
    const auto id = createClient(sales_, {{"name", "Dassault Logiciels"}, {"country", "FR"}});
    auto client = server_->clientFor(sales_);
    const auto edited = client.put("/api/clients/" + id, {{"phone", "01 42 68 53 01"}});
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(edited.json().at("phone"), "+33142685301");
    const auto bad = client.put("/api/clients/" + id, {{"city", "Lyon"}, {"phone", "12"}});
    ASSERT_EQ(bad.status, 422) << bad.body;
    EXPECT_EQ(errorFields(bad), std::set<std::string>{"phone"});
    EXPECT_EQ(client.get("/api/clients/" + id).json().at("city"), nullptr);
    // Cleared with the number, the country is no longer where it is read: the default (DE).
    const auto cleared = client.put("/api/clients/" + id, {{"country", nullptr}, {"phone", "030 901821"}});
    EXPECT_EQ(cleared.json().at("phone"), "+4930901821");
}

// PUT changes only the fields sent; null clears a nullable field; the version goes up.
TEST_F(ClientsApiTest, UpdateIsPartial) {
    const auto id = createClient(
        sales_, {{"name", "Acme"}, {"industry", "software"}, {"city", "Berlin"}, {"tags", {"a"}}});
    const auto response =
        server_->clientFor(sales_).put("/api/clients/" + id, {{"city", "Paris"},
                                                              {"industry", nullptr},
                                                              {"status", "active"},
                                                              {"phone", "+44 20 7946 0123"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = response.json();
    EXPECT_EQ(response.header("ETag"), "\"2\"");
    EXPECT_EQ(body.at("version"), 2);
    EXPECT_EQ(body.at("name"), "Acme");
    EXPECT_EQ(body.at("city"), "Paris");
    EXPECT_TRUE(body.at("industry").is_null());
    EXPECT_EQ(body.at("status"), "active");
    EXPECT_EQ(body.at("phone"), "+442079460123");
    EXPECT_EQ(body.at("tags"), json({"a"}));
    EXPECT_EQ(body.at("warnings"), json::array());
    EXPECT_NE(body.at("updated_at"), body.at("created_at"));
}

// A new website moves a domain that followed the old one; an explicit domain stays.
TEST_F(ClientsApiTest, UpdateWebsiteMovesTheDerivedDomain) {
    const auto id = createClient(sales_, {{"name", "Acme"}, {"website", "acme.com"}});
    auto client = server_->clientFor(sales_);
    EXPECT_EQ(
        client.put("/api/clients/" + id, {{"website", "https://acme.io"}}).json().at("domain"),
        "acme.io");
    client.put("/api/clients/" + id, {{"domain", "acme-group.com"}});
    EXPECT_EQ(
        client.put("/api/clients/" + id, {{"website", "https://acme.dev"}}).json().at("domain"),
        "acme-group.com");
    // A domain that came from the website goes when the website is cleared, so the next
    // website sets it again (kept, it stayed behind for good); a chosen one stays.
    EXPECT_TRUE(client.put("/api/clients/" + id, {{"website", nullptr}}).json().at("domain") == "acme-group.com");
    const auto derived = createClient(sales_, {{"name", "Alpha"}, {"website", "https://www.alpha-one.example"}});
    client.put("/api/clients/" + derived, {{"website", "https://beta-two.example"}});
    EXPECT_TRUE(client.put("/api/clients/" + derived, {{"website", nullptr}}).json().at("domain").is_null());
    EXPECT_EQ(client.put("/api/clients/" + derived, {{"website", "https://alpha-one.example"}}).json().at("domain"),
              "alpha-one.example");
}

// Changing the domain to one another live client has also warns.
TEST_F(ClientsApiTest, UpdateToDuplicateDomainWarns) {
    const auto first = createClient(sales_, {{"name", "Acme"}, {"domain", "acme.com"}});
    const auto second = createClient(sales_, {{"name", "Acme 2"}, {"domain", "acme2.com"}});
    const auto response =
        server_->clientFor(sales_).put("/api/clients/" + second, {{"domain", "ACME.com"}});
    ASSERT_EQ(response.status, 200);
    ASSERT_EQ(response.json().at("warnings").size(), 1u);
    EXPECT_EQ(response.json().at("warnings").at(0).at("existing_id"), first);
    // Saving the first again does not warn about itself.
    const auto again = server_->clientFor(sales_).put("/api/clients/" + first, {{"notes", "x"}});
    EXPECT_EQ(again.json().at("warnings"), json::array());
}

// Server-set, unknown and non-removable fields are refused by name, with nothing changed.
TEST_F(ClientsApiTest, UpdateRefusesForbiddenFields) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto client = server_->clientFor(sales_);
    for (const auto* field : {"id", "org_id", "created_at", "version", "deleted_at", "updated_at",
                              "counts", "name", "status"}) {
        json body{{"notes", "changed"}};
        body[field] = std::string(field) == "version" ? json(7) : json(nullptr);
        const auto response = client.put("/api/clients/" + id, body);
        EXPECT_EQ(response.status, 422) << field;
        EXPECT_EQ(errorFields(response), std::set<std::string>{field});
    }
    const auto bad =
        client.put("/api/clients/" + id, {{"size", "7"}, {"country", "XYZ"}, {"domain", "x"}});
    EXPECT_EQ(errorFields(bad), (std::set<std::string>{"size", "country", "domain"}));
    const auto current = client.get("/api/clients/" + id).json();
    EXPECT_EQ(current.at("version"), 1);
    EXPECT_TRUE(current.at("notes").is_null());
}

// If-Match: a stale version is a 412, the current one passes, `*` (any version) passes, a
// well-formed tag this API never issued is a 412 too (it matches no version), a value that is
// no entity tag at all a 400.
TEST_F(ClientsApiTest, UpdateHonoursIfMatch) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto client = server_->clientFor(sales_);
    ASSERT_EQ(client.put("/api/clients/" + id, {{"city", "Rome"}}).status,
              200);  // no If-Match: allowed
    const auto stale =
        client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\"1\""}});
    EXPECT_EQ(stale.status, 412);
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "soon"}}).status,
              400);
    const auto fresh =
        client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\"2\""}});
    ASSERT_EQ(fresh.status, 200);
    EXPECT_EQ(fresh.header("ETag"), "\"3\"");
    const auto any = client.put("/api/clients/" + id, {{"city", "Bergen"}}, {{"If-Match", "*"}});
    ASSERT_EQ(any.status, 200) << any.body;
    EXPECT_EQ(any.header("ETag"), "\"4\"");
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "W/*"}}).status, 400);
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\"04\""}}).status, 412);
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\"v4\""}}).status, 412);
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\"4 \""}}).status, 400);
    EXPECT_EQ(client.put("/api/clients/" + id, {{"city", "Oslo"}}, {{"If-Match", "\""}}).status, 400);
    EXPECT_EQ(auditRows(id, "client.updated"), 3);  // the refused changes left no trace
}

// A PUT that changes nothing keeps the version and records nothing.
TEST_F(ClientsApiTest, UpdateWithoutChangeKeepsTheVersion) {
    const auto id = createClient(sales_, {{"name", "Acme"}, {"city", "Rome"}});
    const auto response =
        server_->clientFor(sales_).put("/api/clients/" + id, {{"city", "Rome"}, {"name", "Acme"}});
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("ETag"), "\"1\"");
    EXPECT_EQ(auditRows(id, "client.updated"), 0);
}

// Without records:manage_any, only the owner changes a client; managers change any.
TEST_F(ClientsApiTest, OnlyOwnersOrManagersChangeAClient) {
    const auto mine = createClient(sales_, {{"name", "Mine"}});
    const auto theirs = createClient(admin_, {{"name", "Theirs"}});
    auto sales = server_->clientFor(sales_);
    EXPECT_EQ(sales.put("/api/clients/" + mine, {{"city", "Rome"}}).status, 200);
    const auto refused = sales.put("/api/clients/" + theirs, {{"city", "Rome"}});
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(sales.del("/api/clients/" + theirs).status, 403);
    EXPECT_EQ(server_->clientFor(manager_).put("/api/clients/" + mine, {{"city", "Oslo"}}).status,
              200);
    EXPECT_EQ(server_->clientFor(recruiter_).put("/api/clients/" + mine, {{"city", "Oslo"}}).status,
              403);
    // An unowned client is a manager's business.
    const auto unowned = createClient(manager_, {{"name", "Nobody's"}, {"owner_id", nullptr}});
    EXPECT_EQ(sales.put("/api/clients/" + unowned, {{"city", "Rome"}}).status, 403);
}

// A change that waited for another's row lock is stamped when it was made, after the other:
// history read by time never shows an edit before the handover it actually followed.
TEST_F(ClientsApiTest, HistoryIsStampedWhenTheChangeIsMade) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto connection = server_->database().connect();
    pqxx::work hold(connection);
    hold.exec_params("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", id);
    int status = 0;
    std::thread edit([&] { status = server_->clientFor(sales_).put("/api/clients/" + id, {{"city", "Rome"}}).status; });
    // Released only once the PUT is seen waiting for the lock, so the test shows the wait.
    bool waiting = false;
    for (int i = 0; i < 200 && !waiting; ++i) {
        waiting = sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND wait_event_type = 'Lock' AND query LIKE '%clients%'") != "0";
        if (!waiting) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    }
    EXPECT_TRUE(waiting) << "the PUT never waited for the row lock";
    const auto released = hold.exec("SELECT clock_timestamp()::text")[0][0].as<std::string>();
    hold.commit();
    edit.join();
    EXPECT_EQ(status, 200);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'client.updated' "
                  "AND created_at >= $2::timestamptz",
                  {id, released}),
              "1");
    // And so is the row itself (migration 0018): -updated_at follows the order of changes.
    EXPECT_EQ(sql("SELECT count(*) FROM clients WHERE id = $1 AND updated_at >= $2::timestamptz", {id, released}), "1");
}

// ---------------------------------------------------------------------------------------------
// Assignment

// The owner hands a client over, after which only the new owner (or a manager) changes it.
TEST_F(ClientsApiTest, OwnerHandsOver) {
    const auto colleague = server_->createUser(org_, "sales");
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto sales = server_->clientFor(sales_);
    // To a colleague, not to no one: an unowned client is for managers and admins, as on create.
    EXPECT_EQ(sales.post("/api/clients/" + id + "/assign", {{"owner_id", nullptr}}).status, 403);
    // The same through PUT, where a changed owner_id is an assignment. A blank one is no id
    // (it used to be taken as null), on PUT and on assign.
    EXPECT_EQ(sales.put("/api/clients/" + id, {{"owner_id", nullptr}}).status, 403);
    EXPECT_EQ(errorFields(sales.put("/api/clients/" + id, {{"owner_id", ""}, {"city", "Rome"}})),
              std::set<std::string>{"owner_id"});
    EXPECT_EQ(errorFields(server_->clientFor(manager_).post("/api/clients/" + id + "/assign", {{"owner_id", " "}})),
              std::set<std::string>{"owner_id"});
    EXPECT_TRUE(sales.get("/api/clients/" + id).json().at("city").is_null());
    const auto response =
        sales.post("/api/clients/" + id + "/assign", {{"owner_id", colleague.id}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("owner_id"), colleague.id);
    EXPECT_EQ(response.header("ETag"), "\"2\"");
    EXPECT_EQ(sales.put("/api/clients/" + id, {{"city", "Rome"}}).status, 403);
    EXPECT_EQ(sales.post("/api/clients/" + id + "/assign", {{"owner_id", sales_.id}}).status, 403);
    EXPECT_EQ(server_->clientFor(colleague).put("/api/clients/" + id, {{"city", "Rome"}}).status,
              200);
    EXPECT_EQ(auditRows(id, "client.assigned"), 1);
}

// Managers reassign anyone's client; the new owner must be an active user of the organisation.
TEST_F(ClientsApiTest, ManagerReassignsToActiveUsersOnly) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto manager = server_->clientFor(manager_);
    EXPECT_EQ(manager.post("/api/clients/" + id + "/assign", {{"owner_id", recruiter_.id}})
                  .json()
                  .at("owner_id"),
              recruiter_.id);
    const auto inactive = server_->createUser(org_, "sales");
    sql("UPDATE users SET active = false WHERE id = $1", {inactive.id});
    for (const auto& owner : {inactive.id, stranger_.id}) {
        const auto response = manager.post("/api/clients/" + id + "/assign", {{"owner_id", owner}});
        EXPECT_EQ(response.status, 422);
        EXPECT_EQ(errorFields(response), std::set<std::string>{"owner_id"});
    }
    EXPECT_EQ(errorFields(manager.post("/api/clients/" + id + "/assign", json::object())),
              std::set<std::string>{"owner_id"});
    const auto unassigned = manager.post("/api/clients/" + id + "/assign", {{"owner_id", nullptr}});
    ASSERT_EQ(unassigned.status, 200);
    EXPECT_TRUE(unassigned.json().at("owner_id").is_null());
    EXPECT_EQ(manager
                  .post("/api/clients/" + id + "/assign", {{"owner_id", sales_.id}},
                        {{"If-Match", "\"1\""}})
                  .status,
              412);
}

// An owner change through PUT is an assignment too, with the same rules.
TEST_F(ClientsApiTest, PutWithOwnerAssigns) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    const auto response = server_->clientFor(sales_).put(
        "/api/clients/" + id, {{"owner_id", manager_.id}, {"city", "Rome"}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("owner_id"), manager_.id);
    EXPECT_EQ(auditRows(id, "client.assigned"), 1);
    const auto inactive = server_->createUser(org_, "sales");
    sql("UPDATE users SET active = false WHERE id = $1", {inactive.id});
    const auto refused =
        server_->clientFor(manager_).put("/api/clients/" + id, {{"owner_id", inactive.id}});
    EXPECT_EQ(errorFields(refused), std::set<std::string>{"owner_id"});
}

// ---------------------------------------------------------------------------------------------
// Delete and restore

// Delete hides the client everywhere; deleting twice is a 404; restore brings it back.
TEST_F(ClientsApiTest, SoftDeleteAndRestore) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto sales = server_->clientFor(sales_);
    const auto deleted = sales.del("/api/clients/" + id);
    ASSERT_EQ(deleted.status, 204);
    EXPECT_EQ(deleted.header("ETag"), "\"2\"");  // what a conditional restore names
    EXPECT_FALSE(sql("SELECT deleted_at FROM clients WHERE id = $1", {id}).empty());
    EXPECT_EQ(sales.get("/api/clients/" + id).status, 404);
    EXPECT_EQ(sales.del("/api/clients/" + id).status, 404);
    EXPECT_EQ(sales.put("/api/clients/" + id, {{"city", "Rome"}}).status, 404);
    EXPECT_EQ(sales.get("/api/clients/" + id + "/summary").status, 404);
    EXPECT_EQ(sales.post("/api/clients/" + id + "/assign", {{"owner_id", sales_.id}}).status, 404);
    EXPECT_TRUE(listIds(sales_, "").empty());

    const auto restored = sales.post("/api/clients/" + id + "/restore", json::object(),
                                     {{"If-Match", deleted.header("ETag")}});
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_TRUE(restored.json().at("deleted_at").is_null());
    EXPECT_EQ(restored.header("ETag"), "\"3\"");
    EXPECT_EQ(sales.get("/api/clients/" + id).status, 200);
    EXPECT_EQ(sales.post("/api/clients/" + id + "/restore", json::object()).status, 409);
    EXPECT_EQ(auditRows(id, "client.deleted"), 1);
    EXPECT_EQ(auditRows(id, "client.restored"), 1);
}

// A delete or restore locks the client's linked contacts (and the late ones it is told of) by
// their ids, whatever the organisation's size: it had read and filtered every contact of it,
// 125 ms a delete on 60,000.
TEST_F(ClientsApiTest, LockingLinkedContactsReadsOnlyThem) {
    const auto client = createClient(sales_, {{"name", "Initech"}});
    const auto ann = addContact(client, "Ann", "One");
    const auto bob = addContact(client, "Bob", "Two");
    addContact(client, "Gone", "Three", false, true);
    sql("INSERT INTO contacts (org_id, first_name) SELECT $1, 'Bulk' || i FROM generate_series(1, 3000) i",
        {org_.id});
    const auto late = sql("SELECT id FROM contacts WHERE org_id = $1 AND first_name = 'Bulk1500'", {org_.id});
    auto connection = server_->database().connect();
    {
        pqxx::nontransaction tx(connection);
        tx.exec("ANALYZE contacts");
    }
    db::prepareAll(connection);
    // Custom plans for the first five runs of a prepared statement, then the generic one;
    // `ann` is both linked and among the late ones.
    for (int round = 0; round < 7; ++round) {
        const auto before = rowsReadFrom(connection, "contacts");
        pqxx::work tx(connection);
        auto locked = clients::repo::lockLinkedContacts(tx, org_.id, client, {late, ann});
        tx.commit();
        std::sort(locked.begin(), locked.end());
        auto expected = std::vector<std::string>{ann, bob, late};
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(locked, expected);
        EXPECT_LT(rowsReadFrom(connection, "contacts") - before, 20) << "round " << round << " read the organisation's contacts";
    }
}

// DELETE honours If-Match.
TEST_F(ClientsApiTest, DeleteHonoursIfMatch) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    auto sales = server_->clientFor(sales_);
    EXPECT_EQ(sales.del("/api/clients/" + id, {{"If-Match", "\"9\""}}).status, 412);
    EXPECT_EQ(sales.del("/api/clients/" + id, {{"If-Match", "\"1\""}}).status, 204);
}

// Managers may list deleted clients; other roles may not ask for them.
TEST_F(ClientsApiTest, IncludeDeletedIsForManagers) {
    const auto live = createClient(sales_, {{"name", "Live"}});
    const auto gone = createClient(sales_, {{"name", "Gone"}});
    server_->clientFor(sales_).del("/api/clients/" + gone);
    EXPECT_EQ(listIds(manager_, "include_deleted=true"), sorted({live, gone}));
    EXPECT_EQ(listIds(admin_, "include_deleted=false"), std::vector<std::string>{live});
    EXPECT_EQ(server_->clientFor(sales_).get("/api/clients?include_deleted=true").status, 403);
}

// Only the owner or a manager restores; the restored client is live again for everyone.
TEST_F(ClientsApiTest, RestoreFollowsOwnership) {
    const auto id = createClient(admin_, {{"name", "Acme"}});
    server_->clientFor(admin_).del("/api/clients/" + id);
    EXPECT_EQ(
        server_->clientFor(sales_).post("/api/clients/" + id + "/restore", json::object()).status,
        403);
    EXPECT_EQ(server_->clientFor(recruiter_)
                  .post("/api/clients/" + id + "/restore", json::object())
                  .status,
              403);
    EXPECT_EQ(
        server_->clientFor(manager_).post("/api/clients/" + id + "/restore", json::object()).status,
        200);
}

// ---------------------------------------------------------------------------------------------
// History

// Every change leaves a history row, newest first, with who, when, what and the changes.
TEST_F(ClientsApiTest, HistoryRecordsEveryChange) {
    sql("UPDATE users SET name = 'Sally Sales' WHERE id = $1", {sales_.id});
    const auto id = createClient(sales_, {{"name", "Acme"}, {"city", "Berlin"}});
    auto sales = server_->clientFor(sales_);
    ASSERT_EQ(sales.put("/api/clients/" + id, {{"city", "Paris"}}).status, 200);
    ASSERT_EQ(server_->clientFor(manager_)
                  .post("/api/clients/" + id + "/assign", {{"owner_id", admin_.id}})
                  .status,
              200);
    ASSERT_EQ(server_->clientFor(admin_).del("/api/clients/" + id).status, 204);
    ASSERT_EQ(
        server_->clientFor(admin_).post("/api/clients/" + id + "/restore", json::object()).status,
        200);

    const auto items = walk(recruiter_, "/api/clients/" + id + "/history?limit=2");
    ASSERT_EQ(items.size(), 5u);
    std::vector<std::string> actions;
    for (const auto& item : items) {
        actions.push_back(item.at("action").get<std::string>());
    }
    EXPECT_EQ(actions,
              (std::vector<std::string>{"client.restored", "client.deleted", "client.assigned",
                                        "client.updated", "client.created"}));
    const auto& update = items.at(3);
    EXPECT_EQ(update.at("actor"), json({{"id", sales_.id}, {"name", "Sally Sales"}}));
    EXPECT_EQ(update.at("changes"), json({{"city", {{"from", "Berlin"}, {"to", "Paris"}}}}));
    EXPECT_EQ(items.at(2).at("changes").at("owner_id"),
              json({{"from", sales_.id}, {"to", admin_.id}}));
    EXPECT_EQ(items.at(4).at("changes").at("name"), json({{"from", nullptr}, {"to", "Acme"}}));
    EXPECT_FALSE(items.at(4).at("changes").contains("notes"));  // unset fields are not listed
    EXPECT_EQ(items.at(0).at("created_at").get<std::string>().back(), 'Z');
}

// ---------------------------------------------------------------------------------------------
// Related lists

// The contacts list shows live linked contacts with the link's role, title and dates.
TEST_F(ClientsApiTest, ContactsListShowsLinks) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    const auto grace = addContact(id, "Grace", "Hopper", true);
    for (int i = 0; i < 4; ++i) {
        addContact(id, "Person" + std::to_string(i), "X");
    }
    addContact(id, "Deleted", "Person", false, true);
    const auto items = walk(recruiter_, "/api/clients/" + id + "/contacts?limit=2");
    ASSERT_EQ(items.size(), 5u);
    std::set<std::string> seen;
    for (const auto& item : items) {
        EXPECT_TRUE(seen.insert(item.at("contact").at("id").get<std::string>()).second);
        EXPECT_NE(item.at("contact").at("first_name"), "Deleted");
    }
    const auto& first_linked = items.back();  // newest link first
    EXPECT_EQ(first_linked.at("contact").at("id"), grace);
    EXPECT_EQ(first_linked.at("contact").at("last_name"), "Hopper");
    EXPECT_EQ(first_linked.at("contact").at("email"), "grace@example.com");
    EXPECT_EQ(first_linked.at("role"), "buyer");
    EXPECT_EQ(first_linked.at("title"), "CTO");
    EXPECT_EQ(first_linked.at("is_primary_contact"), true);
    EXPECT_EQ(first_linked.at("start_date"), "2025-01-01");
    EXPECT_TRUE(first_linked.at("end_date").is_null());
}

// Jobs and projects lists show the client's own live rows, filterable by status.
TEST_F(ClientsApiTest, JobsAndProjectsLists) {
    const auto id = createClient(sales_, {{"name", "Acme"}});
    const auto open_job = addJob(id, "open");
    const auto filled_job = addJob(id, "filled");
    addJob(id, "open", true);
    const auto project = addProject(id, "Rollout");
    addProject(id, "Cancelled", true);
    const auto other = createClient(sales_, {{"name", "Other"}});
    addJob(other, "open");

    EXPECT_EQ(sorted(ids(walk(sales_, "/api/clients/" + id + "/jobs?limit=1"))),
              sorted({open_job, filled_job}));
    const auto open_only = walk(sales_, "/api/clients/" + id + "/jobs?status=open");
    ASSERT_EQ(open_only.size(), 1u);
    EXPECT_EQ(open_only.at(0).at("id"), open_job);
    EXPECT_EQ(open_only.at(0).at("title"), "Engineer");
    const auto projects = walk(sales_, "/api/clients/" + id + "/projects");
    ASSERT_EQ(projects.size(), 1u);
    EXPECT_EQ(projects.at(0).at("id"), project);
    EXPECT_EQ(projects.at(0).at("budget"), "5000.00");
    EXPECT_EQ(projects.at(0).at("currency"), "EUR");
    auto client = server_->clientFor(sales_);
    EXPECT_EQ(errorFields(client.get("/api/clients/" + id + "/jobs?status=sleeping")),
              std::set<std::string>{"status"});
    EXPECT_EQ(errorFields(client.get("/api/clients/" + id + "/projects?sort=name&with_total=true")),
              (std::set<std::string>{"sort", "with_total"}));
}

// A client without related rows has empty lists, not 404s.
TEST_F(ClientsApiTest, EmptyRelatedListsAreEmpty) {
    const auto id = createClient(sales_, {{"name", "Lonely"}});
    auto client = server_->clientFor(recruiter_);
    for (const auto* list : {"contacts", "jobs", "projects"}) {
        const auto response = client.get("/api/clients/" + id + "/" + list);
        ASSERT_EQ(response.status, 200) << list;
        EXPECT_EQ(response.json().at("data"), json::array()) << list;
        EXPECT_TRUE(response.json().at("page").at("next_cursor").is_null()) << list;
    }
}

// ---------------------------------------------------------------------------------------------
// Summary

// The summary sentence is built from the data, and its facts are returned with it.
TEST_F(ClientsApiTest, SummaryDescribesTheRelationship) {
    sql("UPDATE users SET name = 'Ada Byron' WHERE id = $1", {sales_.id});
    const auto id = createClient(sales_, {{"name", "Acme Corp"},
                                          {"industry", "software"},
                                          {"size", "51-200"},
                                          {"status", "active"}});
    const auto grace = addContact(id, "Grace", "Hopper", true);
    addContact(id, "Alan", "Turing");
    addContact(id, "Ada", "Lovelace");
    addContact(id, "Edsger", "Dijkstra");
    addContact(id, "Deleted", "Person", false, true);
    addJob(id, "open");
    addJob(id, "open");
    addJob(id, "filled");
    const auto deal = addDeal(id, "open", "12000", "EUR");
    addDeal(id, "won", "99999", "EUR");
    addProject(id, "Rollout");
    sql("INSERT INTO sales_activities (org_id, type, subject, client_id, created_at) "
        "VALUES ($1, 'call', 'Intro', $2, now() - interval '3 days')",
        {org_.id, id});
    sql("INSERT INTO sales_activities (org_id, type, subject, deal_id, created_at) "
        "VALUES ($1, 'note', 'Older', $2, now() - interval '10 days')",
        {org_.id, deal});
    // Activity on a deleted deal is not the client's: it left with the deal.
    const auto gone_deal = addDeal(id, "open", "500", "EUR", true);
    sql("INSERT INTO sales_activities (org_id, type, subject, deal_id, created_at) "
        "VALUES ($1, 'call', 'On a deleted deal', $2, now() - interval '1 day')",
        {org_.id, gone_deal});

    const auto response = server_->clientFor(recruiter_).get("/api/clients/" + id + "/summary");
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = response.json();
    EXPECT_EQ(
        body.at("summary"),
        "Acme Corp (software, 51-200) is an active client owned by Ada Byron. 4 contacts "
        "(primary: Grace Hopper), 2 open jobs, 1 open deal worth EUR 12,000.00, last activity "
        "3 days ago.");
    const auto& facts = body.at("facts");
    EXPECT_EQ(facts.at("contacts"), 4);
    EXPECT_EQ(facts.at("primary_contact"), json({{"id", grace}, {"name", "Grace Hopper"}}));
    EXPECT_EQ(facts.at("open_jobs"), 2);
    EXPECT_EQ(facts.at("open_deals"), 1);
    EXPECT_EQ(facts.at("open_deal_value"),
              json::array({{{"currency", "EUR"}, {"amount", "12000.00"}}}));
    EXPECT_EQ(facts.at("projects"), 1);
    EXPECT_EQ(facts.at("days_since_last_activity"), 3);
    EXPECT_EQ(facts.at("owner"), json({{"id", sales_.id}, {"name", "Ada Byron"}}));
}

// A link that ended, or has not begun, is a former or future contact: listed with its dates,
// not counted, and never named as the primary contact.
TEST_F(ClientsApiTest, OnlyLinksInForceTodayAreCounted) {
    const auto id = createClient(sales_, {{"name", "Initech"}});
    addContact(id, "Peter", "Gibbons");
    const auto former = addContact(id, "Bill", "Lumbergh", true);
    const auto future = addContact(id, "Milton", "Waddams");
    sql("UPDATE client_contacts SET end_date = '2020-01-01', start_date = '2018-01-01' "
        "WHERE contact_id = $1", {former});
    sql("UPDATE client_contacts SET start_date = '2099-01-01' WHERE contact_id = $1", {future});
    auto client = server_->clientFor(sales_);
    EXPECT_EQ(client.get("/api/clients/" + id).json().at("counts").at("contacts"), 1);
    const auto summary = client.get("/api/clients/" + id + "/summary").json();
    EXPECT_EQ(summary.at("facts").at("contacts"), 1);
    EXPECT_TRUE(summary.at("facts").at("primary_contact").is_null()) << summary.dump();
    EXPECT_NE(summary.at("summary").get<std::string>().find("1 contact,"), std::string::npos) << summary.dump();
    EXPECT_EQ(client.get("/api/clients/" + id + "/contacts").json().at("data").size(), 3u);
}

// A new client's summary says what is missing.
TEST_F(ClientsApiTest, SummaryOfANewClient) {
    const auto id = createClient(manager_, {{"name", "Blank Ltd"}, {"owner_id", nullptr}});
    const auto body = server_->clientFor(sales_).get("/api/clients/" + id + "/summary").json();
    EXPECT_EQ(body.at("summary"),
              "Blank Ltd is a prospective client with no owner. No contacts, no "
              "open jobs, no open deals, no recorded activity.");
    EXPECT_TRUE(body.at("facts").at("last_activity_at").is_null());
}

// ---------------------------------------------------------------------------------------------
// List, filters and pages

// q finds a substring of the name or the domain in any case; % and _ are taken literally.
TEST_F(ClientsApiTest, SearchMatchesNameOrDomain) {
    const auto acme = createClient(sales_, {{"name", "Acme Corporation"}});
    const auto globex = createClient(sales_, {{"name", "Globex"}, {"domain", "acme-partner.io"}});
    const auto percent = createClient(sales_, {{"name", "100% Organic"}});
    const auto underscore = createClient(sales_, {{"name", "A_B Trading"}});
    const auto lookalike = createClient(sales_, {{"name", "AxB Trading"}});
    EXPECT_EQ(listIds(sales_, "q=ACME"), sorted({acme, globex}));
    EXPECT_EQ(listIds(sales_, "q=partner.IO"), std::vector<std::string>{globex});
    EXPECT_EQ(listIds(sales_, "q=0%25"), std::vector<std::string>{percent});
    EXPECT_EQ(listIds(sales_, "q=A_B"), std::vector<std::string>{underscore});
    EXPECT_EQ(listIds(sales_, "q=%25"), std::vector<std::string>{percent});
    EXPECT_EQ(listIds(sales_, "q=Trading"), sorted({underscore, lookalike}));
    EXPECT_EQ(listIds(sales_, "q=").size(), 5u);  // an empty search is no filter
    EXPECT_EQ(listIds(sales_, "q=zz").size(), 0u);
    // Greek in capitals is the same word: "ΌΜΙΛΟΣ" finds "Όμιλος" (one Σ for both sigmas), and a
    // tag typed in capitals is spelt as Greek writes it.
    const auto greek = createClient(sales_, {{"name", "Αθηναϊκός Όμιλος"}, {"tags", {"ΦΊΛΟΣ"}}});
    EXPECT_EQ(listIds(sales_, "q=%CE%8C%CE%9C%CE%99%CE%9B%CE%9F%CE%A3"), std::vector<std::string>{greek});
    EXPECT_EQ(listIds(sales_, "q=%CE%9F%CE%9C%CE%99%CE%9B%CE%9F%CE%A3"), std::vector<std::string>{greek});  // ΟΜΙΛΟΣ
    const auto societe = createClient(sales_, {{"name", "Société Générale"}});
    EXPECT_EQ(listIds(sales_, "q=societe%20gen"), std::vector<std::string>{societe});  // accents ignored
    EXPECT_EQ(listIds(sales_, "q=A%EF%BC%BFB"), std::vector<std::string>{underscore});  // ＿ is a literal _
    EXPECT_EQ(listIds(sales_, "tag=%CF%86%CE%AF%CE%BB%CE%BF%CF%82"), std::vector<std::string>{greek});  // φίλος
    // Apostrophes are not compared and a run of spaces is one: "oreilly" finds O’Reilly (typed
    // on a phone), "oreilly  media" too.
    const auto oreilly = createClient(sales_, {{"name", "O\u2019Reilly Media"}});
    EXPECT_EQ(listIds(sales_, "q=oreilly"), std::vector<std::string>{oreilly});
    EXPECT_EQ(listIds(sales_, "q=O'Reilly%20%20media"), std::vector<std::string>{oreilly});
    // Hyphens and other punctuation are spaces: "muller lud" finds Müller-Lüdenscheidt, "st
    // john" finds St. John's, and the name typed with its punctuation still finds it.
    const auto muller = createClient(sales_, {{"name", "Müller-Lüdenscheidt GmbH"}});
    const auto stjohn = createClient(sales_, {{"name", "St. John's (UK), Ltd"}});
    EXPECT_EQ(listIds(sales_, "q=muller%20lud"), std::vector<std::string>{muller});
    EXPECT_EQ(listIds(sales_, "q=M%C3%BCller-L%C3%BCdenscheidt"), std::vector<std::string>{muller});
    EXPECT_EQ(listIds(sales_, "q=st%20johns%20uk%20ltd"), std::vector<std::string>{stjohn});
    EXPECT_EQ(listIds(sales_, "q=St.%20John's%20(UK)"), std::vector<std::string>{stjohn});
    // Punctuation alone folds to nothing, which every name contains: refused, not "everyone".
    auto client = server_->clientFor(sales_);
    for (const auto* q : {"...", "-", "%27%27%27", "()"}) {
        const auto refused = client.get(std::string("/api/clients?q=") + q);
        EXPECT_EQ(refused.status, 422) << q;
        EXPECT_EQ(errorFields(refused), std::set<std::string>{"q"}) << q;
    }
}

// status (any of), industry, owner_id and tag (all of) narrow the list.
TEST_F(ClientsApiTest, FiltersNarrowTheList) {
    const auto a = createClient(
        sales_,
        {{"name", "A"}, {"status", "active"}, {"industry", "software"}, {"tags", {"vip", "emea"}}});
    const auto b = createClient(
        sales_, {{"name", "B"}, {"status", "churned"}, {"industry", "retail"}, {"tags", {"vip"}}});
    const auto c = createClient(
        manager_,
        {{"name", "C"}, {"status", "active"}, {"industry", "software"}, {"tags", {"emea"}}});
    EXPECT_EQ(listIds(sales_, "status=active"), sorted({a, c}));
    EXPECT_EQ(listIds(sales_, "status=active&status=churned"), sorted({a, b, c}));
    EXPECT_EQ(listIds(sales_, "industry=software"), sorted({a, c}));
    EXPECT_EQ(listIds(sales_, "industry=SOFTWARE"), sorted({a, c}));  // any case
    EXPECT_EQ(listIds(sales_, "owner_id=" + manager_.id), std::vector<std::string>{c});
    EXPECT_EQ(listIds(sales_, "tag=vip"), sorted({a, b}));
    EXPECT_EQ(listIds(sales_, "tag=vip&tag=emea"), std::vector<std::string>{a});
    EXPECT_EQ(listIds(sales_, "tag=VIP&tag=Emea"), std::vector<std::string>{a});  // any case
    EXPECT_EQ(listIds(sales_, "tag=vip&status=churned&industry=retail"),
              std::vector<std::string>{b});
}

// created_from / created_to take times or whole days.
TEST_F(ClientsApiTest, CreatedRangeFilters) {
    const auto old = createClient(sales_, {{"name", "Old"}});
    const auto mid = createClient(sales_, {{"name", "Mid"}});
    const auto recent = createClient(sales_, {{"name", "Recent"}});
    sql("UPDATE clients SET created_at = '2025-01-10T12:00:00Z' WHERE id = $1", {old});
    sql("UPDATE clients SET created_at = '2025-02-01T23:30:00Z' WHERE id = $1", {mid});
    sql("UPDATE clients SET created_at = '2025-03-01T00:00:00Z' WHERE id = $1", {recent});
    EXPECT_EQ(listIds(sales_, "created_from=2025-02-01"), sorted({mid, recent}));
    EXPECT_EQ(listIds(sales_, "created_to=2025-02-01"), sorted({old, mid}));  // the whole day
    EXPECT_EQ(listIds(sales_, "created_from=2025-01-10T12:00:01Z&created_to=2025-03-01T00:00:00Z"),
              sorted({mid, recent}));
    // 01:00 at +02:00 is 23:00Z, before mid; an offset whose '+' arrived as a space still counts.
    EXPECT_EQ(listIds(sales_, "created_to=2025-02-02T01:00:00%2B02:00"),
              std::vector<std::string>{old});
    EXPECT_EQ(listIds(sales_, "created_to=2025-02-02T02:00:00+02:00"), sorted({old, mid}));
}

// Bad filters are all named in one 422, unknown parameters included.
TEST_F(ClientsApiTest, BadFiltersAreNamed) {
    const auto response = server_->clientFor(sales_).get(
        "/api/clients?status=gone&owner_id=me&created_from=yesterday&created_to=2025-13-01"
        "&include_deleted=maybe&limit=0&sort=colour&with_total=perhaps&colour=red&q=" +
        std::string(201, 'x'));
    ASSERT_EQ(response.status, 422);
    EXPECT_EQ(
        errorFields(response),
        (std::set<std::string>{"status", "owner_id", "created_from", "created_to",
                               "include_deleted", "limit", "sort", "with_total", "colour", "q"}));
    EXPECT_EQ(
        errorFields(server_->clientFor(sales_).get("/api/clients?industry=a&industry=b&q=%FF")),
        (std::set<std::string>{"industry", "q"}));
    // Text that prints as nothing (U+200B, U+FEFF) is blank: a 422 as a filter, no filter as q.
    EXPECT_EQ(errorFields(server_->clientFor(sales_).get("/api/clients?tag=%E2%80%8B&industry=%EF%BB%BF")),
              (std::set<std::string>{"tag", "industry"}));
    createClient(sales_, {{"name", "Seen"}});
    EXPECT_EQ(server_->clientFor(sales_).get("/api/clients?q=%E2%80%8B%E2%80%8B%E2%80%8B").json().at("data").size(), 1u);
}

// A cursor that was not handed out, or belongs to another sort, is a 422 naming `cursor`.
TEST_F(ClientsApiTest, ForeignCursorsAreRefused) {
    for (int i = 0; i < 3; ++i) {
        createClient(sales_, {{"name", "C" + std::to_string(i)}});
    }
    auto client = server_->clientFor(sales_);
    const auto page = client.get("/api/clients?limit=1&sort=name").json();
    const auto cursor = page.at("page").at("next_cursor").get<std::string>();
    EXPECT_EQ(errorFields(client.get("/api/clients?limit=1&sort=-name&cursor=" + cursor)),
              std::set<std::string>{"cursor"});
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=garbage")),
              std::set<std::string>{"cursor"});
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=garbage&limit=0")),
              (std::set<std::string>{"cursor", "limit"}));
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=&limit=0&sort=colour")),
              (std::set<std::string>{"cursor", "limit", "sort"}));
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=" + cursor + "&sort=colour")), std::set<std::string>{"sort"});
    // A parameter given twice is named once, for the repeat, not also for its values.
    const auto twice = client.get("/api/clients?limit=0&limit=0&created_from=x&created_from=y&include_deleted=1&include_deleted=2");
    ASSERT_EQ(twice.status, 422);
    const auto twice_body = twice.json();  // kept: the loop reads into it
    ASSERT_EQ(twice_body.at("errors").size(), 3u) << twice.body;
    for (const auto& error : twice_body.at("errors")) {
        EXPECT_EQ(error.at("message"), "must be given once") << twice.body;
    }
    // The same list by another spelling of its path takes the cursor.
    EXPECT_EQ(client.get("/api/v1/clients/?limit=1&sort=name&cursor=" + cursor).status, 200);
    // Another organisation's cursor names a place in its list, not in this one.
    EXPECT_EQ(errorFields(server_->clientFor(stranger_).get("/api/clients?limit=1&sort=name&cursor=" + cursor)),
              std::set<std::string>{"cursor"});
    // A cursor is good for the list that handed it out only: not another list, not another
    // client's sub-list.
    const auto list_cursor = client.get("/api/clients?limit=1").json().at("page").at("next_cursor").get<std::string>();
    EXPECT_EQ(errorFields(client.get("/api/users?cursor=" + list_cursor)), std::set<std::string>{"cursor"});
    EXPECT_EQ(errorFields(client.get("/api/clients/" + page.at("data").at(0).at("id").get<std::string>() +
                                     "/contacts?cursor=" + list_cursor)),
              std::set<std::string>{"cursor"});
    const auto forged = core::encodeCursor(
        "/api/clients", "-created_at",
        json::array({"2025-99-99 00:00:00+00", "00000000-0000-7000-8000-000000000000"}));
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=" + forged)),
              std::set<std::string>{"cursor"});
    const auto injected = core::encodeCursor("/api/clients", "-created_at", json::array({"now()", "x"}));
    EXPECT_EQ(errorFields(client.get("/api/clients?cursor=" + injected)),
              std::set<std::string>{"cursor"});
}

// Walking the pages of every sort yields every client once, in the database's order, with
// ties on name and on created_at broken by id.
TEST_F(ClientsApiTest, PagesCoverEveryClientOnceInEverySort) {
    for (int i = 0; i < 4; ++i) {
        createClient(sales_, {{"name", "Same Name"}});
    }
    for (const auto* name : {"alpha", "Bravo", "charlie", "delta", "Élan"}) {
        createClient(manager_, {{"name", name}});
    }
    // Five clients sharing one created_at (one statement, one now()).
    sql("INSERT INTO clients (org_id, name) SELECT $1, 'Batch ' || i FROM generate_series(1, 5) i",
        {org_.id});
    const auto touched = listIds(sales_, "q=Same");
    sql("UPDATE clients SET notes = 'touched' WHERE id = $1", {touched.at(0)});
    const auto deleted = createClient(sales_, {{"name", "Deleted"}});
    server_->clientFor(sales_).del("/api/clients/" + deleted);

    const std::map<std::string, std::string> order_by{
        {"-created_at", "created_at DESC, id DESC"},
        {"created_at", "created_at, id"},
        {"name", "crm_fold(name), id"},
        {"-name", "crm_fold(name) DESC, id DESC"},
        {"-updated_at", "updated_at DESC, id DESC"},
    };
    for (const auto& [sort, sql_order] : order_by) {
        const auto walked = ids(walk(recruiter_, "/api/clients?limit=3&sort=" + sort));
        auto connection = server_->database().connect();
        pqxx::read_transaction tx(connection);
        std::vector<std::string> expected;
        for (const auto& row :
             tx.exec_params("SELECT id FROM clients WHERE org_id = $1 AND deleted_at "
                            "IS NULL ORDER BY " +
                                sql_order,
                            org_.id)) {
            expected.push_back(row[0].as<std::string>());
        }
        EXPECT_EQ(expected.size(), 14u);
        EXPECT_EQ(walked, expected) << sort;
        // With the deleted client: the live and the deleted pages merge in the same order.
        std::vector<std::string> every;
        for (const auto& row : tx.exec_params("SELECT id FROM clients WHERE org_id = $1 ORDER BY " + sql_order, org_.id)) {
            every.push_back(row[0].as<std::string>());
        }
        EXPECT_EQ(every.size(), 15u);
        EXPECT_EQ(ids(walk(manager_, "/api/clients?limit=3&include_deleted=true&sort=" + sort)), every) << sort;
    }
    // Names sort as a reader orders them, without regard to case or accents.
    std::vector<std::string> names;
    for (const auto& item : walk(recruiter_, "/api/clients?limit=3&sort=name")) {
        names.push_back(item.at("name").get<std::string>());
    }
    ASSERT_EQ(names.size(), 14u);
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 10),
              (std::vector<std::string>{"alpha", "Batch 1", "Batch 2", "Batch 3", "Batch 4", "Batch 5",
                                        "Bravo", "charlie", "delta", "Élan"}));
}

// Every sort reads its page through an index, the deleted clients included (migration 0028):
// a page reads about a page of rows, wherever its cursor stands, instead of sorting the
// organisation.
TEST_F(ClientsApiTest, EverySortReadsAboutAPage) {
    sql("INSERT INTO clients (org_id, name, created_at, updated_at, deleted_at) "
        "SELECT $1, 'Firm ' || (i % 613), now() - i * interval '1 minute', now() - (i % 97) * interval '1 hour', "
        "CASE WHEN i % 5 = 0 THEN now() END FROM generate_series(1, 4000) i",
        {org_.id});
    {
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        tx.exec("VACUUM ANALYZE clients");
    }
    auto connection = server_->database().connect();
    pqxx::read_transaction tx(connection);
    const auto middle = tx.exec_params1("SELECT crm_fold(name), created_at::text, updated_at::text, id::text FROM clients "
                                        "WHERE org_id = $1 ORDER BY created_at LIMIT 1 OFFSET 2000",
                                        org_.id);
    const std::vector<std::string> sorts{"-created_at", "created_at", "name", "-name", "-updated_at"};
    for (const auto& sort : sorts) {
        for (const bool include_deleted : {false, true}) {
            for (const bool deep : {false, true}) {
                core::QueryParams params;
                params.add("sort", sort);
                auto page = core::parsePageRequest(params, "/api/clients", sorts);
                if (deep) {
                    const int key = sort.find("name") != std::string::npos ? 0 : sort == "-updated_at" ? 2 : 1;
                    page.after = json::array({middle[key].as<std::string>(), middle[3].as<std::string>()});
                }
                clients::repo::ClientFilter filter;
                filter.include_deleted = include_deleted;
                const auto query = clients::repo::buildListQuery(org_.id, filter, page, clients::repo::ListPlan::Direct);
                const auto plan = analyzedPlan(tx, query.sql, query.params);
                const auto label = sort + (include_deleted ? " with deleted" : "") + (deep ? " (deep)" : "");
                EXPECT_LE(rowsRead(plan), 2 * 51) << label << plan.dump(1);
            }
        }
    }
}

// with_total counts the matching clients.
TEST_F(ClientsApiTest, WithTotalCountsMatches) {
    for (int i = 0; i < 3; ++i) {
        createClient(sales_, {{"name", "Acme " + std::to_string(i)}});
    }
    createClient(sales_, {{"name", "Globex"}});
    const auto body =
        server_->clientFor(sales_).get("/api/clients?limit=1&with_total=true&q=acme").json();
    EXPECT_EQ(body.at("data").size(), 1u);
    EXPECT_EQ(body.at("page").at("total"), 3);
    EXPECT_EQ(body.at("page").at("total_capped"), false);
    EXPECT_EQ(body.at("page").at("limit"), 1);
    EXPECT_FALSE(
        server_->clientFor(sales_).get("/api/clients").json().at("page").contains("total"));
}

// On a realistic table a search is answered by the trigram indexes, not by walking the
// organisation's rows, even for a text that is common only in other organisations; the probe
// tried first reads a bounded slice of the organisation's sort index.
TEST_F(ClientsApiTest, SearchUsesTrigramIndexes) {
    // 60,000 clients of another organisation, 10,000 of them called "Company ...".
    sql("INSERT INTO clients (org_id, name, domain) SELECT $1, CASE WHEN i % 6 = 0 THEN 'Company ' "
        "ELSE 'Agency ' END || i, 'org' || i || '.example.com' FROM generate_series(1, 60000) i",
        {other_org_.id});
    sql("INSERT INTO clients (org_id, name, domain) "
        "SELECT $1, 'Firm ' || i, 'firm' || i || '.test' FROM generate_series(1, 20000) i",
        {org_.id});
    const auto needle = createClient(sales_, {{"name", "Zyxwvut Holdings"}, {"domain", "zyxw.io"}});
    {
        // What autovacuum does on a live table: flush the GIN pending lists, gather statistics.
        auto connection = server_->database().connect();
        pqxx::nontransaction tx(connection);
        tx.exec("VACUUM ANALYZE clients");
    }
    auto connection = server_->database().connect();
    pqxx::read_transaction tx(connection);
    auto explain = [&](const clients::repo::ListQuery& query) {
        std::string plan;
        for (const auto& row : tx.exec_params("EXPLAIN " + query.sql,
                                              pqxx::prepare::make_dynamic_params(query.params))) {
            plan += row[0].as<std::string>() + "\n";
        }
        return plan;
    };
    for (const std::string q : {"zyxwv", "company", "firm 42"}) {
        for (const std::string sort : {"-created_at", "name"}) {
            core::QueryParams params;
            params.add("sort", sort);
            const auto page = core::parsePageRequest(params, "/api/clients", {"-created_at", "name"});
            clients::repo::ClientFilter filter;
            filter.q = q;
            const auto trigram = explain(clients::repo::buildListQuery(
                org_.id, filter, page, clients::repo::ListPlan::TrigramFirst));
            EXPECT_NE(trigram.find("Bitmap Index Scan on clients_name_trgm"), std::string::npos)
                << trigram;
            EXPECT_NE(trigram.find("Bitmap Index Scan on clients_domain_trgm"), std::string::npos)
                << trigram;
            EXPECT_EQ(trigram.find("Seq Scan"), std::string::npos) << trigram;
            const auto probe = explain(clients::repo::buildListQuery(
                org_.id, filter, page, clients::repo::ListPlan::Probe));
            EXPECT_NE(probe.find(sort == "name" ? "Index Scan using clients_name_sort_idx"
                                                : "Index Scan using clients_keyset_idx"),
                      std::string::npos)
                << probe;
            EXPECT_EQ(probe.find("Seq Scan"), std::string::npos) << probe;
        }
    }
    EXPECT_EQ(listIds(sales_, "q=zyxwv"), std::vector<std::string>{needle});
    EXPECT_TRUE(listIds(sales_, "q=company").empty());
    const auto firms =
        server_->clientFor(sales_).get("/api/clients?q=firm%2042&with_total=true&sort=name").json();
    EXPECT_EQ(firms.at("page").at("total"), 111);  // Firm 42, 420-429, 4200-4299
    EXPECT_EQ(firms.at("data").at(0).at("name"), "Firm 42");
    EXPECT_EQ(
        server_->clientFor(sales_).get("/api/clients?q=firm&limit=200").json().at("data").size(),
        200u);
}

// Search pages are exact whether the probe fills them or the trigram path does: walking them
// gives the database's own order of the matches.
TEST_F(ClientsApiTest, SearchPagesAreExactOnBothPaths) {
    sql("INSERT INTO clients (org_id, name, domain) SELECT $1, CASE WHEN i % 25 = 0 THEN 'Beta ' "
        "ELSE 'Alpha ' END || (i % 7), 'c' || i || '.test' FROM generate_series(1, 125) i",
        {org_.id});
    sql("INSERT INTO clients (org_id, name) VALUES ($1, 'Alphabet Deleted')", {org_.id});
    sql("UPDATE clients SET deleted_at = now() WHERE name = 'Alphabet Deleted'");
    for (const std::string q : {"alpha", "BETA"}) {
        for (const std::string sort : {"-created_at", "name", "-name", "-updated_at"}) {
            const auto walked = ids(
                walk(recruiter_, "/api/clients?limit=" + std::string(q == "alpha" ? "50" : "2") +
                                     "&q=" + q + "&sort=" + sort));
            const std::string column = sort.find("name") != std::string::npos ? "name"
                                       : sort == "-updated_at"                ? "updated_at"
                                                                              : "created_at";
            const std::string direction = sort[0] == '-' ? " DESC" : "";
            auto connection = server_->database().connect();
            pqxx::read_transaction tx(connection);
            std::vector<std::string> expected;
            for (const auto& row : tx.exec_params(
                     "SELECT id FROM clients WHERE org_id = $1 AND deleted_at IS NULL AND "
                     "name ILIKE '%' || $2 || '%' ORDER BY " +
                         column + direction + ", id" + direction,
                     org_.id, q)) {
                expected.push_back(row[0].as<std::string>());
            }
            EXPECT_EQ(expected.size(), q == "alpha" ? 120u : 5u);
            EXPECT_EQ(walked, expected) << q << " " << sort;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tenants and permissions

// Another organisation's client is a 404 on every route, and never in a list.
TEST_F(ClientsApiTest, OtherOrganisationsClientsAreNotFound) {
    const auto foreign = createClient(stranger_, {{"name", "Foreign"}, {"domain", "foreign.com"}});
    auto admin = server_->clientFor(admin_);
    const auto base = "/api/clients/" + foreign;
    EXPECT_EQ(admin.get(base).status, 404);
    EXPECT_EQ(admin.put(base, {{"city", "Rome"}}).status, 404);
    EXPECT_EQ(admin.del(base).status, 404);
    EXPECT_EQ(admin.post(base + "/restore", json::object()).status, 404);
    EXPECT_EQ(admin.post(base + "/assign", {{"owner_id", admin_.id}}).status, 404);
    for (const auto* sub : {"/contacts", "/jobs", "/projects", "/history", "/summary"}) {
        EXPECT_EQ(admin.get(base + sub).status, 404) << sub;
    }
    EXPECT_TRUE(listIds(admin_, "q=foreign").empty());
    EXPECT_TRUE(listIds(admin_, "include_deleted=true").empty());
    // Deleted in its own organisation, it is still not restorable from ours.
    server_->clientFor(stranger_).del(base);
    EXPECT_EQ(admin.post(base + "/restore", json::object()).status, 404);
    EXPECT_EQ(server_->clientFor(stranger_).get(base).status, 404);
}

// What each role may do on every route, on a client the caller does not own.
TEST_F(ClientsApiTest, PermissionMatrix) {
    struct Case {
        std::string method;
        std::string path;
        json body;
        std::map<std::string, int> expected;  // role → status
    };
    const auto id = createClient(admin_, {{"name", "Matrix"}});
    const auto base = "/api/clients/" + id;
    const std::map<std::string, int> all_read{
        {"admin", 200}, {"manager", 200}, {"recruiter", 200}, {"sales", 200}};
    const std::vector<Case> cases{
        {"GET", "/api/clients", nullptr, all_read},
        {"POST",
         "/api/clients",
         {{"name", "New"}},
         {{"admin", 201}, {"manager", 201}, {"recruiter", 403}, {"sales", 201}}},
        {"GET", base, nullptr, all_read},
        {"PUT",
         base,
         {{"notes", "x"}},
         {{"admin", 200}, {"manager", 200}, {"recruiter", 403}, {"sales", 403}}},
        {"POST",
         base + "/assign",
         {{"owner_id", admin_.id}},
         {{"admin", 200}, {"manager", 200}, {"recruiter", 403}, {"sales", 403}}},
        {"GET", base + "/contacts", nullptr, all_read},
        {"GET", base + "/jobs", nullptr, all_read},
        {"GET", base + "/projects", nullptr, all_read},
        {"GET", base + "/history", nullptr, all_read},
        {"GET", base + "/summary", nullptr, all_read},
    };
    const std::map<std::string, TestUser> users{
        {"admin", admin_}, {"manager", manager_}, {"recruiter", recruiter_}, {"sales", sales_}};
    for (const auto& test : cases) {
        for (const auto& [role, status] : test.expected) {
            auto client = server_->clientFor(users.at(role));
            const auto response = test.body.is_null()
                                      ? client.request(test.method, test.path)
                                      : client.request(test.method, test.path, test.body.dump());
            EXPECT_EQ(response.status, status)
                << role << " " << test.method << " " << test.path << ": " << response.body;
        }
    }
    // DELETE and restore last, each on its own client per role.
    const std::map<std::string, std::pair<int, int>> destructive{{"admin", {204, 200}},
                                                                 {"manager", {204, 200}},
                                                                 {"recruiter", {403, 403}},
                                                                 {"sales", {403, 403}}};
    for (const auto& [role, statuses] : destructive) {
        const auto victim = createClient(admin_, {{"name", "Victim"}});
        EXPECT_EQ(server_->clientFor(users.at(role)).del("/api/clients/" + victim).status,
                  statuses.first)
            << role;
        const auto deleted = createClient(admin_, {{"name", "Deleted"}});
        ASSERT_EQ(server_->clientFor(admin_).del("/api/clients/" + deleted).status, 204);
        EXPECT_EQ(server_->clientFor(users.at(role))
                      .post("/api/clients/" + deleted + "/restore", json::object())
                      .status,
                  statuses.second)
            << role;
    }
}

// Sales users manage the clients they own: change, hand over, delete, restore.
TEST_F(ClientsApiTest, SalesOwnerManagesOwnClient) {
    const auto id = createClient(sales_, {{"name", "Mine"}});
    auto sales = server_->clientFor(sales_);
    EXPECT_EQ(sales.put("/api/clients/" + id, {{"notes", "x"}}).status, 200);
    EXPECT_EQ(sales.del("/api/clients/" + id).status, 204);
    EXPECT_EQ(sales.post("/api/clients/" + id + "/restore", json::object()).status, 200);
    EXPECT_EQ(sales.post("/api/clients/" + id + "/assign", {{"owner_id", manager_.id}}).status,
              200);
}

}  // namespace
}  // namespace crm::test
