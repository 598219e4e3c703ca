#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crm::test {

/// One message as the SMTP server received it.
struct ReceivedMail {
    std::string from;             // the MAIL FROM address, without the angle brackets
    std::vector<std::string> to;  // the RCPT TO addresses, without the angle brackets
    std::string data;             // the raw message: CRLF line breaks, dot-stuffing undone

    /// The first header called `name` (case-insensitive), unfolded and without leading blanks,
    /// exactly as sent (encoded-words stay encoded). Empty when there is none.
    std::string header(std::string_view name) const;
    /// header() with its RFC 2047 encoded-words decoded (the charset is assumed to be UTF-8).
    std::string decodedHeader(std::string_view name) const;
    /// Everything after the blank line that ends the headers, as sent.
    std::string body() const;
    /// body() with its Content-Transfer-Encoding (quoted-printable or base64) undone; links in
    /// a message are only whole in this form.
    std::string decodedBody() const;
};

/// A real SMTP server on 127.0.0.1 and a free port, run on its own thread, that keeps what it
/// receives. It speaks enough of RFC 5321 for libcurl (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
/// QUIT; 502 to anything else), advertises no extensions, so no STARTTLS or AUTH, and serves
/// one connection at a time.
class SmtpServer {
public:
    SmtpServer();
    ~SmtpServer();
    SmtpServer(const SmtpServer&) = delete;
    SmtpServer& operator=(const SmtpServer&) = delete;

    unsigned short port() const;
    /// "smtp://127.0.0.1:<port>", for SmtpOptions::url or CRM_SMTP_URL.
    std::string url() const;

    /// Waits until at least `count` messages arrived or `timeout` passed; returns all received.
    std::vector<ReceivedMail> waitForMessages(std::size_t count, std::chrono::milliseconds timeout);
    /// The messages received so far, oldest first.
    std::vector<ReceivedMail> messages() const;
    /// Forgets every received message.
    void clear();
    /// Makes the next `n` MAIL FROM commands fail with 451 (to test retries).
    void failNext(int n);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace crm::test
