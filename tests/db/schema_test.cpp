// Database schema tests: every constraint rejects a bad row with the right SQLSTATE class,
// triggers and generated columns behave, the summary view counts correctly, and the demo
// seed applies cleanly. Runs against a real, migrated PostgreSQL database.

#include "auth/admin_setup.hpp"
#include "support/database.hpp"
#include "support/query_plans.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using crm::test::TestDatabase;

// Fixed ids of the base fixture; SQL in this file names them as {key}.
const std::map<std::string, std::string>& fixtureIds() {
    static const std::map<std::string, std::string> ids{
        {"orgA", "00000000-0000-7000-8a00-000000000001"},
        {"orgB", "00000000-0000-7000-8b00-000000000001"},
        {"userA", "00000000-0000-7000-8a00-000000000002"},
        {"userB", "00000000-0000-7000-8b00-000000000002"},
        {"clientA", "00000000-0000-7000-8a00-000000000003"},
        {"clientB", "00000000-0000-7000-8b00-000000000003"},
        {"contactA", "00000000-0000-7000-8a00-000000000004"},
        {"contactB", "00000000-0000-7000-8b00-000000000004"},
        {"teamA", "00000000-0000-7000-8a00-000000000005"},
        {"teamB", "00000000-0000-7000-8b00-000000000005"},
        {"pipeline1", "00000000-0000-7000-8a00-000000000010"},
        {"stage1", "00000000-0000-7000-8a00-000000000011"},
        {"stage1won", "00000000-0000-7000-8a00-000000000012"},
        {"pipeline2", "00000000-0000-7000-8a00-000000000020"},
        {"stage2", "00000000-0000-7000-8a00-000000000021"},
        {"appStage1", "00000000-0000-7000-8a00-000000000030"},
        {"appStage2", "00000000-0000-7000-8a00-000000000031"},
        {"appStageB", "00000000-0000-7000-8b00-000000000030"},
        {"jobA", "00000000-0000-7000-8a00-000000000040"},
        {"candidateA", "00000000-0000-7000-8a00-000000000050"},
        {"candidateB", "00000000-0000-7000-8b00-000000000050"},
        {"salesA", "00000000-0000-7000-8a00-000000000060"},
        {"dealA", "00000000-0000-7000-8a00-000000000070"},
        {"projectA", "00000000-0000-7000-8a00-000000000080"},
        {"templateA", "00000000-0000-7000-8a00-000000000090"},
        {"messageA", "00000000-0000-7000-8a00-0000000000a0"},
        {"applicationA", "00000000-0000-7000-8a00-0000000000b0"},
        {"seedOrg", "00000000-0000-7000-8000-000000000001"},
    };
    return ids;
}

// Replaces every {key} of fixtureIds() in sql ("{{first_name}}" template text is left alone).
std::string expand(std::string sql) {
    for (const auto& [key, value] : fixtureIds()) {
        const std::string token = "{" + key + "}";
        for (auto pos = sql.find(token); pos != std::string::npos; pos = sql.find(token, pos)) {
            sql.replace(pos, token.size(), value);
            pos += value.size();
        }
    }
    return sql;
}

// Two organisations, each with a user, a client and a contact; org A also gets one row of
// the main tables (pipelines, stages, job, profiles, application, deal, project, template,
// message) so that bad rows can reference valid ones.
constexpr const char kFixtureSql[] = R"sql(
INSERT INTO organizations (id, name, slug) VALUES
    ('{orgA}', 'Org A', 'org-a'), ('{orgB}', 'Org B', 'org-b');
INSERT INTO teams (id, org_id, name) VALUES ('{teamA}', '{orgA}', 'Team A'), ('{teamB}', '{orgB}', 'Team B');
INSERT INTO users (id, org_id, email, name, role, team_id, password_hash) VALUES
    ('{userA}', '{orgA}', 'ann@a.example', 'Ann A', 'admin', '{teamA}', 'hash'),
    ('{userB}', '{orgB}', 'bob@b.example', 'Bob B', 'admin', '{teamB}', 'hash');
INSERT INTO clients (id, org_id, name, owner_id, created_by) VALUES
    ('{clientA}', '{orgA}', 'Client A', '{userA}', '{userA}'),
    ('{clientB}', '{orgB}', 'Client B', '{userB}', '{userB}');
INSERT INTO contacts (id, org_id, first_name, last_name, email, owner_id) VALUES
    ('{contactA}', '{orgA}', 'Cara', 'Alpha', 'cara@a.example', '{userA}'),
    ('{contactB}', '{orgB}', 'Carl', 'Beta', 'carl@b.example', '{userB}');
INSERT INTO sales_pipelines (id, org_id, name, is_default) VALUES
    ('{pipeline1}', '{orgA}', 'Main', true), ('{pipeline2}', '{orgA}', 'Partners', false);
INSERT INTO pipeline_stages (id, org_id, pipeline_id, name, position, win_probability, is_won) VALUES
    ('{stage1}', '{orgA}', '{pipeline1}', 'Lead', 0, 10, false),
    ('{stage1won}', '{orgA}', '{pipeline1}', 'Won', 1, 100, true),
    ('{stage2}', '{orgA}', '{pipeline2}', 'Intro', 0, 5, false);
INSERT INTO application_stages (id, org_id, name, position, kind, is_default) VALUES
    ('{appStage1}', '{orgA}', 'Sourced', 0, 'active', true),
    ('{appStage2}', '{orgA}', 'Interview', 1, 'active', false),
    ('{appStageB}', '{orgB}', 'Sourced', 0, 'active', true);
INSERT INTO jobs (id, org_id, client_id, title, owner_id) VALUES ('{jobA}', '{orgA}', '{clientA}', 'Backend Engineer', '{userA}');
INSERT INTO candidate_profiles (id, org_id, contact_id, headline, is_primary) VALUES
    ('{candidateA}', '{orgA}', '{contactA}', 'Engineer', true),
    ('{candidateB}', '{orgB}', '{contactB}', 'Engineer', true);
INSERT INTO sales_profiles (id, org_id, contact_id, client_id, company_name, is_primary)
    VALUES ('{salesA}', '{orgA}', '{contactA}', '{clientA}', 'Client A', true);
INSERT INTO job_applications (id, org_id, job_id, candidate_profile_id, stage_id)
    VALUES ('{applicationA}', '{orgA}', '{jobA}', '{candidateA}', '{appStage1}');
INSERT INTO deals (id, org_id, title, client_id, contact_id, pipeline_id, stage_id, value, currency)
    VALUES ('{dealA}', '{orgA}', 'Deal A', '{clientA}', '{contactA}', '{pipeline1}', '{stage1}', 1000, 'EUR');
INSERT INTO projects (id, org_id, client_id, deal_id, name) VALUES ('{projectA}', '{orgA}', '{clientA}', '{dealA}', 'Project A');
INSERT INTO communication_templates (id, org_id, channel, category, name, subject, body)
    VALUES ('{templateA}', '{orgA}', 'email', 'sales', 'Intro', 'Hello', 'Hi {{first_name}}');
INSERT INTO communications (id, org_id, channel, direction, contact_id, template_id, status, external_id, sent_at)
    VALUES ('{messageA}', '{orgA}', 'email', 'outbound', '{contactA}', '{templateA}', 'sent', 'ext-1', now());
)sql";

class SchemaTest : public ::testing::Test {
public:
    // The database outlives each suite (two share it) but must be dropped before exit: libpqxx's
    // own statics are gone by the time a static unique_ptr would be destroyed.
    static void releaseDatabase() { db_.reset(); }

protected:
    static void SetUpTestSuite() {
        if (!db_) {
            db_ = TestDatabase::createMigrated();
        }
    }

    // Every test starts from the fixture alone; tests may change it, so it is rebuilt each time.
    void SetUp() override {
        resetFixture();
        pristine_ = false;
    }

    void resetFixture() {
        db_->truncateAll();
        conn_ = std::make_unique<pqxx::connection>(db_->url());
        exec(kFixtureSql);
    }

    // Runs sql (ids expanded) in its own committed transaction.
    void exec(const std::string& sql) {
        pqxx::work tx(*conn_);
        tx.exec(expand(sql));
        tx.commit();
    }

    // The single row of a query, in its own transaction.
    pqxx::row row(const std::string& sql) {
        pqxx::work tx(*conn_);
        auto result = tx.exec1(expand(sql));
        tx.commit();
        return result;
    }

    template <typename T>
    T scalar(const std::string& sql) {
        return row(sql)[0].as<T>();
    }

    static std::unique_ptr<TestDatabase> db_;
    // True while the database holds exactly the fixture (bad-row cases never commit).
    static bool pristine_;
    std::unique_ptr<pqxx::connection> conn_;
};

std::unique_ptr<TestDatabase> SchemaTest::db_;
bool SchemaTest::pristine_ = false;

class SchemaDatabaseEnvironment : public ::testing::Environment {
public:
    void TearDown() override { SchemaTest::releaseDatabase(); }
};
[[maybe_unused]] const auto* const kSchemaDatabaseEnvironment =
    ::testing::AddGlobalTestEnvironment(new SchemaDatabaseEnvironment);

// ---------------------------------------------------------------------------------------------
// Constraint cases: each bad statement runs in its own transaction (rolled back) and must fail
// with the expected integrity-constraint exception.
// ---------------------------------------------------------------------------------------------

enum class Violation { Check, ForeignKey, Unique, NotNull };

const char* violationName(Violation v) {
    switch (v) {
        case Violation::Check: return "check_violation";
        case Violation::ForeignKey: return "foreign_key_violation";
        case Violation::Unique: return "unique_violation";
        case Violation::NotNull: return "not_null_violation";
    }
    return "?";
}

