"""agentkit's cost per tool-calling iteration against the transport floor, a hand-written loop over the raw openai
SDK, and the peers.

All run the same 3-iteration conversation (two tool calls, then the answer) against FakeOpenAIServer on loopback,
the server in its own process: the floor with httpx2 and json only, the others through the official openai client.
Part 1: sequential conversations with no server latency, time per iteration (median of interleaved rounds) and the
ratios to the floor and to the raw SDK loop. Part 2: 1, 64 and 256 concurrent conversations with 50 ms server
latency, throughput and the same ratios. Peers that are not installed (``pip install -e '.[bench]'``) are skipped.

    python benchmarks/overhead.py                    # full run, a few minutes
    python benchmarks/overhead.py --quick            # a smoke run
    python benchmarks/overhead.py --sequential-only  # part 1 only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loops import LOOPS, Close, RunOne  # noqa: E402

ITERATIONS_PER_CONVERSATION = 3


@contextlib.contextmanager
def server_process(latency: float) -> Iterator[str]:
    command = [sys.executable, str(Path(__file__).with_name("_server.py")), str(latency)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close() if process.stdout else None


async def time_sequential(run_one: RunOne, conversations: int) -> tuple[float, float]:
    """Seconds per iteration over ``conversations`` conversations in a row: wall time, and this process's CPU time
    (the server runs in another process, so the CPU time is the client's own cost, less noisy on a shared machine)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(conversations):
        await run_one()
    iterations = conversations * ITERATIONS_PER_CONVERSATION
    return (time.perf_counter() - started) / iterations, (time.process_time() - cpu_started) / iterations


async def throughput(run_one: RunOne, concurrency: int, per_worker: int) -> float:
    """Iterations per second with ``concurrency`` conversations in flight."""

    async def worker() -> None:
        for _ in range(per_worker):
            await run_one()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return concurrency * per_worker * ITERATIONS_PER_CONVERSATION / elapsed


def available_loops(base_url: str) -> dict[str, tuple[RunOne, Close]]:
    loops: dict[str, tuple[RunOne, Close]] = {}
    for name, factory in LOOPS.items():
        try:
            loops[name] = factory(base_url)
        except ImportError as error:  # a peer that is not installed
            print(f"skipped {name}: {error}", file=sys.stderr)
    return loops


async def sequential_part(
    base_url: str, rounds: int, conversations: int
) -> tuple[dict[str, float], dict[str, float]]:
    loops = available_loops(base_url)
    samples: dict[str, list[float]] = {name: [] for name in loops}
    cpu_samples: dict[str, list[float]] = {name: [] for name in loops}
    for run_one, _ in loops.values():  # warm up connections, imports and caches
        for _ in range(20):
            await run_one()
    for _ in range(rounds):  # interleaved, so drift on the machine hits every loop alike
        for name, (run_one, _) in loops.items():
            wall, cpu = await time_sequential(run_one, conversations)
            samples[name].append(wall)
            cpu_samples[name].append(cpu)
    for _, close in loops.values():
        await close()
    return _medians(samples), _medians(cpu_samples)


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in samples.items()}


async def concurrent_part(base_url: str, concurrency: int, per_worker: int) -> dict[str, float]:
    results: dict[str, float] = {}
    for name, (run_one, close) in available_loops(base_url).items():
        await throughput(run_one, min(concurrency, 8), 1)  # warm up
        results[name] = await throughput(run_one, concurrency, per_worker)
        await close()
    return results


def print_table(title: str, unit: str, values: dict[str, float], scale: float, better: str) -> None:
    floor, raw = values["bare httpx2 (floor)"], values["raw openai SDK"]
    print(f"\n{title} ({better})\n| loop | {unit} | ratio to the floor | ratio to raw SDK |\n|---|---:|---:|---:|")
    for name, value in values.items():
        print(f"| {name} | {value * scale:,.1f} | {value / floor:.2f} | {value / raw:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    parser.add_argument("--sequential-only", action="store_true", help="part 1 only (time per iteration)")
    args = parser.parse_args()
    rounds, conversations, per_worker = (3, 20, 2) if args.quick else (7, 100, 4)
    print(f"python {sys.version.split()[0]}, {ITERATIONS_PER_CONVERSATION} iterations per conversation")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with server_process(0.0) as base_url:
        per_iteration, cpu_per_iteration = asyncio.run(sequential_part(base_url, rounds, conversations))
    print_table("Sequential, no server latency: time per iteration", "µs", per_iteration, 1e6, "lower is better")
    print_table(
        "Sequential, no server latency: client CPU time per iteration", "µs", cpu_per_iteration, 1e6, "lower is better"
    )
    print(f"load average after part 1: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.sequential_only:
        return
    with server_process(0.05) as base_url:
        for concurrency in (1, 64, 256):
            rates = asyncio.run(concurrent_part(base_url, concurrency, per_worker))
            print_table(
                f"{concurrency} concurrent conversations, 50 ms latency: throughput",
                "iterations/s",
                rates,
                1,
                "higher is better",
            )


if __name__ == "__main__":
    main()
