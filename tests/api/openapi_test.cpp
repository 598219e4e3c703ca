#include "http/router.hpp"
#include "ops/openapi.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <set>

namespace crm::test {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

class OpenApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = TestServer::start(); }
    static void TearDownTestSuite() { server_.reset(); }
    static inline std::unique_ptr<TestServer> server_;
};

// Every route the server registers is described in openapi.yaml with the same method.
TEST_F(OpenApiTest, EveryRouteIsInTheSpec) {
    const auto& paths = ops::openapiJson().at("paths");
    for (const auto* route : server_->app().router().routes()) {
        SCOPED_TRACE(std::string(http::toString(route->method)) + " " + route->path);
        ASSERT_TRUE(paths.contains(route->path)) << "route missing from openapi.yaml";
        EXPECT_TRUE(paths.at(route->path).contains(lower(http::toString(route->method))))
            << "method missing from openapi.yaml";
    }
}

// Every operation in the spec is served by a route.
TEST_F(OpenApiTest, EverySpecOperationIsServed) {
    std::set<std::string> served;
    for (const auto* route : server_->app().router().routes()) {
        served.insert(lower(http::toString(route->method)) + " " + route->path);
    }
    for (const auto& [path, item] : ops::openapiJson().at("paths").items()) {
        for (const auto& [method, operation] : item.items()) {
            if (method == "parameters" || method == "summary" || method == "description") {
                continue;
            }
            EXPECT_TRUE(served.count(method + " " + path))
                << method << " " << path << " is in openapi.yaml but no route serves it";
        }
    }
}

// Public routes say `security: []` in the spec, and only they do.
TEST_F(OpenApiTest, SecurityMatchesRouteAccess) {
    const auto& paths = ops::openapiJson().at("paths");
    for (const auto* route : server_->app().router().routes()) {
        const auto& operation = paths.at(route->path).at(lower(http::toString(route->method)));
        const bool open_in_spec = operation.contains("security") && operation.at("security").empty();
        EXPECT_EQ(open_in_spec, !route->access.authenticated)
            << http::toString(route->method) << " " << route->path;
    }
}

// Every operation has a unique operationId, for generated clients.
TEST_F(OpenApiTest, OperationIdsAreUnique) {
    std::set<std::string> ids;
    for (const auto& [path, item] : ops::openapiJson().at("paths").items()) {
        for (const auto& [method, operation] : item.items()) {
            ASSERT_TRUE(operation.contains("operationId")) << method << " " << path;
            EXPECT_TRUE(ids.insert(operation.at("operationId").get<std::string>()).second)
                << "duplicate operationId " << operation.at("operationId");
        }
    }
}

// Every $ref points at a component that exists.
TEST_F(OpenApiTest, ReferencesResolve) {
    const auto& spec = ops::openapiJson();
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
        if (node.is_object()) {
            if (node.contains("$ref")) {
                const auto ref = node.at("$ref").get<std::string>();
                ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
                EXPECT_TRUE(spec.contains(nlohmann::json::json_pointer(ref.substr(1)))) << ref;
            }
            for (const auto& [key, value] : node.items()) {
                walk(value);
            }
        } else if (node.is_array()) {
            for (const auto& value : node) {
                walk(value);
            }
        }
    };
    walk(spec);
}

// The spec is served as YAML and as the same document in JSON.
TEST_F(OpenApiTest, ServedAsYamlAndJson) {
    auto client = server_->client();
    const auto yaml = client.get("/api/openapi.yaml");
    EXPECT_EQ(yaml.status, 200);
    EXPECT_EQ(yaml.body.rfind("openapi: 3.1.0", 0), 0u);
    const auto json = client.get("/api/openapi.json");
    EXPECT_EQ(json.status, 200);
    EXPECT_EQ(json.json().at("openapi"), "3.1.0");
    EXPECT_EQ(json.json(), ops::openapiJson());
}

// YAML typing: quoted scalars stay strings, plain ones become numbers and booleans.
TEST(YamlToJson, TypesPlainScalarsOnly) {
    const auto json = ops::yamlToJson("a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: 1.5\nf: null\ng: x1\n");
    EXPECT_EQ(json.at("a"), 1);
    EXPECT_EQ(json.at("b"), "1");
    EXPECT_EQ(json.at("c"), true);
    EXPECT_EQ(json.at("d"), "true");
    EXPECT_EQ(json.at("e"), 1.5);
    EXPECT_TRUE(json.at("f").is_null());
    EXPECT_EQ(json.at("g"), "x1");
}

}  // namespace
}  // namespace crm::test
