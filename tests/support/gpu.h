// Whether a GPU test can run, in one place for every GPU test.
//
// Without a CUDA device a GPU test skips with the reason (GTEST_SKIP), never passing silently.
// On the machine that is meant to prove the CUDA path (tools/gpu_check.sh sets
// HEP2_REQUIRE_GPU=1) a skip would hide exactly what the run is for, so there the same condition
// is a failure instead.
//
// Use HEP2_REQUIRE_CUDA_DEVICE() first thing in a GPU test's body or in its fixture's SetUp().
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "hep2/backend/backend.h"

namespace hep2::test {

// HEP2_REQUIRE_GPU set to anything but "" or "0".
inline bool gpu_required() {
  const char* v = std::getenv("HEP2_REQUIRE_GPU");
  return v && *v && std::strcmp(v, "0") != 0;
}

// Empty when a CUDA device is usable; otherwise why not.
inline std::string gpu_missing_reason() {
  if (!cuda_built()) return "no CUDA device: hep2 was built without the CUDA backend";
  if (cuda_device_count() == 0) return "no CUDA device: CUDA backend built, no driver or GPU here";
  return {};
}

}  // namespace hep2::test

#define HEP2_REQUIRE_CUDA_DEVICE()                                                           \
  do {                                                                                       \
    const std::string hep2_reason_ = ::hep2::test::gpu_missing_reason();                     \
    if (!hep2_reason_.empty()) {                                                             \
      if (::hep2::test::gpu_required())                                                      \
        GTEST_FAIL() << hep2_reason_ << " (HEP2_REQUIRE_GPU is set: a GPU test may not skip)"; \
      GTEST_SKIP() << hep2_reason_;                                                          \
    }                                                                                        \
  } while (0)
