#include "http/server.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"
#include "db/errors.hpp"
#include "db/migrations.hpp"
#include "http/asio.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <strings.h>
#include <thread>
#include <unordered_map>

namespace crm::http {
namespace {

using net::awaitable;
using net::use_awaitable;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kHeaderLimitBytes = 16 * 1024;
constexpr std::size_t kMaxRequestIdLength = 128;
// What one read takes while waiting for a request to begin: a whole ordinary header, usually.
constexpr std::size_t kFirstReadBytes = 4096;

// The headers a browser may send cross-origin, and those it may read back.
constexpr const char kCorsAllowHeaders[] =
    "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id";
constexpr const char kCorsExposeHeaders[] =
    "X-Request-Id, ETag, Location, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
    "Retry-After, Idempotent-Replayed";

std::string_view view(beast::string_view text) {
    return {text.data(), text.size()};
}

std::string peerAddress(const tcp::socket& socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string("unknown") : endpoint.address().to_string();
}

bool isSaneRequestId(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':';
    });
}

bool isJsonMediaType(std::string_view content_type, const std::vector<std::string>& accepted) {
    const auto semicolon = content_type.find(';');
    auto media = std::string(content_type.substr(0, semicolon));
    media.erase(media.find_last_not_of(" \t") + 1);
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& type : accepted) {
        if (media == type) {
            return true;
        }
        // application/merge-patch+json and friends are JSON too.
        if (type == "application/json" && media.rfind("application/", 0) == 0 &&
            media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0) {
            return true;
        }
    }
    return false;
}

// JSON is UTF-8 (RFC 8259, 8.1): a body declared in another charset would be read as garbage,
// so it is refused as a type the route does not take. No charset parameter means UTF-8.
bool declaresOnlyUtf8(std::string_view content_type) {
    auto lower = std::string(content_type);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (auto at = lower.find(';'); at != std::string::npos; at = lower.find(';', at + 1)) {
        auto parameter = std::string_view(lower).substr(at + 1);
        parameter = parameter.substr(0, parameter.find(';'));
        parameter.remove_prefix(std::min(parameter.find_first_not_of(" \t"), parameter.size()));
        if (parameter.rfind("charset", 0) != 0) {
            continue;
        }
        auto value = parameter.substr(7);
        value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
        if (value.empty() || value.front() != '=') {
            continue;
        }
        value.remove_prefix(1);
        value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
        value = value.substr(0, value.find_last_not_of(" \t") + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        // US-ASCII text is UTF-8 text.
        if (value != "utf-8" && value != "utf8" && value != "us-ascii") {
            return false;
        }
    }
    return true;
}

// 422 naming the query parameters a route does not take, and those it takes given more than
// once (see Route::query_params): which of two values a switch such as ?allow_duplicate= obeys
// must not depend on the order a proxy or client appended them in.
void requireKnownQuery(const Route& route, const Request& request) {
    if (!route.query_params || !route.access.authenticated) {
        return;
    }
    core::FieldErrors errors;
    const auto& values = request.query.values();
    for (auto it = values.begin(); it != values.end(); it = values.upper_bound(it->first)) {
        const auto& name = it->first;
        if (route.query_params->count(name) == 0) {
            errors.add(name, "is not a parameter of this route");
        } else if (values.count(name) > 1) {
            errors.add(name, "must be given once");
        }
    }
    errors.throwIfAny();
}

// A whole number written as a fraction ("5.0", "5e0"), as the integer it is: serialisers
// differ in which they write, and the handlers read both as one value.
nlohmann::json withWholeNumbersAsIntegers(nlohmann::json value) {
    if (value.is_number_float()) {
        const double number = value.get<double>();
        constexpr double kLargestExactInteger = 9007199254740992.0;  // 2^53
        if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) <= kLargestExactInteger) {
            return nlohmann::json(static_cast<long long>(number));
        }
        return value;
    }
    if (value.is_structured()) {
        for (auto& item : value) {
            item = withWholeNumbersAsIntegers(std::move(item));
        }
    }
    return value;
}

// The body as its meaning: a retry that a client serialised again (other key order, other
// spacing or escapes, 5.0 for 5) is the same request. Names are sorted (nlohmann's objects are
// ordered maps). A body that is not JSON is compared byte for byte; the handler refuses it anyway.
std::string canonicalBody(const Request& request) {
    try {
        return withWholeNumbersAsIntegers(request.json())
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const core::AppError&) {
        return request.body;
    }
}

// What makes two requests with one Idempotency-Key the same request: the path, the parameters
// that change what it does (?allow_duplicate=true), its precondition (a retry with a corrected
// If-Match is another request, not a replay of the 412), and the body (`body`: its text as
// compared). `previous_release`: as the release before this one took it, which compared the body
// byte for byte and kept a tag it never issued ("04") as sent.
std::string fingerprintOf(const std::string& where, const Request& request, bool previous_release) {
    std::string text = where + "\n";
    for (const auto& [name, value] : request.query.values()) {  // length-prefixed: no collisions
        text += std::to_string(name.size()) + ":" + name + std::to_string(value.size()) + ":" + value;
    }
    // The version If-Match names, as the handler reads it ("3" and W/"3" are one precondition);
    // a malformed one is kept as sent (the handler refuses it anyway).
    std::string precondition(request.header("If-Match").value_or(""));
    try {
        const auto version = request.ifMatchVersion();
        if (version && !(previous_release && *version == Request::kNoVersion)) {
            precondition = std::to_string(*version);
        }
    } catch (const core::AppError&) {
    }
    const auto body = previous_release ? request.body : canonicalBody(request);
    return db::sha256Hex(text + "\n" + precondition + "\n" + body);
}