struct BadRow {
    std::string name;  // test name suffix: letters, digits, underscores
    std::string sql;   // may hold several statements; the last one must fail
    Violation expected;
};

std::ostream& operator<<(std::ostream& out, const BadRow& c) { return out << c.name; }

constexpr Violation kCheck = Violation::Check;
constexpr Violation kFk = Violation::ForeignKey;
constexpr Violation kUnique = Violation::Unique;
constexpr Violation kNotNull = Violation::NotNull;

// A 1536-dimension vector expression.
constexpr const char kVector[] = "array_fill(0.1::real, ARRAY[1536])::vector";

const std::vector<BadRow>& badRows() {
    static const std::vector<BadRow> cases{
        // organizations, users, teams
        {"org_slug_with_space", "INSERT INTO organizations (name, slug) VALUES ('X', 'north wind')", kCheck},
        {"org_slug_duplicate", "INSERT INTO organizations (name, slug) VALUES ('X', 'org-a')", kUnique},
        {"org_currency_lower_case", "INSERT INTO organizations (name, slug, default_currency) VALUES ('X', 'x', 'eur')", kCheck},
        {"org_settings_not_object", "INSERT INTO organizations (name, slug, settings) VALUES ('X', 'x', '[]')", kCheck},
        {"user_email_without_at", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'not-an-email', 'X', 'sales', 'h')", kCheck},
        {"user_email_without_dot_in_domain", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'x@localhost', 'X', 'sales', 'h')", kCheck},
        {"user_email_upper_case", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'Xavier@A.example', 'X', 'sales', 'h')", kCheck},
        {"user_email_with_space", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'x y@a.example', 'X', 'sales', 'h')", kCheck},
        {"user_email_duplicate_in_org", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'ann@a.example', 'X', 'sales', 'h')", kUnique},
        {"user_role_invalid", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'x@a.example', 'X', 'owner', 'h')", kCheck},
        {"user_name_blank", "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ('{orgA}', 'x@a.example', '  ', 'sales', 'h')", kCheck},
        {"user_password_hash_missing", "INSERT INTO users (org_id, email, name, role) VALUES ('{orgA}', 'x@a.example', 'X', 'sales')", kNotNull},
        {"user_failed_login_count_negative", "UPDATE users SET failed_login_count = -1 WHERE id = '{userA}'", kCheck},
        {"user_team_of_other_org", "INSERT INTO users (org_id, email, name, role, password_hash, team_id) VALUES ('{orgA}', 'x@a.example', 'X', 'sales', 'h', '{teamB}')", kFk},
        {"user_created_by_other_org", "INSERT INTO users (org_id, email, name, role, password_hash, created_by) VALUES ('{orgA}', 'x@a.example', 'X', 'sales', 'h', '{userB}')", kFk},
        {"team_name_duplicate_ignoring_case", "INSERT INTO teams (org_id, name) VALUES ('{orgA}', 'TEAM a')", kUnique},
        {"reset_token_hash_not_32_bytes", "INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at) VALUES ('{orgA}', '{userA}', '\\x0102', now() + interval '1 hour')", kCheck},
        {"reset_token_user_of_other_org", "INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at) VALUES ('{orgA}', '{userB}', sha256('t'), now() + interval '1 hour')", kFk},
        {"reset_token_hash_duplicate",
         "INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at) VALUES ('{orgA}', '{userA}', sha256('t'), now() + interval '1 hour');"
         "INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at) VALUES ('{orgA}', '{userA}', sha256('t'), now() + interval '2 hours')", kUnique},
        {"reset_token_expired_at_creation", "INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at) VALUES ('{orgA}', '{userA}', sha256('t'), now() - interval '1 hour')", kCheck},
        // audit, tasks, attachments
        {"audit_action_not_dotted", "INSERT INTO audit_log (org_id, action) VALUES ('{orgA}', 'Login')", kCheck},
        {"audit_actor_of_other_org", "INSERT INTO audit_log (org_id, actor_id, action) VALUES ('{orgA}', '{userB}', 'auth.login')", kFk},
        {"task_kind_missing", "INSERT INTO tasks (payload) VALUES ('{}')", kNotNull},
        {"task_attempts_negative", "INSERT INTO tasks (kind, attempts) VALUES ('embed', -1)", kCheck},
        {"task_dedupe_key_pending_twice",
         "INSERT INTO tasks (kind, dedupe_key) VALUES ('embed', 'embed:1');"
         "INSERT INTO tasks (kind, dedupe_key) VALUES ('embed', 'embed:1')", kUnique},
        {"task_failed_but_not_done", "INSERT INTO tasks (kind, failed_at) VALUES ('embed', now())", kCheck},
        {"attachment_size_negative", "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes) VALUES ('{orgA}', 'contact', '{contactA}', 'k1', 'cv.pdf', 'application/pdf', -1)", kCheck},
        {"attachment_checksum_upper_case", "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes, checksum_sha256) VALUES ('{orgA}', 'contact', '{contactA}', 'k1', 'cv.pdf', 'application/pdf', 1, upper(encode(sha256('x'), 'hex')))", kCheck},
        {"attachment_entity_type_invalid", "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes) VALUES ('{orgA}', 'invoice', '{contactA}', 'k1', 'cv.pdf', 'application/pdf', 1)", kCheck},
        {"attachment_storage_key_duplicate",
         "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes) VALUES ('{orgA}', 'contact', '{contactA}', 'k1', 'cv.pdf', 'application/pdf', 1);"
         "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes) VALUES ('{orgB}', 'contact', '{contactB}', 'k1', 'cv.pdf', 'application/pdf', 1)", kUnique},
        {"attachment_uploader_of_other_org", "INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes, uploaded_by) VALUES ('{orgA}', 'contact', '{contactA}', 'k1', 'cv.pdf', 'application/pdf', 1, '{userB}')", kFk},
        // clients
        {"client_name_missing", "INSERT INTO clients (org_id) VALUES ('{orgA}')", kNotNull},
        {"client_name_blank", "INSERT INTO clients (org_id, name) VALUES ('{orgA}', '   ')", kCheck},
        {"client_size_invalid", "INSERT INTO clients (org_id, name, size) VALUES ('{orgA}', 'X', '10-20')", kCheck},
        {"client_status_invalid", "INSERT INTO clients (org_id, name, status) VALUES ('{orgA}', 'X', 'lead')", kCheck},
        {"client_country_lower_case", "INSERT INTO clients (org_id, name, country) VALUES ('{orgA}', 'X', 'gb')", kCheck},
        {"client_domain_with_www", "INSERT INTO clients (org_id, name, domain) VALUES ('{orgA}', 'X', 'www.acme.example')", kCheck},
        {"client_domain_upper_case", "INSERT INTO clients (org_id, name, domain) VALUES ('{orgA}', 'X', 'Acme.example')", kCheck},
        {"client_domain_with_scheme", "INSERT INTO clients (org_id, name, domain) VALUES ('{orgA}', 'X', 'https://acme.example')", kCheck},
        {"client_phone_not_e164", "INSERT INTO clients (org_id, name, phone) VALUES ('{orgA}', 'X', '020 7946 0123')", kCheck},
        {"client_owner_of_other_org", "INSERT INTO clients (org_id, name, owner_id) VALUES ('{orgA}', 'X', '{userB}')", kFk},
        {"client_org_unknown", "INSERT INTO clients (org_id, name) VALUES ('00000000-0000-7000-8c00-000000000001', 'X')", kFk},
        {"client_tags_null_element", "INSERT INTO clients (org_id, name, tags) VALUES ('{orgA}', 'X', ARRAY['a', NULL])", kCheck},
        // contacts
        {"contact_first_name_missing", "INSERT INTO contacts (org_id, last_name) VALUES ('{orgA}', 'X')", kNotNull},
        {"contact_first_name_blank", "INSERT INTO contacts (org_id, first_name) VALUES ('{orgA}', ' ')", kCheck},
        {"contact_email_bad_shape", "INSERT INTO contacts (org_id, first_name, email) VALUES ('{orgA}', 'X', 'x@example')", kCheck},
        {"contact_email_upper_case", "INSERT INTO contacts (org_id, first_name, email) VALUES ('{orgA}', 'X', 'X@example.com')", kCheck},
        {"contact_phone_not_e164", "INSERT INTO contacts (org_id, first_name, phone) VALUES ('{orgA}', 'X', '+44 20 7946 0123')", kCheck},
        {"contact_phone_without_plus", "INSERT INTO contacts (org_id, first_name, phone) VALUES ('{orgA}', 'X', '442079460123')", kCheck},
        {"contact_phone_leading_zero", "INSERT INTO contacts (org_id, first_name, phone) VALUES ('{orgA}', 'X', '+0442079460123')", kCheck},
        {"contact_emails_not_array", "INSERT INTO contacts (org_id, first_name, emails) VALUES ('{orgA}', 'X', '{\"email\": \"x@a.example\"}')", kCheck},
        {"contact_emails_item_upper_case", "INSERT INTO contacts (org_id, first_name, emails) VALUES ('{orgA}', 'X', '[{\"email\": \"X@a.example\", \"label\": \"work\"}]')", kCheck},
        {"contact_phones_item_not_e164", "INSERT INTO contacts (org_id, first_name, phones) VALUES ('{orgA}', 'X', '[{\"phone\": \"12345\"}]')", kCheck},
        {"contact_country_invalid", "INSERT INTO contacts (org_id, first_name, country) VALUES ('{orgA}', 'X', 'g1')", kCheck},
        {"contact_lawful_basis_invalid", "INSERT INTO contacts (org_id, first_name, lawful_basis) VALUES ('{orgA}', 'X', 'because')", kCheck},
        {"contact_owner_of_other_org", "INSERT INTO contacts (org_id, first_name, owner_id) VALUES ('{orgA}', 'X', '{userB}')", kFk},
        {"contact_merged_into_itself", "UPDATE contacts SET merged_into_id = id WHERE id = '{contactA}'", kCheck},
        {"contact_merged_into_other_org", "INSERT INTO contacts (org_id, first_name, merged_into_id) VALUES ('{orgA}', 'X', '{contactB}')", kFk},
        // client_contacts
        {"client_contact_across_orgs", "INSERT INTO client_contacts (org_id, client_id, contact_id) VALUES ('{orgA}', '{clientA}', '{contactB}')", kFk},
        {"client_contact_in_third_org", "INSERT INTO client_contacts (org_id, client_id, contact_id) VALUES ('{orgB}', '{clientA}', '{contactB}')", kFk},
        {"client_contact_duplicate",
         "INSERT INTO client_contacts (org_id, client_id, contact_id) VALUES ('{orgA}', '{clientA}', '{contactA}');"
         "INSERT INTO client_contacts (org_id, client_id, contact_id) VALUES ('{orgA}', '{clientA}', '{contactA}')", kUnique},
        {"client_contact_two_primaries",
         "INSERT INTO contacts (id, org_id, first_name) VALUES ('00000000-0000-7000-8a00-00000000f001', '{orgA}', 'Second');"
         "INSERT INTO client_contacts (org_id, client_id, contact_id, is_primary_contact) VALUES ('{orgA}', '{clientA}', '{contactA}', true);"
         "INSERT INTO client_contacts (org_id, client_id, contact_id, is_primary_contact) VALUES ('{orgA}', '{clientA}', '00000000-0000-7000-8a00-00000000f001', true)", kUnique},
        {"client_contact_end_before_start", "INSERT INTO client_contacts (org_id, client_id, contact_id, start_date, end_date) VALUES ('{orgA}', '{clientA}', '{contactA}', '2024-05-01', '2024-04-30')", kCheck},
        // sales profiles
        {"sales_profile_second_primary", "INSERT INTO sales_profiles (org_id, contact_id, is_primary) VALUES ('{orgA}', '{contactA}', true)", kUnique},
        {"sales_profile_lead_score_101", "INSERT INTO sales_profiles (org_id, contact_id, lead_score) VALUES ('{orgA}', '{contactA}', 101)", kCheck},
        {"sales_profile_lead_score_negative", "INSERT INTO sales_profiles (org_id, contact_id, lead_score) VALUES ('{orgA}', '{contactA}', -1)", kCheck},
        {"sales_profile_budget_negative", "INSERT INTO sales_profiles (org_id, contact_id, budget, currency) VALUES ('{orgA}', '{contactA}', -0.01, 'EUR')", kCheck},
        {"sales_profile_budget_without_currency", "INSERT INTO sales_profiles (org_id, contact_id, budget) VALUES ('{orgA}', '{contactA}', 100)", kCheck},
        {"sales_profile_currency_lower_case", "INSERT INTO sales_profiles (org_id, contact_id, budget, currency) VALUES ('{orgA}', '{contactA}', 100, 'usd')", kCheck},
        {"sales_profile_currency_two_letters", "INSERT INTO sales_profiles (org_id, contact_id, budget, currency) VALUES ('{orgA}', '{contactA}', 100, 'US')", kCheck},
        {"sales_profile_decision_role_invalid", "INSERT INTO sales_profiles (org_id, contact_id, decision_role) VALUES ('{orgA}', '{contactA}', 'boss')", kCheck},
        {"sales_profile_lead_status_invalid", "INSERT INTO sales_profiles (org_id, contact_id, lead_status) VALUES ('{orgA}', '{contactA}', 'hot')", kCheck},
        {"sales_profile_contact_of_other_org", "INSERT INTO sales_profiles (org_id, contact_id) VALUES ('{orgA}', '{contactB}')", kFk},
        {"sales_profile_client_of_other_org", "INSERT INTO sales_profiles (org_id, contact_id, client_id) VALUES ('{orgA}', '{contactA}', '{clientB}')", kFk},
        // candidate profiles
        {"candidate_second_primary", "INSERT INTO candidate_profiles (org_id, contact_id, is_primary) VALUES ('{orgA}', '{contactA}', true)", kUnique},
        {"candidate_salary_min_above_max", "INSERT INTO candidate_profiles (org_id, contact_id, desired_salary_min, desired_salary_max, currency) VALUES ('{orgA}', '{contactA}', 90000, 80000, 'EUR')", kCheck},
        {"candidate_salary_negative", "INSERT INTO candidate_profiles (org_id, contact_id, current_salary, currency) VALUES ('{orgA}', '{contactA}', -1, 'EUR')", kCheck},
        {"candidate_salary_without_currency", "INSERT INTO candidate_profiles (org_id, contact_id, desired_salary_min) VALUES ('{orgA}', '{contactA}', 50000)", kCheck},
        {"candidate_currency_lower_case", "INSERT INTO candidate_profiles (org_id, contact_id, current_salary, currency) VALUES ('{orgA}', '{contactA}', 1, 'eur')", kCheck},
        {"candidate_years_experience_71", "INSERT INTO candidate_profiles (org_id, contact_id, years_experience) VALUES ('{orgA}', '{contactA}', 71)", kCheck},
        {"candidate_seniority_invalid", "INSERT INTO candidate_profiles (org_id, contact_id, seniority) VALUES ('{orgA}', '{contactA}', 'guru')", kCheck},
        {"candidate_remote_preference_invalid", "INSERT INTO candidate_profiles (org_id, contact_id, remote_preference) VALUES ('{orgA}', '{contactA}', 'mars')", kCheck},
        {"candidate_notice_period_366", "INSERT INTO candidate_profiles (org_id, contact_id, notice_period_days) VALUES ('{orgA}', '{contactA}', 366)", kCheck},
        {"candidate_skills_not_array", "INSERT INTO candidate_profiles (org_id, contact_id, skills) VALUES ('{orgA}', '{contactA}', '{\"name\": \"Python\"}')", kCheck},
        {"candidate_skill_without_name", "INSERT INTO candidate_profiles (org_id, contact_id, skills) VALUES ('{orgA}', '{contactA}', '[{\"level\": 3}]')", kCheck},
        {"candidate_skill_level_6", "INSERT INTO candidate_profiles (org_id, contact_id, skills) VALUES ('{orgA}', '{contactA}', '[{\"name\": \"Python\", \"level\": 6}]')", kCheck},
        {"candidate_embedding_without_model", std::string("INSERT INTO candidate_profiles (org_id, contact_id, embedding) VALUES ('{orgA}', '{contactA}', ") + kVector + ")", kCheck},
        {"candidate_contact_of_other_org", "INSERT INTO candidate_profiles (org_id, contact_id) VALUES ('{orgA}', '{contactB}')", kFk},
        // jobs
        {"job_title_blank", "INSERT INTO jobs (org_id, title) VALUES ('{orgA}', '')", kCheck},
        {"job_salary_min_above_max", "INSERT INTO jobs (org_id, title, salary_min, salary_max, currency) VALUES ('{orgA}', 'X', 100, 99, 'EUR')", kCheck},
        {"job_salary_without_currency", "INSERT INTO jobs (org_id, title, salary_max) VALUES ('{orgA}', 'X', 100)", kCheck},
        {"job_openings_zero", "INSERT INTO jobs (org_id, title, openings) VALUES ('{orgA}', 'X', 0)", kCheck},
        {"job_status_invalid", "INSERT INTO jobs (org_id, title, status) VALUES ('{orgA}', 'X', 'draft')", kCheck},
        {"job_remote_any_not_allowed", "INSERT INTO jobs (org_id, title, remote) VALUES ('{orgA}', 'X', 'any')", kCheck},
        {"job_employment_type_invalid", "INSERT INTO jobs (org_id, title, employment_type) VALUES ('{orgA}', 'X', 'gig')", kCheck},
        {"job_seniority_invalid", "INSERT INTO jobs (org_id, title, seniority) VALUES ('{orgA}', 'X', 'rockstar')", kCheck},
        {"job_client_of_other_org", "INSERT INTO jobs (org_id, title, client_id) VALUES ('{orgA}', 'X', '{clientB}')", kFk},
        // application stages and applications
        {"application_stage_position_taken",
         "INSERT INTO application_stages (org_id, name, position) VALUES ('{orgA}', 'Offer', 1);"
         "SET CONSTRAINTS ALL IMMEDIATE", kUnique},
        {"application_stage_name_taken_ignoring_case", "INSERT INTO application_stages (org_id, name, position) VALUES ('{orgA}', 'SOURCED', 7)", kUnique},
        {"application_stage_kind_invalid", "INSERT INTO application_stages (org_id, name, position, kind) VALUES ('{orgA}', 'Parked', 7, 'parked')", kCheck},
        {"application_stage_second_default", "INSERT INTO application_stages (org_id, name, position, is_default) VALUES ('{orgA}', 'New', 7, true)", kUnique},
        {"application_same_candidate_same_job", "INSERT INTO job_applications (org_id, job_id, candidate_profile_id, stage_id) VALUES ('{orgA}', '{jobA}', '{candidateA}', '{appStage2}')", kUnique},
        {"application_rating_6", "UPDATE job_applications SET rating = 6 WHERE id = '{applicationA}'", kCheck},
        {"application_rating_0", "UPDATE job_applications SET rating = 0 WHERE id = '{applicationA}'", kCheck},
        {"application_status_invalid", "UPDATE job_applications SET status = 'ghosted' WHERE id = '{applicationA}'", kCheck},
        {"application_stage_missing", "UPDATE job_applications SET stage_id = NULL WHERE id = '{applicationA}'", kNotNull},
        {"application_stage_of_other_org", "UPDATE job_applications SET stage_id = '{appStageB}' WHERE id = '{applicationA}'", kFk},
        {"application_candidate_of_other_org", "INSERT INTO job_applications (org_id, job_id, candidate_profile_id, stage_id) VALUES ('{orgA}', '{jobA}', '{candidateB}', '{appStage1}')", kFk},
        {"application_stage_in_use_deleted", "DELETE FROM application_stages WHERE id = '{appStage1}'", kFk},
        {"application_history_stage_of_other_org", "INSERT INTO application_stage_history (org_id, application_id, to_stage_id) VALUES ('{orgA}', '{applicationA}', '{appStageB}')", kFk},
        // pipelines and deals
        {"pipeline_name_taken_ignoring_case", "INSERT INTO sales_pipelines (org_id, name) VALUES ('{orgA}', 'MAIN')", kUnique},
        {"pipeline_second_default", "INSERT INTO sales_pipelines (org_id, name, is_default) VALUES ('{orgA}', 'Other', true)", kUnique},
        {"pipeline_stage_won_and_lost", "INSERT INTO pipeline_stages (org_id, pipeline_id, name, position, is_won, is_lost) VALUES ('{orgA}', '{pipeline1}', 'Odd', 5, true, true)", kCheck},
        {"pipeline_stage_probability_101", "INSERT INTO pipeline_stages (org_id, pipeline_id, name, position, win_probability) VALUES ('{orgA}', '{pipeline1}', 'Odd', 5, 101)", kCheck},
        {"pipeline_stage_position_taken",
         "INSERT INTO pipeline_stages (org_id, pipeline_id, name, position) VALUES ('{orgA}', '{pipeline1}', 'Odd', 0);"
         "SET CONSTRAINTS ALL IMMEDIATE", kUnique},
        {"pipeline_stage_pipeline_of_other_org", "INSERT INTO pipeline_stages (org_id, pipeline_id, name, position) VALUES ('{orgB}', '{pipeline1}', 'Odd', 5)", kFk},
        {"deal_title_missing", "INSERT INTO deals (org_id, pipeline_id, stage_id) VALUES ('{orgA}', '{pipeline1}', '{stage1}')", kNotNull},
        {"deal_probability_101", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, probability) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', 101)", kCheck},
        {"deal_probability_negative", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, probability) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', -1)", kCheck},
        {"deal_value_negative", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, value, currency) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', -5, 'EUR')", kCheck},
        {"deal_value_without_currency", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, value) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', 5)", kCheck},
        {"deal_currency_lower_case", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, value, currency) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', 5, 'usd')", kCheck},
        {"deal_status_invalid", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, status) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', 'pending')", kCheck},
        {"deal_won_without_won_at", "UPDATE deals SET status = 'won', stage_id = '{stage1won}' WHERE id = '{dealA}'", kCheck},
        {"deal_lost_without_lost_at", "UPDATE deals SET status = 'lost' WHERE id = '{dealA}'", kCheck},
        {"deal_stage_of_other_pipeline", "INSERT INTO deals (org_id, title, pipeline_id, stage_id) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage2}')", kFk},
        {"deal_moved_to_stage_of_other_pipeline", "UPDATE deals SET stage_id = '{stage2}' WHERE id = '{dealA}'", kFk},
        {"deal_contact_of_other_org", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, contact_id) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', '{contactB}')", kFk},
        {"deal_client_of_other_org", "INSERT INTO deals (org_id, title, pipeline_id, stage_id, client_id) VALUES ('{orgA}', 'X', '{pipeline1}', '{stage1}', '{clientB}')", kFk},
        {"deal_in_pipeline_of_other_org", "INSERT INTO deals (org_id, title, pipeline_id, stage_id) VALUES ('{orgB}', 'X', '{pipeline1}', '{stage1}')", kFk},
        {"deal_stage_in_use_deleted", "DELETE FROM pipeline_stages WHERE id = '{stage1}'", kFk},
        {"deal_history_deal_of_other_org", "INSERT INTO deal_stage_history (org_id, deal_id, to_stage_id) VALUES ('{orgB}', '{dealA}', '{stage1}')", kFk},
        // projects, team members, activities
        {"project_end_before_start", "INSERT INTO projects (org_id, name, start_date, end_date) VALUES ('{orgA}', 'X', '2024-02-01', '2024-01-31')", kCheck},
        {"project_budget_negative", "INSERT INTO projects (org_id, name, budget, currency) VALUES ('{orgA}', 'X', -1, 'EUR')", kCheck},
        {"project_status_invalid", "INSERT INTO projects (org_id, name, status) VALUES ('{orgA}', 'X', 'done')", kCheck},
        {"project_client_of_other_org", "INSERT INTO projects (org_id, name, client_id) VALUES ('{orgA}', 'X', '{clientB}')", kFk},
        {"team_member_user_and_contact", "INSERT INTO project_team_members (org_id, project_id, user_id, contact_id) VALUES ('{orgA}', '{projectA}', '{userA}', '{contactA}')", kCheck},
        {"team_member_neither_user_nor_contact", "INSERT INTO project_team_members (org_id, project_id) VALUES ('{orgA}', '{projectA}')", kCheck},
        {"team_member_allocation_101", "INSERT INTO project_team_members (org_id, project_id, user_id, allocation_percent) VALUES ('{orgA}', '{projectA}', '{userA}', 101)", kCheck},
        {"team_member_user_twice",
         "INSERT INTO project_team_members (org_id, project_id, user_id) VALUES ('{orgA}', '{projectA}', '{userA}');"
         "INSERT INTO project_team_members (org_id, project_id, user_id) VALUES ('{orgA}', '{projectA}', '{userA}')", kUnique},
        {"team_member_contact_twice",
         "INSERT INTO project_team_members (org_id, project_id, contact_id) VALUES ('{orgA}', '{projectA}', '{contactA}');"
         "INSERT INTO project_team_members (org_id, project_id, contact_id) VALUES ('{orgA}', '{projectA}', '{contactA}')", kUnique},
        {"team_member_user_of_other_org", "INSERT INTO project_team_members (org_id, project_id, user_id) VALUES ('{orgA}', '{projectA}', '{userB}')", kFk},
        {"activity_without_link", "INSERT INTO sales_activities (org_id, type, subject) VALUES ('{orgA}', 'call', 'Call')", kCheck},
        {"activity_type_invalid", "INSERT INTO sales_activities (org_id, type, subject, contact_id) VALUES ('{orgA}', 'fax', 'Fax', '{contactA}')", kCheck},
        {"activity_subject_blank", "INSERT INTO sales_activities (org_id, type, subject, contact_id) VALUES ('{orgA}', 'call', ' ', '{contactA}')", kCheck},
        {"activity_contact_of_other_org", "INSERT INTO sales_activities (org_id, type, subject, contact_id) VALUES ('{orgA}', 'call', 'Call', '{contactB}')", kFk},
        {"activity_deal_of_other_org", "INSERT INTO sales_activities (org_id, type, subject, deal_id) VALUES ('{orgB}', 'call', 'Call', '{dealA}')", kFk},
        // templates and messages
        {"template_email_without_subject", "INSERT INTO communication_templates (org_id, channel, name, body) VALUES ('{orgA}', 'email', 'No subject', 'Hi')", kCheck},
        {"template_channel_invalid", "INSERT INTO communication_templates (org_id, channel, name, body) VALUES ('{orgA}', 'sms', 'Text', 'Hi')", kCheck},
        {"template_body_missing", "INSERT INTO communication_templates (org_id, channel, name) VALUES ('{orgA}', 'whatsapp', 'Empty')", kNotNull},
        {"template_name_taken_in_channel", "INSERT INTO communication_templates (org_id, channel, name, subject, body) VALUES ('{orgA}', 'email', 'INTRO', 'S', 'B')", kUnique},
        {"message_status_invalid", "INSERT INTO communications (org_id, channel, contact_id, status) VALUES ('{orgA}', 'email', '{contactA}', 'lost')", kCheck},
        {"message_channel_invalid", "INSERT INTO communications (org_id, channel, contact_id) VALUES ('{orgA}', 'sms', '{contactA}')", kCheck},
        {"message_direction_invalid", "INSERT INTO communications (org_id, channel, direction, contact_id) VALUES ('{orgA}', 'email', 'sideways', '{contactA}')", kCheck},
        {"message_inbound_not_received", "INSERT INTO communications (org_id, channel, direction, contact_id, status) VALUES ('{orgA}', 'email', 'inbound', '{contactA}', 'sent')", kCheck},
        {"message_scheduled_without_time", "INSERT INTO communications (org_id, channel, contact_id, status) VALUES ('{orgA}', 'email', '{contactA}', 'scheduled')", kCheck},
        {"message_external_id_taken", "INSERT INTO communications (org_id, channel, contact_id, status, external_id) VALUES ('{orgA}', 'email', '{contactA}', 'sent', 'ext-1')", kUnique},
        {"message_contact_of_other_org", "INSERT INTO communications (org_id, channel, contact_id) VALUES ('{orgA}', 'email', '{contactB}')", kFk},
        {"message_template_of_other_org", "INSERT INTO communications (org_id, channel, contact_id, template_id) VALUES ('{orgB}', 'email', '{contactB}', '{templateA}')", kFk},
        {"message_event_status_invalid", "INSERT INTO communication_events (org_id, communication_id, status) VALUES ('{orgA}', '{messageA}', 'opened')", kCheck},
        // profile audit
        {"profile_audit_type_invalid", "INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, profile_id, field) VALUES ('{orgA}', '{contactA}', 'vendor', '{salesA}', 'title')", kCheck},
        {"profile_audit_contact_of_other_org", "INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field) VALUES ('{orgA}', '{contactB}', 'contact', 'email')", kFk},
        {"profile_audit_profile_type_without_id", "INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field) VALUES ('{orgA}', '{contactA}', 'sales', 'title')", kCheck},
    };
    return cases;
}

