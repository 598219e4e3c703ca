#pragma once

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crm::core {

/// Reads a JSON object field by field, collecting every problem in a FieldErrors instead of
/// stopping at the first, and refusing fields nobody read (a client must learn that a field
/// it sent was not applied). Typical use in a DTO's fromJson:
///
///     core::FieldErrors errors;
///     core::ObjectReader in(body, errors);
///     dto.name = in.requiredText("name", 1, 200);
///     dto.title = in.optionalText("title", 0, 200);
///     in.finish();            // unknown fields become errors
///     errors.throwIfAny();    // one 422 listing them all
/// How many entries a list may hold for each different value it may keep (see optionalTextList).
inline constexpr std::size_t kListEntriesPerItem = 10;

/// Whether a text field is one line (a name, a title, a city: the default) or may hold
/// paragraphs (notes, a summary).
enum class TextLines { One, Many };

class ObjectReader {
public:
    /// `prefix` names nested objects in field paths ("sales_profile.").
    ObjectReader(const nlohmann::json& body, FieldErrors& errors, std::string prefix = {});

    bool has(std::string_view key) const;
    /// Present and JSON null: "clear this value" on updates.
    bool isNull(std::string_view key) const;

    /// A trimmed string of `min`..`max` characters (code points). Missing or null → error.
    /// One-line text refuses tabs, line breaks and bidi overrides (U+202D, U+202E), which
    /// would show a name in a list reversed or split.
    std::string requiredText(std::string_view key, std::size_t min = 1, std::size_t max = 10000,
                             TextLines lines = TextLines::One);
    /// Missing → nullopt; null or blank → nullopt when `min` is 0, else an error.
    std::optional<std::string> optionalText(std::string_view key, std::size_t min = 0,
                                            std::size_t max = 10000, TextLines lines = TextLines::One);
    /// A string taken exactly as sent (passwords: no trimming), `min`..`max` code points.
    std::optional<std::string> rawText(std::string_view key, std::size_t min, std::size_t max);
    /// One of `allowed`.
    std::optional<std::string> optionalEnum(std::string_view key, const std::vector<std::string>& allowed);
    std::optional<bool> optionalBool(std::string_view key);
    std::optional<long long> optionalInteger(std::string_view key, long long min, long long max);
    /// A decimal amount sent as a string ("1250.50") or a number; returned as canonical text.
    std::optional<std::string> optionalDecimal(std::string_view key, int max_integer_digits,
                                               int max_fraction_digits, bool allow_negative = false);
    /// A lower-cased, trimmed e-mail address.
    std::optional<std::string> optionalEmail(std::string_view key);
    /// A UUID (lower-cased).
    std::optional<std::string> optionalUuid(std::string_view key);
    /// An RFC 3339 date (YYYY-MM-DD).
    std::optional<std::string> optionalDate(std::string_view key);
    /// An RFC 3339 timestamp with offset; returned as sent.
    std::optional<std::string> optionalTimestamp(std::string_view key);
    /// An ISO 4217-shaped currency code (three capitals).
    std::optional<std::string> optionalCurrency(std::string_view key);
    /// An array of trimmed strings, each 1..`max_length`, as `fold` has them (NFC text when
    /// null), each kept once (the first of its repeats, recognised by `key_of`'s form of it, or
    /// by itself when null): at most `max_items` different ones, repeats counted once, in at
    /// most kListEntriesPerItem times `max_items` entries.
    std::optional<std::vector<std::string>> optionalTextList(std::string_view key, std::size_t max_items,
                                                             std::size_t max_length,
                                                             std::string (*fold)(std::string_view) = nullptr,
                                                             std::string (*key_of)(std::string_view) = nullptr);
    /// A nested value returned as is (the caller validates it), marking the key as read.
    std::optional<nlohmann::json> optionalJson(std::string_view key);

    /// For a field that must be sent: missing or null is "is required" (false then).
    bool requirePresent(std::string_view key);
    /// For a field that must carry a value: requirePresent, and a blank string is "must not be
    /// blank". The optional text readers take all three as absent, so a required field checks
    /// this first and then reads the value with them. (optionalUuid refuses a blank itself.)
    void requireValue(std::string_view key);
    /// For a field that may be left out but, when sent, must carry a value (an update): a blank
    /// string is "must not be blank" rather than read as absent.
    void refuseBlank(std::string_view key);

    /// Refuses a field this caller may not set: 422 naming it when present.
    void forbid(std::string_view key, std::string_view message);
    /// Records an error on `key` (for rules spanning several fields).
    void fail(std::string_view key, std::string_view message);

    /// Marks every unread field as an error ("unknown field"). Call after reading.
    void finish();

    std::string path(std::string_view key) const { return prefix_ + std::string(key); }

private:
    const nlohmann::json* get(std::string_view key);

    const nlohmann::json& body_;
    FieldErrors& errors_;
    std::string prefix_;
    std::set<std::string, std::less<>> read_;
    bool is_object_ = true;
};

/// The body of a write request must be a JSON object; throws 422 otherwise.
const nlohmann::json& requireObject(const nlohmann::json& body);

/// Code points in a UTF-8 string (invalid bytes count one each).
std::size_t utf8Length(std::string_view text);
/// True for well-formed UTF-8.
bool isValidUtf8(std::string_view text);
/// Text a PostgreSQL text column takes: well-formed UTF-8 without NUL characters.
bool isStorableText(std::string_view text);
/// The field error for text that is not storable.
inline constexpr char kStorableTextRule[] = "must be UTF-8 text without NUL characters";
/// At most `max_bytes` of `text`, cut between characters, with each byte that is not part of
/// valid UTF-8 replaced by U+FFFD: safe to store in a text column (header values, say).
std::string validUtf8Prefix(std::string_view text, std::size_t max_bytes);

/// Valid UTF-8 in Unicode normalisation form C: "e" + U+0301 becomes "é", so text typed one way
/// and pasted another is the same text (e-mails, names, tags, search terms). Returns invalid
/// UTF-8 unchanged, for the UTF-8 check to refuse.
std::string toNfc(std::string_view text);

/// Unicode normalisation form KC: full-width "＋４４" is "+44", "ﬃ" is "ffi", U+3000 is a space.
/// For reading what was typed (a phone number in full-width digits), not for storing it.
std::string compatibilityForm(std::string_view text);
/// The characters a search compares of `text`: as compatibilityForm() has them, without the
/// marks that sit on another character (accents, harakat, niqqud) and the characters that show
/// nothing (a zero-width space) and apostrophes, which searches ignore, with hyphens, dashes
/// and the punctuation crm_fold reads as a space counted as one, and with each run of spaces
/// one (crm_fold, migrations 0023 and 0024). "ﬃ" counts three, "ß" and "æ" two; "ph" with two
/// combining acutes counts two, "o'b" two, "a-b" three, "a - b" three, "-ab-" two; a text
/// without a letter or digit as typed ("...", "㈱") none.
std::size_t searchedLength(std::string_view text);
/// True when a search for `text` would compare nothing: it is made of white space, characters
/// that print as nothing and marks (which searches ignore) only, in any mix.
bool searchesNothing(std::string_view text);

/// Whether searches fold `text` away entirely (crm_fold): spaces, apostrophes, the punctuation
/// read as spaces, marks and characters that print as nothing, in any mix ("...", "-'-").
bool foldsToNothing(std::string_view text);

/// Whether `text` is written only in the scripts of Chinese, Japanese and Korean names (Han
/// ideographs, kana, Hangul syllables), where one or two characters are a whole name ("王芳").
bool isEastAsianName(std::string_view text);

/// An ISO 3166-1 alpha-2 code in upper case (or XK, Kosovo).
bool isCountryCode(const std::string& code);

/// Dot-separated labels of letters, digits, hyphens (not at either end of a label) or non-ASCII,
/// each 1 to 63 bytes, the last not all digits (not an IP address); no trailing dot. Nothing is
/// folded: the caller lower-cases.
bool isDomainName(std::string_view domain);

/// Lower-cases and trims; nullopt when it is not an address of the shape the database accepts.
std::optional<std::string> normalizeEmail(std::string_view text);

/// White space and case as PostgreSQL sees them in the database's C.UTF-8 ctype (glibc's Unicode
/// tables), for valid UTF-8: U+3000 is a space, "Ä" lower-cases to "ä". White space also takes
/// in the no-break spaces (U+00A0, U+2007, U+202F) and NEL, which Unicode counts and glibc not.
bool containsSpace(std::string_view text);
/// True when some character prints as nothing and shapes nothing either (U+200B, U+FEFF, the
/// bidi controls...; not the joiners and variation selectors a Persian word or an emoji needs).
bool containsHiddenMark(std::string_view text);
/// `text` without those characters (a search typed or pasted with a zero-width space in it).
std::string withoutHiddenMarks(std::string_view text);
/// True when every character is white space (and for "").
bool isBlank(std::string_view text);
/// True when every character is white space or prints as nothing (U+200B, U+FEFF, the bidi
/// controls...), and for "": text that would show a reader nothing.
bool showsNothing(std::string_view text);
/// A JSON integer, or a float with no fraction (50.0 is 50) up to 2^53; nullopt otherwise.
/// Unsigned values beyond 2^62 read as 2^62 (out of every range the API takes).
std::optional<long long> wholeNumber(const nlohmann::json& value);
/// True when `text` has no tab and no line break (\n, \r, NEL, U+2028, U+2029).
bool isOneLine(std::string_view text);
std::string lowerUnicode(std::string_view text);
/// Lower case for comparing text that differs only in case: lowerUnicode(), with Greek's final
/// sigma as a sigma (upper case has one form for both): passwords, slugs, list entries. SQL
/// searches also drop accents (crm_fold, migration 0020).
std::string foldCase(std::string_view text);
/// Lower case as a reader writes it: lowerUnicode(), with a Greek word's last sigma spelt ς
/// ("ΦΊΛΟΣ" → "φίλος", where lower() gives "φίλοσ"; a σ after a letter and before none). SQL
/// writes it regexp_replace(lower(x), '([[:alpha:]])σ(?![[:alpha:]])', '\1ς', 'g') (0020).
std::string lowerAsWritten(std::string_view text);
/// A tag as clients and contacts store and filter it: lower case as written (above), then
/// composed, so "VIP" and "vip" are one tag, and so are "ΦΊΛΟΣ" and "φίλος".
std::string foldTag(std::string_view tag);
/// Each tag folded; duplicates after folding dropped, the first one's place kept.
std::vector<std::string> foldTags(const std::vector<std::string>& tags);

/// True for a textual IPv4 or IPv6 address.
bool isIpAddress(const std::string& text);

/// Trims white space from both ends, as isBlank() sees it: "\u3000Ann\u2003" is "Ann".
std::string trim(std::string_view text);

}  // namespace crm::core
