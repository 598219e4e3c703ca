#include "http/router.hpp"

#include <gtest/gtest.h>

namespace crm::http {
namespace {

Response ok(Request&) {
    return Response::noContent();
}

// A parameterised route captures its segment.
TEST(Router, MatchesPathParameters) {
    Router router;
    router.get("/api/contacts/{id}", Access::signedIn(), ok);
    const auto match = router.match(Method::Get, "/api/contacts/abc");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route->path, "/api/contacts/{id}");
    EXPECT_EQ(match.params.at("id"), "abc");
}

// A static segment wins over a parameter at the same depth.
TEST(Router, PrefersStaticSegments) {
    Router router;
    router.get("/api/contacts/{id}", Access::signedIn(), ok);
    router.get("/api/contacts/search", Access::signedIn(), ok);
    EXPECT_EQ(router.match(Method::Get, "/api/contacts/search").route->path, "/api/contacts/search");
    EXPECT_EQ(router.match(Method::Get, "/api/contacts/x").route->path, "/api/contacts/{id}");
}

// A dead end under a static segment falls back to the parameter branch.
TEST(Router, BacktracksFromStaticDeadEnd) {
    Router router;
    router.get("/api/contacts/{id}/history", Access::signedIn(), ok);
    router.get("/api/contacts/search/recent", Access::signedIn(), ok);
    const auto match = router.match(Method::Get, "/api/contacts/search/history");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.params.at("id"), "search");
}

// A known path with another method reports the allowed ones (for 405 + Allow).
TEST(Router, ReportsAllowedMethods) {
    Router router;
    router.get("/api/things", Access::signedIn(), ok);
    router.post("/api/things", Access::signedIn(), ok);
    const auto match = router.match(Method::Delete, "/api/things");
    EXPECT_EQ(match.route, nullptr);
    EXPECT_TRUE(match.path_exists);
    EXPECT_NE(std::find(match.allowed.begin(), match.allowed.end(), Method::Post), match.allowed.end());
    EXPECT_NE(std::find(match.allowed.begin(), match.allowed.end(), Method::Head), match.allowed.end());
}

// An unknown path is not "method not allowed".
TEST(Router, UnknownPathIsNotFound) {
    Router router;
    router.get("/api/things", Access::signedIn(), ok);
    const auto match = router.match(Method::Get, "/api/other");
    EXPECT_EQ(match.route, nullptr);
    EXPECT_FALSE(match.path_exists);
}

// HEAD is answered by the GET route.
TEST(Router, HeadUsesGet) {
    Router router;
    router.get("/api/things", Access::signedIn(), ok);
    EXPECT_NE(router.match(Method::Head, "/api/things").route, nullptr);
}

// /api/v1/... is folded onto /api/...; look-alikes are left alone.
TEST(Router, FoldsVersionedPrefix) {
    EXPECT_EQ(Router::canonicalPath("/api/v1/contacts"), "/api/contacts");
    EXPECT_EQ(Router::canonicalPath("/api/v1"), "/api");
    EXPECT_EQ(Router::canonicalPath("/api/v10/contacts"), "/api/v10/contacts");
    EXPECT_EQ(Router::canonicalPath("/metrics"), "/metrics");
}

// Registering the same method and path twice is a programming error caught at start-up.
TEST(Router, RejectsDuplicateRoutes) {
    Router router;
    router.get("/api/things", Access::signedIn(), ok);
    EXPECT_THROW(router.get("/api/things", Access::signedIn(), ok), std::logic_error);
}

}  // namespace
}  // namespace crm::http
