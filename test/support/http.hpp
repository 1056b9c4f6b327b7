// A minimal HTTP/1.1 GET for integration tests that read coproxy's admin endpoint, and a reader
// for one metric in Prometheus text, so tests wait on what coproxy reports instead of sleeping.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coproxy::test {

// The body of GET http://127.0.0.1:port/path, or nullopt when it could not be fetched.
std::optional<std::string> http_get(int port, const std::string& path);

// The sum of every sample of `name` whose labels include each `key="value"` in `labels`
// (e.g. `pool="cache"`); 0 when there is none.
double metric_sum(std::string_view exposition, std::string_view name,
                  std::initializer_list<std::string_view> labels = {});

// metric_sum() of a fresh /metrics scrape; -1 when the scrape failed.
double scrape_metric(int admin_port, std::string_view name,
                     std::initializer_list<std::string_view> labels = {});

}  // namespace coproxy::test
