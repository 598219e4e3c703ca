#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crm::auth {

/// Shortest and longest passwords accepted, in characters (code points). Long passphrases are
/// welcome; the upper bound only keeps hashing inputs sane.
constexpr std::size_t kMinPasswordLength = 12;
constexpr std::size_t kMaxPasswordLength = 256;

/// argon2id with libsodium's "interactive" limits (2 passes, 64 MiB): ~50-100 ms a hash here.
std::string hashPassword(std::string_view password);

/// True when `password` matches `hash`. A hash that is not argon2id never matches.
bool verifyPassword(std::string_view hash, std::string_view password);

/// Spends as long as verifyPassword() on a real hash, so that a login for an unknown e-mail
/// takes the same time as one for a known e-mail with a wrong password.
void burnVerificationTime(std::string_view password);

/// Whether the hash was made with weaker limits than today's, so it should be rehashed.
bool needsRehash(std::string_view hash);

/// Why `password` is refused, or empty when it is acceptable: too short or too long, one of the
/// common passwords shipped with the project (also with digits or symbols added at the end, or
/// repeated), a keyboard or digit run, or built from `personal` words (name, e-mail, company).
std::string passwordProblem(std::string_view password, const std::vector<std::string>& personal = {});

}  // namespace crm::auth
