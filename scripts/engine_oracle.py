"""Write tests/data/engine_oracle.json.gz: the reference engine's answers on generated architectures.

    PYTHONPATH=. python scripts/engine_oracle.py [COUNT]      # default 3,000 examples (~2,100 distinct)
    PYTHONPATH=. python scripts/engine_oracle.py 3000 1500 3000 part2.json.gz   # a slice, to run in parallel
    PYTHONPATH=. python scripts/engine_oracle.py --merge part1.json.gz part2.json.gz   # slices -> the file

The architectures come from the fuzz generator (tests/test_fuzz.py, derandomized); each is resolved
with ``vcbound.asymptotics_reference`` (the asymptotic engine before issue 13, kept unchanged as the
oracle) as the resolver's asymptotics. tests/test_engine_equivalence.py resolves the same texts with
the fast engine and compares. Re-run this after a change to the semantics of the asymptotics (made in
both modules) or to the theorem base. An architecture the reference engine cannot resolve within
TIME_LIMIT seconds is left out and counted in the file's ``skipped``.
"""
from __future__ import annotations

import gzip
import json
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TIME_LIMIT = 10          # seconds of CPU time (not wall-clock: the machine may be shared)


def texts(count: int) -> list[str]:
    from hypothesis import HealthCheck, Phase, given, settings
    from test_fuzz import architecture
    out: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(architecture())
    def collect(arch):
        if arch[0] not in out:
            out.append(arch[0])

    collect()
    return out


class _Slow(BaseException):          # never swallowed by an "except Exception" on the way
    pass


OUT = ROOT / "tests" / "data" / "engine_oracle.json.gz"


def write(cases, skipped, out=None) -> None:
    from engine_answers import pipeline_fingerprint
    data = json.dumps({"engine": "vcbound.asymptotics_reference", "time_limit_cpu_s": TIME_LIMIT,
                       "fingerprint": pipeline_fingerprint(), "skipped": skipped, "cases": cases}, indent=1)
    # gzip with a fixed mtime: the same answers give the same bytes (a clean diff when nothing moved)
    (out or OUT).write_bytes(gzip.compress(data.encode(), mtime=0))


def read(path) -> dict:
    return json.loads(gzip.decompress(Path(path).read_bytes()))


def main() -> int:
    if sys.argv[1:2] == ["--merge"]:
        parts = [read(p) for p in sys.argv[2:]]
        cases, seen = [], set()
        for c in (c for p in parts for c in p["cases"]):
            if c["text"] not in seen:
                seen.add(c["text"])
                cases.append(c)
        write(cases, sorted({t for p in parts for t in p["skipped"]} - seen))
        return 0
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    start_i, stop_i = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (0, count)
    out = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    from vcbound import asymptotics_reference
    from engine_answers import answer_signature
    cases, skipped = [], []

    def alarm(*_):
        raise _Slow

    signal.signal(signal.SIGVTALRM, alarm)
    start = time.process_time()
    for i, text in enumerate(texts(count)[start_i:stop_i], start_i):
        # repeating every second after the limit: a raise that lands in a callback that swallows it
        # (hypothesis's gc callback prints "Exception ignored") is raised again
        signal.setitimer(signal.ITIMER_VIRTUAL, TIME_LIMIT, 1.0)
        try:
            cases.append({"text": text, "answer": answer_signature(text, asymptotics_reference, normal=True)})
        except _Slow:
            skipped.append(text)
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        if i % 20 == 0:
            print(i, f"{time.process_time() - start:.1f} s", flush=True)
            write(cases, skipped, out)       # partial results survive an interrupted run
    write(cases, skipped, out)
    print(f"{len(cases)} answers, {len(skipped)} skipped, {time.process_time() - start:.1f} s CPU -> {out or OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
