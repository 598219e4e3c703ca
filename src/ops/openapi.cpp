#include "ops/openapi.hpp"

#include "core/embedded.hpp"

#include <yaml-cpp/yaml.h>

#include <regex>
#include <stdexcept>

namespace crm::ops {
namespace {

nlohmann::json scalar(const YAML::Node& node) {
    const auto& text = node.Scalar();
    // yaml-cpp tags quoted scalars "!" and plain ones "?": only plain scalars are typed.
    if (node.Tag() == "!") {
        return text;
    }
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
        return nullptr;
    }
    static const std::regex kInteger(R"(^[-+]?[0-9]+$)");
    static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
    if (std::regex_match(text, kInteger)) {
        try {
            return std::stoll(text);
        } catch (const std::out_of_range&) {
            return text;
        }
    }
    if (std::regex_match(text, kFloat)) {
        return std::stod(text);
    }
    return text;
}

nlohmann::json convert(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar:
            return scalar(node);
        case YAML::NodeType::Sequence: {
            auto out = nlohmann::json::array();
            for (const auto& item : node) {
                out.push_back(convert(item));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            auto out = nlohmann::json::object();
            for (const auto& entry : node) {
                out[entry.first.as<std::string>()] = convert(entry.second);
            }
            return out;
        }
    }
    return nullptr;
}

}  // namespace

nlohmann::json yamlToJson(std::string_view yaml) {
    try {
        return convert(YAML::Load(std::string(yaml)));
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(std::string("invalid YAML: ") + e.what());
    }
}

const nlohmann::json& openapiJson() {
    static const nlohmann::json document = yamlToJson(embedded::openapiYaml());
    return document;
}

}  // namespace crm::ops
