// The value parsers every config reader shares (pool keys, flags, environment, the `coproxy:`
// section), so a value means the same thing whichever way it arrives.
#pragma once

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace coproxy::config {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

inline std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// A decimal integer, surrounding blanks allowed, nothing else.
inline std::optional<long long> parse_integer(std::string_view text) {
    text = trim(text);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// true/false, yes/no, on/off (YAML 1.1's words, which twemproxy's files use) and 1/0, any case.
inline std::optional<bool> parse_bool(std::string_view text) {
    const std::string v = lowercase(trim(text));
    if (v == "1" || v == "true" || v == "yes" || v == "on") {
        return true;
    }
    if (v == "0" || v == "false" || v == "no" || v == "off") {
        return false;
    }
    return std::nullopt;
}

}  // namespace coproxy::config
