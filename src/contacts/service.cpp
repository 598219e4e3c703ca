#include "contacts/service.hpp"

namespace crm::contacts {

ContactService::ContactService(db::Pool& pool, ContactSettings settings)
    : pool_(pool), settings_(std::move(settings)) {}

}  // namespace crm::contacts
