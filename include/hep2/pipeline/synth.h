// The embedded default data: a seeded generator of HEp-2-like indirect immunofluorescence cell
// crops in the five SNPHEp-2 patterns, so that `hep2 run` works with no data on disk and tests
// have cells with known classes and specimens. Layers 4-5 only: SynthCell holds cv::Mat.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "hep2/pipeline/dataset.h"

namespace hep2 {

struct SynthOptions {
  int count = 1000;   // cells, balanced over the classes (cell i has class i % 5)
  int size = 64;      // crop side in pixels (16..1024)
  uint64_t seed = 1;
};

// centromere, coarse_speckled, fine_speckled, homogeneous, nucleolar (alphabetical; label = index here).
extern const std::vector<std::string> kSynthClasses;

struct SynthCell {
  cv::Mat image8;      // size x size, CV_8U raw intensities (a background offset, shot noise)
  cv::Mat mask8;       // size x size, CV_8U, 255 inside the cell's ellipse, 0 outside
  int label = -1;      // index into kSynthClasses
  std::string group;   // the synthetic specimen ("specimen_07"): one pattern and one set of
                       // imaging conditions per specimen, as with real patients' slides
};

// Cell `index` of the data set `seed`: depends on nothing else, so any subset can be made in
// parallel and in any order.
SynthCell synth_cell(uint64_t seed, int index, int size);

// options.count cells preprocessed with `preprocess` exactly as load_dataset would preprocess
// the files write_synth writes. class_names = kSynthClasses, groups = specimens, splits empty,
// paths = the relative paths write_synth uses.
Dataset synthesize(const SynthOptions& options, const PreprocessOptions& preprocess);

// Writes <dir>/<class>/<NNNNN>.png, <dir>/masks/<class>/<NNNNN>_mask.png and
// <dir>/manifest.csv (path,label,mask,group), creating the folders. Files are written
// atomically, the manifest last.
void write_synth(const std::string& dir, const SynthOptions& options);

}  // namespace hep2
