#pragma once

#include "auth/auth_service.hpp"
#include "auth/dto.hpp"
#include "auth/sessions.hpp"
#include "core/access.hpp"
#include "core/pagination.hpp"
#include "core/request_meta.hpp"
#include "db/pool.hpp"

namespace crm::auth {

/// The organisation's users, managed by admins; every user may read them and edit their own
/// name and e-mail.
class UserService {
public:
    UserService(db::Pool& pool, SessionStore& sessions, AuthService& auth);

    repo::UserPage list(const core::Actor& actor, const repo::UserFilter& filter,
                        const core::PageRequest& page);
    long long count(const core::Actor& actor, const repo::UserFilter& filter);
    repo::UserRecord get(const core::Actor& actor, const std::string& user_id);
    repo::UserRecord create(const core::Actor& actor, const CreateUserDto& input,
                            const core::RequestMeta& meta);
    /// Needs users:manage unless the caller edits itself (then only name and e-mail).
    repo::UserRecord update(const core::Actor& actor, const std::string& user_id,
                            const nlohmann::json& body, std::optional<int> if_match,
                            const core::RequestMeta& meta);
    /// Deactivates (users are never hard-deleted: their history stays attributed) and ends
    /// their sessions.
    void deactivate(const core::Actor& actor, const std::string& user_id,
                    std::optional<int> if_match, const core::RequestMeta& meta);

private:
    db::Pool& pool_;
    SessionStore& sessions_;
    AuthService& auth_;
};

}  // namespace crm::auth
