// save_trainer / restore_trainer.
#include "hep2/pipeline/trainer_checkpoint.h"

#include "hep2/core/error.h"

namespace hep2 {

void save_trainer(const std::string& file, Trainer& t, nlohmann::json header) {
  header["optimizer_steps"] = t.optimizer().steps();
  header["param_count"] = t.block().count();
  save_checkpoint(file, Checkpoint{std::move(header), t.block().get_all(t.backend())});
}

void restore_trainer(const std::string& file, Trainer& t, const Checkpoint& c) {
  if (c.values.size() != 4 * t.block().count())
    fail(file, ": holds ", c.values.size() / 4, " parameters but the model needs ",
         t.block().count(), "; it was written for another architecture");
  t.block().set_all(t.backend(), c.values);
  t.optimizer().set_steps(c.header.value("optimizer_steps", 0L));
}

}  // namespace hep2
