// spdlog set-up: one process-wide logger whose sink can reopen its file (SIGHUP after logrotate)
// and whose lines are plain text or one JSON object each.
#include "coproxy/runtime/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

namespace coproxy::runtime {
namespace {

std::atomic<int> g_log_fd{2};  // where a crash report goes: the log file, else stderr

// Appends to a file, or stderr when no file is set; reopen() starts a new file after rotation.
class reopenable_sink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit reopenable_sink(std::string path) : path_(std::move(path)) { open(); }
    ~reopenable_sink() override { close(); }

    std::string error() const { return error_; }

    void reopen() {
        std::lock_guard<std::mutex> lock(mutex_);
        close();
        open();
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::fwrite(formatted.data(), 1, formatted.size(), file_);
        std::fflush(file_);
    }
    void flush_() override { std::fflush(file_); }

  private:
    void open() {
        file_ = stderr;
        if (!path_.empty()) {
            if (std::FILE* f = std::fopen(path_.c_str(), "a")) {
                file_ = f;
                error_.clear();
            } else {
                error_ = "cannot open log file '" + path_ + "': " + std::strerror(errno);
            }
        }
        g_log_fd.store(::fileno(file_));
    }
    void close() {
        if (file_ != stderr && file_ != nullptr) {
            std::fclose(file_);
        }
        file_ = stderr;
    }

    std::string path_;
    std::FILE* file_ = stderr;
    std::string error_;
};

// %j: the message, escaped for a JSON string.
class json_message_flag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        for (char c : msg.payload) {
            switch (c) {
                case '"':
                    dest.append(std::string_view("\\\""));
                    break;
                case '\\':
                    dest.append(std::string_view("\\\\"));
                    break;
                case '\n':
                    dest.append(std::string_view("\\n"));
                    break;
                case '\r':
                    dest.append(std::string_view("\\r"));
                    break;
                case '\t':
                    dest.append(std::string_view("\\t"));
                    break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        fmt::format_to(std::back_inserter(dest), "\\u{:04x}", c);
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<json_message_flag>();
    }
};

std::shared_ptr<reopenable_sink> g_sink;
std::atomic<int> g_verbosity{5};

}  // namespace

spdlog::level::level_enum level_for_verbosity(int v) {
    if (v <= 2) {
        return spdlog::level::critical;
    }
    if (v == 3) {
        return spdlog::level::err;
    }
    if (v == 4) {
        return spdlog::level::warn;
    }
    if (v <= 6) {
        return spdlog::level::info;
    }
    if (v == 7) {
        return spdlog::level::debug;
    }
    return spdlog::level::trace;
}

std::string init_logging(const config::process_options& options) {
    g_sink = std::make_shared<reopenable_sink>(options.output);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (options.log_format == config::log_format::json) {
        formatter->add_flag<json_message_flag>('j').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","pid":%P,"thread":%t,"msg":"%j"})");
    } else {
        formatter->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    }
    g_sink->set_formatter(std::move(formatter));
    auto logger = std::make_shared<spdlog::logger>("coproxy", g_sink);
    g_verbosity = options.verbose;
    logger->set_level(level_for_verbosity(options.verbose));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
    return g_sink->error();
}

int log_fd() {
    return g_log_fd.load();
}

void reopen_log() {
    if (g_sink) {
        g_sink->reopen();
    }
}

int adjust_verbosity(int delta) {
    const int v = std::clamp(g_verbosity.load() + delta, 0, 11);
    g_verbosity = v;
    spdlog::set_level(level_for_verbosity(v));
    return v;
}

}  // namespace coproxy::runtime
