#include "http/asio.hpp"
#include "mail/mailer.hpp"
#include "support/smtp_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <stdexcept>

namespace crm::mail {
namespace {

using namespace std::chrono_literals;
using tcp = boost::asio::ip::tcp;

constexpr auto kWait = 5s;

class MailerTest : public ::testing::Test {
protected:
    SmtpOptions options() const {
        return SmtpOptions{server_.url(), "", "", "Shortcut Scale X <no-reply@crm.example>",
                           5000ms};
    }

    // Sends one message and returns it as the server received it.
    test::ReceivedMail sendOne(const Email& email) {
        SmtpMailer(options()).send(email);
        const auto received = server_.waitForMessages(1, kWait);
        if (received.size() != 1) {
            throw std::runtime_error("expected one message, got " +
                                     std::to_string(received.size()));
        }
        return received.front();
    }

    test::SmtpServer server_;
};

// A port on which nothing listens: connecting to it is refused at once.
unsigned short closedPort() {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

// Lines of the header section (up to the blank line).
std::vector<std::string> headerLines(const std::string& data) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    for (;;) {
        const auto end = data.find("\r\n", pos);
        if (end == std::string::npos || end == pos) {
            return lines;
        }
        lines.push_back(data.substr(pos, end - pos));
        pos = end + 2;
    }
}

bool isAscii(const std::string& text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) > 0x7e) {
            return false;
        }
    }
    return true;
}

// The envelope carries the bare sender and recipient addresses.
TEST_F(MailerTest, EnvelopeNamesSenderAndRecipient) {
    const auto mail = sendOne({"Ada Lovelace <ada@example.com>", "Welcome", "Hello"});
    EXPECT_EQ(mail.from, "no-reply@crm.example");
    EXPECT_EQ(mail.to, std::vector<std::string>{"ada@example.com"});
}

// From, To and Subject are as given; Date, Message-ID and the MIME headers are present.
TEST_F(MailerTest, HeadersDescribeThePlainTextMessage) {
    const auto mail = sendOne({"ada@example.com", "Welcome to the CRM", "Hello"});
    EXPECT_EQ(mail.header("From"), "Shortcut Scale X <no-reply@crm.example>");
    EXPECT_EQ(mail.header("To"), "ada@example.com");
    EXPECT_EQ(mail.header("Subject"), "Welcome to the CRM");
    EXPECT_EQ(mail.header("MIME-Version"), "1.0");
    EXPECT_EQ(mail.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(mail.header("Content-Transfer-Encoding"), "quoted-printable");
    EXPECT_TRUE(std::regex_match(mail.header("Message-ID"),
                                 std::regex(R"(<[0-9a-f]{32}@crm\.example>)")))
        << mail.header("Message-ID");
    const std::regex date(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d )"
                          R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
                          R"(\d{4} \d\d:\d\d:\d\d \+0000)");
    EXPECT_TRUE(std::regex_match(mail.header("Date"), date)) << mail.header("Date");
}

// A non-ASCII subject is sent as RFC 2047 encoded-words, ASCII only, and decodes back.
TEST_F(MailerTest, NonAsciiSubjectIsEncodedWord) {
    const std::string subject = "Grüße aus Köln – 東京 🎉";
    const auto mail = sendOne({"ada@example.com", subject, "Hello"});
    const auto raw = mail.header("Subject");
    EXPECT_TRUE(raw.starts_with("=?UTF-8?B?")) << raw;
    EXPECT_TRUE(isAscii(raw)) << raw;
    EXPECT_EQ(mail.decodedHeader("Subject"), subject);
}

// A long subject is folded into several encoded-words, each header line within 78 characters,
// without splitting a UTF-8 character.
TEST_F(MailerTest, LongSubjectIsFolded) {
    std::string subject;
    for (int i = 0; i < 20; ++i) {
        subject += "Überprüfung " + std::to_string(i) + " ";
    }
    const auto mail = sendOne({"ada@example.com", subject, "Hello"});
    EXPECT_EQ(mail.decodedHeader("Subject"), subject);
    for (const auto& line : headerLines(mail.data)) {
        EXPECT_LE(line.size(), 78u) << line;
        EXPECT_TRUE(isAscii(line)) << line;
    }
}

// A non-ASCII display name in the recipient is encoded, the address left readable.
TEST_F(MailerTest, NonAsciiRecipientNameIsEncoded) {
    const auto mail = sendOne({"Zoë Ünal <zoe@example.com>", "Hi", "Hello"});
    EXPECT_TRUE(isAscii(mail.header("To"))) << mail.header("To");
    EXPECT_EQ(mail.decodedHeader("To"), "Zoë Ünal <zoe@example.com>");
    EXPECT_EQ(mail.to, std::vector<std::string>{"zoe@example.com"});
}

// A UTF-8 body arrives 7-bit clean and decodes to the text, with CRLF line breaks.
TEST_F(MailerTest, Utf8BodyRoundTrips) {
    const auto mail = sendOne({"ada@example.com", "Hi", "Grüße, Ada!\nSee you = soon.  \n"});
    EXPECT_TRUE(isAscii(mail.body())) << mail.body();
    EXPECT_EQ(mail.decodedBody(), "Grüße, Ada!\r\nSee you = soon.  \r\n");
}

