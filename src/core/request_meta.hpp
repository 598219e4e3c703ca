#pragma once

#include <string>

namespace crm::core {

/// Where a call came from, for audit rows and session records.
struct RequestMeta {
    std::string request_id;
    std::string ip;
    std::string user_agent;
};

}  // namespace crm::core
