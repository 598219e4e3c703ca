#include "core/validation.hpp"

#include "core/ids.hpp"

#include <arpa/inet.h>
#include <locale.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <wctype.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

namespace crm::core {
namespace {

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxEmailLocalPart = 64;  // octets

bool isCurrency(std::string_view text) {
    return text.size() == 3 && std::all_of(text.begin(), text.end(), [](char c) {
               return c >= 'A' && c <= 'Z';
           });
}

int twoDigits(std::string_view text, std::size_t at) {
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

// The "YYYY-MM-DD" at the start of `text` (shape already checked) is a day of the calendar:
// PostgreSQL refuses 2026-02-31 with an error the API would otherwise pass on.
bool isCalendarDate(std::string_view text) {
    const int year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    const int month = twoDigits(text, 5);
    const int day = twoDigits(text, 8);
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= kDays[month - 1] &&
           !(month == 2 && day == 29 && !leap);
}

// The length of the UTF-8 sequence that starts at text[i] when it is well formed as PostgreSQL
// accepts it (no overlong forms, no UTF-16 surrogates, nothing cut off), else 0.
std::size_t validSequenceAt(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80                            ? 1
                               : (c & 0xE0) == 0xC0 && c >= 0xC2   ? 2
                               : (c & 0xF0) == 0xE0                ? 3
                               : (c & 0xF8) == 0xF0 && c <= 0xF4   ? 4
                                                                   : 0;
    if (length == 0 || i + length > text.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
            return 0;
        }
    }
    const auto second = length > 1 ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) ||
        (c == 0xF0 && second < 0x90) || (c == 0xF4 && second > 0x8F)) {
        return 0;
    }
    return length;
}

// PostgreSQL's lower() and its regular expressions' \s follow the database's LC_CTYPE, C.UTF-8
// for the database ./crm creates: full Unicode case mapping and white space. The API checks text
// with the same glibc tables, so a value it accepts is one the CHECK constraints accept.
locale_t unicodeCtype() {
    static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return locale;
}

// The code point at text[i] and how many bytes it takes; a byte that starts no valid sequence
// counts as one character of its own.
std::pair<char32_t, std::size_t> codePointAt(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto length = validSequenceAt(text, i);
    if (length <= 1) {
        return {c, 1};
    }
    char32_t point = c & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
        point = (point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    return {point, length};
}

void appendUtf8(std::string& out, char32_t point) {
    if (point < 0x80) {
        out.push_back(static_cast<char>(point));
    } else if (point < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (point >> 6)));
        out.push_back(static_cast<char>(0x80 | (point & 0x3F)));
    } else if (point < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (point >> 12)));
        out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (point & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (point >> 18)));
        out.push_back(static_cast<char>(0x80 | ((point >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (point & 0x3F)));
    }
}

bool isSpace(char32_t point) {
    if (point < 0x80) {
        return std::isspace(static_cast<int>(point)) != 0;
    }
    // Unicode white space that glibc leaves out of its space class (the no-break spaces and
    // NEL). Counting them here only makes the API stricter than the database: a name of
    // no-break spaces is blank, and they are trimmed.
    if (point == 0x85 || point == 0xA0 || point == 0x2007 || point == 0x202F) {
        return true;
    }
    const auto locale = unicodeCtype();
    return locale != static_cast<locale_t>(nullptr) && iswspace_l(static_cast<wint_t>(point), locale) != 0;
}

// Whether `test` holds for any character of `text`.
template <typename Test>
bool anyCodePoint(std::string_view text, Test test) {
    for (std::size_t i = 0; i < text.size();) {
        const auto [point, length] = codePointAt(text, i);
        if (test(point)) {
            return true;
        }
        i += length;
    }
    return false;
}

// Control characters (C0, DEL, C1) other than the line breaks and tabs that multi-line text
// holds: a bell or an escape in a name only garbles what shows it (a list, an e-mail greeting).
bool isControl(char32_t point) {
    return (point < 0x20 && point != '\t' && point != '\n' && point != '\r') || point == 0x7F ||
           (point >= 0x80 && point <= 0x9F);
}

