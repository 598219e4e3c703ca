// crm-server: the one binary. `crm-server help` lists its commands.
#include "app/application.hpp"
#include "auth/admin_setup.hpp"
#include "auth/sessions.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/scheduling.hpp"
#include "db/migrations.hpp"
#include "db/statement.hpp"
#include "kv/redis.hpp"

#include <pqxx/pqxx>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <csignal>
#include <sys/resource.h>
#include <pthread.h>
#include <map>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char kUsage[] = R"(usage: crm-server <command>

commands:
  serve [--role all|api|worker]
             serve the HTTP API and run the background worker (all, the default); api: HTTP
             only; worker: background work only (settings: CRM_* variables, see README.md)
  migrate    apply pending database migrations (needs CRM_DATABASE_URL)
  seed [--reset]
             load the demo organisation unless it exists (--reset replaces it); every demo
             user gets CRM_ADMIN_PASSWORD, or a generated password that is printed; with
             CRM_ADMIN_EMAIL set, that address also becomes an admin of the demo organisation
  create-admin --email EMAIL [--name NAME] [--organization NAME] [--password PASSWORD]
             create an admin (and the organisation if it does not exist); without --password
             (or CRM_ADMIN_PASSWORD) a password is generated and printed
  help       show this text
)";

// Blocks until SIGINT or SIGTERM (for the worker role, which has no HTTP server to wait on).
void waitForStopSignal() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    int received = 0;
    sigwait(&signals, &received);
}

// Each connection is a file descriptor, and the usual soft limit (1,024) is far below
// CRM_MAX_CONNECTIONS' default: take what the hard limit allows, and say when that is less.
void raiseOpenFileLimit(int max_connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    // Connections, pool connections, Redis, logs: keep a margin for everything but sockets.
    constexpr rlim_t kOtherDescriptors = 256;
    if (limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < static_cast<rlim_t>(max_connections) + kOtherDescriptors) {
        crm::core::log::warn("open-file limit below CRM_MAX_CONNECTIONS: lower it or raise the limit",
                             {{"open_files", static_cast<std::int64_t>(limit.rlim_cur)},
                              {"max_connections", static_cast<std::int64_t>(max_connections)}});
    }
}

int serve(const std::vector<std::string>& args) {
    std::string role = "all";
    if (args.size() == 3 && args[1] == "--role") {
        role = args[2];
    } else if (args.size() != 1) {
        throw std::invalid_argument("usage: crm-server serve [--role all|api|worker]");
    }
    if (role != "all" && role != "api" && role != "worker") {
        throw std::invalid_argument("--role must be all, api or worker");
    }
    auto config = crm::core::Config::fromEnvironment(crm::core::Config::processEnvironment());
    raiseOpenFileLimit(config.max_connections);
    if (config.batch_scheduling && !crm::core::useBatchScheduling()) {
        crm::core::log::warn("could not switch to batch scheduling; running with the default",
                             {{"error", std::strerror(errno)}});
    }
    if (role == "api") {
        config.run_workers = false;
    }
    if (role == "worker") {
        // Block the signals before any thread starts, so only sigwait() receives them.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        crm::app::Application app(std::move(config));
        app.startWorkerOnly();
        waitForStopSignal();
        crm::core::log::info("shutting down");
        return 0;
    }
    crm::app::Application app(std::move(config));
    app.start();
    app.runUntilSignal();
    return 0;
}

std::string setting(const std::string& name) {
    const auto vars = crm::core::Config::processEnvironment();
    const auto it = vars.find(name);
    return it == vars.end() ? std::string{} : it->second;
}

std::string databaseUrl() {
    auto url = setting("CRM_DATABASE_URL");
    if (url.empty()) {
        throw crm::core::ConfigError("CRM_DATABASE_URL is required");
    }
    return url;
}

// Reads `--name value` pairs; anything else is a usage error.
std::map<std::string, std::string> options(const std::vector<std::string>& args,
                                           const std::vector<std::string>& allowed) {
    std::map<std::string, std::string> out;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (std::find(allowed.begin(), allowed.end(), arg) == allowed.end()) {
            throw std::invalid_argument("unknown option " + arg);
        }
        if (arg == "--reset") {
            out[arg] = "true";
            continue;
        }
        if (i + 1 >= args.size()) {
            throw std::invalid_argument(arg + " needs a value");
        }
        out[arg] = args[++i];
    }
    return out;
}

std::string generatedPassword() {
    return crm::core::randomToken(18);
}

// Checks the schema is current and prepares the statements the repositories use.
void verifySchema(pqxx::connection& connection) {
    crm::db::verifyMigrations(connection, crm::db::builtInMigrations());
    crm::db::prepareAll(connection);
}

