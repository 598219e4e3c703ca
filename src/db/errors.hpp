#pragma once

#include "core/error.hpp"

#include <exception>
#include <optional>

namespace crm::db {

/// Turns a libpqxx exception that escaped a service into the public error it stands for: a
/// lost connection or a statement timeout is a 503, a constraint the code did not pre-check is
/// a 409/422. Returns nullopt for anything that is not a database error.
std::optional<core::AppError> translate(const std::exception& error);

/// True when PostgreSQL rolled the transaction back whole to settle a deadlock or a
/// serialization failure: nothing of it was saved, and running it again may succeed. False for
/// a commit whose outcome is unknown (it may have been saved).
bool wasRolledBack(const std::exception& error);

}  // namespace crm::db
