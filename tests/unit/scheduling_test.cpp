#include "core/config.hpp"
#include "core/scheduling.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace crm::core {
namespace {

// The calling thread switches to SCHED_BATCH, and the threads it starts afterwards (the server's
// I/O and worker threads) inherit the policy. Run in a thread of its own, so the test process
// keeps its policy.
TEST(Scheduling, BatchPolicyAppliesToTheThreadAndThoseItStarts) {
    int own = -1;
    int started = -1;
    std::thread caller([&] {
        ASSERT_EQ(sched_getscheduler(0), SCHED_OTHER);
        ASSERT_TRUE(useBatchScheduling());
        own = sched_getscheduler(0);
        std::thread child([&] { started = sched_getscheduler(0); });
        child.join();
    });
    caller.join();
    EXPECT_EQ(own, SCHED_BATCH);
    EXPECT_EQ(started, SCHED_BATCH);
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER) << "other threads keep their policy";
}

TEST(Scheduling, OnByDefaultAndCanBeTurnedOff) {
    std::map<std::string, std::string> vars = {{"CRM_DATABASE_URL", "postgresql://crm@localhost/crm"},
                                               {"CRM_REDIS_URL", "redis://localhost:6379/0"}};
    EXPECT_TRUE(Config::fromEnvironment(vars).batch_scheduling);
    vars["CRM_BATCH_SCHEDULING"] = "false";
    EXPECT_FALSE(Config::fromEnvironment(vars).batch_scheduling);
}

}  // namespace
}  // namespace crm::core
