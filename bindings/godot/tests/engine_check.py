#!/usr/bin/env python3
"""Judges a Godot engine log (from scripts/godot) for `make godot-test`.

    engine_check.py LOG [--summary]

Fails (exit 1) on any engine error line that no test announced, on the engine's leak report
at exit, and with --summary when the closing "godot-engine: N passed, 0 failed" line is
missing or counts a failure. A test announces an error it provokes on purpose with a line
"EXPECT-ERROR: <text>"; each announcement allows one later error line containing <text>.
"""
import re
import sys

# Engine lines that are failures wherever they appear.
ERROR_LINE = re.compile(r"^(SCRIPT ERROR|ERROR|USER ERROR|USER SCRIPT ERROR):")
LEAK_LINE = re.compile(r"leaked at exit|still in use at exit|Pages in use exist at exit")
CRASH_LINE = re.compile(r"handle_crash|Program crashed|FATAL")
SUMMARY = re.compile(r"^godot-engine: (\d+) passed, (\d+) failed$")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    want_summary = "--summary" in sys.argv[2:]
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        # Godot colours some lines; judge the text only.
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", l.rstrip("\n")) for l in f]
    expected: list[str] = []
    problems: list[str] = []
    summary = None
    for line in lines:
        if line.startswith("EXPECT-ERROR: "):
            expected.append(line[len("EXPECT-ERROR: "):])
            continue
        m = SUMMARY.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
            continue
        if CRASH_LINE.search(line) or LEAK_LINE.search(line):
            problems.append(line)
            continue
        if ERROR_LINE.match(line):
            hit = next((e for e in expected if e in line), None)
            if hit is None:
                problems.append(line)
            else:
                expected.remove(hit)
    for e in expected:
        problems.append(f"announced error never printed: {e}")
    if want_summary:
        if summary is None:
            problems.append("no closing 'godot-engine: N passed, M failed' line")
        elif summary[1] != 0 or summary[0] == 0:
            problems.append(f"suite reported {summary[0]} passed, {summary[1]} failed")
    for p in problems:
        print(f"engine-check: {p}", file=sys.stderr)
    if problems:
        print(f"engine-check: {sys.argv[1]}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