// Bad-row cases run in transactions that are never committed, so they share one fixture
// instead of truncating and re-inserting it for each of the ~170 cases.
class RejectsBadRow : public SchemaTest, public ::testing::WithParamInterface<BadRow> {
protected:
    void SetUp() override {
        if (!pristine_) {
            resetFixture();
            pristine_ = true;
        } else {
            conn_ = std::make_unique<pqxx::connection>(db_->url());
        }
    }
};

// The statement fails with exactly the expected constraint-violation exception.
TEST_P(RejectsBadRow, WithExpectedViolation) {
    const BadRow& c = GetParam();
    SCOPED_TRACE(c.name + ": " + c.sql);
    const char* thrown = nullptr;
    std::string message;
    try {
        pqxx::work tx(*conn_);
        tx.exec(expand(c.sql));
        // never committed: the work is rolled back when it goes out of scope
    } catch (const pqxx::check_violation& e) {
        thrown = violationName(Violation::Check);
        message = e.what();
    } catch (const pqxx::foreign_key_violation& e) {
        thrown = violationName(Violation::ForeignKey);
        message = e.what();
    } catch (const pqxx::unique_violation& e) {
        thrown = violationName(Violation::Unique);
        message = e.what();
    } catch (const pqxx::not_null_violation& e) {
        thrown = violationName(Violation::NotNull);
        message = e.what();
    } catch (const pqxx::sql_error& e) {
        FAIL() << "unexpected SQL error " << e.sqlstate() << ": " << e.what();
    }
    ASSERT_NE(thrown, nullptr) << "the bad row was accepted";
    EXPECT_STREQ(thrown, violationName(c.expected)) << message;
}

