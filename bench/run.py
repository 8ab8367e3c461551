"""The benchmarks: `make bench`, i.e. `python -m bench.run [--only SCENARIO] [--repeat N]`.

Each scenario runs the real command line, `vbp simulate FILE > /dev/null`, as a child process,
and reports its median wall time and its peak resident memory beside the target SPEC and the
brief set.  The same run times the mere decoding of the same JSON file (`json.load` in a fresh
interpreter) as a baseline, so a figure can be read independently of the machine: "simulate
takes 30× as long as reading its input".

Figures are printed, never asserted: a benchmark is not a test.  The exit status is non-zero only
when a command fails.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.generate import PRESETS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PARSE_ONLY = "import json,sys; json.load(open(sys.argv[1]))"
MB = 1024 * 1024  # figures in MiB, as `ru_maxrss` counts


@dataclass(frozen=True)
class Scenario:
    name: str
    preset: str
    extra_args: tuple[str, ...]
    repeat: int
    target_seconds: float
    target_mb: float | None

    @property
    def target(self) -> str:
        text = f"≤ {self.target_seconds:g} s"
        if self.target_mb is None:
            return text
        if self.target_mb >= 1024:
            return f"{text}, ≤ {self.target_mb / 1024:g} GB"
        return f"{text}, ≤ {self.target_mb:g} MB"


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("provincial", "provincial", (), 5, 3, 500),
        Scenario("mincost", "provincial", ("--allocation", "min_cost"), 3, 15, None),
        Scenario("national", "national", (), 1, 60, 4096),
    )
}


@dataclass(frozen=True)
class Measurement:
    seconds: tuple[float, ...]
    peak_rss_bytes: int | None  # the largest over the runs; None when it cannot be measured
    error: str | None = None  # the last lines of standard error of a run that failed

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# -- running a child and measuring it -------------------------------------------------------------


def _gnu_time() -> str | None:
    """/usr/bin/time when it is GNU time (it understands -f and -o)."""
    path = shutil.which("time", path="/usr/bin:/bin")
    if path is None:
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


def _run_once(command: Sequence[str]) -> tuple[float, int | None, int, str]:
    """Run `command` with standard output to /dev/null: (wall seconds, peak RSS bytes or None,
    exit code, standard error).

    The child's own peak RSS comes from `os.wait4`, which returns the resource usage of exactly
    that child (getrusage(RUSAGE_CHILDREN) would give the largest child so far instead).  Where
    wait4 does not exist, GNU /usr/bin/time reports it; failing both, it is not measured.
    """
    with tempfile.TemporaryFile() as err:
        if hasattr(os, "wait4"):
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            child.returncode = code = os.waitstatus_to_exitcode(status)
            # Linux counts ru_maxrss in KiB, macOS in bytes
            rss: int | None = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        else:
            gnu_time = _gnu_time()
            with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
                wrapped = (
                    [gnu_time, "-f", "%M", "-o", report.name, *command] if gnu_time else command
                )
                started = time.perf_counter()
                code = subprocess.run(
                    wrapped, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT
                ).returncode
                seconds = time.perf_counter() - started
                text = report.read().strip().splitlines()
                rss = int(text[-1]) * 1024 if gnu_time and text and text[-1].isdigit() else None
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return seconds, rss, code, stderr


def measure(command: Sequence[str], repeat: int) -> Measurement:
    times: list[float] = []
    peak: int | None = None
    for _ in range(repeat):
        seconds, rss, code, stderr = _run_once(command)
        if code != 0:
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            return Measurement(tuple(times) or (seconds,), peak, f"exit {code}: {tail}")
        times.append(seconds)
        if rss is not None:
            peak = max(peak or 0, rss)
    return Measurement(tuple(times), peak)


# -- documents ------------------------------------------------------------------------------------


def document_path(preset: str, seed: int) -> Path:
    return OUT / f"{preset}-seed{seed}.json"


def ensure_document(preset: str, seed: int, *, regenerate: bool) -> Path:
    """The preset's document, generated when missing or older than the generator."""
    path = document_path(preset, seed)
    generator = ROOT / "bench" / "generate.py"
    if regenerate or not path.exists() or path.stat().st_mtime < generator.stat().st_mtime:
        print(f"generating {path.relative_to(ROOT)} …", flush=True)
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--preset", preset, "--seed", str(seed),
             "-o", str(path)],
            cwd=ROOT,
            check=True,
        )  # fmt: skip
    return path


