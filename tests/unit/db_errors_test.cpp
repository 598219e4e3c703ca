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

}  // namespace
}  // namespace crm::db
