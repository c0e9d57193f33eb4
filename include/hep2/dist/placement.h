// Where a rank runs: its GPU and its share of the node's CPU cores. Ranks on one node share its
// devices round-robin (rank local_rank takes GPU local_rank % devices) and split its cores.
#pragma once

#include "hep2/dist/communicator.h"

namespace hep2::dist {

// The GPU this rank uses out of `devices` on its node.
int rank_device(const Communicator& c, int devices);

// CPU threads for a rank that asked for `requested` (0: all cores). A positive request is kept;
// 0 becomes the cores the launcher bound this process to (when it bound it to fewer than the
// node has), else the node's cores divided among the ranks on it (at least 1).
int rank_threads(const Communicator& c, int requested);

}  // namespace hep2::dist
