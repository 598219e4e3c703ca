#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <string>

/// Reading `EXPLAIN (ANALYZE, FORMAT JSON)` plans in tests that check how much a query reads.
namespace crm::test {

/// Rows the plan's scans of tables returned plus those their filters threw away: what the
/// query read, whatever sorted or merged it afterwards.
long long rowsRead(const nlohmann::json& plan);

/// Rows thrown away by the filters of every node.
long long rowsRemovedByFilter(const nlohmann::json& plan);

/// The plan PostgreSQL runs `sql` with, `params` as $1, $2, ..., as `EXPLAIN (ANALYZE, FORMAT
/// JSON)` gives it, in `tx` (with whatever planner settings it holds).
template <typename Params>
nlohmann::json analyzedPlan(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
    return nlohmann::json::parse(
        tx.exec_params("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, pqxx::prepare::make_dynamic_params(params))[0][0].c_str());
}

/// Rows that sequential, index and bitmap scans have read from `table` so far, by the
/// database's statistics, with this connection's own last transactions counted: the difference
/// across a statement run on this connection is what it read of the table.
long long rowsReadFrom(pqxx::connection& connection, const std::string& table);

}  // namespace crm::test