// Characters that print as nothing: "dave\u200b@x.com" would look like dave@x.com. The format
// controls (soft hyphen, zero-width and bidi marks, embeddings, isolates, word joiners, the
// deprecated format characters), joiners and variation selectors, tag characters, and the
// fillers that render blank (Hangul, Braille, Mongolian).
bool isInvisible(char32_t point) {
    return point == 0x00AD || point == 0x034F || point == 0x061C || point == 0x115F ||
           point == 0x1160 || (point >= 0x180B && point <= 0x180E) ||
           (point >= 0x200B && point <= 0x200F) || (point >= 0x202A && point <= 0x202E) ||
           (point >= 0x2060 && point <= 0x206F) || point == 0x2800 || point == 0x3164 ||
           (point >= 0xFE00 && point <= 0xFE0F) || point == 0xFEFF || point == 0xFFA0 ||
           (point >= 0xE0000 && point <= 0xE007F) || (point >= 0xE0100 && point <= 0xE01EF);
}

// Joiners and variation selectors shape the characters around them (a Persian word, an emoji
// sequence): invisible, but text that uses them does not read the same without them.
bool isShaping(char32_t point) {
    return point == 0x200C || point == 0x200D || (point >= 0x180B && point <= 0x180D) ||
           (point >= 0xFE00 && point <= 0xFE0F) || (point >= 0xE0100 && point <= 0xE01EF);
}

// Left-to-right and right-to-left override: what follows shows in forced order, so "Li\u202Etset"
// reads "Litest" ("RLO spoofing"). The embeddings and isolates, which mixed-direction text
// copied from some applications carries, only set a direction and are kept.
bool isBidiOverride(char32_t point) {
    return point == 0x202D || point == 0x202E;
}

// Line and paragraph separators beyond \n and \r: text with one is not on one line.
bool isLineBreak(char32_t point) {
    return point == '\n' || point == '\r' || point == 0x0085 || point == 0x2028 || point == 0x2029;
}

// The part before the @ as RFC 5322's dot-atom (with non-ASCII letters, RFC 6531): letters,
// digits and !#$%&'*+/=?^_`{|}~- in dot-separated runs, none empty. Quoted forms ("a b"@x) and
// characters such as < > ( ) , ; : that mail software treats as syntax are refused.
bool isLocalPart(std::string_view local) {
    static constexpr std::string_view kSymbols = "!#$%&'*+/=?^_`{|}~-";
    if (local.empty() || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos) {
        return false;
    }
    return std::all_of(local.begin(), local.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte >= 0x80 || std::isalnum(byte) || c == '.' || kSymbols.find(c) != std::string_view::npos;
    });
}

}  // namespace

// A domain name: dot-separated labels of letters, digits and hyphens (or non-ASCII, for
// internationalised names), none empty, none starting or ending with a hyphen. So neither
// "x.com." (the same mailbox as x.com) nor an address literal such as "[127.0.0.1]".
bool isDomainName(std::string_view domain) {
    std::size_t start = 0;
    while (start <= domain.size()) {
        const auto dot = domain.find('.', start);
        const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (const char c : label) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x80 && !std::isalnum(byte) && c != '-') {
                return false;
            }
        }
        if (dot == std::string_view::npos) {
            // The top-level label is a name, not a number: "x@127.0.0.1" is an address
            // literal without its brackets.
            return label.find_first_not_of("0123456789") != std::string_view::npos;
        }
        start = dot + 1;
    }
    return false;
}

std::string trim(std::string_view text) {
    std::size_t first = text.size();
    std::size_t end = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto [point, length] = codePointAt(text, i);
        const bool invalid_byte = length == 1 && point >= 0x80;  // kept for the UTF-8 check to refuse
        if (invalid_byte || !isSpace(point)) {
            first = std::min(first, i);
            end = i + length;
        }
        i += length;
    }
    return first < end ? std::string(text.substr(first, end - first)) : std::string{};
}

bool isIpAddress(const std::string& text) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::size_t utf8Length(std::string_view text) {
    std::size_t count = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++count;
        }
    }
    return count;
}

bool isValidUtf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto length = validSequenceAt(text, i);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

bool isStorableText(std::string_view text) {
    return isValidUtf8(text) && text.find('\0') == std::string_view::npos;
}

std::string validUtf8Prefix(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    for (std::size_t i = 0; i < text.size();) {
        const auto length = validSequenceAt(text, i);
        const auto next = length > 0 ? text.substr(i, length) : std::string_view("\xEF\xBF\xBD");  // U+FFFD
        if (out.size() + next.size() > max_bytes) {
            break;
        }
        out.append(next);
        i += length > 0 ? length : 1;
    }
    return out;
}

bool containsSpace(std::string_view text) {
    return anyCodePoint(text, isSpace);
}

bool containsHiddenMark(std::string_view text) {
    return anyCodePoint(text, [](char32_t point) { return isInvisible(point) && !isShaping(point); });
}

