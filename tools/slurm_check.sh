#!/usr/bin/env bash
# Stands up a real single-node Slurm on this machine (Debian slurm-wlm and munge: munged,
# slurmctld and slurmd on localhost, private ports and folders), submits the two job scripts of
# tools/slurm/ with tiny synthetic settings -- the array job (one unit per task, then the merge)
# and the MPI job (srun, 2 ranks) -- waits for them, checks that both wrote a protocol.json with
# the same figures, and tears everything down. Needs root (it installs packages and starts the
# daemons) and a hep2 built with MPI.
#
# Environment: BUILD_DIR (default build), KEEP=1 keeps the work folder for a look afterwards.
# Prints "slurm_check: passed in N s" or fails with the jobs' logs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$(date +%s)
hep2="$repo/${BUILD_DIR:-build}/hep2"
[[ -x $hep2 ]] || { echo "slurm_check: $hep2 not built (tools/build.sh)" >&2; exit 1; }
"$hep2" info --json | grep -q '"mpi_built": true' ||
  { echo "slurm_check: $hep2 was built without MPI" >&2; exit 1; }

# ---- packages ---------------------------------------------------------------------------------
need=()
for p in slurmd slurmctld slurm-client munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "slurm_check: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's maintainer scripts try to start the daemons; this check starts its own.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/hep2-slurm-check.XXXXXX)
chmod 755 "$work"  # munged runs as the munge user
pids=()
teardown() {
  local code=$?
  # munged runs under runuser: end it by its own pid file.
  [[ -f $work/munge/munged.pid ]] && kill "$(cat "$work/munge/munged.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "slurm_check: kept $work"; else rm -rf "$work"; fi
  exit "$code"
}
trap teardown EXIT

# ---- munge: its own key, socket and folders ---------------------------------------------------
# The socket's folder must be searchable by everyone (munged checks); the key readable by munge only.
mkdir -p "$work/munge" && chown munge:munge "$work/munge" && chmod 755 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1 count=1024 status=none
chown munge:munge "$work/munge/munge.key" && chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --foreground --key-file="$work/munge/munge.key" \
  --socket="$socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" > "$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [[ -S $socket ]] && break; sleep 0.2; done
[[ -S $socket ]] || { echo "slurm_check: munged did not start:" >&2; cat "$work/munge/munged.out" >&2; exit 1; }

# ---- Slurm: one node, this machine ------------------------------------------------------------
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$work/state" "$work/spool" "$work/log"
cat > "$work/slurm.conf" <<EOF
ClusterName=hep2check
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
NodeName=hep2node NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=check Nodes=hep2node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF="$work/slurm.conf"
/usr/sbin/slurmctld -D -i -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -N hep2node -f "$SLURM_CONF" > "$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
if ! sinfo -h -o %T 2>/dev/null | grep -q idle; then
  echo "slurm_check: the node did not come up" >&2
  tail -n 20 "$work"/log/* >&2 || true
  exit 1
fi
echo "slurm_check: slurmctld and slurmd up ($(sinfo -h -o '%N %T %c CPUs'))"

# ---- the two job scripts, tiny settings ------------------------------------------------------
export HEP2="$hep2"
export HEP2_ARGS="--device cpu --synth-count 100 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 --clf-epochs 3"
export FOLDS=2 SEEDS=1,2
cd "$work"
# One CPU per task: the node has 2.
tools_out=$(OUT="$work/array" SBATCH_ARGS="--cpus-per-task=1" "$repo/tools/slurm/submit_cv_array.sh")
echo "slurm_check: $tools_out"
# Two ranks of one thread each on this node.
mpi=$(OUT="$work/mpi" sbatch --parsable --export=ALL --ntasks=2 --cpus-per-task=1 \
  "$repo/tools/slurm/cv_mpi.sbatch")
echo "slurm_check: MPI job $mpi"

for _ in $(seq 1 180); do
  [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
  # A job held for its partition's limits would wait for ever.
  squeue -h -o %r 2>/dev/null | grep -q PartitionConfig && break
  sleep 1
done
if [[ -n $(squeue -h -o %i) ]]; then
  echo "slurm_check: jobs still queued after 3 minutes:" >&2
  squeue >&2
  scontrol show job >&2
  exit 1
fi

fail=0
for f in "$work/array/protocol.json" "$work/mpi/protocol.json"; do
  [[ -f $f ]] || { echo "slurm_check: $f was not written" >&2; fail=1; }
done
if ((fail)); then
  for log in "$work"/*.log; do echo "== $log" >&2; tail -n 30 "$log" >&2; done
  exit 1
fi
# The same units, the same figures: the array's merge and the MPI job agree number for number
# (not on the wall time, the folders, or the thread count the merge step ran with).
python3 - "$work/array/protocol.json" "$work/mpi/protocol.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for j in (a, b):
    j.pop("seconds")
    j["settings"].pop("threads")
    for r in j["runs"]:
        r.pop("folder")
if a != b:
    sys.exit("slurm_check: the array job's and the MPI job's protocol.json differ")
print(f"slurm_check: both jobs wrote {len(a['runs'])} units, cell MCA "
      f"{100 * a['mca']['mean']:.2f} +- {100 * a['mca']['std']:.2f} %, identical figures")
EOF
# The MPI job was one job of 2 ranks (not 2 processes each running every unit alone).
mpi_log=$(ls "$work"/hep2-cv-mpi-*.log)
grep -q "dealt to the ranks of the job (MPI, 2 rank(s) on 1 node(s))" "$mpi_log" ||
  { echo "slurm_check: the MPI job did not run as 2 ranks:" >&2; cat "$mpi_log" >&2; exit 1; }
[[ $(grep -c "^hep2 protocol:" "$mpi_log") == 1 ]] ||
  { echo "slurm_check: the MPI job did not print one summary" >&2; cat "$mpi_log" >&2; exit 1; }
echo "slurm_check: passed in $(( $(date +%s) - start )) s"
