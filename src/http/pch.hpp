// Precompiled for crm_http, the only target that includes Boost.Asio and Beast.
#pragma once

#include "http/asio.hpp"

#include <nlohmann/json.hpp>
