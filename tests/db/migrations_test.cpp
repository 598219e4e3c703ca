#include "app/application.hpp"
#include "core/config.hpp"
#include "db/migrations.hpp"
#include "support/database.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

namespace crm::test {
namespace {

std::vector<db::Migration> twoMigrations() {
    return db::loadMigrations({{"0001_first.sql", "CREATE TABLE first_table (id int)"},
                               {"0002_second.sql", "CREATE TABLE second_table (id int)"}});
}

// Applies the built-in migrations older than `version`: the database a later one finds.
void migrateBefore(pqxx::connection& connection, int version) {
    std::vector<db::Migration> before;
    for (const auto& migration : db::builtInMigrations()) {
        if (migration.version < version) {
            before.push_back(migration);
        }
    }
    db::migrate(connection, before);
}

// Every built-in migration applies to an empty database, in order, and a second run applies none.
TEST(Migrations, ApplyToEmptyDatabaseOnce) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    const auto first = db::migrate(connection, db::builtInMigrations());
    EXPECT_EQ(first.applied.size(), db::builtInMigrations().size());
    EXPECT_EQ(first.applied.front(), db::builtInMigrations().front().name);
    const auto second = db::migrate(connection, db::builtInMigrations());
    EXPECT_TRUE(second.applied.empty());
    EXPECT_EQ(second.already_applied, static_cast<int>(db::builtInMigrations().size()));
    EXPECT_NO_THROW(db::verifyMigrations(connection, db::builtInMigrations()));
}

// Each applied migration is recorded with the SHA-256 of its file.
TEST(Migrations, RecordChecksums) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    db::migrate(connection, twoMigrations());
    pqxx::read_transaction tx(connection);
    const auto row = tx.exec1("SELECT name, checksum FROM schema_migrations WHERE version = 2");
    EXPECT_EQ(row[0].as<std::string>(), "0002_second.sql");
    EXPECT_EQ(row[1].as<std::string>(), db::sha256Hex("CREATE TABLE second_table (id int)"));
}

// A migration whose file changed after it was applied stops everything, naming the file.
TEST(Migrations, RefuseChangedFile) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    db::migrate(connection, twoMigrations());
    const auto changed = db::loadMigrations({{"0001_first.sql", "CREATE TABLE first_table (id bigint)"},
                                             {"0002_second.sql", "CREATE TABLE second_table (id int)"}});
    try {
        db::migrate(connection, changed);
        FAIL() << "a changed migration must be refused";
    } catch (const db::MigrationError& e) {
        EXPECT_NE(std::string(e.what()).find("0001_first.sql"), std::string::npos);
    }
    EXPECT_THROW(db::verifyMigrations(connection, changed), db::MigrationError);
}

// A database that knows a migration this build lacks is refused (an older build).
TEST(Migrations, RefuseUnknownAppliedMigration) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    db::migrate(connection, twoMigrations());
    const auto older = db::loadMigrations({{"0001_first.sql", "CREATE TABLE first_table (id int)"}});
    EXPECT_THROW(db::verifyMigrations(connection, older), db::MigrationError);
}

// A failing migration leaves nothing half-applied: its transaction rolls back, earlier ones stay.
TEST(Migrations, FailedMigrationRollsBack) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    const auto broken = db::loadMigrations({{"0001_first.sql", "CREATE TABLE first_table (id int)"},
                                            {"0002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function()"}});
    EXPECT_ANY_THROW(db::migrate(connection, broken));
    pqxx::read_transaction tx(connection);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>(), 1);
    EXPECT_TRUE(tx.exec1("SELECT to_regclass('half') IS NULL")[0].as<bool>());
}

// Pending migrations are reported by the check the server runs at start-up.
TEST(Migrations, VerifyReportsPending) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    db::migrate(connection, db::loadMigrations({{"0001_first.sql", "CREATE TABLE first_table (id int)"}}));
    EXPECT_THROW(db::verifyMigrations(connection, twoMigrations()), db::MigrationError);
}

// File names must be NNNN_name.sql and versions unique.
TEST(Migrations, RejectBadFileNames) {
    EXPECT_THROW(db::loadMigrations({{"1_first.sql", ""}}), db::MigrationError);
    EXPECT_THROW(db::loadMigrations({{"0001_First.SQL", ""}}), db::MigrationError);
    EXPECT_THROW(db::loadMigrations({{"0001_a.sql", ""}, {"0001_b.sql", ""}}), db::MigrationError);
    const auto sorted = db::loadMigrations({{"0002_b.sql", ""}, {"0001_a.sql", ""}});
    EXPECT_EQ(sorted.front().version, 1);
}

