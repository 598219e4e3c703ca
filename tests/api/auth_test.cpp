#include "auth/admin_setup.hpp"
#include "auth/sessions.hpp"
#include "auth/passwords.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "db/statement.hpp"
#include "kv/redis.hpp"
#include "support/smtp_server.hpp"
#include "tasks/queue.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>
#include <future>
#include <thread>
#include <regex>
#include <set>

namespace crm::test {
namespace {

const std::string kJwtSecret = "test-only-secret-0123456789abcdef0123456789abcdef";

std::string base64url(const std::string& text) {
    std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                      text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

nlohmann::json jwtPart(const std::string& token, int index) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = token.find('.', start);
        parts.push_back(token.substr(start, dot - start));
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    const auto& segment = parts.at(static_cast<std::size_t>(index));
    std::string out(segment.size(), '\0');
    std::size_t length = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), segment.data(),
                      segment.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(length);
    return nlohmann::json::parse(out);
}

std::string hmacSha512Token(const nlohmann::json& claims) {
    const auto signing_input = base64url(R"({"alg":"HS512","typ":"JWT"})") + "." + base64url(claims.dump());
    unsigned char mac[crypto_auth_hmacsha512_BYTES];
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, reinterpret_cast<const unsigned char*>(kJwtSecret.data()), kJwtSecret.size());
    crypto_auth_hmacsha512_update(&state, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
    crypto_auth_hmacsha512_final(&state, mac);
    return signing_input + "." + base64url(std::string(reinterpret_cast<char*>(mac), sizeof mac));
}

std::string resetCodeIn(const ReceivedMail& mail) {
    static const std::regex kCode(R"((prt_[A-Za-z0-9_-]+))");
    std::smatch match;
    const auto body = mail.decodedBody();
    return std::regex_search(body, match, kCode) ? match[1].str() : std::string{};
}

class AuthApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        smtp_ = std::make_unique<SmtpServer>();
        server_ = TestServer::start({{"CRM_SMTP_URL", smtp_->url()},
                                     {"CRM_MAIL_FROM", "crm@test.example"},
                                     {"CRM_TASK_POLL_MS", "20"},
                                     {"CRM_LOGIN_FAILURES_BEFORE_LOCKOUT", "3"},
                                     {"CRM_LOCKOUT_SECONDS", "600"}});
    }
    static void TearDownTestSuite() {
        server_.reset();
        smtp_.reset();
    }
    void SetUp() override {
        server_->reset();
        smtp_->clear();
        org_ = server_->createOrganization("Acme Staffing");
        admin_ = server_->createUser(org_, "admin", "ada@acme.example");
    }

    HttpResponse login(const std::string& email, const std::string& password,
                       const nlohmann::json& extra = nlohmann::json::object()) {
        auto body = nlohmann::json{{"email", email}, {"password", password}};
        body.update(extra);
        return server_->client().post("/api/auth/login", body);
    }

    HttpClient bearer(const std::string& token) {
        auto client = server_->client();
        client.setDefaultHeader("Authorization", "Bearer " + token);
        return client;
    }

    static inline std::unique_ptr<SmtpServer> smtp_;
    static inline std::unique_ptr<TestServer> server_;
    TestOrg org_;
    TestUser admin_;
};

// The right password signs in and returns both tokens and the user, never the hash.
TEST_F(AuthApiTest, LoginReturnsTokensAndUser) {
    const auto response = login("ADA@acme.example ", kTestPassword);
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = response.json();
    EXPECT_EQ(body.at("token_type"), "Bearer");
    EXPECT_EQ(body.at("expires_in"), 900);
    EXPECT_EQ(body.at("refresh_token").get<std::string>().rfind("rt_", 0), 0u);
    EXPECT_EQ(body.at("user").at("email"), "ada@acme.example");
    EXPECT_EQ(body.at("user").at("role"), "admin");
    EXPECT_FALSE(body.at("user").contains("password_hash"));
    EXPECT_EQ(body.at("refresh_token").get<std::string>().size(), 3u + 43u);  // 256 bits
    EXPECT_EQ(response.header("Cache-Control"), "no-store");
    EXPECT_EQ(server_->auditCount("auth.login"), 1);
    // The scheme in any case, then one or more spaces (RFC 9110, 11.4).
    auto spaced = server_->client();
    spaced.setDefaultHeader("Authorization", "bearer   " + body.at("access_token").get<std::string>());
    EXPECT_EQ(spaced.get("/api/auth/me").status, 200);
}

// The access token carries exactly the promised claims, signed with HS256.
TEST_F(AuthApiTest, AccessTokenClaims) {
    const auto body = login(admin_.email, kTestPassword).json();
    const auto token = body.at("access_token").get<std::string>();
    const auto header = jwtPart(token, 0);
    const auto claims = jwtPart(token, 1);
    EXPECT_EQ(header.at("alg"), "HS256");
    EXPECT_EQ(claims.at("sub"), admin_.id);
    EXPECT_EQ(claims.at("org"), org_.id);
    EXPECT_EQ(claims.at("role"), "admin");
    EXPECT_EQ(claims.at("sid"), body.at("session_id"));
    EXPECT_EQ(claims.at("typ"), "access");
    EXPECT_EQ(claims.at("iss"), "shortcut-scale-x");
    EXPECT_EQ(claims.at("aud"), "shortcut-scale-x-api");
    EXPECT_EQ(claims.at("exp").get<long long>() - claims.at("iat").get<long long>(), 900);
    EXPECT_EQ(claims.at("jti").get<std::string>().size(), 36u);
}

// A wrong password and an unknown e-mail get the same answer.
TEST_F(AuthApiTest, WrongPasswordAndUnknownEmailLookAlike) {
    const auto wrong = login(admin_.email, "not the password at all");
    const auto unknown = login("nobody@acme.example", kTestPassword);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.json().at("detail"), unknown.json().at("detail"));
    EXPECT_EQ(server_->auditCount("auth.login_failed"), 1);
}

// Missing and unexpected fields are named in a 422.
TEST_F(AuthApiTest, LoginValidatesFields) {
    const auto response = server_->client().post("/api/auth/login", {{"password", "x"}, {"remember", true}});
    EXPECT_EQ(response.status, 422);
    std::set<std::string> fields;
    const auto body = response.json();
    for (const auto& error : body.at("errors")) {
        fields.insert(error.at("field").get<std::string>());
    }
    EXPECT_TRUE(fields.count("email"));
    EXPECT_TRUE(fields.count("remember"));
}

// /me answers with the user, the role and its permissions.
TEST_F(AuthApiTest, MeShowsRoleAndPermissions) {
    const auto token = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto response = bearer(token).get("/api/auth/me");
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json().at("id"), admin_.id);
    const auto permissions = response.json().at("permissions");
    EXPECT_NE(std::find(permissions.begin(), permissions.end(), "users:manage"), permissions.end());
}