std::string withoutHiddenMarks(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto [point, length] = codePointAt(text, i);
        if (!isInvisible(point) || isShaping(point)) {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

bool isBlank(std::string_view text) {
    return !anyCodePoint(text, [](char32_t point) { return !isSpace(point); });
}

std::optional<long long> wholeNumber(const nlohmann::json& value) {
    if (value.is_number_unsigned()) {
        return static_cast<long long>(std::min<unsigned long long>(value.get<unsigned long long>(), 1ULL << 62));
    }
    if (value.is_number_integer()) {
        return value.get<long long>();
    }
    // 50.0 is the whole number 50 (JSON Schema's integer says so too); 50.5 is not.
    if (value.is_number_float()) {
        const auto number = value.get<double>();
        if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) <= 9007199254740992.0) {
            return static_cast<long long>(number);
        }
    }
    return std::nullopt;
}

bool isOneLine(std::string_view text) {
    return !anyCodePoint(text, [](char32_t point) { return point == '\t' || isLineBreak(point); });
}

bool showsNothing(std::string_view text) {
    return !anyCodePoint(text, [](char32_t point) { return !isSpace(point) && !isInvisible(point); });
}

std::string lowerUnicode(std::string_view text) {
    const auto locale = unicodeCtype();
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto [point, length] = codePointAt(text, i);
        if (point < 0x80) {
            out.push_back(static_cast<char>(std::tolower(static_cast<int>(point))));
        } else if (locale != static_cast<locale_t>(nullptr)) {
            appendUtf8(out, static_cast<char32_t>(towlower_l(static_cast<wint_t>(point), locale)));
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

// ς and σ in UTF-8: two bytes each, the first shared.
constexpr std::string_view kFinalSigma = "\u03c2";
constexpr std::string_view kSigma = "\u03c3";

std::string foldCase(std::string_view text) {
    auto folded = lowerUnicode(text);
    // Greek's final sigma is a sigma at the end of a word: "ΣΊΣΥΦΟΣ" lowers to "σίσυφοσ", and
    // "Σίσυφος" to "σίσυφος"; as σ, the two are one word.
    for (auto at = folded.find(kFinalSigma); at != std::string::npos; at = folded.find(kFinalSigma, at)) {
        folded[at + 1] = kSigma[1];  // CF 82 → CF 83: the same lead byte
    }
    return folded;
}

namespace {

bool isLetter(char32_t point) {
    const auto locale = unicodeCtype();
    return point < 0x80 ? std::isalpha(static_cast<int>(point)) != 0
                        : locale != static_cast<locale_t>(nullptr) && iswalpha_l(static_cast<wint_t>(point), locale) != 0;
}

// Greek spells a sigma that ends a word ς: lower() makes "ΦΊΛΟΣ" "φίλοσ", which no Greek reader
// would write. A σ after a letter and before none is written ς.
std::string spellFinalSigma(std::string text) {
    for (auto at = text.find(kSigma); at != std::string::npos; at = text.find(kSigma, at + kSigma.size())) {
        if (at == 0) {
            continue;
        }
        auto before = at - 1;  // back to the first byte of the character before
        while (before > 0 && (static_cast<unsigned char>(text[before]) & 0xC0) == 0x80) {
            --before;
        }
        const auto after = at + kSigma.size();
        if (isLetter(codePointAt(text, before).first) &&
            (after == text.size() || !isLetter(codePointAt(text, after).first))) {
            text[at + 1] = kFinalSigma[1];
        }
    }
    return text;
}

}  // namespace

std::string lowerAsWritten(std::string_view text) {
    return spellFinalSigma(lowerUnicode(text));
}

std::string foldTag(std::string_view tag) {
    // Composed after lower-casing, as e-mails are, and before the sigma is read at its place.
    return spellFinalSigma(toNfc(lowerUnicode(tag)));
}

std::vector<std::string> foldTags(const std::vector<std::string>& tags) {
    std::vector<std::string> folded;
    folded.reserve(tags.size());
    for (const auto& tag : tags) {
        auto value = foldTag(tag);
        if (std::find(folded.begin(), folded.end(), value) == folded.end()) {
            folded.push_back(std::move(value));
        }
    }
    return folded;
}

std::string toNfc(std::string_view text) {
    // ASCII is always in NFC: most values never reach ICU.
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) ||
        !isValidUtf8(text)) {
        return std::string(text);
    }
    UErrorCode status = U_ZERO_ERROR;
    const auto* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) {
        throw std::runtime_error("ICU has no NFC normaliser");
    }
    const auto source = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    if (nfc->isNormalized(source, status) && U_SUCCESS(status)) {
        return std::string(text);
    }
    status = U_ZERO_ERROR;
    const auto normalized = nfc->normalize(source, status);
    if (U_FAILURE(status)) {
        throw std::runtime_error("NFC normalisation failed");
    }
    std::string out;
    normalized.toUTF8String(out);
    return out;
}

