// Checks that a run's class probabilities are the mean of two others' (ensembles of DCAEs, of
// reading sizes): each run folder classifies the same cells, and every probability of the first
// is the second's and third's added in that order and halved, bit for bit.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace hep2::test {

// Runs `hep2 classify` on `images` in each folder (predictions in <folder>/p.csv) and compares.
inline void expect_mean_predictions(const std::string& mean, const std::string& a,
                                    const std::string& b, const std::string& images, size_t cells,
                                    size_t classes) {
  for (const std::string& d : {mean, a, b}) {
    Result c = run_hep2("classify --device cpu --out " + d + " --images " + images +
                        " --predictions " + d + "/p.csv");
    ASSERT_EQ(c.code, 0) << c.output;
  }
  auto pm = read_probabilities(mean + "/p.csv"), pa = read_probabilities(a + "/p.csv"),
       pb = read_probabilities(b + "/p.csv");
  ASSERT_EQ(pm.size(), cells);
  ASSERT_EQ(pa.size(), cells);
  ASSERT_EQ(pb.size(), cells);
  int differ = 0;
  for (size_t i = 0; i < cells; ++i) {
    ASSERT_EQ(pm[i].size(), classes);
    for (size_t c = 0; c < classes; ++c) {
      EXPECT_EQ(pm[i][c], (0.f + pa[i][c] + pb[i][c]) / 2.f) << "cell " << i << " class " << c;
      differ += pa[i][c] != pb[i][c];
    }
  }
  EXPECT_GT(differ, 0) << a << " and " << b << " predict alike: the mean would prove nothing";
}

}  // namespace hep2::test
