#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace crm::test {
namespace {

struct CommandResult {
    int status = -1;
    std::string output;
};

CommandResult runWithInput(const std::string& command, const std::string& input) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("crm-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(path) << input;
    CommandResult result;
    FILE* pipe = ::popen((command + " < " + path.string() + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        result.output += buffer;
    }
    result.status = ::pclose(pipe);
    std::filesystem::remove(path);
    return result;
}

// What /metrics serves after real traffic passes Prometheus' own linter.
TEST(MetricsFormat, PromtoolAcceptsMetrics) {
    auto server = TestServer::start();
    auto client = server->client();
    client.get("/api/health");
    client.get("/api/health/ready");
    client.get("/api/does-not-exist");
    client.del("/api/health");
    const auto metrics = client.get("/metrics");
    ASSERT_EQ(metrics.status, 200);
    const auto check = runWithInput("promtool check metrics", metrics.body);
    EXPECT_EQ(check.status, 0) << "promtool (Debian package prometheus; ./crm test installs it):\n"
                               << check.output;
    EXPECT_NE(metrics.body.find("route=\"unmatched\",status=\"404\""), std::string::npos);
    EXPECT_NE(metrics.body.find("status=\"405\""), std::string::npos);
}

}  // namespace
}  // namespace crm::test
