#include "core/phone.hpp"

#include <gtest/gtest.h>

#include <string>

namespace crm::core {
namespace {

// A UK number typed with its country code is returned in E.164.
TEST(NormalizePhone, UkInternational) {
    EXPECT_EQ(normalizePhone("+44 20 7946 0123", "US"), "+442079460123");
    EXPECT_EQ(normalizePhone("+44 7700 900123", "US"), "+447700900123");
}

// A UK number typed nationally, with its trunk 0, is read in the GB region.
TEST(NormalizePhone, UkNational) {
    EXPECT_EQ(normalizePhone("020 7946 0123", "GB"), "+442079460123");
    EXPECT_EQ(normalizePhone("07400 123456", "GB"), "+447400123456");
}

// The British habit of writing the trunk 0 in brackets after the country code is understood.
TEST(NormalizePhone, UkInternationalWithBracketedTrunkPrefix) {
    EXPECT_EQ(normalizePhone("+44 (0)20 7946 0123", "US"), "+442079460123");
}

// US numbers in the usual national notations.
TEST(NormalizePhone, UsNational) {
    EXPECT_EQ(normalizePhone("(212) 555-0100", "US"), "+12125550100");
    EXPECT_EQ(normalizePhone("212.555.0100", "US"), "+12125550100");
    EXPECT_EQ(normalizePhone("1 212 555 0100", "US"), "+12125550100");
}

// A US number with its country code is read the same from any region.
TEST(NormalizePhone, UsInternational) {
    EXPECT_EQ(normalizePhone("+1 212-555-0100", "GB"), "+12125550100");
    EXPECT_EQ(normalizePhone("+12125550100", "DE"), "+12125550100");
}

// German numbers, including the 030/… notation, with and without the country code.
TEST(NormalizePhone, German) {
    EXPECT_EQ(normalizePhone("030 901820", "DE"), "+4930901820");
    EXPECT_EQ(normalizePhone("030/901820", "DE"), "+4930901820");
    EXPECT_EQ(normalizePhone("+49 30 901820", "US"), "+4930901820");
    EXPECT_EQ(normalizePhone("+49 (0)30 901820", "US"), "+4930901820");
}

// The international call prefix of the default region counts as a '+'.
TEST(NormalizePhone, InternationalCallPrefixOfTheRegion) {
    EXPECT_EQ(normalizePhone("0044 20 7946 0123", "GB"), "+442079460123");
    EXPECT_EQ(normalizePhone("011 44 20 7946 0123", "US"), "+442079460123");
}

// "00" stands for "+" whatever the region (most of the world dials it; no US number starts
// with 0), and a spaced "(0)" after the country code is left out.
TEST(NormalizePhone, EuropeanInternationalNotations) {
    EXPECT_EQ(normalizePhone("0034 612 34 56 78", "US"), "+34612345678");
    EXPECT_EQ(normalizePhone("0047 912 34 567", "US"), "+4791234567");
    EXPECT_EQ(normalizePhone("+47 (0) 912 34 567", "US"), "+4791234567");
    EXPECT_EQ(normalizePhone("0047 (0) 912 34 567", "GB"), "+4791234567");
    // Where the region's own exit code starts with 00, it is read as that code, not as "+".
    EXPECT_EQ(normalizePhone("0011 44 20 7946 0123", "AU"), "+442079460123");
    EXPECT_EQ(normalizePhone("0015 44 20 7946 0123", "BR"), "+442079460123");
    // Even where "00" read as "+" would give a number of the right length for another country.
    EXPECT_EQ(normalizePhone("0011 298 123456", "AU"), "+298123456");
    EXPECT_EQ(normalizePhone("001 47 912 34 567", "KR"), "+4791234567");
    EXPECT_EQ(normalizePhone("009 45 12 34 56 78", "CO"), "+4512345678");
    EXPECT_EQ(normalizePhone("0011 298 12", "AU"), std::nullopt);  // the code, then too little
    EXPECT_TRUE(mayBePhoneNumber("0011 44 20 7946 0123"));  // the region decides, once known
}

// The same national digits belong to whichever country the default region names.
TEST(NormalizePhone, DefaultRegionDecidesTheCountry) {
    EXPECT_EQ(normalizePhone("030 901820", "DE"), "+4930901820");
    EXPECT_EQ(normalizePhone("06 12 34 56 78", "FR"), "+33612345678");
    EXPECT_EQ(normalizePhone("0412 345 678", "AU"), "+61412345678");
}

// Typed without its country code, a number must be one of the region's: a French mobile read
// in the US has a US number's length but no US number starts 06. With its country code only
// the length is checked (ranges newer than libphonenumber's data stay accepted).
TEST(NormalizePhone, NationalNumbersMustExistInTheirRegion) {
    EXPECT_EQ(normalizePhone("06 12 34 56 78", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("(012) 345-6789", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("111 111 1111", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("(212) 555-0100", "GB"), std::nullopt);
    EXPECT_EQ(normalizePhone("+1 011 234 5678", "US"), "+10112345678");
    EXPECT_EQ(normalizePhone("011 44 20 7946 0123", "US"), "+442079460123");  // US exit code
    EXPECT_EQ(normalizePhone("011 1 011 234 5678", "US"), "+10112345678");    // international: length only
    EXPECT_EQ(normalizePhone("1 012 345 6789", "US"), std::nullopt);           // no exit code: a guess
}

// The region code may be written in lower case.
TEST(NormalizePhone, RegionIsCaseInsensitive) {
    EXPECT_EQ(normalizePhone("020 7946 0123", "gb"), "+442079460123");
}

// A national number cannot be read without a known region.
TEST(NormalizePhone, RefusesNationalNumberWithoutKnownRegion) {
    EXPECT_EQ(normalizePhone("020 7946 0123", ""), std::nullopt);
    EXPECT_EQ(normalizePhone("020 7946 0123", "XX"), std::nullopt);
    EXPECT_EQ(normalizePhone("+44 20 7946 0123", ""), "+442079460123");
}

// Spaces, tabs and newlines around the number are ignored.
TEST(NormalizePhone, TrimsSurroundingWhitespace) {
    EXPECT_EQ(normalizePhone("  +44 20 7946 0123\t\n", "US"), "+442079460123");
    EXPECT_EQ(normalizePhone(std::string(50, ' ') + "(212) 555-0100 ", "US"), "+12125550100");
}

// Letters are refused, including vanity numbers libphonenumber would turn into digits.
TEST(NormalizePhone, RefusesLetters) {
    EXPECT_EQ(normalizePhone("1-800-FLOWERS", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("Tel: 212 555 0100", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("phone", "US"), std::nullopt);
}

// Empty text and text that only looks like punctuation are refused.
TEST(NormalizePhone, RefusesGarbage) {
    EXPECT_EQ(normalizePhone("", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("   ", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+++", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("()-./", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("#212 555 0100", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("212 555 0100 *", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("\xe2\x98\x8e 212 555 0100", "US"), std::nullopt);  // U+260E
}

// Too few digits for a complete number in the country are refused.
TEST(NormalizePhone, RefusesTooShort) {
    EXPECT_EQ(normalizePhone("12", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+44 20", "US"), std::nullopt);
    // Dialable locally without the area code, but its E.164 form would reach no one.
    EXPECT_EQ(normalizePhone("555 0100", "US"), std::nullopt);
}

// Too many digits for the country are refused.
TEST(NormalizePhone, RefusesTooManyDigits) {
    EXPECT_EQ(normalizePhone("+1 212 555 0100 99", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+44 20 7946 0123 4567 8901", "US"), std::nullopt);
}

// Whatever libphonenumber calls possible, nothing longer than E.164's 15 digits comes out: the
// database refuses more. German numbers are the longest it allows.
TEST(NormalizePhone, NeverMoreThanFifteenDigits) {
    int accepted = 0;
    for (int extra = 0; extra <= 12; ++extra) {
        const auto phone = normalizePhone("+49 30 12345" + std::string(extra, '7'), "DE");
        if (phone) {
            ++accepted;
            EXPECT_LE(phone->size(), 16u) << *phone;  // '+' and at most 15 digits
        }
    }
    EXPECT_GT(accepted, 0);
}

// Nor fewer than the database's seven: libphonenumber calls "+49 30 12" possible.
TEST(NormalizePhone, NeverFewerThanSevenDigits) {
    EXPECT_EQ(normalizePhone("+49 30 12", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+49 1234", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+683 4002", "US"), "+6834002");  // Niue: seven digits in all
}

// A number searched for as people type it finds the digits stored in E.164: the national
// prefix, 00 and (0) are dialling, not part of the number, once the text is long enough to be
// more than a fragment.
TEST(PhoneSearchDigits, LeavesOutHowTheNumberIsDialled) {
    EXPECT_EQ(phoneSearchDigits("+44 20 7946", "US"), "44207946");
    EXPECT_EQ(phoneSearchDigits("+44 (0)20 7946 0958", "US"), "442079460958");
    EXPECT_EQ(phoneSearchDigits("020 7946 0958", "GB"), "2079460958");    // trunk 0 left out
    EXPECT_EQ(phoneSearchDigits("06 12 34 56 78", "US"), "612345678");     // in any region
    EXPECT_EQ(phoneSearchDigits("011 33 6 12 34 56 78", "US"), "33612345678");  // the US exit code
    EXPECT_EQ(phoneSearchDigits("0011 44 20 7946 0958", "AU"), "442079460958");  // AU's
    EXPECT_EQ(phoneSearchDigits("030 901820", "de"), "30901820");
    EXPECT_EQ(phoneSearchDigits("030 9018", "DE"), "49309018");             // short: in DE only
    EXPECT_EQ(phoneSearchDigits("0044 20 7946", "DE"), "44207946");
    EXPECT_EQ(phoneSearchDigits("0044 (0)20 7946", "DE"), "44207946");
    EXPECT_EQ(phoneSearchDigits("1 212 555 0100", "US"), "12125550100");  // US trunk 1 is its code
    EXPECT_EQ(phoneSearchDigits("0958", "GB"), "0958");                    // a fragment: as typed
    EXPECT_EQ(phoneSearchDigits("00 12 34", "GB"), "001234");
    EXPECT_EQ(phoneSearchDigits("555-0100", "US"), "5550100");
    EXPECT_EQ(phoneSearchDigits("7946 0958", "GB"), "79460958");
}

// More than 40 characters (after trimming) is refused, even when the digits would be fine.
TEST(NormalizePhone, RefusesMoreThanFortyCharacters) {
    const std::string padded = "+1 (212)" + std::string(28, ' ') + "555-0100";  // 44 characters
    EXPECT_EQ(normalizePhone(padded, "US"), std::nullopt);
    const std::string forty = "+1 (212)" + std::string(24, ' ') + "555-0100";
    ASSERT_EQ(forty.size(), 40u);
    EXPECT_EQ(normalizePhone(forty, "US"), "+12125550100");
}

// An extension is refused, not dropped: E.164 cannot hold it and the caller would lose it.
TEST(NormalizePhone, RefusesExtension) {
    EXPECT_EQ(normalizePhone("(212) 555-0100 x123", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+1 212 555 0100 ext. 123", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("+1 212 555 0100 #123", "US"), std::nullopt);
    EXPECT_EQ(normalizePhone("tel:+1-212-555-0100;ext=123", "US"), std::nullopt);
}

// Numbers as input methods write them (full width in Japan and China, Arabic-Indic digits on an
// Arabic keyboard) and as they are pasted (en dashes, non-breaking spaces, direction marks) are
// the same numbers; letters stay refused in any width.
TEST(NormalizePhone, ReadsDigitsOfEveryScriptAndPastedPunctuation) {
    EXPECT_EQ(normalizePhone("\uFF10\uFF13-\uFF11\uFF12\uFF13\uFF14-\uFF15\uFF16\uFF17\uFF18", "JP"),
              "+81312345678");  // ０３-１２３４-５６７８
    EXPECT_EQ(normalizePhone("\uFF0B\uFF18\uFF11\u3000\uFF13\u30FC\uFF11\uFF12\uFF13\uFF14\u30FC"
                             "\uFF15\uFF16\uFF17\uFF18",
                             "US"),
              "+81312345678");  // ＋８１　３ー１２３４ー５６７８
    EXPECT_EQ(normalizePhone("\u200E+20 \u0661\u0660\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", "US"),
              "+201001234567");  // an Egyptian mobile in Arabic-Indic digits, after a direction mark
    EXPECT_EQ(normalizePhone("+1\u00A0212\u2013555\u20130100", "FR"), "+12125550100");
    EXPECT_EQ(normalizePhone("\uFF11-\uFF18\uFF10\uFF10-\uFF26\uFF2C\uFF2F\uFF37\uFF25\uFF32\uFF33", "US"),
              std::nullopt);  // １-８００-ＦＬＯＷＥＲＳ
    EXPECT_TRUE(mayBePhoneNumber("\uFF10\uFF13 \uFF11\uFF12\uFF13\uFF14 \uFF15\uFF16\uFF17\uFF18"));
    EXPECT_EQ(phoneTextInAscii("\uFF08\uFF10\uFF13\uFF09\u2212\u00AD1"), "(03)-1");
}

// Decorated digits are no digits anyone dials, and no keyboard mixes two scripts' digits: such
// text is refused rather than read as some other number.
TEST(NormalizePhone, RefusesDecoratedDigitsAndMixedScripts) {
    EXPECT_EQ(normalizePhone("\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u2469", "US"),
              std::nullopt);  // ①②③④⑤⑥⑦⑧⑨⑩
    EXPECT_EQ(normalizePhone("+44 20 7946 \u2490\u248C\u248F", "US"), std::nullopt);  // ⒐⒌⒏
    EXPECT_EQ(normalizePhone("+\u2074\u2074 \u00B2\u2070 \u2077\u2079\u2074\u2076 \u2070\u2079\u2075\u2078", "US"),
              std::nullopt);  // superscripts
    // Arabic-Indic and Devanagari digits in one number (the full-width ０ counts as Latin).
    EXPECT_EQ(normalizePhone("+44 20 7946 \uFF10\u0669\u096B8", "US"), std::nullopt);  // ０٩५8
    EXPECT_EQ(normalizePhone("\U0001D7CE\U0001D7D4 \U0001D7CF\U0001D7D0 \U0001D7D1\U0001D7D2 "
                             "\U0001D7D3\U0001D7D4 \U0001D7D5\U0001D7D6", "FR"),
              std::nullopt);  // mathematical bold 𝟎𝟔 𝟏𝟐 𝟑𝟒 𝟓𝟔 𝟕𝟖
    // Persian and Arabic-Indic digits are one script's, and mixed in practice: ۰۹۱۲ ٣٤٥ ۶۷۸۹.
    EXPECT_EQ(normalizePhone("\u06F0\u06F9\u06F1\u06F2 \u0663\u0664\u0665 \u06F6\u06F7\u06F8\u06F9", "IR"),
              "+989123456789");
    EXPECT_FALSE(mayBePhoneNumber("\u2460\u2461\u2462\u2463\u2464"));
    // Latin digits with one other script's: a country code pasted before Arabic-Indic digits.
    EXPECT_EQ(normalizePhone("+20 \u0661\u0660\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", "US"),
              "+201001234567");
    EXPECT_EQ(normalizePhone("\uFF10\uFF13\uFF70\uFF11\uFF12\uFF13\uFF14\uFE63\uFF15\uFF16\uFF17\uFF18", "JP"),
              "+81312345678");  // half-width ｰ and the small hyphen ﹣ as dashes
}

// Numbers in ranges that libphonenumber does not know as assigned are still accepted.
TEST(NormalizePhone, AcceptsPossibleButUnassignedRanges) {
    EXPECT_EQ(normalizePhone("+1 212 055 0100", "US"), "+12120550100");  // exchange 0xx
}

// Before the region is known: a number with its country code is judged in full, one without
// by its characters and digit count only.
TEST(MayBePhoneNumber, JudgesWhatNeedsNoRegion) {
    EXPECT_TRUE(mayBePhoneNumber("01 42 68 53 99"));
    EXPECT_TRUE(mayBePhoneNumber("0033 1 42 68 53 99"));
    EXPECT_TRUE(mayBePhoneNumber("+44 (0)20 7946 0123"));
    EXPECT_FALSE(mayBePhoneNumber("+1 2"));       // too short in any country
    EXPECT_FALSE(mayBePhoneNumber("0033 12"));
    EXPECT_FALSE(mayBePhoneNumber("call me"));
    EXPECT_FALSE(mayBePhoneNumber("123"));
    EXPECT_TRUE(mayBePhoneNumber("011 49 30 1234567890 1"));   // dialled from the US: 18 digits
    EXPECT_FALSE(mayBePhoneNumber("123456789012345678901"));  // 21 digits
    EXPECT_FALSE(mayBePhoneNumber(""));
}

}  // namespace
}  // namespace crm::core
