#include "db/statement.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace crm::db {
namespace {

std::string written(std::string_view postgres_text) {
    return utcTimestamp(UtcTimestampText{postgres_text});
}

// PostgreSQL drops a fraction's trailing zeros; the API writes all six digits.
TEST(UtcTimestamps, AlwaysCarrySixFractionDigits) {
    EXPECT_EQ(written("2026-03-31 09:30:00"), "2026-03-31T09:30:00.000000Z");
    EXPECT_EQ(written("2026-03-31 09:30:00.5"), "2026-03-31T09:30:00.500000Z");
    EXPECT_EQ(written("2026-03-31 09:30:00.54072"), "2026-03-31T09:30:00.540720Z");
    EXPECT_EQ(written("2026-03-31 09:30:00.540721"), "2026-03-31T09:30:00.540721Z");
    EXPECT_EQ(written("12026-03-31 09:30:00.1"), "12026-03-31T09:30:00.100000Z");
}

// So a client may order them as text: the order of the times.
TEST(UtcTimestamps, SortAsText) {
    const std::vector<std::string_view> in_time_order{"2026-03-31 09:30:00", "2026-03-31 09:30:00.000001",
                                                      "2026-03-31 09:30:00.54072", "2026-03-31 09:30:00.540721",
                                                      "2026-03-31 09:30:01"};
    std::vector<std::string> texts;
    for (const auto text : in_time_order) {
        texts.push_back(written(text));
    }
    EXPECT_TRUE(std::is_sorted(texts.begin(), texts.end()));
}

}  // namespace
}  // namespace crm::db