// The route and its parameters rather than the path as sent: /api/v1/x and /api/x are one
// operation, and an id is one record in either case.
std::string operationOf(const Route& route, const Request& request) {
    std::string where = route.path + "\n";
    for (const auto& [name, value] : request.path_params) {
        const auto id = core::isUuid(value) ? core::lowerUuid(value) : value;
        where += std::to_string(name.size()) + ":" + name + std::to_string(id.size()) + ":" + id;
    }
    return where;
}

std::string idempotencyFingerprint(const Route& route, const Request& request) {
    return fingerprintOf(operationOf(route, request), request, false);
}

// The fingerprint as the release before this one took it: a retry that reaches this release
// after its first attempt reached the previous one is still the same request. Answers are kept
// 24 hours; this goes in the release after.
std::string formerIdempotencyFingerprint(const Route& route, const Request& request) {
    return fingerprintOf(operationOf(route, request), request, true);
}

// Whether the request carried a bearer token at all (the scheme is case-insensitive).
bool sentBearerToken(const Request& request) {
    const auto authorization = request.header("Authorization").value_or("");
    return authorization.size() > 7 && strncasecmp(authorization.data(), "Bearer ", 7) == 0;
}

// 415 for a body the route does not read, in a media type it does not take.
void requireBodyType(const Route& route, const Request& request) {
    if (request.body.empty() || route.body_types.empty()) {
        return;
    }
    const auto content_type = request.header("Content-Type");
    if (!content_type || !isJsonMediaType(*content_type, route.body_types)) {
        throw core::AppError(core::ErrorCode::UnsupportedMediaType,
                             "The request body must be sent as " + route.body_types.front());
    }
    if (!declaresOnlyUtf8(*content_type)) {
        throw core::AppError(core::ErrorCode::UnsupportedMediaType,
                             "The request body must be UTF-8 (charset=utf-8, or no charset)");
    }
}

std::string joinMethods(const std::vector<Method>& methods) {
    std::string out;
    for (const auto method : methods) {
        out += (out.empty() ? "" : ", ") + std::string(toString(method));
    }
    return out;
}

bool hasHeader(const Response& response, std::string_view name) {
    return std::any_of(response.headers.begin(), response.headers.end(), [&](const auto& h) {
        return h.first.size() == name.size() &&
               std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) ==
                          std::tolower(static_cast<unsigned char>(b));
               });
    });
}

// The headers every answer carries, however it was made; a handler's own X-Frame-Options or
// Cache-Control (the documentation files are cacheable) stays.
void addSecurityHeaders(Response& response) {
    response.header("X-Content-Type-Options", "nosniff");
    response.header("Referrer-Policy", "no-referrer");
    if (!hasHeader(response, "X-Frame-Options")) {
        response.header("X-Frame-Options", "DENY");
    }
    if (!hasHeader(response, "Cache-Control")) {
        response.header("Cache-Control", "no-store");
    }
}

// After refusing a body without reading it, read and discard what the client still sends for a
// moment: closing with unread data makes the kernel send RST, and many clients then lose the
// 413 they were sent.
awaitable<void> drainUnreadBody(beast::tcp_stream& stream) {
    constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16 * 1024> scratch{};
    std::size_t total = 0;
    while (total < kMaxDrainBytes) {
        const auto n = co_await stream.async_read_some(net::buffer(scratch),
                                                       net::redirect_error(use_awaitable, ec));
        if (ec) {
            break;
        }
        total += n;
    }
}

// A request Beast could not read as HTTP/1.1, as the problem to answer it with; nullopt when
// the connection simply ended (closed, timed out, cut mid-message), where no one is listening.
std::optional<core::AppError> malformedRequest(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) {
        return core::AppError(core::ErrorCode::HeaderTooLarge,
                              "The request header is larger than " +
                                  std::to_string(kHeaderLimitBytes / 1024) + " KiB");
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
        ec != bhttp::error::body_limit) {
        return core::AppError::badRequest("The request is not valid HTTP/1.1: " + ec.message());
    }
    return std::nullopt;
}

// A response as it goes on the wire: the status line and header block, written by hand, and
// the body. Beast's field container and serializer cost the server more per request than the
// handler's JSON (profiled on a get by id), and the server only ever sends complete bodies.
struct WireResponse {
    std::string head;
    std::string body;

    std::array<net::const_buffer, 2> buffers() const {
        return {net::buffer(head), net::buffer(body)};
    }
};

void appendField(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    const auto start = out.size();
    out.append(value);
    // No value the server sets can hold a line break today; should one ever carry a client's
    // text, it must not end the header early and start one of the client's choosing.
    for (auto i = start; i < out.size(); ++i) {
        if (out[i] == '\r' || out[i] == '\n' || out[i] == '\0') {
            out[i] = ' ';
        }
    }
    out.append("\r\n");
}

