//===- Interrupt.cpp - SIGINT/SIGTERM: finish the step, save, exit ------------------------===//

#include "Interrupt.h"

#include <csignal>

namespace slimtune::cli {
namespace {

volatile std::sig_atomic_t received = 0;
struct sigaction previousInt, previousTerm;

void onSignal(int signal) {
  if (received) {
    // The second time: stop now, the way the signal normally would.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  received = signal;
}

} // namespace

InterruptGuard::InterruptGuard() {
  received = 0;
  struct sigaction action = {};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previousInt);
  sigaction(SIGTERM, &action, &previousTerm);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previousInt, nullptr);
  sigaction(SIGTERM, &previousTerm, nullptr);
}

int InterruptGuard::requested() { return received; }

} // namespace slimtune::cli
