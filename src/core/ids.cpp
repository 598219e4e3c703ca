#include "core/ids.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace crm::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string toHex(const unsigned char* bytes, std::size_t count) {
    std::string out;
    out.reserve(count * 2);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 0x0f]);
    }
    return out;
}

// Random bytes for identifiers, drawn from the system generator a block at a time: one
// getrandom() per request id was a syscall on every request. Identifiers are not secrets; keys
// and tokens still draw their own bytes.
void identifierRandomBytes(unsigned char* out, std::size_t count) {
    thread_local std::array<unsigned char, 1024> pool{};
    thread_local std::size_t used = pool.size();
    if (used + count > pool.size()) {
        randombytes_buf(pool.data(), pool.size());
        used = 0;
    }
    std::memcpy(out, pool.data() + used, count);
    used += count;
}

}  // namespace

std::string newUuidV7() {
    std::array<unsigned char, 16> bytes{};
    identifierRandomBytes(bytes.data() + 6, bytes.size() - 6);
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    for (int i = 0; i < 6; ++i) {
        bytes[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    }
    bytes[6] = static_cast<unsigned char>(0x70 | (bytes[6] & 0x0f));  // version 7
    bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3f));  // RFC 4122 variant
    std::string text;
    text.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text.push_back('-');
        }
        text.push_back(kHex[bytes[i] >> 4]);
        text.push_back(kHex[bytes[i] & 0x0f]);
    }
    return text;
}

bool isUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

std::string randomHex(std::size_t count) {
    std::string bytes(count, '\0');
    randombytes_buf(bytes.data(), count);
    return toHex(reinterpret_cast<const unsigned char*>(bytes.data()), count);
}

std::string randomToken(std::size_t count) {
    std::string bytes(count, '\0');
    randombytes_buf(bytes.data(), count);
    std::string out(sodium_base64_ENCODED_LEN(count, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      count, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string lowerUuid(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

}  // namespace crm::core
