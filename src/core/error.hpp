#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace crm::core {

/// What went wrong, independent of transport; http::httpStatus() maps each to a status.
enum class ErrorCode {
    BadRequest,            // malformed syntax: broken JSON, bad query string
    Validation,            // well-formed but invalid: field errors
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    TooLarge,
    HeaderTooLarge,        // 431: the request header block is over the limit
    UnsupportedMediaType,
    RateLimited,
    NotImplemented,        // 501: a transfer coding the server does not decode
    Unavailable,
    Internal,
};

struct FieldError {
    std::string field;
    std::string message;
};

/// The one exception type of the project. `message` is shown to the client; `detail` only logged.
class AppError : public std::runtime_error {
public:
    AppError(ErrorCode code, std::string message, std::string detail = {},
             std::vector<FieldError> fields = {});

    ErrorCode code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::vector<FieldError>& fields() const noexcept { return fields_; }

    /// Extra members of the problem document, e.g. {"existing_id": "..."} for a duplicate.
    const nlohmann::json& extra() const noexcept { return extra_; }
    AppError& withExtra(const std::string& key, nlohmann::json value);

    /// Seconds after which a retry may succeed (Retry-After), for 429 and 503.
    std::optional<int> retryAfterSeconds() const noexcept { return retry_after_; }
    AppError& withRetryAfter(int seconds);

    static AppError badRequest(std::string message, std::vector<FieldError> fields = {});
    static AppError validation(std::vector<FieldError> fields);
    static AppError invalidField(std::string field, std::string message);
    static AppError unauthenticated(std::string message = "Authentication required");
    static AppError forbidden(std::string message);
    static AppError notFound(std::string message);
    static AppError conflict(std::string message);
    static AppError preconditionFailed(std::string message);
    static AppError unavailable(std::string message, std::string detail, int retry_after_seconds);
    static AppError internal(std::string detail);

private:
    ErrorCode code_;
    std::string message_;
    std::string detail_;
    std::vector<FieldError> fields_;
    nlohmann::json extra_ = nlohmann::json::object();
    std::optional<int> retry_after_;
};

/// Collects every bad field of an input, then throws them all at once (422).
class FieldErrors {
public:
    void add(std::string field, std::string message);
    /// Adds the errors of `other` whose fields have none here yet.
    void addForOtherFields(const FieldErrors& other);
    bool empty() const noexcept { return errors_.empty(); }
    std::size_t size() const noexcept { return errors_.size(); }
    /// Throws AppError::validation when any error was added.
    void throwIfAny() const;

private:
    std::vector<FieldError> errors_;
};

}  // namespace crm::core
