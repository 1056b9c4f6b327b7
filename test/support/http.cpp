// See http.hpp.
#include "support/http.hpp"

#include <sstream>

#include "support/socket.hpp"

namespace coproxy::test {

std::optional<std::string> http_get(int port, const std::string& path) {
    auto c = client_socket::connect(port);
    if (!c) {
        return std::nullopt;
    }
    c->set_timeout(std::chrono::seconds(10));
    if (!c->send_all("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
        return std::nullopt;
    }
    const std::string response = c->recv_until_eof();
    const auto body = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.1 ", 0) != 0 || body == std::string::npos) {
        return std::nullopt;
    }
    return response.substr(body + 4);
}

double metric_sum(std::string_view exposition, std::string_view name,
                  std::initializer_list<std::string_view> labels) {
    double sum = 0;
    std::istringstream in{std::string(exposition)};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) {
            continue;
        }
        const std::string_view rest = std::string_view(line).substr(name.size());
        if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) {
            continue;  // another metric with this one's name as a prefix
        }
        bool all = true;
        for (const auto label : labels) {
            all = all && rest.find(label) != std::string_view::npos;
        }
        if (all) {
            sum += std::stod(std::string(rest.substr(rest.rfind(' ') + 1)));
        }
    }
    return sum;
}

double scrape_metric(int admin_port, std::string_view name,
                     std::initializer_list<std::string_view> labels) {
    const auto body = http_get(admin_port, "/metrics");
    return body ? metric_sum(*body, name, labels) : -1;
}

}  // namespace coproxy::test