// Ends a user's sessions in the Redis crm-server serve uses (CRM_REDIS_URL, CRM_REDIS_PREFIX),
// for create-admin resetting an existing account. Redis is reached only then (creating a new
// account needs none), and only its settings are read: an operator recovering an account needs
// no SMTP server or token secret in the environment.
void endSessionsOf(const std::string& user_id) {
    const crm::core::Config defaults;
    const auto url = setting("CRM_REDIS_URL");
    if (url.empty()) {
        throw crm::core::ConfigError(
            "CRM_REDIS_URL is required to end the account's sessions; nothing was changed");
    }
    const auto prefix = setting("CRM_REDIS_PREFIX");
    crm::kv::Redis redis(crm::kv::RedisOptions{url, 1,
                                               std::chrono::milliseconds(defaults.redis_timeout_ms),
                                               prefix.empty() ? defaults.redis_prefix : prefix});
    crm::auth::SessionStore sessions(redis, std::chrono::hours(24) * defaults.refresh_token_ttl_days,
                                     std::chrono::seconds(0));
    try {
        const int ended = sessions.revokeAllOfUser(user_id);
        std::cout << "Ended " << ended << " session" << (ended == 1 ? "" : "s")
                  << " of the account.\n";
    } catch (const crm::core::AppError& error) {
        // Not the URL itself: it may carry Redis's password.
        throw std::runtime_error("could not end the account's sessions in Redis (CRM_REDIS_URL): " +
                                 error.detail() + "; nothing was changed");
    }
}

int seed(const std::vector<std::string>& args) {
    const auto opts = options(args, {"--reset"});
    pqxx::connection connection(databaseUrl());
    verifySchema(connection);
    auto password = setting("CRM_ADMIN_PASSWORD");
    const bool generated = password.empty();
    if (generated) {
        password = generatedPassword();
    }
    const auto result = crm::auth::seedDemo(connection, password, opts.count("--reset") > 0);
    if (!result.seeded) {
        std::cout << "Demo organisation already present (crm-server seed --reset replaces it).\n";
    } else {
        std::cout << "Demo organisation loaded: " << result.users.size() << " users, password "
                  << (generated ? "'" + password + "' (generated)" : "from CRM_ADMIN_PASSWORD")
                  << "\n";
        for (const auto& user : result.users) {
            std::cout << "  " << user.role << "  " << user.email << "  (organization "
                      << user.organization << ")\n";
        }
    }
    const auto admin_email = setting("CRM_ADMIN_EMAIL");
    if (!admin_email.empty()) {
        const auto admin = crm::auth::createAdmin(connection, admin_email, password, "Administrator",
                                                  "Northwind Talent & Sales", endSessionsOf);
        std::cout << "Admin " << admin.email << " in organization " << admin.organization
                  << " has the password above.\n";
    }
    return 0;
}

int createAdmin(const std::vector<std::string>& args) {
    const auto opts = options(args, {"--email", "--name", "--organization", "--password"});
    if (opts.count("--email") == 0) {
        throw std::invalid_argument("--email is required");
    }
    auto password = opts.count("--password") ? opts.at("--password") : setting("CRM_ADMIN_PASSWORD");
    const bool generated = password.empty();
    if (generated) {
        password = generatedPassword();
    }
    pqxx::connection connection(databaseUrl());
    verifySchema(connection);
    const auto admin = crm::auth::createAdmin(
        connection, opts.at("--email"), password,
        opts.count("--name") ? opts.at("--name") : std::string("Administrator"),
        opts.count("--organization") ? opts.at("--organization") : std::string("My Company"),
        endSessionsOf);
    std::cout << "Admin " << admin.email << " (organization " << admin.organization << ")";
    if (generated) {
        std::cout << " password: " << password;
    }
    std::cout << "\n";
    return 0;
}

int migrate() {
    crm::core::log::setLevel(setting("CRM_LOG_LEVEL").empty() ? "info" : setting("CRM_LOG_LEVEL"));
    pqxx::connection connection(databaseUrl());
    const auto report = crm::db::migrate(connection, crm::db::builtInMigrations());
    std::cout << "migrations: " << report.applied.size() << " applied, "
              << report.already_applied << " already in place\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    crm::core::log::bufferStandardOutput();
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
            return serve(args);
        }
        if (command == "migrate") {
            return migrate();
        }
        if (command == "seed") {
            return seed(args);
        }
        if (command == "create-admin") {
            return createAdmin(args);
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
    } catch (const std::invalid_argument& e) {
        std::cerr << "crm-server " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const crm::db::MigrationError& e) {
        std::cerr << "crm-server: migrations: " << e.what() << "\n";
        return 3;
    } catch (const std::exception& e) {
        std::cerr << "crm-server: " << e.what() << "\n";
        return 1;
    }
}