std::string compatibilityForm(std::string_view text) {
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) ||
        !isValidUtf8(text)) {
        return std::string(text);
    }
    UErrorCode status = U_ZERO_ERROR;
    const auto* nfkc = icu::Normalizer2::getNFKCInstance(status);
    if (U_FAILURE(status)) {
        throw std::runtime_error("ICU has no NFKC normaliser");
    }
    const auto source = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    const auto normalized = nfkc->normalize(source, status);
    if (U_FAILURE(status)) {
        throw std::runtime_error("NFKC normalisation failed");
    }
    std::string out;
    normalized.toUTF8String(out);
    return out;
}

namespace {

// Accents, harakat, niqqud and enclosing circles: marks that sit on another character, which
// searches drop (unaccent removes them).
bool isMarkOnAnother(char32_t point) {
    const auto type = u_charType(static_cast<UChar32>(point));
    return type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK;
}

}  // namespace

bool searchesNothing(std::string_view text) {
    const auto plain = compatibilityForm(text);
    return !anyCodePoint(plain, [](char32_t point) {
        return !isSpace(point) && !isInvisible(point) && !isMarkOnAnother(point);
    });
}

namespace {

// What crm_fold deletes that is neither a mark nor invisible: the apostrophe and every
// character unaccent.rules writes as one (ʹ ʻ ʼ ʽ ˈ ‘ ’ ‛ ′; ＇ is ' in compatibility form
// already), and the Arabic tatweel, which only stretches a word.
bool isFoldedAway(char32_t point) {
    switch (point) {
        case U'\u0027': case U'\u02B9': case U'\u02BB': case U'\u02BC': case U'\u02BD':
        case U'\u02C8': case U'\u2018': case U'\u2019': case U'\u201B': case U'\u2032':
        case U'\u0640':
            return true;
        default:
            return false;
    }
}

// What crm_fold reads as a space (0024): the hyphen, the dashes, the full stop, the comma, the
// slash, the underscore, round brackets, and every character unaccent writes as them (‚ „ ÷
// … 、 。 （ ）; a unit test reads unaccent.rules for them) but the soft hyphen, which crm_fold
// deletes first, as it shows nothing.
bool isFoldedToSpace(char32_t point) {
    switch (point) {
        case U'-': case U'.': case U',': case U'/': case U'_': case U'(': case U')':
        case U'\u00F7': case U'\u02D7': case U'\u2010': case U'\u2011':
        case U'\u2012': case U'\u2013': case U'\u2014': case U'\u2015': case U'\u201A':
        case U'\u201E': case U'\u2024': case U'\u2025': case U'\u2026': case U'\u2044':
        case U'\u2212': case U'\u2215': case U'\u2985': case U'\u2986': case U'\u3001':
        case U'\u3002': case U'\uFE10': case U'\uFE11': case U'\uFE12': case U'\uFE19':
        case U'\uFE30': case U'\uFE31': case U'\uFE32': case U'\uFE35': case U'\uFE36':
        case U'\uFE50': case U'\uFE51': case U'\uFE52': case U'\uFE58': case U'\uFE59':
        case U'\uFE5A': case U'\uFE63': case U'\uFF08': case U'\uFF09': case U'\uFF0C':
        case U'\uFF0D': case U'\uFF0E': case U'\uFF0F': case U'\uFF3F': case U'\uFF5F':
        case U'\uFF60': case U'\uFF61': case U'\uFF64':
            return true;
        default:
            return false;
    }
}

bool isLetterOrDigit(char32_t point) {
    const auto locale = unicodeCtype();
    return point < 0x80 ? std::isalnum(static_cast<int>(point)) != 0
                        : locale != static_cast<locale_t>(nullptr) && iswalnum_l(static_cast<wint_t>(point), locale) != 0;
}

// How many characters of `text` a search compares, each code point weighing what unaccent
// writes for it, runs of spaces one and none at the ends (crm_fold).
std::size_t foldedLength(std::string_view text) {
    std::size_t length = 0;
    bool space_before = false;  // counted once, and only between characters (crm_fold trims)
    for (std::size_t i = 0; i < text.size();) {
        const auto [point, bytes] = codePointAt(text, i);
        i += bytes;
        if (isMarkOnAnother(point) || isInvisible(point) || isFoldedAway(point)) {
            continue;
        }
        if (isSpace(point) || isFoldedToSpace(point)) {
            space_before = length > 0;
            continue;
        }
        length += space_before ? 1 : 0;
        space_before = false;
        // The common letters unaccent writes as two or three: "iß" is searched as "iss", "þó"
        // as "tho", "ﬃ" as "ffi".
        switch (point) {
            case U'ß': case U'ẞ': case U'æ': case U'Æ': case U'œ': case U'Œ': case U'þ': case U'Þ':
            case U'ĳ': case U'Ĳ': case U'\uFB00': case U'\uFB01': case U'\uFB02': case U'\uFB05':
            case U'\uFB06':
                length += 2;
                break;
            case U'\uFB03': case U'\uFB04':
                length += 3;
                break;
            default:
                length += 1;
        }
    }
    return length;
}

}  // namespace