// The IMF-fixdate of now (RFC 9110, 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT"), which an origin
// server with a clock must send as Date (6.6.1). Written once a second per thread, in English
// whatever the process locale.
std::string_view httpDate() {
    thread_local std::time_t written = -1;
    thread_local std::array<char, 32> text{};
    const auto now = std::time(nullptr);
    if (now != written) {
        static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm utc{};
        gmtime_r(&now, &utc);
        std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays.at(utc.tm_wday),
                      utc.tm_mday, kMonths.at(utc.tm_mon), utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                      utc.tm_sec);
        written = now;
    }
    return text.data();
}

// `keep_alive` as Beast would mark it: HTTP/1.1 stays open unless told "close", HTTP/1.0 closes
// unless told "keep-alive". A HEAD answer carries the length its GET would have, no body.
WireResponse wireResponse(Response response, unsigned version, bool keep_alive, bool head_request) {
    WireResponse out;
    out.head.reserve(512);
    out.head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out.head += std::to_string(response.status);
    out.head += ' ';
    out.head += reasonPhrase(response.status);
    out.head += "\r\n";
    appendField(out.head, "Date", httpDate());
    appendField(out.head, "Server", "shortcut-scale-x");
    if (!response.content_type.empty()) {
        appendField(out.head, "Content-Type", response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
        appendField(out.head, name, value);
    }
    if (version == 10 && keep_alive) {
        appendField(out.head, "Connection", "keep-alive");
    } else if (version != 10 && !keep_alive) {
        appendField(out.head, "Connection", "close");
    }
    // No length and no body on 204 and 304, as RFC 9110 asks.
    if (response.status != 204 && response.status != 304) {
        appendField(out.head, "Content-Length", std::to_string(response.body.size()));
        if (!head_request) {
            out.body = std::move(response.body);
        }
    }
    out.head += "\r\n";
    return out;
}

// The problem answering a connection the server will not serve further, marked to close.
WireResponse refusal(const core::AppError& error) {
    const auto request_id = core::newUuidV7();
    auto answer = problem(error, request_id);
    answer.header("X-Request-Id", request_id);
    addSecurityHeaders(answer);  // HSTS aside: these go out before any request was read
    return wireResponse(std::move(answer), 11, false, false);
}

// Answers a request that could not be read, then the connection closes: what follows it on the
// wire cannot be trusted to start a request.
awaitable<void> writeRefusal(beast::tcp_stream& stream, const core::AppError& error) {
    const auto out = refusal(error);
    beast::error_code ec;
    stream.expires_after(std::chrono::seconds(5));
    co_await net::async_write(stream, out.buffers(), net::redirect_error(use_awaitable, ec));
}

// RFC 9112, 6.1 and 6.3: chunked is the one transfer coding this server decodes. A body whose
// codings do not end in exactly one chunked has no knowable end (a 400, and the connection must
// close, or the rest would be read as the next request); other codings before it, such as gzip,
// would reach the handler still encoded (a 501).
std::optional<core::AppError> refusedTransferCoding(const bhttp::request_header<>& header) {
    if (header.find(bhttp::field::transfer_encoding) == header.end()) {
        return std::nullopt;
    }
    std::vector<std::string> codings;
    for (auto [it, end] = header.equal_range(bhttp::field::transfer_encoding); it != end; ++it) {
        for (const auto& token : bhttp::token_list{it->value()}) {
            codings.emplace_back(view(token));
        }
    }
    const auto is_chunked = [](const std::string& coding) { return beast::iequals(coding, "chunked"); };
    if (codings.empty() || !is_chunked(codings.back()) ||
        std::count_if(codings.begin(), codings.end(), is_chunked) > 1) {
        return core::AppError::badRequest("Transfer-Encoding must end in chunked, once");
    }
    if (codings.size() > 1) {
        return core::AppError(core::ErrorCode::NotImplemented,
                              "Transfer-Encoding " + codings.front() +
                                  " is not supported: send the body chunked or with Content-Length");
    }
    return std::nullopt;
}

// The path and query of a request target. RFC 9112, 3.2.2: a server must accept the absolute
// form (`http://host/path?q`), which a client sends to a proxy and a proxy may pass on.
std::string_view originForm(std::string_view target) {
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (target.size() > scheme.size() && beast::iequals(beast::string_view(target.data(), scheme.size()),
                                                           beast::string_view(scheme.data(), scheme.size()))) {
            const auto path = target.find_first_of("/?", scheme.size());
            return path == std::string_view::npos ? std::string_view("/") : target.substr(path);
        }
    }
    return target;
}

