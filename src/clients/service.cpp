#include "clients/service.hpp"

namespace crm::clients {

ClientService::ClientService(db::Pool& pool) : pool_(pool) {}

}  // namespace crm::clients