// Lines starting with "." (and a line that is only ".") arrive intact: libcurl doubles the
// dot on the wire and the server removes it.
TEST_F(MailerTest, LeadingDotLinesArriveIntact) {
    const auto mail = sendOne({"ada@example.com", "Dots", ".hidden line\n.\n..two dots\nend\n"});
    EXPECT_EQ(mail.body(), ".hidden line\r\n.\r\n..two dots\r\nend\r\n");
    EXPECT_EQ(mail.decodedBody(), ".hidden line\r\n.\r\n..two dots\r\nend\r\n");
}

// A long line (a reset link) is wrapped on the wire and whole again once decoded.
TEST_F(MailerTest, LongLineIsWrappedAndRestored) {
    const std::string link = "https://crm.example/reset?token=" + std::string(300, 'a') + "&x=1";
    const auto mail = sendOne({"ada@example.com", "Reset", "Open " + link + "\n"});
    std::size_t pos = 0;
    const auto body = mail.body();
    while (pos < body.size()) {
        const auto end = body.find("\r\n", pos);
        EXPECT_LE(end - pos, 76u);
        pos = end + 2;
    }
    EXPECT_EQ(mail.decodedBody(), "Open " + link + "\r\n");
}

// Several messages in a row arrive in order, each on its own connection.
TEST_F(MailerTest, SequentialSendsAllArrive) {
    SmtpMailer mailer(options());
    mailer.send({"a@example.com", "One", "1"});
    mailer.send({"b@example.com", "Two", "2"});
    const auto received = server_.waitForMessages(2, kWait);
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].header("Subject"), "One");
    EXPECT_EQ(received[1].to, std::vector<std::string>{"b@example.com"});
}

// CR or LF in the subject or the recipient is refused before any connection: the mailer
// points at a closed port, so an attempt to connect would throw runtime_error instead.
TEST_F(MailerTest, RefusesLineBreaksBeforeConnecting) {
    auto closed = options();
    closed.url = "smtp://127.0.0.1:" + std::to_string(closedPort());
    SmtpMailer mailer(closed);
    EXPECT_THROW(mailer.send({"ada@example.com", "Hi\r\nBcc: eve@example.com", "x"}),
                 std::invalid_argument);
    EXPECT_THROW(mailer.send({"ada@example.com", "Hi\nthere", "x"}), std::invalid_argument);
    EXPECT_THROW(mailer.send({"ada@example.com\r\nBcc: eve@example.com", "Hi", "x"}),
                 std::invalid_argument);
    EXPECT_THROW(mailer.send({"ada@example.com, eve@example.com", "Hi", "x"}),
                 std::invalid_argument);
    EXPECT_THROW(mailer.send({"not an address", "Hi", "x"}), std::invalid_argument);
}

// A 451 to MAIL FROM makes send() throw; the retry then goes through.
TEST_F(MailerTest, TemporaryFailureThrowsAndRetrySucceeds) {
    SmtpMailer mailer(options());
    server_.failNext(1);
    EXPECT_THROW(mailer.send({"ada@example.com", "Hi", "x"}), std::runtime_error);
    EXPECT_TRUE(server_.messages().empty());
    mailer.send({"ada@example.com", "Hi", "x"});
    EXPECT_EQ(server_.waitForMessages(1, kWait).size(), 1u);
}

// A closed port makes send() throw well within the timeout.
TEST_F(MailerTest, UnreachableServerThrows) {
    auto closed = options();
    closed.url = "smtp://127.0.0.1:" + std::to_string(closedPort());
    closed.timeout = 2000ms;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(SmtpMailer(closed).send({"ada@example.com", "Hi", "x"}), std::runtime_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
}

// A server that accepts the connection but never greets makes send() throw after the timeout.
TEST_F(MailerTest, SilentServerTimesOut) {
    boost::asio::io_context io;
    // Listening without accepting: the kernel completes the handshake, nobody ever answers.
    tcp::acceptor silent(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto opts = options();
    opts.url = "smtp://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    opts.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(SmtpMailer(opts).send({"ada@example.com", "Hi", "x"}), std::runtime_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// A settings URL that is not smtp:// or smtps://, or a sender without an address, is refused.
TEST(SmtpMailer, RefusesBadSettings) {
    EXPECT_THROW(SmtpMailer({"http://127.0.0.1:25", "", "", "a@example.com"}),
                 std::invalid_argument);
    EXPECT_THROW(SmtpMailer({"smtp://127.0.0.1:25", "", "", "No Address"}), std::invalid_argument);
}

// makeMailer picks SMTP when a URL is set and the log mailer otherwise.
TEST(MakeMailer, ChoosesByUrl) {
    EXPECT_NE(dynamic_cast<LogMailer*>(makeMailer({"", "", "", "a@example.com"}).get()), nullptr);
    const auto smtp = makeMailer({"smtp://127.0.0.1:25", "", "", "a@example.com"});
    EXPECT_NE(dynamic_cast<SmtpMailer*>(smtp.get()), nullptr);
}

// The development mailer refuses what SMTP would refuse, so the bug shows before production.
TEST(LogMailer, RefusesLineBreaks) {
    LogMailer mailer;
    EXPECT_THROW(mailer.send({"ada@example.com", "Hi\nthere", "x"}), std::invalid_argument);
    EXPECT_NO_THROW(mailer.send({"ada@example.com", "Hi", "x"}));
}

}  // namespace
}  // namespace crm::mail