// Headers the API acts on that a request may carry once. Sent twice, a proxy in front could act on
// one and this server on the other (RFC 9110, 5.3; for Host RFC 9112, 3.2).
void refuseRepeatedSingletons(const Headers& headers) {
    static constexpr std::array<std::string_view, 5> kSingletons{
        "Host", "Authorization", "Content-Type", "If-Match", "Idempotency-Key"};
    for (const auto name : kSingletons) {
        if (headers.count(name) > 1) {
            throw core::AppError::badRequest(std::string(name) + " must be sent once",
                                             {core::FieldError{std::string(name), "sent more than once"}});
        }
    }
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
public:
    Impl(ServerOptions options, const Router& router, Guard guard, core::Metrics& metrics)
        : options_(std::move(options)),
          router_(router),
          guard_(std::move(guard)),
          metrics_(metrics),
          io_(options_.io_threads),
          workers_(static_cast<std::size_t>(options_.worker_threads)),
          acceptor_(net::make_strand(io_)) {}

    void start();
    unsigned short port() const { return bound_port_; }
    void runUntilSignal();
    void stop();

private:
    class Session;

    awaitable<void> acceptLoop();
    awaitable<void> serve(std::shared_ptr<Session> session);
    awaitable<Response> dispatch(Request& request, Method method_or_get, bool method_known);
    template <typename Work>
    awaitable<Response> onWorkers(Work work);
    Response runGuarded(const Route& route, Request& request);
    Response runIdempotent(const Route& route, Request& request);
    Response runHandler(const Route& route, Request& request);
    Response errorResponse(const std::exception& error, const Request& request);
    void finish(Response& response, const Request& request, const std::optional<std::string>& origin);
    void addCors(Response& response, const std::string& origin) const;
    bool originAllowed(const std::string& origin) const;
    std::string clientIp(const bhttp::request<bhttp::string_body>& raw, const std::string& peer_ip) const;
    std::size_t connectionCount();
    template <typename Socket>
    void refuseConnection(Socket& socket);
    void sessionOpened(const std::shared_ptr<Session>& session);
    void sessionClosed(Session* session);

    ServerOptions options_;
    const Router& router_;
    Guard guard_;
    core::Metrics& metrics_;
    core::log::Throttle failure_log_{std::chrono::seconds(1)};  // 5xx lines, per status and route
    net::io_context io_;
    net::thread_pool workers_;
    tcp::acceptor acceptor_;
    std::vector<std::thread> io_threads_;
    unsigned short bound_port_ = 0;

    std::atomic<bool> stopping_{false};
    std::mutex sessions_mutex_;
    std::condition_variable sessions_done_;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
    std::once_flag stop_once_;
};

// One TCP connection. Its coroutine runs on its own strand, so the shutdown path can post
// "close if idle" without racing the reads.
class Server::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket) : peer_ip(peerAddress(socket)), stream(std::move(socket)) {}

    const std::string peer_ip;  // read once: a getpeername() per request showed in profiles
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool idle = true;  // waiting for the next request: safe to close on shutdown
};

void Server::Impl::start() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec) {
        throw std::runtime_error("CRM_HOST '" + options_.host + "' is not an IP address");
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw std::runtime_error("cannot listen on " + options_.host + ":" +
                                 std::to_string(options_.port) + ": " + ec.message());
    }
    bound_port_ = acceptor_.local_endpoint().port();
    net::co_spawn(acceptor_.get_executor(), acceptLoop(), net::detached);
    for (int i = 0; i < options_.io_threads; ++i) {
        io_threads_.emplace_back([this] { io_.run(); });
    }
}

awaitable<void> Server::Impl::acceptLoop() {
    for (;;) {
        beast::error_code ec;
        auto socket = co_await acceptor_.async_accept(net::make_strand(io_),
                                                      net::redirect_error(use_awaitable, ec));
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of file descriptors (EMFILE) the listening socket stays readable and accept
            // fails again at once: pause instead of spinning and flooding the log.
            if (const auto held_back = failure_log_.admit("accept")) {
                core::log::warn("accept failed",
                                {{"error", ec.message()}, {"similar_lines_held_back", *held_back}});
            }
            net::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(net::redirect_error(use_awaitable, ec));
            continue;
        }
        if (connectionCount() >= static_cast<std::size_t>(options_.max_connections)) {
            refuseConnection(socket);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(std::move(socket));
        sessionOpened(session);
        net::co_spawn(session->stream.get_executor(), serve(session), net::detached);
    }
}

std::size_t Server::Impl::connectionCount() {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
}

// A best-effort 503 on a connection over CRM_MAX_CONNECTIONS, written without waiting (a fresh
// socket's buffer takes it), then closed: a client that holds connections open cannot make
// the server run out of file descriptors and stop accepting everyone.
template <typename Socket>
void Server::Impl::refuseConnection(Socket& socket) {
    beast::error_code ec;
    socket.non_blocking(true, ec);
    const auto out = refusal(core::AppError::unavailable(
        "The server has too many open connections; retry shortly", "", 1));
    net::write(socket, out.buffers(), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
    if (const auto held_back = failure_log_.admit("max_connections")) {
        core::log::warn("connection refused: CRM_MAX_CONNECTIONS reached",
                        {{"max_connections", static_cast<std::int64_t>(options_.max_connections)},
                         {"similar_lines_held_back", *held_back}});
    }
}

void Server::Impl::sessionOpened(const std::shared_ptr<Session>& session) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(session.get(), session);
}

void Server::Impl::sessionClosed(Session* session) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(session);
    if (sessions_.empty()) {
        sessions_done_.notify_all();
    }
}

