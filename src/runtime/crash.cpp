// See crash.hpp.
#include "coproxy/runtime/crash.hpp"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "coproxy/runtime/log.hpp"

// Under ASan or TSan the sanitizer's own handlers report a crash better, and ASan gives every
// thread an alternate stack of its own, which it unmaps when the thread exits: replacing it makes
// that unmap fail and the sanitizer abort the process at the first thread exit. GCC says so with
// __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COPROXY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COPROXY_SANITIZED 1
#endif
#endif

namespace coproxy::runtime {
namespace {

#ifdef COPROXY_SANITIZED
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT};

void write_text(int fd, const char* text) {
    // Best effort: nothing useful can be done about a failed write in a crash.
    [[maybe_unused]] const auto n = ::write(fd, text, std::strlen(text));
}

void on_fatal_signal(int signal) {
    const int fd = log_fd();
    write_text(fd, "coproxy: fatal signal ");
    write_text(fd, signal_name(signal));
    write_text(fd, ", backtrace:\n");
    void* frames[64];
    const int depth = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, depth, fd);
    write_text(fd, "coproxy: re-raising the signal (a core is dumped where allowed)\n");
    // SA_RESETHAND restored the default action: this raise ends the process by the signal.
    ::raise(signal);
}

}  // namespace

const char* signal_name(int signal) {
    switch (signal) {
        case SIGHUP:
            return "SIGHUP";
        case SIGINT:
            return "SIGINT";
        case SIGQUIT:
            return "SIGQUIT";
        case SIGABRT:
            return "SIGABRT";
        case SIGBUS:
            return "SIGBUS";
        case SIGFPE:
            return "SIGFPE";
        case SIGSEGV:
            return "SIGSEGV";
        case SIGPIPE:
            return "SIGPIPE";
        case SIGTERM:
            return "SIGTERM";
        case SIGUSR1:
            return "SIGUSR1";
        case SIGUSR2:
            return "SIGUSR2";
        case SIGTTIN:
            return "SIGTTIN";
        case SIGTTOU:
            return "SIGTTOU";
        default:
            return "signal";
    }
}

void install_crash_stack() {
    if constexpr (sanitized) {
        return;  // no handlers of ours to run on it, and the sanitizer owns the thread's stack
    }
    const std::size_t size = std::max(static_cast<std::size_t>(SIGSTKSZ), std::size_t{64 * 1024});
    // Leaked on purpose: a thread's alternate stack must outlive every signal it may take.
    stack_t stack{};
    stack.ss_sp = new char[size];
    stack.ss_size = size;
    ::sigaltstack(&stack, nullptr);
}

void install_crash_handlers() {
    if constexpr (sanitized) {
        return;  // the sanitizer's own handler reports a crash better
    }
    // backtrace() loads libgcc on first use, which is not safe inside a handler: do it now.
    void* warm[1];
    ::backtrace(warm, 1);
    install_crash_stack();
    struct sigaction action {};
    action.sa_handler = on_fatal_signal;
    action.sa_flags = static_cast<int>(SA_RESETHAND | SA_ONSTACK);
    sigemptyset(&action.sa_mask);
    for (int s : fatal_signals) {
        ::sigaction(s, &action, nullptr);
    }
}

}  // namespace coproxy::runtime
