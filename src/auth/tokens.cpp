#include "auth/tokens.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cstdlib>
#include <memory>

namespace crm::auth {
namespace {

// Tolerated clock difference between API nodes for `nbf`/`iat`.
constexpr std::int64_t kLeewaySeconds = 30;
constexpr std::size_t kMaxTokenLength = 4096;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

core::AppError invalid(const std::string& why) {
    return core::AppError(core::ErrorCode::Unauthenticated, "The access token is " + why);
}

std::optional<std::string> decodeSegment(std::string_view segment) {
    std::string out(segment.size(), '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), segment.data(),
                          segment.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    out.resize(length);
    return out;
}

std::int64_t epochSeconds(std::chrono::system_clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

}  // namespace

TokenService::TokenService(std::string secret, std::string issuer, std::string audience,
                           int ttl_seconds, Clock clock)
    : secret_(std::move(secret)),
      issuer_(std::move(issuer)),
      audience_(std::move(audience)),
      ttl_seconds_(ttl_seconds),
      clock_(std::move(clock)) {}

std::string TokenService::issueAccess(const std::string& user_id, const std::string& org_id,
                                      const std::string& role,
                                      const std::string& session_id) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        throw std::runtime_error("jwt_new failed");
    }
    JwtPtr jwt(raw);
    const auto now = epochSeconds(clock_());
    const nlohmann::json claims{
        {"sub", user_id},  {"org", org_id},        {"role", role},
        {"sid", session_id}, {"typ", "access"},    {"iss", issuer_},
        {"aud", audience_}, {"jti", core::newUuidV7()}, {"iat", now},
        {"nbf", now},       {"exp", now + ttl_seconds_},
    };
    if (jwt_add_grants_json(jwt.get(), claims.dump().c_str()) != 0 ||
        jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())) != 0) {
        throw std::runtime_error("could not build the access token");
    }
    char* encoded = jwt_encode_str(jwt.get());
    if (encoded == nullptr) {
        throw std::runtime_error("could not sign the access token");
    }
    std::string token(encoded);
    std::free(encoded);  // libjwt 1.10 allocates with malloc
    return token;
}

AccessClaims TokenService::verifyAccess(std::string_view token) const {
    constexpr std::size_t kMaxCachedTokens = 50000;
    const std::string key(token);
    {
        std::lock_guard lock(cache_mutex_);
        if (const auto it = verified_.find(key); it != verified_.end()) {
            if (it->second.expires_at > epochSeconds(clock_())) {
                return it->second;
            }
            verified_.erase(it);
            throw invalid("expired");
        }
    }
    auto claims = verifyUncached(token);
    std::lock_guard lock(cache_mutex_);
    if (verified_.size() >= kMaxCachedTokens) {
        verified_.clear();
    }
    verified_.emplace(key, claims);
    return claims;
}

AccessClaims TokenService::verifyUncached(std::string_view token) const {
    if (token.empty() || token.size() > kMaxTokenLength) {
        throw invalid("missing or malformed");
    }
    const auto first_dot = token.find('.');
    if (first_dot == std::string_view::npos || token.find('.', first_dot + 1) == std::string_view::npos) {
        throw invalid("malformed");
    }
    // Pin the algorithm ourselves before libjwt parses anything: only HS256 is ever accepted.
    const auto header_text = decodeSegment(token.substr(0, first_dot));
    const auto header = header_text ? nlohmann::json::parse(*header_text, nullptr, false)
                                    : nlohmann::json();
    // Not header.value("alg", ""): that throws when "alg" is a number or null.
    const auto alg = header.is_object() ? header.find("alg") : header.end();
    if (!header.is_object() || alg == header.end() || !alg->is_string() || *alg != "HS256") {
        throw invalid("signed with an algorithm this API does not accept");
    }

    jwt_t* raw = nullptr;
    const std::string copy(token);
    if (jwt_decode(&raw, copy.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                   static_cast<int>(secret_.size())) != 0 ||
        raw == nullptr) {
        throw invalid("invalid");
    }
    JwtPtr jwt(raw);
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
        throw invalid("signed with an algorithm this API does not accept");
    }
    char* grants = jwt_get_grants_json(jwt.get(), nullptr);
    if (grants == nullptr) {
        throw invalid("invalid");
    }
    const auto claims = nlohmann::json::parse(grants, nullptr, false);
    std::free(grants);
    if (!claims.is_object()) {
        throw invalid("invalid");
    }
    auto text = [&claims](const char* name) -> std::string {
        const auto it = claims.find(name);
        return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string{};
    };
    auto number = [&claims](const char* name) -> std::optional<std::int64_t> {
        const auto it = claims.find(name);
        if (it == claims.end() || !it->is_number_integer()) {
            return std::nullopt;
        }
        return it->get<std::int64_t>();
    };
    if (text("typ") != "access") {
        throw invalid("not an access token");
    }
    if (text("iss") != issuer_ || text("aud") != audience_) {
        throw invalid("for another service");
    }
    const auto now = epochSeconds(clock_());
    const auto exp = number("exp");
    const auto nbf = number("nbf");
    const auto iat = number("iat");
    if (!exp || *exp <= now) {
        throw invalid("expired");
    }
    if ((nbf && *nbf > now + kLeewaySeconds) || (iat && *iat > now + kLeewaySeconds)) {
        throw invalid("not valid yet");
    }
    AccessClaims out;
    out.user_id = text("sub");
    out.org_id = text("org");
    out.role = text("role");
    out.session_id = text("sid");
    out.token_id = text("jti");
    out.issued_at = iat.value_or(0);
    out.expires_at = *exp;
    if (!core::isUuid(out.user_id) || !core::isUuid(out.org_id) || out.session_id.empty()) {
        throw invalid("invalid");
    }
    return out;
}

}  // namespace crm::auth