// No token, a garbage token, alg none and another algorithm are all refused.
TEST_F(AuthApiTest, RejectsMissingForgedAndUnpinnedTokens) {
    const auto without = server_->client().get("/api/auth/me");
    EXPECT_EQ(without.status, 401);
    EXPECT_EQ(without.header("WWW-Authenticate"), "Bearer");  // nothing sent: no error code
    const auto garbage = bearer("not-a-token").get("/api/auth/me");
    EXPECT_EQ(garbage.status, 401);
    EXPECT_EQ(garbage.header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
    // A 401 the token did not cause (a sign-in with a wrong password) does not blame it.
    const auto wrong = bearer("not-a-token").post("/api/auth/login", {{"email", admin_.email}, {"password", "wrong"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.header("WWW-Authenticate"), "Bearer");
    const auto real = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    auto claims = jwtPart(real, 1);
    const auto none = base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims.dump()) + ".";
    EXPECT_EQ(bearer(none).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(hmacSha512Token(claims)).get("/api/auth/me").status, 401);
    // An "alg" that is not a string at all.
    for (const auto* header : {R"({"alg":1})", R"({"alg":null})", R"({"alg":["HS256"]})"}) {
        const auto odd = base64url(header) + "." + base64url(claims.dump()) + ".x";
        EXPECT_EQ(bearer(odd).get("/api/auth/me").status, 401) << header;
    }
    // A tampered payload keeps the old signature and fails verification.
    claims["role"] = "admin";
    claims["sub"] = "00000000-0000-7000-8000-000000000999";
    const auto dot1 = real.find('.');
    const auto dot2 = real.find('.', dot1 + 1);
    const auto tampered = real.substr(0, dot1) + "." + base64url(claims.dump()) + real.substr(dot2);
    EXPECT_EQ(bearer(tampered).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(real).get("/api/auth/me").status, 200);
}

// Expired, not-yet-valid and foreign-audience tokens are refused.
TEST_F(AuthApiTest, RejectsExpiredAndForeignTokens) {
    const auto body = login(admin_.email, kTestPassword).json();
    const auto session = body.at("session_id").get<std::string>();
    const auto past = [] { return std::chrono::system_clock::now() - std::chrono::hours(1); };
    const auto future = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
    const auth::TokenService old_tokens(kJwtSecret, "shortcut-scale-x", "shortcut-scale-x-api", 900, past);
    const auth::TokenService early_tokens(kJwtSecret, "shortcut-scale-x", "shortcut-scale-x-api", 900, future);
    const auth::TokenService other_audience(kJwtSecret, "shortcut-scale-x", "another-api", 900);
    EXPECT_EQ(bearer(old_tokens.issueAccess(admin_.id, org_.id, "admin", session)).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(early_tokens.issueAccess(admin_.id, org_.id, "admin", session)).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(other_audience.issueAccess(admin_.id, org_.id, "admin", session)).get("/api/auth/me").status, 401);
}

// Refresh rotates: a new pair, and the old refresh token is spent.
TEST_F(AuthApiTest, RefreshRotatesTokens) {
    const auto first = login(admin_.email, kTestPassword).json();
    const auto old_refresh = first.at("refresh_token").get<std::string>();
    const auto refreshed = server_->client().post("/api/auth/refresh", {{"refresh_token", old_refresh}});
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const auto second = refreshed.json();
    EXPECT_NE(second.at("refresh_token"), old_refresh);
    EXPECT_EQ(second.at("session_id"), first.at("session_id"));
    EXPECT_EQ(bearer(second.at("access_token")).get("/api/auth/me").status, 200);
}

// Reusing a spent refresh token ends the whole session, including its newest tokens.
TEST_F(AuthApiTest, RefreshReuseRevokesFamily) {
    const auto first = login(admin_.email, kTestPassword).json();
    const auto old_refresh = first.at("refresh_token").get<std::string>();
    const auto second = server_->client().post("/api/auth/refresh", {{"refresh_token", old_refresh}}).json();
    const auto reuse = server_->client().post("/api/auth/refresh", {{"refresh_token", old_refresh}});
    EXPECT_EQ(reuse.status, 401);
    EXPECT_EQ(server_->client().post("/api/auth/refresh", {{"refresh_token", second.at("refresh_token")}}).status, 401);
    EXPECT_EQ(bearer(second.at("access_token")).get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->auditCount("auth.refresh_reuse"), 1);
}

// The user's index of sessions is what logout-all, password changes and deactivation read. A
// session refreshed after that index would have expired (simulated by deleting it) is put back
// in it, so a password change still ends that session.
TEST_F(AuthApiTest, RefreshedSessionStaysReachableByRevocation) {
    const auto device = login(admin_.email, kTestPassword).json();
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000),
                                     server_->settings().at("CRM_REDIS_PREFIX")});
    redis.command({"DEL", redis.key("user:" + admin_.id + ":sessions")});
    const auto refreshed = server_->client().post("/api/auth/refresh", {{"refresh_token", device.at("refresh_token")}});
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const auto ttl = redis.command({"TTL", redis.key("user:" + admin_.id + ":sessions")});
    EXPECT_GT(ttl.integer, 3600) << "the index must outlive the refreshed session";

    const auto other = login(admin_.email, kTestPassword).json();
    ASSERT_EQ(bearer(other.at("access_token")).post("/api/auth/password/change",
                                                    {{"current_password", kTestPassword},
                                                     {"new_password", "an uncommon sentence of words"}}).status,
              204);
    EXPECT_EQ(server_->client().post("/api/auth/refresh", {{"refresh_token", refreshed.json().at("refresh_token")}}).status,
              401);
}

// An error answer from Redis (here WRONGTYPE; in production NOAUTH or a read-only replica) is
// an outage, never an empty answer: logging out everywhere must not report success having
// ended nothing.
TEST_F(AuthApiTest, RedisErrorAnswersAreNotReadAsNothing) {
    const auto device = login(admin_.email, kTestPassword).json();
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000),
                                     server_->settings().at("CRM_REDIS_PREFIX")});
    const auto index = redis.key("user:" + admin_.id + ":sessions");
    redis.command({"DEL", index});
    redis.command({"SET", index, "not a set"});
    const auto refused = bearer(device.at("access_token")).post("/api/auth/logout-all", nlohmann::json::object());
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_THROW(redis.command({"SMEMBERS", index}), core::AppError);
    redis.command({"DEL", index});
}