INSTANTIATE_TEST_SUITE_P(Constraints, RejectsBadRow, ::testing::ValuesIn(badRows()),
                         [](const ::testing::TestParamInfo<BadRow>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Positive behaviour
// ---------------------------------------------------------------------------------------------

// A valid row is accepted in every table (the fixture covers the rest).
TEST_F(SchemaTest, AcceptsAValidRowInEveryTable) {
    ASSERT_NO_THROW(exec(R"sql(
        INSERT INTO password_reset_tokens (org_id, user_id, token_hash, expires_at, requested_ip)
            VALUES ('{orgA}', '{userA}', sha256('token'), now() + interval '1 hour', '203.0.113.7');
        INSERT INTO audit_log (org_id, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id)
            VALUES ('{orgA}', '{userA}', 'client.update', 'client', '{clientA}', '{"name": {"old": "A", "new": "B"}}', '203.0.113.7', 'test', 'req-1');
        INSERT INTO tasks (org_id, kind, payload, dedupe_key) VALUES ('{orgA}', 'embedding.candidate', '{"id": 1}', 'embed:{candidateA}');
        INSERT INTO tasks (kind) VALUES ('platform.cleanup');
        INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes, checksum_sha256, uploaded_by)
            VALUES ('{orgA}', 'candidate_profile', '{candidateA}', 'orgs/a/cv.pdf', 'cv.pdf', 'application/pdf', 1234, encode(sha256('cv'), 'hex'), '{userA}');
        UPDATE clients SET domain = 'client-a.example', size = '51-200', website = 'https://client-a.example',
            country = 'GB', phone = '+442079460001', status = 'active', tags = ARRAY['key-account'] WHERE id = '{clientA}';
        UPDATE contacts SET phone = '+442079460123', emails = '[{"email": "cara@home.example", "label": "personal"}]',
            phones = '[{"phone": "+447700900123", "label": "mobile"}]', country = 'GB', lawful_basis = 'consent',
            marketing_consent = true, consent_updated_at = now(), retention_until = '2030-01-01' WHERE id = '{contactA}';
        INSERT INTO client_contacts (org_id, client_id, contact_id, role, title, is_primary_contact, start_date, end_date)
            VALUES ('{orgA}', '{clientA}', '{contactA}', 'buyer', 'CTO', true, '2024-01-01', '2024-01-01');
        UPDATE sales_profiles SET budget = 50000, currency = 'GBP', lead_score = 100, lead_status = 'qualified',
            decision_role = 'decision_maker' WHERE id = '{salesA}';
        UPDATE candidate_profiles SET skills = '[{"name": "Python", "level": 5}, {"name": "SQL", "level": "expert"}, {"name": "Go"}]',
            years_experience = 70, seniority = 'senior', current_salary = 0, desired_salary_min = 60000, desired_salary_max = 60000,
            currency = 'GBP', remote_preference = 'any', notice_period_days = 365,
            embedding = array_fill(0.1::real, ARRAY[1536])::vector, embedding_model = 'test-model', embedded_at = now()
            WHERE id = '{candidateA}';
        UPDATE jobs SET skills = '[{"name": "Python"}]', salary_min = 1, salary_max = 1, currency = 'GBP', remote = 'remote',
            employment_type = 'contract', seniority = 'lead', openings = 3 WHERE id = '{jobA}';
        INSERT INTO application_stage_history (org_id, application_id, from_stage_id, to_stage_id, moved_by, note)
            VALUES ('{orgA}', '{applicationA}', NULL, '{appStage1}', '{userA}', 'created');
        UPDATE job_applications SET rating = 5, status = 'active' WHERE id = '{applicationA}';
        INSERT INTO deal_stage_history (org_id, deal_id, from_stage_id, to_stage_id, from_status, to_status, value, moved_by)
            VALUES ('{orgA}', '{dealA}', '{stage1}', '{stage1won}', 'open', 'won', 1000, '{userA}');
        UPDATE deals SET stage_id = '{stage1won}', status = 'won', won_at = now(), closed_at = now(), probability = 100 WHERE id = '{dealA}';
        UPDATE projects SET budget = 0, currency = 'EUR', start_date = '2024-01-01', end_date = '2024-01-01', status = 'active' WHERE id = '{projectA}';
        INSERT INTO project_team_members (org_id, project_id, user_id, role, allocation_percent) VALUES ('{orgA}', '{projectA}', '{userA}', 'lead', 100);
        INSERT INTO project_team_members (org_id, project_id, contact_id, role, allocation_percent) VALUES ('{orgA}', '{projectA}', '{contactA}', 'sponsor', 0);
        INSERT INTO sales_activities (org_id, type, subject, due_at, reminder_at, deal_id, owner_id)
            VALUES ('{orgA}', 'task', 'Send contract', now() + interval '1 day', now() + interval '23 hours', '{dealA}', '{userA}');
        INSERT INTO communication_templates (org_id, channel, category, name, body, variables)
            VALUES ('{orgA}', 'whatsapp', 'recruiting', 'Intro', 'Hi {{first_name}}', ARRAY['first_name']);
        INSERT INTO communications (org_id, channel, direction, contact_id, status, body, from_address, external_id)
            VALUES ('{orgA}', 'whatsapp', 'inbound', '{contactA}', 'received', 'Hello!', '+442079460123', 'wamid.1');
        INSERT INTO communications (org_id, channel, contact_id, status, scheduled_at, subject, body)
            VALUES ('{orgA}', 'email', '{contactA}', 'scheduled', now() + interval '1 day', 'Later', 'Body');
        INSERT INTO communication_events (org_id, communication_id, status, payload) VALUES ('{orgA}', '{messageA}', 'delivered', '{"smtp": "250"}');
        INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, profile_id, field, old_value, new_value, changed_by, request_id)
            VALUES ('{orgA}', '{contactA}', 'sales', '{salesA}', 'lead_status', '"new"', '"qualified"', '{userA}', 'req-2');
        INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field, old_value, new_value)
            VALUES ('{orgA}', '{contactA}', 'contact', 'phone', 'null', '"+442079460123"');
    )sql"));
    const std::vector<std::string> tables{
        "teams", "users", "password_reset_tokens", "audit_log", "tasks", "attachments", "clients",
        "contacts", "client_contacts", "contact_profile_audit_log", "sales_profiles",
        "candidate_profiles", "jobs", "application_stages", "job_applications",
        "application_stage_history", "sales_pipelines", "pipeline_stages", "deals",
        "deal_stage_history", "projects", "project_team_members", "sales_activities",
        "communication_templates", "communications", "communication_events"};
    for (const auto& table : tables) {
        SCOPED_TRACE(table);
        EXPECT_GT(scalar<int>("SELECT count(*) FROM " + table + " WHERE org_id = '{orgA}'"), 0);
    }
}

