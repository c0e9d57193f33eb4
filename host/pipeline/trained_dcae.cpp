// read_features: the DCAE's latent, or texture statistics of one encoder stage.
#include "hep2/pipeline/trained_dcae.h"

#include "hep2/pipeline/texture_features.h"

namespace hep2 {

DeviceFeatures read_features(const TrainedDcae& ae, const DeviceImages& images,
                             const FeatureOptions& options, const ProgressFn& progress) {
  if (options.kind == FeatureKind::Stats)
    return extract_texture_features(*ae.net, encoder_stage_end(ae.config, options.stats_stage),
                                    images, options.batch, progress);
  return extract_features(*ae.net, ae.latent_end, images, options.batch, options.views, progress);
}

}  // namespace hep2