// Tags stored before 0014 are folded to lower case with their duplicates dropped, the first one's
// place kept, and the change is in each row's audit trail; rows already folded are left alone.
TEST(Migrations, FoldTagsStoredBefore) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    migrateBefore(connection, 14);
    {
        pqxx::work tx(connection);
        tx.exec(R"sql(
            INSERT INTO organizations (id, name, slug) VALUES
                ('00000000-0000-7000-8000-000000000001', 'Org', 'org');
            INSERT INTO clients (id, org_id, name, tags) VALUES
                ('00000000-0000-7000-8000-000000000011', '00000000-0000-7000-8000-000000000001',
                 'Shouting', '{VIP,emea,vip,Été,ÉTÉ}'),
                ('00000000-0000-7000-8000-000000000012', '00000000-0000-7000-8000-000000000001',
                 'Quiet', '{vip}');
            INSERT INTO contacts (id, org_id, first_name, last_name, tags) VALUES
                ('00000000-0000-7000-8000-000000000021', '00000000-0000-7000-8000-000000000001',
                 'Ada', 'Lovelace', '{été,Été,speaker}');
        )sql");
        tx.commit();
    }
    db::migrate(connection, db::builtInMigrations());

    pqxx::read_transaction tx(connection);
    const auto tags = [&tx](const std::string& sql) {
        return tx.exec1(sql)[0].as<std::string>();
    };
    EXPECT_EQ(tags("SELECT tags::text FROM clients WHERE name = 'Shouting'"), "{vip,emea,été}");
    EXPECT_EQ(tags("SELECT tags::text FROM clients WHERE name = 'Quiet'"), "{vip}");
    EXPECT_EQ(tags("SELECT tags::text FROM contacts WHERE last_name = 'Lovelace'"), "{été,speaker}");
    EXPECT_EQ(tags("SELECT version::text FROM clients WHERE name = 'Quiet'"), "1");

    const auto client_audit = tx.exec(
        "SELECT entity_id::text, action, actor_id IS NULL, changes::text FROM audit_log");
    ASSERT_EQ(client_audit.size(), 1U);
    EXPECT_EQ(client_audit[0][0].as<std::string>(), "00000000-0000-7000-8000-000000000011");
    EXPECT_EQ(client_audit[0][1].as<std::string>(), "client.updated");
    EXPECT_TRUE(client_audit[0][2].as<bool>());
    EXPECT_EQ(nlohmann::json::parse(client_audit[0][3].as<std::string>()),
              nlohmann::json::parse(R"({"tags": {"from": ["VIP", "emea", "vip", "Été", "ÉTÉ"],
                                                 "to": ["vip", "emea", "été"]}})"));
    const auto contact_audit = tx.exec1(
        "SELECT field, old_value::text, new_value::text, changed_by IS NULL FROM contact_profile_audit_log");
    EXPECT_EQ(contact_audit[0].as<std::string>(), "tags");
    EXPECT_EQ(nlohmann::json::parse(contact_audit[1].as<std::string>()),
              nlohmann::json::parse(R"(["été", "Été", "speaker"])"));
    EXPECT_EQ(nlohmann::json::parse(contact_audit[2].as<std::string>()),
              nlohmann::json::parse(R"(["été", "speaker"])"));
    EXPECT_TRUE(contact_audit[3].as<bool>());
}

