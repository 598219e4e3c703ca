#include "db/row_reader.hpp"

#include "db/statement.hpp"

#include <charconv>
#include <stdexcept>

namespace crm::db {
namespace {

template <typename T>
T parseNumber(const pqxx::field& field) {
    T value{};
    const char* begin = field.c_str();
    const char* end = begin + field.size();
    const auto [rest, error] = std::from_chars(begin, end, value);
    if (error != std::errc() || rest != end) {
        throw std::runtime_error("column " + std::string(field.name()) + " is not an integer: " +
                                 std::string(begin, end));
    }
    return value;
}

}  // namespace

const pqxx::field& RowReader::notNull() const {
    const auto& field = current();
    if (field.is_null()) {
        // The column is declared NOT NULL, or the reader should have asked for an optional.
        throw std::logic_error("RowReader: column " + std::string(field.name()) + " is NULL");
    }
    return field;
}

const pqxx::field& RowReader::current() const {
    if (field_ == end_) {
        // A statement and its reader disagree on the columns: a programming error.
        throw std::logic_error("RowReader read past the last column");
    }
    // The iterator is itself the field; `*field_` would return a copy.
    return *field_.operator->();
}

std::string RowReader::text() {
    return std::string(textView());
}

std::optional<std::string> RowReader::optionalText() {
    if (const auto value = optionalView()) {
        return std::string(*value);
    }
    return std::nullopt;
}

std::string_view RowReader::view() {
    const auto& field = current();
    std::string_view value(field.c_str(), field.size());
    advance();
    return value;
}

std::string_view RowReader::textView() {
    const auto& field = notNull();
    std::string_view value(field.c_str(), field.size());
    advance();
    return value;
}

std::optional<std::string_view> RowReader::optionalView() {
    const auto& field = current();
    std::optional<std::string_view> value;
    if (!field.is_null()) {
        value.emplace(field.c_str(), field.size());
    }
    advance();
    return value;
}

UtcTimestampText RowReader::utcTimestampText() {
    return UtcTimestampText{textView()};
}

std::optional<UtcTimestampText> RowReader::optionalUtcTimestampText() {
    if (const auto text = optionalView()) {
        return UtcTimestampText{*text};
    }
    return std::nullopt;
}

JsonText RowReader::json() {
    return JsonText{textView()};
}

bool RowReader::isNull() const {
    return current().is_null();
}

bool RowReader::boolean() {
    const auto& field = notNull();
    // PostgreSQL's text output of a boolean is "t" or "f".
    const bool value = field.c_str()[0] == 't';
    advance();
    return value;
}

int RowReader::integer() {
    const int value = parseNumber<int>(notNull());
    advance();
    return value;
}

std::optional<long long> RowReader::optionalBigInteger() {
    const auto& field = current();
    std::optional<long long> value;
    if (!field.is_null()) {
        value = parseNumber<long long>(field);
    }
    advance();
    return value;
}

std::string RowReader::utcTimestamp() {
    auto value = db::utcTimestamp(notNull());
    advance();
    return value;
}

std::optional<std::string> RowReader::optionalUtcTimestamp() {
    auto value = db::nullableUtcTimestamp(current());
    advance();
    return value;
}

void RowReader::skip(int columns) {
    for (int i = 0; i < columns; ++i) {
        current();
        advance();
    }
}

}  // namespace crm::db
