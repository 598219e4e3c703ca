#include "core/phone.hpp"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <cctype>

namespace crm::core {
namespace {

// Longer input is not a phone number; the cap also bounds the work libphonenumber's regexes do.
constexpr std::size_t kMaxPhoneLength = 40;

std::string_view trimSpaces(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

// libphonenumber skips leading text ("Tel: "), turns letters into digits ("1-800-FLOWERS") and
// keeps extensions apart. A CRM field should hold the number only, so anything but digits and
// the usual separators is refused here instead of being reinterpreted.
bool hasOnlyPhoneCharacters(std::string_view text) {
    for (const char c : text) {
        const bool allowed = (c >= '0' && c <= '9') || c == ' ' || c == '\t' || c == '+' ||
                             c == '-' || c == '(' || c == ')' || c == '.' || c == '/';
        if (!allowed) {
            return false;
        }
    }
    return true;
}

// Input methods and pasted text: more than this many bytes cannot be 40 characters of a number.
constexpr std::size_t kMaxTypedPhoneBytes = 4 * kMaxPhoneLength;

// The dashes a word processor, a web page or a Japanese input method puts in a number
// (‐ ‑ ‒ – — ― − ー ｰ ﹣), read as '-'.
bool isDashInNumber(UChar32 point) {
    return (point >= 0x2010 && point <= 0x2015) || point == 0x2212 || point == 0x30FC || point == 0xFF70 ||
           point == 0xFE63;
}

// The script a character belongs to (USCRIPT_COMMON for those of no one script).
UScriptCode writtenScript(UChar32 point) {
    UErrorCode status = U_ZERO_ERROR;
    const auto script = uscript_getScript(point, &status);
    return U_FAILURE(status) ? USCRIPT_COMMON : script;
}

// The full-width forms of ASCII's printable characters (＋ （ ０ Ａ), U+FF01 to U+FF5E, are
// their ASCII characters moved by this much.
constexpr UChar32 kFullWidthFirst = 0xFF01;
constexpr UChar32 kFullWidthLast = 0xFF5E;
constexpr UChar32 kFullWidthOffset = 0xFEE0;

// Region codes in libphonenumber's metadata are upper case.
std::string regionCode(std::string_view region) {
    std::string code(region);
    for (auto& c : code) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return code;
}

// "(0)" left out: the national prefix shown for callers at home ("+47 (0) 912 34 567"), which
// international dialling leaves out.
std::string withoutTrunkMark(std::string text) {
    if (const auto zero = text.find("(0)"); zero != std::string::npos) {
        text.erase(zero, 3);
    }
    return text;
}

// The two ways of writing an international number that libphonenumber reads only in some
// regions: "00" for "+" (the international prefix of most of the world, but not of the US,
// whose numbers never start with 0), and a "(0)" after the country code (withoutTrunkMark).
std::string internationalForm(std::string_view text) {
    std::string out(text);
    if (out.rfind("00", 0) == 0) {
        out.replace(0, 2, "+");
    }
    return out.rfind('+', 0) == 0 ? withoutTrunkMark(std::move(out)) : out;
}

// Whether `typed` starts with `region`'s own exit code (0011 in AU, 001 in KR), whatever
// follows it; `number` is what libphonenumber read, when it read one.
bool readsRegionsExitCode(const std::string& typed, const std::string& region,
                          i18n::phonenumbers::PhoneNumber& number) {
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    const auto error = PhoneNumberUtil::GetInstance()->ParseAndKeepRawInput(typed, region, &number);
    if (error == PhoneNumberUtil::TOO_SHORT_AFTER_IDD) {
        number.Clear();  // the code, and no number after it
        return true;
    }
    return error == PhoneNumberUtil::NO_PARSING_ERROR &&
           number.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_IDD;
}

// The E.164 form of a number libphonenumber read, if it is one this API keeps.
std::optional<std::string> keptE164(const i18n::phonenumbers::PhoneNumber& number) {
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    const auto& util = *PhoneNumberUtil::GetInstance();
    if (!number.has_country_code()) {
        return std::nullopt;  // not read at all
    }
    if (number.has_extension()) {
        return std::nullopt;  // unreachable through the character check; kept as a backstop
    }
    // IS_POSSIBLE only: IsPossibleNumber() also accepts IS_POSSIBLE_LOCAL_ONLY ("555 0100" in
    // the US), whose E.164 form would lack the area code and reach no one.
    if (util.IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) {
        return std::nullopt;
    }
    // A number typed without its country code is read in the region, and must be one of its
    // numbers (IsValidNumber): "06 12 34 56 78" (a French mobile) has a US number's length, and
    // would otherwise be saved as +1 061 234 5678, which reaches no one and matches no
    // duplicate. Typed in international form (with + or an exit code such as the US's 011),
    // the sender said which country it is: only its length is checked, since IsValidNumber()
    // refuses ranges newer than the library's data.
    const auto source = number.country_code_source();
    const bool international = source == PhoneNumber::FROM_NUMBER_WITH_PLUS_SIGN ||
                               source == PhoneNumber::FROM_NUMBER_WITH_IDD;
    if (!international && !util.IsValidNumber(number)) {
        return std::nullopt;
    }
    std::string e164;
    util.Format(number, PhoneNumberUtil::E164, &e164);
    // The database's check (crm_is_e164) takes 7 to 15 digits, which would refuse without
    // naming the field what libphonenumber calls possible beyond them: some longer German
    // numbers (E.164 allows 15 digits), and short ones such as +49 30 12 (no country's numbers
    // are that short in full international form).
    if (e164.size() > 16 || e164.size() < 8) {
        return std::nullopt;
    }
    return e164;
}

// The E.164 form of `typed` read in `region`, if it is a number this API keeps.
std::optional<std::string> readPhone(const std::string& typed, const std::string& region) {
    using i18n::phonenumbers::PhoneNumberUtil;
    i18n::phonenumbers::PhoneNumber number;
    if (PhoneNumberUtil::GetInstance()->ParseAndKeepRawInput(typed, region, &number) !=
        PhoneNumberUtil::NO_PARSING_ERROR) {
        return std::nullopt;
    }
    return keptE164(number);
}

}  // namespace

std::string phoneTextInAscii(std::string_view text) {
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) ||
        text.size() > kMaxTypedPhoneBytes) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    std::optional<UScriptCode> digits_script;  // the script other than Latin whose digits it uses
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
        const int32_t start = i;
        UChar32 point = 0;
        U8_NEXT(bytes, i, length, point);
        if (point < 0) {
            return std::string(text);  // not UTF-8: refused as it stands
        }
        const auto type = u_charType(point);
        if (point < 0x80) {
            out.push_back(static_cast<char>(point));
        } else if (point >= kFullWidthFirst && point <= kFullWidthLast) {
            out.push_back(static_cast<char>(point - kFullWidthOffset));  // ＋８１ （０３）
        } else if (const auto script = type == U_DECIMAL_DIGIT_NUMBER ? writtenScript(point) : USCRIPT_COMMON;
                   script != USCRIPT_COMMON) {
            // ٠١٢ ۰۱۲, ०१२: one script's digits (with Latin ones, as a pasted country code);
            // digits of two, which no keyboard types, are refused as sent. Digits of no script
            // (mathematical 𝟎, segmented) are decoration, kept for the callers to refuse.
            if (digits_script && *digits_script != script) {
                return std::string(text);
            }
            digits_script = script;
            out.push_back(static_cast<char>('0' + u_charDigitValue(point)));
        } else if (type == U_SPACE_SEPARATOR) {
            out.push_back(' ');  // non-breaking, ideographic, thin
        } else if (isDashInNumber(point)) {
            out.push_back('-');
        } else if (type != U_FORMAT_CHAR) {  // direction marks left by pasting go
            // Anything else stays for the caller to refuse, circled ① and superscript ² digits
            // included: decoration, not digits anyone dials.
            out.append(text.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
        }
    }
    return out;
}

