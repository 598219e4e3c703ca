#include "clients/routes.hpp"

#include "core/ids.hpp"
#include "core/validation.hpp"

#include <regex>
#include <utility>
#include <set>

namespace crm::clients {
namespace {

using core::Permission;
using http::Access;
using http::Request;
using http::Response;
using http::Status;

const std::vector<std::string> kClientSorts{"-created_at", "created_at", "name", "-name",
                                            "-updated_at"};
// Sub-lists and history: newest first only.
const std::vector<std::string> kNewestFirst{"-created_at"};
const std::vector<std::string> kStatuses{"prospect", "active", "inactive", "churned"};
const std::vector<std::string> kJobStatuses{"open", "on_hold", "closed", "filled"};
const std::vector<std::string> kProjectStatuses{"planned", "active", "on_hold", "completed",
                                                "cancelled"};

std::string oneOf(const std::vector<std::string>& allowed) {
    std::string list;
    for (const auto& option : allowed) {
        list += (list.empty() ? "" : ", ") + option;
    }
    return "must be one of " + list;
}

/// `created_from` / `created_to`: an RFC 3339 time or a date. A '+' of an offset sent without
/// percent-encoding arrives as a space; it is read as the '+' it was meant to be.
std::optional<std::string> timeBound(const core::QueryParams& query, const std::string& name,
                                     core::FieldErrors& errors) {
    auto value = query.single(name);
    if (!value) {
        return std::nullopt;
    }
    static const std::regex kSpacedOffset(R"(^(.*[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?) (\d{2}:\d{2})$)");
    std::smatch match;
    // The length check first: std::regex recurses once per character, and no time is longer.
    if (value->size() <= 40 && std::regex_match(*value, match, kSpacedOffset)) {
        value = match[1].str() + "+" + match[3].str();
    }
    // A date is checked as its midnight (any year PostgreSQL takes: a bound is no birthday, so
    // the 1900-2999 range of date fields does not apply), and kept as a date.
    const bool date_only = core::trim(*value).size() == 10;
    core::FieldErrors local;
    const nlohmann::json holder{{name, date_only ? core::trim(*value) + "T00:00:00Z" : *value}};
    core::ObjectReader in(holder, local);
    auto bound = in.optionalTimestamp(name);
    if (bound && date_only) {
        bound = bound->substr(0, 10);
    }
    if (!local.empty() || !bound) {
        errors.add(name,
                   "must be an RFC 3339 time such as 2026-03-31T09:30:00Z or a date such "
                   "as 2026-03-31");
        return std::nullopt;
    }
    return bound;
}

// A bound as a moment: seconds since 1970 (any year) and nanoseconds. A date is the start of
// its UTC day. The text is one timeBound() accepted.
std::pair<long long, long long> moment(const std::string& bound) {
    const auto number = [&bound](std::size_t from, std::size_t to) {
        return std::stoll(bound.substr(from, to - from));
    };
    const auto year_end = bound.find('-');
    long long y = number(0, year_end);
    const long long m = number(year_end + 1, year_end + 3);
    const long long d = number(year_end + 4, year_end + 6);
    // Days from 1970-01-01 to the civil date (H. Hinnant's days_from_civil).
    y -= m <= 2 ? 1 : 0;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const long long yoe = y - era * 400;
    const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    long long seconds = days * 86400;
    long long nanos = 0;
    const auto time = year_end + 7;  // after "-MM-DDT"
    if (bound.size() > time) {
        seconds += number(time, time + 2) * 3600 + number(time + 3, time + 5) * 60 + number(time + 6, time + 8);
        auto rest = time + 8;  // '.', or the offset: "Z", "+02:00"
        if (bound[rest] == '.') {
            const auto digits_end = bound.find_first_not_of("0123456789", rest + 1);
            auto digits = bound.substr(rest + 1, digits_end - rest - 1).substr(0, 9);
            digits.resize(9, '0');
            nanos = std::stoll(digits);
            rest = digits_end;
        }
        if (bound[rest] == '+' || bound[rest] == '-') {
            const long long offset = number(rest + 1, rest + 3) * 3600 + number(rest + 4, rest + 6) * 60;
            seconds -= bound[rest] == '+' ? offset : -offset;
        }
    }
    return {seconds, nanos};
}

// created_to before created_from can match nothing: more likely the two were swapped.
void checkRange(const std::optional<std::string>& from, const std::optional<std::string>& to,
                core::FieldErrors& errors) {
    if (!from || !to) {
        return;
    }
    const bool to_is_date = to->find_first_of("Tt") == std::string::npos;
    auto end = moment(*to);
    if (to_is_date) {
        end.first += 86400;  // the whole day: up to the next one's start, exclusive
    }
    const auto start = moment(*from);
    if (to_is_date ? start >= end : start > end) {
        errors.add("created_to", "must not be before created_from");
    }
}

repo::ClientFilter clientFilter(const core::QueryParams& query, core::FieldErrors& errors) {
    core::checkListParams(query,
                {"q", "status", "industry", "owner_id", "tag", "created_from", "created_to",
                 "include_deleted"},
                {"status", "tag"}, errors);
    repo::ClientFilter filter;
    filter.q = core::searchParam(query, "q", 200, errors);
    for (const auto& status : query.all("status")) {
        if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) {
            errors.add("status", oneOf(kStatuses));
            break;
        }
        filter.statuses.push_back(status);
    }
    filter.industry = core::textParam(query, "industry", 100, errors);
    if (const auto owner = query.single("owner_id")) {
        if (!core::isUuid(*owner)) {
            errors.add("owner_id", "must be a UUID");
        } else {
            filter.owner_id = core::lowerUuid(*owner);
        }
    }
    if (query.all("tag").size() > 20) {
        errors.add("tag", "must be given at most 20 times");
    }
    for (const auto& tag : query.all("tag")) {
        const auto text = core::filterText("tag", tag, 50, errors);
        if (!text) {
            break;
        }
        filter.tags.push_back(core::foldTag(*text));
    }
    filter.created_from = timeBound(query, "created_from", errors);
    filter.created_to = timeBound(query, "created_to", errors);
    checkRange(filter.created_from, filter.created_to, errors);
    if (const auto include_deleted = query.single("include_deleted")) {
        if (*include_deleted != "true" && *include_deleted != "false") {
            errors.add("include_deleted", "must be true or false");
        }
        filter.include_deleted = *include_deleted == "true";
    }
    return filter;
}

/// `status` of a sub-list, one of `allowed`.
std::optional<std::string> statusFilter(const core::QueryParams& query,
                                        const std::vector<std::string>& allowed,
                                        core::FieldErrors& errors) {
    const auto status = query.single("status");
    if (status && std::find(allowed.begin(), allowed.end(), *status) == allowed.end()) {
        errors.add("status", oneOf(allowed));
        return std::nullopt;
    }
    return status;
}

template <typename T>
nlohmann::json pageBody(std::string_view list, const repo::Page<T>& page, const core::PageRequest& request,
                        std::optional<long long> total = std::nullopt) {
    auto items = nlohmann::json::array();
    for (const auto& item : page.items) {
        items.push_back(toJson(item));
    }
    std::optional<std::string> next;
    if (page.next_keys) {
        next = core::encodeCursor(list, (request.sort.descending ? "-" : "") + request.sort.name,
                                  *page.next_keys);
    }
    return core::pageJson(std::move(items), request.limit, next, total);
}

nlohmann::json writeBody(const ClientWrite& write) {
    auto body = toJson(write.client);
    body["warnings"] = write.warnings;
    return body;
}

/// The paging parameters of a sub-list, plus `status` when `statuses` is not empty.
struct SubListQuery {
    core::PageRequest page;
    std::optional<std::string> status;
};

SubListQuery subListQuery(const Request& request, const std::vector<std::string>& statuses) {
    core::FieldErrors errors;
    SubListQuery result;
    if (statuses.empty()) {
        core::checkListParams(request.query, {}, {}, errors);
    } else {
        core::checkListParams(request.query, {"status"}, {}, errors);
        result.status = statusFilter(request.query, statuses, errors);
    }
    result.page = core::parsePageRequest(request.query.without({"with_total"}), request.listKey(), kNewestFirst, errors);
    if (request.query.has("with_total")) {
        errors.add("with_total", "is not offered on this list");
    }
    errors.throwIfAny();
    return result;
}

}  // namespace