// An UPDATE that changes a column increments version by one and moves updated_at forward,
// whatever the statement sets those two to; one that changes nothing keeps both, unless it sets
// version itself (a change kept elsewhere: migration 0016), which gives exactly the next one.
TEST_F(SchemaTest, UpdateIncrementsVersionAndTouchesUpdatedAt) {
    const auto before = scalar<std::string>("SELECT updated_at::text FROM clients WHERE id = '{clientA}'");
    exec("SELECT pg_sleep(0.01)");
    exec("UPDATE clients SET name = 'Client A Ltd' WHERE id = '{clientA}'");
    const auto r = row("SELECT version, updated_at > '" + before + "'::timestamptz FROM clients WHERE id = '{clientA}'");
    EXPECT_EQ(r[0].as<int>(), 2);
    EXPECT_TRUE(r[1].as<bool>()) << "updated_at moved forward";
    exec("UPDATE clients SET version = 42, updated_at = '2000-01-01' WHERE id = '{clientA}'");
    const auto forced = row("SELECT version, updated_at > now() - interval '1 hour' FROM clients WHERE id = '{clientA}'");
    EXPECT_EQ(forced[0].as<int>(), 3) << "version cannot be set by the application";
    EXPECT_TRUE(forced[1].as<bool>()) << "updated_at cannot be set by the application";

    const auto touched = scalar<std::string>("SELECT updated_at::text FROM clients WHERE id = '{clientA}'");
    exec("UPDATE clients SET name = name WHERE id = '{clientA}'");  // a table without quiet columns
    exec("UPDATE clients SET version = version WHERE id = '{clientA}'");
    const auto same = row("SELECT version, updated_at = '" + touched + "'::timestamptz FROM clients WHERE id = '{clientA}'");
    EXPECT_EQ(same[0].as<int>(), 3) << "an UPDATE that changes nothing keeps the version";
    EXPECT_TRUE(same[1].as<bool>()) << "and updated_at";
    exec("UPDATE clients SET version = version + 1 WHERE id = '{clientA}'");
    EXPECT_EQ(scalar<int>("SELECT version FROM clients WHERE id = '{clientA}'"), 4) << "an explicit bump is one";
}