awaitable<void> Server::Impl::serve(std::shared_ptr<Session> session) {
    auto& stream = session->stream;
    beast::error_code ec;
    while (!stopping_) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(kHeaderLimitBytes);
        // Beast refuses an oversized Content-Length while parsing the header, which would
        // leave us no request to answer; the limit is checked by hand, then set for the body.
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());

        session->idle = true;
        if (session->buffer.size() == 0) {
            // The wait for a request's first bytes has the idle timeout; the rest of its header
            // then has the shorter header timeout, so a header sent a byte at a time cannot
            // hold a connection for the whole idle time.
            stream.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
            const auto received = co_await stream.async_read_some(
                session->buffer.prepare(kFirstReadBytes), net::redirect_error(use_awaitable, ec));
            session->buffer.commit(received);
            if (ec) {
                break;  // end of stream, idle timeout or shutdown: close quietly
            }
        }
        // A request has begun: from here it is answered, even if a shutdown starts while the
        // rest of its header arrives (within the header timeout, inside the shutdown grace).
        session->idle = false;
        stream.expires_after(std::chrono::seconds(options_.header_timeout_seconds));
        co_await bhttp::async_read_header(stream, session->buffer, parser,
                                          net::redirect_error(use_awaitable, ec));
        if (ec) {
            // End of stream, header timeout or shutdown: close quietly. Garbage gets its 4xx.
            if (const auto refusal = malformedRequest(ec)) {
                co_await writeRefusal(stream, *refusal);
            }
            break;
        }
        const auto started = Clock::now();
        metrics_.requestStarted();

        Request request;
        request.request_id = core::newUuidV7();
        if (const auto it = parser.get().find("X-Request-Id"); it != parser.get().end()) {
            if (isSaneRequestId(view(it->value()))) {
                request.request_id = std::string(view(it->value()));
            }
        }
        bool keep_alive = parser.get().keep_alive();
        Response response;
        bool read_body = true;
        const auto declared = parser.content_length();
        if (auto refused = refusedTransferCoding(parser.get())) {
            response = problem(*refused, request.request_id);
            keep_alive = false;
            read_body = false;
        } else if (declared && *declared > options_.max_body_bytes) {
            // Refuse before reading: the client learns at once and we never buffer it.
            response = problem(core::AppError(core::ErrorCode::TooLarge,
                                              "The request body is larger than " +
                                                  std::to_string(options_.max_body_bytes) +
                                                  " bytes"),
                               request.request_id);
            keep_alive = false;
            read_body = false;
        } else if (bhttp::token_list{parser.get()[bhttp::field::expect]}.exists("100-continue")) {
            bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
            stream.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
            co_await bhttp::async_write(stream, go_on, net::redirect_error(use_awaitable, ec));
            if (ec) {
                metrics_.requestFinished();
                break;
            }
        }
        if (read_body) {
            parser.body_limit(options_.max_body_bytes);
            stream.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
            co_await bhttp::async_read(stream, session->buffer, parser,
                                       net::redirect_error(use_awaitable, ec));
            if (ec == bhttp::error::body_limit) {
                response = problem(core::AppError(core::ErrorCode::TooLarge,
                                                  "The request body is larger than " +
                                                      std::to_string(options_.max_body_bytes) +
                                                      " bytes"),
                                   request.request_id);
                keep_alive = false;
                read_body = false;
            } else if (ec) {
                metrics_.requestFinished();
                if (const auto refusal = malformedRequest(ec)) {
                    co_await writeRefusal(stream, *refusal);  // a broken chunked body, say
                }
                break;  // the client went away or was too slow
            }
        }

        auto& raw = parser.get();
        const auto method = parseMethod(view(raw.method_string()));
        request.method = method.value_or(Method::Get);
        request.client_ip = clientIp(raw, session->peer_ip);
        for (const auto& field : raw) {
            request.headers.add(std::string(view(field.name_string())),
                                std::string(view(field.value())));
        }
        const std::string_view target = originForm(view(raw.target()));
        const auto question = target.find('?');
        const auto decoded = core::percentDecode(target.substr(0, question), false);
        request.path = Router::canonicalPath(decoded.value_or(std::string(target.substr(0, question))));
        if (read_body) {
            request.body = std::move(raw.body());
            try {
                if (question != std::string_view::npos) {
                    request.query = core::QueryParams::parse(target.substr(question + 1)).composed();
                }
                if (!decoded) {
                    throw core::AppError::badRequest("The request path has a malformed escape");
                }
                if (raw.version() >= 11 && raw.find(bhttp::field::host) == raw.end()) {
                    // RFC 9112, 3.2: a proxy in front routes by it, so its absence is an error.
                    throw core::AppError::badRequest("An HTTP/1.1 request must carry a Host header");
                }
                refuseRepeatedSingletons(request.headers);
                response = co_await dispatch(request, request.method, method.has_value());
            } catch (const std::exception& error) {
                response = errorResponse(error, request);
            }
        }
        std::optional<std::string> origin;
        if (const auto value = request.header("Origin")) {
            origin = std::string(*value);
        }
        finish(response, request, origin);

        const bool keep_open = keep_alive && !stopping_;
        const auto status = response.status;
        const auto out = wireResponse(std::move(response), raw.version(), keep_open,
                                      request.method == Method::Head);

        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        metrics_.observeRequest(toString(request.method),
                                request.route.empty() ? "unmatched" : request.route,
                                status, seconds);
        metrics_.requestFinished();
        if (options_.access_log) {
            const bool known = request.authenticated.has_value();
            core::log::writeFlat(
                core::log::Level::Info, "request",
                {{"method", toString(request.method)},
                 {"path", request.path},
                 {"route", request.route.empty() ? core::log::Field::Value{nullptr}
                                                 : core::log::Field::Value{std::string_view(request.route)}},
                 {"status", static_cast<std::int64_t>(status)},
                 {"duration_ms", seconds * 1000.0},
                 {"request_id", request.request_id},
                 {"ip", request.client_ip},
                 {"user_id", known ? core::log::Field::Value{std::string_view(request.authenticated->user_id)}
                                   : core::log::Field::Value{nullptr}},
                 {"org_id", known ? core::log::Field::Value{std::string_view(request.authenticated->org_id)}
                                  : core::log::Field::Value{nullptr}}});
        }

        stream.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
        co_await net::async_write(stream, out.buffers(), net::redirect_error(use_awaitable, ec));
        if (!ec && !read_body) {
            co_await drainUnreadBody(stream);
            break;
        }
        if (ec || !keep_open) {
            break;
        }
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
    sessionClosed(session.get());
}

