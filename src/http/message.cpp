#include "http/message.hpp"

#include "core/ids.hpp"
#include "core/pagination.hpp"
#include "core/validation.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <strings.h>
#include <set>
#include <vector>

namespace crm::http {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 7> kMethods{{
    {Method::Get, "GET"},
    {Method::Head, "HEAD"},
    {Method::Post, "POST"},
    {Method::Put, "PUT"},
    {Method::Patch, "PATCH"},
    {Method::Delete, "DELETE"},
    {Method::Options, "OPTIONS"},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view typeSlug(core::ErrorCode code) {
    switch (code) {
        case core::ErrorCode::BadRequest: return "bad-request";
        case core::ErrorCode::Validation: return "validation";
        case core::ErrorCode::Unauthenticated: return "unauthenticated";
        case core::ErrorCode::Forbidden: return "forbidden";
        case core::ErrorCode::NotFound: return "not-found";
        case core::ErrorCode::MethodNotAllowed: return "method-not-allowed";
        case core::ErrorCode::Conflict: return "conflict";
        case core::ErrorCode::PreconditionFailed: return "precondition-failed";
        case core::ErrorCode::PreconditionRequired: return "precondition-required";
        case core::ErrorCode::TooLarge: return "too-large";
        case core::ErrorCode::HeaderTooLarge: return "header-too-large";
        case core::ErrorCode::UnsupportedMediaType: return "unsupported-media-type";
        case core::ErrorCode::RateLimited: return "rate-limited";
        case core::ErrorCode::NotImplemented: return "not-implemented";
        case core::ErrorCode::Unavailable: return "unavailable";
        case core::ErrorCode::Internal: return "internal";
    }
    return "internal";
}

}  // namespace

std::string_view toString(Method method) {
    for (const auto& [value, name] : kMethods) {
        if (value == method) {
            return name;
        }
    }
    return "GET";
}

std::optional<Method> parseMethod(std::string_view text) {
    for (const auto& [value, name] : kMethods) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

void Headers::add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
        if (equalsIgnoreCase(key, name)) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(), [name](const auto& item) {
        return equalsIgnoreCase(item.first, name);
    }));
}

const nlohmann::json& Request::json() const {
    if (!json_) {
        if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
            throw core::AppError::badRequest("A JSON request body is required");
        }
        // Copying or printing a JSON value recurses once per level of nesting: a body of a few
        // hundred kilobytes of '[' would overflow the stack. No request needs more than a few
        // levels, so deeper bodies are refused while parsing, before any copy.
        constexpr int kMaxDepth = 32;
        // A name given twice in one object is refused too: which of the two values a field
        // would take ("the last", here) is not something a sender should have to guess.
        std::vector<std::set<std::string>> names_of_open_objects;  // ordered: no hash an attacker can collide
        const auto checkShape = [&names_of_open_objects](int depth, nlohmann::json::parse_event_t event,
                                                         nlohmann::json& parsed) {
            using Event = nlohmann::json::parse_event_t;
            // `depth` counts the containers already open: starting one at 32 opens the 33rd.
            const bool opens = event == Event::object_start || event == Event::array_start;
            if (opens && depth >= kMaxDepth) {
                throw core::AppError::badRequest("The request body nests JSON deeper than " +
                                                 std::to_string(kMaxDepth) + " levels");
            }
            if (event == Event::object_start) {
                names_of_open_objects.emplace_back();
            } else if (event == Event::object_end) {
                names_of_open_objects.pop_back();
            } else if (event == Event::key && !names_of_open_objects.empty()) {
                auto& names = names_of_open_objects.back();
                auto name = parsed.get<std::string>();
                if (!names.insert(name).second) {
                    // The name is echoed: kept short, cut between two UTF-8 characters.
                    constexpr std::size_t kShownLength = 100;
                    const auto shown = name.size() > kShownLength
                                           ? core::validUtf8Prefix(name, kShownLength) + "…"
                                           : name;
                    throw core::AppError::badRequest(
                        "The request body gives \"" + shown + "\" twice in one object",
                        {core::FieldError{shown, "given twice"}});
                }
            }
            return true;
        };
        try {
            json_ = nlohmann::json::parse(body, checkShape);
        } catch (const nlohmann::json::parse_error& e) {
            throw core::AppError::badRequest(
                "The request body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
        } catch (const nlohmann::json::out_of_range&) {
            throw core::AppError::badRequest(
                "The request body has a number too large to read (more than about 1e308)");
        }
    }
    return *json_;
}

