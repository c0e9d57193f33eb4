#!/usr/bin/python3
"""PyTorch beside `hep2 bench`: the same DCAE, MLP, batch and phases, timed the same way.

Run on this machine with Debian's torch (1.13, CPU only):
    /usr/bin/python3 tools/reference/torch_bench.py --device cpu --threads 2 --batch 64
On a CUDA machine with its own torch:
    python3 tools/reference/torch_bench.py --device cuda --batch 128

Phases (each the median of --repeats timed runs after --warmup untimed ones, as in hep2 bench;
wall time, and the process's CPU time over all threads: on a shared machine the first depends on
the share of the cores the process gets, the second is the work it did):
  train    one DCAE training step: forward, sigmoid + MSE loss, backward, Adam (lr 3e-4)
  extract  the encoder forward pass without gradients (the 4096-value feature vector)
  mlp      one MLP step on random features: features-250-50-6 (4096 features at 64x64), ReLU,
           softmax cross-entropy, Adam
On a machine shared with other work, run it with OMP_WAIT_POLICY=passive as well: libgomp's idle
threads spin for milliseconds by default, which there costs torch up to 5x (bench_vs_torch.sh
runs both policies and keeps the better).

Styles:
  plain     the network written the obvious way (nn.Conv2d, nn.ConvTranspose2d, NCHW tensors,
            torch.optim.Adam with its defaults). For the transposed-conv decoder this is the very
            module of hep2_reference.py that the golden tests compare hep2 against.
  expert    channels_last tensors, Adam(foreach=True), inference_mode for extraction, cuDNN
            autotuning on CUDA, and each 4x4 stride-2 transposed convolution computed as ONE 3x3
            convolution with 4x the output channels followed by pixel_shuffle(2). The 3x3 kernel
            is gathered from the transposed convolution's own 4x4 weight at every step, so the model
            and its parameters are exactly those of `plain` (checked at start-up, see --no-check).
            The up-sample decoder has no such rewrite: its expert form is channels_last only.
  compiled  (CUDA only, torch >= 2) torch.compile of the plain model.

Architecture: the default DCAE of shared/paper/NOTES.md (conv3x3 pad 1 1->32, 32->64, 64->64, each
+ ReLU + maxpool 2; decoder ConvTranspose2d 4x4 stride 2 pad 1 64->64 ReLU, 64->32 ReLU, 32->1, or
with --decoder upsample nearest x2 + conv3x3 pad 1 per stage), PyTorch's default initialisation.
--sgemm also measures a 2048^3 single-precision GEMM: through torch (torch's BLAS) and, when the
library can be loaded, through OpenBLAS directly (the library hep2 links), with the same threads.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for torch and its BLAS (0: leave torch's default)")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="threads of torch's BLAS (OpenBLAS) calls (0: the same as --threads)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=64, help="input height = width")
    p.add_argument("--decoder", default="deconv", choices=["deconv", "upsample"])
    p.add_argument("--repeats", type=int, default=10, help="timed runs per phase (median)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs per phase first")
    p.add_argument("--styles", default="", help="comma list of plain, expert, compiled "
                   "(default: plain,expert; plus compiled on CUDA when torch.compile exists)")
    p.add_argument("--phases", default="train,extract,mlp", help="comma list of train, extract, mlp")
    p.add_argument("--sgemm", action="store_true", help="also measure a 2048^3 sgemm")
    p.add_argument("--sgemm-only", action="store_true", help="measure the sgemm, nothing else")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="skip the start-up check that expert computes what plain computes")
    p.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (off: plain FP32)")
    p.add_argument("--json", default="", help="also write the results as JSON to this file")
    a = p.parse_args(argv)
    if a.batch < 1 or a.repeats < 1 or a.warmup < 0 or a.size < 8 or a.size % 8:
        p.error("--batch and --repeats must be >= 1, --warmup >= 0, --size a multiple of 8")
    return a


ARGS = parse_args(sys.argv[1:])
if ARGS.threads > 0:
    # Read by OpenMP and OpenBLAS when they load, i.e. before torch is imported.
    blas = str(ARGS.blas_threads or ARGS.threads)
    os.environ.update(OMP_NUM_THREADS=str(ARGS.threads), OPENBLAS_NUM_THREADS=blas,
                      MKL_NUM_THREADS=blas)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hep2_reference import Dcae  # noqa: E402

CHANNELS = (32, 64, 64)
MLP_CLASSES = 6


# ---- models ----------------------------------------------------------------------------------------
class UpsampleDcae(Dcae):
    """The same encoder; each decoder stage is nearest x2 up-sampling then conv3x3 pad 1."""

    def __init__(self):
        super().__init__()
        del self.deconv1, self.deconv2, self.deconv3
        self.up1 = torch.nn.Conv2d(64, 64, 3, padding=1)
        self.up2 = torch.nn.Conv2d(64, 32, 3, padding=1)
        self.up3 = torch.nn.Conv2d(32, 1, 3, padding=1)

    def layers(self):
        return [self.conv1, self.conv2, self.conv3, self.up1, self.up2, self.up3]

    def decode(self, h):
        up = torch.nn.functional.interpolate
        h = torch.relu(self.up1(up(h, scale_factor=2, mode="nearest")))
        h = torch.relu(self.up2(up(h, scale_factor=2, mode="nearest")))
        return self.up3(up(h, scale_factor=2, mode="nearest"))


class PhaseDeconv(torch.nn.Module):
    """ConvTranspose2d(c_in, c_out, 4, stride 2, pad 1) computed as one conv3x3 (pad 1) with
    4 c_out outputs and pixel_shuffle(2). Output pixel (2i+a, 2j+b) reads inputs (i+dy, j+dx),
    dy, dx in {-1, 0, 1}, through the transposed kernel's tap (a+1-2dy, b+1-2dx) when it lies in
    0..3: two of the three offsets per axis, so each phase's 3x3 kernel has 4 live taps. The 3x3
    weight is gathered from the 4x4 one (a zero row/column at index 4 fills the dead taps), so
    gradients flow back to the same parameters the plain module has."""

    # TAP[a][t] = the 4x4 tap that phase a uses at 3x3 offset t (t = dy + 1); 4 = the zero pad.
    TAP = ((3, 1, 4), (4, 2, 0))

    def __init__(self, deconv):
        super().__init__()
        self.weight = deconv.weight  # c_in x c_out x 4 x 4, shared with the plain module
        self.bias = deconv.bias
        tap = torch.tensor(self.TAP)
        self.register_buffer("iy", tap.view(2, 1, 3, 1), persistent=False)
        self.register_buffer("ix", tap.view(1, 2, 1, 3), persistent=False)

    def conv_weight(self):
        c_in, c_out = self.weight.shape[:2]
        padded = F.pad(self.weight, (0, 1, 0, 1))                 # c_in x c_out x 5 x 5
        w = padded[:, :, self.iy, self.ix]                          # c_in x c_out x 2 x 2 x 3 x 3
        w = w.permute(1, 2, 3, 0, 4, 5).reshape(4 * c_out, c_in, 3, 3)  # channel = 4 c + 2 a + b
        return w.contiguous(memory_format=torch.channels_last)

    def forward(self, x):
        y = F.conv2d(x, self.conv_weight(), self.bias.repeat_interleave(4), padding=1)
        return F.pixel_shuffle(y, 2)


class ExpertDcae(torch.nn.Module):
    """Wraps a plain DCAE (sharing its parameters): encoder unchanged, transposed convolutions
    computed by PhaseDeconv."""

    def __init__(self, plain):
        super().__init__()
        self.plain = plain
        self.phase = None
        if isinstance(plain, UpsampleDcae):
            return
        self.phase = torch.nn.ModuleList(PhaseDeconv(d) for d in
                                         (plain.deconv1, plain.deconv2, plain.deconv3))

    def encode(self, x):
        return self.plain.encode(x)

    def forward(self, x):
        h = self.plain.encode(x)
        if self.phase is None:
            return self.plain.decode(h)
        h = torch.relu(self.phase[0](h))
        h = torch.relu(self.phase[1](h))
        return self.phase[2](h)


def feature_size(size):
    return CHANNELS[-1] * (size // 8) ** 2


def make_mlp(features):
    return torch.nn.Sequential(
        torch.nn.Linear(features, 250), torch.nn.ReLU(),
        torch.nn.Linear(250, 50), torch.nn.ReLU(),
        torch.nn.Linear(50, MLP_CLASSES))


# ---- timing ----------------------------------------------------------------------------------------
def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn, device, warmup, repeats):
    """Median wall time and median process CPU time (all threads) of `repeats` runs, in seconds."""
    for _ in range(warmup):
        fn()
    sync(device)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        sync(device)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return statistics.median(wall), statistics.median(cpu)


def set_style_flags(style):
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = style == "expert"


def bench_style(style, args, device):
    """Times the requested phases of one style; returns {phase: {...}}."""
    set_style_flags(style)
    torch.manual_seed(1)
    plain = (Dcae() if args.decoder == "deconv" else UpsampleDcae()).to(device)
    fmt = torch.channels_last if style == "expert" else torch.contiguous_format
    x = torch.rand(args.batch, 1, args.size, args.size, device=device)
    x = x.contiguous(memory_format=fmt)
    if style == "expert":
        plain = plain.to(memory_format=torch.channels_last)
        model = ExpertDcae(plain)
    elif style == "compiled":
        model = torch.compile(plain)
    else:
        model = plain
    foreach = {"foreach": True} if style == "expert" else {}
    phases = set(args.phases.split(","))
    # Compilation happens in the first calls: give the compiled style a longer warm-up.
    warmup = args.warmup + (3 if style == "compiled" else 0)
    out = {}

    if "train" in phases:
        opt = torch.optim.Adam(plain.parameters(), lr=3e-4, **foreach)

        def train_step():
            opt.zero_grad(set_to_none=True)
            z = model(x)
            loss = F.mse_loss(torch.sigmoid(z), x)
            loss.backward()
            opt.step()

        t, c = median_seconds(train_step, device, warmup, args.repeats)
        out["train"] = {"step_ms": 1e3 * t, "images_per_s": args.batch / t, "cpu_ms": 1e3 * c}

    if "extract" in phases:
        grad_off = torch.inference_mode if style == "expert" else torch.no_grad
        encode = plain.encode if style != "compiled" else torch.compile(plain.encode)

        def extract():
            with grad_off():
                encode(x)

        t, c = median_seconds(extract, device, warmup, args.repeats)
        out["extract"] = {"batch_ms": 1e3 * t, "images_per_s": args.batch / t, "cpu_ms": 1e3 * c}

    if "mlp" in phases:
        torch.manual_seed(3)
        mlp = make_mlp(feature_size(args.size)).to(device)
        run_mlp = torch.compile(mlp) if style == "compiled" else mlp
        feats = torch.rand(args.batch, feature_size(args.size), device=device)
        labels = (torch.arange(args.batch, device=device) % MLP_CLASSES)
        mopt = torch.optim.Adam(mlp.parameters(), lr=3e-4, **foreach)

        def mlp_step():
            mopt.zero_grad(set_to_none=True)
            F.cross_entropy(run_mlp(feats), labels).backward()
            mopt.step()

        t, c = median_seconds(mlp_step, device, warmup, args.repeats)
        out["mlp"] = {"step_ms": 1e3 * t, "cpu_ms": 1e3 * c}
    return out


def check_expert(decoder, device):
    """Max |expert - plain| / max |plain| of the output and of every parameter's gradient, for a
    small batch: the rewrite must compute the same function (float32 rounding only)."""
    torch.manual_seed(5)
    plain = (Dcae() if decoder == "deconv" else UpsampleDcae()).to(device)
    x = torch.rand(2, 1, 32, 32, device=device)
    results = []
    for style in ("plain", "expert"):
        if style == "expert":
            model = ExpertDcae(plain.to(memory_format=torch.channels_last))
            xin = x.contiguous(memory_format=torch.channels_last)
        else:
            model, xin = plain, x
        plain.zero_grad(set_to_none=True)
        z = model(xin)
        F.mse_loss(torch.sigmoid(z), xin).backward()
        results.append([z.detach().clone()] + [p.grad.clone() for p in plain.parameters()])
    worst = 0.0
    for a, b in zip(*results):
        scale = a.abs().max().item() or 1.0
        worst = max(worst, (a - b).abs().max().item() / scale)
    return worst


# ---- BLAS and sgemm ------------------------------------------------------------------------------
def loaded_blas():
    """The BLAS libraries mapped into this process (after torch ran a matrix product), with a
    verdict: Debian's torch takes libblas.so.3 from the alternatives system, which may be the slow
    reference BLAS."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if line.strip() else ""
                name = os.path.basename(path)
                if "blas" in name or "mkl_core" in name or "dnnl" in name:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    libs = sorted(libs)
    joined = " ".join(libs)
    if "openblas" in joined:
        verdict = "OpenBLAS"
    elif "mkl" in joined:
        verdict = "MKL"
    elif "/blas/" in joined or "libblas" in joined:
        verdict = "REFERENCE BLAS (slow): install libopenblas0-pthread"
    else:
        verdict = "unknown (no BLAS library mapped; torch may carry its own)"
    info = [ln.strip() for ln in torch.__config__.show().splitlines() if "BLAS_INFO" in ln]
    return {"libraries": libs, "verdict": verdict, "torch_config": info[0] if info else ""}


