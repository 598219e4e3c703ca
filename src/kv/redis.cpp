#include "kv/redis.hpp"

#include "core/error.hpp"
#include "core/query_params.hpp"

#include <hiredis/hiredis.h>
#include <sodium.h>

#include <stdexcept>

namespace crm::kv {
namespace {

constexpr int kRetryAfterSeconds = 1;

core::AppError unavailable(const std::string& detail) {
    return core::AppError::unavailable("A service the API depends on is unavailable; retry shortly",
                                       "redis: " + detail, kRetryAfterSeconds);
}

Reply copyReply(const redisReply* reply) {
    Reply out;
    switch (reply->type) {
        case REDIS_REPLY_INTEGER:
            out.type = Reply::Type::Integer;
            out.integer = reply->integer;
            break;
        case REDIS_REPLY_STRING:
            out.type = Reply::Type::String;
            out.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = Reply::Type::Status;
            out.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = Reply::Type::Error;
            out.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = Reply::Type::Array;
            for (std::size_t i = 0; i < reply->elements; ++i) {
                out.elements.push_back(copyReply(reply->element[i]));
            }
            break;
        default:
            out.type = Reply::Type::Nil;
    }
    return out;
}

struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string unix_path;
    std::string user;
    std::string password;
    int db = 0;
};

Endpoint parseUrl(const std::string& url) {
    Endpoint endpoint;
    std::string rest;
    if (url.rfind("unix://", 0) == 0) {
        rest = url.substr(7);
        const auto query = rest.find('?');
        endpoint.unix_path = rest.substr(0, query);
        if (query != std::string::npos) {
            const auto params = core::QueryParams::parse(rest.substr(query + 1));
            if (const auto db = params.get("db")) {
                endpoint.db = std::stoi(*db);
            }
            endpoint.password = params.get("password").value_or("");
        }
        return endpoint;
    }
    if (url.rfind("redis://", 0) != 0) {
        throw std::invalid_argument("CRM_REDIS_URL must start with redis:// or unix://");
    }
    rest = url.substr(8);
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        const auto credentials = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const auto colon = credentials.find(':');
        endpoint.user = core::percentDecode(credentials.substr(0, colon), false).value_or("");
        if (colon != std::string::npos) {
            endpoint.password =
                core::percentDecode(credentials.substr(colon + 1), false).value_or("");
        }
    }
    const auto slash = rest.find('/');
    auto host_port = rest.substr(0, slash);
    if (slash != std::string::npos && slash + 1 < rest.size()) {
        endpoint.db = std::stoi(rest.substr(slash + 1));
    }
    if (const auto colon = host_port.rfind(':'); colon != std::string::npos) {
        endpoint.port = std::stoi(host_port.substr(colon + 1));
        host_port = host_port.substr(0, colon);
    }
    if (!host_port.empty()) {
        endpoint.host = host_port;
    }
    return endpoint;
}

std::vector<const char*> argvOf(const std::vector<std::string>& args, std::vector<size_t>& lengths) {
    std::vector<const char*> argv;
    argv.reserve(args.size());
    lengths.clear();
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    return argv;
}

}  // namespace

long long Reply::asInteger() const {
    if (type == Type::Integer) {
        return integer;
    }
    if (type == Type::String) {
        return std::stoll(text);
    }
    return 0;
}

struct Redis::Connection {
    redisContext* context = nullptr;
    ~Connection() {
        if (context != nullptr) {
            redisFree(context);
        }
    }
};

Redis::Redis(RedisOptions options) : options_(std::move(options)) {
    parseUrl(options_.url);  // fail at start-up on a malformed URL, not on first use
}

Redis::~Redis() = default;