// Signs in with the right password while the user's row is held, and once the sign-in, its
// password checked, waits for the row, sets the stored hash to `new_hash` and lets it go on.
HttpResponse signInWhileTheHashChanges(TestServer& server, const TestUser& user, const std::string& new_hash) {
    auto holder = server.database().connect();
    pqxx::work holding(holder);
    holding.exec_params("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user.id);
    auto signing_in = std::async(std::launch::async, [&server, &user] {
        return server.client().post("/api/auth/login", {{"email", user.email}, {"password", kTestPassword}});
    });
    auto watcher = server.database().connect();
    bool waiting = false;
    for (int i = 0; i < 200 && !waiting; ++i) {
        pqxx::nontransaction look(watcher);
        waiting = look.exec("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").size() > 0;
        if (!waiting) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    EXPECT_TRUE(waiting) << "the sign-in never waited for the user's row";
    holding.exec_params("UPDATE users SET password_hash = $2 WHERE id = $1", user.id, new_hash);
    holding.commit();
    return signing_in.get();
}

// A password reset that commits while a sign-in with the old password is being checked wins:
// the sign-in is refused instead of keeping a session the reset never saw.
TEST_F(AuthApiTest, SignInRacingAPasswordResetIsRefused) {
    const auto signed_in = signInWhileTheHashChanges(*server_, admin_, auth::hashPassword("the owner's new passphrase here"));
    EXPECT_EQ(signed_in.status, 401);
    EXPECT_EQ(server_->auditCount("auth.login"), 0);
}

// A sign-in whose account's hash changed while its password was checked, to a hash of the same
// password (a concurrent sign-in's rehash), is a sign-in, not a wrong password.
TEST_F(AuthApiTest, SignInRacingARehashOfItsPasswordSucceeds) {
    // Another sign-in upgrading the stored hash: the same password, a new salt.
    EXPECT_EQ(signInWhileTheHashChanges(*server_, admin_, auth::hashPassword(kTestPassword)).status, 200);
    for (int i = 0; i < 2; ++i) {  // and nothing was counted: two failures leave a try
        EXPECT_EQ(login(admin_.email, "wrong " + std::to_string(i)).status, 401);
    }
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 200);
}

// Odd User-Agent headers (cut in the middle of a character at 300 bytes, or not UTF-8 at all)
// are stored cleaned: signing in, which writes a session and an audit row, still works.
TEST_F(AuthApiTest, OddUserAgentsDoNotBreakSignIn) {
    for (const auto& agent : {std::string(299, 'a') + "é", std::string("curl \xff\xfe"),
                                    std::string("x \xed\xa0\x80")}) {
        auto body = nlohmann::json{{"email", admin_.email}, {"password", kTestPassword}};
        const auto response = server_->client().post("/api/auth/login", body, {{"User-Agent", agent}});
        EXPECT_EQ(response.status, 200) << response.body;
    }
    EXPECT_EQ(server_->auditCount("auth.login"), 3);
}

// Required fields sent blank or null are named, not passed on to a database rule.
TEST_F(AuthApiTest, BlankRequiredUserFieldsAreNamed) {
    auto admin = bearer(login(admin_.email, kTestPassword).json().at("access_token"));
    const auto blank_email = admin.post("/api/users", {{"email", "  "}, {"name", "A"}, {"role", "sales"}});
    ASSERT_EQ(blank_email.status, 422) << blank_email.body;
    EXPECT_EQ(blank_email.json().at("errors").at(0).at("field"), "email");
    const auto null_role = admin.post("/api/users", {{"email", "a@b.example"}, {"name", "A"}, {"role", nullptr}});
    ASSERT_EQ(null_role.status, 422) << null_role.body;
    EXPECT_EQ(null_role.json().at("errors").at(0).at("field"), "role");
    const auto bad_q = admin.get("/api/users?q=%FF");
    ASSERT_EQ(bad_q.status, 422) << bad_q.body;
    EXPECT_EQ(bad_q.json().at("errors").at(0).at("field"), "q");
}

// Two refreshes racing with the same token: exactly one wins.
TEST_F(AuthApiTest, ConcurrentRefreshOnlyOneSucceeds) {
    const auto refresh = login(admin_.email, kTestPassword).json().at("refresh_token").get<std::string>();
    const auto port = server_->port();
    std::vector<std::future<int>> attempts;
    for (int i = 0; i < 4; ++i) {
        attempts.push_back(std::async(std::launch::async, [port, refresh] {
            return HttpClient(port).post("/api/auth/refresh", {{"refresh_token", refresh}}).status;
        }));
    }
    int ok = 0;
    for (auto& attempt : attempts) {
        const auto status = attempt.get();
        EXPECT_TRUE(status == 200 || status == 401) << status;
        ok += status == 200 ? 1 : 0;
    }
    EXPECT_EQ(ok, 1);
}

// Token kinds never cross: an access token is no refresh token, nor the reverse.
TEST_F(AuthApiTest, TokenKindsDoNotCross) {
    const auto body = login(admin_.email, kTestPassword).json();
    EXPECT_EQ(server_->client().post("/api/auth/refresh", {{"refresh_token", body.at("access_token")}}).status, 401);
    EXPECT_EQ(bearer(body.at("refresh_token")).get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->client().post("/api/auth/password/reset",
                                     {{"token", body.at("refresh_token")}, {"password", "a perfectly fine passphrase"}}).status,
              422);
}

// Logout ends this session; logout-all ends every session of the user.
TEST_F(AuthApiTest, LogoutAndLogoutAll) {
    const auto one = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto two = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto three = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    // The route takes no body: a text one sent along is ignored, never a reason to stay signed in.
    EXPECT_EQ(bearer(one).request("POST", "/api/auth/logout", "bye", {{"Content-Type", "text/plain"}}).status, 204);
    EXPECT_EQ(bearer(one).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(two).get("/api/auth/me").status, 200);
    EXPECT_EQ(bearer(two).post("/api/auth/logout-all", nlohmann::json::object()).status, 204);
    EXPECT_EQ(bearer(two).get("/api/auth/me").status, 401);
    EXPECT_EQ(bearer(three).get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->auditCount("auth.logout"), 1);
    EXPECT_EQ(server_->auditCount("auth.logout_all"), 1);
}

// Sessions list the caller's devices; one can be revoked, another user's cannot.
TEST_F(AuthApiTest, ListAndRevokeSessions) {
    const auto phone = login(admin_.email, kTestPassword).json();
    const auto laptop = login(admin_.email, kTestPassword).json();
    auto client = bearer(laptop.at("access_token"));
    const auto list = client.get("/api/auth/sessions");
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.json().at("data").size(), 2u);
    int current = 0;
    const auto sessions = list.json();
    for (const auto& session : sessions.at("data")) {
        current += session.at("current").get<bool>() ? 1 : 0;
        EXPECT_EQ(session.at("ip"), "127.0.0.1");
        // Times in the API's one form, six fraction digits, as every other time it writes.
        for (const auto* field : {"created_at", "last_used_at"}) {
            EXPECT_TRUE(std::regex_match(session.at(field).get<std::string>(),
                                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
                << session.at(field);
        }
    }
    EXPECT_EQ(current, 1);
    EXPECT_EQ(client.del("/api/auth/sessions/" + phone.at("session_id").get<std::string>()).status, 204);
    EXPECT_EQ(bearer(phone.at("access_token")).get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->auditCount("auth.session_revoked"), 1);

    const auto other = server_->createUser(org_, "sales");
    const auto other_token = server_->accessTokenFor(other);
    const auto other_session = jwtPart(other_token, 1).at("sid").get<std::string>();
    EXPECT_EQ(client.del("/api/auth/sessions/" + other_session).status, 404);
    EXPECT_EQ(bearer(other_token).get("/api/auth/me").status, 200);
}

// Forgot-password always answers 202; a known address receives a single-use code by SMTP.
TEST_F(AuthApiTest, ForgotAndResetPassword) {
    const auto old_token = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto unknown = server_->client().post("/api/auth/password/forgot", {{"email", "ghost@acme.example"}});
    const auto known = server_->client().post("/api/auth/password/forgot", {{"email", admin_.email}});
    EXPECT_EQ(unknown.status, 202);
    EXPECT_EQ(known.status, 202);
    EXPECT_EQ(unknown.body, known.body);

    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].to, std::vector<std::string>{admin_.email});
    const auto code = resetCodeIn(mails[0]);
    ASSERT_FALSE(code.empty()) << mails[0].decodedBody();

    const std::string fresh = "a brand new passphrase for ada";
    EXPECT_EQ(server_->client().post("/api/auth/password/reset", {{"token", code}, {"password", fresh}}).status, 204);
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 401);
    EXPECT_EQ(login(admin_.email, fresh).status, 200);
    EXPECT_EQ(bearer(old_token).get("/api/auth/me").status, 401) << "a reset ends every session";
    const auto again = server_->client().post("/api/auth/password/reset", {{"token", code}, {"password", "yet another good passphrase"}});
    EXPECT_EQ(again.status, 422);
    EXPECT_EQ(again.json().at("errors").at(0).at("field"), "token");
}