awaitable<Response> Server::Impl::dispatch(Request& request, Method method, bool method_known) {
    const auto origin = request.header("Origin");
    const auto preflight_method = request.header("Access-Control-Request-Method");
    if (method == Method::Options && origin && preflight_method) {
        const auto match = router_.match(parseMethod(*preflight_method).value_or(Method::Get),
                                         request.path);
        if (!match.path_exists) {
            throw core::AppError::notFound("No route for " + request.path);
        }
        if (!originAllowed(std::string(*origin))) {
            throw core::AppError::forbidden("Origin " + std::string(*origin) + " is not allowed");
        }
        auto response = Response::noContent();
        response.header("Access-Control-Allow-Methods", joinMethods(match.allowed));
        response.header("Access-Control-Allow-Headers", kCorsAllowHeaders);
        response.header("Access-Control-Max-Age", "600");
        co_return response;
    }

    const auto match = router_.match(method, request.path);
    if (!match.path_exists) {
        throw core::AppError::notFound("No route for " + request.path);
    }
    if (method == Method::Options) {
        auto response = Response::noContent();
        response.header("Allow", joinMethods(match.allowed));
        co_return response;
    }
    if (!method_known || match.route == nullptr) {
        auto error = core::AppError(core::ErrorCode::MethodNotAllowed,
                                    "This path does not accept that method");
        auto response = problem(error, request.request_id);
        response.header("Allow", joinMethods(match.allowed));
        co_return response;
    }
    const Route& route = *match.route;
    request.route = route.path;
    request.path_params = match.params;

    if (route.access.run_inline) {
        requireBodyType(route, request);
        co_return route.handler(request);
    }
    // Hop to the worker pool for the guard and the handler, then back to this connection's
    // strand to write: business code may block, the event loop must not.
    co_return co_await onWorkers([this, &route, &request]() -> Response {
        try {
            return runGuarded(route, request);
        } catch (const std::exception& error) {
            return errorResponse(error, request);
        }
    });
}

// Runs `work` on the worker pool and resumes the calling coroutine on its own strand with the
// result. A plain post there and back: cheaper than co_spawn, which builds a second coroutine
// frame and its bookkeeping for every request.
template <typename Work>
awaitable<Response> Server::Impl::onWorkers(Work work) {
    return net::async_initiate<decltype(use_awaitable), void(Response)>(
        [this](auto handler, Work job) {
            net::post(workers_, [handler = std::move(handler), job = std::move(job)]() mutable {
                Response response = job();
                auto home = net::get_associated_executor(handler);
                net::post(home, [handler = std::move(handler), response = std::move(response)]() mutable {
                    std::move(handler)(std::move(response));
                });
            });
        },
        use_awaitable, std::move(work));
}

Response Server::Impl::runGuarded(const Route& route, Request& request) {
    // A request whose token fails still counts against its address's limit, so guessing
    // tokens is throttled like any other traffic.
    std::optional<core::AppError> refused;
    if (route.access.authenticated) {
        if (!guard_.authenticate) {
            throw core::AppError::unauthenticated();
        }
        try {
            request.authenticated = guard_.authenticate(request);
        } catch (const core::AppError& error) {
            refused = error;
        }
    }
    RateDecision decision;
    if (guard_.limit) {
        decision = guard_.limit(request, request.authenticated ? &*request.authenticated : nullptr);
    }
    if (!decision.allowed) {
        auto error = core::AppError(core::ErrorCode::RateLimited,
                                    "Too many requests; retry after " +
                                        std::to_string(decision.retry_after_seconds) + " s");
        error.withRetryAfter(decision.retry_after_seconds);
        auto response = problem(error, request.request_id);
        response.headers.insert(response.headers.end(), decision.headers.begin(),
                                decision.headers.end());
        return response;
    }
    if (refused) {
        auto response = errorResponse(*refused, request);
        if (response.status == 401 && sentBearerToken(request)) {
            // RFC 6750, 3.1: the token sent is the problem (expired, revoked, forged), so the
            // client knows to refresh it rather than to ask the user for credentials.
            for (auto& [name, value] : response.headers) {
                if (name == "WWW-Authenticate") {
                    value = "Bearer error=\"invalid_token\"";
                }
            }
        }
        response.headers.insert(response.headers.end(), decision.headers.begin(),
                                decision.headers.end());
        return response;
    }
    Response response;
    try {
        if (route.access.permission && !request.authenticated->can(*route.access.permission)) {
            throw core::AppError::forbidden("Your role may not " +
                                            std::string(core::toString(*route.access.permission)));
        }
        // After the caller is known: a stranger learns nothing about a route's body from a 415.
        requireKnownQuery(route, request);
        requireBodyType(route, request);
        response = runIdempotent(route, request);
    } catch (const std::exception& error) {
        response = errorResponse(error, request);  // errors carry the limit headers too
    }
    // A 429 of the handler's own (sign-in attempts, a locked account) is not this limit: its
    // RateLimit-Remaining would contradict the refusal. Retry-After says when to come back.
    if (response.status != 429) {
        response.headers.insert(response.headers.end(), decision.headers.begin(),
                                decision.headers.end());
    }
    return response;
}

