#include "core/error.hpp"
#include "core/pagination.hpp"

#include <gtest/gtest.h>

namespace crm::core {
namespace {

std::string fieldOf(const QueryParams& query) {
    try {
        parsePageRequest(query, "/api/things", {"-created_at", "created_at"});
    } catch (const AppError& e) {
        EXPECT_EQ(e.code(), ErrorCode::Validation);
        return e.fields().empty() ? "" : e.fields().front().field;
    }
    return "";
}

// Without parameters the first page of the default sort is asked for.
TEST(PageRequest, Defaults) {
    const auto page = parsePageRequest(QueryParams{}, "/api/things", {"-created_at", "name"});
    EXPECT_EQ(page.limit, 50);
    EXPECT_EQ(page.sort.name, "created_at");
    EXPECT_TRUE(page.sort.descending);
    EXPECT_FALSE(page.after.has_value());
}

// limit outside 1..200, or not a number, is a 422 naming `limit`.
TEST(PageRequest, RejectsLimitOutOfRange) {
    EXPECT_EQ(fieldOf(QueryParams::parse("limit=0")), "limit");
    EXPECT_EQ(fieldOf(QueryParams::parse("limit=201")), "limit");
    EXPECT_EQ(fieldOf(QueryParams::parse("limit=ten")), "limit");
    EXPECT_EQ(fieldOf(QueryParams::parse("limit=200")), "");
}

// An unknown sort is a 422 naming `sort`.
TEST(PageRequest, RejectsUnknownSort) {
    EXPECT_EQ(fieldOf(QueryParams::parse("sort=password_hash")), "sort");
}

// A cursor round-trips through encode and decode.
TEST(CursorCodec, RoundTrips) {
    const auto cursor = encodeCursor("/api/things", "-created_at", {"2026-01-01T00:00:00Z", "0190-uuid"});
    const auto keys = decodeCursor(cursor, "/api/things", "-created_at", 2);
    EXPECT_EQ(keys[0], "2026-01-01T00:00:00Z");
    EXPECT_EQ(keys[1], "0190-uuid");
}

// Garbage, truncated, other-sort and other-list cursors are 422s naming `cursor`.
TEST(CursorCodec, RejectsTamperedCursor) {
    const auto cursor = encodeCursor("/api/things", "-created_at", {"2026-01-01T00:00:00Z", "x"});
    const auto other_list = encodeCursor("/api/other-things", "-created_at", {"2026-01-01T00:00:00Z", "x"});
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + other_list)), "cursor");
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=not-a-cursor")), "cursor");
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + cursor.substr(0, cursor.size() / 2))), "cursor");
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + cursor + "&sort=created_at")), "cursor");
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + cursor)), "");
}

// A cursor names its organisation with its list: another organisation's is refused, and one
// handed out before lists named it (the list alone) is still taken for that list.
TEST(CursorCodec, BindsTheOrganisation) {
    const std::string mine = std::string("/api/things") + std::string(kListOrganisation) + "org-a";
    const std::string theirs = std::string("/api/things") + std::string(kListOrganisation) + "org-b";
    const auto cursor = encodeCursor(mine, "-created_at", {"2026-01-01T00:00:00Z", "x"});
    EXPECT_NO_THROW(decodeCursor(cursor, mine, "-created_at", 2));
    EXPECT_THROW(decodeCursor(cursor, theirs, "-created_at", 2), AppError);
    const auto before = encodeCursor("/api/things", "-created_at", {"2026-01-01T00:00:00Z", "x"});
    EXPECT_NO_THROW(decodeCursor(before, mine, "-created_at", 2));
    const auto other_list_before = encodeCursor("/api/other", "-created_at", {"2026-01-01T00:00:00Z", "x"});
    EXPECT_THROW(decodeCursor(other_list_before, mine, "-created_at", 2), AppError);
}

// A malformed percent-escape in the query string is a 400, not a 422.
TEST(QueryParams, MalformedEscapeIsBadRequest) {
    try {
        QueryParams::parse("cursor=%%%");
        FAIL() << "expected an error";
    } catch (const AppError& e) {
        EXPECT_EQ(e.code(), ErrorCode::BadRequest);
    }
}

// A cursor whose content was altered fails its signature, even when it still decodes.
TEST(CursorCodec, RejectsForgedContent) {
    const auto cursor = encodeCursor("/api/things", "-created_at", {"2026-01-01T00:00:00Z", "x"});
    auto forged = cursor;
    forged[5] = forged[5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + forged)), "cursor");
    setCursorSecret("another deployment's secret");
    EXPECT_EQ(fieldOf(QueryParams::parse("cursor=" + cursor)), "cursor");
}

// The page envelope caps the total at 10,000 and says so.
TEST(PageJson, CapsTotal) {
    const auto page = pageJson(nlohmann::json::array(), 50, std::nullopt, 25000);
    EXPECT_EQ(page["page"]["total"], 10000);
    EXPECT_EQ(page["page"]["total_capped"], true);
    EXPECT_TRUE(page["page"]["next_cursor"].is_null());
}

}  // namespace
}  // namespace crm::core