// However many ask, one account receives at most five reset e-mails an hour; every answer is
// still the same 202, so the limit tells nothing about the account.
TEST_F(AuthApiTest, ResetEmailsPerAccountAreLimited) {
    for (int i = 0; i < 7; ++i) {
        const auto response = server_->client().post("/api/auth/password/forgot", {{"email", admin_.email}});
        EXPECT_EQ(response.status, 202) << response.body;
    }
    EXPECT_EQ(smtp_->waitForMessages(6, std::chrono::seconds(3)).size(), 5u);
    EXPECT_EQ(server_->auditCount("auth.password_reset_requested"), 5);
}

// The reset code is stored only hashed, and the queued e-mail is blanked once sent.
TEST_F(AuthApiTest, ResetCodeIsNotStoredInClear) {
    // This server runs its queue only when told, so the check sees the state after the send.
    auto server = TestServer::start({{"CRM_SMTP_URL", smtp_->url()}, {"CRM_RUN_WORKERS", "false"}});
    const auto org = server->createOrganization("Quiet");
    const auto user = server->createUser(org, "admin");
    server->client().post("/api/auth/password/forgot", {{"email", user.email}});
    EXPECT_EQ(server->app().worker().runDue(), 1);
    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    const auto code = resetCodeIn(mails[0]);
    ASSERT_FALSE(code.empty());
    auto connection = server->database().connect();
    pqxx::read_transaction tx(connection);
    const auto hits = tx.exec_params1(
        "SELECT (SELECT count(*) FROM tasks WHERE payload::text LIKE '%' || $1 || '%') + "
        "(SELECT count(*) FROM password_reset_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%')",
        code)[0].as<long long>();
    EXPECT_EQ(hits, 0);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM tasks WHERE done_at IS NOT NULL")[0].as<long long>(), 1);
}

// A message that can never be sent (a malformed recipient) is given up at once, not retried
// for hours: it is dead-lettered with the reason after its first attempt.
TEST_F(AuthApiTest, UnsendableEmailIsGivenUpAtOnce) {
    auto server = TestServer::start({{"CRM_SMTP_URL", smtp_->url()}, {"CRM_RUN_WORKERS", "false"}});
    auto connection = server->database().connect();
    {
        pqxx::work tx(connection);
        tx.exec0(R"(INSERT INTO tasks (kind, payload) VALUES ('email.send',
                    '{"to": "not an address", "subject": "Hello", "text": "Hello"}'))");
        tx.commit();
    }
    EXPECT_EQ(server->app().worker().runDue(), 1);
    pqxx::read_transaction tx(connection);
    const auto task = tx.exec1("SELECT attempts, failed_at IS NOT NULL, last_error FROM tasks");
    EXPECT_EQ(task[0].as<int>(), 1);
    EXPECT_TRUE(task[1].as<bool>());
    EXPECT_NE(task[2].as<std::string>().find("e-mail address"), std::string::npos) << task[2].c_str();
    EXPECT_TRUE(smtp_->waitForMessages(1, std::chrono::milliseconds(200)).empty());
}

// A weak new password is refused and the code still works for a better one.
TEST_F(AuthApiTest, ResetRefusesWeakPassword) {
    server_->client().post("/api/auth/password/forgot", {{"email", admin_.email}});
    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    const auto code = resetCodeIn(mails[0]);
    const auto weak = server_->client().post("/api/auth/password/reset", {{"token", code}, {"password", "password1234"}});
    EXPECT_EQ(weak.status, 422);
    EXPECT_EQ(weak.json().at("errors").at(0).at("field"), "password");
    EXPECT_EQ(server_->client().post("/api/auth/password/reset", {{"token", code}, {"password", "an uncommon sentence of words"}}).status, 204);
}

// A reset whose sessions Redis cannot end changes nothing: the old password and the code keep
// working, and the reset sent again goes through and ends every session. A saved reset that
// left a session of whoever knew the old password alive would defeat it.
TEST_F(AuthApiTest, ResetThatCannotEndSessionsChangesNothing) {
    const auto device = login(admin_.email, kTestPassword).json();
    server_->client().post("/api/auth/password/forgot", {{"email", admin_.email}});
    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    const auto code = resetCodeIn(mails[0]);
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000),
                                     server_->settings().at("CRM_REDIS_PREFIX")});
    const auto index = redis.key("user:" + admin_.id + ":sessions");
    const auto sessions = redis.command({"SMEMBERS", index});
    redis.command({"DEL", index});
    redis.command({"SET", index, "not a set"});  // every command on it now fails
    const auto refused = server_->client().post("/api/auth/password/reset",
                                                {{"token", code}, {"password", "an uncommon sentence of words"}});
    EXPECT_EQ(refused.status, 503) << refused.body;
    redis.command({"DEL", index});
    for (const auto& member : sessions.elements) {
        redis.command({"SADD", index, member.text});
    }
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 200) << "the old password still works";
    const auto kept = server_->client().post("/api/auth/refresh", {{"refresh_token", device.at("refresh_token")}});
    ASSERT_EQ(kept.status, 200) << "the session still works: " << kept.body;
    EXPECT_EQ(server_->client().post("/api/auth/password/reset",
                                     {{"token", code}, {"password", "an uncommon sentence of words"}}).status,
              204);
    EXPECT_EQ(server_->client().post("/api/auth/refresh", {{"refresh_token", kept.json().at("refresh_token")}}).status, 401);
    EXPECT_EQ(login(admin_.email, "an uncommon sentence of words").status, 200);
}

