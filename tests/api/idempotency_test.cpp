#include "http/router.hpp"
#include "kv/idempotency.hpp"
#include "kv/redis.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <set>

namespace crm::test {
namespace {

std::atomic<int> g_created{0};
std::atomic<bool> g_fail_next{false};

// A POST that creates "something" each time it really runs, and can be made to fail once.
void countingRoutes(http::Router& router) {
    router.post("/api/test/things", http::Access::signedIn(), [](http::Request& request) {
        if (g_fail_next.exchange(false)) {
            throw core::AppError::unavailable("try again", "test failure", 1);
        }
        const int number = ++g_created;
        return http::Response::json(http::Status::Created, {{"number", number}, {"sent", request.json()}})
            .header("Location", "/api/test/things/" + std::to_string(number));
    }).query_params = std::set<std::string, std::less<>>{"variant"};
    router.post("/api/test/things/{id}/copies", http::Access::signedIn(), [](http::Request& request) {
        return http::Response::json(http::Status::Created, {{"number", ++g_created}, {"of", request.pathId()}});
    });
}

class IdempotencyTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = TestServer::start({}, countingRoutes); }
    static void TearDownTestSuite() { server_.reset(); }
    void SetUp() override {
        server_->reset();
        g_created = 0;
        const auto org = server_->createOrganization("Idem");
        alice_ = server_->createUser(org, "sales");
        bob_ = server_->createUser(org, "sales");
    }
    static inline std::unique_ptr<TestServer> server_;
    TestUser alice_, bob_;
};

// A retried POST with the same key creates once and replays the first answer.
TEST_F(IdempotencyTest, RetryReplaysFirstAnswer) {
    auto client = server_->clientFor(alice_);
    const auto first = client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "order-42"}});
    const auto again = client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "order-42"}});
    ASSERT_EQ(first.status, 201);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("Location"), first.header("Location"));
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(g_created.load(), 1);
}

// Without a key every POST runs.
TEST_F(IdempotencyTest, NoKeyNoDeduplication) {
    auto client = server_->clientFor(alice_);
    client.post("/api/test/things", {{"name", "x"}});
    client.post("/api/test/things", {{"name", "x"}});
    EXPECT_EQ(g_created.load(), 2);
}

// The same key with another body is refused, naming the header.
TEST_F(IdempotencyTest, SameKeyOtherBodyIsRefused) {
    auto client = server_->clientFor(alice_);
    client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "k1"}});
    const auto other = client.post("/api/test/things", {{"name", "y"}}, {{"Idempotency-Key", "k1"}});
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(other.json().at("errors").at(0).at("field"), "Idempotency-Key");
    EXPECT_EQ(g_created.load(), 1);
}

// A retry serialised again (names in another order, other spacing, escapes) is the same
// request; another value is not.
TEST_F(IdempotencyTest, SameBodyWrittenAnotherWayReplays) {
    auto client = server_->clientFor(alice_);
    const std::map<std::string, std::string> headers{{"Idempotency-Key", "k6"},
                                                     {"Content-Type", "application/json"}};
    const auto first = client.request("POST", "/api/test/things", R"({"name":"Ord","tags":["a"]})", headers);
    ASSERT_EQ(first.status, 201) << first.body;
    const auto again =
        client.request("POST", "/api/test/things", "{ \"tags\": [ \"a\" ],\n \"name\": \"\\u004frd\" }", headers);
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true") << again.body;
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(client.request("POST", "/api/test/things", R"({"tags":["a"],"name":"Ord2"})", headers).status, 422);
    // A whole number written as a fraction is the same number; another number is not.
    const std::map<std::string, std::string> numbered{{"Idempotency-Key", "k7"}, {"Content-Type", "application/json"}};
    ASSERT_EQ(client.request("POST", "/api/test/things", R"({"years":5,"items":[2]})", numbered).status, 201);
    EXPECT_EQ(client.request("POST", "/api/test/things", R"({"years":5.0,"items":[2e0]})", numbered)
                  .header("Idempotent-Replayed"),
              "true");
    EXPECT_EQ(client.request("POST", "/api/test/things", R"({"years":5.5,"items":[2]})", numbered).status, 422);
    EXPECT_EQ(g_created.load(), 2);
}

