"""CPU ticks (utime + stime from /proc/<pid>/stat) of `plexus up` and every process under it, named
by service (`plexus serve <name>`), `postgres` (all of its processes) or `up`. The benchmark scripts
read them before and after a run and divide by the requests it completed.

    python3 Benchmarks/proc_cpu.py <pid of plexus up> [name=pid ...]    prints name=ticks for each name

Each `name=pid` adds a process outside `plexus up` (with everything under it, e.g. nginx's workers)
under that name: the anchors `Benchmarks/path.sh` measures beside the services.
"""
import os
import sys


def stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (parent pid is [1], utime [11], stime [12])."""
    stat = open(f"/proc/{pid}/stat").read()
    return stat[stat.rindex(")") + 2:].split()


def tree(root):
    """pid → cpu ticks of `root` and everything under it."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit(): continue
        try: children.setdefault(int(stat_fields(pid)[1]), []).append(int(pid))
        except OSError: pass
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = stat_fields(pid)
            found[pid] = int(fields[11]) + int(fields[12])
        except OSError: pass
        todo += children.get(pid, [])
    return found


def processes(up):
    """pid → (name, cpu ticks) for `up` and everything under it (services, PostgreSQL)."""
    found = {}
    for pid, ticks in tree(up).items():
        try: cmd = open(f"/proc/{pid}/cmdline").read().split("\0")
        except OSError: continue
        name = cmd[2] if len(cmd) > 2 and cmd[1] == "serve" else ("postgres" if "postgres" in cmd[0] else "up")
        found[pid] = (name, ticks)
    if len(found) < 3:
        sys.exit(f"could not find the processes under plexus up (pid {up}): {found}")
    return found


if __name__ == "__main__":
    usage = {}
    for name, ticks in processes(int(sys.argv[1])).values():
        usage[name] = usage.get(name, 0) + ticks
    for extra in sys.argv[2:]:
        name, pid = extra.split("=")
        usage[name] = sum(tree(int(pid)).values())
    print(" ".join(f"{name}={ticks}" for name, ticks in usage.items()))
