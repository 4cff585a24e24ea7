"""Finding this test's own processes (by parentage, in /proc) and reading a running sweep's
per-trial results, for the fault tests that SIGKILL processes by PID."""

from __future__ import annotations

import json
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process started under ``pid``, however deep."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def results(sweep_dir: Path) -> dict[str, list[dict]]:
    """Each trial's results so far (Tune's result.json, one line per report), by trial id."""
    found = {}
    for log in sweep_dir.glob("*/result.json"):
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        try:
            found[log.parent.name] = [json.loads(line) for line in lines]
        except json.JSONDecodeError:  # a line being written
            continue
    return found
