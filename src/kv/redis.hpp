#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace crm::kv {

struct RedisOptions {
    std::string url;  // redis://[user:password@]host[:port][/db] or unix:///path[?db=N]
    int pool_size = 16;
    std::chrono::milliseconds timeout{1000};
    std::string prefix = "crm:";
};

/// A Redis reply copied out of hiredis.
struct Reply {
    enum class Type { Nil, Integer, String, Status, Array, Error };
    Type type = Type::Nil;
    long long integer = 0;
    std::string text;  // String, Status and Error
    std::vector<Reply> elements;

    bool isNil() const { return type == Type::Nil; }
    /// The integer of an Integer reply, or a numeric String.
    long long asInteger() const;
};

/// A Lua script, sent once with SCRIPT LOAD and then run by its digest with EVALSHA.
class Script {
public:
    explicit Script(std::string source) : source_(std::move(source)) {}
    const std::string& source() const { return source_; }

private:
    friend class Redis;
    std::string source_;
    mutable std::mutex mutex_;
    mutable std::string sha1_;  // learnt from the server's SCRIPT LOAD reply
};

/// A small pool of blocking hiredis connections. A call made while Redis is down throws
/// AppError::unavailable (503, Retry-After); a lost connection is reopened on the next call.
class Redis {
public:
    explicit Redis(RedisOptions options);
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    /// One command. An error reply throws AppError::unavailable, like an unreachable Redis.
    Reply command(const std::vector<std::string>& args);
    Reply eval(const Script& script, const std::vector<std::string>& keys,
               const std::vector<std::string>& args);
    /// Sends several commands in one round trip and returns their replies in order; any error
    /// reply throws AppError::unavailable.
    std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);

    /// The key with this deployment's prefix.
    std::string key(std::string_view name) const { return options_.prefix + std::string(name); }

    bool ping();

    const RedisOptions& options() const { return options_; }

private:
    struct Connection;
    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> connection);
    std::unique_ptr<Connection> connect();
    /// The replies as Redis sent them, error replies included.
    std::vector<Reply> exchange(const std::vector<std::vector<std::string>>& commands);

    RedisOptions options_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    int open_ = 0;
};

}  // namespace crm::kv
