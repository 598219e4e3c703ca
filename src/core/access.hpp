#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The access-control vocabulary shared by the HTTP guard (routes declare a Permission) and the
/// services (ownership rules). docs/security.md prints the same matrix.
namespace crm::core {

enum class Role { Admin, Manager, Recruiter, Sales };

enum class Permission {
    UsersRead,
    UsersManage,
    SettingsManage,
    AuditRead,
    ClientsRead,
    ClientsWrite,
    ClientsDelete,
    ContactsRead,
    ContactsWrite,
    ContactsDelete,
    ContactsMerge,
    SalesProfilesWrite,
    CandidateProfilesWrite,
    JobsRead,
    JobsWrite,
    ApplicationsRead,
    ApplicationsWrite,
    DealsRead,
    DealsWrite,
    ProjectsRead,
    ProjectsWrite,
    ActivitiesRead,
    ActivitiesWrite,
    TemplatesRead,
    TemplatesManage,
    MessagesRead,
    MessagesSend,
    ReportsRead,
    /// Edit, delete and reassign records owned by someone else in the organisation.
    RecordsManageAny,
    Count_,  // not a permission: the number of them
};

constexpr std::size_t kPermissionCount = static_cast<std::size_t>(Permission::Count_);
using PermissionSet = std::bitset<kPermissionCount>;

std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view text);
std::string_view toString(Permission permission);
std::vector<Permission> allPermissions();

/// The one role → permission table.
const PermissionSet& permissionsOf(Role role);

/// Who is calling: set by the authentication middleware from a verified access token.
struct Actor {
    std::string user_id;
    std::string org_id;
    Role role = Role::Sales;
    std::string session_id;

    bool can(Permission permission) const {
        return permissionsOf(role).test(static_cast<std::size_t>(permission));
    }
    /// Owners may edit their own records; RecordsManageAny may edit anyone's.
    bool mayManage(const std::optional<std::string>& owner_id) const {
        return can(Permission::RecordsManageAny) || (owner_id && *owner_id == user_id);
    }
};

}  // namespace crm::core
