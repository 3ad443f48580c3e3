"""One Markdown row from a wrk run and the CPU ticks read before and after it.

    python3 Benchmarks/wrk_row.py <label> "<ticks before>" "<ticks after>" <wrk output file>

Ticks are `name=ticks` pairs as `proc_cpu.py` prints them. The row carries requests/s, p50, p99 and
CPU time per completed request for every process that used at least 5 µs per request (idle services tick a little).
"""
import os
import re
import sys

label, before, after, path = sys.argv[1:5]
parse = lambda text: dict(item.split("=") for item in text.split())
before, after = parse(before), parse(after)
text = open(path).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
latency = lambda p: re.search(rf"^\s+{p}%\s+(\S+)", text, re.M).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
tick = os.sysconf("SC_CLK_TCK")
cpu = []
for name in sorted(after):
    used = (int(after[name]) - int(before.get(name, 0))) / tick / max(requests, 1) * 1e6
    if used >= 5: cpu.append(f"{name} {used:.0f} µs")
note = f" ({errors.group(1)} non-2xx)" if errors else ""
rate = f"{rate:,.0f}".replace(",", " ")
print(f"| {label} | {rate}{note} | {latency(50)} | {latency(99)} | {', '.join(cpu)} |")
