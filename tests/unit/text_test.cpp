#include "core/validation.hpp"
#include "core/web_address.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

// Greek writes a word's last sigma ς: "ΦΊΛΟΣ" is the tag "φίλος" (not lower()'s "φίλοσ"), one
// tag with "φίλος" as typed; a sigma inside a word, or standing alone, stays σ.
TEST(FoldTags, GreekFinalSigmaIsSpeltAsWritten) {
    EXPECT_EQ(foldTags({"ΦΊΛΟΣ", "φίλος", "φίλοσ"}), std::vector<std::string>{"φίλος"});
    EXPECT_EQ(foldTag("ΣΊΣΥΦΟΣ"), "σίσυφος");
    EXPECT_EQ(foldTag("ΟΔΟΣ ΠΑΝΟΣ-2"), "οδος πανος-2");
    EXPECT_EQ(foldTag("Σ"), "σ");
    EXPECT_EQ(foldTag("ΣΣ"), "σς");
    EXPECT_EQ(foldTag("ΚΌΣΜΟΣ."), "κόσμος.");
    EXPECT_EQ(lowerAsWritten("ΠΩΛΗΣΕΙΣ B2B"), "πωλησεις b2b");
    EXPECT_EQ(lowerAsWritten("Πωλήσεις"), "πωλήσεις");
}

// A search's length counts what it compares: ligatures expand, marks on a letter count nothing.
TEST(SearchedLength, CountsWhatTheSearchCompares) {
    EXPECT_EQ(searchedLength("abc"), 3u);
    EXPECT_EQ(searchedLength("\uFB03"), 3u);                  // ﬃ
    EXPECT_EQ(searchedLength("ph\u0301\u0301"), 2u);         // p, h and two acutes
    EXPECT_EQ(searchedLength("\u0301\u0301\u0301"), 0u);
    EXPECT_EQ(searchedLength("\u0645\u064F\u062D"), 2u);    // مُح: a damma on the mim
    EXPECT_EQ(searchedLength("i\u00DF"), 3u);                // iß, searched as "iss"
    EXPECT_EQ(searchedLength("\u00E6r"), 3u);                // ær, searched as "aer"
    EXPECT_EQ(searchedLength("ab\u200B"), 2u);               // a zero-width space shows nothing
    EXPECT_EQ(searchedLength("a\u20DD\u20DD"), 1u);          // enclosing circles are dropped
    EXPECT_EQ(searchedLength("\u00FE\u00F3"), 3u);           // þó, searched as "tho"
    EXPECT_EQ(searchedLength("o'b"), 2u);                    // apostrophes are deleted
    EXPECT_EQ(searchedLength("o\u2019b"), 2u);               // ’ too
    EXPECT_EQ(searchedLength("a  \u3000b"), 3u);             // a run of spaces is one
    EXPECT_EQ(searchedLength("a ' b"), 3u);                  // "a  b", then "a b"
    EXPECT_EQ(searchedLength("\u2019 ab"), 2u);              // " ab", then "ab"
    EXPECT_EQ(searchedLength("..."), 0u);                    // no letter or digit: no trigram
    EXPECT_EQ(searchedLength("\u3231"), 0u);                 // ㈱, though NFKC makes it "(株)"
    EXPECT_EQ(searchedLength("\u3231\u5C71\u7530"), 3u);     // ㈱山田: three as typed
    EXPECT_EQ(searchedLength("\uFDFA"), 1u);                 // ﷺ: one letter to unaccent, 18 in NFKC
    EXPECT_EQ(searchedLength("\uFF21\uFF22\uFF23"), 3u);     // ＡＢＣ
    EXPECT_EQ(searchedLength("\u2032\u2032\u2032"), 0u);     // ′′′: three apostrophes to unaccent
    EXPECT_EQ(searchedLength("\u0640\u0640\u0640"), 0u);     // tatweel stretches, crm_fold deletes it
    EXPECT_EQ(searchedLength("Jos\u00E9"), 4u);
    EXPECT_EQ(searchedLength("a-b"), 3u);                    // a hyphen is a space (0024)
    EXPECT_EQ(searchedLength("a - b"), 3u);                  // "a   b", then "a b"
    EXPECT_EQ(searchedLength("-ab-"), 2u);                   // none at the ends
    EXPECT_EQ(searchedLength("a\u2014b"), 3u);               // an em dash, written '-'
    EXPECT_EQ(searchedLength("ab\u2026"), 2u);               // …, written "...", then nothing
    EXPECT_EQ(searchedLength("(a.b)"), 3u);
    EXPECT_EQ(compatibilityForm("\uFF0B\uFF14\uFF14\u3000\uFF12\uFF10"), "+44 20");
    // Spaces, invisible characters and marks, in any mix, are nothing to search for.
    EXPECT_TRUE(searchesNothing("\u0301\u200B"));
    EXPECT_TRUE(searchesNothing(" \u0301\u0301\u200B\u3000"));
    EXPECT_FALSE(searchesNothing("\u0301a"));
}

