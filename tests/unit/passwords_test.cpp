#include "auth/passwords.hpp"

#include <gtest/gtest.h>

namespace crm::auth {
namespace {

const std::string kPersonal = "must not be based on your name or e-mail address";

// A password mostly made of the user's name or e-mail words, joined or apart, is refused; one
// that only mentions them among other words is not.
TEST(PasswordRules, PersonalWordsTogetherOrApart) {
    EXPECT_EQ(passwordProblem("adalovelace2026", {"Ada Lovelace", "ada@example.com"}), kPersonal);
    EXPECT_EQ(passwordProblem("gracehopper2026", {"Grace Hopper", "grace@navy.example"}), kPersonal);
    EXPECT_EQ(passwordProblem("hopper-grace-99", {"Grace Hopper", "gh@navy.example"}), kPersonal);
    EXPECT_EQ(passwordProblem("beta.test2026!", {"Dave Person", "dave@beta.test"}), kPersonal);
    EXPECT_EQ(passwordProblem("DavePerson2026", {"Dave Person", "dave@beta.test"}), kPersonal);
    EXPECT_EQ(passwordProblem("grace likes quiet harbour walks", {"Grace Hopper", "gh@navy.example"}), "");
    EXPECT_EQ(passwordProblem("copper kettle orchestra", {"Grace Hopper", "gh@navy.example"}), "");
}

}  // namespace
}  // namespace crm::auth
