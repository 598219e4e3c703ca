#include "http/router.hpp"

#include <stdexcept>

namespace crm::http {

struct Router::Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::unique_ptr<Node> param_child;
    std::string param_name;
    std::map<Method, std::unique_ptr<Route>> routes;
};

namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start < path.size()) {
        if (path[start] == '/') {
            ++start;
            continue;
        }
        auto end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        segments.push_back(path.substr(start, end - start));
        start = end;
    }
    return segments;
}

bool isParam(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

Route& Router::add(Method method, std::string path, Access access, Handler handler) {
    Node* node = root_.get();
    for (const auto segment : splitPath(path)) {
        if (isParam(segment)) {
            const auto name = std::string(segment.substr(1, segment.size() - 2));
            if (!node->param_child) {
                node->param_child = std::make_unique<Node>();
                node->param_child->param_name = name;
            } else if (node->param_child->param_name != name) {
                throw std::logic_error("route " + path + " names a parameter differently from "
                                       "a route registered before it");
            }
            node = node->param_child.get();
        } else {
            auto& child = node->children[std::string(segment)];
            if (!child) {
                child = std::make_unique<Node>();
            }
            node = child.get();
        }
    }
    auto& slot = node->routes[method];
    if (slot) {
        throw std::logic_error("route registered twice: " + std::string(toString(method)) + " " +
                               path);
    }
    slot = std::make_unique<Route>(Route{method, std::move(path), access, std::move(handler)});
    if (method == Method::Get || method == Method::Delete || method == Method::Head) {
        slot->body_types.clear();
    }
    order_.push_back(slot.get());
    return *slot;
}

Route& Router::get(std::string path, Access access, Handler handler) {
    return add(Method::Get, std::move(path), access, std::move(handler));
}
Route& Router::post(std::string path, Access access, Handler handler) {
    return add(Method::Post, std::move(path), access, std::move(handler));
}
Route& Router::put(std::string path, Access access, Handler handler) {
    return add(Method::Put, std::move(path), access, std::move(handler));
}
Route& Router::patch(std::string path, Access access, Handler handler) {
    return add(Method::Patch, std::move(path), access, std::move(handler));
}
Route& Router::del(std::string path, Access access, Handler handler) {
    return add(Method::Delete, std::move(path), access, std::move(handler));
}

std::string Router::canonicalPath(std::string_view path) {
    constexpr std::string_view kVersioned = "/api/v1";
    if (path.rfind(kVersioned, 0) == 0 &&
        (path.size() == kVersioned.size() || path[kVersioned.size()] == '/')) {
        return "/api" + std::string(path.substr(kVersioned.size()));
    }
    return std::string(path);
}

namespace {

// Depth-first: a static segment is tried before the parameter, and a dead end backtracks.
template <class NodeT>
const NodeT* findNode(const NodeT* node, const std::vector<std::string_view>& segments,
                      std::size_t index,
                      std::vector<std::pair<std::string, std::string>>& params) {
    if (index == segments.size()) {
        return node->routes.empty() ? nullptr : node;
    }
    if (const auto it = node->children.find(segments[index]); it != node->children.end()) {
        if (const auto* found = findNode(it->second.get(), segments, index + 1, params)) {
            return found;
        }
    }
    if (node->param_child) {
        params.emplace_back(node->param_child->param_name, std::string(segments[index]));
        if (const auto* found = findNode(node->param_child.get(), segments, index + 1, params)) {
            return found;
        }
        params.pop_back();
    }
    return nullptr;
}

}  // namespace

Router::Match Router::match(Method method, std::string_view path) const {
    Match result;
    std::vector<std::pair<std::string, std::string>> params;
    const Node* node = findNode(root_.get(), splitPath(path), 0, params);
    if (node == nullptr) {
        return result;
    }
    result.params.insert(params.begin(), params.end());
    result.path_exists = true;
    for (const auto& [allowed, route] : node->routes) {
        result.allowed.push_back(allowed);
        if (allowed == Method::Get) {
            result.allowed.push_back(Method::Head);
        }
    }
    result.allowed.push_back(Method::Options);
    const auto lookup = method == Method::Head ? Method::Get : method;
    if (const auto it = node->routes.find(lookup); it != node->routes.end()) {
        result.route = it->second.get();
    }
    return result;
}

std::vector<const Route*> Router::routes() const {
    return order_;
}

}  // namespace crm::http
