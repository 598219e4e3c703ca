#pragma once

#include "db/pool.hpp"

namespace crm::clients {

/// Clients (companies): CRUD, assignment, relationships, history and summaries.
class ClientService {
public:
    explicit ClientService(db::Pool& pool);

private:
    db::Pool& pool_;
};

}  // namespace crm::clients
