#include "ops/routes.hpp"

#include "core/log.hpp"
#include "core/embedded.hpp"
#include "ops/openapi.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crm::ops {
namespace {

using http::Access;
using http::Request;
using http::Response;

struct Asset {
    std::string content_type;
    std::string body;
};

// Swagger UI's own files, read once at start-up from the unpacked npm package.
std::map<std::string, Asset> loadSwaggerUi(const std::string& dir) {
    std::map<std::string, Asset> assets;
    if (dir.empty()) {
        return assets;
    }
    const std::vector<std::pair<std::string, std::string>> files{
        {"swagger-ui.css", "text/css; charset=utf-8"},
        {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
        {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
        {"favicon-32x32.png", "image/png"},
        {"favicon-16x16.png", "image/png"},
    };
    for (const auto& [name, type] : files) {
        std::ifstream in(std::filesystem::path(dir) / name, std::ios::binary);
        if (!in) {
            core::log::warn("Swagger UI file missing; /api/docs is disabled",
                            {{"dir", dir}, {"file", name}});
            return {};
        }
        std::ostringstream body;
        body << in.rdbuf();
        assets.emplace(name, Asset{type, body.str()});
    }
    // Our initialiser as a file, so the page needs no inline script under its CSP.
    assets.emplace("swagger-initializer.js",
                   Asset{"text/javascript; charset=utf-8",
                         "window.onload = function () {\n"
                         "  window.ui = SwaggerUIBundle({\n"
                         "    url: '/api/openapi.json',\n"
                         "    dom_id: '#swagger-ui',\n"
                         "    deepLinking: true,\n"
                         "    persistAuthorization: false,\n"
                         "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
                         "    plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n"
                         "    layout: 'StandaloneLayout'\n"
                         "  });\n"
                         "};\n"});
    return assets;
}

constexpr const char kDocsPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shortcut Scale X API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>
)html";

// Swagger UI styles itself inline and shows data: images; nothing leaves this origin.
constexpr const char kDocsPolicy[] =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'";

Response docsUnavailable(const std::string& request_id) {
    return http::problem(
        core::AppError(core::ErrorCode::Unavailable,
                       "Swagger UI is not installed: ./crm up downloads it, or set "
                       "CRM_SWAGGER_UI_DIR to an unpacked swagger-ui-dist package"),
        request_id);
}

}  // namespace

void registerRoutes(http::Router& router, OpsDependencies deps) {
    router.get("/api/health", Access::openInline(), [](Request&) {
        return Response::json(http::Status::Ok, {{"status", "ok"}});
    });

    router.get("/api/health/ready", Access::open(), [deps](Request& request) {
        const bool postgres = deps.postgres_up();
        const bool redis = deps.redis_up();
        const nlohmann::json checks{{"postgres", postgres ? "up" : "down"},
                                    {"redis", redis ? "up" : "down"}};
        if (postgres && redis) {
            return Response::json(http::Status::Ok, {{"status", "ready"}, {"checks", checks}});
        }
        std::string down = !postgres && !redis ? "PostgreSQL and Redis are" : !postgres ? "PostgreSQL is" : "Redis is";
        auto error = core::AppError(core::ErrorCode::Unavailable, down + " unreachable");
        error.withExtra("checks", checks).withRetryAfter(5);
        return http::problem(error, request.request_id);
    });

    router.get("/metrics", Access::openInline(), [&metrics = deps.metrics](Request&) {
        return Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    });

    router.get("/api/openapi.yaml", Access::openInline(), [](Request&) {
        return Response::text(200, std::string(embedded::openapiYaml()),
                              "application/yaml; charset=utf-8");
    });
    router.get("/api/openapi.json", Access::openInline(), [](Request&) {
        return Response::json(http::Status::Ok, openapiJson());
    });

    auto assets = std::make_shared<const std::map<std::string, Asset>>(loadSwaggerUi(deps.swagger_ui_dir));
    router.get("/api/docs", Access::openInline(), [assets](Request& request) {
        if (assets->empty()) {
            return docsUnavailable(request.request_id);
        }
        auto response = Response::text(200, kDocsPage, "text/html; charset=utf-8");
        response.header("Content-Security-Policy", kDocsPolicy);
        response.header("Cache-Control", "no-cache");
        return response;
    });
    router.get("/api/docs/{file}", Access::openInline(), [assets](Request& request) {
        if (assets->empty()) {
            return docsUnavailable(request.request_id);
        }
        const auto it = assets->find(request.pathParam("file"));
        if (it == assets->end()) {
            throw core::AppError::notFound("No such documentation file");
        }
        auto response = Response::text(200, it->second.body, it->second.content_type);
        response.header("Cache-Control", "public, max-age=3600");
        return response;
    });
}

}  // namespace crm::ops
