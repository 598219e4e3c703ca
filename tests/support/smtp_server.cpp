#include "support/smtp_server.hpp"

#include "http/asio.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace crm::test {
namespace {

namespace net = boost::asio;
using net::awaitable;
using net::use_awaitable;
using tcp = net::ip::tcp;

// A longer command or data line is not from libcurl; the connection is dropped.
constexpr std::size_t kMaxLineBytes = 1024 * 1024;

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (lower(text[i]) != lower(prefix[i])) {
            return false;
        }
    }
    return true;
}

// "MAIL FROM:<a@b> SIZE=10" → "a@b"; nullopt without the angle brackets.
std::optional<std::string> pathOf(std::string_view argument) {
    const auto open = argument.find('<');
    const auto close = argument.find('>', open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(argument.substr(open + 1, close - open - 1));
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// Standard alphabet; whitespace and line breaks are skipped, '=' ends the data.
std::string decodeBase64(std::string_view text) {
    std::string out;
    unsigned int bits = 0;
    int bit_count = 0;
    for (const char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') {
            value = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            value = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            value = c - '0' + 52;
        } else if (c == '+') {
            value = 62;
        } else if (c == '/') {
            value = 63;
        } else if (c == '=') {
            break;
        } else {
            continue;
        }
        bits = (bits << 6) | static_cast<unsigned int>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
        }
    }
    return out;
}

// RFC 2045 section 6.7: "=XX" is a byte, "=" before a line break is a soft break. With
// `underscore_is_space`, the RFC 2047 "Q" variant.
std::string decodeQuotedPrintable(std::string_view text, bool underscore_is_space = false) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '_' && underscore_is_space) {
            out.push_back(' ');
        } else if (c != '=') {
            out.push_back(c);
        } else if (text.substr(i + 1, 2) == "\r\n") {
            i += 2;
        } else if (i + 1 < text.size() && text[i + 1] == '\n') {
            i += 1;
        } else if (i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
                   hexValue(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
            i += 2;
        } else {
            out.push_back(c);  // a stray '=' is kept, as RFC 2045 suggests
        }
    }
    return out;
}

// One "=?charset?B|Q?text?=" at the start of `text`: the decoded bytes and the length used.
std::optional<std::pair<std::string, std::size_t>> decodeEncodedWord(std::string_view text) {
    if (!text.starts_with("=?")) {
        return std::nullopt;
    }
    const auto charset_end = text.find('?', 2);
    if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() ||
        text[charset_end + 2] != '?') {
        return std::nullopt;
    }
    const char encoding = lower(text[charset_end + 1]);
    const auto payload_start = charset_end + 3;
    const auto end = text.find("?=", payload_start);
    if (end == std::string_view::npos || (encoding != 'b' && encoding != 'q')) {
        return std::nullopt;
    }
    const auto payload = text.substr(payload_start, end - payload_start);
    auto decoded = encoding == 'b' ? decodeBase64(payload) : decodeQuotedPrintable(payload, true);
    return std::pair{std::move(decoded), end + 2};
}

// RFC 2047: encoded-words are decoded, and blanks between two adjacent ones dropped (section
// 6.2), so a subject split over several words reads as one string.
std::string decodeEncodedWords(std::string_view text) {
    std::string out;
    std::size_t pos = 0;
    bool after_word = false;
    while (pos < text.size()) {
        if (const auto word = decodeEncodedWord(text.substr(pos))) {
            out += word->first;
            pos += word->second;
            after_word = true;
            continue;
        }
        if (after_word && (text[pos] == ' ' || text[pos] == '\t')) {
            const auto next = text.find_first_not_of(" \t", pos);
            if (next != std::string_view::npos && decodeEncodedWord(text.substr(next))) {
                pos = next;
                continue;
            }
        }
        out.push_back(text[pos]);
        ++pos;
        after_word = false;
    }
    return out;
}

