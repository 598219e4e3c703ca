#include "auth/routes.hpp"

#include "core/log.hpp"
#include "core/validation.hpp"

namespace crm::auth {
namespace {

using core::Permission;
using http::Access;
using http::Request;
using http::Response;
using http::Status;

nlohmann::json meJson(const repo::UserRecord& user) {
    auto body = toJson(user);
    auto permissions = nlohmann::json::array();
    if (const auto role = core::parseRole(user.role)) {
        for (const auto permission : core::allPermissions()) {
            if (core::permissionsOf(*role).test(static_cast<std::size_t>(permission))) {
                permissions.push_back(core::toString(permission));
            }
        }
    }
    body["permissions"] = permissions;
    return body;
}

repo::UserFilter userFilter(const Request& request, core::FieldErrors& errors) {
    core::checkListParams(request.query, {"role", "active", "q"}, {}, errors);
    repo::UserFilter filter;
    if (const auto role = request.query.single("role")) {
        if (!core::parseRole(*role)) {
            errors.add("role", "must be one of admin, manager, recruiter, sales");
        }
        filter.role = role;
    }
    if (const auto active = request.query.single("active")) {
        if (*active != "true" && *active != "false") {
            errors.add("active", "must be true or false");
        }
        filter.active = *active == "true";
    }
    filter.q = core::searchParam(request.query, "q", 200, errors);  // blank: no filter, as on the other lists
    return filter;
}

}  // namespace

void registerRoutes(http::Router& router, AuthService& auth, UserService& users) {
    router.post("/api/auth/login", Access::open(), [&auth](Request& request) {
        return Response::json(Status::Ok, toJson(auth.login(LoginDto::fromJson(request.json()),
                                                            request.meta())));
    });
    router.post("/api/auth/refresh", Access::open(), [&auth](Request& request) {
        return Response::json(Status::Ok, toJson(auth.refresh(RefreshDto::fromJson(request.json()),
                                                              request.meta())));
    });
    router.post("/api/auth/signup", Access::open(), [&auth](Request& request) {
        return Response::json(Status::Created,
                              toJson(auth.signup(SignupDto::fromJson(request.json()), request.meta())));
    });
    // Signing out takes no body: whatever a client sends along must not keep the session alive.
    router.post("/api/auth/logout", Access::signedIn(), [&auth](Request& request) {
        auth.logout(request.actor(), request.meta());
        return Response::noContent();
    }).body_types.clear();
    router.post("/api/auth/logout-all", Access::signedIn(), [&auth](Request& request) {
        auth.logoutAll(request.actor(), request.meta());
        return Response::noContent();
    }).body_types.clear();
    router.get("/api/auth/me", Access::signedIn(), [&auth](Request& request) {
        const auto user = auth.me(request.actor());
        return Response::json(Status::Ok, meJson(user)).etag(user.version);
    });
    router.get("/api/auth/sessions", Access::signedIn(), [&auth](Request& request) {
        auto items = nlohmann::json::array();
        for (const auto& session : auth.sessions(request.actor())) {
            items.push_back(toJson(session, request.actor().session_id));
        }
        return Response::json(Status::Ok, {{"data", items}});
    });
    router.del("/api/auth/sessions/{id}", Access::signedIn(), [&auth](Request& request) {
        auth.revokeSession(request.actor(), request.pathId(), request.meta());
        return Response::noContent();
    });
    router.post("/api/auth/password/forgot", Access::open(), [&auth](Request& request) {
        auth.forgotPassword(ForgotPasswordDto::fromJson(request.json()), request.meta());
        return Response::json(Status::Accepted,
                              {{"status", "accepted"},
                               {"detail", "If an account uses this e-mail, a reset code is on its way."}});
    });
    router.post("/api/auth/password/reset", Access::open(), [&auth](Request& request) {
        auth.resetPassword(ResetPasswordDto::fromJson(request.json()), request.meta());
        return Response::noContent();
    });
    router.post("/api/auth/password/change", Access::signedIn(), [&auth](Request& request) {
        auth.changePassword(request.actor(), ChangePasswordDto::fromJson(request.json()),
                            request.meta());
        return Response::noContent();
    });

    router.get("/api/users", Access::require(Permission::UsersRead), [&users](Request& request) {
        core::FieldErrors errors;
        const auto filter = userFilter(request, errors);
        const auto page = core::parsePageRequest(request.query, request.listKey(),
                                                 {"-created_at", "created_at", "name", "-name", "email", "-email"},
                                                 errors);
        errors.throwIfAny();
        const auto result = users.list(request.actor(), filter, page);
        auto items = nlohmann::json::array();
        for (const auto& user : result.items) {
            items.push_back(toJson(user));
        }
        std::optional<std::string> next;
        if (result.next_keys) {
            next = core::encodeCursor(request.listKey(), (page.sort.descending ? "-" : "") + page.sort.name,
                                      *result.next_keys);
        }
        std::optional<long long> total;
        if (page.with_total) {
            total = users.count(request.actor(), filter);
        }
        return Response::json(Status::Ok, core::pageJson(items, page.limit, next, total));
    }).query_params.reset();
    router.post("/api/users", Access::require(Permission::UsersManage), [&users](Request& request) {
        const auto user = users.create(request.actor(), CreateUserDto::fromJson(request.json()),
                                       request.meta());
        return Response::json(Status::Created, toJson(user))
            .etag(user.version)
            .header("Location", "/api/v1/users/" + user.id);
    });
    router.get("/api/users/{id}", Access::require(Permission::UsersRead), [&users](Request& request) {
        const auto user = users.get(request.actor(), request.pathId());
        return Response::json(Status::Ok, toJson(user)).etag(user.version);
    });
    router.put("/api/users/{id}", Access::signedIn(), [&users](Request& request) {
        const auto user = users.update(request.actor(), request.pathId(),
                                       core::requireObject(request.json()),
                                       request.ifMatchVersion(), request.meta());
        return Response::json(Status::Ok, toJson(user)).etag(user.version);
    });
    router.del("/api/users/{id}", Access::require(Permission::UsersManage), [&users](Request& request) {
        users.deactivate(request.actor(), request.pathId(), request.ifMatchVersion(), request.meta());
        return Response::noContent();
    });
}

http::Guard makeGuard(AuthService& auth, kv::RateLimiter& limiter, int per_minute,
                      kv::IdempotencyStore& idempotency) {
    http::Guard guard;
    guard.idempotency = &idempotency;
    guard.authenticate = [&auth](const Request& request) {
        return auth.authenticate(request.header("Authorization").value_or(""));
    };
    guard.limit = [&limiter, per_minute](const Request& request, const core::Actor* actor) {
        http::RateDecision decision;
        const auto key = actor ? "rl:user:" + actor->user_id : "rl:ip:" + request.client_ip;
        kv::RateCount count;
        try {
            count = limiter.hitPerMinute(key, per_minute);
        } catch (const core::AppError& e) {
            // Limits are a protection, not a dependency: without Redis, requests still pass.
            core::log::warn("rate limit skipped: Redis unavailable", {{"error", e.detail()}});
            return decision;
        }
        const auto remaining = std::max<long long>(per_minute - count.count, 0);
        decision.headers = {{"RateLimit-Limit", std::to_string(per_minute)},
                            {"RateLimit-Remaining", std::to_string(remaining)},
                            {"RateLimit-Reset", std::to_string(count.reset_seconds)}};
        if (count.count > per_minute) {
            decision.allowed = false;
            decision.retry_after_seconds = static_cast<int>(std::max<long long>(count.reset_seconds, 1));
        }
        return decision;
    };
    return guard;
}

}  // namespace crm::auth
