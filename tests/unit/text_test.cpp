#include "core/validation.hpp"

#include <gtest/gtest.h>

namespace crm::core {
namespace {

// Trimming sees white space as the blank check does, in every script: a value pasted with an
// ideographic or em space keeps no invisible padding.
TEST(Trim, RemovesUnicodeWhiteSpaceAtBothEnds) {
    EXPECT_EQ(trim("  Ann \t\r\n"), "Ann");
    EXPECT_EQ(trim("\u3000Ann\u3000"), "Ann");
    EXPECT_EQ(trim("\u2003vip\u2002"), "vip");
    EXPECT_EQ(trim("\u3000Anne Marie\u3000"), "Anne Marie");  // inner spaces stay
    EXPECT_EQ(trim("\u3000\u2003 "), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim("été"), "été");
}

// The no-break spaces are white space too (Unicode says so, glibc does not): a name of them is
// blank. A byte that is not UTF-8 is left for the UTF-8 check to refuse, never trimmed into
// validity (0x85 alone is not NEL, which is two bytes).
TEST(Trim, NoBreakSpacesAreWhiteSpaceButBrokenBytesStay) {
    EXPECT_EQ(trim("\u00a0x\u202f\u2007"), "x");
    EXPECT_TRUE(isBlank("\u00a0\u00a0"));
    EXPECT_TRUE(containsSpace("ann\u00a0@example.com"));
    EXPECT_EQ(trim("abc\x85"), "abc\x85");
    EXPECT_EQ(trim("\x85 abc"), "\x85 abc");
}

// Text typed decomposed is the text typed composed; ASCII and invalid bytes pass unchanged.
TEST(ToNfc, ComposesWhatLooksTheSame) {
    EXPECT_EQ(toNfc("Jose\u0301"), "Jos\u00e9");
    EXPECT_EQ(toNfc("Jos\u00e9"), "Jos\u00e9");
    EXPECT_EQ(toNfc("Nun\u0303ez"), "Nu\u00f1ez");
    EXPECT_EQ(toNfc("plain ascii"), "plain ascii");
    EXPECT_EQ(toNfc("bad \xff byte"), "bad \xff byte");
    EXPECT_EQ(normalizeEmail("JOSE\u0301@X.example"), "jos\u00e9@x.example");
    // Lower-casing can undo composition: J + U+030C has no composed capital, but its lower case
    // composes to U+01F0, which is what the composed spelling gives.
    EXPECT_EQ(normalizeEmail("J\u030Cohn@x.example"), normalizeEmail("\u01F0ohn@x.example"));
    EXPECT_EQ(foldTags({"J\u030C", "\u01F0"}), std::vector<std::string>{"\u01F0"});
}

// Tags fold to lower case in every alphabet, keep the first of each and their order.
TEST(FoldTags, OneTagWhateverItsCase) {
    EXPECT_EQ(foldTags({"VIP", "emea", "vip", "Été", "ÉTÉ", "Москва", "москва"}),
              (std::vector<std::string>{"vip", "emea", "été", "москва"}));
    EXPECT_EQ(foldTags({}), std::vector<std::string>{});
}

}  // namespace
}  // namespace crm::core