std::size_t searchedLength(std::string_view text) {
    // pg_trgm takes its trigrams from letters and digits: a text without one ("...", or "㈱",
    // whose compatibility form "(株)" has a letter that crm_fold never sees) yields none, and
    // the trigram indexes would be read whole.
    if (!anyCodePoint(text, isLetterOrDigit)) {
        return 0;
    }
    // The compatibility form reads full-width text as unaccent does ("ＡＢＣ" is three letters)
    // but also expands what unaccent keeps whole ("ﷺ" is eighteen letters there, one in
    // crm_fold): the smaller count is the one the search can rely on.
    return std::min(foldedLength(text), foldedLength(compatibilityForm(text)));
}

bool foldsToNothing(std::string_view text) {
    return foldedLength(text) == 0;
}

bool isEastAsianName(std::string_view text) {
    const auto in_name_script = [](char32_t point) {
        return (point >= 0x4E00 && point <= 0x9FFF) || (point >= 0x3400 && point <= 0x4DBF) ||
               (point >= 0x20000 && point <= 0x2EBEF) || (point >= 0xF900 && point <= 0xFAFF) ||
               (point >= 0x3041 && point <= 0x309F) || (point >= 0x30A0 && point <= 0x30FF) ||
               (point >= 0x31F0 && point <= 0x31FF) || (point >= 0xFF66 && point <= 0xFF9F) ||
               (point >= 0xAC00 && point <= 0xD7A3);
    };
    // What searches fold away may come with it ("山田、", "(王)"): crm_fold leaves the name.
    const auto folded_away = [](char32_t point) {
        return isSpace(point) || isFoldedToSpace(point) || isFoldedAway(point) || isInvisible(point);
    };
    return isValidUtf8(text) && anyCodePoint(text, in_name_script) &&
           !anyCodePoint(text, [&](char32_t point) { return !in_name_script(point) && !folded_away(point); });
}

bool isCountryCode(const std::string& code) {
    // ISO 3166-1 alpha-2 (249 codes), plus XK (Kosovo), which phone and address data use.
    static const std::set<std::string> kCodes{
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
        "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
        "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
        "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
        "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
        "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
        "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
        "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
        "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
        "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
        "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
        "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
        "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
        "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
        "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
        "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW"};
    return kCodes.count(code) > 0;
}