std::optional<std::string> normalizePhone(std::string_view typed, std::string_view default_region) {
    const auto text = phoneTextInAscii(typed);
    const auto trimmed = trimSpaces(text);
    if (trimmed.empty() || trimmed.size() > kMaxPhoneLength || !hasOnlyPhoneCharacters(trimmed)) {
        return std::nullopt;
    }
    const auto region = regionCode(default_region);
    // A region's own exit code is libphonenumber's to read (00 in most of Europe, but 0011 in
    // AU, 001 in KR, 009 in CO): read as "+", "0011 298 123456" would be +1 129 812 3456. A
    // leading "00" that is not the region's code is read as "+" (the US's is 011, but "0044 …"
    // is what Europeans type).
    if (trimmed.rfind("00", 0) == 0) {
        i18n::phonenumbers::PhoneNumber number;
        if (readsRegionsExitCode(withoutTrunkMark(std::string(trimmed)), region, number)) {
            return keptE164(number);  // nothing, when no number this API keeps follows the code
        }
    }
    return readPhone(internationalForm(trimmed), region);
}

bool mayBePhoneNumber(std::string_view typed) {
    const auto text = phoneTextInAscii(typed);
    const auto trimmed = trimSpaces(text);
    if (trimmed.empty() || trimmed.size() > kMaxPhoneLength || !hasOnlyPhoneCharacters(trimmed)) {
        return false;
    }
    const auto digits = std::count_if(trimmed.begin(), trimmed.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (internationalForm(trimmed).rfind('+', 0) == 0) {
        if (normalizePhone(trimmed, "ZZ")) {  // "ZZ": no region, none needed
            return true;
        }
        // "0011 44 …" is garbage read as "+11 44 …", but a number in AU, whose exit code is
        // 0011: long enough for an exit code, a country code and a number, the region decides.
        constexpr long kMinDigitsAfterLongExitCode = 10;
        return trimmed.front() != '+' && digits >= kMinDigitsAfterLongExitCode && digits <= 20;
    }
    return digits >= 4 && digits <= 20;
}

std::optional<std::string> phoneOrTyped(std::string_view text, const std::optional<std::string>& region) {
    if (region) {
        return normalizePhone(text, *region);
    }
    return mayBePhoneNumber(text) ? std::optional<std::string>(text) : std::nullopt;
}

std::string phoneSearchDigits(std::string_view text, std::string_view default_region) {
    using i18n::phonenumbers::PhoneNumberUtil;
    constexpr std::size_t kMinRewrittenDigits = 6;
    auto typed = std::string(trimSpaces(text));
    const bool international = typed.rfind('+', 0) == 0 || typed.rfind("00", 0) == 0;
    if (international) {
        for (auto at = typed.find("(0)"); at != std::string::npos; at = typed.find("(0)")) {
            typed.erase(at, 3);
        }
    }
    std::string digits;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        }
    }
    if (digits.size() < kMinRewrittenDigits || typed.rfind('+', 0) == 0) {
        return digits;
    }
    const auto region = regionCode(default_region);
    // The region's own exit code ("011 33 6 12 34 56 78" in the US, "0011 44 …" in AU): the
    // country code and number after it, once they are as long as a whole number (seven digits,
    // the database's least); shorter, "00 12 34" is a fragment.
    constexpr std::size_t kMinE164Digits = 7;
    if (i18n::phonenumbers::PhoneNumber number;
        readsRegionsExitCode(typed, region, number) && number.has_country_code()) {
        std::string e164;
        PhoneNumberUtil::GetInstance()->Format(number, PhoneNumberUtil::E164, &e164);
        if (e164.size() >= kMinE164Digits + 1) {
            return e164.substr(1);
        }
    }
    // "00" needs a whole country code and more after it: "00 12 34" is a fragment, not 1234.
    if (digits.rfind("00", 0) == 0) {
        return digits.size() >= kMinRewrittenDigits + 2 ? digits.substr(2) : digits;
    }
    // Most countries dial their own numbers with a leading 0 that E.164 leaves out: without it,
    // "06 12 34 56 78" finds +33 6 12 34 56 78 whatever the default region, as "020 7946 0958"
    // finds +44 20 7946 0958. Seven digits left are specific enough to search anywhere.
    constexpr std::size_t kMinNationalDigits = 8;
    if (digits.front() == '0' && digits.size() >= kMinNationalDigits) {
        return digits.substr(1);
    }
    const auto& util = *PhoneNumberUtil::GetInstance();
    std::string national_prefix;
    util.GetNddPrefixForRegion(region, true, &national_prefix);
    const int country_code = util.GetCountryCodeForRegion(region);
    if (!national_prefix.empty() && country_code != 0 && digits.rfind(national_prefix, 0) == 0) {
        return std::to_string(country_code) + digits.substr(national_prefix.size());
    }
    return digits;
}

}  // namespace crm::core
