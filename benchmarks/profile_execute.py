"""Where the time of one ``execute`` iteration goes: cProfile over many sequential conversations, against the bare
httpx2 loop (the floor) profiled the same way, with the server in its own process (not in the profile).

    python benchmarks/profile_execute.py [--conversations 2000] [--loop agentkit] [--sort tottime] [--limit 40]
    python benchmarks/profile_execute.py --loop "bare httpx2 (floor)" --dump /tmp/floor.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loops import LOOPS  # noqa: E402
from overhead import ITERATIONS_PER_CONVERSATION, server_process  # noqa: E402


async def profiled(base_url: str, loop: str, conversations: int, profile: cProfile.Profile) -> float:
    run_one, close = LOOPS[loop](base_url)
    try:
        for _ in range(50):  # warm up connections, imports and caches, outside the profile
            await run_one()
        started = time.process_time()
        profile.enable()
        for _ in range(conversations):
            await run_one()
        profile.disable()
        return (time.process_time() - started) / (conversations * ITERATIONS_PER_CONVERSATION)
    finally:
        await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--loop", default="agentkit", choices=sorted(LOOPS))
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--dump", help="also write the raw profile here (for pstats or snakeviz)")
    args = parser.parse_args()
    profile = cProfile.Profile()
    with server_process(0.0) as base_url:
        cpu = asyncio.run(profiled(base_url, args.loop, args.conversations, profile))
    print(f"{args.loop}: {cpu * 1e6:,.0f} µs of client CPU per iteration under the profiler")
    if args.dump:
        profile.dump_stats(args.dump)
    pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
