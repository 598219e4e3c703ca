#include "support/http_client.hpp"

#include "http/asio.hpp"

#include <strings.h>

namespace crm::test {
namespace {

using tcp = boost::asio::ip::tcp;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Blocking reads ignore Beast's expiry; the kernel's socket timeouts make a silent server fail
// the test instead of hanging it.
void setSocketTimeouts(tcp::socket& socket, int timeout_ms) {
    timeval timeout{};
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_usec = (timeout_ms % 1000) * 1000;
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (strcasecmp(key.c_str(), name.c_str()) == 0) {
            return value;
        }
    }
    return {};
}

bool HttpResponse::hasHeader(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (strcasecmp(key.c_str(), name.c_str()) == 0) {
            return true;
        }
    }
    return false;
}

HttpClient::HttpClient(unsigned short port, std::string host) : port_(port), host_(std::move(host)) {}

void HttpClient::setDefaultHeader(const std::string& name, const std::string& value) {
    default_headers_[name] = value;
}

void HttpClient::clearDefaultHeader(const std::string& name) {
    default_headers_.erase(name);
}

std::set<std::string> errorFields(const HttpResponse& response) {
    std::set<std::string> fields;
    const auto body = response.json();
    if (body.contains("errors")) {
        for (const auto& error : body.at("errors")) {
            fields.insert(error.at("field").get<std::string>());
        }
    }
    return fields;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::optional<std::string>& body,
                                 const std::map<std::string, std::string>& headers) const {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(net::ip::make_address(host_), port_));
    setSocketTimeouts(stream.socket(), 30000);

    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, host_ + ":" + std::to_string(port_));
    req.set(bhttp::field::user_agent, "crm-tests");
    for (const auto& [name, value] : default_headers_) {
        req.set(name, value);
    }
    if (body) {
        req.set(bhttp::field::content_type, "application/json");
        req.body() = *body;
    }
    for (const auto& [name, value] : headers) {
        if (value.empty()) {
            req.erase(name);
        } else {
            req.set(name, value);
        }
    }
    if (req.method() == bhttp::verb::unknown) {
        req.method_string(method);
    }
    req.prepare_payload();
    bhttp::write(stream, req);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(req.method() == bhttp::verb::head);
    bhttp::read(stream, buffer, parser);
    const auto& res = parser.get();

    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = res.body();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
}

HttpResponse HttpClient::get(const std::string& target,
                             const std::map<std::string, std::string>& headers) const {
    return request("GET", target, std::nullopt, headers);
}

HttpResponse HttpClient::post(const std::string& target, const nlohmann::json& body,
                              const std::map<std::string, std::string>& headers) const {
    return request("POST", target, body.dump(), headers);
}

HttpResponse HttpClient::put(const std::string& target, const nlohmann::json& body,
                             const std::map<std::string, std::string>& headers) const {
    return request("PUT", target, body.dump(), headers);
}

HttpResponse HttpClient::patch(const std::string& target, const nlohmann::json& body,
                               const std::map<std::string, std::string>& headers) const {
    return request("PATCH", target, body.dump(), headers);
}

HttpResponse HttpClient::del(const std::string& target,
                             const std::map<std::string, std::string>& headers) const {
    return request("DELETE", target, std::nullopt, headers);
}

std::string rawExchange(unsigned short port, const std::string& bytes, int timeout_ms,
                        bool* closed_by_server) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    setSocketTimeouts(stream.socket(), timeout_ms);
    beast::error_code ec;
    net::write(stream.socket(), net::buffer(bytes), ec);
    std::string out;
    std::array<char, 4096> chunk{};
    for (;;) {
        stream.expires_after(std::chrono::milliseconds(timeout_ms));
        const auto n = stream.read_some(net::buffer(chunk), ec);
        if (ec) {
            if (closed_by_server != nullptr) {
                *closed_by_server = ec == net::error::eof;
            }
            break;
        }
        out.append(chunk.data(), n);
    }
    return out;
}

}  // namespace crm::test
