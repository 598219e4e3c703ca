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

// In every alphabet: case is folded beyond ASCII, and "half the password" counts characters.
TEST(PasswordRules, AnyAlphabet) {
    EXPECT_EQ(passwordProblem("Émilezola2026", {"Émile Zola", "ez@example.com"}), kPersonal);
    EXPECT_EQ(passwordProblem("ÖDÖNKOVÁCS2026", {"Ödön Kovács", "ok@example.com"}), kPersonal);
    EXPECT_EQ(passwordProblem("ΣΊΣΥΦΟΣ-Qz7wK4", {"Σίσυφος Παπαδόπουλος", "sp@example.com"}), kPersonal);
    EXPECT_EQ(passwordProblem("gracehopper\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", {"Grace Hopper", "gh@navy.example"}),
              kPersonal);  // 11 of 18 characters are the name (though only 11 of 25 bytes)
    EXPECT_NE(passwordProblem("\u00c9\u00c9\u00c9\u00c9\u00c9\u00c9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", {"Ann Lee", "al@example.com"}), "");
    EXPECT_EQ(passwordProblem("\u00e9t\u00e9 \u00e0 la montagne bleue", {"Grace Hopper", "gh@navy.example"}), "");
}

}  // namespace
}  // namespace crm::auth
