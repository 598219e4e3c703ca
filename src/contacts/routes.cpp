#include "contacts/routes.hpp"

namespace crm::contacts {

void registerRoutes(http::Router& /*router*/, ContactService& /*contacts*/) {}

}  // namespace crm::contacts