std::optional<std::string> normalizeEmail(std::string_view text) {
    const auto trimmed = trim(text);
    // The exact length is checked once composed; this bound only spares the regex huge input.
    if (trimmed.empty() || trimmed.size() > 4 * kMaxEmailLength || !isValidUtf8(trimmed) ||
        containsSpace(trimmed)) {
        return std::nullopt;
    }
    // Same shape as the database's crm_is_email(): local@domain.tld, no spaces, lower case. Composed
    // after lower-casing, which can undo composition ("J" + U+030C has no composed capital; its
    // lower case composes to U+01F0).
    auto email = toNfc(lowerUnicode(trimmed));
    static const std::regex kShape(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
    // A local part is at most 64 octets (RFC 5321, 4.5.3.1.1): a longer one cannot be delivered.
    if (email.size() > kMaxEmailLength || !std::regex_match(email, kShape) ||
        email.rfind('@') > kMaxEmailLocalPart || anyCodePoint(email, isInvisible) ||
        !isLocalPart(std::string_view(email).substr(0, email.rfind('@'))) ||
        !isDomainName(std::string_view(email).substr(email.rfind('@') + 1))) {
        return std::nullopt;
    }
    return email;
}

const nlohmann::json& requireObject(const nlohmann::json& body) {
    if (!body.is_object()) {
        throw AppError::invalidField("body", "must be a JSON object");
    }
    return body;
}

ObjectReader::ObjectReader(const nlohmann::json& body, FieldErrors& errors, std::string prefix)
    : body_(body), errors_(errors), prefix_(std::move(prefix)) {
    if (!body_.is_object()) {
        is_object_ = false;
        errors_.add(prefix_.empty() ? "body" : prefix_.substr(0, prefix_.size() - 1),
                    "must be a JSON object");
    }
}

const nlohmann::json* ObjectReader::get(std::string_view key) {
    read_.emplace(key);
    if (!is_object_) {
        return nullptr;
    }
    const auto it = body_.find(std::string(key));
    return it == body_.end() ? nullptr : &*it;
}

bool ObjectReader::has(std::string_view key) const {
    return is_object_ && body_.contains(std::string(key));
}

bool ObjectReader::isNull(std::string_view key) const {
    return has(key) && body_.at(std::string(key)).is_null();
}

bool ObjectReader::requirePresent(std::string_view key) {
    if (!has(key) || isNull(key)) {
        fail(key, "is required");
        return false;
    }
    return true;
}

void ObjectReader::requireValue(std::string_view key) {
    if (requirePresent(key)) {
        refuseBlank(key);
    }
}

void ObjectReader::refuseBlank(std::string_view key) {
    if (!has(key)) {
        return;
    }
    const auto& value = body_.at(std::string(key));
    if (value.is_string() && isBlank(value.get_ref<const std::string&>())) {
        fail(key, "must not be blank");
    }
}

void ObjectReader::fail(std::string_view key, std::string_view message) {
    if (!is_object_) {
        return;  // "must be a JSON object" says it all: no field of it is there to be required
    }
    errors_.add(path(key), std::string(message));
}

std::optional<std::string> ObjectReader::rawText(std::string_view key, std::size_t min,
                                                 std::size_t max) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        fail(key, "must be a string");
        return std::nullopt;
    }
    const auto& text = value->get_ref<const std::string&>();
    const auto length = utf8Length(text);
    if (!isValidUtf8(text)) {
        fail(key, "must be valid UTF-8");
        return std::nullopt;
    }
    if (length < min || length > max) {
        fail(key, "must be " + std::to_string(min) + " to " + std::to_string(max) + " characters");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> ObjectReader::optionalText(std::string_view key, std::size_t min,
                                                      std::size_t max, TextLines lines) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        fail(key, "must be a string");
        return std::nullopt;
    }
    const auto& raw = value->get_ref<const std::string&>();
    if (!isValidUtf8(raw)) {
        fail(key, "must be valid UTF-8");
        return std::nullopt;
    }
    if (raw.find('\0') != std::string::npos) {
        fail(key, "must not contain NUL characters");
        return std::nullopt;
    }
    const auto text = toNfc(trim(raw));
    if (anyCodePoint(text, isControl)) {
        fail(key, lines == TextLines::One ? "must not contain control characters"
                                          : "must not contain control characters (line breaks and tabs excepted)");
        return std::nullopt;
    }
    if (lines == TextLines::One && !isOneLine(text)) {
        fail(key, "must be one line, without tabs");
        return std::nullopt;
    }
    if (lines == TextLines::One && anyCodePoint(text, isBidiOverride)) {
        fail(key, "must not contain bidi overrides (U+202D, U+202E), which show text reversed");
        return std::nullopt;
    }
    const auto length = utf8Length(text);
    // Only white space outside ASCII (U+3000, say) is blank too, as the database's '\S' checks
    // see it.
    const bool blank = text.empty() || isBlank(text);
    if (blank && min == 0) {
        return std::nullopt;
    }
    // Text of characters that print as nothing (U+200B, say) is no value anyone can see, nor a
    // deliberate way to clear one (that is null or ""): refused, optional or not.
    if (!blank && showsNothing(text)) {
        fail(key, "must not be blank (it has only characters that print as nothing)");
        return std::nullopt;
    }
    if (blank) {
        fail(key, "must not be blank");
        return std::nullopt;
    }
    if (length < std::max<std::size_t>(min, 1) || length > max) {
        fail(key, text.empty() ? "must not be blank"
                               : "must be " + std::to_string(std::max<std::size_t>(min, 1)) +
                                     " to " + std::to_string(max) + " characters");
        return std::nullopt;
    }
    return text;
}

std::string ObjectReader::requiredText(std::string_view key, std::size_t min, std::size_t max,
                                       TextLines lines) {
    if (!has(key) || isNull(key)) {
        get(key);
        fail(key, "is required");
        return {};
    }
    return optionalText(key, std::max<std::size_t>(min, 1), max, lines).value_or(std::string{});
}

