#include "core/access.hpp"

#include <array>

namespace crm::core {
namespace {

using P = Permission;

PermissionSet setOf(std::initializer_list<Permission> permissions) {
    PermissionSet set;
    for (const auto permission : permissions) {
        set.set(static_cast<std::size_t>(permission));
    }
    return set;
}

// ARCHITECTURE.md "Roles": admin everything; manager all CRM data, assignment, reports and
// deletes; recruiter the candidate side and reads of clients and deals; sales the buyer side
// and reads of jobs. Ownership rules on top of this live in the services (Actor::mayManage).
const std::array<PermissionSet, 4> kRolePermissions{
    // Admin
    PermissionSet{}.set(),
    // Manager
    setOf({P::UsersRead, P::AuditRead, P::ClientsRead, P::ClientsWrite, P::ClientsDelete,
           P::ContactsRead, P::ContactsWrite, P::ContactsDelete, P::ContactsMerge,
           P::SalesProfilesWrite, P::CandidateProfilesWrite, P::JobsRead, P::JobsWrite,
           P::ApplicationsRead, P::ApplicationsWrite, P::DealsRead, P::DealsWrite, P::ProjectsRead,
           P::ProjectsWrite, P::ActivitiesRead, P::ActivitiesWrite, P::TemplatesRead,
           P::TemplatesManage, P::MessagesRead, P::MessagesSend, P::ReportsRead,
           P::RecordsManageAny}),
    // Recruiter
    setOf({P::UsersRead, P::ClientsRead, P::ContactsRead, P::ContactsWrite, P::ContactsDelete,
           P::CandidateProfilesWrite, P::JobsRead, P::JobsWrite, P::ApplicationsRead,
           P::ApplicationsWrite, P::DealsRead, P::ProjectsRead, P::ActivitiesRead,
           P::TemplatesRead, P::MessagesRead, P::MessagesSend}),
    // Sales
    setOf({P::UsersRead, P::ClientsRead, P::ClientsWrite, P::ClientsDelete, P::ContactsRead,
           P::ContactsWrite, P::ContactsDelete, P::SalesProfilesWrite, P::JobsRead,
           P::ApplicationsRead, P::DealsRead, P::DealsWrite, P::ProjectsRead, P::ProjectsWrite,
           P::ActivitiesRead, P::ActivitiesWrite, P::TemplatesRead, P::MessagesRead,
           P::MessagesSend}),
};

constexpr std::array<std::string_view, kPermissionCount> kPermissionNames{
    "users:read",        "users:manage",        "settings:manage",
    "audit:read",        "clients:read",        "clients:write",
    "clients:delete",    "contacts:read",       "contacts:write",
    "contacts:delete",   "contacts:merge",      "sales_profiles:write",
    "candidate_profiles:write", "jobs:read",    "jobs:write",
    "applications:read", "applications:write",  "deals:read",
    "deals:write",       "projects:read",       "projects:write",
    "activities:read",   "activities:write",    "templates:read",
    "templates:manage",  "messages:read",       "messages:send",
    "reports:read",      "records:manage_any",
};

}  // namespace

std::string_view toString(Role role) {
    switch (role) {
        case Role::Admin: return "admin";
        case Role::Manager: return "manager";
        case Role::Recruiter: return "recruiter";
        case Role::Sales: return "sales";
    }
    return "sales";
}

std::optional<Role> parseRole(std::string_view text) {
    for (const auto role : {Role::Admin, Role::Manager, Role::Recruiter, Role::Sales}) {
        if (text == toString(role)) {
            return role;
        }
    }
    return std::nullopt;
}

std::string_view toString(Permission permission) {
    return kPermissionNames.at(static_cast<std::size_t>(permission));
}

std::vector<Permission> allPermissions() {
    std::vector<Permission> out;
    for (std::size_t i = 0; i < kPermissionCount; ++i) {
        out.push_back(static_cast<Permission>(i));
    }
    return out;
}

const PermissionSet& permissionsOf(Role role) {
    return kRolePermissions.at(static_cast<std::size_t>(role));
}

}  // namespace crm::core
