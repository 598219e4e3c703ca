#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace crm::core {

inline constexpr std::size_t kMaxDomainLength = 253;
inline constexpr std::size_t kMaxWebsiteLength = 2048;

/// The lower-case host of a domain or URL, without scheme, `www.`, port, path or trailing
/// dot ("https://WWW.Acme.COM:443/about" → "acme.com"); nullopt when it is not a DNS name
/// (IP addresses, single labels, non-ASCII names: send those in punycode).
std::optional<std::string> normalizeDomain(std::string_view text);

/// A website as stored: `https://` added when no scheme is given, scheme and host in lower
/// case, the rest as sent; nullopt unless it is an http(s) URL whose host is a DNS name and it
/// has at most kMaxWebsiteLength characters as stored.
std::optional<std::string> normalizeWebsite(std::string_view text);

/// Whether a web address carries a user name or password before its host
/// (`https://user:secret@acme.com`), which normalizeWebsite refuses: a client's website is
/// shown to every colleague, and a password has no place in it.
bool hasCredentials(std::string_view url);

}  // namespace crm::core