// Machine-maintained ("quiet") columns do not bump version, so they never make an If-Match stale.
TEST_F(SchemaTest, QuietColumnsDoNotBumpVersion) {
    exec("UPDATE contacts SET last_activity_at = now() WHERE id = '{contactA}'");
    EXPECT_EQ(scalar<int>("SELECT version FROM contacts WHERE id = '{contactA}'"), 1);
    exec("UPDATE candidate_profiles SET embedding = array_fill(0.2::real, ARRAY[1536])::vector, "
         "embedding_model = 'm', embedded_at = now() WHERE id = '{candidateA}'");
    EXPECT_EQ(scalar<int>("SELECT version FROM candidate_profiles WHERE id = '{candidateA}'"), 1);
    exec("UPDATE jobs SET embedding = array_fill(0.2::real, ARRAY[1536])::vector, "
         "embedding_model = 'm', embedded_at = now() WHERE id = '{jobA}'");
    EXPECT_EQ(scalar<int>("SELECT version FROM jobs WHERE id = '{jobA}'"), 1);
    exec("UPDATE contacts SET last_name = 'Alphabet', last_activity_at = now() WHERE id = '{contactA}'");
    EXPECT_EQ(scalar<int>("SELECT version FROM contacts WHERE id = '{contactA}'"), 2);
}

// crm_uuid_v7() returns RFC 9562 version-7, variant-10 ids carrying the current time.
TEST_F(SchemaTest, UuidV7HasVersionVariantAndTimestamp) {
    const auto r = row("SELECT u::text, abs(extract(epoch FROM crm_uuid_v7_time(u) - clock_timestamp())) < 5 "
                       "FROM crm_uuid_v7() AS u");
    const auto text = r[0].as<std::string>();
    ASSERT_EQ(text.size(), 36u);
    EXPECT_EQ(text[14], '7') << text;
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    EXPECT_TRUE(r[1].as<bool>()) << "timestamp prefix is the current time";
}

// Later crm_uuid_v7() ids sort after earlier ones (time-ordered primary keys).
TEST_F(SchemaTest, UuidV7IncreasesOverTime) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(scalar<std::string>("SELECT crm_uuid_v7()::text FROM pg_sleep(0.002)"));
    }
    for (std::size_t i = 1; i < ids.size(); ++i) {
        EXPECT_TRUE(scalar<bool>("SELECT '" + ids[i - 1] + "'::uuid < '" + ids[i] + "'::uuid"))
            << ids[i - 1] << " !< " << ids[i];
    }
    EXPECT_EQ(scalar<int>("SELECT count(DISTINCT crm_uuid_v7()) FROM generate_series(1, 1000)"), 1000);
}

// skill_names is the lower-cased, trimmed, de-duplicated list of skills[].name, on insert and update.
TEST_F(SchemaTest, SkillNamesFollowSkills) {
    exec(R"sql(UPDATE candidate_profiles SET skills = '[{"name": " Python "}, {"name": "SQL", "level": 4}, {"name": "python"}]'
               WHERE id = '{candidateA}')sql");
    EXPECT_EQ(scalar<std::string>("SELECT skill_names::text FROM candidate_profiles WHERE id = '{candidateA}'"),
              "{python,sql}");
    EXPECT_TRUE(scalar<bool>("SELECT EXISTS (SELECT 1 FROM candidate_profiles WHERE skill_names @> ARRAY['sql'])"));
    exec(R"sql(UPDATE candidate_profiles SET skills = '[{"name": "Go"}]' WHERE id = '{candidateA}')sql");
    EXPECT_EQ(scalar<std::string>("SELECT skill_names::text FROM candidate_profiles WHERE id = '{candidateA}'"), "{go}");
    exec(R"sql(UPDATE jobs SET skills = '[{"name": "Kubernetes"}, {"name": "AWS"}]' WHERE id = '{jobA}')sql");
    EXPECT_EQ(scalar<std::string>("SELECT skill_names::text FROM jobs WHERE id = '{jobA}'"), "{aws,kubernetes}");
    exec("UPDATE jobs SET skills = '[]' WHERE id = '{jobA}'");
    EXPECT_EQ(scalar<std::string>("SELECT skill_names::text FROM jobs WHERE id = '{jobA}'"), "{}");
}

// The duplicate probes read these two indexes on every create: new entries go straight into the
// tree, never into a pending list that each probe would scan in full (migration 0010). The tags
// index keeps GIN's fast update, which shows that the check can see a pending list.
TEST_F(SchemaTest, DuplicateProbeIndexesKeepNoPendingList) {
    exec(R"sql(UPDATE contacts SET emails = '[{"email": "second@a.example"}]',
                                  phones = '[{"phone": "+442079460124"}]', tags = ARRAY['vip']
               WHERE id = '{contactA}')sql");
    EXPECT_EQ(scalar<long long>("SELECT gin_clean_pending_list('contacts_emails_gin'::regclass)"), 0);
    EXPECT_EQ(scalar<long long>("SELECT gin_clean_pending_list('contacts_phones_gin'::regclass)"), 0);
    EXPECT_GT(scalar<long long>("SELECT gin_clean_pending_list('contacts_tags_gin'::regclass)"), 0);
}

// The duplicate probes read the contacts with the address, not the organisation's contacts,
// however small the planner thinks an organisation is: with many small organisations beside a
// large one, the generic plan of 0011 read every contact of the large one on each create
// (migration 0029). Counted through the table's statistics: index tuples fetched by one probe.
TEST_F(SchemaTest, DuplicateProbesReadOnlyTheAddress) {
    exec(R"sql(INSERT INTO contacts (org_id, first_name, email, phone)
               SELECT '{orgA}', 'Bulk' || g, 'bulk' || g || '@a.example', '+1212555' || lpad(g::text, 4, '0')
               FROM generate_series(1, 3000) AS g)sql");
    exec(R"sql(WITH small AS (
                   INSERT INTO organizations (name, slug)
                   SELECT 'Small ' || g, 'small-probe-' || g FROM generate_series(1, 300) AS g RETURNING id)
               INSERT INTO contacts (org_id, first_name) SELECT id, 'Few' FROM small)sql");
    {
        pqxx::nontransaction tx(*conn_);
        tx.exec0("ANALYZE contacts");
    }
    const auto fetched = [this] { return crm::test::rowsReadFrom(*conn_, "contacts"); };
    for (const auto& probe : {std::string("SELECT count(*) FROM crm_contacts_with_email('{orgA}', 'bulk1500@a.example', NULL)"),
                              std::string("SELECT count(*) FROM crm_contacts_with_phone('{orgA}', '+12125551500', NULL)"),
                              std::string("SELECT count(*) FROM crm_contacts_with_email('{orgA}', 'nobody@a.example', NULL)")}) {
        // Planned on the first call of the connection; measured on a later one.
        scalar<long long>(probe);
        const auto before = fetched();
        const auto found = scalar<long long>(probe);
        EXPECT_EQ(found, probe.find("nobody") == std::string::npos ? 1 : 0) << probe;
        EXPECT_LT(fetched() - before, 20) << probe << ": read the organisation's contacts";
    }
}

// Generated columns (skill_names, search_text) cannot be written by the application.
TEST_F(SchemaTest, GeneratedColumnsAreReadOnly) {
    EXPECT_THROW(exec("UPDATE candidate_profiles SET skill_names = ARRAY['x'] WHERE id = '{candidateA}'"),
                 pqxx::sql_error);
    EXPECT_THROW(exec("UPDATE contacts SET search_text = 'x' WHERE id = '{contactA}'"), pqxx::sql_error);
}

// search_text is the folded name, e-mail and phone, and the name surname first, so one trigram
// index serves the q filter. Its parts are joined by U+001F, so no search matches across two
// (0024); punctuation reads as spaces.
TEST_F(SchemaTest, ContactSearchTextCoversNameEmailPhone) {
    exec("UPDATE contacts SET phone = '+442079460123' WHERE id = '{contactA}'");
    EXPECT_EQ(scalar<std::string>("SELECT search_text FROM contacts WHERE id = '{contactA}'"),
              "cara alpha\x1f" "cara@a example\x1f" "+442079460123\x1f" "alpha cara\x1f" "alphacara");
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM contacts WHERE org_id = '{orgA}' AND search_text LIKE '%' || lower('ALPH') || '%'"), 1);
    // The secondary e-mails and phones too (0017): a merged contact's address lives there.
    exec(R"(UPDATE contacts SET emails = '[{"email": "cara@old.example", "label": "work"}]',
                                phones = '[{"phone": "+12125550100", "label": null}]' WHERE id = '{contactA}')");
    EXPECT_EQ(scalar<std::string>("SELECT search_text FROM contacts WHERE id = '{contactA}'"),
              "cara alpha\x1f" "cara@a example\x1f" "+442079460123\x1f" "cara@old example +12125550100\x1f"
              "alpha cara\x1f" "alphacara");
}

