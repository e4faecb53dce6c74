// The kernel tests' view of the backends (kernels/backends.h): a test of the fast kernels
// takes a backend as its parameter, or one of a tuple, and runs each kernel through that
// backend's table, so that every check runs once per backend this build has.
#ifndef SLIMTUNE_TEST_UNIT_KERNELS_BACKEND_TEST_H
#define SLIMTUNE_TEST_UNIT_KERNELS_BACKEND_TEST_H

#include "kernels/backends.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace slimtune::kernels {
// Backends print as their names in test names and messages.
inline void PrintTo(const Backend &backend, std::ostream *os) { *os << backend.name; }
} // namespace slimtune::kernels

namespace slimtune::testing {

using kernels::Backend;

// Runs kernel Id of `backend`; a status other than SLIMTUNE_KERNEL_OK fails the test.
template <slimtune_kernel_id Id, typename... Args>
void runKernel(const kernels::Backend &backend, Args... args) {
  EXPECT_EQ(kernels::call<Id>(backend, args...), SLIMTUNE_KERNEL_OK)
      << kernels::AbiKernel<Id>::name << " on " << backend.name;
}

// A test suite over the backends: TEST_P(Suite, ...) with backend() and run<Id>(args...).
class BackendTest : public ::testing::TestWithParam<kernels::Backend> {
protected:
  const kernels::Backend &backend() const { return GetParam(); }
  template <slimtune_kernel_id Id, typename... Args> void run(Args... args) const {
    runKernel<Id>(GetParam(), args...);
  }
};

inline std::string backendName(const ::testing::TestParamInfo<kernels::Backend> &info) {
  return info.param.name;
}

} // namespace slimtune::testing

// Instantiates a BackendTest suite once per backend.
#define SLIMTUNE_INSTANTIATE_BACKENDS(Suite)                                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(slimtune::kernels::backends()),    \
                           slimtune::testing::backendName)

#endif // SLIMTUNE_TEST_UNIT_KERNELS_BACKEND_TEST_H
