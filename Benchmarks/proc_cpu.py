"""CPU ticks (utime + stime from /proc/<pid>/stat) of `plexus up` and every process under it, named
by service (`plexus serve <name>`), `postgres` (all of its processes) or `up`. The benchmark scripts
read them before and after a run and divide by the requests it completed.

    python3 Benchmarks/proc_cpu.py <pid of plexus up>     prints name=ticks for each name
"""
import os
import sys


def processes(up):
    """pid → (name, cpu ticks) for `up` and everything under it (services, PostgreSQL)."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit(): continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(pid))
        except OSError: pass
    found, todo = {}, [up]
    while todo:
        pid = todo.pop()
        try:
            stat = open(f"/proc/{pid}/stat").read()
            fields = stat[stat.rindex(")") + 2:].split()
            cmd = open(f"/proc/{pid}/cmdline").read().split("\0")
            name = cmd[2] if len(cmd) > 2 and cmd[1] == "serve" else ("postgres" if "postgres" in cmd[0] else "up")
            found[pid] = (name, int(fields[11]) + int(fields[12]))
        except OSError: pass
        todo += children.get(pid, [])
    if len(found) < 3:
        sys.exit(f"could not find the processes under plexus up (pid {up}): {found}")
    return found


if __name__ == "__main__":
    usage = {}
    for name, ticks in processes(int(sys.argv[1])).values():
        usage[name] = usage.get(name, 0) + ticks
    print(" ".join(f"{name}={ticks}" for name, ticks in usage.items()))