// A soft-deleted primary profile no longer blocks a new primary one.
TEST_F(SchemaTest, SoftDeletedPrimaryProfileFreesThePrimarySlot) {
    exec("UPDATE sales_profiles SET deleted_at = now() WHERE id = '{salesA}'");
    EXPECT_NO_THROW(exec("INSERT INTO sales_profiles (org_id, contact_id, is_primary) VALUES ('{orgA}', '{contactA}', true)"));
    exec("UPDATE candidate_profiles SET deleted_at = now() WHERE id = '{candidateA}'");
    EXPECT_NO_THROW(exec("INSERT INTO candidate_profiles (org_id, contact_id, is_primary) VALUES ('{orgA}', '{contactA}', true)"));
}

// A finished task releases its dedupe_key for new work.
TEST_F(SchemaTest, DoneTaskReleasesDedupeKey) {
    exec("INSERT INTO tasks (kind, dedupe_key, done_at) VALUES ('embed', 'embed:1', now())");
    EXPECT_NO_THROW(exec("INSERT INTO tasks (kind, dedupe_key) VALUES ('embed', 'embed:1')"));
}

// Stage positions are unique but deferred, so two stages can swap places in one transaction.
TEST_F(SchemaTest, StagePositionsCanBeSwappedInOneTransaction) {
    EXPECT_NO_THROW(exec(R"sql(
        UPDATE application_stages SET position = 1 WHERE id = '{appStage1}';
        UPDATE application_stages SET position = 0 WHERE id = '{appStage2}';
        UPDATE pipeline_stages SET position = 1 WHERE id = '{stage1}';
        UPDATE pipeline_stages SET position = 0 WHERE id = '{stage1won}';
    )sql"));
    EXPECT_EQ(scalar<int>("SELECT position FROM application_stages WHERE id = '{appStage2}'"), 0);
    EXPECT_EQ(scalar<int>("SELECT position FROM pipeline_stages WHERE id = '{stage1won}'"), 0);
}

// Deleting a user nulls only the referencing column of a composite FK (org_id stays).
TEST_F(SchemaTest, DeletingAUserNullsOnlyTheUserColumn) {
    exec("DELETE FROM users WHERE id = '{userA}'");
    const auto r = row("SELECT owner_id IS NULL, created_by IS NULL, org_id::text FROM clients WHERE id = '{clientA}'");
    EXPECT_TRUE(r[0].as<bool>());
    EXPECT_TRUE(r[1].as<bool>());
    EXPECT_EQ(r[2].as<std::string>(), fixtureIds().at("orgA"));
    EXPECT_TRUE(scalar<bool>("SELECT owner_id IS NULL FROM jobs WHERE id = '{jobA}'"));
}

// Hard-deleting a contact removes its profiles, applications and messages but keeps its deals.
TEST_F(SchemaTest, DeletingAContactCascadesToItsPersonalData) {
    exec("DELETE FROM contacts WHERE id = '{contactA}'");
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM sales_profiles WHERE org_id = '{orgA}'"), 0);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM candidate_profiles WHERE org_id = '{orgA}'"), 0);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_applications WHERE org_id = '{orgA}'"), 0);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM communications WHERE org_id = '{orgA}'"), 0);
    EXPECT_TRUE(scalar<bool>("SELECT contact_id IS NULL FROM deals WHERE id = '{dealA}'"));
}

// Deleting an organisation removes every one of its rows and nothing of the other tenant.
TEST_F(SchemaTest, DeletingAnOrganisationRemovesOnlyItsRows) {
    exec("DELETE FROM organizations WHERE id = '{orgA}'");
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM contacts WHERE org_id = '{orgA}'"), 0);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM deals"), 0);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM contacts WHERE org_id = '{orgB}'"), 1);
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM users WHERE org_id = '{orgB}'"), 1);
}

// The contact's profile flags follow its live profiles, and never bump its version.
TEST_F(SchemaTest, ContactProfileFlagsFollowProfiles) {
    exec(R"sql(
        INSERT INTO contacts (id, org_id, first_name)
            VALUES ('00000000-0000-7000-8a00-00000000f001', '{orgA}', 'Flag');
        INSERT INTO contacts (id, org_id, first_name)
            VALUES ('00000000-0000-7000-8a00-00000000f002', '{orgA}', 'Other');
    )sql");
    auto flags = [&](const char* id) {
        const auto r = row(std::string("SELECT has_sales_profile, has_candidate_profile, version FROM contacts "
                                       "WHERE id = '") + id + "'");
        return std::tuple{r[0].as<bool>(), r[1].as<bool>(), r[2].as<int>()};
    };
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f001"), std::tuple(false, false, 1));
    exec("INSERT INTO sales_profiles (id, org_id, contact_id) VALUES "
         "('00000000-0000-7000-8a00-00000000f003', '{orgA}', '00000000-0000-7000-8a00-00000000f001')");
    exec("INSERT INTO candidate_profiles (id, org_id, contact_id) VALUES "
         "('00000000-0000-7000-8a00-00000000f004', '{orgA}', '00000000-0000-7000-8a00-00000000f001')");
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f001"), std::tuple(true, true, 1));
    exec("UPDATE sales_profiles SET deleted_at = now() WHERE id = '00000000-0000-7000-8a00-00000000f003'");
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f001"), std::tuple(false, true, 1));
    // A profile moving to another contact (a merge) updates both.
    exec("UPDATE candidate_profiles SET contact_id = '00000000-0000-7000-8a00-00000000f002' "
         "WHERE id = '00000000-0000-7000-8a00-00000000f004'");
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f001"), std::tuple(false, false, 1));
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f002"), std::tuple(false, true, 1));
    exec("DELETE FROM candidate_profiles WHERE id = '00000000-0000-7000-8a00-00000000f004'");
    EXPECT_EQ(flags("00000000-0000-7000-8a00-00000000f002"), std::tuple(false, false, 1));
}

// contact_profile_summary: flags, counts of live rows only, primary ids and the latest activity.
TEST_F(SchemaTest, ProfileSummaryCountsLiveProfilesAndActivity) {
    exec(R"sql(
        INSERT INTO contacts (id, org_id, first_name, last_activity_at)
            VALUES ('00000000-0000-7000-8a00-00000000c001', '{orgA}', 'Dana', '2024-01-01T00:00:00Z');
        INSERT INTO sales_profiles (id, org_id, contact_id, is_primary)
            VALUES ('00000000-0000-7000-8a00-00000000c002', '{orgA}', '00000000-0000-7000-8a00-00000000c001', true);
        INSERT INTO candidate_profiles (id, org_id, contact_id, is_primary) VALUES
            ('00000000-0000-7000-8a00-00000000c003', '{orgA}', '00000000-0000-7000-8a00-00000000c001', true);
        INSERT INTO candidate_profiles (id, org_id, contact_id, is_primary, deleted_at) VALUES
            ('00000000-0000-7000-8a00-00000000c004', '{orgA}', '00000000-0000-7000-8a00-00000000c001', false, now());
        INSERT INTO jobs (id, org_id, title) VALUES
            ('00000000-0000-7000-8a00-00000000c010', '{orgA}', 'Job 2'),
            ('00000000-0000-7000-8a00-00000000c011', '{orgA}', 'Job 3');
        INSERT INTO job_applications (org_id, job_id, candidate_profile_id, stage_id, updated_at) VALUES
            ('{orgA}', '{jobA}', '00000000-0000-7000-8a00-00000000c003', '{appStage1}', '2024-02-15T00:00:00Z'),
            ('{orgA}', '00000000-0000-7000-8a00-00000000c010', '00000000-0000-7000-8a00-00000000c003', '{appStage1}', '2024-04-01T00:00:00Z'),
            ('{orgA}', '00000000-0000-7000-8a00-00000000c011', '00000000-0000-7000-8a00-00000000c003', '{appStage2}', '2024-03-01T00:00:00Z'),
            ('{orgA}', '{jobA}', '00000000-0000-7000-8a00-00000000c004', '{appStage1}', '2024-06-01T00:00:00Z');
        INSERT INTO deals (org_id, title, contact_id, pipeline_id, stage_id) VALUES
            ('{orgA}', 'D1', '00000000-0000-7000-8a00-00000000c001', '{pipeline1}', '{stage1}'),
            ('{orgA}', 'D2', '00000000-0000-7000-8a00-00000000c001', '{pipeline1}', '{stage1}');
        INSERT INTO deals (org_id, title, contact_id, pipeline_id, stage_id, deleted_at) VALUES
            ('{orgA}', 'D3 (deleted)', '00000000-0000-7000-8a00-00000000c001', '{pipeline1}', '{stage1}', now());
        INSERT INTO communications (org_id, channel, contact_id, status, created_at) VALUES
            ('{orgA}', 'email', '00000000-0000-7000-8a00-00000000c001', 'draft', '2024-03-01T00:00:00Z'),
            ('{orgA}', 'email', '00000000-0000-7000-8a00-00000000c001', 'draft', '2024-03-02T00:00:00Z'),
            ('{orgA}', 'email', '00000000-0000-7000-8a00-00000000c001', 'draft', '2024-03-03T00:00:00Z'),
            ('{orgA}', 'email', '00000000-0000-7000-8a00-00000000c001', 'draft', '2024-03-04T00:00:00Z');
        INSERT INTO sales_activities (org_id, type, subject, contact_id, created_at, completed_at) VALUES
            ('{orgA}', 'call', 'Call', '00000000-0000-7000-8a00-00000000c001', '2024-02-01T00:00:00Z', '2024-05-01T00:00:00Z');
    )sql");
    const auto r = row(R"sql(
        SELECT has_sales_profile, has_candidate_profile, is_dual, sales_profile_count, candidate_profile_count,
               primary_sales_profile_id::text, primary_candidate_profile_id::text, application_count, deal_count,
               message_count, last_activity_at = '2024-05-01T00:00:00Z'::timestamptz, org_id::text
        FROM contact_profile_summary
        WHERE org_id = '{orgA}' AND contact_id = '00000000-0000-7000-8a00-00000000c001')sql");
    EXPECT_TRUE(r[0].as<bool>());
    EXPECT_TRUE(r[1].as<bool>());
    EXPECT_TRUE(r[2].as<bool>());
    EXPECT_EQ(r[3].as<int>(), 1);
    EXPECT_EQ(r[4].as<int>(), 1) << "the deleted candidate profile is not counted";
    EXPECT_EQ(r[5].as<std::string>(), "00000000-0000-7000-8a00-00000000c002");
    EXPECT_EQ(r[6].as<std::string>(), "00000000-0000-7000-8a00-00000000c003");
    EXPECT_EQ(r[7].as<int>(), 3) << "applications of the deleted profile are not counted";
    EXPECT_EQ(r[8].as<int>(), 2) << "soft-deleted deals are not counted";
    EXPECT_EQ(r[9].as<int>(), 4);
    EXPECT_TRUE(r[10].as<bool>()) << "latest of contact, messages, activities, live applications";
    EXPECT_EQ(r[11].as<std::string>(), fixtureIds().at("orgA"));
}

