#include "core/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace crm::core::log {
namespace {

std::atomic<Level> g_level{Level::Info};

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

std::string timestamp() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto secs = system_clock::to_time_t(now);
    const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char buffer[40];
    const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(buffer + n, sizeof buffer - n, ".%06lldZ", static_cast<long long>(micros));
    return buffer;
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

void write(Level level, std::string_view msg, const nlohmann::json& fields) {
    if (!enabled(level)) {
        return;
    }
    nlohmann::json line = nlohmann::json::object();
    line["ts"] = timestamp();
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

}  // namespace crm::core::log
