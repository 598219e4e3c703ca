#include "auth/dto.hpp"

#include "auth/passwords.hpp"
#include "core/access.hpp"
#include "core/validation.hpp"

namespace crm::auth {
namespace {

const std::vector<std::string> kRoles{"admin", "manager", "recruiter", "sales"};
// Only a sanity bound: the policy's real minimum is checked where the password is set.
constexpr std::size_t kMaxPasswordField = 1024;

std::string requiredEmail(core::ObjectReader& in, std::string_view key) {
    in.requireValue(key);
    return in.optionalEmail(key).value_or(std::string{});
}

std::string requiredSecret(core::ObjectReader& in, std::string_view key) {
    if (!in.requirePresent(key)) {
        in.optionalJson(key);  // read: a null is not also an unknown field
        return {};
    }
    return in.rawText(key, 1, kMaxPasswordField).value_or(std::string{});
}

// Slugs are made lower case (slugify), so "Northwind" as typed names the same organisation.
std::optional<std::string> optionalSlug(core::ObjectReader& in, std::string_view key) {
    auto slug = in.optionalText(key, 0, 63);
    if (slug) {
        *slug = core::foldCase(*slug);
    }
    return slug;
}

}  // namespace

LoginDto LoginDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    LoginDto dto;
    dto.email = requiredEmail(in, "email");
    dto.password = requiredSecret(in, "password");
    dto.organization = optionalSlug(in, "organization");
    in.finish();
    errors.throwIfAny();
    return dto;
}

RefreshDto RefreshDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    RefreshDto dto;
    dto.refresh_token = requiredSecret(in, "refresh_token");
    in.finish();
    errors.throwIfAny();
    return dto;
}

SignupDto SignupDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    SignupDto dto;
    dto.organization_name = in.requiredText("organization_name", 1, 200);
    dto.name = in.requiredText("name", 1, 200);
    dto.email = requiredEmail(in, "email");
    dto.password = requiredSecret(in, "password");
    in.finish();
    if (!dto.password.empty()) {
        if (const auto problem = passwordProblem(dto.password, {dto.name, dto.email, dto.organization_name});
            !problem.empty()) {
            errors.add("password", problem);
        }
    }
    errors.throwIfAny();
    return dto;
}

ForgotPasswordDto ForgotPasswordDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    ForgotPasswordDto dto;
    dto.email = requiredEmail(in, "email");
    dto.organization = optionalSlug(in, "organization");
    in.finish();
    errors.throwIfAny();
    return dto;
}

ResetPasswordDto ResetPasswordDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    ResetPasswordDto dto;
    dto.token = requiredSecret(in, "token");
    dto.password = requiredSecret(in, "password");
    in.finish();
    errors.throwIfAny();
    return dto;
}

ChangePasswordDto ChangePasswordDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    ChangePasswordDto dto;
    dto.current_password = requiredSecret(in, "current_password");
    dto.new_password = requiredSecret(in, "new_password");
    in.finish();
    errors.throwIfAny();
    return dto;
}

CreateUserDto CreateUserDto::fromJson(const nlohmann::json& body) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    CreateUserDto dto;
    dto.email = requiredEmail(in, "email");
    dto.name = in.requiredText("name", 1, 200);
    in.requirePresent("role");
    dto.role = in.optionalEnum("role", kRoles).value_or("");
    dto.password = in.rawText("password", 1, kMaxPasswordField);
    in.forbid("active", "new users are active; deactivate with DELETE /api/users/{id}");
    in.forbid("org_id", "users are created in your own organisation");
    in.forbid("password_hash", "is never set directly: send password");
    in.finish();
    if (dto.password) {
        if (const auto problem = passwordProblem(*dto.password, {dto.name, dto.email}); !problem.empty()) {
            errors.add("password", problem);
        }
    }
    errors.throwIfAny();
    return dto;
}

UpdateUserDto UpdateUserDto::fromJson(const nlohmann::json& body, bool self) {
    core::FieldErrors errors;
    core::ObjectReader in(body, errors);
    UpdateUserDto dto;
    if (in.isNull("email")) {
        in.fail("email", "cannot be removed");
    }
    in.refuseBlank("email");
    dto.email = in.optionalEmail("email");
    if (in.isNull("name")) {
        in.fail("name", "cannot be removed");
    }
    dto.name = in.optionalText("name", 1, 200);
    if (self) {
        in.forbid("role", "you cannot change your own role");
        in.forbid("active", "you cannot deactivate or reactivate yourself");
        dto.current_password = in.rawText("current_password", 1, kMaxPasswordField);
    } else {
        // null would read as "leave it": say so instead of ignoring what was sent.
        if (in.isNull("role")) {
            in.fail("role", "cannot be removed: give one of the roles");
        }
        dto.role = in.optionalEnum("role", kRoles);
        if (in.isNull("active")) {
            in.fail("active", "must be true or false");
        }
        dto.active = in.optionalBool("active");
    }
    in.forbid("org_id", "a user cannot move to another organisation");
    in.forbid("password_hash", "is never set directly");
    in.forbid("password", "change passwords with POST /api/auth/password/change or a reset");
    in.finish();
    errors.throwIfAny();
    return dto;
}

nlohmann::json toJson(const repo::UserRecord& user) {
    auto optional = [](const std::optional<std::string>& value) {
        return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    };
    return {
        {"id", user.id},
        {"email", user.email},
        {"name", user.name},
        {"role", user.role},
        {"active", user.active},
        {"team_id", optional(user.team_id)},
        {"last_login_at", optional(user.last_login_at)},
        {"password_changed_at", optional(user.password_changed_at)},
        {"created_at", user.created_at},
        {"updated_at", user.updated_at},
        {"version", user.version},
        {"organization", {{"id", user.org_id}, {"name", user.org_name}, {"slug", user.org_slug}}},
    };
}

nlohmann::json toJson(const TokenPair& pair) {
    return {
        {"token_type", "Bearer"},
        {"access_token", pair.access_token},
        {"expires_in", pair.expires_in},
        {"refresh_token", pair.refresh_token},
        {"refresh_expires_in", pair.refresh_expires_in},
        {"session_id", pair.session_id},
        {"user", toJson(pair.user)},
    };
}

nlohmann::json toJson(const Session& session, const std::string& current_session_id) {
    return {
        {"id", session.id},
        {"device", session.user_agent},
        {"ip", session.ip},
        {"created_at", session.created_at},
        {"last_used_at", session.last_used_at},
        {"current", session.id == current_session_id},
    };
}

}  // namespace crm::auth
