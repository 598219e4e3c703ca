#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crm::core {

/// `text` with the decimal digits of every script as ASCII digits (full-width ０３, Arabic-Indic
/// ٠٣, Devanagari ०३: Latin digits and those of one other script), full-width ASCII characters
/// and the spaces of other widths as ASCII, the dashes of word processors and of Japanese input
/// (‐ – — − ー) as '-', and invisible format characters (direction marks, the soft hyphen) left
/// out: a number as input methods write it and as it is pasted from documents. Anything else,
/// circled ①, superscript ² and mathematical 𝟎 digits included, is kept for the callers to
/// refuse, and so is the whole text when it mixes the digits of two scripts other than Latin
/// (Arabic-Indic and Persian digits are both Arabic script).
std::string phoneTextInAscii(std::string_view text);

/// Parses a phone number as a person types it ("+44 20 7946 0123", "(212) 555-0100",
/// "020 7946 0123", "0044 20 7946 0123", "+44 (0)20 7946 0123") and returns it in E.164
/// ("+442079460123"). Numbers without a country code are read in `default_region` (ISO 3166
/// alpha-2, e.g. "US"; case-insensitive).
///
/// Read through phoneTextInAscii() first, so "０３-１２３４-５６７８" is "03-1234-5678".
/// nullopt when, after trimming surrounding whitespace, the text is empty or longer than 40
/// characters; when it holds anything but digits, spaces, tabs and `+ - ( ) . /` (so letters,
/// vanity numbers such as "1-800-FLOWERS" and extensions such as "x123" are refused rather than
/// guessed at or silently dropped: E.164 has no place for an extension); when libphonenumber
/// cannot parse it; or when the length is not that of a complete number in its country. Only
/// the length is checked, never the number ranges, so newly opened ranges are accepted.
std::optional<std::string> normalizePhone(std::string_view text, std::string_view default_region);
/// What can be told of `text` before the region it is read in is known: written with its
/// country code ("+33 1 42 68 53 99", "0033 …"), whether normalizePhone() takes it (the region
/// plays no part); without, whether it is made of a number's characters only, with 4 to 20
/// digits (room for a three-digit international prefix such as the US 011 and the longest
/// E.164 number). True does not promise that
/// normalizePhone() will take it in every region.
bool mayBePhoneNumber(std::string_view text);
/// normalizePhone() in `region`; without one (the region is not known yet), the text as typed
/// if mayBePhoneNumber() takes it, to be read in its region later.
std::optional<std::string> phoneOrTyped(std::string_view text, const std::optional<std::string>& region);

/// The digits to look for in stored E.164 numbers when someone searches for a phone number
/// typed as dialled, whole or in part: "+44 20 7946" is 44207946. The ways of dialling that
/// E.164 leaves out are left out when the text starts with them and has at least six digits
/// (shorter, it is more likely a fragment of the middle or end, such as "0100"): a trunk "0"
/// once there are eight digits, in whichever country ("06 12 34 56 78" is 612345678, which
/// +33612345678 holds), else the national prefix of `default_region` ("1 212 555 0100" in the
/// US is 12125550100), "00" for international calls ("0044 20 7946" is 44207946), and a "(0)"
/// after the country code ("+44 (0)20 7946").
/// A fragment can look dialled too ("09 75 83 51" of a French number), so callers search the
/// digits as typed as well.
std::string phoneSearchDigits(std::string_view text, std::string_view default_region);

}  // namespace crm::core
