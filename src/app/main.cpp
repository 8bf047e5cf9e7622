// wadesk: serve | migrate | company create | user create | routes | version.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/app.h"
#include "app/config.h"
#include "auth/token_authenticator.h"
#include "core/log.h"
#include "http/api.h"
#include "http/metrics.h"
#include "service/views.h"
#include "store/repository.h"

namespace {
using namespace wadesk;
namespace json = boost::json;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void Usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: wadesk COMMAND [options]\n\n"
                 "commands:\n"
                 "  serve                          run the server\n"
                 "  migrate                        apply database migrations and exit\n"
                 "  company create --name N --admin-email E --admin-password P [--admin-name NAME] [--max-sessions K]\n"
                 "                                 create a company and its first admin; prints them as JSON\n"
                 "  user create --company ID --email E --password P --role admin|manager [--name NAME]\n"
                 "                                 create a user; prints it as JSON\n"
                 "  routes                         print the HTTP route table as JSON\n"
                 "  version                        print the version\n\n"
                 "options (flag, environment variable; precedence flag > env > config file > default):\n%s",
                 app::ConfigHelp().c_str());
}

int Fail(int code, const std::string& message) {
    std::fprintf(stderr, "wadesk: %s\n", message.c_str());
    return code;
}

// Parses "--name value" / "--name=value" pairs of a subcommand; every flag must be known.
bool ParseFlags(const std::vector<std::string>& args, const std::vector<std::string>& known,
                std::map<std::string, std::string>& out, std::string& error) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        if (!a.starts_with("--")) {
            error = "unexpected argument '" + a + "'";
            return false;
        }
        std::string name = a.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            error = "unknown option --" + name;
            return false;
        }
        if (!has_value) {
            if (i + 1 >= args.size()) {
                error = "--" + name + " needs a value";
                return false;
            }
            value = args[++i];
        }
        out[name] = value;
    }
    return true;
}

int ExitCodeOf(const Error& e) { return e.code == "invalid_config" ? kExitUsage : kExitFailure; }

int RunServiceCommand(const std::function<void()>& f) {
    try {
        f();
        return 0;
    } catch (const service::ServiceError& e) {
        return Fail(e.kind() == service::FailureKind::kBadInput ? kExitUsage : kExitFailure, e.what());
    } catch (const std::exception& e) {
        return Fail(kExitFailure, e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string program = argc > 0 ? argv[0] : "wadesk";
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        Usage(args.empty() ? stderr : stdout);
        return args.empty() ? kExitUsage : 0;
    }
    std::string command = args[0];
    std::size_t words = 1;
    if ((command == "company" || command == "user") && args.size() > 1) {
        command += " " + args[1];
        words = 2;
    }
    if (command == "version" || command == "--version") {
        std::printf("wadesk %s\n", WADESK_VERSION);
        return 0;
    }
    std::vector<std::string> rest;
    auto config = app::ParseConfig(std::vector<std::string>(args.begin() + words, args.end()),
                                   app::ProcessEnvironment(), &rest);
    if (!config) return Fail(kExitUsage, config.error().message);
    InitLogging(config->log_level, config->log_format == "json" ? LogFormat::kJson : LogFormat::kText);
    SetMessageTextLog(config->log_message_text == "full"  ? MessageTextLog::kFull
                      : config->log_message_text == "off" ? MessageTextLog::kOff
                                                          : MessageTextLog::kPreview);

    if (command == "routes") {
        if (!rest.empty()) return Fail(kExitUsage, "routes takes no arguments");
        http::Metrics metrics;
        http::Api api(nullptr, nullptr, metrics, {});
        std::printf("%s\n", http::RoutesJson(api.router()).c_str());
        return 0;
    }
    if (command == "migrate") {
        if (!rest.empty()) return Fail(kExitUsage, "migrate takes no arguments");
        try {
            store::OpenRepository(config->DatabaseUrl(), true);
        } catch (const std::exception& e) {
            return Fail(kExitFailure, "cannot migrate " + app::RedactUrl(config->DatabaseUrl()) + ": " + e.what());
        }
        std::fprintf(stderr, "database %s is up to date\n", app::RedactUrl(config->DatabaseUrl()).c_str());
        return 0;
    }
    if (command == "serve") {
        if (!rest.empty()) return Fail(kExitUsage, "unknown option " + rest.front() + " (see wadesk help)");
        auto app = app::App::Open(*config);
        if (!app) return Fail(ExitCodeOf(app.error()), app.error().message);
        return (*app)->Serve(program);
    }
    if (command == "company create") {
        std::map<std::string, std::string> f;
        std::string error;
        if (!ParseFlags(rest, {"name", "admin-email", "admin-password", "admin-name", "max-sessions"}, f, error))
            return Fail(kExitUsage, error);
        for (const char* required : {"name", "admin-email", "admin-password"})
            if (!f.count(required)) return Fail(kExitUsage, std::string("company create needs --") + required);
        int max_sessions = 10;
        if (f.count("max-sessions")) {
            try {
                std::size_t used = 0;
                max_sessions = std::stoi(f["max-sessions"], &used);
                if (used != f["max-sessions"].size()) throw std::invalid_argument("x");
            } catch (const std::exception&) {
                return Fail(kExitUsage, "--max-sessions must be an integer");
            }
        }
        auto app = app::App::Open(*config);
        if (!app) return Fail(ExitCodeOf(app.error()), app.error().message);
        return RunServiceCommand([&] {
            service::NewUser admin;
            admin.email = f["admin-email"];
            admin.password = f["admin-password"];
            admin.name = f.count("admin-name") ? f["admin-name"] : "Admin";
            auto [company, user] = (*app)->service().operators().CreateCompany(f["name"], admin, max_sessions);
            json::object out{{"company", service::CompanyView(company)}, {"admin", service::UserView(user)}};
            std::printf("%s\n", json::serialize(out).c_str());
        });
    }
    if (command == "user create") {
        std::map<std::string, std::string> f;
        std::string error;
        if (!ParseFlags(rest, {"company", "email", "password", "role", "name"}, f, error)) return Fail(kExitUsage, error);
        for (const char* required : {"company", "email", "password", "role"})
            if (!f.count(required)) return Fail(kExitUsage, std::string("user create needs --") + required);
        auto role = auth::ParseRole(f["role"]);
        if (!role) return Fail(kExitUsage, "--role must be admin or manager");
        auto app = app::App::Open(*config);
        if (!app) return Fail(ExitCodeOf(app.error()), app.error().message);
        return RunServiceCommand([&] {
            service::NewUser nu;
            nu.email = f["email"];
            nu.password = f["password"];
            nu.name = f.count("name") ? f["name"] : "";
            nu.role = *role;
            auto user = (*app)->service().operators().CreateUser(f["company"], nu);
            std::printf("%s\n", json::serialize(service::UserView(user)).c_str());
        });
    }
    std::fprintf(stderr, "wadesk: unknown command '%s'\n\n", command.c_str());
    Usage(stderr);
    return kExitUsage;
}
