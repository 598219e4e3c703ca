#include "clients/routes.hpp"

namespace crm::clients {

void registerRoutes(http::Router& /*router*/, ClientService& /*clients*/) {}

}  // namespace crm::clients
