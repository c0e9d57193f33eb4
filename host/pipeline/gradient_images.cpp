// gradient_magnitude_images: Sobel magnitude per image with OpenCV, percentile-scaled.
#include "hep2/pipeline/gradient_images.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace hep2 {

std::vector<float> gradient_magnitude_images(const Shape4& shape, const std::vector<float>& images) {
  std::vector<float> out(images.size());
  const int h = shape.h, w = shape.w;
  const size_t per = size_t(h) * w;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < long(shape.n) * shape.c; ++i) {
    cv::Mat src(h, w, CV_32F, const_cast<float*>(images.data() + size_t(i) * per));
    cv::Mat gx, gy, mag;
    cv::Sobel(src, gx, CV_32F, 1, 0, 3);
    cv::Sobel(src, gy, CV_32F, 0, 1, 3);
    cv::magnitude(gx, gy, mag);
    std::vector<float> sorted(mag.begin<float>(), mag.end<float>());
    size_t k = size_t(0.99 * double(per - 1));
    std::nth_element(sorted.begin(), sorted.begin() + long(k), sorted.end());
    float scale = sorted[k] > 1e-6f ? 1.f / sorted[k] : 0.f;
    float* dst = out.data() + size_t(i) * per;
    const float* m = mag.ptr<float>();
    for (size_t j = 0; j < per; ++j) dst[j] = std::min(1.f, m[j] * scale);
  }
  return out;
}

}  // namespace hep2
