#pragma once

#include <chrono>
#include <memory>
#include <string>

/// Outgoing e-mail: password resets, invitations and notifications.
namespace crm::mail {

/// One plain-text message to one recipient.
struct Email {
    std::string to;       // "addr@x" or "Name <addr@x>"
    std::string subject;  // UTF-8, one line
    std::string text;     // plain text UTF-8; LF, CRLF or CR line breaks
};

class Mailer {
public:
    virtual ~Mailer() = default;
    /// Sends `email`. Throws std::invalid_argument when `to` or `subject` holds a CR or LF (header
    /// injection) or `to` is not an address, before any connection is made; throws
    /// std::runtime_error when the server cannot be reached or refuses the message (the caller
    /// retries). Safe to call from several threads at once.
    virtual void send(const Email& email) = 0;
};

struct SmtpOptions {
    std::string url;  // smtp://host:port (STARTTLS when offered) or smtps://host:port (TLS)
    std::string user;
    std::string password;
    std::string from;  // "Name <addr@x>" or "addr@x"
    std::chrono::milliseconds timeout{10000};  // bounds the whole send, connecting included
    /// With smtp://, refuse to send unless the relay upgrades the connection with STARTTLS
    /// (on in production: otherwise the login and the reset codes could cross in clear).
    bool require_tls = false;
};

/// Sends through an SMTP relay with libcurl, one connection per message. The message is built
/// here: RFC 5322 headers (Subject as RFC 2047 encoded-words when it is not plain ASCII) and a
/// text/plain; charset=utf-8 body in quoted-printable, so it passes any relay unchanged.
class SmtpMailer final : public Mailer {
public:
    /// Throws std::invalid_argument when `url` is not smtp:// or smtps:// or `from` holds no
    /// address.
    explicit SmtpMailer(SmtpOptions options);
    void send(const Email& email) override;

private:
    SmtpOptions options_;
    std::string from_address_;  // the bare address of options_.from, for MAIL FROM
    std::string from_header_;   // options_.from as the From header shows it
};

/// For development: logs the message instead of sending it.
class LogMailer final : public Mailer {
public:
    void send(const Email& email) override;
};

/// The mailer the settings ask for: SMTP when `url` is non-empty, else the log mailer.
std::unique_ptr<Mailer> makeMailer(const SmtpOptions& options);

}  // namespace crm::mail
