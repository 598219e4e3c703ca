// The row and JSON readers that repositories build records with, fed by PostgreSQL itself:
// its text output of each type, and the JSON row_to_json() and json_agg() make of rows.

#include "db/json_records.hpp"
#include "db/row_reader.hpp"
#include "support/database.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crm::test {
namespace {

class Readers : public ::testing::Test {
protected:
    static void SetUpTestSuite() { database_ = TestDatabase::createEmpty().release(); }
    static void TearDownTestSuite() {
        delete database_;
        database_ = nullptr;
    }

    pqxx::result query(const std::string& sql) {
        auto connection = database_->connect();
        pqxx::nontransaction tx(connection);
        return tx.exec(sql);
    }

    static TestDatabase* database_;
};

TestDatabase* Readers::database_ = nullptr;

TEST_F(Readers, RowReaderTakesColumnsInOrderWithTheirTypes) {
    const auto rows = query(
        "SELECT 'Ada Lovelace'::text, NULL::text, true, false, 42, NULL::bigint, 9000000000::bigint, "
        "TIMESTAMPTZ '2026-03-31 09:30:00.123456+00' AT TIME ZONE 'UTC', "
        "NULL::timestamp, 'skipped', 'last'");
    db::RowReader in(rows[0]);
    EXPECT_EQ(in.text(), "Ada Lovelace");
    EXPECT_TRUE(in.isNull());
    EXPECT_EQ(in.optionalText(), std::nullopt);
    EXPECT_TRUE(in.boolean());
    EXPECT_FALSE(in.boolean());
    EXPECT_EQ(in.integer(), 42);
    EXPECT_EQ(in.optionalBigInteger(), std::nullopt);
    EXPECT_EQ(in.optionalBigInteger(), 9000000000LL);
    EXPECT_EQ(in.utcTimestamp(), "2026-03-31T09:30:00.123456Z");
    EXPECT_EQ(in.optionalUtcTimestamp(), std::nullopt);
    in.skip();
    EXPECT_EQ(in.view(), "last");
    // A reader that disagrees with its statement on the columns fails loudly, never reads junk.
    EXPECT_THROW(in.text(), std::logic_error);
}

TEST_F(Readers, RowReaderRefusesNullWhereAValueBelongs) {
    const auto rows = query("SELECT NULL::text, NULL::boolean, NULL::int, NULL::timestamp");
    EXPECT_THROW(db::RowReader(rows[0]).text(), std::logic_error);
    db::RowReader in(rows[0]);
    in.skip();
    EXPECT_THROW(in.boolean(), std::logic_error);
    in.skip();
    EXPECT_THROW(in.integer(), std::logic_error);
    in.skip();
    EXPECT_THROW(in.utcTimestamp(), std::logic_error);
}

TEST_F(Readers, RowReaderRefusesTextWhereANumberBelongs) {
    const auto rows = query("SELECT 'forty-two'");
    db::RowReader in(rows[0]);
    EXPECT_THROW(in.integer(), std::runtime_error);
}

struct Person {
    std::string id;
    std::optional<std::string> nickname;
    std::optional<long long> age;
    bool active = false;
    std::string seen_at;
    nlohmann::json skills = nlohmann::json::array();
    std::vector<std::string> places;
    int version = 1;
};

const db::JsonColumnSetters<Person> kPersonSetters = {
    {"id", [](Person& p, db::JsonColumn& c) { p.id = std::move(c.text); }},
    {"nickname", [](Person& p, db::JsonColumn& c) { p.nickname = c.optionalText(); }},
    {"age", [](Person& p, db::JsonColumn& c) { p.age = c.optionalInteger(); }},
    {"active", [](Person& p, db::JsonColumn& c) { p.active = c.flag; }},
    {"seen_at", [](Person& p, db::JsonColumn& c) { p.seen_at = c.optionalUtcTimestamp().value_or(""); }},
    {"skills", [](Person& p, db::JsonColumn& c) { p.skills = std::move(c.nested); }},
    {"places", [](Person& p, db::JsonColumn& c) {
         for (const auto& place : c.nested) {
             p.places.push_back(place.get<std::string>());
         }
     }},
};

constexpr const char* kPeople = R"sql(
    SELECT * FROM (VALUES
      ('p1', 'Ada', 36, true, TIMESTAMP '2026-03-31 09:30:00.5',
       '[{"name": "Go", "level": 3, "tags": {"since": 2019, "via": ["work", "night \"school\""]}}]'::jsonb,
       ARRAY['Berlin', 'Remote'], 'not read', 7),
      ('p2', NULL, NULL, false, TIMESTAMP '2026-04-01 00:00:00', '[]'::jsonb, ARRAY[]::text[],
       NULL, 1)
    ) AS t(id, nickname, age, active, seen_at, skills, places, ignored, version)
)sql";

TEST_F(Readers, JsonRecordsReadAggregatedRowsIntoRecords) {
    const auto rows = query(std::string("SELECT json_agg(x ORDER BY x.id)::text FROM (") + kPeople + ") x");
    const auto people = db::readJsonRecords(rows[0][0].c_str(), kPersonSetters);
    ASSERT_EQ(people.size(), 2u);

    EXPECT_EQ(people[0].id, "p1");
    EXPECT_EQ(people[0].nickname, "Ada");
    EXPECT_EQ(people[0].age, 36);
    EXPECT_TRUE(people[0].active);
    EXPECT_EQ(people[0].seen_at, "2026-03-31T09:30:00.500000Z");
    EXPECT_EQ(people[0].skills, nlohmann::json::parse(
                                    R"([{"name": "Go", "level": 3,
                                         "tags": {"since": 2019, "via": ["work", "night \"school\""]}}])"));
    EXPECT_EQ(people[0].places, (std::vector<std::string>{"Berlin", "Remote"}));
    EXPECT_EQ(people[0].version, 1) << "a column without a setter is ignored";

    EXPECT_EQ(people[1].id, "p2");
    EXPECT_EQ(people[1].nickname, std::nullopt);
    EXPECT_EQ(people[1].age, std::nullopt);
    EXPECT_FALSE(people[1].active);
    EXPECT_EQ(people[1].skills, nlohmann::json::array());
    EXPECT_TRUE(people[1].places.empty());
}

TEST_F(Readers, JsonRecordsReadOneRowToJson) {
    const auto rows = query(std::string("SELECT row_to_json(x)::text FROM (") + kPeople + ") x WHERE id = 'p2'");
    const auto people = db::readJsonRecords(rows[0][0].c_str(), kPersonSetters);
    ASSERT_EQ(people.size(), 1u);
    EXPECT_EQ(people[0].id, "p2");
}

TEST_F(Readers, JsonRecordsRefuseWhatIsNotRows) {
    EXPECT_THROW(db::readJsonRecords(R"({"id": "p1")", kPersonSetters), std::runtime_error);
    EXPECT_THROW(db::readJsonRecords(R"(["p1"])", kPersonSetters), std::runtime_error);
    EXPECT_TRUE(db::readJsonRecords("[]", kPersonSetters).empty());
}

}  // namespace
}  // namespace crm::test
