#include "db/json_records.hpp"

#include <simdjson.h>

#include <stdexcept>
#include <string>

namespace crm::db::detail {
namespace {

nlohmann::json toNlohmann(simdjson::dom::element element) {
    switch (element.type()) {
        case simdjson::dom::element_type::ARRAY: {
            auto out = nlohmann::json::array();
            const simdjson::dom::array items(element);
            for (const auto item : items) {
                out.push_back(toNlohmann(item));
            }
            return out;
        }
        case simdjson::dom::element_type::OBJECT: {
            auto out = nlohmann::json::object();
            const simdjson::dom::object fields(element);
            for (const auto field : fields) {
                out[std::string(field.key)] = toNlohmann(field.value);
            }
            return out;
        }
        case simdjson::dom::element_type::INT64: return int64_t(element);
        case simdjson::dom::element_type::UINT64: return uint64_t(element);
        case simdjson::dom::element_type::DOUBLE: return double(element);
        case simdjson::dom::element_type::STRING:
            return std::string(std::string_view(element));
        case simdjson::dom::element_type::BOOL: return bool(element);
        case simdjson::dom::element_type::NULL_VALUE: return nullptr;
    }
    return nullptr;
}

JsonColumn toColumn(simdjson::dom::element element) {
    JsonColumn column;
    switch (element.type()) {
        case simdjson::dom::element_type::NULL_VALUE: column.null = true; break;
        case simdjson::dom::element_type::BOOL: column.flag = bool(element); break;
        case simdjson::dom::element_type::INT64: column.integer = int64_t(element); break;
        case simdjson::dom::element_type::UINT64:
            column.integer = static_cast<long long>(uint64_t(element));
            break;
        case simdjson::dom::element_type::DOUBLE:
            column.text = simdjson::minify(element);
            break;
        case simdjson::dom::element_type::STRING:
            column.text = std::string(std::string_view(element));
            break;
        case simdjson::dom::element_type::ARRAY:
        case simdjson::dom::element_type::OBJECT: column.nested = toNlohmann(element); break;
    }
    return column;
}

void readRecord(simdjson::dom::element element, const std::function<void()>& begin_record,
                const std::function<void(std::string_view, JsonColumn&)>& column) {
    simdjson::dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) {
        throw std::runtime_error("row JSON from the database is not an object or an array of objects");
    }
    begin_record();
    for (const auto field : object) {
        auto value = toColumn(field.value);
        column(field.key, value);
    }
}

}  // namespace

void forEachJsonRecord(std::string_view json, const std::function<void()>& begin_record,
                       const std::function<void(std::string_view, JsonColumn&)>& column) {
    // One parser per thread keeps its buffers between reads.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (const auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
        throw std::runtime_error(std::string("unreadable row JSON from the database: ") +
                                 simdjson::error_message(error));
    }
    if (root.is_array()) {
        const simdjson::dom::array records(root);
        for (const auto element : records) {
            readRecord(element, begin_record, column);
        }
    } else {
        readRecord(root, begin_record, column);
    }
}

}  // namespace crm::db::detail
