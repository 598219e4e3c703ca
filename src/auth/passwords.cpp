#include "auth/passwords.hpp"

#include "core/embedded.hpp"
#include "core/validation.hpp"

#include <sodium.h>

#include <stdexcept>
#include <unordered_set>

namespace crm::auth {
namespace {

constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
// Shortest "word" of a personal detail worth checking for (shorter ones match too much).
constexpr std::size_t kMinPersonalWord = 4;

const std::unordered_set<std::string>& commonPasswords() {
    static const std::unordered_set<std::string> list = [] {
        std::unordered_set<std::string> words;
        const auto text = embedded::commonPasswords();
        std::size_t start = 0;
        while (start < text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string_view::npos) {
                end = text.size();
            }
            auto line = core::trim(text.substr(start, end - start));
            if (!line.empty() && line.front() != '#') {
                words.insert(std::move(line));
            }
            start = end + 1;
        }
        return words;
    }();
    return list;
}

// "password2024!" → "password": people satisfy length rules by appending digits and symbols.
std::string withoutTrailingNoise(std::string_view text) {
    auto end = text.size();
    while (end > 0 && !std::isalpha(static_cast<unsigned char>(text[end - 1]))) {
        --end;
    }
    return std::string(text.substr(0, end));
}

// True for "abcabcabcabc", "aaaaaaaaaaaa", "123412341234".
bool isRepetition(std::string_view text) {
    for (std::size_t unit = 1; unit <= text.size() / 2; ++unit) {
        if (text.size() % unit != 0) {
            continue;
        }
        bool repeated = true;
        for (std::size_t i = unit; i < text.size() && repeated; ++i) {
            repeated = text[i] == text[i % unit];
        }
        if (repeated) {
            return true;
        }
    }
    return false;
}

// True when every character follows the previous one in a run: "123456789012", "abcdefghijkl",
// "qwertyuiopas" (keyboard rows), forwards or backwards.
bool isRun(std::string_view text) {
    static const std::vector<std::string> kRuns{
        "01234567890123456789", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnmqwertyuiop", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"};
    for (const auto& run : kRuns) {
        std::string reversed(run.rbegin(), run.rend());
        if (run.find(text) != std::string::npos || reversed.find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

bool isCommon(const std::string& candidate) {
    const auto& list = commonPasswords();
    if (list.count(candidate) > 0) {
        return true;
    }
    const auto stem = withoutTrailingNoise(candidate);
    if (stem.size() >= 4 && list.count(stem) > 0) {
        return true;
    }
    // "passwordpassword", "monkeymonkey1": a common word repeated.
    for (std::size_t unit = 4; unit <= stem.size() / 2; ++unit) {
        if (stem.size() % unit == 0 && isRepetition(stem) && list.count(stem.substr(0, unit)) > 0) {
            return true;
        }
    }
    return false;
}

// Words of a personal detail: "ada.lovelace@example.com" → {"ada", "lovelace", "example"}.
std::vector<std::string> personalWords(const std::vector<std::string>& personal) {
    std::vector<std::string> words;
    for (const auto& item : personal) {
        std::string word;
        for (const char c : core::foldCase(item) + " ") {
            if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80)) {
                word.push_back(c);
            } else {
                if (core::utf8Length(word) >= kMinPersonalWord) {
                    words.push_back(word);
                }
                word.clear();
            }
        }
    }
    return words;
}

const std::string& dummyHash() {
    static const std::string hash = hashPassword("placeholder password for timing only");
    return hash;
}

}  // namespace

std::string hashPassword(std::string_view password) {
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, password.data(), password.size(), kOpsLimit, kMemLimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("argon2id hashing ran out of memory");
    }
    return hash;
}

bool verifyPassword(std::string_view hash, std::string_view password) {
    if (hash.rfind("$argon2id$", 0) != 0) {
        return false;
    }
    const std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void burnVerificationTime(std::string_view password) {
    (void)verifyPassword(dummyHash(), password);
}

bool needsRehash(std::string_view hash) {
    const std::string terminated(hash);
    return crypto_pwhash_str_needs_rehash(terminated.c_str(), kOpsLimit, kMemLimit) != 0;
}

std::string passwordProblem(std::string_view password, const std::vector<std::string>& personal) {
    const auto length = core::utf8Length(password);
    if (length < kMinPasswordLength) {
        return "must be at least " + std::to_string(kMinPasswordLength) + " characters";
    }
    if (length > kMaxPasswordLength) {
        return "must be at most " + std::to_string(kMaxPasswordLength) + " characters";
    }
    const auto folded = core::foldCase(password);  // "Émile" is "émile", as "Ada" is "ada"
    if (isCommon(folded) || isRepetition(folded) || isRun(folded)) {
        return "is too common or too easy to guess: choose a less predictable password";
    }
    // The password is mostly made of the words, together or apart: "Grace Hopper" →
    // "gracehopper2026", "hopper-grace-99"; "dave@beta.test" → "beta.test2026!".
    std::vector<bool> covered(folded.size(), false);
    for (const auto& word : personalWords(personal)) {
        for (auto at = folded.find(word); at != std::string::npos; at = folded.find(word, at + 1)) {
            std::fill(covered.begin() + static_cast<std::ptrdiff_t>(at),
                      covered.begin() + static_cast<std::ptrdiff_t>(at + word.size()), true);
        }
    }
    // Counted in characters, not bytes: "gracehopper" + "ééééééé" is mostly the name.
    std::size_t covered_characters = 0;
    for (std::size_t i = 0; i < folded.size(); ++i) {
        const bool starts_character = (static_cast<unsigned char>(folded[i]) & 0xC0) != 0x80;
        covered_characters += covered[i] && starts_character ? 1 : 0;
    }
    if (covered_characters * 2 >= core::utf8Length(folded)) {
        return "must not be based on your name or e-mail address";
    }
    return {};
}

}  // namespace crm::auth
