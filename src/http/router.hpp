#pragma once

#include "http/message.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crm::http {

using Handler = std::function<Response(Request&)>;

/// What a route requires of its caller. Every route states one; there is no default.
struct Access {
    bool authenticated = true;
    std::optional<core::Permission> permission;
    /// Cheap handlers that touch neither PostgreSQL nor Redis may run on the I/O thread.
    bool run_inline = false;

    /// Anyone, no token.
    static Access open() { return Access{false, std::nullopt, false}; }
    /// Anyone, answered on the I/O thread (liveness, metrics, static documents).
    static Access openInline() { return Access{false, std::nullopt, true}; }
    /// Any signed-in user.
    static Access signedIn() { return Access{true, std::nullopt, false}; }
    /// A signed-in user whose role grants `permission`.
    static Access require(core::Permission permission) { return Access{true, permission, false}; }
};

struct Route {
    Method method;
    std::string path;  // template, e.g. /api/contacts/{id}
    Access access;
    Handler handler;
    /// Media types the body may have; empty means the route takes no body.
    std::vector<std::string> body_types{"application/json"};
    /// The query parameters a signed-in caller may send, each once (a 422 names any other, or
    /// one repeated, before the handler runs); none unless stated. Unset: the handler checks its own (the lists, whose
    /// parameters depend on one another). Routes open to anyone are not checked.
    std::optional<std::set<std::string, std::less<>>> query_params = std::set<std::string, std::less<>>{};
};

/// Method + path routing with `{name}` parameters; static segments win over parameters.
/// Paths under /api/v1/ are served by the routes registered under /api/.
class Router {
public:
    Router();
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// Registers a route. Throws std::logic_error on a duplicate method + template.
    Route& add(Method method, std::string path, Access access, Handler handler);
    Route& get(std::string path, Access access, Handler handler);
    Route& post(std::string path, Access access, Handler handler);
    Route& put(std::string path, Access access, Handler handler);
    Route& patch(std::string path, Access access, Handler handler);
    Route& del(std::string path, Access access, Handler handler);

    struct Match {
        const Route* route = nullptr;  // null: no route for this method
        std::map<std::string, std::string, std::less<>> params;
        bool path_exists = false;      // some method serves this path (405, not 404)
        std::vector<Method> allowed;
    };
    /// Finds the route for a decoded path. HEAD is served by GET.
    Match match(Method method, std::string_view path) const;

    /// Folds /api/v1/... onto /api/...
    static std::string canonicalPath(std::string_view path);

    /// Every registered route, in registration order.
    std::vector<const Route*> routes() const;

private:
    struct Node;
    std::unique_ptr<Node> root_;
    std::vector<const Route*> order_;
};

}  // namespace crm::http
