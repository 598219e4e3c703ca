#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace crm::core {

/// Process metrics in the Prometheus text exposition format (version 0.0.4).
class Metrics {
public:
    /// Upper bounds of the request latency histogram, in seconds.
    static constexpr std::array<double, 12> kLatencyBuckets{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

    /// Records one finished request. `route` is the matched template (never the raw path, so
    /// ids do not explode the label set); unmatched requests use "unmatched".
    void observeRequest(std::string_view method, std::string_view route, int status,
                        double seconds);
    void requestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    void requestFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

    /// A collector appends complete metric families (HELP, TYPE, samples) to `out`.
    using Collector = std::function<void(std::string& out)>;
    void addCollector(Collector collector);

    std::string render() const;

    /// Appends a one-sample gauge family.
    static void appendGauge(std::string& out, std::string_view name, std::string_view help,
                            double value);
    /// Escapes a label value (backslash, quote, newline).
    static std::string escapeLabel(std::string_view value);

private:
    struct RouteStats {
        std::map<int, std::uint64_t> by_status;
        std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };

    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, RouteStats> routes_;  // (route, method)
    std::vector<Collector> collectors_;
    std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace crm::core