// Outstanding reset codes stop working once the password is changed another way.
TEST_F(AuthApiTest, PasswordChangeEndsOutstandingResetCodes) {
    server_->client().post("/api/auth/password/forgot", {{"email", admin_.email}});
    const auto mails = smtp_->waitForMessages(1, std::chrono::seconds(10));
    ASSERT_EQ(mails.size(), 1u);
    const auto code = resetCodeIn(mails[0]);
    const auto token = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    ASSERT_EQ(bearer(token).post("/api/auth/password/change",
                                 {{"current_password", kTestPassword}, {"new_password", "an uncommon sentence of words"}}).status,
              204);
    const auto reset = server_->client().post("/api/auth/password/reset", {{"token", code}, {"password", "someone else's choice here"}});
    EXPECT_EQ(reset.status, 422);
}

// A role changed in the database reaches the session at the next refresh at the latest.
TEST_F(AuthApiTest, RefreshBringsSessionRoleUpToDate) {
    const auto sales = server_->createUser(org_, "sales");
    const auto pair = login(sales.email, kTestPassword).json();
    EXPECT_EQ(bearer(pair.at("access_token")).post("/api/users", {{"email", "z@acme.example"}, {"name", "Z"}, {"role", "sales"}}).status, 403);
    {
        auto connection = server_->database().connect();
        pqxx::work tx(connection);
        tx.exec_params("UPDATE users SET role = 'admin' WHERE id = $1", sales.id);
        tx.commit();
    }
    const auto refreshed = server_->client().post("/api/auth/refresh", {{"refresh_token", pair.at("refresh_token")}}).json();
    EXPECT_EQ(bearer(refreshed.at("access_token")).post("/api/users", {{"email", "z@acme.example"}, {"name", "Z"}, {"role", "sales"}}).status, 201);
}

// Changing the password needs the current one and ends the other sessions only.
TEST_F(AuthApiTest, ChangePassword) {
    const auto other = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto mine = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    auto client = bearer(mine);
    const auto wrong = client.post("/api/auth/password/change",
                                   {{"current_password", "nope nope nope"}, {"new_password", "an uncommon sentence of words"}});
    EXPECT_EQ(wrong.status, 422);
    EXPECT_EQ(wrong.json().at("errors").at(0).at("field"), "current_password");
    const auto short_one = client.post("/api/auth/password/change",
                                       {{"current_password", kTestPassword}, {"new_password", "short"}});
    EXPECT_EQ(short_one.status, 422);
    EXPECT_EQ(short_one.json().at("errors").at(0).at("field"), "new_password");
    EXPECT_EQ(client.post("/api/auth/password/change",
                          {{"current_password", kTestPassword}, {"new_password", "an uncommon sentence of words"}}).status,
              204);
    EXPECT_EQ(client.get("/api/auth/me").status, 200);
    EXPECT_EQ(bearer(other).get("/api/auth/me").status, 401);
    EXPECT_EQ(login(admin_.email, "an uncommon sentence of words").status, 200);
    EXPECT_EQ(server_->auditCount("auth.password_changed"), 1);
}

// Two sessions changing the password at once both pass the check against the old one; only one
// change is made, and the other is told (409), rather than both answering 204 and the last
// write silently winning.
TEST_F(AuthApiTest, ConcurrentPasswordChangesMakeOneChange) {
    const auto first = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const auto second = login(admin_.email, kTestPassword).json().at("access_token").get<std::string>();
    const std::string first_password = "the first new passphrase here";
    const std::string second_password = "the second new passphrase here";
    auto change = [this](const std::string& token, const std::string& password) {
        return std::async(std::launch::async, [this, token, password] {
            return bearer(token).post("/api/auth/password/change",
                                      {{"current_password", kTestPassword}, {"new_password", password}});
        });
    };
    auto a = change(first, first_password);
    auto b = change(second, second_password);
    const auto ra = a.get();
    const auto rb = b.get();
    ASSERT_EQ((ra.status == 204) + (rb.status == 204), 1) << ra.body << " / " << rb.body;
    const auto& loser = ra.status == 204 ? rb : ra;
    // At once: 409; a moment later the winner has ended its session (401) or it checks the
    // current password against the new one (422).
    EXPECT_TRUE(loser.status == 409 || loser.status == 401 || loser.status == 422) << loser.body;
    const auto& winner_password = ra.status == 204 ? first_password : second_password;
    const auto& loser_password = ra.status == 204 ? second_password : first_password;
    EXPECT_EQ(login(admin_.email, winner_password).status, 200);
    EXPECT_EQ(login(admin_.email, loser_password).status, 401);
    EXPECT_EQ(server_->auditCount("auth.password_changed"), 1);
}

// The password policy: 12+ characters, long passphrases and any characters welcome, common ones refused.
TEST_F(AuthApiTest, PasswordPolicy) {
    auto signup = [](const std::string& password) {
        return server_->client().post("/api/auth/signup", {{"organization_name", "Policy Test"},
                                                           {"name", "Pat"},
                                                           {"email", "pat" + std::to_string(password.size()) + "@policy.example"},
                                                           {"password", password}});
    };
    EXPECT_EQ(signup("elevenchars").status, 422);
    EXPECT_EQ(signup("password1234").status, 422);
    EXPECT_EQ(signup("qwertyuiop123").status, 422);
    EXPECT_EQ(signup("aaaaaaaaaaaaaaaa").status, 422);
    EXPECT_EQ(signup("123456789012").status, 422);
    EXPECT_EQ(signup(std::string(128, 'x') + "y").status, 201);
    EXPECT_EQ(signup("ünïcødé pässwörd ☃ ok").status, 201);
}

// A name without ASCII letters is "org"; a slug taken is numbered up to -5, then given a random
// suffix: however many organisations share a name, sign-up never runs out of slugs.
TEST_F(AuthApiTest, SignupSlugsNeverRunOut) {
    std::set<std::string> slugs;
    for (int i = 0; i < 8; ++i) {
        const auto response = server_->client().post(
            "/api/auth/signup", {{"organization_name", "株式会社テスト"},
                                 {"name", "Sato " + std::to_string(i)},
                                 {"email", "sato" + std::to_string(i) + "@test.example"},
                                 {"password", "volcano lair with a view"}});
        ASSERT_EQ(response.status, 201) << response.body;
        slugs.insert(response.json().at("user").at("organization").at("slug").get<std::string>());
    }
    EXPECT_EQ(slugs.size(), 8u);
    for (const auto* numbered : {"org", "org-2", "org-3", "org-4", "org-5"}) {
        EXPECT_EQ(slugs.count(numbered), 1u) << numbered;
    }
    for (const auto& slug : slugs) {
        EXPECT_TRUE(std::regex_match(slug, std::regex("org(-[2-5]|-[0-9a-f]{6})?"))) << slug;
    }
}

