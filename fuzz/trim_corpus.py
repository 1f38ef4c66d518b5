#!/usr/bin/env python3
"""Shrinks fuzz/corpus/TARGET to a byte budget, keeping as much coverage as fits.

    python3 fuzz/trim_corpus.py TARGET BUDGET_BYTES

`cargo fuzz cmin` keeps every input that adds a feature, whatever its size; snapshots and sync
messages are kilobytes each, so that is too much to keep in the repository. This asks the
built target (fuzz/target/.../release/TARGET, build it first with `cargo fuzz build`) for the
features of every corpus file (libFuzzer's merge control file), then keeps the files whose names
start with `seed-`, `crash-` or `crafted-` and adds files by most new features per byte until
the budget is spent. Everything else is deleted; the run prints the features kept.
"""

import os
import subprocess
import sys
import tempfile

FORCED = ("seed-", "crash-", "crafted-")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    target, budget = sys.argv[1], int(sys.argv[2])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "fuzz", "target"))
    binary = os.path.join(target_dir, "x86_64-unknown-linux-gnu", "release", target)
    corpus = os.path.join(root, "fuzz", "corpus", target)

    with tempfile.TemporaryDirectory() as tmp:
        control = os.path.join(tmp, "control")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        subprocess.run(
            [binary, "-merge=1", f"-merge_control_file={control}", out, corpus],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(control) as f:
            lines = f.read().splitlines()

    count = int(lines[0])
    paths = lines[2 : 2 + count]
    features = {i: set() for i in range(count)}
    for line in lines[2 + count :]:
        parts = line.split()
        if parts and parts[0] == "FT":
            features[int(parts[1])] = set(map(int, parts[2:]))
    size = {i: os.path.getsize(p) for i, p in enumerate(paths)}
    total = set().union(*features.values()) if features else set()

    keep = [i for i, p in enumerate(paths) if os.path.basename(p).startswith(FORCED)]
    covered = set().union(*(features[i] for i in keep)) if keep else set()
    spent = sum(size[i] for i in keep)
    rest = set(range(count)) - set(keep)
    while True:
        best, best_score = None, 0.0
        for i in rest:
            if spent + size[i] > budget:
                continue
            new = len(features[i] - covered)
            score = new / max(size[i], 1)
            if new and score > best_score:
                best, best_score = i, score
        if best is None:
            break
        keep.append(best)
        covered |= features[best]
        spent += size[best]
        rest.discard(best)

    for i in rest:
        os.remove(paths[i])
    print(
        f"{target}: kept {len(keep)} of {count} files, {spent} bytes, "
        f"{len(covered)} of {len(total)} features"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
