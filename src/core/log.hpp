#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <variant>

/// Structured logs: one JSON object a line on standard output.
namespace crm::core::log {

enum class Level { Trace, Debug, Info, Warn, Error, Off };

/// Gives standard output a 64 KiB buffer when it is a file or a pipe. Call first in main(),
/// before anything is written to standard output.
void bufferStandardOutput();

/// Sets the minimum level ("trace" .. "off"); call once at start-up.
void setLevel(std::string_view level);
bool enabled(Level level);

/// Writes {"ts", "level", "msg", ...fields}. `fields` must be a JSON object (or null).
void write(Level level, std::string_view msg, const nlohmann::json& fields = nullptr);

/// One member of a flat log line; the hot path (the access log) uses these instead of building
/// an nlohmann::json object per request.
struct Field {
    using Value = std::variant<std::nullptr_t, std::string_view, std::int64_t, double, bool>;
    std::string_view key;
    Value value;
};

/// Writes {"ts", "level", "msg", ...fields} without allocating a JSON tree.
void writeFlat(Level level, std::string_view msg, std::initializer_list<Field> fields);

/// Keeps a repeated failure to one line per key and interval. An outage makes every request
/// fail the same way; one line a second says as much as thousands would, and the access log
/// still records each request.
class Throttle {
public:
    explicit Throttle(std::chrono::milliseconds interval, std::size_t max_keys = 1000);

    /// Whether to log `key` now; if so, how many lines of that key were held back since the
    /// last one it let through.
    std::optional<long long> admit(const std::string& key,
                                   std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

private:
    struct Entry {
        std::chrono::steady_clock::time_point last;
        long long held_back = 0;
    };
    std::chrono::milliseconds interval_;
    std::size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

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
