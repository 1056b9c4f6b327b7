// The reload diff as a table: running config, new config, and what must change.
#include "coproxy/process/reload_diff.hpp"

#include <gtest/gtest.h>

#include "coproxy/config/loader.hpp"

namespace coproxy::process {
namespace {

using names = std::vector<std::string>;

config::config load(const std::string& yaml) {
    auto r = config::parse_config(yaml, "test.yml");
    EXPECT_TRUE(r.ok());
    return *r.value;
}

std::string pool(const std::string& name, int port, const std::string& extra = "",
                 const std::string& server = "127.0.0.1:6379:1") {
    return name + ":\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  redis: true\n" + extra +
           "  servers:\n    - " + server + "\n";
}

struct diff_case {
    const char* name;
    std::string running;
    std::string next;
    reload_diff expected;
};

reload_diff make(names added, names changed, names unchanged, names removed, names opened,
                 names closed, std::vector<std::pair<std::string, std::string>> retargeted = {}) {
    return {std::move(added),  std::move(changed), std::move(unchanged), std::move(removed),
            std::move(opened), std::move(closed),  std::move(retargeted)};
}

const diff_case cases[] = {
    {"identical", pool("a", 1), pool("a", 1), make({}, {}, {"a"}, {}, {}, {})},
    {"new_pool_opens_its_address", pool("a", 1), pool("a", 1) + pool("b", 2),
     make({"b"}, {}, {"a"}, {}, {"127.0.0.1:2"}, {})},
    {"dropped_pool_closes_its_address", pool("a", 1) + pool("b", 2), pool("a", 1),
     make({}, {}, {"a"}, {"b"}, {}, {"127.0.0.1:2"})},
    {"new_server_is_a_change", pool("a", 1), pool("a", 1, "", "127.0.0.1:6380:1"),
     make({}, {"a"}, {}, {}, {}, {})},
    {"new_key_is_a_change", pool("a", 1), pool("a", 1, "  timeout: 400\n"),
     make({}, {"a"}, {}, {}, {}, {})},
    {"a_secret_counts", pool("a", 1, "  redis_auth: one\n"), pool("a", 1, "  redis_auth: two\n"),
     make({}, {"a"}, {}, {}, {}, {})},
    {"protocol_change_replaces_the_pool", pool("a", 1),
     "a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:11211:1\n",
     make({"a"}, {}, {}, {"a"}, {}, {})},
    {"moved_listener_closes_old_opens_new", pool("a", 1), pool("a", 3),
     make({}, {"a"}, {}, {}, {"127.0.0.1:3"}, {"127.0.0.1:1"})},
    {"address_passed_to_another_pool", pool("a", 1), pool("b", 1),
     make({"b"}, {}, {}, {"a"}, {}, {}, {{"127.0.0.1:1", "b"}})},
    {"swap_addresses", pool("a", 1) + pool("b", 2), pool("a", 2) + pool("b", 1),
     make({}, {"a", "b"}, {}, {}, {}, {}, {{"127.0.0.1:2", "a"}, {"127.0.0.1:1", "b"}})},
};

class ReloadDiff : public testing::TestWithParam<diff_case> {};

TEST_P(ReloadDiff, SaysWhatChanges) {
    const auto& c = GetParam();
    const reload_diff d = diff_configs(load(c.running), load(c.next));
    EXPECT_EQ(d.added, c.expected.added);
    EXPECT_EQ(d.changed, c.expected.changed);
    EXPECT_EQ(d.unchanged, c.expected.unchanged);
    EXPECT_EQ(d.removed, c.expected.removed);
    EXPECT_EQ(d.opened, c.expected.opened);
    EXPECT_EQ(d.closed, c.expected.closed);
    EXPECT_EQ(d.retargeted, c.expected.retargeted);
    EXPECT_EQ(d.empty(), std::string(c.name) == "identical");
}

INSTANTIATE_TEST_SUITE_P(Table, ReloadDiff, testing::ValuesIn(cases),
                         [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace coproxy::process
