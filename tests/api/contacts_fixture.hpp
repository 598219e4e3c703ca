#pragma once

// Shared set-up of the contacts API tests (contacts_*_test.cpp): one organisation with a user
// of every role (two sales people and two recruiters, to test ownership), and a second
// organisation whose admin must never see the first one's rows.

#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::test {

class ContactsFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = TestServer::start({{"CRM_DEFAULT_PHONE_REGION", "US"}}); }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        server_->reset();
        org_ = server_->createOrganization("Acme Staffing");
        admin_ = server_->createUser(org_, "admin");
        manager_ = server_->createUser(org_, "manager");
        recruiter_ = server_->createUser(org_, "recruiter");
        recruiter2_ = server_->createUser(org_, "recruiter");
        sales_ = server_->createUser(org_, "sales");
        sales2_ = server_->createUser(org_, "sales");
        other_org_ = server_->createOrganization("Other Co");
        stranger_ = server_->createUser(other_org_, "admin");
    }

    static HttpClient as(const TestUser& user) { return server_->clientFor(user); }

    /// Creates a contact through the API and returns its body (fails the test unless 201).
    static nlohmann::json createContact(const TestUser& user, const nlohmann::json& body,
                                        const std::string& query = "") {
        const auto response = as(user).post("/api/contacts" + query, body);
        EXPECT_EQ(response.status, 201) << response.body;
        return response.status == 201 ? response.json() : nlohmann::json::object();
    }

    static std::string createContactId(const TestUser& user, const nlohmann::json& body) {
        return createContact(user, body).value("id", "");
    }

    /// Runs SQL in the test database (fixtures the API of other features does not offer yet).
    template <typename... Args>
    static pqxx::result sql(const std::string& query, Args&&... args) {
        auto connection = server_->database().connect();
        pqxx::work tx(connection);
        auto result = tx.exec_params(query, std::forward<Args>(args)...);
        tx.commit();
        return result;
    }

    static std::string insertClient(const TestOrg& org, const std::string& name,
                                    const std::string& status = "active") {
        return sql("INSERT INTO clients (org_id, name, status) VALUES ($1, $2, $3) RETURNING id",
                   org.id, name, status)[0][0]
            .as<std::string>();
    }

    /// An open deal of `client_id` in the organisation's default pipeline.
    static std::string insertDeal(const TestOrg& org, const std::string& client_id,
                                  const std::optional<std::string>& contact_id,
                                  const std::string& status = "open") {
        return sql(R"sql(
            INSERT INTO deals (org_id, title, client_id, contact_id, pipeline_id, stage_id, status,
                               won_at, lost_at)
            SELECT $1, 'Deal', $2, $3, p.id, s.id, $4,
                   CASE WHEN $4 = 'won' THEN now() END, CASE WHEN $4 = 'lost' THEN now() END
            FROM sales_pipelines p JOIN pipeline_stages s ON s.pipeline_id = p.id
            WHERE p.org_id = $1 AND p.is_default ORDER BY s.position LIMIT 1
            RETURNING id)sql",
                   org.id, client_id, contact_id, status)[0][0]
            .as<std::string>();
    }

    static std::string insertJob(const TestOrg& org, const std::optional<std::string>& client_id,
                                 const std::string& title, const std::string& status = "open") {
        return sql("INSERT INTO jobs (org_id, client_id, title, status) VALUES ($1, $2, $3, $4) "
                   "RETURNING id",
                   org.id, client_id, title, status)[0][0]
            .as<std::string>();
    }

    /// An application of a candidate profile to a job, in the stage of the given kind.
    static std::string insertApplication(const TestOrg& org, const std::string& job_id,
                                         const std::string& candidate_profile_id,
                                         const std::string& status = "active") {
        return sql(R"sql(
            INSERT INTO job_applications (org_id, job_id, candidate_profile_id, stage_id, status)
            SELECT $1, $2, $3, s.id, $4 FROM application_stages s
            WHERE s.org_id = $1
            ORDER BY (s.kind = CASE $4 WHEN 'hired' THEN 'hired' WHEN 'rejected' THEN 'rejected'
                                        ELSE 'active' END) DESC, s.position
            LIMIT 1 RETURNING id)sql",
                   org.id, job_id, candidate_profile_id, status)[0][0]
            .as<std::string>();
    }

    /// Every read of a table or an index in an EXPLAIN (FORMAT JSON) plan: "<node type> <index>
    /// on <table>", such as "Seq Scan  on contacts" or "Bitmap Index Scan contacts_pkey on "
    /// (a bitmap index scan names no table).
    static std::vector<std::string> tableScans(const nlohmann::json& plan) {
        std::vector<std::string> scans;
        std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
            if (node.is_object()) {
                if (!node.value("Relation Name", "").empty() || !node.value("Index Name", "").empty()) {
                    scans.push_back(node.value("Node Type", "") + " " + node.value("Index Name", "") + " on " +
                                    node.value("Relation Name", ""));
                }
                for (const auto& [key, value] : node.items()) {
                    walk(value);
                }
            } else if (node.is_array()) {
                for (const auto& value : node) {
                    walk(value);
                }
            }
        };
        walk(plan);
        return scans;
    }

    static long long count(const std::string& query) {
        return sql(query)[0][0].as<long long>();
    }

    // Whether another session is seen waiting for a lock within five seconds: a test that holds
    // a lock shows that a request waits for it before letting it go.
    static bool someoneWaitsForALock() {
        return seenWithinFiveSeconds("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND wait_event_type = 'Lock'");
    }

    // The same, for a lock that `holder`'s session has.
    static bool someoneWaitsForALockOf(const pqxx::connection& holder) {
        return seenWithinFiveSeconds("SELECT count(*) FROM pg_stat_activity WHERE " +
                                     std::to_string(holder.backendpid()) + " = ANY (pg_blocking_pids(pid))");
    }

    // Whether the count `query` returns is above zero within five seconds.
    static bool seenWithinFiveSeconds(const std::string& query) {
        for (int i = 0; i < 200; ++i) {
            if (count(query) > 0) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return false;
    }

    static std::vector<std::string> ids(const nlohmann::json& items) {
        std::vector<std::string> out;
        for (const auto& item : items) {
            out.push_back(item.at("id").get<std::string>());
        }
        return out;
    }

    static inline std::unique_ptr<TestServer> server_;
    TestOrg org_;
    TestOrg other_org_;
    TestUser admin_, manager_, recruiter_, recruiter2_, sales_, sales2_, stranger_;
};

}  // namespace crm::test