// So is the same key with other query parameters or another If-Match: a retry of a create
// refused as a duplicate, now sent with ?allow_duplicate=true, must not replay the refusal.
TEST_F(IdempotencyTest, SameKeyOtherParametersOrPreconditionIsRefused) {
    auto client = server_->clientFor(alice_);
    client.post("/api/test/things?variant=a", {{"name", "x"}}, {{"Idempotency-Key", "k2"}});
    EXPECT_EQ(client.post("/api/test/things?variant=b", {{"name", "x"}}, {{"Idempotency-Key", "k2"}}).status, 422);
    EXPECT_EQ(client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "k2"}}).status, 422);
    EXPECT_EQ(client.post("/api/test/things?variant=a", {{"name", "x"}}, {{"Idempotency-Key", "k2"}, {"If-Match", "\"3\""}})
                  .status,
              422);
    const auto replay = client.post("/api/test/things?variant=a", {{"name", "x"}}, {{"Idempotency-Key", "k2"}});
    EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
    // One precondition however it is written: "3" and W/"3" name the same version.
    client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "k3"}, {"If-Match", "\"3\""}});
    EXPECT_EQ(client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "k3"}, {"If-Match", "W/\"3\""}})
                  .header("Idempotent-Replayed"),
              "true");
    EXPECT_EQ(g_created.load(), 2);
}

// One operation on one record however its path is written: an id in either case, with or
// without /v1. Another record is another request.
TEST_F(IdempotencyTest, SamePathWrittenAnotherWayReplays) {
    auto client = server_->clientFor(alice_);
    const std::string id = "01a21d6e-6345-7f03-8efb-9ac8c519ba7f";
    std::string upper = id;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    const auto first = client.post("/api/test/things/" + id + "/copies", nlohmann::json::object(), {{"Idempotency-Key", "k4"}});
    ASSERT_EQ(first.status, 201);
    for (const auto& path : {"/api/test/things/" + upper + "/copies", "/api/v1/test/things/" + id + "/copies"}) {
        const auto again = client.post(path, nlohmann::json::object(), {{"Idempotency-Key", "k4"}});
        EXPECT_EQ(again.header("Idempotent-Replayed"), "true") << path << ": " << again.body;
    }
    const auto other = client.post("/api/test/things/01a21d6e-6345-7f03-8efb-9ac8c519ba70/copies", nlohmann::json::object(),
                                   {{"Idempotency-Key", "k4"}});
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(g_created.load(), 1);
}

// The store replays a key answered under the previous release's fingerprint (which compared
// the body byte for byte) when the claim names that fingerprint as the former one.
TEST_F(IdempotencyTest, AnswersUnderTheFormerFingerprintReplay) {
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000),
                                     server_->settings().at("CRM_REDIS_PREFIX")});
    kv::IdempotencyStore store(redis);
    store.complete(alice_.id, "k5", "former", "the answer");
    const auto replay = store.claim(alice_.id, "k5", "current", "former");
    EXPECT_EQ(replay.state, kv::IdempotencyClaim::State::Replay);
    EXPECT_EQ(replay.stored, "the answer");
    EXPECT_EQ(store.claim(alice_.id, "k5", "current").state, kv::IdempotencyClaim::State::Mismatch);
    EXPECT_EQ(store.claim(alice_.id, "k5", "current", "another").state, kv::IdempotencyClaim::State::Mismatch);
}

// Keys belong to their caller: two users may use the same key.
TEST_F(IdempotencyTest, KeysAreScopedToTheCaller) {
    server_->clientFor(alice_).post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "shared"}});
    const auto bob = server_->clientFor(bob_).post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "shared"}});
    EXPECT_EQ(bob.status, 201);
    EXPECT_FALSE(bob.hasHeader("Idempotent-Replayed"));
    EXPECT_EQ(g_created.load(), 2);
}

// A server-side failure frees the key so that the retry really runs.
TEST_F(IdempotencyTest, FailureFreesTheKey) {
    auto client = server_->clientFor(alice_);
    g_fail_next = true;
    EXPECT_EQ(client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "retry-me"}}).status, 503);
    const auto retry = client.post("/api/test/things", {{"name", "x"}}, {{"Idempotency-Key", "retry-me"}});
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(g_created.load(), 1);
}

// A malformed key is a 400.
TEST_F(IdempotencyTest, MalformedKeyIsBadRequest) {
    const auto response = server_->clientFor(alice_).post("/api/test/things", {{"name", "x"}},
                                                          {{"Idempotency-Key", std::string(300, 'k')}});
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(g_created.load(), 0);
}

}  // namespace
}  // namespace crm::test
