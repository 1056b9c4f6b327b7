// What happens when coproxy crashes: SIGSEGV, SIGBUS, SIGFPE and SIGABRT write the signal and a
// backtrace to the log (with async-signal-safe calls only, on an alternate stack so a stack
// overflow is reported too), then the signal is raised again with its default action, so the
// process dies by it and dumps core where the system allows.
#pragma once

namespace coproxy::runtime {

// Once, at start-up, on the main thread (the alternate stack is per thread: workers get theirs
// from install_crash_stack()).
void install_crash_handlers();
// Gives the calling thread its own alternate signal stack.
void install_crash_stack();

// "SIGTERM", "SIGHUP", ... ("signal N" for others). Async-signal-safe.
const char* signal_name(int signal);

}  // namespace coproxy::runtime
