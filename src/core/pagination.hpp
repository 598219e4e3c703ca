#pragma once

#include "core/error.hpp"
#include "core/query_params.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crm::core {

constexpr int kDefaultPageLimit = 50;
constexpr int kMaxPageLimit = 200;
/// `?with_total=true` counts at most this many rows, then says `total_capped`.
constexpr int kTotalCountCap = 10000;

/// A sort a list endpoint offers: its public name ("created_at", "-created_at", "name") and
/// whether it runs descending. The repository maps the name to SQL from a fixed list.
struct SortOption {
    std::string name;
    bool descending = false;
};

/// Keyset paging input parsed from `limit`, `cursor`, `sort` and `with_total`.
struct PageRequest {
    int limit = kDefaultPageLimit;
    SortOption sort;
    /// The sort-key values of the last row of the previous page, then its id; empty for page 1.
    std::optional<nlohmann::json> after;
    bool with_total = false;
    /// `sort` was not one of the list's: a cursor cannot be checked against it.
    bool sort_refused = false;
};

/// Parses the paging parameters of the list at `list` (the request path: a cursor is good for
/// the list that handed it out only). `sorts` lists the accepted `sort` names (the first is
/// the default); a `-` prefix means descending. Throws a 422 naming `limit`, `cursor` or `sort`.
PageRequest parsePageRequest(const QueryParams& query, std::string_view list,
                             const std::vector<std::string>& sorts);
/// The same, adding its errors to `errors` instead of throwing them alone, so that one 422
/// names every bad parameter of a list. The cursor is checked unless the sort was refused.
PageRequest parsePageRequest(const QueryParams& query, std::string_view list,
                             const std::vector<std::string>& sorts, FieldErrors& errors);

/// Refuses parameters a list does not know (a misspelt filter must not silently return
/// everything), repeats of single-valued ones, and text that cannot be stored: each a 422 entry
/// naming the parameter. The paging parameters (`limit`, `cursor`, `sort`, `with_total`) are
/// known to every list.
void checkListParams(const QueryParams& query, const std::set<std::string, std::less<>>& known,
                     const std::set<std::string, std::less<>>& repeatable, FieldErrors& errors);

/// Sets the key that signs cursors (every node of a deployment must share it; the server
/// derives it from CRM_JWT_SECRET). Until set, a random per-process key is used.
void setCursorSecret(const std::string& secret);

/// Joins the caller's organisation to a list's name (Request::listKey): another organisation's
/// cursor is not one of this list's.
inline constexpr std::string_view kListOrganisation = " org ";

/// An opaque cursor for the row whose sort-key values (then id) are `keys`, bound to the list
/// (its request path) and `sort` and signed, so a cursor the server did not hand out, or handed
/// out for another list (another client's contacts, say), is refused before any SQL sees it.
std::string encodeCursor(std::string_view list, const std::string& sort, const nlohmann::json& keys);

/// Decodes a cursor made by encodeCursor for the same list and sort, with `arity` keys; throws
/// a 422 naming `cursor` if it is malformed, tampered with, or from another list or sort.
nlohmann::json decodeCursor(std::string_view cursor, std::string_view list, const std::string& sort,
                            std::size_t arity);

/// The same, adding the refusal to `errors` (and returning nullopt) instead of throwing it, for
/// lists that check the cursor themselves and name it with their other bad parameters. `sort`
/// is nullopt when the list refused the one asked for (a cursor belongs to its sort): the
/// cursor is then checked for what is wrong whatever the sort (empty, tampered with, another
/// list's), so that one 422 names it with the sort, and nothing is returned.
std::optional<nlohmann::json> decodeCursor(std::string_view cursor, std::string_view list,
                                           const std::optional<std::string>& sort, std::size_t arity,
                                           FieldErrors& errors);

/// {"data": items, "page": {"limit", "next_cursor", ["total", "total_capped"]}}.
nlohmann::json pageJson(nlohmann::json items, int limit, const std::optional<std::string>& next,
                        std::optional<long long> total = std::nullopt);

}  // namespace crm::core
