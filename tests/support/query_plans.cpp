#include "support/query_plans.hpp"

#include <functional>

namespace crm::test {
namespace {

// The sum of `count(node)` over every node of the plan.
long long sumOverNodes(const nlohmann::json& plan, const std::function<long long(const nlohmann::json&)>& count) {
    long long total = 0;
    if (plan.is_object()) {
        total += count(plan);
        for (const auto& [key, value] : plan.items()) {
            total += sumOverNodes(value, count);
        }
    } else if (plan.is_array()) {
        for (const auto& value : plan) {
            total += sumOverNodes(value, count);
        }
    }
    return total;
}

}  // namespace

long long rowsRead(const nlohmann::json& plan) {
    return sumOverNodes(plan, [](const nlohmann::json& node) {
        return node.value("Relation Name", "").empty()
                   ? 0
                   : node.value("Actual Rows", 0LL) + node.value("Rows Removed by Filter", 0LL);
    });
}

long long rowsRemovedByFilter(const nlohmann::json& plan) {
    return sumOverNodes(plan, [](const nlohmann::json& node) { return node.value("Rows Removed by Filter", 0LL); });
}

long long rowsReadFrom(pqxx::connection& connection, const std::string& table) {
    pqxx::nontransaction tx(connection);
    // The counts of a backend reach the shared statistics at most once a second, unless forced.
    tx.exec("SELECT pg_stat_force_next_flush()");
    tx.exec("SELECT pg_stat_clear_snapshot()");
    return tx.exec_params1("SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = $1", table)[0]
        .as<long long>();
}

}  // namespace crm::test