// Sign-up creates an organisation with its first admin, signed in.
TEST_F(AuthApiTest, SignupCreatesOrganisationAndAdmin) {
    const auto response = server_->client().post("/api/auth/signup", {{"organization_name", "Globex Recruiting"},
                                                                      {"name", "Hank Scorpio"},
                                                                      {"email", "hank@globex.example"},
                                                                      {"password", "volcano lair with a view"}});
    ASSERT_EQ(response.status, 201) << response.body;
    const auto body = response.json();
    EXPECT_EQ(body.at("user").at("role"), "admin");
    EXPECT_EQ(body.at("user").at("organization").at("slug"), "globex-recruiting");
    // Signed in by signing up: the answer and the account say when.
    EXPECT_EQ(body.at("user").at("last_login_at"), body.at("user").at("created_at"));
    const auto me = bearer(body.at("access_token")).get("/api/auth/me");
    EXPECT_EQ(me.status, 200);
    EXPECT_EQ(me.json().at("last_login_at"), body.at("user").at("created_at"));
}

// An account is locked after the configured failures, with a clear Retry-After.
TEST_F(AuthApiTest, LockoutAfterRepeatedFailures) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(login(admin_.email, "wrong password number " + std::to_string(i)).status, 401);
    }
    const auto locked = login(admin_.email, kTestPassword);
    EXPECT_EQ(locked.status, 429);
    EXPECT_GT(std::stoi(locked.header("Retry-After")), 500);
    EXPECT_FALSE(locked.hasHeader("RateLimit-Remaining"));  // not the general limit's refusal
    EXPECT_EQ(server_->auditCount("auth.account_locked"), 1);
}

// Guesses sent at the same time get no more tries than guesses sent one after another: each
// takes its place under the limit before its password is checked, so of ten parallel wrong
// passwords exactly the configured three are checked (401) and the others are refused (429).
TEST_F(AuthApiTest, ParallelGuessesShareTheLockoutLimit) {
    std::vector<std::future<HttpResponse>> guesses;
    for (int i = 0; i < 10; ++i) {
        guesses.push_back(std::async(std::launch::async, [this, i] {
            return login(admin_.email, "parallel guess " + std::to_string(i));
        }));
    }
    int checked = 0;
    int refused = 0;
    for (auto& guess : guesses) {
        const auto status = guess.get().status;
        checked += status == 401 ? 1 : 0;
        refused += status == 429 ? 1 : 0;
    }
    EXPECT_EQ(checked, 3);
    EXPECT_EQ(refused, 7);
    EXPECT_EQ(server_->auditCount("auth.login_failed"), 3);
    EXPECT_EQ(server_->auditCount("auth.account_locked"), 1);
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 429);
}

// A right password clears the count: wrong ones before it do not add up with later ones.
TEST_F(AuthApiTest, RightPasswordClearsTheFailures) {
    EXPECT_EQ(login(admin_.email, "first wrong one").status, 401);
    EXPECT_EQ(login(admin_.email, "second wrong one").status, 401);
    ASSERT_EQ(login(admin_.email, kTestPassword).status, 200);
    EXPECT_EQ(login(admin_.email, "third wrong one").status, 401);
    EXPECT_EQ(login(admin_.email, "fourth wrong one").status, 401);
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 200);
}

// A check that never ended (its process died mid-check) holds its place only 30 s and is then
// counted as a failure: here two lost checks, planted 31 s old, plus one wrong password lock
// an account whose limit is three.
TEST_F(AuthApiTest, LostPasswordChecksCountAsFailures) {
    kv::Redis redis(kv::RedisOptions{testRedisUrl(), 1, std::chrono::milliseconds(2000),
                                     server_->settings().at("CRM_REDIS_PREFIX")});
    const auto time = redis.command({"TIME"});  // Redis's clock, which the scripts use
    const auto now_ms = std::stoll(time.elements.at(0).text) * 1000 + std::stoll(time.elements.at(1).text) / 1000;
    const auto checking = redis.key("login_fail:{" + admin_.id + "}:checking");
    const auto lost_at = std::to_string(now_ms - 31000);
    redis.command({"ZADD", checking, lost_at, "lost-1", lost_at, "lost-2"});
    EXPECT_EQ(login(admin_.email, "one wrong password").status, 401);
    const auto locked = login(admin_.email, kTestPassword);
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_GT(std::stoi(locked.header("Retry-After")), 500);
}

// Every failure restarts the lockout window: failures closer together than the window add up,
// however the clock falls (a fixed window let nine guesses before its end and nine after it
// go unlocked). Here the window is 5 s and the failures 3 s apart.
TEST(AuthLockoutWindow, EveryFailureRestartsTheWindow) {
    auto server = TestServer::start({{"CRM_LOGIN_FAILURES_BEFORE_LOCKOUT", "3"}, {"CRM_LOCKOUT_SECONDS", "5"}});
    const auto org = server->createOrganization("Window Org");
    const auto user = server->createUser(org, "sales", "window@acme.example");
    const auto login = [&](const std::string& password) {
        return server->client().post("/api/auth/login", {{"email", user.email}, {"password", password}});
    };
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(3000));
        }
        EXPECT_EQ(login("guess " + std::to_string(i)).status, 401);
    }
    EXPECT_EQ(login(kTestPassword).status, 429) << "three failures within a window of each other";
    std::this_thread::sleep_for(std::chrono::milliseconds(5500));
    EXPECT_EQ(login(kTestPassword).status, 200) << "the lock runs out a window after the last failure";
}

// Wrong current passwords count toward the lockout like failed sign-ins, in a password change
// and in an e-mail change: a stolen access token cannot be used to guess the password.
TEST_F(AuthApiTest, WrongCurrentPasswordsLockTheAccount) {
    auto client = bearer(login(admin_.email, kTestPassword).json().at("access_token").get<std::string>());
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(client.post("/api/auth/password/change", {{"current_password", "guess " + std::to_string(i)},
                                                            {"new_password", "an uncommon sentence of words"}})
                      .status,
                  422);
    }
    EXPECT_EQ(client.put("/api/users/" + admin_.id, {{"email", "moved@acme.example"}, {"current_password", "guess 2"}})
                  .status,
              422);
    const auto locked = client.post("/api/auth/password/change", {{"current_password", kTestPassword},
                                                                  {"new_password", "an uncommon sentence of words"}});
    EXPECT_EQ(locked.status, 429);
    EXPECT_GT(std::stoi(locked.header("Retry-After")), 500);
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 429);
    EXPECT_EQ(client.get("/api/auth/me").json().at("email"), admin_.email);  // nothing changed
    EXPECT_EQ(server_->auditCount("auth.password_check_failed"), 3);
    EXPECT_EQ(server_->auditCount("auth.account_locked"), 1);
}