void registerRoutes(http::Router& router, ClientService& clients) {
    router.get("/api/clients", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   core::FieldErrors errors;
                   const auto filter = clientFilter(request.query, errors);
                   const auto page = core::parsePageRequest(request.query, request.listKey(), kClientSorts, errors);
                   errors.throwIfAny();
                   const auto result = clients.list(request.actor(), filter, page);
                   return Response::json(Status::Ok, pageBody(request.listKey(), result.page, page, result.total));
               }).query_params.reset();
    router.post("/api/clients", Access::require(Permission::ClientsWrite),
                [&clients](Request& request) {
                    const auto input = ClientInput::fromCreateJson(
                        request.json(), clients.settings().default_phone_region);
                    const auto created = clients.create(request.actor(), input, request.meta());
                    return Response::json(Status::Created, writeBody(created))
                        .etag(created.client.version)
                        .header("Location", "/api/v1/clients/" + created.client.id);
                });
    router.get("/api/clients/{id}", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   const auto client = clients.get(request.actor(), request.pathId());
                   return Response::json(Status::Ok, toJson(client)).etag(client.client.version);
               });
    router.put(
        "/api/clients/{id}", Access::require(Permission::ClientsWrite),
        [&clients](Request& request) {
            const auto id = request.pathId();
            const auto if_match = request.ifMatchVersion();
            const auto input = ClientInput::fromUpdateJson(request.json(),
                                                           clients.settings().default_phone_region);
            const auto updated =
                clients.update(request.actor(), id, input, if_match, request.meta());
            return Response::json(Status::Ok, writeBody(updated)).etag(updated.client.version);
        });
    router.del("/api/clients/{id}", Access::require(Permission::ClientsDelete),
               [&clients](Request& request) {
                   const auto id = request.pathId();
                   // The version the delete left: what a conditional restore names, for an owner
                   // who can no longer read the client.
                   return Response::noContent().etag(
                       clients.remove(request.actor(), id, request.ifMatchVersion(), request.meta()));
               });
    // Takes no body: one sent along, of any media type, is ignored (as on sign-out).
    router.post("/api/clients/{id}/restore", Access::require(Permission::ClientsDelete),
                [&clients](Request& request) {
                    const auto id = request.pathId();
                    const auto client = clients.restore(request.actor(), id,
                                                        request.ifMatchVersion(), request.meta());
                    return Response::json(Status::Ok, toJson(client)).etag(client.version);
                }).body_types.clear();
    router.post("/api/clients/{id}/assign", Access::require(Permission::ClientsWrite),
                [&clients](Request& request) {
                    const auto id = request.pathId();
                    const auto if_match = request.ifMatchVersion();
                    const auto input = AssignClientDto::fromJson(request.json());
                    const auto client =
                        clients.assign(request.actor(), id, input, if_match, request.meta());
                    return Response::json(Status::Ok, toJson(client)).etag(client.version);
                });
    router.get("/api/clients/{id}/contacts", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   const auto id = request.pathId();
                   const auto query = subListQuery(request, {});
                   return Response::json(
                       Status::Ok,
                       pageBody(request.listKey(), clients.contacts(request.actor(), id, query.page), query.page));
               }).query_params.reset();
    router.get(
        "/api/clients/{id}/jobs", Access::require(Permission::ClientsRead),
        [&clients](Request& request) {
            const auto id = request.pathId();
            const auto query = subListQuery(request, kJobStatuses);
            return Response::json(
                Status::Ok,
                pageBody(request.listKey(), clients.jobs(request.actor(), id, query.status, query.page), query.page));
        }).query_params.reset();
    router.get("/api/clients/{id}/projects", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   const auto id = request.pathId();
                   const auto query = subListQuery(request, kProjectStatuses);
                   return Response::json(
                       Status::Ok,
                       pageBody(request.listKey(), clients.projects(request.actor(), id, query.status, query.page),
                                query.page));
               }).query_params.reset();
    router.get("/api/clients/{id}/history", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   const auto id = request.pathId();
                   const auto query = subListQuery(request, {});
                   return Response::json(
                       Status::Ok,
                       pageBody(request.listKey(), clients.history(request.actor(), id, query.page), query.page));
               }).query_params.reset();
    router.get("/api/clients/{id}/summary", Access::require(Permission::ClientsRead),
               [&clients](Request& request) {
                   const auto facts = clients.summary(request.actor(), request.pathId());
                   return Response::json(Status::Ok, summaryJson(facts));
               });
}

}  // namespace crm::clients
