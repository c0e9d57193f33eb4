#!/usr/bin/python3
"""Writes hep2's golden fixtures (tests/fixtures/golden/*.npy) from PyTorch.

Run:  /usr/bin/python3 tools/reference/make_fixtures.py      (Debian's torch, apt install
python3-torch; deterministic: running it again gives byte-identical files). It writes each file's
sha256 to tests/fixtures/golden/SHA256SUMS, which a test checks the fixtures against: commit the
two together.

Inputs are never stored when the C++ test can regenerate them: every input is
hash_fill(seed, count, lo, hi) = lo + (hi - lo) * hash_uniform(seed, i) (include/hep2/core/rng.h,
mirrored in hep2_reference.py and tests/support/golden.h), with power-of-two ranges so the values
are exact. Small inputs are stored as well (<case>_x.npy, ...) so a mismatch can be traced to the
input or to the op. Expected values are computed in float64 from those float32 inputs and stored
cast to float32: our float32 results are compared with a truth more accurate than themselves. The
script also runs every case in float32 and prints how far PyTorch's own float32 result lies from
that truth ("f32 err": relative to the tensor's max magnitude, the tests' measure; "per elem": the
worst element relative to itself), so the tests' tolerance can be judged against what a correct
float32 implementation achieves.

Per-op fixtures (tests/nn/test_golden_ops.cpp; shapes n x c x h x w, weights in PyTorch layouts):
  conv_a     conv2d 2x3x7x6 -> 5 channels, k3x3 pad 1 stride 1, seeds 10 (x) 11 (w) 12 (b) 13 (dy)
  conv_b     conv2d 2x2x9x10 -> 3 channels, k5x3 pad 2 stride 2, seeds 20..23
             each: _y (with bias), _y_relu, _dx, _dw, _db (backward for upstream dy)
  deconv_a   conv_transpose2d 2x3x5x6 -> 4 channels, k4x4 stride 2 pad 1, seeds 30..33
  deconv_b   conv_transpose2d 2x4x5x4 -> 3 channels, k3x3 stride 1 pad 0, seeds 40..43
             same outputs as conv
  maxpool    2x3x7x9, 2x2 stride 2 (the odd last row/column dropped), seeds 50 (x) 51 (dy):
             _y, _argmax (int32, flat index in the h*w input plane), _dx
  upsample   nearest x2 of 2x3x3x5, seeds 60 (x) 61 (dy): _y, _dx
  dense      batch 2, 7 -> 5, seeds 70 (x) 71 (w) 72 (b) 73 (dy): _y, _y_relu, _dx, _dw, _db
  eltwise    61 values in [-4, 4) seed 95, dy seed 96: relu_y, relu_dx (through relu's output),
             sigmoid_y, sigmoid_dx (through sigmoid's output)
  sigmoid_mse  z (2x60, [-4,4), seed 80), target ([0,1), seed 81): _recon, _dz, _loss (1,),
             _per_sample (2,) = mean over each row of (sigmoid(z) - x)^2
  softmax_xent z 4x5 ([-4,4), seed 90), labels hash_u32(91, i) % 5 (_labels, int32): _probs, _dz,
             _loss (1,) = mean cross-entropy
  adam / adamw  53 weights hash_fill(100, 53, -1, 1); step t = 1, 2, 3 gets the gradient
             hash_fill(100 + t, 53, -s_t, s_t), s = (1, 2, 0.5); lr 1e-2, betas (0.9, 0.999),
             eps 1e-8; adam: weight decay 0 (torch.optim.Adam); adamw: decoupled decay 0.1
             (torch.optim.AdamW). _w3, _m3, _v3: weights and moments after 3 steps.
  sgd / sgd_wd  53 weights hash_fill(120, ...), gradients hash_fill(120 + t, ...) with the same
             s_t; lr 0.1, momentum 0.9, dampening 0; sgd: weight decay 1e-4; sgd_wd: 0.1 (large
             enough that a missing or wrongly signed decay exceeds the tolerance). _w3, _buf3.
  npy_*      small files written by numpy itself for tests/core/test_npy.cpp (see make_npy_files).

Model-level fixture for the DCAE test (dcae_*.npy), the default DCAE of shared/paper/NOTES.md:
  conv3x3 1->32 pad 1, ReLU, maxpool2; 32->64 likewise; 64->64 likewise (latent 64x8x8);
  ConvTranspose2d 4x4 stride 2 pad 1 64->64 ReLU, 64->32 ReLU, 32->1; loss = MSE(sigmoid(z), x)
  (torch's mean over all 4*64*64 values).
  Input: batch 4 x 1 x 64 x 64, x = hash_fill(7, 4*64*64, 0, 1).
  Initial parameters: the flat parameter vector is, in layer order, each layer's weight then its
  bias in PyTorch layout (conv1.w, conv1.b, conv2.w, ..., deconv3.b: T = 12 tensors). Tensor t
  element i = (2 * hash_uniform(1000 + t, i) - 1) / sqrt(fan_in), computed in float32, where
  fan_in = c_in*kh*kw for a conv's weight and bias and c_out*kh*kw for a transposed conv's
  (PyTorch's fan-in of a ConvTranspose2d weight, its dim 1).
  Training: 5 steps of torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8), full batch.
  Files (expected values from the float64 run, stored as float32):
    dcae_losses.npy      (5,)        the loss of steps 1..5, each before that step's update
    dcae_latent0.npy     (64, 8, 8)  the latent of image 0 with the initial parameters
    dcae_recon0.npy      (1, 64, 64) sigmoid(z) of image 0 with the initial parameters
    dcae_grad_stats.npy  (T, 2)      per parameter tensor: sum and sum of squares of its gradient
                                     at step 1 (initial parameters)
    dcae_param_stats.npy (T, 2)      per parameter tensor: sum and sum of squares after 5 steps
    dcae_grad_sample.npy (S,)        a sample of each gradient tensor at step 1, tensor after
                                     tensor: of a tensor of n elements, m = min(n, 64) elements,
                                     element k of the sample at flat index (k * 1000003) % n
                                     (a prime step: distinct elements, all of them when n <= 64,
                                     spread over every dimension; an even stride of n / 64 would
                                     walk the diagonal of the square 64x64x4x4 deconvolution), so
                                     a permuted or transposed gradient is caught where the sums
                                     are not
    dcae_param_sample.npy (S,)       the same elements of the parameters after 5 steps
  The script prints the float32-vs-float64 deviation of each; compare against those when choosing
  the DCAE test's tolerance. Measured with torch 1.13 float32 on one CPU thread: about 1e-7 of each
  tensor's max magnitude; per entry about 1e-6 for the (T, 2) stats (the gradient sums of the
  first-layer biases are small through cancellation) and up to 3e-4 for latent entries near 0.
"""
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hep2_reference import (dcae_input, hash_fill, hash_u32, make_dcae)  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "golden"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