def sgemm_gflops_torch(threads, n=2048, repeats=5):
    a, b = torch.rand(n, n), torch.rand(n, n)
    t, _ = median_seconds(lambda: a @ b, torch.device("cpu"), 1, repeats)
    return 2.0 * n ** 3 / t * 1e-9


def sgemm_gflops_openblas(threads, n=2048, repeats=5):
    """The same GEMM through libopenblas.so.0 called directly (what hep2 links), or None."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None
    if threads > 0:
        lib.openblas_set_num_threads(ctypes.c_int(threads))
    a, b, c = torch.rand(n, n), torch.rand(n, n), torch.empty(n, n)
    fp = ctypes.POINTER(ctypes.c_float)
    pa, pb, pc = (ctypes.cast(t.data_ptr(), fp) for t in (a, b, c))
    one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
    row_major, no_trans = 101, 111

    def gemm():
        lib.cblas_sgemm(row_major, no_trans, no_trans, n, n, n, one, pa, n, pb, n, zero, pc, n)

    t, _ = median_seconds(gemm, torch.device("cpu"), 1, repeats)
    err = (c - a @ b).abs().max().item()  # the call really computed the product
    if not err < 1e-2 * n:
        raise RuntimeError(f"cblas_sgemm through ctypes gave a wrong product (max error {err})")
    return 2.0 * n ** 3 / t * 1e-9


# ---- main ------------------------------------------------------------------------------------------
def setup_device(args):
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_bench: --device cuda but this torch has no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    return device


def requested_styles(args, device):
    if args.sgemm_only:
        return []
    styles = [s for s in args.styles.split(",") if s] or ["plain", "expert"]
    if not args.styles and device.type == "cuda" and hasattr(torch, "compile"):
        styles.append("compiled")
    for s in styles:
        if s not in ("plain", "expert", "compiled"):
            sys.exit(f"torch_bench: unknown style '{s}': use plain, expert or compiled")
    return styles


def print_report(res, args):
    where = f" ({res['gpu']})" if "gpu" in res else f", {res['threads']} threads"
    workload = "" if args.sgemm_only else (
        f", batch {args.batch}, {args.size}x{args.size}, decoder {args.decoder} "
        f"(median of {args.repeats} after {args.warmup} warm-up)")
    print(f"torch {res['torch_version']} bench on {res['device']}{where}{workload}")
    if "blas" in res:
        print(f"  BLAS: {res['blas']['verdict']}  {' '.join(res['blas']['libraries'])}")
    if "sgemm_2048_gflops" in res:
        g = res["sgemm_2048_gflops"]
        ob = f"{g['openblas']:.1f}" if g["openblas"] is not None else "n/a"
        print(f"  sgemm 2048^3: torch {g['torch']:.1f} GFLOP/s, OpenBLAS direct {ob} GFLOP/s")
    if "expert_vs_plain_max_rel_diff" in res:
        print(f"  expert vs plain (output and gradients): max relative difference "
              f"{res['expert_vs_plain_max_rel_diff']:.1e}")
    if not res["styles"]:
        return
    nan = float("nan")
    print(f"  {'style':<9} {'train img/s':>12} {'train ms':>9} {'extract img/s':>14} "
          f"{'mlp ms':>8} {'train cpu ms':>13}")
    for style, r in res["styles"].items():
        if "skipped" in r:
            print(f"  {style:<9} skipped: {r['skipped']}")
            continue
        tr, ex, ml = r.get("train", {}), r.get("extract", {}), r.get("mlp", {})
        print(f"  {style:<9} {tr.get('images_per_s', nan):12.1f} {tr.get('step_ms', nan):9.2f} "
              f"{ex.get('images_per_s', nan):14.1f} {ml.get('step_ms', nan):8.2f} "
              f"{tr.get('cpu_ms', nan):13.1f}")


def main(args):
    device = setup_device(args)
    styles = requested_styles(args, device)
    res = {"torch_version": torch.__version__, "device": str(device),
           "threads": torch.get_num_threads() if device.type == "cpu" else 0,
           "batch": args.batch, "size": args.size, "decoder": args.decoder,
           "repeats": args.repeats, "warmup": args.warmup, "styles": {}}
    if device.type == "cpu":
        res["blas"] = loaded_blas()
    else:
        res["gpu"] = torch.cuda.get_device_name(device)
        res["tf32"] = args.tf32
    # Exactness is checked in FP32: under TF32 both styles round their products differently.
    if args.check and "expert" in styles and not (args.tf32 and device.type == "cuda"):
        diff = check_expert(args.decoder, device)
        res["expert_vs_plain_max_rel_diff"] = diff
        if not diff < 1e-4:
            sys.exit("torch_bench: the expert model does not compute the plain one "
                     f"(max relative difference {diff:.2e})")
    if (args.sgemm or args.sgemm_only) and device.type == "cpu":
        res["sgemm_2048_gflops"] = {"torch": sgemm_gflops_torch(args.threads),
                                    "openblas": sgemm_gflops_openblas(args.threads)}

    for style in styles:
        if style == "compiled" and not (device.type == "cuda" and hasattr(torch, "compile")):
            res["styles"][style] = {"skipped": "needs CUDA and torch >= 2 (torch.compile)"}
            continue
        try:
            res["styles"][style] = bench_style(style, args, device)
        except Exception as e:  # a compile failure must not hide the other styles' numbers
            if style != "compiled":
                raise
            res["styles"][style] = {"skipped": f"torch.compile failed: {type(e).__name__}: {e}"}

    print_report(res, args)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main(ARGS)