// Tags stored before 0020 with a word-final σ (lower() of a capital Σ) are spelt with ς, as the
// API now folds them, repeats dropped; and the search column is folded (crm_fold).
TEST(Migrations, FoldSearchesAndSpellGreekTags) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    migrateBefore(connection, 20);
    {
        pqxx::work tx(connection);
        tx.exec(R"sql(
            INSERT INTO organizations (id, name, slug) VALUES
                ('00000000-0000-7000-8000-000000000001', 'Org', 'org');
            INSERT INTO clients (id, org_id, name, tags) VALUES
                ('00000000-0000-7000-8000-000000000011', '00000000-0000-7000-8000-000000000001',
                 'Όμιλος', '{φίλοσ,vip,φίλος,σ,ασσ}'),
                ('00000000-0000-7000-8000-000000000012', '00000000-0000-7000-8000-000000000001',
                 'Quiet', '{κόσμος,σοφία}');
            INSERT INTO contacts (id, org_id, first_name, last_name, tags) VALUES
                ('00000000-0000-7000-8000-000000000021', '00000000-0000-7000-8000-000000000001',
                 'Σωκράτης', 'ΚΑΡΑΓΙΑΝΝΗΣ', '{οδοσ 1}');
            INSERT INTO candidate_profiles (org_id, contact_id, skills) VALUES
                ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000021',
                 '[{"name": "ΠΩΛΗΣΕΙΣ"}, {"name": "Πωλήσεις"}, {"name": "Go"}]');
        )sql");
        tx.commit();
    }
    db::migrate(connection, db::builtInMigrations());

    pqxx::read_transaction tx(connection);
    const auto text = [&tx](const std::string& sql) {
        return tx.exec1(sql)[0].as<std::string>();
    };
    EXPECT_EQ(text("SELECT tags::text FROM clients WHERE name = 'Όμιλος'"), "{φίλος,vip,σ,ασς}");
    EXPECT_EQ(text("SELECT tags::text FROM clients WHERE name = 'Quiet'"), "{κόσμος,σοφία}");
    EXPECT_EQ(text("SELECT version::text FROM clients WHERE name = 'Quiet'"), "1");
    EXPECT_EQ(text("SELECT version::text FROM clients WHERE name = 'Όμιλος'"), "2");
    EXPECT_EQ(text("SELECT tags::text FROM contacts"), "{\"οδος 1\"}");
    EXPECT_EQ(text("SELECT count(*)::text FROM audit_log WHERE action = 'client.updated'"), "1");
    EXPECT_EQ(text("SELECT count(*)::text FROM contact_profile_audit_log WHERE field = 'tags'"), "1");
    // No accents; the name also surname first, the parts joined by U+001F (0024).
    EXPECT_EQ(text("SELECT search_text FROM contacts"),
              "σωκρατησ καραγιαννησ\x1f\x1f\x1fκαραγιαννησ σωκρατησ\x1fκαραγιαννησσωκρατησ");
    EXPECT_EQ(text("SELECT crm_fold(U&'Anna\\00ADMaria')"), "annamaria");  // a soft hyphen shows nothing
    EXPECT_EQ(text("SELECT crm_fold('Zoë  ÉTÉ')"), "zoe ete");  // one space since 0023
    EXPECT_EQ(text("SELECT crm_fold(U&'\\2019 O\\2019Brien ')"), "obrien");  // nor any at the ends
    EXPECT_EQ(text("SELECT crm_fold(U&'\\0645\\064F\\062D\\064E\\0645\\0651\\064E\\062F \\5C71\\3000\\7530')"),
              "\u0645\u062D\u0645\u062F \u5C71 \u7530");  // harakat gone, U+3000 a space
    // ％ and ＼ stay literal; ＿ is '_' to unaccent, a space since 0024.
    EXPECT_EQ(text("SELECT crm_like_literal(crm_fold(U&'50\\FF05\\FF3F\\FF3C'))"), "50\\% \\\\");
    EXPECT_EQ(text("SELECT crm_fold('Jean-Luc  St. John, (UK) A/S_1')"), "jean luc st john uk a s 1");
    EXPECT_EQ(text("SELECT crm_fold(U&'Garc\\00EDa\\2014M\\00E1rquez\\2026')"), "garcia marquez");
    // Accent kept: the capitals had none, so two skills (as the API would have kept them).
    EXPECT_EQ(text("SELECT skill_names::text FROM candidate_profiles"), "{go,πωλήσεις,πωλησεις}");
    EXPECT_EQ(text("SELECT version::text FROM candidate_profiles"), "1");
}

