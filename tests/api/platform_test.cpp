#include "core/pagination.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <ctime>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

namespace crm::test {
namespace {

// Routes only these tests register: a JSON echo and a handler that holds a DB connection.
void testRoutes(http::Router& router) {
    router.post("/api/test/echo", http::Access::open(), [](http::Request& request) {
        return http::Response::json(http::Status::Ok, request.json());
    });
    router.get("/api/test/items", http::Access::open(), [](http::Request& request) {
        const auto page = core::parsePageRequest(request.query, request.listKey(), {"-created_at"});
        return http::Response::json(http::Status::Ok, {{"limit", page.limit}});
    });
}

class PlatformApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = TestServer::start({{"CRM_CORS_ORIGINS", "https://app.example"},
                                     {"CRM_MAX_BODY_BYTES", "4096"},
                                     {"CRM_HSTS_MAX_AGE_SECONDS", "31536000"}},
                                    testRoutes);
    }
    static void TearDownTestSuite() { server_.reset(); }

    static inline std::unique_ptr<TestServer> server_;
};

void expectProblem(const HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
    const auto body = response.json();
    EXPECT_EQ(body.at("status"), status);
    EXPECT_FALSE(body.at("title").get<std::string>().empty());
    EXPECT_FALSE(body.at("detail").get<std::string>().empty());
    EXPECT_EQ(body.at("request_id"), response.header("X-Request-Id"));
}