std::optional<std::string> ObjectReader::optionalEnum(std::string_view key,
                                                      const std::vector<std::string>& allowed) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
            return text;
        }
    }
    std::string list;
    for (const auto& option : allowed) {
        list += (list.empty() ? "" : ", ") + option;
    }
    fail(key, "must be one of " + list);
    return std::nullopt;
}

std::optional<bool> ObjectReader::optionalBool(std::string_view key) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    if (!value->is_boolean()) {
        fail(key, "must be true or false");
        return std::nullopt;
    }
    return value->get<bool>();
}

std::optional<long long> ObjectReader::optionalInteger(std::string_view key, long long min,
                                                       long long max) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    const auto whole = wholeNumber(*value);
    if (!whole) {
        fail(key, "must be a whole number");
        return std::nullopt;
    }
    const auto number = *whole;
    if (number < min || number > max) {
        fail(key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
        return std::nullopt;
    }
    return number;
}

std::optional<std::string> ObjectReader::optionalDecimal(std::string_view key,
                                                         int max_integer_digits,
                                                         int max_fraction_digits,
                                                         bool allow_negative) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    std::string text;
    if (value->is_string()) {
        text = trim(value->get_ref<const std::string&>());
    } else if (value->is_number()) {
        // A JSON number as the shortest text that reads back as the same double: the digits the
        // client wrote ("12.5", "1250.5"). A value that arithmetic left as 0.30000000000000004
        // has too many decimals and is refused below, never rounded; 1e+20 is not a decimal.
        text = value->dump();
    } else {
        fail(key, "must be a decimal string such as \"1250.50\"");
        return std::nullopt;
    }
    // libstdc++'s std::regex recurses once per character matched: a long enough string would
    // overflow the stack. No decimal the API stores needs more than a few dozen characters.
    constexpr std::size_t kMaxDecimalText = 64;
    if (text.size() > kMaxDecimalText) {
        fail(key, "must have at most " + std::to_string(max_integer_digits) + " digits before and " +
                      std::to_string(max_fraction_digits) + " after the point");
        return std::nullopt;
    }
    static const std::regex kDecimal(R"(^(-?)(\d+)(?:\.(\d+))?$)");
    std::smatch match;
    if (!std::regex_match(text, match, kDecimal)) {
        fail(key, "must be a decimal number such as \"1250.50\"");
        return std::nullopt;
    }
    const bool zero = match[2].str().find_first_not_of('0') == std::string::npos &&
                      match[3].str().find_first_not_of('0') == std::string::npos;
    if (match[1].length() > 0 && !allow_negative && !zero) {
        fail(key, "must not be negative");
        return std::nullopt;
    }
    auto integer = match[2].str();
    integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size() - 1));
    if (static_cast<int>(integer.size()) > max_integer_digits ||
        static_cast<int>(match[3].length()) > max_fraction_digits) {
        fail(key, "must have at most " + std::to_string(max_integer_digits) + " digits before and " +
                      std::to_string(max_fraction_digits) + " after the point");
        return std::nullopt;
    }
    return (zero ? "" : match[1].str()) + integer + (match[3].length() > 0 ? "." + match[3].str() : "");
}

std::optional<std::string> ObjectReader::optionalEmail(std::string_view key) {
    const auto text = optionalText(key, 0, kMaxEmailLength);
    if (!text) {
        return std::nullopt;
    }
    auto email = normalizeEmail(*text);
    if (!email) {
        fail(key, "must be an e-mail address such as name@example.com");
    }
    return email;
}

std::optional<std::string> ObjectReader::optionalUuid(std::string_view key) {
    // null is "none"; a blank string is no id, and taken as none it would clear a reference
    // (an owner, a client) nobody meant to clear.
    if (const auto* value = has(key) ? &body_.at(std::string(key)) : nullptr;
        value && value->is_string() && isBlank(value->get_ref<const std::string&>())) {
        get(key);
        fail(key, "must be a UUID");
        return std::nullopt;
    }
    const auto text = optionalText(key, 0, 36);
    if (!text) {
        return std::nullopt;
    }
    if (!isUuid(*text)) {
        fail(key, "must be a UUID");
        return std::nullopt;
    }
    return lowerUuid(*text);
}

std::optional<std::string> ObjectReader::optionalDate(std::string_view key) {
    const auto text = optionalText(key, 0, 10);
    if (!text) {
        return std::nullopt;
    }
    static const std::regex kDate(R"(^(\d{4})-(\d{2})-(\d{2})$)");
    if (std::regex_match(*text, kDate) && isCalendarDate(*text) && text->compare(0, 4, "1900") >= 0 &&
        text->compare(0, 4, "2999") <= 0) {
        return *text;
    }
    fail(key, "must be a date such as 2026-03-31");
    return std::nullopt;
}