// A login's audit row names the user, the address and the request id.
TEST_F(AuthApiTest, AuditRecordsActorAndRequest) {
    const auto response = login(admin_.email, kTestPassword, nlohmann::json::object());
    ASSERT_EQ(response.status, 200);
    auto connection = server_->database().connect();
    pqxx::read_transaction tx(connection);
    const auto row = tx.exec_params1(
        "SELECT actor_id::text, entity_id::text, host(ip), request_id FROM audit_log WHERE action = 'auth.login'");
    EXPECT_EQ(row[0].as<std::string>(), admin_.id);
    EXPECT_EQ(row[1].as<std::string>(), admin_.id);
    EXPECT_EQ(row[2].as<std::string>(), "127.0.0.1");
    EXPECT_EQ(row[3].as<std::string>(), response.header("X-Request-Id"));
}

// A second organisation with the same e-mail must be named at login; the answer without it
// is an unknown e-mail's, with a word about the organization.
TEST_F(AuthApiTest, SameEmailInTwoOrganisations) {
    const auto other_org = server_->createOrganization("Second Org");
    server_->createUser(other_org, "sales", admin_.email);
    const auto ambiguous = login(admin_.email, kTestPassword);
    EXPECT_EQ(ambiguous.status, 401);
    EXPECT_EQ(ambiguous.json().at("detail"), login("nobody@acme.example", kTestPassword).json().at("detail"));
    EXPECT_NE(ambiguous.json().at("detail").get<std::string>().find("organization"), std::string::npos);
    const auto chosen = login(admin_.email, kTestPassword, {{"organization", other_org.slug}});
    ASSERT_EQ(chosen.status, 200);
    EXPECT_EQ(chosen.json().at("user").at("role"), "sales");
    // Typed as the organisation is written ("Second-Org"): the same organisation.
    std::string typed = other_org.slug;
    typed[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(typed[0])));
    const auto typed_login = login(admin_.email, kTestPassword, {{"organization", typed}});
    ASSERT_EQ(typed_login.status, 200);
    EXPECT_EQ(typed_login.json().at("user").at("organization").at("slug"), other_org.slug);
}

// An e-mail with active accounts in two organisations must name one: without it no password
// is checked, whatever the password, and the answer is an unknown e-mail's. Trying it on each
// account would tell whoever controls one of them whether their password is also the other's.
TEST_F(AuthApiTest, SharedEmailWithoutOrganisationChecksNoPassword) {
    const auto other_org = server_->createOrganization("Second Org");
    const auto other_user = server_->createUser(other_org, "sales", admin_.email);
    const std::string other_password = "the second account's own passphrase";
    auto other = bearer(login(admin_.email, kTestPassword, {{"organization", other_org.slug}})
                            .json()
                            .at("access_token")
                            .get<std::string>());
    ASSERT_EQ(other.post("/api/auth/password/change",
                         {{"current_password", kTestPassword}, {"new_password", other_password}})
                  .status,
              204);
    for (const auto& password : {kTestPassword, other_password, std::string("neither of them")}) {
        EXPECT_EQ(login(admin_.email, password).status, 401);
    }
    EXPECT_EQ(server_->auditCount("auth.login_failed"), 0);
    // Locking one account leaves the other alone.
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(login(admin_.email, "a guess", {{"organization", other_org.slug}}).status, 401);
    }
    EXPECT_EQ(login(admin_.email, other_password, {{"organization", other_org.slug}}).status, 429);
    EXPECT_EQ(login(admin_.email, kTestPassword, {{"organization", org_.slug}}).status, 200);
    // With the other account deactivated, only one can be meant: no organization needed.
    {
        auto connection = server_->database().connect();
        pqxx::work tx(connection);
        tx.exec_params("UPDATE users SET active = false WHERE id = $1", other_user.id);
        tx.commit();
    }
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 200);
}

// Right passwords sent at the same moment are never taken for wrong ones: beyond the places
// the limit leaves, they are asked to retry in a second, and nothing is counted against the
// account.
TEST_F(AuthApiTest, ParallelRightPasswordsAreNotFailures) {
    std::vector<std::future<HttpResponse>> sign_ins;
    for (int i = 0; i < 8; ++i) {
        sign_ins.push_back(std::async(std::launch::async, [this] { return login(admin_.email, kTestPassword); }));
    }
    int signed_in = 0;
    for (auto& sign_in : sign_ins) {
        const auto answer = sign_in.get();
        if (answer.status == 200) {
            ++signed_in;
        } else {
            EXPECT_EQ(answer.status, 429) << answer.body;
            EXPECT_EQ(answer.header("Retry-After"), "1");
        }
    }
    EXPECT_GE(signed_in, 3);
    EXPECT_EQ(server_->auditCount("auth.login_failed"), 0);
    for (int i = 0; i < 2; ++i) {  // two failures still leave a try: nothing was counted before
        EXPECT_EQ(login(admin_.email, "wrong " + std::to_string(i)).status, 401);
    }
    EXPECT_EQ(login(admin_.email, kTestPassword).status, 200);
}

// crm-server create-admin leaves the same trail as an admin's change through the API: a new
// organisation and user, or an existing account made admin again with a new password. No
// actor (no user did it), the tool as user agent, and never the password itself.
TEST_F(AuthApiTest, CreateAdminIsAudited) {
    const std::string password = "operator chosen passphrase 2026";
    auto connection = server_->database().connect();
    db::prepareAll(connection);  // as crm-server does before create-admin
    const auto no_sessions = [](const std::string& user_id) {
        ADD_FAILURE() << "a new account has no sessions to end: " << user_id;
    };
    const auto created =
        auth::createAdmin(connection, "ops@audit.example", password, "Ops", "Audit Co", no_sessions);
    const auto signed_in = login("ops@audit.example", password, {{"organization", created.organization}});
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const auto user_id = signed_in.json().at("user").at("id").get<std::string>();

    auto rows = [&connection](const std::string& action) {
        pqxx::read_transaction tx(connection);
        return tx.exec_params("SELECT actor_id IS NULL, user_agent, entity_id::text, changes::text "
                              "FROM audit_log WHERE action = $1 AND user_agent = 'crm-server create-admin' "
                              "ORDER BY created_at",
                              action);
    };
    const auto org_rows = rows("organization.created");
    ASSERT_EQ(org_rows.size(), 1u);
    EXPECT_TRUE(org_rows[0][0].as<bool>());
    const auto user_rows = rows("user.created");
    ASSERT_EQ(user_rows.size(), 1u);
    EXPECT_EQ(user_rows[0][2].as<std::string>(), user_id);
    EXPECT_EQ(nlohmann::json::parse(user_rows[0][3].c_str()),
              (nlohmann::json{{"email", "ops@audit.example"}, {"role", "admin"}, {"invited", false}}));

    {
        pqxx::work tx(connection);
        tx.exec_params("UPDATE users SET role = 'sales', active = false WHERE id = $1", user_id);
        tx.commit();
    }
    const std::string recovery = "second operator passphrase 2026";
    const auto end_sessions = [this](const std::string& id) {
        server_->app().sessions().revokeAllOfUser(id);
    };
    auth::createAdmin(connection, "ops@audit.example", recovery, "Ops", "Audit Co", end_sessions);
    const auto restored = rows("user.role_changed");
    ASSERT_EQ(restored.size(), 1u);
    EXPECT_EQ(restored[0][2].as<std::string>(), user_id);
    const auto changes = nlohmann::json::parse(restored[0][3].c_str());
    EXPECT_EQ(changes, (nlohmann::json{{"password", "set"},
                                       {"role", {{"from", "sales"}, {"to", "admin"}}},
                                       {"active", {{"from", false}, {"to", true}}}}));
    EXPECT_EQ(std::string(restored[0][3].c_str()).find(recovery), std::string::npos);
    EXPECT_EQ(login("ops@audit.example", recovery, {{"organization", created.organization}}).status, 200);
}

