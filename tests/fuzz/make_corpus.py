#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Every seed is a tiny synthetic file made here (NumPy, Pillow and the checkpoint layout of
include/hep2/pipeline/checkpoint.h), never a real cell image: valid files of each form the readers
accept, plus a few that they must refuse, so the fuzzer starts from both sides of each check.
Run with Debian's python3 (python3-numpy, python3-pil): /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import io
import json
import os
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- .npy -----------------------------------------------------------------------------------------

def npy_bytes(array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def npy_seeds():
    put("npy", "f4_2x3.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3) / 4))
    put("npy", "i4_5.npy", npy_bytes(np.array([0, 1, 2, -3, 7], dtype="<i4")))
    put("npy", "i8_4.npy", npy_bytes(np.array([1, 2**40, -5, 0], dtype="<i8")))
    put("npy", "f8_scalar.npy", npy_bytes(np.array(2.5, dtype="<f8")))
    put("npy", "u1_3x1.npy", npy_bytes(np.array([[1], [255], [0]], dtype="|u1")))
    put("npy", "f4_0x4.npy", npy_bytes(np.zeros((0, 4), dtype="<f4")))
    put("npy", "v2_f4.npy", npy_bytes(np.ones((2, 2), dtype="<f4"), version=(2, 0)))
    put("npy", "fortran_f4.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), dtype="<f4"))))
    put("npy", "big_endian_f4.npy", npy_bytes(np.ones(3, dtype=">f4")))
    put("npy", "structured.npy", npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])))


# ---- checkpoints ------------------------------------------------------------------------------------

def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def checkpoint_bytes(header, values, version=1):
    text = json.dumps(header, separators=(",", ":")).encode()
    body = b"HEP2CKPT" + struct.pack("<IQ", version, len(text)) + text
    body += struct.pack("<Q", len(values)) + np.asarray(values, dtype="<f4").tobytes()
    return body + struct.pack("<Q", fnv1a(body))


def checkpoint_seeds():
    dcae = {"kind": "dcae", "optimizer_steps": 12, "param_count": 4,
            "config": {"height": 8, "width": 8, "in_channels": 1, "channels": [4],
                       "decoder": "deconv"},
            "train_state": {"epoch": 2, "step": 0, "rng_state": 1, "rng_inc": 3,
                            "epoch_losses": [], "history": []}}
    put("checkpoint", "dcae.ckpt", checkpoint_bytes(dcae, [0.5, -1.0, 2.0, 0.0] * 4))
    mlp = {"kind": "mlp", "config": {"inputs": 2, "hidden": [2], "classes": 2, "dropout": 0.0},
           "class_names": ["a", "b"], "best_epoch": 1}
    put("checkpoint", "mlp.ckpt", checkpoint_bytes(mlp, [0.25] * 8))
    put("checkpoint", "empty_values.ckpt", checkpoint_bytes({}, []))
    put("checkpoint", "version2.ckpt", checkpoint_bytes({"kind": "dcae"}, [1.0], version=2))
    good = checkpoint_bytes({"kind": "x"}, [1.0, 2.0])
    put("checkpoint", "truncated.ckpt", good[:-5])


# ---- manifests ----------------------------------------------------------------------------------------
# The fuzz target's folder holds a.png, b.png and masks/a_mask.png.

def manifest_seeds():
    seeds = {
        "plain.csv": "path,label\na.png,Homogeneous\nb.png,Speckled\n",
        "all_columns.csv": "path,label,mask,split,group\na.png,x,masks/a_mask.png,train,g1\n"
                           "b.png,y,,test,g2\n",
        "bom_crlf.csv": "\ufeffpath,label\r\na.png,1\r\nb.png,10\r\n",
        "semicolon.csv": "Path;Label;Note\n\"a.png\";\"Cen;tro\";\"two\nlines\"\nb.png; Nuc ;\n",
        "tab.csv": "label\tpath\nNucleolar\ta.png\nNucleolar\tb.png\n",
        "quoted.csv": "\"path\",\"label\"\n\"a.png\",\"say \"\"hi\"\"\"\n  \"b.png\"  ,  x  \n",
        "missing_file.csv": "path,label\nc.png,x\n",
        "bad_split.csv": "path,label,split\na.png,x,later\n",
        "no_label_column.csv": "path,class\na.png,x\n",
        "unclosed_quote.csv": "path,label\n\"a.png,x\n",
    }
    for name, text in seeds.items():
        put("manifest", name, text.encode("utf-8"))


# ---- images -------------------------------------------------------------------------------------------

def image_bytes(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def image_seeds():
    ramp = (np.arange(35).reshape(7, 5) * 7 % 256).astype(np.uint8)
    put("image", "gray8_5x7.png", image_bytes(Image.fromarray(ramp), "PNG"))
    put("image", "gray16_4x3.png",
        image_bytes(Image.fromarray((np.arange(12).reshape(3, 4) * 5000).astype(np.uint16)), "PNG"))
    put("image", "gray16_4x3.tif",
        image_bytes(Image.fromarray((np.arange(12).reshape(3, 4) * 5000).astype(np.uint16)), "TIFF"))
    floats = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    floats[1, 2] = np.nan
    put("image", "float_4x3_nan.tif", image_bytes(Image.fromarray(floats, mode="F"), "TIFF"))
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 3] = 200, np.arange(16).reshape(4, 4) * 15, 255
    put("image", "rgba_4x4.png", image_bytes(Image.fromarray(rgba, mode="RGBA"), "PNG"))
    palette = Image.new("P", (6, 5))
    palette.putpalette([0, 0, 0, 40, 200, 60, 250, 240, 10, 90, 30, 220])
    palette.putdata([(x * y + x + y) % 4 for y in range(5) for x in range(6)])
    put("image", "palette_6x5.png", image_bytes(palette, "PNG"))
    put("image", "gray_alpha_3x2.png",
        image_bytes(Image.fromarray(np.array([[[10, 255], [20, 0], [30, 128]]] * 2, np.uint8),
                                    mode="LA"), "PNG"))
    put("image", "rgb_3x3.bmp",
        image_bytes(Image.fromarray((np.arange(27).reshape(3, 3, 3) * 9).astype(np.uint8)), "BMP"))
    put("image", "gray_8x8.jpg",
        image_bytes(Image.fromarray((np.arange(64).reshape(8, 8) * 4).astype(np.uint8)), "JPEG",
                    quality=90))
    put("image", "one_pixel.png", image_bytes(Image.fromarray(np.array([[0]], np.uint8)), "PNG"))
    put("image", "flat_zero_4x4.png", image_bytes(Image.fromarray(np.zeros((4, 4), np.uint8)), "PNG"))
    put("image", "not_an_image.png", b"path,label\nthis is text\n")


if __name__ == "__main__":
    npy_seeds()
    checkpoint_seeds()
    manifest_seeds()
    image_seeds()