// Liveness answers 200 with a request id.
TEST_F(PlatformApiTest, HealthAnswersOk) {
    const auto response = server_->client().get("/api/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("status"), "ok");
    EXPECT_FALSE(response.header("X-Request-Id").empty());
}

// /api/v1/ serves the same routes as /api/.
TEST_F(PlatformApiTest, VersionedPathServesSameRoute) {
    const auto response = server_->client().get("/api/v1/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("status"), "ok");
}

// A sane client request id is echoed; an unsafe one is replaced.
TEST_F(PlatformApiTest, EchoesSaneRequestIdOnly) {
    auto client = server_->client();
    EXPECT_EQ(client.get("/api/health", {{"X-Request-Id", "abc-123.x"}}).header("X-Request-Id"),
              "abc-123.x");
    const auto replaced = client.get("/api/health", {{"X-Request-Id", "bad id\"<script>"}});
    EXPECT_NE(replaced.header("X-Request-Id"), "bad id\"<script>");
    EXPECT_EQ(replaced.header("X-Request-Id").size(), 36u);
}

// An unknown route is a problem+json 404.
TEST_F(PlatformApiTest, UnknownRouteIsNotFound) {
    expectProblem(server_->client().get("/api/nothing-here"), 404);
}

// A known path with the wrong method is a 405 listing the allowed methods.
TEST_F(PlatformApiTest, WrongMethodIsMethodNotAllowedWithAllow) {
    const auto response = server_->client().del("/api/health");
    expectProblem(response, 405);
    EXPECT_NE(response.header("Allow").find("GET"), std::string::npos);
}

// A body over CRM_MAX_BODY_BYTES is refused with 413 before it is read.
TEST_F(PlatformApiTest, HugeBodyIsTooLarge) {
    const std::string big = "{\"x\":\"" + std::string(10000, 'a') + "\"}";
    const auto response = server_->client().request("POST", "/api/test/echo", big);
    expectProblem(response, 413);
    // The status line names it as the problem does (RFC 9110), as for 422.
    const auto raw = rawExchange(server_->port(), "POST /api/test/echo HTTP/1.1\r\nHost: x\r\n"
                                                  "Content-Type: application/json\r\nContent-Length: " +
                                                  std::to_string(big.size()) + "\r\nConnection: close\r\n\r\n" + big);
    EXPECT_EQ(raw.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << raw.substr(0, 200);
}

// A chunked body that grows past the limit is refused with 413 too.
TEST_F(PlatformApiTest, HugeChunkedBodyIsTooLarge) {
    std::string request =
        "POST /api/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) {
        request += "400\r\n" + std::string(1024, 'a') + "\r\n";
    }
    request += "0\r\n\r\n";
    const auto raw = rawExchange(server_->port(), request);
    EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw.substr(0, 200);
}

// Chunked is the one transfer coding read: in any case it works; another coding before it would
// reach the handler undecoded (501); codings that do not end in one chunked leave the body's end
// unknown (400). Either refusal closes the connection, so no body byte is read as a request.
TEST_F(PlatformApiTest, TransferCodingsOtherThanChunkedAreRefused) {
    const std::string head =
        "POST /api/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    const std::string chunked_body = "7\r\n{\"a\":1}\r\n0\r\n\r\n";
    const auto plain = rawExchange(server_->port(), head + "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n" +
                                                        chunked_body);
    EXPECT_EQ(plain.rfind("HTTP/1.1 200", 0), 0u) << plain.substr(0, 200);
    EXPECT_NE(plain.find("{\"a\":1}"), std::string::npos) << plain;

    const auto gzip = rawExchange(server_->port(), head + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked_body);
    EXPECT_EQ(gzip.rfind("HTTP/1.1 501", 0), 0u) << gzip.substr(0, 200);
    EXPECT_NE(gzip.find("gzip"), std::string::npos) << gzip;
    const auto split = rawExchange(server_->port(), head + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                                        chunked_body);
    EXPECT_EQ(split.rfind("HTTP/1.1 501", 0), 0u) << split.substr(0, 200);

    // The body of a request with no knowable end is not taken for a second request.
    for (const std::string coding : {"gzip", "chunked, chunked", "chunked, gzip"}) {
        const auto answer = rawExchange(server_->port(), head + "Transfer-Encoding: " + coding + "\r\n\r\n" +
                                                             "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << coding << ": " << answer.substr(0, 200);
        EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << coding << ": " << answer;
    }
}

// A body that is not JSON by media type is a 415.
TEST_F(PlatformApiTest, WrongContentTypeIsUnsupported) {
    const auto response = server_->client().request("POST", "/api/test/echo", "{}",
                                                    {{"Content-Type", "text/plain"}});
    expectProblem(response, 415);
    EXPECT_FALSE(response.header("RateLimit-Limit").empty()) << "a refusal of the route carries the limit";
    // Who is asking comes first: a stranger gets the 401, not a description of the body wanted.
    const auto stranger = server_->client().request("POST", "/api/contacts", "{}", {{"Content-Type", "text/plain"}});
    expectProblem(stranger, 401);
    // JSON is UTF-8: a body declared in another charset would be read as something else.
    for (const auto* type : {"application/json; charset=utf-16", "application/json;charset=\"ISO-8859-1\""}) {
        expectProblem(server_->client().request("POST", "/api/test/echo", "{}", {{"Content-Type", type}}), 415);
    }
    for (const auto* type : {"application/json; charset=UTF-8", "application/json; charset=\"utf-8\"",
                             "application/json; charset= utf-8", "application/json; charset=us-ascii",
                             "application/json; profile=x"}) {
        EXPECT_EQ(server_->client().request("POST", "/api/test/echo", "{}", {{"Content-Type", type}}).status, 200)
            << type;
    }
}

// Broken JSON is a 400 that says where it broke.
TEST_F(PlatformApiTest, MalformedJsonIsBadRequest) {
    const auto response = server_->client().request("POST", "/api/test/echo", "{\"a\": ");
    expectProblem(response, 400);
    EXPECT_NE(response.json().at("detail").get<std::string>().find("JSON"), std::string::npos);
}

// A request that cannot be read as HTTP/1.1 is still answered, with a problem, before the
// connection closes: an oversized header block is a 431, a malformed one a 400.
TEST_F(PlatformApiTest, UnreadableRequestsAreAnswered) {
    const auto huge_header = rawExchange(server_->port(), "GET /api/health HTTP/1.1\r\nHost: x\r\nCookie: " +
                                                              std::string(20000, 'c') + "\r\n\r\n");
    EXPECT_EQ(huge_header.rfind("HTTP/1.1 431", 0), 0u) << huge_header.substr(0, 200);
    EXPECT_NE(huge_header.find("application/problem+json"), std::string::npos);
    EXPECT_NE(huge_header.find("\r\nX-Content-Type-Options: nosniff\r\n"), std::string::npos) << huge_header;
    EXPECT_NE(huge_header.find("\r\nCache-Control: no-store\r\n"), std::string::npos) << huge_header;
    const auto bad_length = rawExchange(server_->port(),
                                        "POST /api/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                        "Content-Length: abc\r\n\r\n{}");
    EXPECT_EQ(bad_length.rfind("HTTP/1.1 400", 0), 0u) << bad_length.substr(0, 200);
    const auto bad_chunk = rawExchange(server_->port(),
                                       "POST /api/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    EXPECT_EQ(bad_chunk.rfind("HTTP/1.1 400", 0), 0u) << bad_chunk.substr(0, 200);
    EXPECT_EQ(server_->client().get("/api/health").status, 200);
}

// A target in absolute form, as a proxy may pass it on, is served like its path.
TEST_F(PlatformApiTest, AbsoluteFormTargetsAreServed) {
    const auto answer = rawExchange(server_->port(), "GET HTTP://api.example:8080/api/health?x=1 HTTP/1.1\r\n"
                                                     "Host: api.example\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
    EXPECT_NE(answer.find("{\"status\":\"ok\"}"), std::string::npos) << answer;
}

// A header the API acts on, sent twice, is refused by name rather than read one way here and
// another way by a proxy in front; repeating a header the API ignores is harmless.
TEST_F(PlatformApiTest, RepeatedSingletonHeadersAreRefused) {
    for (const std::string header : {"Authorization: Bearer a\r\nAuthorization: Bearer b",
                                     "Host: y", "If-Match: \"1\"\r\nif-match: \"2\""}) {
        const auto answer = rawExchange(server_->port(), "GET /api/health HTTP/1.1\r\nHost: x\r\n" + header +
                                                             "\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << header << ": " << answer.substr(0, 200);
        const auto name = header.substr(0, header.find(':'));
        EXPECT_NE(answer.find("\"field\":\"" + name + "\""), std::string::npos) << answer;
    }
    const auto repeated_accept = rawExchange(
        server_->port(), "GET /api/health HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nAccept: */*\r\n"
                         "Connection: close\r\n\r\n");
    EXPECT_EQ(repeated_accept.rfind("HTTP/1.1 200", 0), 0u) << repeated_accept.substr(0, 200);
}

// The status line and headers are written by the server itself: a HEAD answer has its GET's
// length and no body, a 204 neither, HTTP/1.0 keeps a connection only when asked, and requests
// sent back to back on one connection are answered in order, each framed by its length.
TEST_F(PlatformApiTest, ResponsesAreFramedAsHttpAsks) {
    bool closed = false;
    const auto pipelined = rawExchange(server_->port(),
                                       "HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "OPTIONS /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                       5000, &closed);
    EXPECT_TRUE(closed) << "the server closes after answering Connection: close";
    const auto second = pipelined.find("HTTP/1.1 204 No Content\r\n");
    const auto third = pipelined.find("HTTP/1.1 200 OK\r\n", 1);
    ASSERT_EQ(pipelined.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << pipelined;
    ASSERT_NE(second, std::string::npos) << pipelined;
    ASSERT_NE(third, std::string::npos) << pipelined;
    ASSERT_LT(second, third) << pipelined;
    const auto head = pipelined.substr(0, second);
    EXPECT_NE(head.find("\r\nContent-Length: 15\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "a HEAD answer has no body";
    const auto no_content = pipelined.substr(second, third - second);
    EXPECT_EQ(no_content.find("Content-Length"), std::string::npos) << no_content;
    EXPECT_NE(no_content.find("\r\nAllow: "), std::string::npos) << no_content;
    const auto last = pipelined.substr(third);
    EXPECT_NE(last.find("\r\nConnection: close\r\n"), std::string::npos) << last;
    EXPECT_NE(last.find("\r\nServer: shortcut-scale-x\r\n"), std::string::npos) << last;
    // Date, as an origin server with a clock must send it (RFC 9110, 6.6.1): the time of the
    // answer, in IMF-fixdate.
    const auto date_at = last.find("\r\nDate: ");
    ASSERT_NE(date_at, std::string::npos) << last;
    const auto date = last.substr(date_at + 8, last.find("\r\n", date_at + 2) - date_at - 8);
    std::tm sent{};
    const char* date_end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &sent);
    ASSERT_TRUE(date_end != nullptr && *date_end == '\0') << date;
    EXPECT_EQ(date.size(), 29u) << date;
    EXPECT_LT(std::abs(std::difftime(timegm(&sent), std::time(nullptr))), 60.0) << date;
    EXPECT_NE(last.find("\r\nContent-Length: 15\r\n"), std::string::npos) << last;
    const auto body_start = last.find("\r\n\r\n") + 4;
    EXPECT_EQ(last.substr(body_start), "{\"status\":\"ok\"}") << "exactly Content-Length bytes";

    closed = false;
    const auto no_host = rawExchange(server_->port(), "GET /api/auth/me HTTP/1.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(no_host.rfind("HTTP/1.1 400", 0), 0u) << no_host.substr(0, 200);

    const auto old_client = rawExchange(server_->port(),
                                        "GET /api/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                        "GET /api/health HTTP/1.0\r\n\r\n",
                                        5000, &closed);
    EXPECT_TRUE(closed) << "HTTP/1.0 without keep-alive closes after the answer";
    ASSERT_EQ(old_client.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << old_client;
    const auto then = old_client.find("HTTP/1.0 200 OK\r\n", 1);
    ASSERT_NE(then, std::string::npos) << "the connection was kept for the second request";
    EXPECT_NE(old_client.substr(0, then).find("\r\nConnection: keep-alive\r\n"), std::string::npos);
    EXPECT_EQ(old_client.substr(then).find("Connection:"), std::string::npos) << "and closed after it";
}

// A body nested deeper than any request needs is refused as it is parsed.
TEST_F(PlatformApiTest, DeeplyNestedJsonIsBadRequest) {
    const auto nested = [](int levels) {
        return "{\"a\":" + std::string(levels, '[') + std::string(levels, ']') + "}";
    };
    EXPECT_EQ(server_->client().request("POST", "/api/test/echo", nested(31)).status, 200);  // 32 levels
    expectProblem(server_->client().request("POST", "/api/test/echo", nested(32)), 400);     // 33
    const auto response = server_->client().request("POST", "/api/test/echo", nested(1500));
    expectProblem(response, 400);
    EXPECT_NE(response.json().at("detail").get<std::string>().find("deeper"), std::string::npos);
}

// A name given twice in one object is a 400 naming it, at any depth; the same name in two
// objects is fine.
TEST_F(PlatformApiTest, DuplicateJsonKeyIsBadRequest) {
    const auto twice = server_->client().request("POST", "/api/test/echo", R"({"a": 1, "b": 2, "a": 3})");
    expectProblem(twice, 400);
    EXPECT_EQ(twice.json().at("errors").at(0).at("field"), "a");
    const auto nested = server_->client().request("POST", "/api/test/echo",
                                                  R"({"a": {"x": 1}, "b": [{"y": 1, "y": 2}]})");
    expectProblem(nested, 400);
    EXPECT_EQ(nested.json().at("errors").at(0).at("field"), "y");
    EXPECT_EQ(server_->client().request("POST", "/api/test/echo", R"({"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]})")
                  .status,
              200);
    // A long name is echoed cut short, between two characters.
    const std::string long_name = std::string(99, 'x') + "é" + std::string(500, 'y');
    const auto cut = server_->client().request("POST", "/api/test/echo",
                                               "{\"" + long_name + "\": 1, \"" + long_name + "\": 2}");
    expectProblem(cut, 400);
    EXPECT_EQ(cut.json().at("errors").at(0).at("field"), std::string(99, 'x') + "…");
}

// A number JSON allows but a double cannot hold is a 400, not a 500.
TEST_F(PlatformApiTest, HugeNumberIsBadRequest) {
    const auto response = server_->client().request("POST", "/api/test/echo", "{\"a\": 1e400}");
    expectProblem(response, 400);
    EXPECT_NE(response.json().at("detail").get<std::string>().find("too large"), std::string::npos);
}

// Well-formed JSON goes through, with a charset in the media type.
TEST_F(PlatformApiTest, JsonBodyIsAccepted) {
    const auto response = server_->client().request(
        "POST", "/api/test/echo", "{\"a\": 1}", {{"Content-Type", "application/json; charset=utf-8"}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("a"), 1);
}

// limit outside 1..200 is a 422 naming the field, never a huge read.
TEST_F(PlatformApiTest, LimitOutOfRangeIsInvalid) {
    const auto response = server_->client().get("/api/test/items?limit=100000");
    expectProblem(response, 422);
    EXPECT_EQ(response.json().at("errors").at(0).at("field"), "limit");
}

// A malformed cursor is a 422 naming the cursor.
TEST_F(PlatformApiTest, MalformedCursorIsInvalid) {
    const auto response = server_->client().get("/api/test/items?cursor=zzz");
    expectProblem(response, 422);
    EXPECT_EQ(response.json().at("errors").at(0).at("field"), "cursor");
    // An empty one too: read as the first page, a client sending back a null next_cursor as
    // empty text would walk the list again for ever.
    const auto empty = server_->client().get("/api/test/items?cursor=");
    expectProblem(empty, 422);
    EXPECT_EQ(errorFields(empty), std::set<std::string>{"cursor"});
}

// Every response carries the security headers; API responses are not cached.
TEST_F(PlatformApiTest, SecurityHeadersOnEveryResponse) {
    for (const auto& response :
         {server_->client().get("/api/health"), server_->client().get("/api/missing")}) {
        EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(response.header("Cache-Control"), "no-store");
        EXPECT_EQ(response.header("Strict-Transport-Security"),
                  "max-age=31536000; includeSubDomains");
    }
}

// A CORS preflight from a configured origin is answered with the allowed methods.
TEST_F(PlatformApiTest, CorsPreflightFromAllowedOrigin) {
    const auto response = server_->client().request(
        "OPTIONS", "/api/test/echo", std::nullopt,
        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(response.status, 204);
    EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_NE(response.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    EXPECT_NE(response.header("Access-Control-Allow-Headers").find("Authorization"),
              std::string::npos);
}

// A preflight from another origin is refused and gets no CORS headers.
TEST_F(PlatformApiTest, CorsPreflightFromOtherOriginIsRefused) {
    const auto response = server_->client().request(
        "OPTIONS", "/api/test/echo", std::nullopt,
        {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(response.status, 403);
    EXPECT_FALSE(response.hasHeader("Access-Control-Allow-Origin"));
}

// Simple requests from an allowed origin get CORS headers that expose the request id.
TEST_F(PlatformApiTest, CorsHeadersOnSimpleRequest) {
    const auto response = server_->client().get("/api/health", {{"Origin", "https://app.example"}});
    EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_NE(response.header("Access-Control-Expose-Headers").find("X-Request-Id"),
              std::string::npos);
    // A browser client retrying with Idempotency-Key can tell a replayed answer.
    EXPECT_NE(response.header("Access-Control-Expose-Headers").find("Idempotent-Replayed"),
              std::string::npos);
}

// A plain OPTIONS lists the allowed methods.
TEST_F(PlatformApiTest, OptionsListsAllow) {
    const auto response = server_->client().request("OPTIONS", "/api/health");
    EXPECT_EQ(response.status, 204);
    EXPECT_NE(response.header("Allow").find("GET"), std::string::npos);
}

// HEAD answers like GET without a body.
TEST_F(PlatformApiTest, HeadAnswersWithoutBody) {
    const auto response = server_->client().request("HEAD", "/api/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.body.empty());
}

// Readiness is 200 when PostgreSQL and Redis answer.
TEST_F(PlatformApiTest, ReadinessWhenDependenciesUp) {
    const auto response = server_->client().get("/api/health/ready");
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("checks").at("postgres"), "up");
    EXPECT_EQ(response.json().at("checks").at("redis"), "up");
}

// Metrics count requests by route template and status, and expose the DB pool.
TEST_F(PlatformApiTest, MetricsExposeRequestsAndPool) {
    auto client = server_->client();
    client.get("/api/health");
    client.get("/api/v1/health");
    const auto response = client.get("/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    const auto& text = response.body;
    EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"}"),
              std::string::npos);
    EXPECT_NE(text.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/health\",le=\"+Inf\"}"),
              std::string::npos);
    EXPECT_NE(text.find("http_requests_in_flight"), std::string::npos);
    EXPECT_NE(text.find("db_pool_connections_in_use"), std::string::npos);
    EXPECT_NE(text.find("db_pool_connections_idle"), std::string::npos);
    EXPECT_NE(text.find("db_pool_waiting"), std::string::npos);
}

// A slow client that never finishes its header is disconnected after the header timeout, well
// before the idle timeout; a client that is merely quiet before it begins is not.
TEST(PlatformTimeouts, SlowClientIsDisconnected) {
    auto server = TestServer::start({{"CRM_HEADER_TIMEOUT_SECONDS", "1"}, {"CRM_IDLE_TIMEOUT_SECONDS", "30"}});
    // rawExchange waits up to 10 s; the server must close long before that.
    const auto started = std::chrono::steady_clock::now();
    const auto raw = rawExchange(server->port(), "GET /api/health HTTP/1.1\r\nHost: x\r\n", 10000);
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(raw.empty()) << raw;
    EXPECT_LT(waited, std::chrono::seconds(9)) << "the server held a half-sent request";
}

// An exhausted database pool answers 503 with Retry-After instead of hanging.
TEST(PlatformPool, ExhaustedPoolAnswersUnavailable) {
    db::Pool* pool = nullptr;
    auto server = TestServer::start(
        {{"CRM_DB_POOL_SIZE", "1"}, {"CRM_DB_POOL_TIMEOUT_MS", "50"}}, [&pool](http::Router& router) {
            router.get("/api/test/db", http::Access::open(), [&pool](http::Request&) {
                auto lease = pool->acquire();
                pqxx::work tx(lease.get());
                return http::Response::json(http::Status::Ok,
                                            {{"one", tx.exec("SELECT 1")[0][0].as<int>()}});
            });
        });
    pool = &server->app().pool();
    EXPECT_EQ(server->client().get("/api/test/db").status, 200);
    {
        auto held = pool->acquire();
        const auto response = server->client().get("/api/test/db");
        expectProblem(response, 503);
        EXPECT_EQ(response.header("Retry-After"), "1");
    }
    EXPECT_EQ(server->client().get("/api/test/db").status, 200);
}

// The pool's connections plan for short requests: no JIT compilation and no parallel workers
// (whose start-up cost a filtered page 60 ms of its 77), and the configured statement timeout.
TEST(PlatformPool, ConnectionsRunWithoutJitOrParallelWorkers) {
    auto server = TestServer::start({{"CRM_DB_STATEMENT_TIMEOUT_MS", "4000"}});
    auto lease = server->app().pool().acquire();
    pqxx::nontransaction tx(lease.get());
    EXPECT_EQ(tx.exec1("SHOW jit")[0].as<std::string>(), "off");
    EXPECT_EQ(tx.exec1("SHOW max_parallel_workers_per_gather")[0].as<std::string>(), "0");
    EXPECT_EQ(tx.exec1("SHOW statement_timeout")[0].as<std::string>(), "4s");
}

// Two requests whose transactions lock the same rows in opposite orders deadlock; PostgreSQL
// rolls one back, and the server runs that one's handler again: both changes are saved and
// both callers get 200, not a 503 asking them to retry what the server can retry itself.
TEST(PlatformRetry, DeadlockedRequestIsRunAgain) {
    db::Pool* pool = nullptr;
    std::atomic<int> runs{0};
    std::latch both_hold_their_first_row(2);
    auto server = TestServer::start({}, [&](http::Router& router) {
        router.post("/api/test/transfer/{from}/{to}/{amount}", http::Access::open(), [&](http::Request& request) {
            const bool first_run = runs.fetch_add(1) < 2;
            auto lease = pool->acquire();
            pqxx::work tx(lease.get());
            const auto from = request.pathParam("from");
            const auto to = request.pathParam("to");
            const auto amount = request.pathParam("amount");
            tx.exec_params("UPDATE retry_accounts SET balance = balance - $2::int WHERE id = $1", from, amount);
            if (first_run) {
                both_hold_their_first_row.arrive_and_wait();
            }
            tx.exec_params("UPDATE retry_accounts SET balance = balance + $2::int WHERE id = $1", to, amount);
            tx.commit();
            return http::Response::noContent();
        });
    });
    pool = &server->app().pool();
    {
        auto connection = server->database().connect();
        pqxx::work tx(connection);
        tx.exec("CREATE TABLE retry_accounts (id int PRIMARY KEY, balance int NOT NULL)");
        tx.exec("INSERT INTO retry_accounts VALUES (1, 10), (2, 10)");
        tx.commit();
    }
    auto one_way = std::async(std::launch::async, [&] { return server->client().post("/api/test/transfer/1/2/1", {}); });
    auto other_way = std::async(std::launch::async, [&] { return server->client().post("/api/test/transfer/2/1/3", {}); });
    const auto first = one_way.get();
    const auto second = other_way.get();
    EXPECT_EQ(first.status, 204) << first.body;
    EXPECT_EQ(second.status, 204) << second.body;
    EXPECT_EQ(runs.load(), 3) << "exactly one of the two was rolled back and run again";
    auto connection = server->database().connect();
    pqxx::nontransaction tx(connection);
    const auto balances = tx.exec("SELECT id, balance FROM retry_accounts ORDER BY id");
    EXPECT_EQ(balances[0][1].as<int>(), 12) << "each transfer saved once: 10 - 1 + 3";
    EXPECT_EQ(balances[1][1].as<int>(), 8) << "each transfer saved once: 10 + 1 - 3";
}

// A handler rolled back every time gives up after a few runs with a 503 and Retry-After; one
// whose commit's outcome is unknown is never run again (it may have been saved).
TEST(PlatformRetry, RetriesAreBoundedAndOnlyForRolledBackWork) {
    std::atomic<int> deadlocked_runs{0};
    std::atomic<int> unknown_runs{0};
    auto server = TestServer::start({}, [&](http::Router& router) {
        router.post("/api/test/always-deadlocked", http::Access::open(), [&](http::Request&) -> http::Response {
            ++deadlocked_runs;
            throw pqxx::deadlock_detected("ERROR:  deadlock detected");
        });
        router.post("/api/test/commit-unknown", http::Access::open(), [&](http::Request&) -> http::Response {
            ++unknown_runs;
            throw pqxx::statement_completion_unknown("connection lost during COMMIT");
        });
    });
    const auto gave_up = server->client().post("/api/test/always-deadlocked", {});
    expectProblem(gave_up, 503);
    EXPECT_EQ(gave_up.header("Retry-After"), "1");
    EXPECT_EQ(deadlocked_runs.load(), 3);
    const auto unknown = server->client().post("/api/test/commit-unknown", {});
    expectProblem(unknown, 503);
    EXPECT_NE(unknown.json().at("detail").get<std::string>().find("check whether the change was saved"),
              std::string::npos);
    EXPECT_EQ(unknown_runs.load(), 1);
}

// The address a request counts as coming from (rate limits, sessions, the access log), as a
// test route reports it.
std::function<void(http::Router&)> clientIpRoute() {
    return [](http::Router& router) {
        router.get("/api/test/ip", http::Access::open(), [](http::Request& request) {
            return http::Response::json(http::Status::Ok, {{"ip", request.client_ip}});
        });
    };
}

std::string reportedIp(const TestServer& server, const std::string& forwarded_for) {
    const auto response = server.client().get("/api/test/ip", {{"X-Forwarded-For", forwarded_for}});
    EXPECT_EQ(response.status, 200) << response.body;
    return response.json().at("ip").get<std::string>();
}

// Without CRM_TRUST_PROXY the header is the client's own claim and changes nothing.
TEST(PlatformClientAddress, ForwardedForIgnoredUnlessTrusted) {
    auto server = TestServer::start({}, clientIpRoute());
    EXPECT_EQ(reportedIp(*server, "203.0.113.9"), "127.0.0.1");
}

// Behind one proxy the client is the entry that proxy appended, the right-most: a client that
// sends its own X-Forwarded-For cannot pick the address its login attempts count against.
TEST(PlatformClientAddress, TrustedProxyAppendsTheClient) {
    auto server = TestServer::start({{"CRM_TRUST_PROXY", "true"}}, clientIpRoute());
    EXPECT_EQ(reportedIp(*server, "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(reportedIp(*server, "203.0.113.9, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(reportedIp(*server, " 2001:db8::1 "), "2001:db8::1");
    // Not an address (a proxy would never write that): the connection's peer.
    EXPECT_EQ(reportedIp(*server, "203.0.113.9, unknown"), "127.0.0.1");
    EXPECT_EQ(reportedIp(*server, " , "), "127.0.0.1");
    // Two header lines are one list.
    const auto raw = rawExchange(server->port(),
                                 "GET /api/test/ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                 "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 198.51.100.8\r\n\r\n");
    EXPECT_NE(raw.find("\"ip\":\"198.51.100.8\""), std::string::npos) << raw;
}

// A chain of proxies (say a CDN, then a load balancer) appends one entry each.
TEST(PlatformClientAddress, ProxyHopsCountFromTheRight) {
    auto server = TestServer::start({{"CRM_TRUST_PROXY", "true"}, {"CRM_PROXY_HOPS", "2"}}, clientIpRoute());
    EXPECT_EQ(reportedIp(*server, "192.0.2.1, 203.0.113.9, 198.51.100.7"), "203.0.113.9");
    // Fewer entries than hops: the furthest one known.
    EXPECT_EQ(reportedIp(*server, "203.0.113.9"), "203.0.113.9");
}

// A TCP connection to the server that sends nothing, as a client holding it open would.
int openIdleConnection(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    return fd;
}

// The header timeout starts at a request's first byte: a connection that is quiet for longer
// before it sends a whole request is answered, under the (longer) idle timeout.
TEST(PlatformTimeouts, QuietConnectionOutlivesTheHeaderTimeout) {
    auto server = TestServer::start({{"CRM_HEADER_TIMEOUT_SECONDS", "1"}, {"CRM_IDLE_TIMEOUT_SECONDS", "30"}});
    const int fd = openIdleConnection(server->port());
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const std::string request = "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    std::string answer;
    std::array<char, 4096> chunk{};
    for (ssize_t n = 0; (n = ::recv(fd, chunk.data(), chunk.size(), 0)) > 0;) {
        answer.append(chunk.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
}

// Past CRM_MAX_CONNECTIONS a new connection is answered 503 with Retry-After and closed, instead
// of the server running out of file descriptors; once connections close it serves again.
TEST(PlatformConnections, OverTheLimitIsRefusedWith503) {
    auto server = TestServer::start({{"CRM_MAX_CONNECTIONS", "2"}});
    const int first = openIdleConnection(server->port());
    const int second = openIdleConnection(server->port());
    const std::string request = "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string answer;
    for (int i = 0; i < 100 && answer.rfind("HTTP/1.1 503", 0) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // until both are accepted
        answer = rawExchange(server->port(), request);
    }
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer.substr(0, 200);
    EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos);
    EXPECT_NE(answer.find("application/problem+json"), std::string::npos);
    ::close(first);
    ::close(second);
    for (int i = 0; i < 100 && answer.rfind("HTTP/1.1 200", 0) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // until the server sees them go
        answer = rawExchange(server->port(), request);
    }
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
}

// The host:port part of a libpq URL, and the URL with another one in its place.
std::string authorityOf(const std::string& url) {
    const auto start = url.find('@') != std::string::npos ? url.find('@') + 1 : url.find("://") + 3;
    return url.substr(start, url.find('/', start) - start);
}

std::string withAuthority(const std::string& url, const std::string& authority) {
    const auto old = authorityOf(url);
    return url.substr(0, url.find(old)) + authority + url.substr(url.find(old) + old.size());
}

// PostgreSQL going away under load and coming back: while it is gone, requests answer 503 with
// Retry-After (never a 500, a hang or a crash) and readiness names it; once it is back, the
// server serves again by itself, without a restart.
TEST(PlatformDatabaseOutage, ServerRecoversWhenPostgresReturns) {
    auto database = TestDatabase::createMigrated();
    const auto authority = authorityOf(database->url());
    const auto colon = authority.rfind(':');
    TcpProxy proxy(authority.substr(0, colon), static_cast<unsigned short>(std::stoi(authority.substr(colon + 1))));
    const auto proxied = withAuthority(database->url(), "127.0.0.1:" + std::to_string(proxy.port()));
    db::Pool* pool = nullptr;
    auto server = TestServer::start(
        std::move(database),
        {{"CRM_DATABASE_URL", proxied}, {"CRM_DB_POOL_TIMEOUT_MS", "1000"},
         {"CRM_RATE_LIMIT_PER_MINUTE", "1000000"}},  // the load must never meet a 429
        [&pool](http::Router& router) {
            router.get("/api/test/db", http::Access::open(), [&pool](http::Request&) {
                auto lease = pool->acquire();
                pqxx::nontransaction tx(lease.get());
                return http::Response::json(http::Status::Ok,
                                            {{"one", tx.exec("SELECT 1")[0][0].as<int>()}});
            });
        });
    pool = &server->app().pool();
    const auto client = server->client();
    ASSERT_EQ(client.get("/api/test/db").status, 200);

    // Load throughout: four clients asking the database without pause. The guard stops and
    // joins them however the test ends: a thread left joinable would end the whole binary.
    std::atomic<bool> stop{false};
    std::mutex seen_mutex;
    std::set<int> seen;
    std::atomic<int> failures{0};
    struct LoadThreads {
        std::atomic<bool>& stop;
        std::vector<std::thread> threads;
        void finish() {
            stop = true;
            for (auto& thread : threads) {
                if (thread.joinable()) {
                    thread.join();
                }
            }
        }
        ~LoadThreads() { finish(); }
    } load{stop, {}};
    for (int i = 0; i < 4; ++i) {
        load.threads.emplace_back([&, port = server->port()] {
            while (!stop) {
                try {
                    const auto status = HttpClient(port).get("/api/test/db").status;
                    std::lock_guard lock(seen_mutex);
                    seen.insert(status);
                } catch (const std::exception&) {
                    ++failures;  // no answer at all
                }
            }
        });
    }
    const auto waitFor = [&](const std::function<bool()>& condition) {
        for (int i = 0; i < 150 && !condition(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return condition();
    };

    proxy.cut();
    EXPECT_TRUE(waitFor([&] { return client.get("/api/health/ready").status == 503; }));
    const auto ready = client.get("/api/health/ready");
    expectProblem(ready, 503);
    EXPECT_EQ(ready.json().at("checks").at("postgres"), "down");
    EXPECT_EQ(ready.json().at("checks").at("redis"), "up");
    const auto during = client.get("/api/test/db");
    expectProblem(during, 503);
    EXPECT_FALSE(during.header("Retry-After").empty());
    EXPECT_EQ(client.get("/api/health").status, 200) << "liveness does not depend on the database";

    proxy.restore();
    EXPECT_TRUE(waitFor([&] { return client.get("/api/health/ready").status == 200; }));
    EXPECT_TRUE(waitFor([&] { return client.get("/api/test/db").status == 200; }));
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(client.get("/api/test/db").status, 200) << "request " << i << " after recovery";
    }
    load.finish();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(seen, (std::set<int>{200, 503}));
}

// SIGTERM-style stop lets a request in flight finish, then refuses new connections.
TEST(PlatformShutdown, StopFinishesInFlightRequests) {
    std::promise<void> entered;
    std::promise<void> release;
    auto release_future = release.get_future().share();
    auto server = TestServer::start({}, [&](http::Router& router) {
        router.get("/api/test/slow", http::Access::open(), [&, release_future](http::Request&) {
            entered.set_value();
            release_future.wait();
            return http::Response::json(http::Status::Ok, {{"finished", true}});
        });
    });
    const auto port = server->port();
    auto in_flight = std::async(std::launch::async, [port] {
        return HttpClient(port).get("/api/test/slow");
    });
    entered.get_future().wait();
    auto stopping = std::async(std::launch::async, [&] { server->app().stop(); });
    release.set_value();
    const auto response = in_flight.get();
    stopping.get();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json().at("finished"), true);
    EXPECT_THROW(HttpClient(port).get("/api/health"), std::exception);
}

// A request whose header is still arriving when the stop begins is answered; a connection
// on which no request has begun is closed without one.
TEST(PlatformShutdown, StopAnswersARequestAlreadyBegun) {
    auto server = TestServer::start({});
    const int begun = openIdleConnection(server->port());
    const int quiet = openIdleConnection(server->port());
    for (const int fd : {begun, quiet}) {  // a regression that leaves them open fails, not hangs
        timeval timeout{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    const std::string first_part = "GET /api/health HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(::send(begun, first_part.data(), first_part.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(first_part.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the server has read it
    auto stopping = std::async(std::launch::async, [&] { server->app().stop(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string rest = "Connection: close\r\n\r\n";
    ASSERT_EQ(::send(begun, rest.data(), rest.size(), MSG_NOSIGNAL), static_cast<ssize_t>(rest.size()));
    const auto readAll = [](int fd) {
        std::string answer;
        std::array<char, 4096> chunk{};
        for (ssize_t n = 0; (n = ::recv(fd, chunk.data(), chunk.size(), 0)) > 0;) {
            answer.append(chunk.data(), static_cast<std::size_t>(n));
        }
        return answer;
    };
    const auto answer = readAll(begun);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
    EXPECT_TRUE(readAll(quiet).empty());
    stopping.get();
    ::close(begun);
    ::close(quiet);
}

// The docs page needs Swagger UI's files; without them it says how to get them.
TEST_F(PlatformApiTest, DocsWithoutAssetsExplainsHowToInstall) {
    const auto response = server_->client().get("/api/docs");
    expectProblem(response, 503);
    EXPECT_NE(response.json().at("detail").get<std::string>().find("./crm up"), std::string::npos);
}

// With Swagger UI's files present, the page and its assets are served locally.
TEST(PlatformDocs, ServesSwaggerUiLocally) {
    const auto dir = std::filesystem::temp_directory_path() / ("crm-swagger-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const auto* name : {"swagger-ui.css", "swagger-ui-bundle.js",
                             "swagger-ui-standalone-preset.js", "favicon-32x32.png",
                             "favicon-16x16.png"}) {
        std::ofstream(dir / name) << "/* " << name << " */";
    }
    auto server = TestServer::start({{"CRM_SWAGGER_UI_DIR", dir.string()}});
    auto client = server->client();
    const auto page = client.get("/api/docs");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("/api/docs/swagger-ui-bundle.js"), std::string::npos);
    EXPECT_EQ(page.body.find("https://"), std::string::npos);
    const auto bundle = client.get("/api/docs/swagger-ui-bundle.js");
    EXPECT_EQ(bundle.status, 200);
    EXPECT_EQ(bundle.body, "/* swagger-ui-bundle.js */");
    const auto init = client.get("/api/docs/swagger-initializer.js");
    EXPECT_NE(init.body.find("/api/openapi.json"), std::string::npos);
    EXPECT_EQ(client.get("/api/docs/..%2F..%2Fetc%2Fpasswd").status, 404);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crm::test
