#include "core/metrics.hpp"

#include <cstdio>

namespace crm::core {
namespace {

std::string number(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

}  // namespace

void Metrics::observeRequest(std::string_view method, std::string_view route, int status,
                             double seconds) {
    std::lock_guard lock(mutex_);
    auto& stats = routes_[{std::string(route), std::string(method)}];
    ++stats.by_status[status];
    ++stats.count;
    stats.sum += seconds;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        if (seconds <= kLatencyBuckets[i]) {
            ++stats.buckets[i];
            break;  // buckets are stored non-cumulative and summed at render time
        }
    }
}

void Metrics::addCollector(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::string Metrics::escapeLabel(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void Metrics::appendGauge(std::string& out, std::string_view name, std::string_view help,
                          double value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" gauge\n");
    out.append(name).append(" ").append(number(value)).append("\n");
}

std::string Metrics::render() const {
    std::string out;
    std::vector<Collector> collectors;
    {
        std::lock_guard lock(mutex_);
        out += "# HELP http_requests_total HTTP requests answered, by route template and status.\n";
        out += "# TYPE http_requests_total counter\n";
        for (const auto& [key, stats] : routes_) {
            const auto labels = "method=\"" + escapeLabel(key.second) + "\",route=\"" +
                                escapeLabel(key.first) + "\"";
            for (const auto& [status, count] : stats.by_status) {
                out += "http_requests_total{" + labels + ",status=\"" + std::to_string(status) +
                       "\"} " + std::to_string(count) + "\n";
            }
        }
        out += "# HELP http_request_duration_seconds Time from request read to response "
               "written, by route template.\n";
        out += "# TYPE http_request_duration_seconds histogram\n";
        for (const auto& [key, stats] : routes_) {
            const auto labels = "method=\"" + escapeLabel(key.second) + "\",route=\"" +
                                escapeLabel(key.first) + "\"";
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
                cumulative += stats.buckets[i];
                out += "http_request_duration_seconds_bucket{" + labels + ",le=\"" +
                       number(kLatencyBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
            }
            out += "http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
                   std::to_string(stats.count) + "\n";
            out += "http_request_duration_seconds_sum{" + labels + "} " + number(stats.sum) + "\n";
            out += "http_request_duration_seconds_count{" + labels + "} " +
                   std::to_string(stats.count) + "\n";
        }
        collectors = collectors_;
    }
    appendGauge(out, "http_requests_in_flight", "HTTP requests being processed now.",
                static_cast<double>(in_flight_.load(std::memory_order_relaxed)));
    for (const auto& collect : collectors) {
        collect(out);
    }
    return out;
}

}  // namespace crm::core