// One or two characters are a whole name only in the scripts of Chinese, Japanese and Korean.
TEST(IsEastAsianName, TakesHanKanaAndHangulOnly) {
    EXPECT_TRUE(isEastAsianName("\u738B\u82B3"));      // 王芳
    EXPECT_TRUE(isEastAsianName("\u3072\u308D"));      // ひろ
    EXPECT_TRUE(isEastAsianName("\u30B1\u30F3"));      // ケン
    EXPECT_TRUE(isEastAsianName("\uAE40"));             // 김
    EXPECT_FALSE(isEastAsianName(""));
    EXPECT_FALSE(isEastAsianName("ab"));
    EXPECT_TRUE(isEastAsianName("\u5C71\u7530\u3001"));  // 山田、: searches fold the comma away
    EXPECT_TRUE(isEastAsianName("(\u738B)"));
    EXPECT_TRUE(isEastAsianName("\uFF75\uFF73"));      // ｵｳ, half-width katakana
    EXPECT_FALSE(isEastAsianName("\u3001"));            // punctuation alone
    EXPECT_FALSE(isEastAsianName("\u738Ba"));           // with a Latin letter
    EXPECT_FALSE(isEastAsianName("\u3231"));            // ㈱ is no name
}

// The rules of the unaccent dictionary of the PostgreSQL that ./crm installs: (character,
// what unaccent writes for it). Empty where that PostgreSQL is not installed.
std::vector<std::pair<std::string, std::string>> unaccentRules() {
    std::vector<std::pair<std::string, std::string>> out;
    std::ifstream rules("/usr/share/postgresql/15/tsearch_data/unaccent.rules");
    for (std::string line; std::getline(rules, line);) {
        if (const auto tab = line.find('\t'); tab != std::string::npos) {
            out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
        }
    }
    return out;
}

// Every character PostgreSQL's unaccent writes as an apostrophe is deleted by crm_fold (0023),
// so it counts nothing: three of them are no three-character search (which would read every
// trigram index whole).
TEST(SearchedLength, CountsNothingForWhatUnaccentMakesAnApostrophe) {
    const auto rules = unaccentRules();
    if (rules.empty()) {
        GTEST_SKIP() << "no unaccent.rules of PostgreSQL 15 here";
    }
    std::size_t apostrophes = 0;
    for (const auto& [source, output] : rules) {
        if (output == "'") {
            EXPECT_EQ(searchedLength(source + source + source), 0u) << source;
            ++apostrophes;
        }
    }
    EXPECT_GE(apostrophes, 9u);
}

// Every character unaccent writes as punctuation crm_fold reads as a space (0024: dashes, …,
// ‚, ÷) counts as a space: once between two letters, nothing at the ends. The soft hyphen,
// which crm_fold deletes before unaccent, counts nothing.
TEST(SearchedLength, CountsWhatUnaccentMakesPunctuationAsASpace) {
    const auto rules = unaccentRules();
    if (rules.empty()) {
        GTEST_SKIP() << "no unaccent.rules of PostgreSQL 15 here";
    }
    std::size_t separators = 0;
    for (const auto& [source, output] : rules) {
        if (source == "\u00AD") {
            EXPECT_EQ(searchedLength("ab" + source + "cd"), 4u);
        } else if (!output.empty() && output.find_first_not_of("-.,/_() ") == std::string::npos) {
            EXPECT_EQ(searchedLength("ab" + source + "cd"), 5u) << source;
            EXPECT_EQ(searchedLength(source + "ab" + source), 2u) << source;
            ++separators;
        }
    }
    EXPECT_GE(separators, 15u);
}

// ---------------------------------------------------------------------------------------------
// Domains and websites

// A URL pasted as a domain is reduced to its lower-case host without www., port or path.
TEST(NormalizeDomain, StripsSchemeWwwPortPathAndTrailingDot) {
    EXPECT_EQ(normalizeDomain("https://WWW.Acme.COM:443/about"), "acme.com");
    EXPECT_EQ(normalizeDomain("http://acme.com/"), "acme.com");
    EXPECT_EQ(normalizeDomain("acme.com."), "acme.com");
    EXPECT_EQ(normalizeDomain("  Sub.Acme.co.uk  "), "sub.acme.co.uk");
    EXPECT_EQ(normalizeDomain("//www.acme.com?x=1"), "acme.com");
    EXPECT_EQ(normalizeDomain("acme.com#top"), "acme.com");
    EXPECT_EQ(normalizeDomain("www2.acme.com"), "www2.acme.com");
}

