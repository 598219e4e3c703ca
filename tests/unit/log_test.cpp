#include "core/log.hpp"

#include <gtest/gtest.h>

namespace crm::core::log {
namespace {

using std::chrono::milliseconds;

// The first failure of a kind is logged; repeats within the interval are held back and
// counted on the next line that gets through.
TEST(LogThrottle, HoldsBackRepeatsAndCountsThem) {
    Throttle throttle(milliseconds(1000));
    const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    EXPECT_EQ(throttle.admit("503 /api/contacts", start), 0);
    EXPECT_EQ(throttle.admit("503 /api/contacts", start + milliseconds(10)), std::nullopt);
    EXPECT_EQ(throttle.admit("503 /api/contacts", start + milliseconds(900)), std::nullopt);
    EXPECT_EQ(throttle.admit("503 /api/clients", start + milliseconds(900)), 0) << "keys are apart";
    EXPECT_EQ(throttle.admit("503 /api/contacts", start + milliseconds(1000)), 2);
    EXPECT_EQ(throttle.admit("503 /api/contacts", start + milliseconds(2500)), 0);
}

// Memory stays bounded however many keys appear.
TEST(LogThrottle, ForgetsKeysBeyondItsBound) {
    Throttle throttle(milliseconds(1000), 2);
    const auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    EXPECT_EQ(throttle.admit("a", now), 0);
    EXPECT_EQ(throttle.admit("b", now), 0);
    EXPECT_EQ(throttle.admit("c", now), 0);
    EXPECT_EQ(throttle.admit("a", now), 0) << "a was forgotten to make room";
}

}  // namespace
}  // namespace crm::core::log
