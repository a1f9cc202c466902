"""Recall and precision of the training doctor over the zoo of broken and healthy runs (tests/zoo_cases.py).

    python benchmarks/zoo.py             # every case, on all cores (about a minute on 16, five on 2)
    python benchmarks/zoo.py --jobs 2

Prints one row per case (the finding it must get, what the doctor said) and the recall/precision table by round:
round 0 are the cases the thresholds were chosen on; rounds 1-13 were written later, each run once as it came out
(see the comments in zoo_cases.py for what changed between rounds). Definitions: a broken case is found when its
expected finding is reported (recall = found / broken cases); a reported problem finding is correct when it is
the case's expected finding or one of its acceptable consequences (precision = correct / reported); every
problem finding on a healthy case is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ROUNDS = {0: "0 (tuned on)", **{r: f"{r} (held out)" for r in range(1, 22)}}


def _run(name: str) -> tuple[str, list[str], float]:
    import torch

    torch.set_num_threads(1)
    from zoo_cases import CASES, run_case

    case = next(c for c in CASES if c.name == name)
    start = time.perf_counter()
    _, diagnosis = run_case(case)
    return name, sorted(f.name for f in diagnosis.problems), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    from zoo_cases import CASES, score

    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = {name: (found, seconds) for name, found, seconds in pool.map(_run, [c.name for c in CASES])}
    print("| case | round | must find | the doctor said | |")
    print("|---|---|---|---|---|")
    for c in CASES:
        found, _ = results[c.name]
        wrong = set(found) - {c.expected, *c.acceptable}
        ok = (c.expected in found if c.expected else not found) and not wrong
        print(f"| {c.name} | {c.held_out} | {c.expected or '(healthy)'} | {', '.join(found) or 'healthy'} | "
              f"{'ok' if ok else 'MISS' if c.expected and c.expected not in found else 'WRONG'} |")  # fmt: skip
    print()
    print("| round | broken runs | found | recall | healthy runs | flagged | problem findings | correct | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    groups = {label: [c for c in CASES if c.held_out == r] for r, label in ROUNDS.items()}
    groups[f"held out (1-{max(c.held_out for c in CASES)})"] = [c for c in CASES if c.held_out]
    groups["all"] = list(CASES)
    for label, cases in groups.items():
        s = score({c.name: set(results[c.name][0]) for c in cases})
        healthy = [c for c in cases if c.expected is None]
        flagged = sum(bool(results[c.name][0]) for c in healthy)
        print(f"| {label} | {s['broken']} | {s['found']} | {s['recall']:.2f} | {len(healthy)} | {flagged} | "
              f"{s['reported']} | {s['correct']} | {s['precision']:.2f} |")  # fmt: skip
    total = sum(seconds for _, seconds in results.values())
    print(f"\n{len(CASES)} runs, {total:.0f} s of training and diagnosis in total, {time.perf_counter() - started:.0f} s "
          f"wall on {args.jobs} processes")  # fmt: skip


if __name__ == "__main__":
    main()
