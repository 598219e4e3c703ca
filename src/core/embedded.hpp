#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

/// Files compiled into the binary by cmake/embed_files.cmake.
namespace crm::embedded {

struct File {
    std::string name;
    std::string content;
};

/// Concatenates the chunks a file was stored as.
inline std::string join(std::initializer_list<std::string_view> chunks) {
    std::string out;
    for (const auto chunk : chunks) {
        out.append(chunk);
    }
    return out;
}

/// migrations/NNNN_name.sql, sorted by name.
const std::vector<File>& migrations();
/// seeds/demo.sql.
std::string_view demoSeed();
/// openapi/openapi.yaml.
std::string_view openapiYaml();
/// src/auth/common_passwords.txt, one lower-case password a line.
std::string_view commonPasswords();

}  // namespace crm::embedded
