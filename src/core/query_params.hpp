#pragma once

#include <map>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::core {

/// Decoded query-string parameters; a name may repeat (`tag=a&tag=b`).
class QueryParams {
public:
    QueryParams() = default;
    /// Parses `a=1&b=x%20y`; '+' is a space. Throws AppError::badRequest on bad escapes.
    static QueryParams parse(std::string_view query);
    /// The same values in Unicode NFC (core::toNfc), as the API's lists read them: a search term
    /// pasted decomposed ("e" + U+0301) finds the composed text stored.
    QueryParams composed() const;
    /// The same without the parameters named: ones checked elsewhere (a cursor whose arity
    /// depends on the sort) or already refused (named once, not again by a second check).
    QueryParams without(std::initializer_list<std::string_view> names) const;

    void add(std::string name, std::string value) { values_.emplace(std::move(name), std::move(value)); }
    /// The first value of `name`, if present.
    std::optional<std::string> get(std::string_view name) const;
    /// The value of `name` when it was given exactly once. A list refuses a repeated
    /// single-valued parameter by name ("must be given once", checkListParams); its readers
    /// take it through here, so that its values are not judged too and it is named once.
    std::optional<std::string> single(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
    bool has(std::string_view name) const { return values_.find(std::string(name)) != values_.end(); }
    const std::multimap<std::string, std::string>& values() const { return values_; }

private:
    std::multimap<std::string, std::string> values_;
};

class FieldErrors;

/// A list's search text (`q`), trimmed. Absent or blank (spaces, or only characters that print
/// as nothing, as a body's blank text) is no filter: nullopt. Text that is not storable (a NUL),
/// longer than `max` characters, or without a letter or digit (punctuation, which searches
/// fold away) is added to `errors` under `name`.
std::optional<std::string> searchParam(const QueryParams& query, std::string_view name, std::size_t max,
                                       FieldErrors& errors);

/// One value of a text filter (tag, skill, industry, ...), trimmed; a value that is blank
/// (spaces, or only characters that print as nothing), longer than `max` characters or not
/// storable is added to `errors` under `name`, and nullopt returned.
std::optional<std::string> filterText(std::string_view name, std::string_view value, std::size_t max,
                                      FieldErrors& errors);

/// The text filter `name`, if given once (see filterText; a repeat is the list's to refuse).
std::optional<std::string> textParam(const QueryParams& query, std::string_view name, std::size_t max,
                                     FieldErrors& errors);

/// Percent-decodes `text`; '+' becomes a space when `plus_is_space`. Empty on a bad escape.
std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space);

}  // namespace crm::core
