#include "auth/sessions.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/utc_time.hpp"
#include "db/migrations.hpp"


namespace crm::auth {
namespace {

constexpr const char kRefreshPrefix[] = "rt_";
constexpr std::size_t kRefreshBytes = 32;  // 256 bits
constexpr std::size_t kMaxCachedSessions = 100000;

// Sessions stored before times carried microseconds hold "2026-03-31T09:30:00Z".
std::string storedTime(std::string text) {
    if (text.size() > 1 && text.back() == 'Z' && text.find('.') == std::string::npos) {
        text.insert(text.size() - 1, ".000000");
    }
    return text;
}

// Checks the token, marks it spent, stores its successor and touches the session, atomically.
// A spent token is reuse: the thief or the victim holds a copy, so the session ends for both.
// KEYS: none (keys derive from the prefix and the stored session id).
// ARGV: prefix, old digest, new digest, ttl seconds, now, ip, user agent.
const kv::Script kRotate(R"lua(
local prefix, old, new, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local rkey = prefix .. 'refresh:' .. old
local entry = redis.call('HMGET', rkey, 'sid', 'state')
local sid = entry[1]
if not sid then return {'unknown'} end
local skey = prefix .. 'sess:' .. sid
if entry[2] ~= 'active' then
  local uid = redis.call('HGET', skey, 'user_id')
  redis.call('DEL', skey)
  if uid then redis.call('SREM', prefix .. 'user:' .. uid .. ':sessions', sid) end
  return {'reused', sid, uid or ''}
end
if redis.call('EXISTS', skey) == 0 then return {'revoked', sid} end
redis.call('HSET', rkey, 'state', 'spent')
local nkey = prefix .. 'refresh:' .. new
redis.call('HSET', nkey, 'sid', sid, 'state', 'active')
redis.call('EXPIRE', nkey, ttl)
redis.call('HSET', skey, 'refresh', new, 'last_used_at', ARGV[5], 'ip', ARGV[6], 'ua', ARGV[7])
redis.call('EXPIRE', skey, ttl)
local s = redis.call('HMGET', skey, 'user_id', 'org_id', 'role', 'created_at')
-- The user's index of sessions lives as long as its longest session: this one, from now on.
-- Without this it expired ttl after the last sign-in, and a session refreshed past that point
-- escaped logout-all, password changes and deactivation, which all start from the index.
local ukey = prefix .. 'user:' .. s[1] .. ':sessions'
redis.call('SADD', ukey, sid)
redis.call('EXPIRE', ukey, ttl)
return {'ok', sid, s[1], s[2], s[3], s[4]}
)lua");

Session fromFields(const std::string& id, const std::vector<kv::Reply>& values) {
    auto at = [&values](std::size_t i) {
        return i < values.size() && values[i].type == kv::Reply::Type::String ? values[i].text
                                                                             : std::string{};
    };
    Session session;
    session.id = id;
    session.user_id = at(0);
    session.org_id = at(1);
    session.role = at(2);
    session.created_at = storedTime(at(3));
    session.last_used_at = storedTime(at(4));
    session.ip = at(5);
    session.user_agent = at(6);
    return session;
}

}  // namespace

SessionStore::SessionStore(kv::Redis& redis, std::chrono::seconds refresh_ttl,
                           std::chrono::seconds cache_ttl)
    : redis_(redis), refresh_ttl_(refresh_ttl), cache_ttl_(cache_ttl) {}

std::string SessionStore::digest(std::string_view token) {
    return db::sha256Hex(token);
}

std::string SessionStore::sessionKey(const std::string& id) const {
    return redis_.key("sess:" + id);
}

std::string SessionStore::userKey(const std::string& user_id) const {
    return redis_.key("user:" + user_id + ":sessions");
}

std::string SessionStore::refreshKey(const std::string& token_digest) const {
    return redis_.key("refresh:" + token_digest);
}

NewSession SessionStore::create(const std::string& user_id, const std::string& org_id,
                                const std::string& role, const std::string& ip,
                                const std::string& user_agent) {
    NewSession created;
    created.session.id = core::newUuidV7();
    created.session.user_id = user_id;
    created.session.org_id = org_id;
    created.session.role = role;
    created.session.created_at = core::utcNow();
    created.session.last_used_at = created.session.created_at;
    created.session.ip = ip;
    created.session.user_agent = user_agent.substr(0, 300);
    created.refresh_token = kRefreshPrefix + core::randomToken(kRefreshBytes);
    const auto ttl = std::to_string(refresh_ttl_.count());
    const auto skey = sessionKey(created.session.id);
    const auto rkey = refreshKey(digest(created.refresh_token));
    redis_.pipeline({
        {"HSET", skey, "user_id", user_id, "org_id", org_id, "role", role, "created_at",
         created.session.created_at, "last_used_at", created.session.last_used_at, "ip", ip, "ua",
         created.session.user_agent, "refresh", digest(created.refresh_token)},
        {"EXPIRE", skey, ttl},
        {"HSET", rkey, "sid", created.session.id, "state", "active"},
        {"EXPIRE", rkey, ttl},
        {"SADD", userKey(user_id), created.session.id},
        {"EXPIRE", userKey(user_id), ttl},
    });
    return created;
}

Rotation SessionStore::rotate(const std::string& refresh_token, const std::string& ip,
                              const std::string& user_agent) {
    Rotation rotation;
    if (refresh_token.rfind(kRefreshPrefix, 0) != 0 || refresh_token.size() > 100) {
        return rotation;  // not a refresh token at all: an access or reset token, or garbage
    }
    const auto successor = kRefreshPrefix + core::randomToken(kRefreshBytes);
    const auto reply = redis_.eval(
        kRotate, {},
        {redis_.key(""), digest(refresh_token), digest(successor),
         std::to_string(refresh_ttl_.count()), core::utcNow(), ip, user_agent.substr(0, 300)});
    const auto& items = reply.elements;
    const auto status = items.empty() ? std::string{} : items[0].text;
    if (status == "ok" && items.size() >= 6) {
        rotation.outcome = RotationOutcome::Rotated;
        rotation.session.id = items[1].text;
        rotation.session.user_id = items[2].text;
        rotation.session.org_id = items[3].text;
        rotation.session.role = items[4].text;
        rotation.session.created_at = storedTime(items[5].text);
        rotation.refresh_token = successor;
    } else if (status == "reused" && items.size() >= 3) {
        rotation.outcome = RotationOutcome::Reused;
        rotation.session.id = items[1].text;
        rotation.session.user_id = items[2].text;
        forget(rotation.session.id);
    } else if (status == "revoked") {
        rotation.outcome = RotationOutcome::Revoked;
    }
    return rotation;
}

std::optional<Session> SessionStore::load(const std::string& session_id) {
    const auto reply = redis_.command({"HMGET", sessionKey(session_id), "user_id", "org_id", "role",
                                       "created_at", "last_used_at", "ip", "ua"});
    if (reply.elements.empty() || reply.elements[0].type != kv::Reply::Type::String) {
        return std::nullopt;
    }
    return fromFields(session_id, reply.elements);
}

std::optional<Session> SessionStore::find(const std::string& session_id) {
    const auto now = std::chrono::steady_clock::now();
    if (cache_ttl_.count() > 0) {
        std::lock_guard lock(cache_mutex_);
        if (const auto it = cache_.find(session_id); it != cache_.end() && it->second.until > now) {
            return it->second.session;
        }
    }
    auto session = load(session_id);
    if (cache_ttl_.count() > 0) {
        std::lock_guard lock(cache_mutex_);
        if (cache_.size() >= kMaxCachedSessions) {
            cache_.clear();  // bounded memory; the next lookups refill it
        }
        cache_[session_id] = Cached{session, now + cache_ttl_};
    }
    return session;
}

void SessionStore::forget(const std::string& session_id) {
    std::lock_guard lock(cache_mutex_);
    cache_.erase(session_id);
}

void SessionStore::revoke(const std::string& session_id) {
    const auto reply = redis_.command({"HGET", sessionKey(session_id), "user_id"});
    std::vector<std::vector<std::string>> commands{{"DEL", sessionKey(session_id)}};
    if (reply.type == kv::Reply::Type::String) {
        commands.push_back({"SREM", userKey(reply.text), session_id});
    }
    redis_.pipeline(commands);
    forget(session_id);
}

int SessionStore::revokeOthersOfUser(const std::string& user_id, const std::string& keep_session_id) {
    const auto members = redis_.command({"SMEMBERS", userKey(user_id)});
    int revoked = 0;
    std::vector<std::vector<std::string>> commands;
    for (const auto& member : members.elements) {
        if (member.text == keep_session_id) {
            continue;
        }
        commands.push_back({"DEL", sessionKey(member.text)});
        commands.push_back({"SREM", userKey(user_id), member.text});
        forget(member.text);
        ++revoked;
    }
    if (!commands.empty()) {
        redis_.pipeline(commands);
    }
    return revoked;
}

int SessionStore::revokeAllOfUser(const std::string& user_id) {
    return revokeOthersOfUser(user_id, "");
}

void SessionStore::setRoleOfUser(const std::string& user_id, const std::string& role) {
    const auto members = redis_.command({"SMEMBERS", userKey(user_id)});
    std::vector<std::vector<std::string>> commands;
    for (const auto& member : members.elements) {
        // HSET on a missing key would resurrect an ended session as a bare hash: only update
        // sessions that still exist.
        commands.push_back({"EVAL",
                            "if redis.call('EXISTS', KEYS[1]) == 1 then "
                            "return redis.call('HSET', KEYS[1], 'role', ARGV[1]) end return 0",
                            "1", sessionKey(member.text), role});
        forget(member.text);
    }
    if (!commands.empty()) {
        redis_.pipeline(commands);
    }
}

std::vector<Session> SessionStore::listOfUser(const std::string& user_id) {
    const auto members = redis_.command({"SMEMBERS", userKey(user_id)});
    std::vector<Session> sessions;
    std::vector<std::string> stale;
    for (const auto& member : members.elements) {
        if (auto session = load(member.text)) {
            sessions.push_back(std::move(*session));
        } else {
            stale.push_back(member.text);  // expired on its own: tidy the index
        }
    }
    if (!stale.empty()) {
        std::vector<std::string> command{"SREM", userKey(user_id)};
        command.insert(command.end(), stale.begin(), stale.end());
        redis_.command(command);
    }
    std::sort(sessions.begin(), sessions.end(),
              [](const Session& a, const Session& b) { return a.last_used_at > b.last_used_at; });
    return sessions;
}

}  // namespace crm::auth
