#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace crm::core {
namespace {

TEST(UuidV7, HasTheVersionVariantAndCurrentTime) {
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const auto id = newUuidV7();
    ASSERT_TRUE(isUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    const auto millis = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    EXPECT_GE(millis, before);
    EXPECT_LE(millis, before + 1000);
}

// Ids are drawn from a per-thread block of random bytes: many blocks' worth stay distinct and
// sort by creation time across milliseconds.
TEST(UuidV7, StayUniqueAndTimeOrderedAcrossRandomBlocks) {
    std::set<std::string> seen;
    std::string previous_millis;
    for (int i = 0; i < 20000; ++i) {
        const auto id = newUuidV7();
        EXPECT_TRUE(seen.insert(id).second) << "repeated " << id;
        const auto millis = id.substr(0, 13);
        EXPECT_GE(millis, previous_millis);
        previous_millis = millis;
    }
}

}  // namespace
}  // namespace crm::core
