#include "clients/dto.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace crm::clients {
namespace {

std::set<std::string> errorFields(const std::function<void()>& parse) {
    try {
        parse();
    } catch (const core::AppError& error) {
        std::set<std::string> fields;
        for (const auto& field : error.fields()) {
            fields.insert(field.field);
        }
        return fields;
    }
    return {};
}

// Only the website given: the domain is derived from it.
TEST(ApplyInput, DerivesTheDomainFromTheWebsite) {
    const auto input = ClientInput::fromCreateJson(
        {{"name", "Acme"}, {"website", "https://WWW.Acme.COM:443/about"}}, "US");
    const auto fields = applyInput(repo::ClientFields{}, input);
    EXPECT_EQ(fields.website, "https://www.acme.com:443/about");
    EXPECT_EQ(fields.domain, "acme.com");
}

// A domain given explicitly wins over the website's.
TEST(ApplyInput, ExplicitDomainWins) {
    const auto input = ClientInput::fromCreateJson(
        {{"name", "Acme"}, {"website", "acme-shop.com"}, {"domain", "acme.com"}}, "US");
    EXPECT_EQ(applyInput(repo::ClientFields{}, input).domain, "acme.com");
}

// On update the domain follows a new website only if it was the old website's.
TEST(ApplyInput, DomainFollowsTheWebsiteUnlessSetApart) {
    repo::ClientFields current;
    current.name = "Acme";
    current.website = "https://acme.com";
    current.domain = "acme.com";
    const auto input = ClientInput::fromUpdateJson({{"website", "https://acme.io"}}, "US");
    EXPECT_EQ(applyInput(current, input).domain, "acme.io");

    current.domain = "acme-group.com";  // chosen on purpose
    EXPECT_EQ(applyInput(current, input).domain, "acme-group.com");

    // A domain cleared on purpose stays cleared when the same website is sent back (a client
    // saving the whole record it read), and follows a website that really changes.
    current.domain = std::nullopt;
    const auto same = ClientInput::fromUpdateJson({{"website", "https://acme.com"}, {"city", "Oslo"}}, "US");
    EXPECT_EQ(applyInput(current, same).domain, std::nullopt);
    EXPECT_EQ(applyInput(current, input).domain, "acme.io");
}

// null clears nullable fields; absent fields stay as they were.
TEST(ApplyInput, NullClearsAndAbsentKeeps) {
    repo::ClientFields current;
    current.name = "Acme";
    current.city = "Berlin";
    current.industry = "software";
    current.tags = {"a"};
    const auto input =
        ClientInput::fromUpdateJson({{"city", nullptr}, {"tags", nullptr}, {"notes", ""}}, "US");
    const auto next = applyInput(current, input);
    EXPECT_EQ(next.city, std::nullopt);
    EXPECT_TRUE(next.tags.empty());
    EXPECT_EQ(next.notes, std::nullopt);
    EXPECT_EQ(next.industry, "software");
    EXPECT_EQ(next.name, "Acme");
}

// Phone numbers are stored in E.164, read in the configured region; countries upper-cased.
TEST(ClientInput, NormalisesPhoneAndCountry) {
    const auto input = ClientInput::fromCreateJson(
        {{"name", "Acme"}, {"phone", "030 901820"}, {"country", "de"}}, "DE");
    const auto fields = applyInput(repo::ClientFields{}, input);
    EXPECT_EQ(fields.phone, "+4930901820");
    EXPECT_EQ(fields.country, "DE");
}

// Every bad field is reported in one go, read-only ones by name.
TEST(ClientInput, ReportsEveryBadField) {
    const nlohmann::json body{{"domain", "not a domain"},
                              {"website", "ftp://x.com"},
                              {"size", "huge"},
                              {"status", "gone"},
                              {"country", "Germany"},
                              {"phone", "call me"},
                              {"tags", "vip"},
                              {"owner_id", "me"},
                              {"notes", 5},
                              {"id", "x"},
                              {"version", 3},
                              {"colour", "red"}};
    EXPECT_EQ(
        errorFields([&] { ClientInput::fromCreateJson(body, "US"); }),
        (std::set<std::string>{"name", "domain", "website", "size", "status", "country", "phone",
                               "tags", "owner_id", "notes", "id", "version", "colour"}));
}

// An update may not remove the name or the status.
TEST(ClientInput, UpdateRefusesNullForRequiredFields) {
    EXPECT_EQ(errorFields([] {
                  ClientInput::fromUpdateJson({{"name", nullptr}, {"status", nullptr}}, "US");
              }),
              (std::set<std::string>{"name", "status"}));
}

// Assignment needs owner_id, which may be null.
TEST(AssignClientDto, OwnerIdIsRequired) {
    EXPECT_EQ(errorFields([] { AssignClientDto::fromJson(nlohmann::json::object()); }),
              (std::set<std::string>{"owner_id"}));
    EXPECT_EQ(AssignClientDto::fromJson({{"owner_id", nullptr}}).owner_id, std::nullopt);
}

// Amounts get thousands separators and two decimals.
TEST(FormatMoney, GroupsThousands) {
    EXPECT_EQ(formatMoney("EUR", "12000.00"), "EUR 12,000.00");
    EXPECT_EQ(formatMoney("USD", "1234567.5"), "USD 1,234,567.50");
    EXPECT_EQ(formatMoney("GBP", "999"), "GBP 999.00");
    EXPECT_EQ(formatMoney("EUR", "0.00"), "EUR 0.00");
}

repo::SummaryFacts exampleFacts() {
    repo::SummaryFacts facts;
    facts.id = "00000000-0000-7000-8000-000000000001";
    facts.name = "Acme Corp";
    facts.industry = "software";
    facts.size = "51-200";
    facts.status = "active";
    facts.owner_id = "00000000-0000-7000-8000-000000000002";
    facts.owner_name = "Ada Byron";
    facts.contacts = 4;
    facts.primary_contact_id = "00000000-0000-7000-8000-000000000003";
    facts.primary_contact_name = "Grace Hopper";
    facts.open_jobs = 2;
    facts.open_deals = 1;
    facts.open_deal_values = {{"EUR", "12000.00"}};
    facts.days_since_last_activity = 3;
    facts.last_activity_at = "2026-03-28T10:00:00Z";
    return facts;
}

// The summary reads as the product describes it.
TEST(SummaryText, ReadsLikeTheSpecification) {
    EXPECT_EQ(summaryText(exampleFacts()),
              "Acme Corp (software, 51-200) is an active client owned by Ada Byron. 4 contacts "
              "(primary: Grace Hopper), 2 open jobs, 1 open deal worth EUR 12,000.00, last "
              "activity 3 days ago.");
}

// An empty relationship still reads as sentences.
TEST(SummaryText, EmptyRelationship) {
    repo::SummaryFacts facts;
    facts.name = "Blank Ltd";
    facts.status = "prospect";
    EXPECT_EQ(summaryText(facts),
              "Blank Ltd is a prospective client with no owner. No contacts, no open jobs, no open "
              "deals, no recorded activity.");
}

// An update without a country keeps its number until the stored country is known; its shape
// is checked with the other fields, and a country sent (even a bad one) is read at once.
TEST(ClientInput, ReadsALocalNumberInTheCountryItBelongsTo) {
    const auto later = ClientInput::fromUpdateJson({{"phone", "01 42 68 53 00"}}, "US");
    ASSERT_TRUE(later.phone_as_sent.has_value());
    EXPECT_THROW(applyInput(repo::ClientFields{}, later), std::logic_error);
    EXPECT_EQ(later.withPhoneReadIn("FR").phone, std::optional<std::optional<std::string>>("+33142685300"));
    EXPECT_EQ(errorFields([] { ClientInput::fromUpdateJson({{"website", "ftp://x"}, {"phone", 7}}, "US"); }),
              (std::set<std::string>{"website", "phone"}));
    EXPECT_EQ(errorFields([] { ClientInput::fromUpdateJson({{"size", "huge"}, {"phone", "abc"}}, "US"); }),
              (std::set<std::string>{"size", "phone"}));
    EXPECT_EQ(errorFields([] { ClientInput::fromUpdateJson({{"name", ""}, {"phone", "12"}}, "US"); }),
              (std::set<std::string>{"name", "phone"}));
    EXPECT_EQ(errorFields([] { ClientInput::fromUpdateJson({{"country", "ZZ"}, {"phone", "12"}}, "US"); }),
              (std::set<std::string>{"country", "phone"}));
    // A number that may be one somewhere, but is none in the stored country.
    const auto unknown_there = ClientInput::fromUpdateJson({{"phone", "1234"}}, "US");
    EXPECT_EQ(errorFields([&] { unknown_there.withPhoneReadIn("FR"); }), std::set<std::string>{"phone"});
}

// Several currencies are listed; today and yesterday are said as such.
TEST(SummaryText, CurrenciesAndRecentActivity) {
    auto facts = exampleFacts();
    facts.size.reset();
    facts.contacts = 1;
    facts.primary_contact_name.reset();
    facts.open_deals = 3;
    facts.open_deal_values = {{"EUR", "1000.00"}, {"GBP", "20.50"}, {"USD", "5000000.00"}};
    facts.days_since_last_activity = 1;
    EXPECT_EQ(summaryText(facts),
              "Acme Corp (software) is an active client owned by Ada Byron. 1 contact, 2 open "
              "jobs, 3 open deals worth EUR 1,000.00, GBP 20.50 and USD 5,000,000.00, last "
              "activity yesterday.");
    facts.days_since_last_activity = 0;
    EXPECT_NE(summaryText(facts).find("last activity today."), std::string::npos);
}

}  // namespace
}  // namespace crm::clients
