#pragma once

#include "core/metrics.hpp"
#include "http/router.hpp"

#include <functional>
#include <string>

namespace crm::ops {

struct OpsDependencies {
    core::Metrics& metrics;
    std::function<bool()> postgres_up;
    std::function<bool()> redis_up;
    /// Folder of the swagger-ui-dist package; empty or missing disables /api/docs assets.
    std::string swagger_ui_dir;
};

/// Health, readiness, metrics, the OpenAPI document and Swagger UI.
void registerRoutes(http::Router& router, OpsDependencies deps);

}  // namespace crm::ops
