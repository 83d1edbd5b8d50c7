#!/usr/bin/env python3
"""Reference numbers for benchmarks/realscene, computed outside the build.

Per scene: OpenCV StereoSGBM bad-2 (% of valid-GT pixels with |error| > 2 px, SGBM
invalids filled by the nearest valid disparity along the row); Spearman rho between the
true disparity and the row index (the "lower in the frame is nearer" prior); and a
nearest-pixel forward warp of the left image with the true disparity (z-buffer by
disparity, unknown disparities skipped, hole runs filled by a linear ramp between the
colours at their two ends) scored by PSNR over all, covered and disoccluded pixels, with
the same disocclusion mask as `photo3d eval`.

Usage: python tools/baselines.py benchmarks/realscene  (writes baselines.json there, prints a table)
"""
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy.stats import spearmanr

from build_scenes import forward_warp, psnr

BLOCK = 5
SGBM = dict(minDisparity=0, blockSize=BLOCK, P1=8 * 3 * BLOCK**2, P2=32 * 3 * BLOCK**2, disp12MaxDiff=1,
            uniquenessRatio=10, speckleWindowSize=100, speckleRange=2, preFilterCap=63, mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)


def read_pfm(path):
    with open(path, "rb") as f:
        assert f.readline().strip() == b"Pf"
        w, h = map(int, f.readline().split())
        scale = float(f.readline())
        data = np.frombuffer(f.read(), dtype="<f4" if scale < 0 else ">f4")
    return np.flipud(data.reshape(h, w)).astype(np.float64)


def fill_row_nearest(disp, valid):
    """Each invalid pixel takes the nearest valid value on its row (left wins ties); rows with none stay as they are."""
    out = disp.copy()
    w = disp.shape[1]
    cols = np.arange(w)
    for y in range(disp.shape[0]):
        idx = np.flatnonzero(valid[y])
        if idx.size == 0:
            continue
        pos = np.clip(np.searchsorted(idx, cols), 1, idx.size - 1) if idx.size > 1 else np.zeros(w, int)
        if idx.size > 1:
            left, right = idx[pos - 1], idx[pos]
            nearest = np.where(np.abs(cols - left) <= np.abs(right - cols), left, right)
        else:
            nearest = np.full(w, idx[0])
        out[y] = disp[y, nearest]
    return out


def sgbm_bad2(left, right, gt, ndisp):
    matcher = cv2.StereoSGBM_create(numDisparities=ndisp, **SGBM)
    d = matcher.compute(left, right).astype(np.float64) / 16.0
    d = fill_row_nearest(d, d >= 0)
    valid = np.isfinite(gt)
    bad = np.abs(d - gt)[valid] > 2.0
    return 100.0 * bad.mean()


def disocclusion_mask(disp):
    """Right-view pixels no left pixel with known disparity covers (interval rule of photo3d eval), right border band left out."""
    h, w = disp.shape
    covered = np.zeros((h, w), bool)
    ys, xs = np.nonzero(np.isfinite(disp))
    d = disp[ys, xs]
    first = np.clip(np.ceil(xs - d - 0.5), 0, w).astype(int)
    last = np.clip(np.floor(xs + 1 - d - 0.5) + 1, 0, w).astype(int)
    diff = np.zeros((h, w + 1), int)
    np.add.at(diff, (ys, first), 1)
    np.add.at(diff, (ys, np.maximum(last, first)), -1)
    covered = np.cumsum(diff, axis=1)[:, :w] > 0
    edge = w - (int(math.ceil(np.nanmax(disp))) + 1)
    mask = ~covered
    mask[:, max(edge, 0):] = False
    return mask, covered


def warp_and_fill(left, disp):
    """The nearest-pixel forward warp with each hole run on a row filled by a ramp between its two ends."""
    warped, hit = forward_warp(left, disp)
    out = warped.astype(np.float64)
    h, w = disp.shape
    for y in range(h):
        x = 0
        while x < w:
            if hit[y, x]:
                x += 1
                continue
            end = x
            while end < w and not hit[y, end]:
                end += 1
            a = out[y, x - 1] if x > 0 else None
            b = out[y, end] if end < w else None
            a = b if a is None else a
            b = a if b is None else b
            if a is not None:
                t = (np.arange(x, end) - (x - 1)) / (end - (x - 1))
                out[y, x:end] = a[None] * (1 - t[:, None]) + b[None] * t[:, None]
            x = end
    return np.clip(np.round(out), 0, 255)


def scene_numbers(folder, ndisp):
    left = cv2.imread(str(folder / "left.png"), cv2.IMREAD_COLOR)
    right = cv2.imread(str(folder / "right.png"), cv2.IMREAD_COLOR)
    gt = read_pfm(folder / "disp.pfm")
    valid = np.isfinite(gt)
    rows = np.broadcast_to(np.arange(gt.shape[0])[:, None], gt.shape)
    rho = spearmanr(gt[valid], rows[valid]).statistic
    warp = warp_and_fill(left, gt)
    mask, covered = disocclusion_mask(gt)
    return {
        "sgbm_bad2_percent": round(sgbm_bad2(left, right, gt, ndisp), 2),
        "sgbm_num_disparities": ndisp,
        "prior_rho_lower_is_nearer": round(float(rho), 4),
        "forward_warp_psnr_all": round(psnr(warp, right, np.ones_like(mask)), 2),
        "forward_warp_psnr_covered": round(psnr(warp, right, covered), 2),
        "forward_warp_psnr_disoccluded": round(psnr(warp, right, mask), 2),
        "disoccluded_fraction": round(float(mask.mean()), 4),
    }


def main():
    root = Path(sys.argv[1])
    scenes = json.load(open(root / "scenes.json"))["scenes"]
    sgbm = {k: (int(v) if k != "mode" else "SGBM_3WAY") for k, v in SGBM.items()}
    results = {"sgbm_parameters": sgbm, "scenes": []}
    print("| scene | held out | SGBM bad-2 % | prior rho | warp PSNR all | covered | disoccluded | disoccluded % |")
    print("|---|---|---|---|---|---|---|---|")
    for s in scenes:
        n = scene_numbers(root / "scenes" / s["name"], s["ndisp"])
        results["scenes"].append({"name": s["name"], "held_out": s["held_out"], **n})
        print(f"| {s['name']} | {'yes' if s['held_out'] else 'no'} | {n['sgbm_bad2_percent']:.2f} | {n['prior_rho_lower_is_nearer']:.3f} | "
              f"{n['forward_warp_psnr_all']:.2f} | {n['forward_warp_psnr_covered']:.2f} | {n['forward_warp_psnr_disoccluded']:.2f} | {100 * n['disoccluded_fraction']:.1f} |")
    with open(root / "baselines.json", "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
