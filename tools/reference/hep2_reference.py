#!/usr/bin/python3
"""The PyTorch side of hep2's golden tests: hep2's deterministic input hash replicated in numpy,
the default DCAE of shared/paper/NOTES.md as a torch module, and its deterministic initialisation.

Everything here must match the C++ bit for bit where inputs are concerned (hash_fill, the DCAE's
initial parameters), so the C++ tests can regenerate inputs instead of storing them.
"""
import numpy as np
import torch

# ---- hep2's counter hash (include/hep2/core/rng.h) -----------------------------------------------
# numpy uint64 arithmetic wraps modulo 2**64 exactly as C++ unsigned arithmetic does.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_OFFSET = np.uint64(0x632BE59BD9B4E019)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def hash_u32(seed, counters):
    """hep2::hash_u32(seed, counter) for an array of counters (uint32 array)."""
    c = np.asarray(counters, dtype=np.uint64)
    with np.errstate(over="ignore"):
        s = np.array([seed], dtype=np.uint64)
        z = s * _GOLDEN + c + _OFFSET
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(32)).astype(np.uint32)


def hash_uniform(seed, counters):
    """hep2::hash_uniform: 24 random bits scaled into [0, 1), exact in float32."""
    top24 = (hash_u32(seed, counters) >> np.uint32(8)).astype(np.float32)
    return top24 * np.float32(1.0 / 16777216.0)


def hash_fill(seed, count, lo, hi):
    """lo + (hi - lo) * hash_uniform(seed, i) for i < count, in float32 as the C++ helper computes
    it. Use ranges whose width and ends are powers of two (e.g. [-1, 1], [0, 1], [-2, 2]): then
    every step is exact and the C++ side reproduces the values bit for bit whether or not the
    compiler contracts the multiply-add into an FMA."""
    u = hash_uniform(seed, np.arange(count, dtype=np.uint64))
    lo32, hi32 = np.float32(lo), np.float32(hi)
    return (lo32 + (hi32 - lo32) * u).astype(np.float32)


# ---- the default DCAE (shared/paper/NOTES.md) ----------------------------------------------------
class Dcae(torch.nn.Module):
    """conv3x3 pad1 + ReLU + maxpool2 three times (1->32->64->64), then three 4x4 stride-2 pad-1
    transposed convolutions (64->64 ReLU, 64->32 ReLU, 32->1). forward returns the pre-sigmoid
    output z; encode returns the 64x8x8 latent (after the third pool)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(64, 64, 3, padding=1)
        self.deconv1 = torch.nn.ConvTranspose2d(64, 64, 4, stride=2, padding=1)
        self.deconv2 = torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.deconv3 = torch.nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)

    def layers(self):
        return [self.conv1, self.conv2, self.conv3, self.deconv1, self.deconv2, self.deconv3]

    def encode(self, x):
        pool = torch.nn.functional.max_pool2d
        relu = torch.relu
        x = pool(relu(self.conv1(x)), 2)
        x = pool(relu(self.conv2(x)), 2)
        return pool(relu(self.conv3(x)), 2)

    def decode(self, h):
        relu = torch.relu
        h = relu(self.deconv1(h))
        h = relu(self.deconv2(h))
        return self.deconv3(h)

    def forward(self, x):
        return self.decode(self.encode(x))


def layer_fan_in(layer):
    """PyTorch's fan-in: dim 1 of the weight times the kernel area. For Conv2d that is c_in*kh*kw;
    for ConvTranspose2d (weight c_in x c_out x kh x kw) it is c_out*kh*kw."""
    w = layer.weight
    return w.shape[1] * w.shape[2] * w.shape[3]


def dcae_initial_tensors(model):
    """The deterministic initial parameters, in the order conv1.w, conv1.b, ..., deconv3.b:
    tensor t element i = (2 * hash_uniform(1000 + t, i) - 1) / sqrt(fan_in), computed in float32
    (2u - 1 is exact; one correctly rounded sqrt and one correctly rounded division follow)."""
    out = []
    t = 0
    for layer in model.layers():
        fan = np.float32(layer_fan_in(layer))
        for p in (layer.weight, layer.bias):
            u = hash_uniform(1000 + t, np.arange(p.numel(), dtype=np.uint64))
            v = (np.float32(2) * u - np.float32(1)) / np.sqrt(fan)
            out.append(v.astype(np.float32).reshape(tuple(p.shape)))
            t += 1
    return out


def make_dcae(dtype):
    """The DCAE with its deterministic initial parameters, in float32 or float64 (the float64 model
    starts from the same float32 values, so it is a more accurate run of the same experiment)."""
    model = Dcae()
    with torch.no_grad():
        for p, v in zip(model.parameters(), dcae_initial_tensors(model)):
            p.copy_(torch.from_numpy(v))
    return model.to(dtype)


def dcae_input(dtype, batch=4, size=64):
    """x = hash_fill(7, batch*size*size, 0, 1) as batch x 1 x size x size."""
    x = hash_fill(7, batch * size * size, 0.0, 1.0).reshape(batch, 1, size, size)
    return torch.from_numpy(x).to(dtype)
