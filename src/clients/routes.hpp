#pragma once

#include "clients/service.hpp"
#include "http/router.hpp"

namespace crm::clients {

/// /api/clients/...
void registerRoutes(http::Router& router, ClientService& clients);

}  // namespace crm::clients
