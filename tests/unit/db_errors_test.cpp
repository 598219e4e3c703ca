#include "core/error.hpp"
#include "db/errors.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace crm::db {
namespace {

// libpqxx 6 does not make a rolled-back transaction an sql_error: a deadlock or serialization
// failure must still be a 503 to retry, never a 500.
TEST(DatabaseErrors, RolledBackTransactionsAreRetryable) {
    for (const auto& error : std::vector<std::shared_ptr<std::exception>>{
             std::make_shared<pqxx::deadlock_detected>("ERROR:  deadlock detected"),
             std::make_shared<pqxx::serialization_failure>("ERROR:  could not serialize access")}) {
        const auto translated = translate(*error);
        ASSERT_TRUE(translated.has_value()) << error->what();
        EXPECT_EQ(translated->code(), core::ErrorCode::Unavailable);
        EXPECT_EQ(translated->retryAfterSeconds(), 1);
    }
    const auto in_doubt = translate(pqxx::in_doubt_error("connection lost during commit"));
    ASSERT_TRUE(in_doubt.has_value());
    EXPECT_EQ(in_doubt->code(), core::ErrorCode::Unavailable);
    EXPECT_NE(in_doubt->message().find("check whether the change was saved"), std::string::npos);
}

// Only a transaction PostgreSQL rolled back whole is run again: a commit whose outcome is
// unknown may have been saved, and other errors would fail the same way twice.
TEST(DatabaseErrors, OnlyWholeRollbacksAreRunAgain) {
    EXPECT_TRUE(wasRolledBack(pqxx::deadlock_detected("ERROR:  deadlock detected")));
    EXPECT_TRUE(wasRolledBack(pqxx::serialization_failure("ERROR:  could not serialize access")));
    EXPECT_TRUE(wasRolledBack(pqxx::sql_error("ERROR:  deadlock detected", "", "40P01")));
    EXPECT_FALSE(wasRolledBack(pqxx::statement_completion_unknown("connection lost during COMMIT")));
    EXPECT_FALSE(wasRolledBack(pqxx::in_doubt_error("connection lost during commit")));
    EXPECT_FALSE(wasRolledBack(pqxx::unique_violation("ERROR:  duplicate key", "", "23505")));
    EXPECT_FALSE(wasRolledBack(std::runtime_error("not a database error")));
}

}  // namespace
}  // namespace crm::db
