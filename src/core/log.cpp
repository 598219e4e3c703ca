#include "core/log.hpp"

#include "core/json_text.hpp"
#include "core/utc_time.hpp"
#include "core/validation.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <chrono>

#include <unistd.h>

namespace crm::core::log {
namespace {

std::atomic<Level> g_level{Level::Info};
constexpr std::size_t kStdoutBufferBytes = 64 * 1024;

// spdlog's stdout sinks flush after every line, one write(2) per request under load; this one
// leaves stdout buffered and relies on flush_every() (1 s) and on flushing warnings at once.
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::fwrite(formatted.data(), 1, formatted.size(), stdout);
    }
    void flush_() override { std::fflush(stdout); }
};

spdlog::logger& sink() {
    // The line is already complete JSON; spdlog adds only the newline and the locking.
    static auto logger = [] {
        auto created = std::make_shared<spdlog::logger>("crm",
                                                        std::make_shared<BufferedStdoutSink>());
        created->set_pattern("%v");
        created->set_level(spdlog::level::trace);
        created->flush_on(spdlog::level::warn);
        spdlog::register_logger(created);
        spdlog::flush_every(std::chrono::seconds(1));
        return created;
    }();
    return *logger;
}

const char* levelName(Level level) {
    switch (level) {
        case Level::Trace: return "trace";
        case Level::Debug: return "debug";
        case Level::Info: return "info";
        case Level::Warn: return "warn";
        case Level::Error: return "error";
        case Level::Off: return "off";
    }
    return "info";
}

}  // namespace

void bufferStandardOutput() {
    // Larger than stdio's 4 KiB when the lines go to a file or a pipe: each write(2) to a log
    // file costs about as much as formatting a dozen lines. glibc takes the size only with a
    // buffer of ours. A terminal stays line-buffered, for whoever watches it.
    static char buffer[kStdoutBufferBytes];
    if (isatty(STDOUT_FILENO) == 0) {
        std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    }
}

void setLevel(std::string_view level) {
    for (auto candidate : {Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error,
                           Level::Off}) {
        if (level == levelName(candidate)) {
            g_level = candidate;
        }
    }
}

bool enabled(Level level) {
    return level != Level::Off && level >= g_level.load(std::memory_order_relaxed);
}

void writeFlat(Level level, std::string_view msg, std::initializer_list<Field> fields) {
    if (!enabled(level)) {
        return;
    }
    std::string line;
    line.reserve(256);
    line += "{\"ts\":\"";
    appendUtcNow(line);
    line += "\",\"level\":\"";
    line += levelName(level);
    line += "\",\"msg\":";
    appendJsonString(line, msg);
    for (const auto& field : fields) {
        line.push_back(',');
        appendJsonString(line, field.key);
        line.push_back(':');
        std::visit(
            [&line](const auto& value) {
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, std::nullptr_t>) {
                    line += "null";
                } else if constexpr (std::is_same_v<T, std::string_view>) {
                    // Values can come from the request (a percent-decoded path): a line with
                    // bytes that are not UTF-8 would not be JSON to whoever reads the log.
                    if (isValidUtf8(value)) {
                        appendJsonString(line, value);
                    } else {
                        appendJsonString(line, validUtf8Prefix(value, value.size() * 3));
                    }
                } else if constexpr (std::is_same_v<T, bool>) {
                    line += value ? "true" : "false";
                } else if constexpr (std::is_same_v<T, double>) {
                    char number[32];
                    const auto end = std::to_chars(number, number + sizeof number, value,
                                                   std::chars_format::fixed, 3);
                    if (std::isfinite(value) && end.ec == std::errc{}) {
                        line.append(number, end.ptr);
                    } else {
                        line += "null";  // JSON has no NaN, and a 30-digit duration is no answer
                    }
                } else {
                    line += std::to_string(value);
                }
            },
            field.value);
    }
    line.push_back('}');
    if (level >= Level::Warn) {
        sink().warn(line);
    } else {
        sink().info(line);
    }
}

void write(Level level, std::string_view msg, const nlohmann::json& fields) {
    if (!enabled(level)) {
        return;
    }
    nlohmann::json line = nlohmann::json::object();
    line["ts"] = utcNow();
    line["level"] = levelName(level);
    line["msg"] = msg;
    if (fields.is_object()) {
        for (const auto& [key, value] : fields.items()) {
            line[key] = value;
        }
    }
    // Replace invalid UTF-8 rather than throwing from a log call.
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (level >= Level::Warn) {
        sink().warn(text);  // flush_on(warn) writes it out at once
    } else {
        sink().info(text);
    }
}

Throttle::Throttle(std::chrono::milliseconds interval, std::size_t max_keys)
    : interval_(interval), max_keys_(max_keys) {}

std::optional<long long> Throttle::admit(const std::string& key,
                                         std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        if (entries_.size() >= max_keys_) {
            entries_.clear();  // bounded memory: at worst a few extra lines
        }
        entries_.emplace(key, Entry{now, 0});
        return 0;
    }
    if (now - it->second.last < interval_) {
        ++it->second.held_back;
        return std::nullopt;
    }
    const auto held_back = it->second.held_back;
    it->second = Entry{now, 0};
    return held_back;
}

}  // namespace crm::core::log
