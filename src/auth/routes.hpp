#pragma once

#include "auth/auth_service.hpp"
#include "auth/user_service.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "kv/rate_limiter.hpp"

namespace crm::auth {

/// /api/auth/... and /api/users/...
void registerRoutes(http::Router& router, AuthService& auth, UserService& users);

/// The server's guard: bearer-token authentication and the general per-user (or per-IP)
/// limit of `per_minute` requests, counted in Redis so every node shares it.
http::Guard makeGuard(AuthService& auth, kv::RateLimiter& limiter, int per_minute,
                      kv::IdempotencyStore& idempotency);

}  // namespace crm::auth
