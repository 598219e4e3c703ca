#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crm::db {

/// One column of a row that PostgreSQL serialised with row_to_json() or json_agg().
struct JsonColumn {
    bool null = false;
    bool flag = false;         // booleans
    long long integer = 0;     // integers
    std::string text;          // strings (numeric columns are selected ::text, so arrive here)
    nlohmann::json nested;     // arrays and objects (jsonb columns, PostgreSQL arrays)

    std::optional<std::string> optionalText() {
        return null ? std::nullopt : std::optional<std::string>(std::move(text));
    }
    std::optional<long long> optionalInteger() const {
        return null ? std::nullopt : std::optional<long long>(integer);
    }
    /// A `timestamp AT TIME ZONE 'UTC'` column, which row_to_json prints without a zone.
    std::optional<std::string> optionalUtcTimestamp() {
        if (null) {
            return std::nullopt;
        }
        text.push_back('Z');
        return std::move(text);
    }
};

/// How each column name is stored into a record.
template <typename Record>
using JsonColumnSetters = std::unordered_map<std::string_view, void (*)(Record&, JsonColumn&)>;

/// Reads a JSON object, or an array of them, into records: the columns straight into their
/// fields, through `setters` (unknown columns are ignored). Building nlohmann's DOM first (a
/// std::map per row) and copying out of it was a tenth of a contact read's CPU.
template <typename Record>
std::vector<Record> readJsonRecords(std::string_view json, const JsonColumnSetters<Record>& setters);

namespace detail {

template <typename Record>
class JsonRecordSax {
public:
    using json = nlohmann::json;

    JsonRecordSax(const JsonColumnSetters<Record>& setters, std::vector<Record>& out)
        : setters_(setters), out_(out) {}

    bool null() { return scalar(json(nullptr), [](JsonColumn& c) { c.null = true; }); }
    bool boolean(bool value) {
        return scalar(json(value), [value](JsonColumn& c) { c.flag = value; });
    }
    bool number_integer(json::number_integer_t value) {
        return scalar(json(value), [value](JsonColumn& c) { c.integer = value; });
    }
    bool number_unsigned(json::number_unsigned_t value) {
        return scalar(json(value), [value](JsonColumn& c) { c.integer = static_cast<long long>(value); });
    }
    bool number_float(json::number_float_t value, const std::string& text) {
        return scalar(json(value), [&text](JsonColumn& c) { c.text = text; });
    }
    bool string(std::string& value) {
        if (!stack_.empty()) {
            return addNested(json(std::move(value)));
        }
        column_.text = std::move(value);
        return store();
    }
    bool binary(json::binary_t&) { return false; }

    bool start_object(std::size_t) {
        if (!in_record_ && stack_.empty()) {
            in_record_ = true;
            out_.emplace_back();
            return true;
        }
        return addNested(json::object());
    }
    bool end_object() {
        if (!stack_.empty()) {
            return closeNested();
        }
        in_record_ = false;
        return true;
    }
    bool start_array(std::size_t) {
        if (!in_record_ && stack_.empty()) {
            return true;  // the list of records
        }
        return addNested(json::array());
    }
    bool end_array() { return stack_.empty() ? true : closeNested(); }
    bool key(std::string& name) {
        if (stack_.empty()) {
            column_name_ = std::move(name);
        } else {
            nested_key_ = std::move(name);
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
        throw std::runtime_error(std::string("unreadable row JSON from the database: ") + error.what());
    }

private:
    template <typename Set>
    bool scalar(json value, Set set) {
        if (!stack_.empty()) {
            return addNested(std::move(value));
        }
        set(column_);
        return store();
    }

    // Inside a column's array or object: append to the innermost open container.
    bool addNested(json value) {
        const bool container = value.is_structured();
        json* placed = nullptr;
        if (stack_.empty()) {
            column_.nested = std::move(value);
            placed = &column_.nested;
        } else if (stack_.back()->is_array()) {
            stack_.back()->push_back(std::move(value));
            placed = &stack_.back()->back();
        } else {
            placed = &((*stack_.back())[nested_key_] = std::move(value));
        }
        if (container) {
            stack_.push_back(placed);
        }
        return true;
    }
    bool closeNested() {
        stack_.pop_back();
        return stack_.empty() ? store() : true;
    }

    bool store() {
        if (!in_record_) {
            throw std::runtime_error("row JSON from the database is not an object or an array of objects");
        }
        if (const auto it = setters_.find(column_name_); it != setters_.end()) {
            it->second(out_.back(), column_);
        }
        column_ = JsonColumn{};
        return true;
    }

    const JsonColumnSetters<Record>& setters_;
    std::vector<Record>& out_;
    bool in_record_ = false;
    std::string column_name_;
    std::string nested_key_;
    std::vector<json*> stack_;  // open arrays and objects inside the current column
    JsonColumn column_;
};

}  // namespace detail

template <typename Record>
std::vector<Record> readJsonRecords(std::string_view json, const JsonColumnSetters<Record>& setters) {
    std::vector<Record> records;
    detail::JsonRecordSax<Record> sax(setters, records);
    nlohmann::json::sax_parse(json.begin(), json.end(), &sax);
    return records;
}

}  // namespace crm::db
