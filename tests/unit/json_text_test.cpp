#include "core/json_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace crm::core {
namespace {

std::string jsonString(std::string_view text) {
    std::string out;
    appendJsonString(out, text);
    return out;
}

TEST(JsonText, EscapesWhatJsonRequires) {
    EXPECT_EQ(jsonString(""), R"("")");
    EXPECT_EQ(jsonString("plain"), R"("plain")");
    EXPECT_EQ(jsonString("say \"hi\"\\ now"), R"("say \"hi\"\\ now")");
    EXPECT_EQ(jsonString("a\nb\rc\td"), R"("a\nb\rc\td")");
    EXPECT_EQ(jsonString(std::string("nul\0bell\x07", 9)), R"("nul\u0000bell\u0007")");
    EXPECT_EQ(jsonString("Zoë Ångström 日本"), "\"Zoë Ångström 日本\"");
}

// Long text is scanned eight bytes at a time: a character to escape at any offset, after any
// run of plain or non-ASCII bytes, must still be found.
TEST(JsonText, FindsEveryCharacterToEscapeAtAnyOffset) {
    const std::string specials[] = {"\"", "\\", "\n", "\x1f", std::string(1, '\0')};
    for (const auto& special : specials) {
        for (std::size_t offset = 0; offset < 24; ++offset) {
            for (const std::string filler : {std::string("x"), std::string("é")}) {
                std::string text;
                while (text.size() < offset) {
                    text += filler;
                }
                text += special;
                text += "tail that is longer than eight bytes";
                const auto out = jsonString(text);
                EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), text)
                    << "offset " << offset << " in " << out;
            }
        }
    }
}

// PostgreSQL's jsonb text loses its spaces between tokens and keeps those inside strings,
// escaped quotes and backslashes included.
TEST(CompactJson, DropsSpacesBetweenTokensOnly) {
    const auto compact = [](std::string_view text) {
        std::string out;
        appendCompactJson(out, text);
        return out;
    };
    EXPECT_EQ(compact("[]"), "[]");
    EXPECT_EQ(compact(R"([{"email": "a b@x.example", "label": "say \"hi\", \\ ok "}])"),
              R"([{"email":"a b@x.example","label":"say \"hi\", \\ ok "}])");
    EXPECT_EQ(compact("{\"a\": [1, 2.5, true, null],\n \"b\":\t{}}"),
              R"({"a":[1,2.5,true,null],"b":{}})");
}

}  // namespace
}  // namespace crm::core