std::optional<std::string> ObjectReader::optionalTimestamp(std::string_view key) {
    const auto text = optionalText(key, 0, 40);
    if (!text) {
        return std::nullopt;
    }
    // RFC 3339 (lower-case t and z too; any number of decimals, which PostgreSQL rounds to
    // microseconds) within what PostgreSQL takes, so none reaches it to be refused there: no
    // year 0000, a leap second without decimals, offsets up to 15:59 (the widest in use is
    // +14:00).
    static const std::regex kTimestamp(
        R"(^(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d(\.\d+)?|60)([Zz]|[+-](0\d|1[0-5]):[0-5]\d)$)");
    if (!std::regex_match(*text, kTimestamp) || !isCalendarDate(*text)) {
        fail(key, "must be an RFC 3339 time such as 2026-03-31T09:30:00Z");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> ObjectReader::optionalCurrency(std::string_view key) {
    auto text = optionalText(key, 0, 3);
    if (!text) {
        return std::nullopt;
    }
    // Any case in, upper case out, as country codes are: "eur" is EUR.
    std::transform(text->begin(), text->end(), text->begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
    if (!isCurrency(*text)) {
        fail(key, "must be an ISO 4217 code such as EUR");
        return std::nullopt;
    }
    return text;
}

std::optional<std::vector<std::string>> ObjectReader::optionalTextList(std::string_view key,
                                                                      std::size_t max_items,
                                                                      std::size_t max_length,
                                                                      std::string (*fold)(std::string_view),
                                                                      std::string (*key_of)(std::string_view)) {
    const auto* value = get(key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    const auto too_many = "must be a list of at most " + std::to_string(max_items) +
                          " different strings";
    // Repeats are kept once, but a list of them is still read and normalised item by item: ten
    // entries for each different one allowed is room for any honest repetition.
    if (!value->is_array() || value->size() > max_items * kListEntriesPerItem) {
        fail(key, too_many + " in at most " + std::to_string(max_items * kListEntriesPerItem) + " entries");
        return std::nullopt;
    }
    std::vector<std::string> items;
    std::vector<std::string> keys;  // what a repeat is recognised by, one per item
    bool any_bad = false;  // every bad entry is named, as in the other lists
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto& item = (*value)[i];
        // A bad entry is named by its place ("tags[2]"), as the entries of other lists are.
        const auto entry = std::string(key) + "[" + std::to_string(i) + "]";
        if (!item.is_string()) {
            fail(entry, "must be a string");
            any_bad = true;
            continue;
        }
        auto text = toNfc(trim(item.get_ref<const std::string&>()));
        if (text.empty() || utf8Length(text) > max_length || !isValidUtf8(text) || showsNothing(text)) {
            fail(entry, "must be 1 to " + std::to_string(max_length) + " characters");
            any_bad = true;
            continue;
        }
        if (text.find('\0') != std::string::npos) {
            fail(entry, "must not contain NUL characters");
            any_bad = true;
            continue;
        }
        if (anyCodePoint(text, [](char32_t point) { return point < 0x20 || isControl(point) || isLineBreak(point); })) {
            fail(entry, "must not contain control characters, line breaks or tabs");
            any_bad = true;
            continue;
        }
        if (anyCodePoint(text, isBidiOverride)) {
            fail(entry, "must not contain bidi overrides (U+202D, U+202E), which show text reversed");
            any_bad = true;
            continue;
        }
        if (fold != nullptr) {
            text = fold(text);
        }
        auto repeat_key = key_of != nullptr ? key_of(text) : text;
        if (std::find(keys.begin(), keys.end(), repeat_key) == keys.end()) {
            if (items.size() == max_items) {
                fail(key, too_many);
                return std::nullopt;
            }
            items.push_back(std::move(text));
            keys.push_back(std::move(repeat_key));
        }
    }
    if (any_bad) {
        return std::nullopt;
    }
    return items;
}

std::optional<nlohmann::json> ObjectReader::optionalJson(std::string_view key) {
    const auto* value = get(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return *value;
}

void ObjectReader::forbid(std::string_view key, std::string_view message) {
    if (has(key)) {
        fail(key, message);
    }
    read_.emplace(key);
}

void ObjectReader::finish() {
    if (!is_object_) {
        return;
    }
    for (const auto& [key, value] : body_.items()) {
        if (read_.find(key) == read_.end()) {
            fail(key, "is not a field of this resource");
        }
    }
}

}  // namespace crm::core
