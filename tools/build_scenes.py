#!/usr/bin/env python3
"""Builds benchmarks/realscene/ (and the tiny teddy in tests/data/) from Middlebury stereo scenes.

Reads the raw files extracted from public GitHub copies (see benchmarks/realscene/README.md),
decodes each disparity encoding, verifies the scale by a forward-warp PSNR check, downscales
(images by area averaging, ground truth by the lower median of the valid values in each output
pixel's footprint, so no value is averaged across a depth edge), and writes left.png, right.png,
disp.pfm (float32, NaN = unknown) and scenes.json.

Usage: python tools/build_scenes.py RAW_DIR REPO_ROOT
RAW_DIR holds <Scene>/ with the original file names (view1/view5/disp1.png or im2/im6.png+disp2.pgm).
"""
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np

REPO_2005_2006 = "omkarbhoite25/3D-Sensing-Sensor-Fusion@3e8594838eb99fe5537bff579b0860f9c2433908"
REPO_2003 = "xland16/disparitymapping@de5c48ec8f9e5893f324d9068372bd1a7c16b46c"
HELD_OUT = {"Books", "Flowerpots"}

# name: (year, source dir in repo, left, right, disparity file, divisor of the stored value, output scale)
SCENES = {
    "Aloe": (2006, "Input_Images/Aloe/Aloe", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "Art": (2005, "Input_Images/Art/Art", "view1.png", "view5.png", "disp1.png", 1, 0.35),
    "Baby1": (2006, "Input_Images/Baby/Baby1 (disp1 from Input_Images/Baby/Baby)", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "Books": (2005, "Input_Images/Books/Books", "view1.png", "view5.png", "disp1.png", 1, 0.35),
    "Bowling1": (2006, "Input_Images/Bowling/Bowling1 (disp1 from Input_Images/Bowling/Bowling)", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "Cloth1": (2006, "Input_Images/Cloth/Cloth1 (disp1 from Input_Images/Cloth/Cloth)", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "Flowerpots": (2006, "Input_Images/Flowerpots/Flowerpots", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "Rocks1": (2006, "Input_Images/Rocks1/Rocks1", "view1.png", "view5.png", "disp1.png", 2, 0.7),
    "cones": (2003, "cones", "im2.png", "im6.png", "disp2.pgm", 4, 1.0),
    "teddy": (2003, "teddy", "im2.png", "im6.png", "disp2.pgm", 4, 1.0),
}


def forward_warp(left, disp):
    """Nearest-pixel forward warp x_r = x_l - d with a z-buffer (larger disparity wins); returns image and covered mask."""
    h, w = disp.shape
    out = np.zeros_like(left)
    covered = np.zeros((h, w), bool)
    ys, xs = np.nonzero(np.isfinite(disp))
    xt = np.round(xs - disp[ys, xs]).astype(int)
    ok = (xt >= 0) & (xt < w)
    ys, xs, xt = ys[ok], xs[ok], xt[ok]
    order = np.argsort(disp[ys, xs], kind="stable")
    ys, xs, xt = ys[order], xs[order], xt[order]
    out[ys, xt] = left[ys, xs]
    covered[ys, xt] = True
    return out, covered


def psnr(a, b, mask):
    err = ((a.astype(np.float64) - b.astype(np.float64)) ** 2)[mask].mean()
    return 10 * math.log10(255.0**2 / err)


def verify_divisor(left, right, raw, divisor):
    """Warp PSNR on covered pixels for the chosen divisor and its neighbours; the chosen one must win."""
    scores = {}
    for d in (1, 2, 3, 4):
        disp = np.where(raw > 0, raw / d, np.nan)
        img, cov = forward_warp(left, disp)
        scores[d] = round(psnr(img, right, cov), 2)
    best = max(scores, key=scores.get)
    if best != divisor:
        sys.exit(f"divisor {divisor} is not the best by warp PSNR: {scores}")
    return scores


def spans(n_in, n_out):
    """Source index ranges [lo, hi) covered by each output pixel along one axis (at most 3 wide)."""
    s = n_in / n_out
    lo = np.floor(np.arange(n_out) * s).astype(int)
    hi = np.maximum(lo + 1, np.ceil((np.arange(n_out) + 1) * s).astype(int))
    return lo, np.minimum(hi, n_in)


def downscale_gt(disp, out_w, out_h):
    """Lower median of the finite values in each output pixel's footprint, times the horizontal scale."""
    h, w = disp.shape
    ylo, yhi = spans(h, out_h)
    xlo, xhi = spans(w, out_w)
    k = max(int((yhi - ylo).max()), int((xhi - xlo).max()))
    cands = []
    for dy in range(k):
        for dx in range(k):
            yy = ylo[:, None] + dy
            xx = xlo[None, :] + dx
            inside = (yy < yhi[:, None]) & (xx < xhi[None, :])
            v = disp[np.minimum(yy, h - 1), np.minimum(xx, w - 1)]
            cands.append(np.where(inside, v, np.nan))
    stack = np.sort(np.stack(cands), axis=0)  # NaN sorts last
    count = np.isfinite(stack).sum(axis=0)
    idx = np.maximum(count - 1, 0) // 2
    med = np.take_along_axis(stack, idx[None], axis=0)[0]
    med[count == 0] = np.nan
    return (med * (out_w / w)).astype(np.float32)


def write_pfm(path, disp):
    h, w = disp.shape
    with open(path, "wb") as f:
        f.write(f"Pf\n{w} {h}\n-1\n".encode())
        f.write(np.flipud(disp).astype("<f4").tobytes())


def write_png(path, img):
    cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])


def build(raw_dir, out_dir, name, spec, scale):
    year, src, lname, rname, dname, divisor, _ = spec
    left = cv2.imread(str(raw_dir / name / lname), cv2.IMREAD_COLOR)
    right = cv2.imread(str(raw_dir / name / rname), cv2.IMREAD_COLOR)
    raw = cv2.imread(str(raw_dir / name / dname), cv2.IMREAD_UNCHANGED).astype(np.float32)
    checks = verify_divisor(left, right, raw, divisor)
    disp = np.where(raw > 0, raw / divisor, np.nan).astype(np.float32)
    h, w = raw.shape
    out_w, out_h = round(w * scale), round(h * scale)
    if (out_w, out_h) != (w, h):
        left = cv2.resize(left, (out_w, out_h), interpolation=cv2.INTER_AREA)
        right = cv2.resize(right, (out_w, out_h), interpolation=cv2.INTER_AREA)
        disp = downscale_gt(disp, out_w, out_h)
    scene = out_dir / name
    scene.mkdir(parents=True, exist_ok=True)
    write_png(scene / "left.png", left)
    write_png(scene / "right.png", right)
    write_pfm(scene / "disp.pfm", disp)
    img, cov = forward_warp(left, disp)
    max_d = float(np.nanmax(disp))
    return {
        "name": name,
        "source": {"repo": REPO_2003 if year == 2003 else REPO_2005_2006, "path": f"{src}/{{{lname},{rname},{dname}}}"},
        "year": year,
        "original_size": [w, h],
        "size": [out_w, out_h],
        "scale": round(out_w / w, 6),
        "disparity_encoding": f"{dname}: value / {divisor} = disparity in px at original size; 0 = unknown",
        "warp_psnr_covered_by_divisor": {str(k): v for k, v in checks.items()},
        "warp_psnr_covered_after_downscale": round(psnr(img, right, cov), 2),
        "max_disparity": round(max_d, 3),
        "valid_fraction": round(float(np.isfinite(disp).mean()), 4),
        "ndisp": int(math.ceil((math.ceil(max_d) + 4) / 16) * 16),
        "held_out": name in HELD_OUT,
    }


def main():
    raw_dir, root = Path(sys.argv[1]), Path(sys.argv[2])
    out = root / "benchmarks" / "realscene" / "scenes"
    entries = [build(raw_dir, out, n, s, s[-1]) for n, s in SCENES.items()]
    with open(root / "benchmarks" / "realscene" / "scenes.json", "w") as f:
        json.dump({"scenes": entries}, f, indent=1)
        f.write("\n")
    tiny = build(raw_dir, root / "tests" / "data", "teddy", SCENES["teddy"], 0.36)
    (root / "tests" / "data" / "teddy").rename(root / "tests" / "data" / "teddy_small")
    for e in entries + [tiny]:
        print(e["name"], e["size"], e["max_disparity"], e["warp_psnr_covered_by_divisor"], e["warp_psnr_covered_after_downscale"])


if __name__ == "__main__":
    main()
