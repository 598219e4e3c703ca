#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

/// Structured logs: one JSON object a line on standard output.
namespace crm::core::log {

enum class Level { Trace, Debug, Info, Warn, Error, Off };

/// Sets the minimum level ("trace" .. "off"); call once at start-up.
void setLevel(std::string_view level);
bool enabled(Level level);

/// Writes {"ts", "level", "msg", ...fields}. `fields` must be a JSON object (or null).
void write(Level level, std::string_view msg, const nlohmann::json& fields = nullptr);

inline void debug(std::string_view msg, const nlohmann::json& fields = nullptr) {
    write(Level::Debug, msg, fields);
}
inline void info(std::string_view msg, const nlohmann::json& fields = nullptr) {
    write(Level::Info, msg, fields);
}
inline void warn(std::string_view msg, const nlohmann::json& fields = nullptr) {
    write(Level::Warn, msg, fields);
}
inline void error(std::string_view msg, const nlohmann::json& fields = nullptr) {
    write(Level::Error, msg, fields);
}

}  // namespace crm::core::log
