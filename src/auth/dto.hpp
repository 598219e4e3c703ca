#pragma once

#include "auth/repository.hpp"
#include "auth/sessions.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace crm::auth {

struct LoginDto {
    std::string email;
    std::string password;
    std::optional<std::string> organization;  // slug, when the e-mail has several accounts
    static LoginDto fromJson(const nlohmann::json& body);
};

struct RefreshDto {
    std::string refresh_token;
    static RefreshDto fromJson(const nlohmann::json& body);
};

struct SignupDto {
    std::string organization_name;
    std::string name;
    std::string email;
    std::string password;
    static SignupDto fromJson(const nlohmann::json& body);
};

struct ForgotPasswordDto {
    std::string email;
    std::optional<std::string> organization;
    static ForgotPasswordDto fromJson(const nlohmann::json& body);
};

struct ResetPasswordDto {
    std::string token;
    std::string password;
    static ResetPasswordDto fromJson(const nlohmann::json& body);
};

struct ChangePasswordDto {
    std::string current_password;
    std::string new_password;
    static ChangePasswordDto fromJson(const nlohmann::json& body);
};

struct CreateUserDto {
    std::string email;
    std::string name;
    std::string role;
    std::optional<std::string> password;  // absent: the user is invited by e-mail
    static CreateUserDto fromJson(const nlohmann::json& body);
};

/// A change to a user. Whether the caller may set each field depends on who they are, so the
/// parser is told: `self` refuses role, active and the rest with a 422 naming the field.
struct UpdateUserDto {
    std::optional<std::string> email;
    std::optional<std::string> name;
    std::optional<std::string> role;
    std::optional<bool> active;
    std::optional<std::string> current_password;  // self only: needed to change one's e-mail
    static UpdateUserDto fromJson(const nlohmann::json& body, bool self);
};

/// What the API shows of a user (never the password hash).
nlohmann::json toJson(const repo::UserRecord& user);

/// A login's or refresh's answer.
struct TokenPair {
    std::string access_token;
    int expires_in = 0;
    std::string refresh_token;
    int refresh_expires_in = 0;
    std::string session_id;
    repo::UserRecord user;
};
nlohmann::json toJson(const TokenPair& pair);

nlohmann::json toJson(const Session& session, const std::string& current_session_id);

}  // namespace crm::auth
