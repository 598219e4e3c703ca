#pragma once

#include <string>
#include <string_view>

namespace crm::core {

/// A new UUIDv7 (time-ordered, RFC 9562) in canonical lower-case text form.
std::string newUuidV7();

/// True for a canonical 8-4-4-4-12 hexadecimal UUID (either case).
bool isUuid(std::string_view text);

/// A UUID's text in the lower case PostgreSQL prints, so either case names one record.
std::string lowerUuid(std::string_view text);

/// `count` random bytes from the OS CSPRNG as lower-case hex (2 * count characters).
std::string randomHex(std::size_t count);

/// `count` random bytes as unpadded base64url.
std::string randomToken(std::size_t count);

}  // namespace crm::core
