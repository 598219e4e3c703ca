#include "core/log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <unistd.h>

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

namespace crm::core::log {
namespace {

// What a log line printed, captured from stdout.
std::string printed(const std::function<void()>& write) {
    std::fflush(stdout);
    const int saved = ::dup(STDOUT_FILENO);
    std::FILE* capture = std::tmpfile();
    ::dup2(::fileno(capture), STDOUT_FILENO);
    write();
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    std::rewind(capture);
    std::string out;
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, capture)) {
        out.append(buffer, n);
    }
    std::fclose(capture);
    return out;
}

// A value from the request that is not UTF-8 (a percent-decoded path such as /api/%FF%C0) still
// leaves a line that is JSON: the bad bytes become U+FFFD.
TEST(LogLines, StayJsonWhenAValueIsNotUtf8) {
    const auto line = printed([] {
        writeFlat(Level::Warn, "request", {{"path", std::string_view("/api/\xff\xc0")}});
    });
    ASSERT_FALSE(line.empty());
    const auto parsed = nlohmann::json::parse(line);  // throws on bytes that are not UTF-8
    EXPECT_EQ(parsed.at("path"), "/api/\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace crm::core::log
