#include "core/validation.hpp"

#include <gtest/gtest.h>

namespace crm::core {
namespace {

// Addresses are lower-cased and kept; look-alikes of another address are refused: a trailing
// dot (the same mailbox), characters that print as nothing, and address literals.
TEST(EmailAddresses, LookAlikesAreRefused) {
    EXPECT_EQ(normalizeEmail(" Dave@Beta.TEST "), "dave@beta.test");
    EXPECT_EQ(normalizeEmail("ärne@bücher.example"), "ärne@bücher.example");
    EXPECT_EQ(normalizeEmail("first.last+tag@sub-domain.example.co.uk"), "first.last+tag@sub-domain.example.co.uk");
    EXPECT_EQ(normalizeEmail("dave@beta.test."), std::nullopt);
    EXPECT_EQ(normalizeEmail("dave\u200b@beta.test"), std::nullopt);
    // At most 64 octets before the @ (RFC 5321): a longer address cannot be delivered.
    EXPECT_EQ(normalizeEmail(std::string(64, 'a') + "@x.example"), std::string(64, 'a') + "@x.example");
    EXPECT_EQ(normalizeEmail(std::string(65, 'a') + "@x.example"), std::nullopt);
    EXPECT_EQ(normalizeEmail("\u00e4" + std::string(63, 'a') + "@x.example"), std::nullopt);  // ä is two octets
    EXPECT_EQ(normalizeEmail("dave@beta\u00ad.test"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@[127.0.0.1]"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@beta..test"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@-beta.test"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@beta_x.test"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@127.0.0.1"), std::nullopt);  // a literal without brackets
    EXPECT_EQ(normalizeEmail("eve@beta.123"), std::nullopt);
    EXPECT_EQ(normalizeEmail("eve@123.example"), "eve@123.example");
}

// The part before the @ is a dot-atom: what mail software reads as syntax is refused.
TEST(EmailAddresses, LocalPartIsADotAtom) {
    EXPECT_EQ(normalizeEmail("o'brien+crm@x.example"), "o'brien+crm@x.example");
    EXPECT_EQ(normalizeEmail("a_b-c.d@x.example"), "a_b-c.d@x.example");
    for (const auto* address : {"\"q\"@x.example", "a<script>@x.example", ".a@x.example", "a.@x.example",
                                "a..b@x.example", "a,b@x.example", "a(b)@x.example", "a;b@x.example"}) {
        EXPECT_EQ(normalizeEmail(address), std::nullopt) << address;
    }
}

}  // namespace
}  // namespace crm::core
