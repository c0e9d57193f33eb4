// The resident cells' copies under a photometric change read only the cells asked for (a lab's
// 50,000 cells are not decoded again to copy its 700 labelled ones), and they are exactly those
// cells of a full reading under the same change.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <opencv2/core.hpp>
#include <vector>

#include "data_fixtures.h"
#include "hep2/backend/backend.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/resident_cells.h"

namespace hep2 {
namespace {

using test::TempDir;

// Two class folders of six 12x12 cells, each cell a different gradient.
CellList six_cells_per_class(const TempDir& dir) {
  for (const char* cls : {"A", "B"})
    for (int i = 0; i < 6; ++i) {
      cv::Mat m = test::gradient8(12, 12);
      m += cv::Scalar(double(i * 9 + (cls[0] - 'A') * 40));
      test::write_image(dir.file(std::string(cls) + "/c" + std::to_string(i) + ".png"), m);
    }
  return read_class_folders(dir.str());
}

std::vector<float> host_images(Backend& be, const DeviceImages& d) {
  std::vector<float> v(d.images.size());
  be.download(v.data(), d.images.data(), d.images.bytes());
  return v;
}

TEST(ResidentCells, CopiesReadOnlyTheCellsAskedForAndAreThoseOfAFullReading) {
  TempDir dir;
  const CellList list = six_cells_per_class(dir);
  ASSERT_EQ(list.cells.size(), 12u);
  std::vector<size_t> read;  // cells decoded by each call of the source
  const CellSource files = cells_of(list);
  CellSource counted = [&](const PreprocessOptions& pp, const std::vector<int>* rows) {
    Dataset d = files(pp, rows);
    read.push_back(d.size());
    return d;
  };
  auto be = make_cpu_backend(1);
  PreprocessOptions pp;
  pp.height = pp.width = 8;
  ResidentCells cells(*be, counted, pp);
  ASSERT_EQ(read, std::vector<size_t>{12});

  Photometric change;
  change.gamma = 2.0f;
  change.blur = 0.7f;
  const std::vector<int> rows{9, 2, 2, 6};
  const DeviceImages copies = cells.copies(16, change, rows);
  EXPECT_EQ(read, (std::vector<size_t>{12, 4}));
  ASSERT_EQ(copies.size(), rows.size());
  std::vector<int32_t> labels(rows.size());
  be->download(labels.data(), copies.labels.data(), copies.labels.bytes());
  EXPECT_EQ(labels, (std::vector<int32_t>{1, 0, 0, 1}));

  PreprocessOptions changed = pp;
  changed.height = changed.width = 16;
  changed.photometric = change;
  const Dataset all = files(changed, nullptr);
  const std::vector<float> got = host_images(*be, copies);
  const size_t per = all.shape.per_sample();
  ASSERT_EQ(got.size(), rows.size() * per);
  for (size_t k = 0; k < rows.size(); ++k)
    EXPECT_TRUE(std::equal(got.begin() + long(k * per), got.begin() + long((k + 1) * per),
                           all.image(size_t(rows[k]))))
        << "copy " << k << " of cell " << rows[k];
  // The copies differ from the cells as they are (the change was applied).
  PreprocessOptions unchanged = changed;
  unchanged.photometric = Photometric{};
  const Dataset plain = files(unchanged, nullptr);
  EXPECT_FALSE(std::equal(got.begin(), got.begin() + long(per), plain.image(9)));

  EXPECT_THROW(cells.copies(8, change, {12}), Error);
  const std::string e = test::error_of([&] { select_cells(list, {3, -1}); });
  EXPECT_NE(e.find("-1"), std::string::npos) << e;
  EXPECT_NE(e.find(list.source), std::string::npos) << e;
}

}  // namespace
}  // namespace hep2