written = {}
deviations = []


def save(name, array, as_is=False):
    """as_is keeps the array's layout and rank (the .npy reader tests need a Fortran-order file and
    a 0-d one, which np.ascontiguousarray would turn into C order and shape (1,))."""
    if not as_is:
        array = np.ascontiguousarray(array)
    path = OUT / f"{name}.npy"
    np.save(path, array)
    written[name] = path


def max_rel(a32, truth):
    """max |a - truth| / max |truth|: the measure the C++ tests apply."""
    a32 = np.asarray(a32, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    scale = np.max(np.abs(truth))
    return float(np.max(np.abs(a32 - truth)) / scale) if scale > 0 else float(np.max(np.abs(a32)))


def max_elementwise_rel(a32, truth):
    """max over elements of |a - truth| / |truth| (elements of truth that are exactly 0 skipped)."""
    a32 = np.asarray(a32, dtype=np.float64).ravel()
    truth = np.asarray(truth, dtype=np.float64).ravel()
    nz = truth != 0
    return float(np.max(np.abs(a32[nz] - truth[nz]) / np.abs(truth[nz]))) if nz.any() else 0.0


def store_both(prefix, run):
    """run(dtype) -> dict name -> tensor. Stores the float64 results cast to float32 and records
    how far the float32 run lies from them."""
    r64 = run(torch.float64)
    r32 = run(torch.float32)
    for key, v64 in r64.items():
        v64 = v64.detach().numpy() if torch.is_tensor(v64) else np.asarray(v64)
        v32 = r32[key]
        v32 = v32.detach().numpy() if torch.is_tensor(v32) else np.asarray(v32)
        name = f"{prefix}_{key}"
        if v64.dtype.kind == "f":
            deviations.append((name, max_rel(v32, v64), max_elementwise_rel(v32, v64)))
            save(name, v64.astype(np.float32))
        else:
            assert np.array_equal(v32, v64), f"{name}: integer results differ between precisions"
            save(name, v64.astype(np.int32))


def leaf(array, dtype):
    return torch.tensor(array, dtype=dtype, requires_grad=True)


# ---- convolutions --------------------------------------------------------------------------------
def conv_case(prefix, n, c_in, h, w, c_out, kh, kw, stride, pad, seed, transposed):
    x = hash_fill(seed, n * c_in * h * w, -1, 1).reshape(n, c_in, h, w)
    wshape = (c_in, c_out, kh, kw) if transposed else (c_out, c_in, kh, kw)
    wt = hash_fill(seed + 1, int(np.prod(wshape)), -1, 1).reshape(wshape)
    b = hash_fill(seed + 2, c_out, -1, 1)
    if transposed:
        ho, wo = (h - 1) * stride - 2 * pad + kh, (w - 1) * stride - 2 * pad + kw
    else:
        ho, wo = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    dy = hash_fill(seed + 3, n * c_out * ho * wo, -1, 1).reshape(n, c_out, ho, wo)
    op = F.conv_transpose2d if transposed else F.conv2d

    def run(dt):
        X, W, B = leaf(x, dt), leaf(wt, dt), leaf(b, dt)
        y = op(X, W, B, stride=stride, padding=pad)
        assert tuple(y.shape) == (n, c_out, ho, wo)
        y.backward(torch.tensor(dy, dtype=dt))
        return {"y": y, "y_relu": torch.relu(y), "dx": X.grad, "dw": W.grad, "db": B.grad}

    for key, v in (("x", x), ("w", wt), ("b", b), ("dy", dy)):
        save(f"{prefix}_{key}", v)
    store_both(prefix, run)


# ---- pooling and up-sampling ---------------------------------------------------------------------
def maxpool_case():
    n, c, h, w = 2, 3, 7, 9
    x = hash_fill(50, n * c * h * w, -1, 1).reshape(n, c, h, w)
    # The 2x2 windows must hold distinct values, or the chosen argmax would be a convention.
    win = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    win = win.transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    assert all(len(set(r.tolist())) == 4 for r in win), "tie inside a pooling window"
    dy = hash_fill(51, n * c * (h // 2) * (w // 2), -1, 1).reshape(n, c, h // 2, w // 2)

    def run(dt):
        X = leaf(x, dt)
        y, idx = F.max_pool2d(X, 2, 2, return_indices=True)
        y.backward(torch.tensor(dy, dtype=dt))
        return {"y": y, "argmax": idx, "dx": X.grad}

    save("maxpool_x", x)
    save("maxpool_dy", dy)
    store_both("maxpool", run)


def upsample_case():
    n, c, h, w = 2, 3, 3, 5
    x = hash_fill(60, n * c * h * w, -1, 1).reshape(n, c, h, w)
    dy = hash_fill(61, n * c * 4 * h * w, -1, 1).reshape(n, c, 2 * h, 2 * w)

    def run(dt):
        X = leaf(x, dt)
        y = F.interpolate(X, scale_factor=2, mode="nearest")
        y.backward(torch.tensor(dy, dtype=dt))
        return {"y": y, "dx": X.grad}

    save("upsample_x", x)
    save("upsample_dy", dy)
    store_both("upsample", run)


# ---- dense and element-wise ----------------------------------------------------------------------
def dense_case():
    batch, n_in, n_out = 2, 7, 5
    x = hash_fill(70, batch * n_in, -1, 1).reshape(batch, n_in)
    wt = hash_fill(71, n_out * n_in, -1, 1).reshape(n_out, n_in)
    b = hash_fill(72, n_out, -1, 1)
    dy = hash_fill(73, batch * n_out, -1, 1).reshape(batch, n_out)

    def run(dt):
        X, W, B = leaf(x, dt), leaf(wt, dt), leaf(b, dt)
        y = F.linear(X, W, B)
        y.backward(torch.tensor(dy, dtype=dt))
        return {"y": y, "y_relu": torch.relu(y), "dx": X.grad, "dw": W.grad, "db": B.grad}

    for key, v in (("x", x), ("w", wt), ("b", b), ("dy", dy)):
        save(f"dense_{key}", v)
    store_both("dense", run)


def eltwise_case():
    count = 61
    x = hash_fill(95, count, -4, 4)
    assert np.all(x != 0), "relu's kink at 0 would make the expected gradient a convention"
    dy = hash_fill(96, count, -1, 1)

    def run(dt):
        X = leaf(x, dt)
        r = torch.relu(X)
        r.backward(torch.tensor(dy, dtype=dt))
        relu_dx = X.grad.clone()
        X.grad = None
        s = torch.sigmoid(X)
        s.backward(torch.tensor(dy, dtype=dt))
        return {"relu_y": r, "relu_dx": relu_dx, "sigmoid_y": s, "sigmoid_dx": X.grad}

    save("eltwise_x", x)
    save("eltwise_dy", dy)
    store_both("eltwise", run)


# ---- losses --------------------------------------------------------------------------------------
def sigmoid_mse_case():
    batch, per = 2, 60
    z = hash_fill(80, batch * per, -4, 4).reshape(batch, per)
    target = hash_fill(81, batch * per, 0, 1).reshape(batch, per)

    def run(dt):
        Z = leaf(z, dt)
        T = torch.tensor(target, dtype=dt)
        s = torch.sigmoid(Z)
        loss = F.mse_loss(s, T)
        loss.backward()
        per_sample = ((s - T) ** 2).mean(dim=1)
        return {"recon": s, "dz": Z.grad, "loss": loss.reshape(1), "per_sample": per_sample}

    save("sigmoid_mse_z", z)
    save("sigmoid_mse_target", target)
    store_both("sigmoid_mse", run)


def softmax_xent_case():
    batch, classes = 4, 5
    z = hash_fill(90, batch * classes, -4, 4).reshape(batch, classes)
    labels = (hash_u32(91, np.arange(batch)) % np.uint32(classes)).astype(np.int64)

    def run(dt):
        Z = leaf(z, dt)
        loss = F.cross_entropy(Z, torch.tensor(labels))
        loss.backward()
        return {"probs": torch.softmax(Z, dim=1), "dz": Z.grad, "loss": loss.reshape(1)}

    save("softmax_xent_z", z)
    save("softmax_xent_labels", labels.astype(np.int32))
    store_both("softmax_xent", run)


# ---- optimizers ----------------------------------------------------------------------------------
GRAD_SCALES = (1.0, 2.0, 0.5)  # powers of two keep hash_fill exact


def optimizer_case(prefix, seed, make_opt, state_keys):
    count = 53
    w0 = hash_fill(seed, count, -1, 1)
    grads = [hash_fill(seed + t, count, -s, s) for t, s in enumerate(GRAD_SCALES, start=1)]

    def run(dt):
        W = torch.tensor(w0, dtype=dt, requires_grad=True)
        opt = make_opt([W])
        for g in grads:
            W.grad = torch.tensor(g, dtype=dt)
            opt.step()
        out = {"w3": W}
        for key, torch_key in state_keys.items():
            out[key] = opt.state[W][torch_key]
        return out

    store_both(prefix, run)


def optimizer_cases():
    adam_state = {"m3": "exp_avg", "v3": "exp_avg_sq"}
    optimizer_case("adam", 100, lambda p: torch.optim.Adam(
        p, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0), adam_state)
    optimizer_case("adamw", 100, lambda p: torch.optim.AdamW(
        p, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1), adam_state)
    sgd_state = {"buf3": "momentum_buffer"}
    optimizer_case("sgd", 120, lambda p: torch.optim.SGD(
        p, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-4), sgd_state)
    optimizer_case("sgd_wd", 120, lambda p: torch.optim.SGD(
        p, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.1), sgd_state)


# ---- the DCAE ------------------------------------------------------------------------------------
SAMPLE_PER_TENSOR = 64
SAMPLE_STEP = 1000003  # prime: coprime to every tensor size here


def spread_sample(tensors):
    """Of each tensor (n elements), m = min(n, 64) elements at flat indices (k * 1000003) % n,
    concatenated; tests/nn/test_golden_dcae.cpp picks the same elements."""
    parts = []
    for t in tensors:
        flat = t.reshape(-1)
        n = flat.shape[0]
        idx = [(k * SAMPLE_STEP) % n for k in range(min(n, SAMPLE_PER_TENSOR))]
        assert len(set(idx)) == len(idx)
        parts.append(flat[torch.tensor(idx)])
    return torch.cat(parts)


def dcae_case():
    def run(dt):
        model = make_dcae(dt)
        x = dcae_input(dt)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        losses = []
        out = {}
        for step in range(5):
            opt.zero_grad()
            z = model(x)
            s = torch.sigmoid(z)
            loss = F.mse_loss(s, x)
            loss.backward()
            if step == 0:
                with torch.no_grad():
                    out["latent0"] = model.encode(x[:1])[0]
                    out["recon0"] = s[0].detach()
                    out["grad_stats"] = torch.stack([torch.stack([p.grad.sum(), (p.grad ** 2).sum()])
                                                     for p in model.parameters()])
                    out["grad_sample"] = spread_sample([p.grad for p in model.parameters()])
            losses.append(loss.detach())
            opt.step()
        with torch.no_grad():
            out["param_stats"] = torch.stack(
                [torch.stack([p.sum(), (p ** 2).sum()]) for p in model.parameters()])
            out["param_sample"] = spread_sample(list(model.parameters()))
        out["losses"] = torch.stack(losses)
        return out

    store_both("dcae", run)


# ---- files written by numpy itself, for the .npy reader's tests ----------------------------------
def make_npy_files():
    # Values follow formulas the C++ test recomputes: v[i] = 0.25 i - 1 and v[i] = 0.5 i.
    save("npy_f4_2x3", (0.25 * np.arange(6) - 1).astype(np.float32).reshape(2, 3))
    save("npy_i8_5", np.array([-3, 0, 7, 2**31 - 1, -2**31], dtype=np.int64))
    save("npy_i8_out_of_range", np.array([1, 2**40], dtype=np.int64))
    with open(OUT / "npy_f8_v2_3x1x2.npy", "wb") as f:
        np.lib.format.write_array(f, (0.5 * np.arange(6)).reshape(3, 1, 2), version=(2, 0))
    written["npy_f8_v2_3x1x2"] = OUT / "npy_f8_v2_3x1x2.npy"
    save("npy_u1_scalar", np.array(200, dtype=np.uint8), as_is=True)
    save("npy_f4_bigendian", np.arange(4, dtype=">f4"))
    fortran = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    save("npy_f4_fortran", fortran, as_is=True)
    save("npy_c8", np.arange(3, dtype=np.complex64))
    save("npy_structured", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.npy"):
        old.unlink()  # a renamed case must not leave a stale file behind
    conv_case("conv_a", 2, 3, 7, 6, 5, 3, 3, 1, 1, 10, transposed=False)
    conv_case("conv_b", 2, 2, 9, 10, 3, 5, 3, 2, 2, 20, transposed=False)
    conv_case("deconv_a", 2, 3, 5, 6, 4, 4, 4, 2, 1, 30, transposed=True)
    conv_case("deconv_b", 2, 4, 5, 4, 3, 3, 3, 1, 0, 40, transposed=True)
    maxpool_case()
    upsample_case()
    dense_case()
    eltwise_case()
    sigmoid_mse_case()
    softmax_xent_case()
    optimizer_cases()
    dcae_case()
    make_npy_files()

    print(f"{'fixture':28s} {'f32 err':>10s} {'per elem':>10s}")
    for name, dev, elem_dev in deviations:
        print(f"{name:28s} {dev:10.2e} {elem_dev:10.2e}")
    total = sum(p.stat().st_size for p in written.values())
    digest = hashlib.sha256()
    for name in sorted(written):
        digest.update(written[name].read_bytes())
    # Each file's sha256 in sha256sum's format (`cd tests/fixtures/golden && sha256sum -c
    # SHA256SUMS`); tests/core/test_fixture_sums.cpp checks the files against it, so a fixture
    # edited by hand or left stale cannot go unnoticed.
    lines = [f"{hashlib.sha256(written[name].read_bytes()).hexdigest()}  {written[name].name}\n"
             for name in sorted(written)]
    (OUT / "SHA256SUMS").write_text("".join(lines))
    print(f"{len(written)} files, {total} bytes ({total / 1024:.1f} KiB) in {OUT}")
    print(f"sha256 of all fixtures (sorted by name): {digest.hexdigest()}")
    print(f"per-file sha256: {OUT / 'SHA256SUMS'}")
    assert total < 512 * 1024, "fixtures must stay well under 1 MB"


if __name__ == "__main__":
    main()