// A line without its CRLF; nullopt when the client is gone or sent too long a line.
awaitable<std::optional<std::string>> readLine(tcp::socket& socket, std::string& buffer) {
    boost::system::error_code ec;
    const auto n =
        co_await net::async_read_until(socket, net::dynamic_buffer(buffer, kMaxLineBytes), "\r\n",
                                       net::redirect_error(use_awaitable, ec));
    if (ec) {
        co_return std::nullopt;
    }
    std::string line = buffer.substr(0, n - 2);
    buffer.erase(0, n);
    co_return line;
}

// False when the client is gone.
awaitable<bool> reply(tcp::socket& socket, std::string text) {
    boost::system::error_code ec;
    co_await net::async_write(socket, net::buffer(text), net::redirect_error(use_awaitable, ec));
    co_return !ec;
}

}  // namespace

std::string ReceivedMail::header(std::string_view name) const {
    const auto end = data.find("\r\n\r\n");
    const std::string_view headers =
        std::string_view(data).substr(0, end == std::string::npos ? data.size() : end + 2);
    std::size_t pos = 0;
    while (pos < headers.size()) {
        auto line_end = headers.find("\r\n", pos);
        if (line_end == std::string_view::npos) {
            line_end = headers.size();
        }
        const auto line = headers.substr(pos, line_end - pos);
        pos = line_end + 2;
        if (line.size() <= name.size() || line[name.size()] != ':' ||
            !startsWithNoCase(line, name)) {
            continue;
        }
        // Unfolding (RFC 5322 section 2.2.3) removes the CRLF in front of continuation lines.
        std::string value(line.substr(name.size() + 1));
        while (pos < headers.size() && (headers[pos] == ' ' || headers[pos] == '\t')) {
            auto next_end = headers.find("\r\n", pos);
            if (next_end == std::string_view::npos) {
                next_end = headers.size();
            }
            value += headers.substr(pos, next_end - pos);
            pos = next_end + 2;
        }
        const auto first = value.find_first_not_of(" \t");
        return first == std::string::npos ? std::string() : value.substr(first);
    }
    return {};
}

std::string ReceivedMail::decodedHeader(std::string_view name) const {
    return decodeEncodedWords(header(name));
}

std::string ReceivedMail::body() const {
    const auto end = data.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : data.substr(end + 4);
}

std::string ReceivedMail::decodedBody() const {
    auto encoding = header("Content-Transfer-Encoding");
    for (auto& c : encoding) {
        c = lower(c);
    }
    if (encoding == "quoted-printable") {
        return decodeQuotedPrintable(body());
    }
    if (encoding == "base64") {
        return decodeBase64(body());
    }
    return body();
}

struct SmtpServer::Impl {
    // First, so that it is destroyed last: its destructor frees the suspended coroutines.
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::thread thread;

    mutable std::mutex mutex;
    std::condition_variable arrived;
    std::vector<ReceivedMail> messages;
    int failures_left = 0;

    awaitable<void> acceptLoop();
    awaitable<void> serve(tcp::socket socket);

    bool takeFailure() {
        std::lock_guard lock(mutex);
        if (failures_left <= 0) {
            return false;
        }
        --failures_left;
        return true;
    }

    void store(ReceivedMail mail) {
        {
            std::lock_guard lock(mutex);
            messages.push_back(std::move(mail));
        }
        arrived.notify_all();
    }
};

// One connection at a time: the next is accepted when the previous one has ended.
awaitable<void> SmtpServer::Impl::acceptLoop() {
    for (;;) {
        boost::system::error_code ec;
        auto socket = co_await acceptor.async_accept(net::redirect_error(use_awaitable, ec));
        if (ec == net::error::operation_aborted || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            continue;
        }
        co_await serve(std::move(socket));
    }
}

