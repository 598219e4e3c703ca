#pragma once

#include <nlohmann/json.hpp>

/// Reading `EXPLAIN (ANALYZE, FORMAT JSON)` plans in tests that check how much a query reads.
namespace crm::test {

/// Rows the plan's scans of tables returned plus those their filters threw away: what the
/// query read, whatever sorted or merged it afterwards.
long long rowsRead(const nlohmann::json& plan);

/// Rows thrown away by the filters of every node.
long long rowsRemovedByFilter(const nlohmann::json& plan);

}  // namespace crm::test