std::unique_ptr<Redis::Connection> Redis::connect() {
    const auto endpoint = parseUrl(options_.url);
    timeval timeout{};
    timeout.tv_sec = options_.timeout.count() / 1000;
    timeout.tv_usec = (options_.timeout.count() % 1000) * 1000;
    auto connection = std::make_unique<Connection>();
    connection->context = endpoint.unix_path.empty()
                              ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, timeout)
                              : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), timeout);
    if (connection->context == nullptr) {
        throw unavailable("cannot allocate a connection");
    }
    if (connection->context->err != 0) {
        throw unavailable(connection->context->errstr);
    }
    redisSetTimeout(connection->context, timeout);
    auto run = [&](std::vector<std::string> args) {
        std::vector<size_t> lengths;
        auto argv = argvOf(args, lengths);
        auto* raw = static_cast<redisReply*>(redisCommandArgv(
            connection->context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
        if (raw == nullptr) {
            throw unavailable(connection->context->errstr);
        }
        const auto reply = copyReply(raw);
        freeReplyObject(raw);
        if (reply.type == Reply::Type::Error) {
            throw unavailable(reply.text);
        }
    };
    if (!endpoint.password.empty()) {
        if (endpoint.user.empty()) {
            run({"AUTH", endpoint.password});
        } else {
            run({"AUTH", endpoint.user, endpoint.password});
        }
    }
    if (endpoint.db != 0) {
        run({"SELECT", std::to_string(endpoint.db)});
    }
    return connection;
}

std::unique_ptr<Redis::Connection> Redis::acquire() {
    std::unique_lock lock(mutex_);
    const bool got = available_.wait_for(lock, options_.timeout, [this] {
        return !idle_.empty() || open_ < options_.pool_size;
    });
    if (!got) {
        throw unavailable("connection pool exhausted");
    }
    if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
    }
    ++open_;
    lock.unlock();
    try {
        return connect();
    } catch (...) {
        lock.lock();
        --open_;
        lock.unlock();
        available_.notify_one();
        throw;
    }
}

void Redis::release(std::unique_ptr<Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        if (connection && connection->context != nullptr && connection->context->err == 0) {
            idle_.push_back(std::move(connection));
        } else {
            --open_;
        }
    }
    available_.notify_one();
}

std::vector<Reply> Redis::exchange(const std::vector<std::vector<std::string>>& commands) {
    auto connection = acquire();
    std::vector<Reply> replies;
    std::string failure;
    std::vector<size_t> lengths;
    for (const auto& args : commands) {
        auto argv = argvOf(args, lengths);
        if (redisAppendCommandArgv(connection->context, static_cast<int>(argv.size()), argv.data(),
                                   lengths.data()) != REDIS_OK) {
            failure = connection->context->errstr;
            break;
        }
    }
    for (std::size_t i = 0; failure.empty() && i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(connection->context, &raw) != REDIS_OK || raw == nullptr) {
            failure = connection->context->errstr;
            break;
        }
        replies.push_back(copyReply(static_cast<redisReply*>(raw)));
        freeReplyObject(raw);
    }
    if (!failure.empty()) {
        // The connection may hold half-read replies: never reuse it.
        connection.reset();
        release(nullptr);
        throw unavailable(failure);
    }
    release(std::move(connection));
    return replies;
}

std::vector<Reply> Redis::pipeline(const std::vector<std::vector<std::string>>& commands) {
    auto replies = exchange(commands);
    // An error reply (NOAUTH, WRONGTYPE, OOM, a read-only replica) read as an empty answer would
    // make a revocation end nothing and report success: it fails like an unreachable Redis.
    for (const auto& reply : replies) {
        if (reply.type == Reply::Type::Error) {
            throw unavailable(reply.text);
        }
    }
    return replies;
}

Reply Redis::command(const std::vector<std::string>& args) {
    return pipeline({args}).front();
}

Reply Redis::eval(const Script& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args) {
    auto load = [&] {
        const auto loaded = command({"SCRIPT", "LOAD", script.source()});
        if (loaded.type != Reply::Type::String) {
            throw unavailable("SCRIPT LOAD failed: " + loaded.text);
        }
        std::lock_guard lock(script.mutex_);
        script.sha1_ = loaded.text;
        return loaded.text;
    };
    std::string sha1;
    {
        std::lock_guard lock(script.mutex_);
        sha1 = script.sha1_;
    }
    if (sha1.empty()) {
        sha1 = load();
    }
    auto run = [&](const std::string& digest) {
        std::vector<std::string> call{"EVALSHA", digest, std::to_string(keys.size())};
        call.insert(call.end(), keys.begin(), keys.end());
        call.insert(call.end(), args.begin(), args.end());
        return exchange({call}).front();  // NOSCRIPT is an answer here, not a failure
    };
    auto reply = run(sha1);
    // A restarted or flushed server forgets cached scripts.
    if (reply.type == Reply::Type::Error && reply.text.rfind("NOSCRIPT", 0) == 0) {
        reply = run(load());
    }
    if (reply.type == Reply::Type::Error) {
        throw unavailable("script failed: " + reply.text);
    }
    return reply;
}

bool Redis::ping() {
    try {
        const auto reply = command({"PING"});
        return reply.type == Reply::Type::Status && reply.text == "PONG";
    } catch (const core::AppError&) {
        return false;
    }
}

}  // namespace crm::kv
