#include "mail/mailer.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace crm::mail {
namespace {

// RFC 5322 asks for header lines of at most 78 characters; RFC 2047 caps an encoded-word at 75.
constexpr std::size_t kMaxHeaderLine = 78;
// 39 bytes are 52 base64 characters: "=?UTF-8?B?" + 52 + "?=" is 64, and "Subject: " or a
// folding space in front of it stays under kMaxHeaderLine.
constexpr std::size_t kEncodedWordBytes = 39;
// RFC 2045: quoted-printable lines are at most 76 characters, the soft break's '=' included.
constexpr std::size_t kMaxQuotedPrintableLine = 76;

struct Address {
    std::string display;  // may be empty
    std::string addr;     // local@domain
};

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool hasLineBreak(std::string_view text) {
    return text.find_first_of("\r\n") != std::string_view::npos;
}

// Only the shape the envelope needs: something@something, with none of the characters that
// would let one field name several recipients or break out of the <...> of MAIL/RCPT.
bool isPlainAddress(std::string_view addr) {
    const auto at = addr.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == addr.size()) {
        return false;
    }
    for (const char c : addr) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f || std::strchr("<>,;\"\\()", c) != nullptr) {
            return false;
        }
    }
    return true;
}

// "addr@x", "<addr@x>", "Name <addr@x>" or "\"Name\" <addr@x>". Throws std::invalid_argument
// naming `what` when no usable address is found.
Address parseAddress(std::string_view text, std::string_view what) {
    if (hasLineBreak(text)) {
        throw std::invalid_argument(std::string(what) + " must not contain a line break");
    }
    const auto trimmed = trim(text);
    Address out;
    const auto open = trimmed.rfind('<');
    if (open == std::string_view::npos) {
        out.addr = trimmed;
    } else {
        if (trimmed.back() != '>') {
            throw std::invalid_argument(std::string(what) + " is not an e-mail address");
        }
        out.addr = trimmed.substr(open + 1, trimmed.size() - open - 2);
        auto display = trim(trimmed.substr(0, open));
        if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
            display = display.substr(1, display.size() - 2);
        }
        out.display = display;
    }
    if (!isPlainAddress(out.addr)) {
        throw std::invalid_argument(std::string(what) + " is not an e-mail address");
    }
    return out;
}

bool isPrintableAscii(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e) {
            return false;
        }
    }
    return true;
}

std::string base64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));  // the encoded length counts the terminating NUL
    return out;
}

// RFC 2047 "B" encoded-words, folded onto continuation lines. Each word holds whole UTF-8
// characters, because decoders may decode the words one by one (RFC 2047 section 5).
std::string encodedWords(std::string_view text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = std::min(pos + kEncodedWordBytes, text.size());
        // Step back over continuation bytes (10xxxxxx) so no character is split.
        while (end < text.size() && end > pos + 1 &&
               (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) {
            --end;
        }
        if (!out.empty()) {
            out += "\r\n ";  // whitespace between encoded-words is dropped when decoding
        }
        out += "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
        pos = end;
    }
    return out;
}

// Plain printable ASCII goes as is; anything else, a line too long to fit, or text that a
// reader would take for an encoded-word ("=?") is sent as encoded-words.
std::string unstructuredHeader(std::string_view name, std::string_view value) {
    const bool plain = isPrintableAscii(value) && value.find("=?") == std::string_view::npos &&
                       name.size() + 2 + value.size() <= kMaxHeaderLine;
    return std::string(name) + ": " + (plain ? std::string(value) : encodedWords(value)) + "\r\n";
}

// A display name as an RFC 5322 phrase: atoms as they are, other ASCII as a quoted-string,
// non-ASCII as encoded-words.
std::string formatAddress(const Address& address) {
    if (address.display.empty()) {
        return address.addr;
    }
    std::string phrase;
    if (!isPrintableAscii(address.display) ||
        address.display.find("=?") != std::string::npos) {
        phrase = encodedWords(address.display);
    } else if (address.display.find_first_of("()<>[]:;@\\,.\"") == std::string::npos) {
        phrase = address.display;
    } else {
        phrase = "\"";
        for (const char c : address.display) {
            if (c == '"' || c == '\\') {
                phrase.push_back('\\');
            }
            phrase.push_back(c);
        }
        phrase.push_back('"');
    }
    return phrase + " <" + address.addr + ">";
}

// RFC 5322 date-time in UTC, with English names whatever the process locale.
std::string rfc5322Date(std::time_t now) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[utc.tm_wday], utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900,
                  utc.tm_hour, utc.tm_min, utc.tm_sec);
    return buffer;
}

