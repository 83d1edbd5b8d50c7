#!/usr/bin/env python3
"""Depth scores of photo3d on benchmarks/realscene, computed outside the build.

Per scene: Spearman rho between the true disparity and photo3d's classical monocular
estimate (`photo3d depth LEFT --model none`), beside the "lower is nearer" prior from
baselines.json; and photo3d's SGM on the pair (`photo3d depth LEFT --right RIGHT
--max-disparity ndisp/width`): bad-2 (% of valid-GT pixels off by more than 2 px),
beside OpenCV SGBM's, and its rho.

Usage: python tools/depth_scores.py PHOTO3D_BINARY benchmarks/realscene [--json OUT]
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).parent))
from baselines import read_pfm  # noqa: E402


def photo3d_depth(binary, args, out):
    subprocess.run([binary, "depth", *args, "-o", str(out)], check=True, capture_output=True)
    return read_pfm(out)


def main():
    binary, root = sys.argv[1], Path(sys.argv[2])
    json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    scenes = json.loads((root / "scenes.json").read_text())["scenes"]
    baselines = {b["name"]: b for b in json.loads((root / "baselines.json").read_text())["scenes"]}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scene in scenes:
            d = root / "scenes" / scene["name"]
            gt = read_pfm(d / "disp.pfm")
            valid = np.isfinite(gt)
            left, right = str(d / "left.png"), str(d / "right.png")
            classical = photo3d_depth(binary, [left, "--model", "none"], Path(tmp) / "c.pfm")
            fraction = min(1.0, scene["ndisp"] / gt.shape[1])
            sgm = photo3d_depth(binary, [left, "--right", right, "--max-disparity", f"{fraction:.6f}"],
                                Path(tmp) / "s.pfm")
            base = baselines[scene["name"]]
            rows.append(dict(
                name=scene["name"], held_out=scene["held_out"],
                classical_rho=float(spearmanr(classical[valid], gt[valid])[0]),
                prior_rho=base["prior_rho_lower_is_nearer"],
                sgm_rho=float(spearmanr(sgm[valid], gt[valid])[0]),
                sgm_bad2=float(100 * np.mean(np.abs(sgm[valid] - gt[valid]) > 2)),
                sgbm_bad2=base["sgbm_bad2_percent"],
            ))
    print("| scene | held out | classical rho | prior rho | SGM rho | SGM bad-2 % | OpenCV SGBM bad-2 % |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {'yes' if r['held_out'] else 'no'} | {r['classical_rho']:.3f} | {r['prior_rho']:.3f} "
              f"| {r['sgm_rho']:.3f} | {r['sgm_bad2']:.2f} | {r['sgbm_bad2']:.2f} |")
    for label, keep in [("mean (tuning scenes)", False), ("mean (held out)", True)]:
        sel = [r for r in rows if r["held_out"] == keep]
        m = lambda k: sum(r[k] for r in sel) / len(sel)  # noqa: E731
        print(f"| {label} | | {m('classical_rho'):.3f} | {m('prior_rho'):.3f} | {m('sgm_rho'):.3f} "
              f"| {m('sgm_bad2'):.2f} | {m('sgbm_bad2'):.2f} |")
    if json_out:
        Path(json_out).write_text(json.dumps({"scenes": rows}, indent=1))


if __name__ == "__main__":
    main()