awaitable<void> SmtpServer::Impl::serve(tcp::socket socket) {
    std::string buffer;  // bytes read past the current line
    if (!co_await reply(socket, "220 localhost ESMTP crm test server\r\n")) {
        co_return;
    }
    ReceivedMail mail;
    bool in_transaction = false;
    for (;;) {
        const auto line = co_await readLine(socket, buffer);
        if (!line) {
            co_return;
        }
        std::string answer;
        if (startsWithNoCase(*line, "EHLO") || startsWithNoCase(*line, "HELO")) {
            mail = {};
            in_transaction = false;
            answer = "250 localhost\r\n";
        } else if (startsWithNoCase(*line, "MAIL FROM:")) {
            const auto path = pathOf(std::string_view(*line).substr(10));
            if (!path) {
                answer = "501 5.5.4 Syntax: MAIL FROM:<address>\r\n";
            } else if (takeFailure()) {
                answer = "451 4.3.0 Temporary failure requested by the test\r\n";
            } else {
                mail = {};
                mail.from = *path;
                in_transaction = true;
                answer = "250 2.1.0 OK\r\n";
            }
        } else if (startsWithNoCase(*line, "RCPT TO:")) {
            const auto path = pathOf(std::string_view(*line).substr(8));
            if (!in_transaction) {
                answer = "503 5.5.1 MAIL first\r\n";
            } else if (!path) {
                answer = "501 5.5.4 Syntax: RCPT TO:<address>\r\n";
            } else {
                mail.to.push_back(*path);
                answer = "250 2.1.5 OK\r\n";
            }
        } else if (startsWithNoCase(*line, "DATA")) {
            if (!in_transaction || mail.to.empty()) {
                answer = "503 5.5.1 RCPT first\r\n";
            } else {
                if (!co_await reply(socket, "354 End data with <CR><LF>.<CR><LF>\r\n")) {
                    co_return;
                }
                for (;;) {
                    const auto data_line = co_await readLine(socket, buffer);
                    if (!data_line) {
                        co_return;
                    }
                    if (*data_line == ".") {
                        break;
                    }
                    // Transparency (RFC 5321 section 4.5.2): the client doubled a leading dot.
                    const std::string_view text(*data_line);
                    mail.data += text.starts_with('.') ? text.substr(1) : text;
                    mail.data += "\r\n";
                }
                store(std::move(mail));
                mail = {};
                in_transaction = false;
                answer = "250 2.0.0 OK queued\r\n";
            }
        } else if (startsWithNoCase(*line, "RSET")) {
            mail = {};
            in_transaction = false;
            answer = "250 2.0.0 OK\r\n";
        } else if (startsWithNoCase(*line, "NOOP")) {
            answer = "250 2.0.0 OK\r\n";
        } else if (startsWithNoCase(*line, "QUIT")) {
            co_await reply(socket, "221 2.0.0 Bye\r\n");
            boost::system::error_code ec;
            socket.shutdown(tcp::socket::shutdown_both, ec);
            co_return;
        } else {
            answer = "502 5.5.2 Command not implemented\r\n";
        }
        if (!co_await reply(socket, std::move(answer))) {
            co_return;
        }
    }
}

SmtpServer::SmtpServer() : impl_(std::make_unique<Impl>()) {
    auto& acceptor = impl_->acceptor;
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    net::co_spawn(impl_->io, impl_->acceptLoop(), net::detached);
    impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

SmtpServer::~SmtpServer() {
    // Stopping abandons a session mid-way; a client still talking sees the connection close.
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short SmtpServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

std::string SmtpServer::url() const {
    return "smtp://127.0.0.1:" + std::to_string(port());
}

std::vector<ReceivedMail> SmtpServer::waitForMessages(std::size_t count,
                                                      std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    impl_->arrived.wait_for(lock, timeout, [&] { return impl_->messages.size() >= count; });
    return impl_->messages;
}

std::vector<ReceivedMail> SmtpServer::messages() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->messages;
}

void SmtpServer::clear() {
    std::lock_guard lock(impl_->mutex);
    impl_->messages.clear();
}

void SmtpServer::failNext(int n) {
    std::lock_guard lock(impl_->mutex);
    impl_->failures_left = n;
}

}  // namespace crm::test
