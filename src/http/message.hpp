#pragma once

#include "core/access.hpp"
#include "core/error.hpp"
#include "core/query_params.hpp"
#include "core/request_meta.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Transport-neutral request and response: what route handlers see. No Beast types here.
namespace crm::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options };

std::string_view toString(Method method);
std::optional<Method> parseMethod(std::string_view text);

enum class Status : int {
    Ok = 200,
    Created = 201,
    Accepted = 202,
    NoContent = 204,
    NotModified = 304,
    BadRequest = 400,
    NotFound = 404,
    ServiceUnavailable = 503,
};

/// Header names compare case-insensitively.
class Headers {
public:
    void add(std::string name, std::string value);
    std::optional<std::string_view> get(std::string_view name) const;
    std::size_t count(std::string_view name) const;
    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

class Request {
public:
    Method method = Method::Get;
    std::string path;            // decoded path, with /api/v1 folded to /api
    core::QueryParams query;
    Headers headers;
    std::string body;
    std::string request_id;
    std::string client_ip;
    std::string route;           // the matched template, e.g. /api/contacts/{id}
    std::map<std::string, std::string, std::less<>> path_params;
    std::optional<core::Actor> authenticated;

    std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }

    /// Which list this is, for binding its cursors: the route template and its path values in
    /// lower case, so that `/api/v1/...`, a trailing slash or an upper-case id name the same list,
    /// and the caller's organisation (another organisation's cursor is not one of this list's).
    std::string listKey() const;

    /// The body as JSON. Throws 400 when it is empty or malformed (the media type was checked
    /// before the handler ran).
    const nlohmann::json& json() const;

    /// A path parameter; throws 404 when it is absent.
    const std::string& pathParam(std::string_view name) const;
    /// A path parameter that must be a UUID: anything else cannot name a row, so it is a 404.
    std::string pathId(std::string_view name = "id") const;

    /// The caller; throws 401 when the route ran without authentication.
    const core::Actor& actor() const;

    /// Request id, client address and user agent, for audit records.
    core::RequestMeta meta() const;

    /// What `If-Match` names when its tag is well formed but no version this API issued
    /// ("01", "x"): no record has it, so the precondition fails (412).
    static constexpr int kNoVersion = 0;

    /// The version from `If-Match: "N"` (or W/"N"); nullopt without the header or with `*`;
    /// kNoVersion for a tag this API never issued; 400 when it is not an entity tag at all.
    std::optional<int> ifMatchVersion() const;

private:
    mutable std::optional<nlohmann::json> json_;
};

struct Response {
    int status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(Status status, const nlohmann::json& body);
    static Response json(int status, const nlohmann::json& body);
    static Response noContent();
    static Response text(int status, std::string body, std::string content_type);

    Response& header(std::string name, std::string value);
    /// ETag "N" for a resource at version N.
    Response& etag(int version);
};

/// The one mapping from error codes to HTTP statuses (exhaustive, no default: -Wswitch).
int httpStatus(core::ErrorCode code);

/// The status's name as RFC 9110 writes it ("Content Too Large", not RFC 7231's "Payload Too
/// Large"): the status line's reason phrase and a problem's `title`.
std::string_view reasonPhrase(int status);

/// RFC 9457 problem+json for an error.
Response problem(const core::AppError& error, const std::string& request_id);

}  // namespace crm::http
