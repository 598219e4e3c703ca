#pragma once

#include "contacts/service.hpp"
#include "http/router.hpp"

namespace crm::contacts {

/// /api/contacts/... and /api/insights/...
void registerRoutes(http::Router& router, ContactService& contacts);

}  // namespace crm::contacts
