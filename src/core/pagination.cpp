#include "core/pagination.hpp"

#include "core/error.hpp"
#include "core/validation.hpp"

#include <sodium.h>

#include <charconv>
#include <mutex>

namespace crm::core {
namespace {

constexpr std::size_t kSignatureBytes = 16;

std::mutex g_secret_mutex;
std::string& cursorKey() {
    static std::string key = [] {
        std::string random(crypto_auth_hmacsha256_KEYBYTES, '\0');
        randombytes_buf(random.data(), random.size());
        return random;
    }();
    return key;
}

std::string signature(std::string_view payload) {
    std::string key;
    {
        std::lock_guard lock(g_secret_mutex);
        key = cursorKey();
    }
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()),
                                  payload.size());
    crypto_auth_hmacsha256_final(&state, mac);
    return std::string(reinterpret_cast<const char*>(mac), kSignatureBytes);
}

AppError badCursor() {
    return AppError::invalidField("cursor", "is not a cursor this list handed out");
}

std::string base64url(std::string_view bytes) {
    std::string out(
        sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
    std::string out(text.size(), '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    out.resize(length);
    return out;
}

}  // namespace

PageRequest parsePageRequest(const QueryParams& query, std::string_view list,
                             const std::vector<std::string>& sorts) {
    FieldErrors errors;
    auto page = parsePageRequest(query, list, sorts, errors);
    errors.throwIfAny();
    return page;
}

PageRequest parsePageRequest(const QueryParams& query, std::string_view list,
                             const std::vector<std::string>& sorts, FieldErrors& errors) {
    PageRequest page;
    if (const auto limit = query.single("limit")) {
        int value = 0;
        const auto* end = limit->data() + limit->size();
        const auto [ptr, ec] = std::from_chars(limit->data(), end, value);
        if (ec != std::errc{} || ptr != end || value < 1 || value > kMaxPageLimit) {
            errors.add("limit", "must be a whole number from 1 to " + std::to_string(kMaxPageLimit));
        } else {
            page.limit = value;
        }
    }
    std::string sort_name = sorts.empty() ? std::string{"-created_at"} : sorts.front();
    if (const auto sort = query.single("sort")) {
        if (std::find(sorts.begin(), sorts.end(), *sort) == sorts.end()) {
            std::string allowed;
            for (const auto& name : sorts) {
                allowed += (allowed.empty() ? "" : ", ") + name;
            }
            errors.add("sort", "must be one of " + allowed);
            page.sort_refused = true;
        } else {
            sort_name = *sort;
        }
    }
    page.sort.descending = !sort_name.empty() && sort_name.front() == '-';
    page.sort.name = page.sort.descending ? sort_name.substr(1) : sort_name;
    if (const auto with_total = query.single("with_total")) {
        if (*with_total == "true") {
            page.with_total = true;
        } else if (*with_total != "false") {
            errors.add("with_total", "must be true or false");
        }
    }
    if (const auto cursor = query.single("cursor")) {
        page.after = decodeCursor(*cursor, list, page.sort_refused ? std::nullopt : std::optional(sort_name), 2, errors);
    }
    return page;
}

void checkListParams(const QueryParams& query, const std::set<std::string, std::less<>>& known,
                     const std::set<std::string, std::less<>>& repeatable, FieldErrors& errors) {
    static const std::set<std::string, std::less<>> kPageParams{"limit", "cursor", "sort", "with_total"};
    std::set<std::string, std::less<>> reported;
    for (const auto& [name, value] : query.values()) {
        if (reported.count(name)) {
            continue;
        }
        if (!known.count(name) && !kPageParams.count(name)) {
            errors.add(name, "is not a parameter of this list");
            reported.insert(name);
        } else if (!repeatable.count(name) && query.all(name).size() > 1) {
            errors.add(name, "must be given once");
            reported.insert(name);
        } else if (!isStorableText(value)) {
            errors.add(name, kStorableTextRule);
            reported.insert(name);
        }
    }
}

void setCursorSecret(const std::string& secret) {
    // A key of its own, derived from the secret (of any length), so that a cursor signature is
    // never also a token signature: HMAC(SHA-256(secret), label).
    unsigned char hashed[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hashed, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    const std::string label = "crm cursor signing key";
    unsigned char derived[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(derived, reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                           hashed);
    std::lock_guard lock(g_secret_mutex);
    cursorKey().assign(reinterpret_cast<const char*>(derived), sizeof derived);
}

std::string encodeCursor(std::string_view list, const std::string& sort, const nlohmann::json& keys) {
    const auto payload = nlohmann::json{{"l", list}, {"s", sort}, {"k", keys}}.dump();
    return base64url(payload + signature(payload));
}

namespace {

// The payload of a cursor this server signed for `list` (any sort); badCursor otherwise.
nlohmann::json signedPayload(std::string_view cursor, std::string_view list) {
    // The longest cursor handed out carries two names of 200 characters (the last_name sort),
    // up to four bytes each in UTF-8 and six when JSON escapes them, then grows by a third in
    // base64: about 3,400 characters.
    if (cursor.size() > 4096) {
        throw badCursor();
    }
    const auto raw = unbase64url(cursor);
    if (!raw || raw->size() <= kSignatureBytes) {
        throw badCursor();
    }
    const auto payload = raw->substr(0, raw->size() - kSignatureBytes);
    const auto mac = raw->substr(raw->size() - kSignatureBytes);
    if (sodium_memcmp(mac.data(), signature(payload).data(), kSignatureBytes) != 0) {
        throw badCursor();
    }
    auto parsed = nlohmann::json::parse(payload, nullptr, false);
    // Cursors handed out before they named their list carry no "l", and those from before the
    // list's name took the organisation name it without: still good for their list and sort,
    // so that a client paging through a deployment's upgrade is not refused.
    const auto same_list = [&parsed, list] {
        if (!parsed.contains("l")) {
            return true;
        }
        const auto& named = parsed["l"];
        return named == list || named == list.substr(0, list.find(kListOrganisation));
    };
    if (!parsed.is_object() || !same_list()) {
        throw badCursor();
    }
    return parsed;
}

}  // namespace

nlohmann::json decodeCursor(std::string_view cursor, std::string_view list, const std::string& sort,
                            std::size_t arity) {
    const auto parsed = signedPayload(cursor, list);
    if (!parsed.contains("s") || !parsed.contains("k") || parsed["s"] != sort || !parsed["k"].is_array() ||
        parsed["k"].size() != arity) {
        throw badCursor();
    }
    for (const auto& key : parsed["k"]) {
        if (!key.is_string() && !key.is_number() && !key.is_null()) {
            throw badCursor();
        }
    }
    return parsed["k"];
}

std::optional<nlohmann::json> decodeCursor(std::string_view cursor, std::string_view list,
                                           const std::optional<std::string>& sort, std::size_t arity,
                                           FieldErrors& errors) {
    // Not the first page: a client that sends back an empty next_cursor would walk the list
    // again from the start, for ever.
    if (cursor.empty()) {
        errors.add("cursor", "is empty: leave it out for the first page");
        return std::nullopt;
    }
    try {
        if (!sort) {
            signedPayload(cursor, list);
            return std::nullopt;
        }
        return decodeCursor(cursor, list, *sort, arity);
    } catch (const AppError&) {
        errors.add("cursor", "is not a cursor this list handed out");
        return std::nullopt;
    }
}

nlohmann::json pageJson(nlohmann::json items, int limit, const std::optional<std::string>& next,
                        std::optional<long long> total) {
    nlohmann::json page{{"limit", limit}, {"next_cursor", next ? nlohmann::json(*next) : nullptr}};
    if (total) {
        page["total"] = std::min<long long>(*total, kTotalCountCap);
        page["total_capped"] = *total > kTotalCountCap;
    }
    return nlohmann::json{{"data", std::move(items)}, {"page", std::move(page)}};
}

}  // namespace crm::core