// create-admin on an existing account is a password reset: the account's sessions end, so
// whoever held them needs the new password. When they cannot be ended, nothing changes.
TEST_F(AuthApiTest, CreateAdminEndsTheAccountsSessions) {
    auto connection = server_->database().connect();
    db::prepareAll(connection);
    const std::string password = "first operator passphrase 2026";
    const auto never = [](const std::string& id) { ADD_FAILURE() << "sessions of " << id << " ended"; };
    const auto created =
        auth::createAdmin(connection, "ops@sessions.example", password, "Ops", "Session Co", never);
    const auto signed_in = login("ops@sessions.example", password, {{"organization", created.organization}});
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const auto access = signed_in.json().at("access_token").get<std::string>();
    const auto refresh = signed_in.json().at("refresh_token").get<std::string>();

    // Run again with the same password (as seed does on every start): nothing to change or end.
    const auto audited = server_->auditCount("user.updated");
    auth::createAdmin(connection, "ops@sessions.example", password, "Ops", "Session Co", never);
    EXPECT_EQ(server_->auditCount("user.updated"), audited);
    EXPECT_EQ(bearer(access).get("/api/auth/me").status, 200);

    const auto unreachable = [](const std::string&) { throw std::runtime_error("Redis is down"); };
    EXPECT_THROW(auth::createAdmin(connection, "ops@sessions.example", "unused passphrase 2026 x",
                                   "Ops", "Session Co", unreachable),
                 std::runtime_error);
    EXPECT_EQ(login("ops@sessions.example", password, {{"organization", created.organization}}).status, 200);
    EXPECT_EQ(bearer(access).get("/api/auth/me").status, 200);

    auth::createAdmin(connection, "ops@sessions.example", "second operator passphrase 2026", "Ops",
                      "Session Co",
                      [this](const std::string& id) { server_->app().sessions().revokeAllOfUser(id); });
    EXPECT_EQ(bearer(access).get("/api/auth/me").status, 401);
    EXPECT_EQ(server_->client().post("/api/auth/refresh", {{"refresh_token", refresh}}).status, 401);
}

class AuthLimitsTest : public ::testing::Test {};

// Login attempts per IP are limited, and so are requests per user, with RateLimit headers.
TEST_F(AuthLimitsTest, LoginAndGeneralRateLimits) {
    auto server = TestServer::start({{"CRM_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", "3"},
                                     {"CRM_RATE_LIMIT_PER_MINUTE", "5"}});
    const auto org = server->createOrganization("Limits");
    const auto user = server->createUser(org, "sales");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(server->client().post("/api/auth/login", {{"email", "x@y.example"}, {"password", "whatever it is"}}).status, 401);
    }
    const auto limited = server->client().post("/api/auth/login", {{"email", "x@y.example"}, {"password", "whatever it is"}});
    EXPECT_EQ(limited.status, 429);
    EXPECT_FALSE(limited.header("Retry-After").empty());

    auto client = server->clientFor(user);
    for (int i = 0; i < 5; ++i) {
        const auto response = client.get("/api/auth/me");
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.header("RateLimit-Limit"), "5");
        EXPECT_EQ(response.header("RateLimit-Remaining"), std::to_string(4 - i));
    }
    const auto over = client.get("/api/auth/me");
    EXPECT_EQ(over.status, 429);
    EXPECT_FALSE(over.header("Retry-After").empty());
    EXPECT_EQ(over.header("RateLimit-Remaining"), "0");
}

// Requests with bad tokens count against the address's limit too.
TEST_F(AuthLimitsTest, BadTokensAreRateLimited) {
    auto server = TestServer::start({{"CRM_RATE_LIMIT_PER_MINUTE", "3"}});
    auto client = server->client();
    client.setDefaultHeader("Authorization", "Bearer forged.token.value");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(client.get("/api/auth/me").status, 401);
    }
    const auto limited = client.get("/api/auth/me");
    EXPECT_EQ(limited.status, 429);
    EXPECT_FALSE(limited.header("Retry-After").empty());
}

// Sign-up can be turned off.
TEST_F(AuthLimitsTest, SignupCanBeDisabled) {
    auto server = TestServer::start({{"CRM_ALLOW_SIGNUP", "false"}});
    const auto response = server->client().post("/api/auth/signup", {{"organization_name", "Nope"},
                                                                     {"name", "No One"},
                                                                     {"email", "no@nope.example"},
                                                                     {"password", "volcano lair with a view"}});
    EXPECT_EQ(response.status, 403);
}

// With Redis down, issued tokens keep working; login and refresh answer 503 with Retry-After.
TEST_F(AuthLimitsTest, RedisDownKeepsTokensWorking) {
    auto healthy = TestServer::start();
    const auto org = healthy->createOrganization("Resilient");
    const auto user = healthy->createUser(org, "manager");
    const auto token = healthy->accessTokenFor(user);

    // A second node on the same database whose Redis is unreachable.
    auto degraded = TestServer::start({{"CRM_DATABASE_URL", healthy->database().url()},
                                       {"CRM_REDIS_URL", "redis://127.0.0.1:9/0"},
                                       {"CRM_REDIS_TIMEOUT_MS", "200"}});
    auto client = degraded->client();
    client.setDefaultHeader("Authorization", "Bearer " + token);
    EXPECT_EQ(client.get("/api/auth/me").status, 200);
    const auto login = degraded->client().post("/api/auth/login", {{"email", user.email}, {"password", kTestPassword}});
    EXPECT_EQ(login.status, 503);
    EXPECT_FALSE(login.header("Retry-After").empty());
    const auto refresh = degraded->client().post("/api/auth/refresh", {{"refresh_token", "rt_whatever"}});
    EXPECT_EQ(refresh.status, 503);
    EXPECT_EQ(degraded->client().get("/api/health/ready").json().at("checks").at("redis"), "down");
}

}  // namespace
}  // namespace crm::test