namespace {

constexpr std::size_t kMaxIdempotencyKeyLength = 255;

std::string serializeAnswer(const Response& response) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [name, value] : response.headers) {
        if (name == "ETag" || name == "Location") {
            headers.push_back({name, value});
        }
    }
    return nlohmann::json{{"status", response.status},
                          {"content_type", response.content_type},
                          {"headers", headers},
                          {"body", response.body}}
        .dump();
}

Response deserializeAnswer(const std::string& stored) {
    const auto json = nlohmann::json::parse(stored);
    Response response;
    response.status = json.at("status").get<int>();
    response.content_type = json.at("content_type").get<std::string>();
    response.body = json.at("body").get<std::string>();
    for (const auto& header : json.at("headers")) {
        response.header(header.at(0).get<std::string>(), header.at(1).get<std::string>());
    }
    response.header("Idempotent-Replayed", "true");
    return response;
}

}  // namespace

// A POST carrying `Idempotency-Key` runs once per caller and key: a retry gets the first answer
// (marked `Idempotent-Replayed: true`), a retry while the first is still running gets 409, and
// the same key with another body 422.
Response Server::Impl::runIdempotent(const Route& route, Request& request) {
    const auto key = request.header("Idempotency-Key");
    if (!key || request.method != Method::Post || !request.authenticated || !guard_.idempotency) {
        return runHandler(route, request);
    }
    if (key->empty() || key->size() > kMaxIdempotencyKeyLength ||
        !std::all_of(key->begin(), key->end(), [](char c) { return c > 32 && c < 127; })) {
        throw core::AppError::badRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            {core::FieldError{"Idempotency-Key", "malformed"}});
    }
    const auto& scope = request.authenticated->user_id;
    const auto fingerprint = idempotencyFingerprint(route, request);
    const std::string id(*key);
    const auto claim = guard_.idempotency->claim(scope, id, fingerprint,
                                                 formerIdempotencyFingerprint(route, request));
    switch (claim.state) {
        case kv::IdempotencyClaim::State::Replay:
            return deserializeAnswer(claim.stored);
        case kv::IdempotencyClaim::State::InProgress:
            throw core::AppError::conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly");
        case kv::IdempotencyClaim::State::Mismatch:
            throw core::AppError::invalidField("Idempotency-Key",
                                               "was already used for a different request");
        case kv::IdempotencyClaim::State::New:
            break;
    }
    Response response;
    try {
        response = runHandler(route, request);
    } catch (const std::exception& error) {
        response = errorResponse(error, request);
    }
    // Server-side failures may succeed on retry; everything else is the request's answer.
    if (response.status >= 500) {
        guard_.idempotency->release(scope, id);
    } else {
        guard_.idempotency->complete(scope, id, fingerprint, serializeAnswer(response));
    }
    return response;
}

// PostgreSQL settles a deadlock or a serialization failure by rolling one of the transactions
// back whole. Nothing of it was saved, so the server runs the handler again instead of handing
// the caller a 503 to retry: a few times at most, each after a short random pause so the two
// do not meet again in step.
Response Server::Impl::runHandler(const Route& route, Request& request) {
    constexpr int kMaxRuns = 3;
    for (int run = 1;; ++run) {
        try {
            return route.handler(request);
        } catch (const std::exception& error) {
            if (run == kMaxRuns || !db::wasRolledBack(error)) {
                throw;
            }
            core::log::info("transaction rolled back by the database; running the request again",
                            {{"request_id", request.request_id}, {"route", request.route},
                             {"run", run}, {"error", error.what()}});
        }
        thread_local std::minstd_rand random(std::random_device{}());
        std::uniform_int_distribution<int> pause_ms(5, 25 * run);
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    }
}

Response Server::Impl::errorResponse(const std::exception& error, const Request& request) {
    const auto* app = dynamic_cast<const core::AppError*>(&error);
    std::optional<core::AppError> translated;
    if (app == nullptr) {
        translated = db::translate(error);
        app = translated ? &*translated : nullptr;
    }
    if (app == nullptr) {
        if (const auto held_back = failure_log_.admit("500 " + request.route)) {
            core::log::error("unhandled exception",
                             {{"request_id", request.request_id}, {"route", request.route},
                              {"error", error.what()}, {"similar_lines_held_back", *held_back}});
        }
        return problem(core::AppError::internal(error.what()), request.request_id);
    }
    const int status = httpStatus(app->code());
    if (status >= 500) {
        if (const auto held_back = failure_log_.admit(std::to_string(status) + " " + request.route)) {
            core::log::error("request failed", {{"request_id", request.request_id},
                                                {"route", request.route},
                                                {"status", status},
                                                {"detail", app->detail().empty() ? app->message()
                                                                                  : app->detail()},
                                                {"similar_lines_held_back", *held_back}});
        }
    } else if (!app->detail().empty()) {
        core::log::info("request refused", {{"request_id", request.request_id},
                                            {"status", status},
                                            {"detail", app->detail()}});
    }
    return problem(*app, request.request_id);
}