// Text stored before 0015 in decomposed form becomes NFC where matching reads it; a user whose
// e-mail would collide with another's is left alone rather than failing the migration.
TEST(Migrations, ComposeStoredText) {
    auto database = TestDatabase::createEmpty();
    auto connection = database->connect();
    migrateBefore(connection, 15);
    {
        pqxx::work tx(connection);
        tx.exec(R"sql(
            INSERT INTO organizations (id, name, slug) VALUES
                ('00000000-0000-7000-8000-000000000001', 'Org', 'org');
            INSERT INTO users (org_id, email, name, role, password_hash) VALUES
                ('00000000-0000-7000-8000-000000000001', U&'jose\0301@x.example', 'Decomposed', 'admin', 'h'),
                ('00000000-0000-7000-8000-000000000001', U&'ana\0301@x.example', 'Twin NFD', 'sales', 'h'),
                ('00000000-0000-7000-8000-000000000001', U&'an\00e1@x.example', 'Twin NFC', 'sales', 'h');
            INSERT INTO contacts (id, org_id, first_name, last_name, email, emails, city, tags) VALUES
                ('00000000-0000-7000-8000-000000000021', '00000000-0000-7000-8000-000000000001',
                 U&'Jose\0301', U&'Nun\0303ez', U&'jose\0301@x.example',
                 jsonb_build_array(
                     -- A label whose escaped newline would take the accent if the JSON text were
                     -- normalised: it must survive as it is.
                     jsonb_build_object('email', U&'pe\0301rez@x.example', 'label', U&'a\000a\0303'),
                     jsonb_build_object('email', U&'p\00e9rez@x.example', 'label', 'same once composed'),
                     jsonb_build_object('email', U&'jos\00e9@x.example', 'label', 'the main one')),
                 U&'Malmo\0308', ARRAY[U&'e\0301te\0301', U&'\00e9t\00e9', 'vip']);
            INSERT INTO candidate_profiles (org_id, contact_id, skills, is_primary) VALUES
                ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000021',
                 jsonb_build_array(jsonb_build_object('name', U&'Re\0301seau', 'level', 3)), true);
        )sql");
        tx.commit();
    }
    db::migrate(connection, db::builtInMigrations());

    pqxx::read_transaction tx(connection);
    const auto text = [&tx](const std::string& sql) { return tx.exec1(sql)[0].as<std::string>(); };
    EXPECT_EQ(text("SELECT email FROM users WHERE name = 'Decomposed'"), "jos\u00e9@x.example");
    EXPECT_EQ(text("SELECT email FROM users WHERE name = 'Twin NFD'"), "ana\u0301@x.example");  // left
    EXPECT_EQ(text("SELECT first_name || ' ' || last_name FROM contacts"), "Jos\u00e9 Nu\u00f1ez");
    EXPECT_EQ(text("SELECT email FROM contacts"), "jos\u00e9@x.example");
    // The composed twin is dropped (the first entry and its label stay, the label as it was);
    // an entry equal to the main address stays, as the API keeps it.
    const auto expected_emails = nlohmann::json::array(
        {{{"email", "p\u00e9rez@x.example"}, {"label", "a\n\u0303"}},
         {{"email", "jos\u00e9@x.example"}, {"label", "the main one"}}});
    EXPECT_EQ(nlohmann::json::parse(text("SELECT emails::text FROM contacts")), expected_emails);
    EXPECT_EQ(text("SELECT city FROM contacts"), "Malm\u00f6");
    EXPECT_EQ(text("SELECT tags::text FROM contacts"), "{\u00e9t\u00e9,vip}");
    EXPECT_EQ(text("SELECT skill_names::text FROM candidate_profiles"), "{r\u00e9seau}");
}

// A database whose LC_CTYPE folds case otherwise than the API (here C: "É" stays "É") is
// refused before any migration applies, by a message that says what to do.
TEST(Migrations, RefuseDatabaseThatFoldsTextOtherwise) {
    auto database = TestDatabase::createEmpty("C");
    auto connection = database->connect();
    try {
        db::migrate(connection, db::builtInMigrations());
        FAIL() << "migrated a database with LC_CTYPE C";
    } catch (const db::MigrationError& error) {
        EXPECT_NE(std::string(error.what()).find("LC_CTYPE (C)"), std::string::npos) << error.what();
    }
    pqxx::read_transaction tx(connection);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                       "AND tablename <> 'schema_migrations'")[0].as<int>(), 0);
}

// The server refuses to start on a database whose applied migration was altered.
TEST(Migrations, ServerRefusesChangedSchema) {
    auto database = TestDatabase::createMigrated();
    {
        auto connection = database->connect();
        pqxx::work tx(connection);
        tx.exec("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
        tx.commit();
    }
    auto settings = TestServer::baseSettings(*database);
    app::Application app(core::Config::fromEnvironment(settings));
    EXPECT_THROW(app.start(), db::MigrationError);
}

}  // namespace
}  // namespace crm::test
