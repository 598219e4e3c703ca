#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace crm::test {

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The body parsed as JSON (throws when it is not JSON).
    nlohmann::json json() const { return nlohmann::json::parse(body); }
    /// A header value (case-insensitive name), or empty.
    std::string header(const std::string& name) const;
    bool hasHeader(const std::string& name) const;
};

/// A blocking HTTP/1.1 client for tests, one connection per request. Speaks to the server
/// under test exactly as any client would.
class HttpClient {
public:
    explicit HttpClient(unsigned short port, std::string host = "127.0.0.1");

    /// Headers sent with every request (e.g. Authorization).
    void setDefaultHeader(const std::string& name, const std::string& value);
    void clearDefaultHeader(const std::string& name);

    HttpResponse request(const std::string& method, const std::string& target,
                         const std::optional<std::string>& body = std::nullopt,
                         const std::map<std::string, std::string>& headers = {}) const;

    HttpResponse get(const std::string& target, const std::map<std::string, std::string>& headers = {}) const;
    HttpResponse post(const std::string& target, const nlohmann::json& body,
                      const std::map<std::string, std::string>& headers = {}) const;
    HttpResponse put(const std::string& target, const nlohmann::json& body,
                     const std::map<std::string, std::string>& headers = {}) const;
    HttpResponse patch(const std::string& target, const nlohmann::json& body,
                       const std::map<std::string, std::string>& headers = {}) const;
    HttpResponse del(const std::string& target, const std::map<std::string, std::string>& headers = {}) const;

    unsigned short port() const { return port_; }

private:
    unsigned short port_;
    std::string host_;
    std::map<std::string, std::string> default_headers_;
};

/// The fields a problem+json answer names in its `errors` (none when it has no `errors`).
std::set<std::string> errorFields(const HttpResponse& response);

/// Sends raw bytes and returns whatever the server answered before closing (for malformed
/// and slow requests). Gives up after `timeout_ms`.
std::string rawExchange(unsigned short port, const std::string& bytes, int timeout_ms = 5000,
                        bool* closed_by_server = nullptr);

}  // namespace crm::test
