// HEP2_REQUIRE_GPU=1 for every GPU test of the binary, including those that skip on their own
// (GTEST_SKIP without support/gpu.h): a test of a Gpu* suite that ends skipped gets a failure
// added, so on the machine meant to prove the CUDA path no GPU test can pass by skipping. Loaded
// with the test binary (a listener registered at start-up); without HEP2_REQUIRE_GPU it does
// nothing.
#include <gtest/gtest.h>

#include <string>

#include "support/gpu.h"

namespace hep2::test {
namespace {

class RequireGpuListener : public ::testing::EmptyTestEventListener {
  // Called before the test stops being the current one, and (end events run in reverse order)
  // before the result printers that were registered earlier: the failure lands in the test's
  // own result and is printed and counted with it.
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!gpu_required() || !info.result()->Skipped()) return;
    if (std::string(info.test_suite_name()).rfind("Gpu", 0) != 0) return;
    ADD_FAILURE() << "GPU test " << info.test_suite_name() << "." << info.name()
                  << " skipped while HEP2_REQUIRE_GPU is set: a GPU test may not skip here";
  }
};

const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new RequireGpuListener);
  return true;
}();

}  // namespace
}  // namespace hep2::test