// Things that are not DNS names are refused rather than stored half-normalised.
TEST(NormalizeDomain, RefusesWhatIsNotADomain) {
    for (const auto* text : {"", "acme", "localhost", "192.168.0.1", "ftp://acme.com",
                             "user@acme.com", "acme.com:http", "acme.com:99999", "acme.com:0",
                             "acme.com:", "acme.com:+80", "acme.com:-1", "-acme.com", "acme-.com",
                             "ac me.com", "münchen.de", "www.com", "acme..com"}) {
        EXPECT_EQ(normalizeDomain(text), std::nullopt) << text;
    }
    std::string long_label(64, 'a');
    long_label.append(".com");
    EXPECT_EQ(normalizeDomain(long_label), std::nullopt);
}

// A user name or password before the host is found wherever the address starts; an @ in the
// path or query, or a "://" there, is no part of the host.
TEST(HasCredentials, OnlyBeforeTheHost) {
    for (const auto* url : {"https://ann:secret@acme.com", "ann@acme.com", "//ann@acme.com/x", "http://@acme.com"}) {
        EXPECT_TRUE(hasCredentials(url)) << url;
    }
    for (const auto* url : {"https://acme.com/@team", "acme.com/r?next=http://u@other.com", "acme.com#a@b", "acme.com"}) {
        EXPECT_FALSE(hasCredentials(url)) << url;
    }
}

// A website without a scheme gets https://; scheme and host are lower-cased, the path kept.
TEST(NormalizeWebsite, AddsHttpsAndKeepsThePath) {
    EXPECT_EQ(normalizeWebsite("acme.com"), "https://acme.com");
    EXPECT_EQ(normalizeWebsite("www.Acme.com/About-Us"), "https://www.acme.com/About-Us");
    EXPECT_EQ(normalizeWebsite("HTTP://Acme.com:8080/x?y=Z"), "http://acme.com:8080/x?y=Z");
    EXPECT_EQ(normalizeWebsite("//acme.com"), "https://acme.com");
    EXPECT_EQ(normalizeWebsite("acme.com/r?next=http://other.com"),
              "https://acme.com/r?next=http://other.com");
    // The host's trailing dot goes, as the domain's does.
    EXPECT_EQ(normalizeWebsite("http://Acme.com./x"), "http://acme.com/x");
    EXPECT_EQ(normalizeWebsite("acme.com.:8080"), "https://acme.com:8080");
    EXPECT_EQ(normalizeWebsite("https://acme.com../x"), std::nullopt);  // an empty label
}

// Websites of other schemes, with spaces or without a real host are refused.
TEST(NormalizeWebsite, RefusesOtherSchemesAndBadHosts) {
    for (const auto* text : {"ftp://acme.com", "javascript:alert(1)", "mailto:a@acme.com",
                             "https://acme", "https://acme .com", "https://", "acme com",
                             // a character that prints as nothing, anywhere: the same-looking
                             // address would be another one
                             "https://acme.com/a\u200b", "https://acme.com/?q=\u2066x", "\ufeffacme.com"}) {
        EXPECT_EQ(normalizeWebsite(text), std::nullopt) << text;
    }
    // Joiners and variation selectors belong to the words and emoji of a path.
    EXPECT_EQ(normalizeWebsite("acme.ir/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
              "https://acme.ir/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645");
    EXPECT_EQ(normalizeWebsite("acme.com/\u2764\ufe0f"), "https://acme.com/\u2764\ufe0f");
}

// At most 2048 characters as stored: the https:// it adds counts, and characters are not bytes.
TEST(NormalizeWebsite, CountsCharactersAsStored) {
    const auto path = [](std::size_t characters, const std::string& one) {
        std::string text;
        for (std::size_t i = 0; i < characters; ++i) {
            text += one;
        }
        return text;
    };
    EXPECT_EQ(normalizeWebsite("acme.com/" + path(2030, "a")).value_or("").size(), 2047u);
    EXPECT_EQ(normalizeWebsite("acme.com/" + path(2031, "a")).value_or("").size(), 2048u);
    EXPECT_EQ(normalizeWebsite("acme.com/" + path(2032, "a")), std::nullopt);
    EXPECT_TRUE(normalizeWebsite("https://acme.com/" + path(1100, "é")));  // 2217 bytes
}

}  // namespace
}  // namespace crm::core