// Quoted-printable (RFC 2045 section 6.7) of text whose line breaks may be LF, CRLF or CR. The
// result is 7-bit with CRLF line breaks and short lines, so no relay needs 8BITMIME and none
// rewraps it; it always ends with a line break.
std::string quotedPrintable(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() + text.size() / 8 + 4);
    std::size_t line_length = 0;
    const auto append = [&](std::string_view token) {
        if (line_length + token.size() > kMaxQuotedPrintableLine - 1) {
            out += "=\r\n";  // soft line break, removed by the decoder
            line_length = 0;
        }
        out += token;
        line_length += token.size();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            out += "\r\n";
            line_length = 0;
            continue;
        }
        const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
        const auto byte = static_cast<unsigned char>(c);
        // Trailing blanks would be stripped in transit, so they are encoded.
        const bool literal = (byte >= 0x21 && byte <= 0x7e && c != '=') ||
                             ((c == ' ' || c == '\t') && !at_line_end);
        if (literal) {
            append(std::string_view(&c, 1));
        } else {
            const char escaped[3] = {'=', kHex[byte >> 4], kHex[byte & 0x0f]};
            append(std::string_view(escaped, 3));
        }
    }
    if (out.empty() || out.back() != '\n') {
        out += "\r\n";
    }
    return out;
}

std::string buildMessage(const std::string& from_header, const std::string& from_address,
                         const Address& to, const Email& email) {
    // The sender's domain makes the id unique across hosts; the random part within it.
    const auto domain = from_address.substr(from_address.rfind('@') + 1);
    std::string message;
    message += "Date: " + rfc5322Date(std::time(nullptr)) + "\r\n";
    message += "From: " + from_header + "\r\n";
    message += "To: " + formatAddress(to) + "\r\n";
    message += unstructuredHeader("Subject", email.subject);
    message += "Message-ID: <" + core::randomHex(16) + "@" + domain + ">\r\n";
    message += "MIME-Version: 1.0\r\n";
    message += "Content-Type: text/plain; charset=utf-8\r\n";
    message += "Content-Transfer-Encoding: quoted-printable\r\n";
    message += "\r\n";
    message += quotedPrintable(email.text);
    return message;
}

// Checks that need no connection, shared by every mailer so development catches what
// production would refuse.
Address checkEmail(const Email& email) {
    if (hasLineBreak(email.subject)) {
        throw std::invalid_argument("e-mail subject must not contain a line break");
    }
    return parseAddress(email.to, "e-mail recipient");
}

struct Upload {
    std::string_view data;
    std::size_t offset = 0;
};

std::size_t readUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto& upload = *static_cast<Upload*>(user);
    const auto n = std::min(size * count, upload.data.size() - upload.offset);
    std::memcpy(buffer, upload.data.data() + upload.offset, n);
    upload.offset += n;
    return n;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// curl_global_init must run before any other libcurl call, and not on two threads at once.
void initCurl() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpOptions options) : options_(std::move(options)) {
    if (options_.url.rfind("smtp://", 0) != 0 && options_.url.rfind("smtps://", 0) != 0) {
        throw std::invalid_argument("SMTP URL must start with smtp:// or smtps://");
    }
    const auto from = parseAddress(options_.from, "sender address");
    from_address_ = from.addr;
    from_header_ = formatAddress(from);
    initCurl();
}

void SmtpMailer::send(const Email& email) {
    const auto to = checkEmail(email);
    const auto message = buildMessage(from_header_, from_address_, to, email);

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
        throw std::runtime_error("smtp: curl_easy_init failed");
    }
    std::unique_ptr<curl_slist, CurlDeleter> recipients(
        curl_slist_append(nullptr, ("<" + to.addr + ">").c_str()));
    if (!recipients) {
        throw std::runtime_error("smtp: out of memory");
    }
    const std::string mail_from = "<" + from_address_ + ">";
    Upload upload{message};
    char error[CURL_ERROR_SIZE] = {};
    const auto timeout_ms = static_cast<long>(options_.timeout.count());

    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(handle, CURLOPT_URL, options_.url.c_str());
    // A URL from the settings must not turn this into a request of another protocol.
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(handle, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, readUpload);
    curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    if (!options_.user.empty()) {
        curl_easy_setopt(handle, CURLOPT_USERNAME, options_.user.c_str());
        curl_easy_setopt(handle, CURLOPT_PASSWORD, options_.password.c_str());
    }
    if (options_.url.rfind("smtp://", 0) == 0) {
        // STARTTLS when the relay offers it; smtps:// is TLS from the first byte anyway.
        curl_easy_setopt(handle, CURLOPT_USE_SSL,
                         static_cast<long>(options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    }
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
    // Timeouts by SIGALRM are not thread-safe; the threaded resolver needs no signal.
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);

    const auto code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
        long reply = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply);
        // Neither the URL nor the credentials go into the message: it ends up in logs.
        std::string what = std::string("smtp: ") + curl_easy_strerror(code);
        if (error[0] != '\0') {
            what += ": " + std::string(error);
        }
        if (reply != 0) {
            what += " (last reply " + std::to_string(reply) + ")";
        }
        throw std::runtime_error(what);
    }
}

void LogMailer::send(const Email& email) {
    checkEmail(email);
    core::log::info("email not sent: development mailer",
                    {{"to", email.to}, {"subject", email.subject}, {"text", email.text}});
}

std::unique_ptr<Mailer> makeMailer(const SmtpOptions& options) {
    if (options.url.empty()) {
        return std::make_unique<LogMailer>();
    }
    return std::make_unique<SmtpMailer>(options);
}

}  // namespace crm::mail
