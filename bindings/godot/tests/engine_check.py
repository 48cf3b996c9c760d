#!/usr/bin/env python3
"""Judges a Godot engine log (from scripts/godot) for `make godot-test`.

    engine_check.py LOG [--summary] [--allow-push-error] [--expect TEXT]...

Fails (exit 1) on any engine error line that no test announced, on a crash, on the engine's
leak report at exit, and with --summary when the closing "godot-engine: N passed, 0 failed"
line is missing or counts a failure. A test announces an error it provokes on purpose with a
line "EXPECT-ERROR: <text>"; each announcement allows one later error line containing <text>.
--allow-push-error lets error lines raised by a script's own push_error() pass (the example
project reports the seed's failing sample password that way); script errors still fail.
--expect TEXT requires a line containing TEXT.
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
    args = sys.argv[2:]
    want_summary = "--summary" in args
    allow_push_error = "--allow-push-error" in args
    required = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--expect"]
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        # Godot colours some lines; judge the text only.
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", l.rstrip("\n")) for l in f]
    expected: list[str] = []
    problems: list[str] = []
    summary = None
    for n, line in enumerate(lines):
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
            pushed = n + 1 < len(lines) and "at: push_error (" in lines[n + 1]
            if hit is not None:
                expected.remove(hit)
            elif not (allow_push_error and pushed and line.startswith("ERROR:")):
                problems.append(line)
    for e in expected:
        problems.append(f"announced error never printed: {e}")
    for r in required:
        if not any(r in line for line in lines):
            problems.append(f"no line contains: {r}")
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
