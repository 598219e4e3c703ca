#pragma once

#include "db/pool.hpp"

#include <string>

namespace crm::contacts {

struct ContactSettings {
    std::string default_phone_region = "US";  // CRM_DEFAULT_PHONE_REGION
};

/// Contacts with their sales and candidate profiles, relationships, history and insights.
class ContactService {
public:
    ContactService(db::Pool& pool, ContactSettings settings);

private:
    db::Pool& pool_;
    ContactSettings settings_;
};

}  // namespace crm::contacts