# -- report ---------------------------------------------------------------------------------------


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f}"


def _verdict(scenario: Scenario, m: Measurement) -> str:
    if m.error:
        return "FAILED"
    over = m.median > scenario.target_seconds
    if scenario.target_mb is not None and m.peak_rss_bytes is not None:
        over = over or m.peak_rss_bytes / MB > scenario.target_mb
    return "over target" if over else "within"


def print_table(rows: list[tuple[Scenario, int, Measurement, Measurement]]) -> None:
    header = (
        "scenario", "lines", "runs", "median s", "min s", "peak RSS MB", "target",
        "parse s", "parse MB", "× parse", "vs target",
    )  # fmt: skip
    table = [header]
    for scenario, lines, sim, parse in rows:
        ratio = sim.median / parse.median if parse.median > 0 and not sim.error else None
        table.append(
            (
                scenario.name,
                f"{lines:,}",
                str(len(sim.seconds)),
                f"{sim.median:.2f}",
                f"{min(sim.seconds):.2f}",
                _mb(sim.peak_rss_bytes),
                scenario.target,
                f"{parse.median:.2f}",
                _mb(parse.peak_rss_bytes),
                "n/a" if ratio is None else f"{ratio:.1f}",
                _verdict(scenario, sim),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    right = {1, 2, 3, 4, 5, 7, 8, 9}
    for n, row in enumerate(table):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{memory}, "
        f"Python {platform.python_version()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="run the vbp benchmarks"
    )
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), help="run this scenario (repeatable)"
    )
    parser.add_argument("--repeat", type=int, help="runs per scenario (default 5/3/1)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the documents")
    parser.add_argument(
        "--vbp",
        default=str(Path(sys.executable).parent / "vbp"),
        help="the vbp command (default: next to this Python)",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    chosen = [SCENARIOS[name] for name in SCENARIOS if not args.only or name in args.only]

    print(f"vbp benchmarks — {_machine()}")
    print(f"command: {args.vbp} simulate FILE [args] > /dev/null; peak RSS by "
          f"{'os.wait4' if hasattr(os, 'wait4') else 'GNU time'}")  # fmt: skip
    rows: list[tuple[Scenario, int, Measurement, Measurement]] = []
    baselines: dict[Path, Measurement] = {}
    for scenario in chosen:
        path = ensure_document(scenario.preset, args.seed, regenerate=args.regenerate)
        repeat = args.repeat or scenario.repeat
        size = path.stat().st_size / 1e6
        print(
            f"{scenario.name}: {path.relative_to(ROOT)} ({size:.1f} MB), {repeat} run(s) …",
            flush=True,
        )
        if path not in baselines or len(baselines[path].seconds) < repeat:
            baselines[path] = measure([sys.executable, "-c", PARSE_ONLY, str(path)], repeat)
        sim = measure([args.vbp, "simulate", str(path), *scenario.extra_args], repeat)
        if sim.error:
            print(f"  {scenario.name} failed — {sim.error}", file=sys.stderr)
        rows.append((scenario, PRESETS[scenario.preset].demand_lines, sim, baselines[path]))

    print()
    print_table(rows)
    print()
    print("median s / min s: wall time of `vbp simulate` (interpreter start-up included);")
    print("peak RSS MB: the child's largest resident set over the runs (MiB);")
    print("parse s / parse MB: `json.load` of the same file in a fresh interpreter;")
    print("× parse: median simulate time / median parse time.  Figures only, never asserted.")
    return 1 if any(sim.error for _, _, sim, _ in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
