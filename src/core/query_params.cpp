#include "core/query_params.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/validation.hpp"

namespace crm::core {
namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int hi = hexValue(text[i + 1]);
            const int lo = hexValue(text[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

QueryParams QueryParams::composed() const {
    QueryParams out;
    for (const auto& [name, value] : values_) {
        out.add(name, toNfc(value));
    }
    return out;
}

QueryParams QueryParams::without(std::initializer_list<std::string_view> names) const {
    QueryParams out;
    for (const auto& [name, value] : values_) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            out.add(name, value);
        }
    }
    return out;
}

QueryParams QueryParams::parse(std::string_view query) {
    QueryParams params;
    std::size_t start = 0;
    while (start < query.size()) {
        auto amp = query.find('&', start);
        if (amp == std::string_view::npos) {
            amp = query.size();
        }
        const auto pair = query.substr(start, amp - start);
        start = amp + 1;
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        const auto raw_name = pair.substr(0, eq);
        const auto raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        auto name = percentDecode(raw_name, true);
        auto value = percentDecode(raw_value, true);
        if (!name || !value) {
            throw AppError::badRequest("The query string has a malformed percent-escape",
                                       {FieldError{std::string(raw_name), "malformed percent-escape"}});
        }
        params.add(std::move(*name), std::move(*value));
    }
    return params;
}

std::optional<std::string> QueryParams::get(std::string_view name) const {
    const auto it = values_.find(std::string(name));
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<std::string> QueryParams::single(std::string_view name) const {
    return values_.count(std::string(name)) == 1 ? get(name) : std::nullopt;
}

std::vector<std::string> QueryParams::all(std::string_view name) const {
    std::vector<std::string> out;
    const auto [first, last] = values_.equal_range(std::string(name));
    for (auto it = first; it != last; ++it) {
        out.push_back(it->second);
    }
    return out;
}

std::optional<std::string> searchParam(const QueryParams& query, std::string_view name, std::size_t max,
                                       FieldErrors& errors) {
    const auto value = query.single(name);
    if (!value) {
        return std::nullopt;
    }
    auto text = trim(*value);
    if (!isStorableText(text)) {
        errors.add(std::string(name), kStorableTextRule);
        return std::nullopt;
    }
    // Nothing a search compares (spaces, invisible characters and marks, which folding removes,
    // in any mix) is no search either, not one that matches every row.
    if (searchesNothing(text)) {
        return std::nullopt;
    }
    // No stored text holds a control character, and contacts.search_text joins its parts with
    // one (U+001F): a q holding one would match across them. A tab is typed between words.
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F; })) {
        errors.add(std::string(name), "must not contain control characters");
        return std::nullopt;
    }
    // Punctuation or apostrophes alone fold to nothing (crm_fold), which every name contains:
    // no filter at all, where the sender meant one. ("%" or "&" are searched as they are.)
    if (foldsToNothing(text)) {
        errors.add(std::string(name), "must contain more than spaces, apostrophes and punctuation");
        return std::nullopt;
    }
    // A zero-width space or soft hyphen pasted into the search box would make it find nothing,
    // as would a tab (stored text has spaces there).
    text = withoutHiddenMarks(text);
    std::replace(text.begin(), text.end(), '\t', ' ');
    if (utf8Length(text) > max) {
        errors.add(std::string(name), "must be at most " + std::to_string(max) + " characters");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> filterText(std::string_view name, std::string_view value, std::size_t max,
                                      FieldErrors& errors) {
    auto text = trim(value);
    if (!isStorableText(text)) {
        errors.add(std::string(name), kStorableTextRule);
        return std::nullopt;
    }
    if (showsNothing(text) || utf8Length(text) > max) {
        errors.add(std::string(name), "must be 1 to " + std::to_string(max) + " characters");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> textParam(const QueryParams& query, std::string_view name, std::size_t max,
                                     FieldErrors& errors) {
    const auto value = query.single(name);
    return value ? filterText(name, *value, max, errors) : std::nullopt;
}

}  // namespace crm::core