// A contact without profiles or activity has false flags, zero counts and no primaries.
TEST_F(SchemaTest, ProfileSummaryOfContactWithoutProfiles) {
    exec("INSERT INTO contacts (id, org_id, first_name) VALUES ('00000000-0000-7000-8b00-00000000c001', '{orgB}', 'Eve')");
    const auto r = row(R"sql(
        SELECT has_sales_profile, has_candidate_profile, is_dual, sales_profile_count, candidate_profile_count,
               primary_sales_profile_id IS NULL, primary_candidate_profile_id IS NULL, application_count,
               deal_count, message_count, last_activity_at IS NULL
        FROM contact_profile_summary
        WHERE org_id = '{orgB}' AND contact_id = '00000000-0000-7000-8b00-00000000c001')sql");
    EXPECT_FALSE(r[0].as<bool>());
    EXPECT_FALSE(r[1].as<bool>());
    EXPECT_FALSE(r[2].as<bool>());
    EXPECT_EQ(r[3].as<int>(), 0);
    EXPECT_EQ(r[4].as<int>(), 0);
    EXPECT_TRUE(r[5].as<bool>());
    EXPECT_TRUE(r[6].as<bool>());
    EXPECT_EQ(r[7].as<int>(), 0);
    EXPECT_EQ(r[8].as<int>(), 0);
    EXPECT_EQ(r[9].as<int>(), 0);
    EXPECT_TRUE(r[10].as<bool>());
}

// Soft-deleted contacts do not appear in contact_profile_summary.
TEST_F(SchemaTest, ProfileSummaryOmitsDeletedContacts) {
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM contact_profile_summary WHERE contact_id = '{contactA}'"), 1);
    exec("UPDATE contacts SET deleted_at = now() WHERE id = '{contactA}'");
    EXPECT_EQ(scalar<int>("SELECT count(*) FROM contact_profile_summary WHERE contact_id = '{contactA}'"), 0);
}

// Seeding ends with ANALYZE: autovacuum would never analyse the demo's small tables (it waits
// for 50 changed rows), so they would be planned with the statistics of their empty state.
TEST_F(SchemaTest, DemoSeedLeavesStatistics) {
    db_->truncateAll();
    const auto before = scalar<std::string>("SELECT clock_timestamp()::text");
    const auto seeded = crm::auth::seedDemo(*conn_, "a demo password that is long enough", false);
    ASSERT_TRUE(seeded.seeded);
    pqxx::nontransaction tx(*conn_);
    for (const std::string table : {"jobs", "clients", "contacts", "deals"}) {
        const auto analysed = tx.exec_params1("SELECT last_analyze >= $2::timestamptz FROM pg_stat_user_tables "
                                              "WHERE relname = $1", table, before);
        EXPECT_TRUE(analysed[0].as<bool>(false)) << table << " was not analysed after the seed";
        const auto estimated = tx.exec_params1("SELECT reltuples::bigint FROM pg_class WHERE relname = $1 "
                                               "AND relkind = 'r'", table)[0].as<long long>();
        const auto rows = tx.exec1("SELECT count(*) FROM " + table)[0].as<long long>();
        EXPECT_EQ(estimated, rows) << table;
    }
}

// The demo seed applies to an empty migrated database, fills every business table, and can be re-run.
TEST_F(SchemaTest, DemoSeedAppliesCleanly) {
    db_->truncateAll();
    std::ifstream file(CRM_SOURCE_DIR "/seeds/demo.sql", std::ios::binary);
    ASSERT_TRUE(file) << "cannot read " << CRM_SOURCE_DIR "/seeds/demo.sql";
    std::stringstream buffer;
    buffer << file.rdbuf();
    const std::string seed = buffer.str();

    for (int run = 0; run < 2; ++run) {
        SCOPED_TRACE(run == 0 ? "first run" : "second run (resets the demo)");
        {
            pqxx::work tx(*conn_);
            ASSERT_NO_THROW(tx.exec(seed));
            tx.commit();
        }
        const std::vector<std::string> tables{
            "teams", "users", "audit_log", "attachments", "clients", "contacts", "client_contacts",
            "contact_profile_audit_log", "sales_profiles", "candidate_profiles", "jobs",
            "application_stages", "job_applications", "application_stage_history",
            "sales_pipelines", "pipeline_stages", "deals", "deal_stage_history", "projects",
            "project_team_members", "sales_activities", "communication_templates",
            "communications", "communication_events"};
        for (const auto& table : tables) {
            SCOPED_TRACE(table);
            EXPECT_GT(scalar<int>("SELECT count(*) FROM " + table + " WHERE org_id = '{seedOrg}'"), 0);
        }
        const auto org = row("SELECT name, slug FROM organizations WHERE id = '{seedOrg}'");
        EXPECT_EQ(org[0].as<std::string>(), "Northwind Talent & Sales");
        EXPECT_EQ(org[1].as<std::string>(), "northwind");
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM users WHERE org_id = '{seedOrg}' AND password_hash = '!seed-placeholder'"), 6);
        EXPECT_EQ(scalar<std::string>("SELECT role FROM users WHERE email = 'admin@northwind.example'"), "admin");
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM users WHERE org_id = '{seedOrg}' AND role = 'recruiter'"), 2);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM users WHERE org_id = '{seedOrg}' AND role = 'sales'"), 2);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM users WHERE org_id = '{seedOrg}' AND role = 'manager'"), 1);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM clients WHERE org_id = '{seedOrg}'"), 40);
        // Seeded audit rows read like the API's own: past-tense actions, {"from", "to"} changes.
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM audit_log WHERE org_id = '{seedOrg}' AND action = 'client.created'"), 40);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM audit_log a, jsonb_each(a.changes) e "
                              "WHERE a.org_id = '{seedOrg}' AND jsonb_typeof(a.changes) = 'object' "
                              "AND jsonb_typeof(e.value) = 'object' AND (e.value ? 'new' OR e.value ? 'old')"),
                  0);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM contacts WHERE org_id = '{seedOrg}'"), 300);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM contact_profile_summary WHERE org_id = '{seedOrg}' AND is_dual"), 100);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM contact_profile_summary WHERE org_id = '{seedOrg}' "
                              "AND has_candidate_profile AND NOT has_sales_profile"), 90);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM contact_profile_summary WHERE org_id = '{seedOrg}' "
                              "AND has_sales_profile AND NOT has_candidate_profile"), 90);
        EXPECT_EQ(scalar<int>("SELECT count(*) - count(DISTINCT email) FROM contacts WHERE org_id = '{seedOrg}'"), 0);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM jobs WHERE org_id = '{seedOrg}'"), 25);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM job_applications WHERE org_id = '{seedOrg}'"), 150);
        EXPECT_GE(scalar<int>("SELECT count(DISTINCT stage_id) FROM job_applications WHERE org_id = '{seedOrg}'"), 6);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM deals WHERE org_id = '{seedOrg}'"), 60);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM projects WHERE org_id = '{seedOrg}'"), 10);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM sales_activities WHERE org_id = '{seedOrg}'"), 200);
        EXPECT_GT(scalar<int>("SELECT count(*) FROM sales_activities WHERE org_id = '{seedOrg}' "
                              "AND completed_at IS NULL AND due_at < now()"), 0) << "some tasks are overdue";
        EXPECT_GE(scalar<int>("SELECT count(*) FROM communication_templates WHERE org_id = '{seedOrg}'"), 8);
        EXPECT_GE(scalar<int>("SELECT count(*) FROM communications WHERE org_id = '{seedOrg}'"), 200);
        EXPECT_EQ(scalar<int>("SELECT count(*) FROM candidate_profiles WHERE org_id = '{seedOrg}' AND embedding IS NOT NULL"), 0);
    }
}

}  // namespace