std::string Request::listKey() const {
    std::string key = route;
    for (const auto& [name, value] : path_params) {
        key += ' ';
        std::transform(value.begin(), value.end(), std::back_inserter(key),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    if (authenticated) {
        key += core::kListOrganisation;
        key += authenticated->org_id;
    }
    return key;
}

const std::string& Request::pathParam(std::string_view name) const {
    const auto it = path_params.find(name);
    if (it == path_params.end()) {
        throw core::AppError::notFound("Not found");
    }
    return it->second;
}

std::string Request::pathId(std::string_view name) const {
    const auto& value = pathParam(name);
    if (!core::isUuid(value)) {
        throw core::AppError::notFound("Not found");
    }
    return core::lowerUuid(value);
}

const core::Actor& Request::actor() const {
    if (!authenticated) {
        throw core::AppError::unauthenticated();
    }
    return *authenticated;
}

core::RequestMeta Request::meta() const {
    // Stored with sessions and audit rows: a header may carry any bytes, and a cut in the middle
    // of a character would make PostgreSQL refuse the whole write.
    return core::RequestMeta{request_id, client_ip,
                             core::validUtf8Prefix(header("User-Agent").value_or(""), 300)};
}

std::optional<int> Request::ifMatchVersion() const {
    auto value = header("If-Match");
    if (!value) {
        return std::nullopt;
    }
    auto text = *value;
    if (text == "*") {
        return std::nullopt;  // RFC 9110, 13.1.1: any current version; a missing record is a 404
    }
    if (text.rfind("W/", 0) == 0) {
        text.remove_prefix(2);
    }
    const bool quoted = text.size() >= 2 && text.front() == '"' && text.back() == '"';
    const auto tag = quoted ? text.substr(1, text.size() - 2) : std::string_view{};
    // RFC 9110, 8.8.3: etagc is any visible character but '"' (obs-text included).
    const bool well_formed = quoted && std::none_of(tag.begin(), tag.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u == '"' || u < 0x21 || u == 0x7F;
    });
    if (!well_formed) {
        throw core::AppError::badRequest("If-Match must be an ETag this API issued, such as \"3\"",
                                         {core::FieldError{"If-Match", "malformed ETag"}});
    }
    // Compared as the text it is (RFC 9110, 8.8.3.2): "01" or "x" is a well-formed tag that
    // matches no version, so the precondition fails (412), as for a stale one.
    int version = 0;
    const auto [ptr, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), version);
    const bool issued = ec == std::errc{} && ptr == tag.data() + tag.size() && version > 0 &&
                        !tag.empty() && tag.front() != '0';
    return issued ? version : kNoVersion;
}

Response Response::json(Status status, const nlohmann::json& body) {
    return json(static_cast<int>(status), body);
}

Response Response::json(int status, const nlohmann::json& body) {
    Response response;
    response.status = status;
    response.content_type = "application/json";
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

Response Response::noContent() {
    Response response;
    response.status = 204;
    return response;
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    response.content_type = std::move(content_type);
    return response;
}

Response& Response::header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

Response& Response::etag(int version) {
    return header("ETag", "\"" + std::to_string(version) + "\"");
}

int httpStatus(core::ErrorCode code) {
    switch (code) {
        case core::ErrorCode::BadRequest: return 400;
        case core::ErrorCode::Validation: return 422;
        case core::ErrorCode::Unauthenticated: return 401;
        case core::ErrorCode::Forbidden: return 403;
        case core::ErrorCode::NotFound: return 404;
        case core::ErrorCode::MethodNotAllowed: return 405;
        case core::ErrorCode::Conflict: return 409;
        case core::ErrorCode::PreconditionFailed: return 412;
        case core::ErrorCode::PreconditionRequired: return 428;
        case core::ErrorCode::TooLarge: return 413;
        case core::ErrorCode::HeaderTooLarge: return 431;
        case core::ErrorCode::UnsupportedMediaType: return 415;
        case core::ErrorCode::RateLimited: return 429;
        case core::ErrorCode::NotImplemented: return 501;
        case core::ErrorCode::Unavailable: return 503;
        case core::ErrorCode::Internal: return 500;
    }
    return 500;
}

std::string_view reasonPhrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 428: return "Precondition Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "";  // no status this API answers with; HTTP allows an empty phrase
    }
}

Response problem(const core::AppError& error, const std::string& request_id) {
    const int status = httpStatus(error.code());
    nlohmann::json body = error.extra();
    body["type"] = "https://shortcut-scale-x.dev/problems/" + std::string(typeSlug(error.code()));
    body["title"] = reasonPhrase(status);
    body["status"] = status;
    body["detail"] = error.message();
    body["request_id"] = request_id;
    if (!error.fields().empty()) {
        auto& errors = body["errors"] = nlohmann::json::array();
        for (const auto& field : error.fields()) {
            errors.push_back({{"field", field.field}, {"message", field.message}});
        }
    }
    auto response = Response::json(status, body);
    response.content_type = "application/problem+json";
    if (const auto seconds = error.retryAfterSeconds()) {
        response.header("Retry-After", std::to_string(*seconds));
    }
    if (status == 401) {
        response.header("WWW-Authenticate", "Bearer");
    }
    return response;
}

}  // namespace crm::http
