#include "core/error.hpp"

#include <algorithm>

namespace crm::core {

AppError::AppError(ErrorCode code, std::string message, std::string detail,
                   std::vector<FieldError> fields)
    : std::runtime_error(message),
      code_(code),
      message_(std::move(message)),
      detail_(std::move(detail)),
      fields_(std::move(fields)) {}

AppError& AppError::withExtra(const std::string& key, nlohmann::json value) {
    extra_[key] = std::move(value);
    return *this;
}

AppError& AppError::withRetryAfter(int seconds) {
    retry_after_ = seconds;
    return *this;
}

AppError AppError::badRequest(std::string message, std::vector<FieldError> fields) {
    return AppError(ErrorCode::BadRequest, std::move(message), {}, std::move(fields));
}

AppError AppError::validation(std::vector<FieldError> fields) {
    std::string message = "The request has invalid fields";
    if (fields.size() == 1) {
        message = fields.front().field + ": " + fields.front().message;
    }
    return AppError(ErrorCode::Validation, std::move(message), {}, std::move(fields));
}

AppError AppError::invalidField(std::string field, std::string message) {
    return validation({FieldError{std::move(field), std::move(message)}});
}

AppError AppError::unauthenticated(std::string message) {
    return AppError(ErrorCode::Unauthenticated, std::move(message));
}

AppError AppError::forbidden(std::string message) {
    return AppError(ErrorCode::Forbidden, std::move(message));
}

AppError AppError::notFound(std::string message) {
    return AppError(ErrorCode::NotFound, std::move(message));
}

AppError AppError::conflict(std::string message) {
    return AppError(ErrorCode::Conflict, std::move(message));
}

AppError AppError::preconditionFailed(std::string message) {
    return AppError(ErrorCode::PreconditionFailed, std::move(message));
}

AppError AppError::unavailable(std::string message, std::string detail, int retry_after_seconds) {
    AppError error(ErrorCode::Unavailable, std::move(message), std::move(detail));
    error.withRetryAfter(retry_after_seconds);
    return error;
}

AppError AppError::internal(std::string detail) {
    return AppError(ErrorCode::Internal, "Internal server error", std::move(detail));
}

void FieldErrors::addForOtherFields(const FieldErrors& other) {
    std::vector<FieldError> added;
    for (const auto& error : other.errors_) {
        const auto named = [&](const FieldError& known) { return known.field == error.field; };
        if (std::none_of(errors_.begin(), errors_.end(), named)) {
            added.push_back(error);
        }
    }
    errors_.insert(errors_.end(), added.begin(), added.end());
}

void FieldErrors::add(std::string field, std::string message) {
    // Two checks may find the same fault (a NUL in a filter: the list's and the filter's own);
    // the answer names it once.
    const auto same = [&](const FieldError& known) { return known.field == field && known.message == message; };
    if (std::none_of(errors_.begin(), errors_.end(), same)) {
        errors_.push_back(FieldError{std::move(field), std::move(message)});
    }
}

void FieldErrors::throwIfAny() const {
    if (!errors_.empty()) {
        throw AppError::validation(errors_);
    }
}

}  // namespace crm::core
