#include "core/web_address.hpp"

#include "core/validation.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

namespace crm::core {
namespace {

std::string lowerAscii(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool isDomainShape(const std::string& text) {
    static const std::regex kShape(
        R"(^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$)");
    return std::regex_match(text, kShape);
}

}  // namespace

std::optional<std::string> normalizeDomain(std::string_view text) {
    auto host = lowerAscii(trim(text));
    // A scheme is allowed (people paste URLs), but only the web's.
    if (const auto scheme_end = host.find("://"); scheme_end != std::string::npos) {
        const auto scheme = host.substr(0, scheme_end);
        if (scheme != "http" && scheme != "https") {
            return std::nullopt;
        }
        host.erase(0, scheme_end + 3);
    } else if (host.rfind("//", 0) == 0) {
        host.erase(0, 2);
    }
    if (const auto end = host.find_first_of("/?#"); end != std::string::npos) {
        host.resize(end);
    }
    if (host.find('@') != std::string::npos) {
        return std::nullopt;  // credentials are no part of a domain
    }
    if (const auto colon = host.find(':'); colon != std::string::npos) {
        const auto port = std::string_view(host).substr(colon + 1);
        unsigned number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (ec != std::errc{} || end != port.data() + port.size() || number == 0 || number > 65535) {
            return std::nullopt;  // a URL with a port no server could listen on is a typo
        }
        host.resize(colon);
    }
    if (!host.empty() && host.back() == '.') {
        host.pop_back();
    }
    while (host.rfind("www.", 0) == 0) {
        host.erase(0, 4);
    }
    // ASCII only (international names in punycode), then the rules of every domain name.
    if (host.empty() || host.size() > kMaxDomainLength || !isDomainShape(host) || !isDomainName(host)) {
        return std::nullopt;
    }
    return host;
}

bool hasCredentials(std::string_view url) {
    // The authority: after a scheme ("https://", a "://" before any other delimiter) or "//",
    // up to the path, query or fragment. A "://" further on belongs to a path or query.
    auto rest = url;
    if (const auto delimiter = url.find_first_of(":/?#@");
        delimiter != std::string_view::npos && url.substr(delimiter, 3) == "://") {
        rest = url.substr(delimiter + 3);
    } else if (url.substr(0, 2) == "//") {
        rest = url.substr(2);
    }
    return rest.substr(0, rest.find_first_of("/?#")).find('@') != std::string_view::npos;
}

std::optional<std::string> normalizeWebsite(std::string_view text) {
    const auto url = core::trim(text);
    // Characters that print as nothing would make two addresses that read the same differ.
    if (url.empty() || core::containsSpace(url) || core::containsHiddenMark(url) ||
        std::any_of(url.begin(), url.end(),
                    [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
        return std::nullopt;
    }
    std::string scheme = "https";
    std::string rest = url;
    static const std::regex kScheme(R"(^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$)");
    std::smatch match;
    if (std::regex_match(url, match, kScheme)) {
        scheme = lowerAscii(match[1].str());
        rest = match[2].str();
    } else if (url.rfind("//", 0) == 0) {
        rest = url.substr(2);
    }
    if (scheme != "http" && scheme != "https") {
        return std::nullopt;
    }
    const auto end = rest.find_first_of("/?#");
    auto authority = lowerAscii(rest.substr(0, end));
    // "acme.com." is the host acme.com, as the domain has it: one site, written one way.
    if (const auto host_end = std::min(authority.find(':'), authority.size());
        host_end > 1 && authority[host_end - 1] == '.') {
        authority.erase(host_end - 1, 1);
        if (authority[host_end - 2] == '.') {
            return std::nullopt;  // "acme.com..": an empty label, as the domain refuses it
        }
    }
    const auto tail = end == std::string::npos ? std::string{} : rest.substr(end);
    if (!normalizeDomain(authority)) {
        return std::nullopt;
    }
    auto website = scheme + "://" + authority + tail;
    if (utf8Length(website) > kMaxWebsiteLength) {
        return std::nullopt;  // counted as stored, with the scheme this added
    }
    return website;
}

}  // namespace crm::core
