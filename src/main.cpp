// crm-server: the one binary. `crm-server help` lists its commands.
#include "app/application.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"

#include <pqxx/pqxx>
#include <sodium.h>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char kUsage[] = R"(usage: crm-server <command>

commands:
  serve      serve the HTTP API (settings from CRM_* environment variables; see README.md)
  migrate    apply pending database migrations (needs CRM_DATABASE_URL)
  help       show this text
)";

int serve() {
    crm::app::Application app(crm::core::Config::fromEnvironment(
        crm::core::Config::processEnvironment()));
    app.start();
    app.runUntilSignal();
    return 0;
}

int migrate() {
    const auto vars = crm::core::Config::processEnvironment();
    const auto url = vars.find("CRM_DATABASE_URL");
    if (url == vars.end() || url->second.empty()) {
        throw crm::core::ConfigError("CRM_DATABASE_URL is required");
    }
    pqxx::connection connection(url->second);
    const auto report = crm::db::migrate(connection, crm::db::builtInMigrations());
    std::cout << "migrations: " << report.applied.size() << " applied, "
              << report.already_applied << " already in place\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (sodium_init() < 0) {
        std::cerr << "crm-server: libsodium failed to initialise\n";
        return 1;
    }
    // The server handles these itself; a broken client connection must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string> args(argv + 1, argv + argc);
    const std::string command = args.empty() ? "help" : args.front();
    try {
        if (command == "serve") {
            return serve();
        }
        if (command == "migrate") {
            return migrate();
        }
        if (command == "help" || command == "--help" || command == "-h") {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << "crm-server: unknown command '" << command << "'\n" << kUsage;
        return 2;
    } catch (const crm::core::ConfigError& e) {
        std::cerr << "crm-server: configuration error: " << e.what() << "\n";
        return 2;
    } catch (const crm::db::MigrationError& e) {
        std::cerr << "crm-server: migrations: " << e.what() << "\n";
        return 3;
    } catch (const std::exception& e) {
        std::cerr << "crm-server: " << e.what() << "\n";
        return 1;
    }
}