void Server::Impl::finish(Response& response, const Request& request,
                          const std::optional<std::string>& origin) {
    response.header("X-Request-Id", request.request_id);
    addSecurityHeaders(response);
    if (options_.hsts_max_age_seconds > 0) {
        response.header("Strict-Transport-Security",
                        "max-age=" + std::to_string(options_.hsts_max_age_seconds) +
                            "; includeSubDomains");
    }
    if (origin && originAllowed(*origin)) {
        addCors(response, *origin);
    }
}

bool Server::Impl::originAllowed(const std::string& origin) const {
    return std::any_of(options_.cors_origins.begin(), options_.cors_origins.end(),
                       [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

void Server::Impl::addCors(Response& response, const std::string& origin) const {
    const bool any = std::find(options_.cors_origins.begin(), options_.cors_origins.end(), "*") !=
                     options_.cors_origins.end();
    // With credentials the origin must be echoed; '*' is only valid without them.
    if (any && !options_.cors_allow_credentials) {
        response.header("Access-Control-Allow-Origin", "*");
    } else {
        response.header("Access-Control-Allow-Origin", origin);
        response.header("Vary", "Origin");
    }
    if (options_.cors_allow_credentials) {
        response.header("Access-Control-Allow-Credentials", "true");
    }
    response.header("Access-Control-Expose-Headers", kCorsExposeHeaders);
}

std::string Server::Impl::clientIp(const bhttp::request<bhttp::string_body>& raw,
                                   const std::string& peer_ip) const {
    if (options_.trusted_proxy_hops == 0) {
        return peer_ip;
    }
    // Each proxy appends the address that connected to it, so only the last `hops` entries
    // were written by proxies we run; the one they name first is the client. Anything to its
    // left came from the client and may be invented. Several header lines are one list.
    std::vector<std::string_view> entries;
    for (auto [it, end] = raw.equal_range("X-Forwarded-For"); it != end; ++it) {
        std::string_view list = view(it->value());
        while (!list.empty()) {
            const auto comma = list.find(',');
            auto entry = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            const auto first = entry.find_first_not_of(" \t");
            if (first != std::string_view::npos) {
                entry = entry.substr(first, entry.find_last_not_of(" \t") - first + 1);
                entries.push_back(entry);
            }
        }
    }
    if (entries.empty()) {
        return peer_ip;
    }
    const auto hops = static_cast<std::size_t>(options_.trusted_proxy_hops);
    const auto client = entries[entries.size() >= hops ? entries.size() - hops : 0];
    beast::error_code ec;
    const auto address = net::ip::make_address(std::string(client), ec);
    return ec ? peer_ip : address.to_string();
}

void Server::Impl::runUntilSignal() {
    std::promise<int> signalled;
    auto done = signalled.get_future();
    net::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([&signalled](const beast::error_code& ec, int number) {
        signalled.set_value(ec ? 0 : number);
    });
    const int number = done.get();
    core::log::info("shutting down", {{"signal", number}});
    stop();
}

void Server::Impl::stop() {
    std::call_once(stop_once_, [this] {
        stopping_ = true;
        // Close the listener before anything else, and wait for it: if the event loop stopped
        // first, the socket would stay open and the kernel would keep accepting connections
        // that nobody serves.
        if (io_threads_.empty()) {
            beast::error_code ec;
            acceptor_.close(ec);
        } else {
            std::promise<void> closed;
            net::post(acceptor_.get_executor(), [this, &closed] {
                beast::error_code ec;
                acceptor_.close(ec);
                closed.set_value();
            });
            closed.get_future().wait();
        }
        // Idle keep-alive connections close now; busy ones close after their response.
        std::vector<std::shared_ptr<Session>> open;
        {
            std::lock_guard lock(sessions_mutex_);
            for (auto& [raw, weak] : sessions_) {
                if (auto session = weak.lock()) {
                    open.push_back(std::move(session));
                }
            }
        }
        for (auto& session : open) {
            net::post(session->stream.get_executor(), [session] {
                if (session->idle) {
                    beast::error_code ec;
                    session->stream.socket().cancel(ec);
                }
            });
        }
        open.clear();
        {
            std::unique_lock lock(sessions_mutex_);
            const bool drained = sessions_done_.wait_for(
                lock, std::chrono::seconds(options_.shutdown_grace_seconds),
                [this] { return sessions_.empty(); });
            if (!drained) {
                core::log::warn("shutdown grace period over; closing busy connections",
                                {{"connections", sessions_.size()}});
            }
        }
        io_.stop();
        for (auto& thread : io_threads_) {
            thread.join();
        }
        workers_.join();
    });
}

Server::Server(ServerOptions options, const Router& router, Guard guard, core::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(guard), metrics)) {}

Server::~Server() {
    stop();
}

void Server::start() {
    impl_->start();
}

unsigned short Server::port() const {
    return impl_->port();
}

void Server::runUntilSignal() {
    impl_->runUntilSignal();
}

void Server::stop() {
    impl_->stop();
}

}  // namespace crm::http
