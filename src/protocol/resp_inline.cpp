// Inline command splitting, a port of Redis 7's sdssplitargs() over a length-bounded line. The
// quirks are kept on purpose (they are what Redis executes): "\v" and "\f" separate args only
// outside a token, a closing quote must be followed by a blank or the end, "\x" escapes need two
// hex digits or fall back to a literal 'x', and single quotes only know \'.
#include "protocol/resp_inline.hpp"

namespace coproxy::protocol::resp::detail {
namespace {

// The line end stands in for the NUL that ends Redis's C string.
constexpr int end_of_line = -1;

// C locale isspace(), which sdssplitargs uses to skip blanks between args.
constexpr bool is_space(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

constexpr bool is_hex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr int hex_value(int c) {
    if (c <= '9') {
        return c - '0';
    }
    return (c | 0x20) - 'a' + 10;
}

constexpr char unescape(char c) {
    switch (c) {
        case 'n':
            return '\n';
        case 'r':
            return '\r';
        case 't':
            return '\t';
        case 'b':
            return '\b';
        case 'a':
            return '\a';
        default:
            return c;
    }
}

class line_reader {
  public:
    explicit line_reader(std::string_view line) : line_(line) {}

    int at(std::size_t i) const {
        return i < line_.size() ? static_cast<unsigned char>(line_[i]) : end_of_line;
    }
    std::size_t size() const { return line_.size(); }
    // A closing quote must be followed by a blank or the end of the line.
    bool closes_cleanly(std::size_t quote) const {
        const int next = at(quote + 1);
        return next == end_of_line || is_space(next);
    }

  private:
    std::string_view line_;
};

enum class quoting { none, double_quotes, single_quotes };

}  // namespace

bool split_inline(std::string_view line, std::string& out, std::vector<byte_range>& args) {
    const line_reader r(line);
    std::size_t p = 0;
    for (;;) {
        while (p < r.size() && is_space(r.at(p))) {
            ++p;
        }
        if (p == r.size()) {
            return true;
        }
        const std::size_t start = out.size();
        quoting q = quoting::none;
        bool done = false;
        while (!done) {
            const int c = r.at(p);
            if (q == quoting::double_quotes) {
                if (c == '\\' && r.at(p + 1) == 'x' && is_hex(r.at(p + 2)) && is_hex(r.at(p + 3))) {
                    out.push_back(
                        static_cast<char>(hex_value(r.at(p + 2)) * 16 + hex_value(r.at(p + 3))));
                    p += 3;
                } else if (c == '\\' && r.at(p + 1) != end_of_line) {
                    ++p;
                    out.push_back(unescape(static_cast<char>(r.at(p))));
                } else if (c == '"') {
                    if (!r.closes_cleanly(p)) {
                        return false;
                    }
                    done = true;
                } else if (c == end_of_line) {
                    return false;
                } else {
                    out.push_back(static_cast<char>(c));
                }
            } else if (q == quoting::single_quotes) {
                if (c == '\\' && r.at(p + 1) == '\'') {
                    ++p;
                    out.push_back('\'');
                } else if (c == '\'') {
                    if (!r.closes_cleanly(p)) {
                        return false;
                    }
                    done = true;
                } else if (c == end_of_line) {
                    return false;
                } else {
                    out.push_back(static_cast<char>(c));
                }
            } else {
                switch (c) {
                    // Only these end an unquoted token; "\v" and "\f" stay inside it.
                    case ' ':
                    case '\n':
                    case '\r':
                    case '\t':
                    case end_of_line:
                        done = true;
                        break;
                    case '"':
                        q = quoting::double_quotes;
                        break;
                    case '\'':
                        q = quoting::single_quotes;
                        break;
                    default:
                        out.push_back(static_cast<char>(c));
                        break;
                }
            }
            if (p < r.size()) {
                ++p;
            }
        }
        args.push_back({start, out.size() - start});
    }
}

}  // namespace coproxy::protocol::resp::detail
