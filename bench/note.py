"""Time drafting and rendering the demo's Discussion Note of 21 June 2007 in each format.

Loads the demo into a throwaway SQLite database (in a temporary directory), then drafts
the English note from the data and renders it as HTML, PDF and DOCX, several times each,
and reports the median seconds per step. The exit status is 1 if a step's median
exceeds its target. Usage: python bench/note.py [--runs N] [--lang en|fr|es]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
# Seconds, median of the runs.
TARGETS = {"draft": 1.0, "parse": 0.1, "html": 0.5, "pdf": 5.0, "docx": 1.0}


def median_time(function, runs: int) -> tuple[float, object]:
    """The median seconds of `runs` calls of `function`, and its last result."""
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--lang", default="en", choices=("en", "fr", "es"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dialogue-bench-note-") as directory:
        os.environ["DIALOGUE_DATA_DIR"] = directory
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogue.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        from dialogue.demo import loader, note_loader
        from dialogue.documents import note_render, notes

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        loader.load_all()
        loading = time.perf_counter() - started

        consultation = note_loader.note_consultation()
        meta = notes.note_meta(consultation, args.lang)
        rows = []
        seconds, text = median_time(lambda: notes.draft_text(consultation, args.lang), args.runs)
        rows.append(("draft", seconds, len(text.encode("utf-8"))))
        seconds, note = median_time(lambda: notes.parse(text), args.runs)
        rows.append(("parse", seconds, len(note.blocks)))
        for file_format in ("html", "pdf", "docx"):
            seconds, content = median_time(
                lambda f=file_format: note_render.render(note, meta, f), args.runs
            )
            rows.append((file_format, seconds, len(content)))

    out = sys.stdout
    out.write(
        f"The demo's Discussion Note of 21 June 2007 ({args.lang}), median of {args.runs} runs; "
        f"demo loaded in {loading:.1f} s (not timed against a target).\n\n"
    )
    out.write(f"{'step':<8} {'seconds':>8} {'size':>10} {'target':>8} {'of target':>10}\n")
    for name, seconds, size in rows:
        unit = "blocks" if name == "parse" else "bytes"
        out.write(
            f"{name:<8} {seconds:>8.3f} {size:>10,} {TARGETS[name]:>7g}s "
            f"{seconds / TARGETS[name]:>9.0%}  ({unit})\n"
        )
    slow = [name for name, seconds, _size in rows if seconds > TARGETS[name]]
    if slow:
        out.write(f"\nOver target: {', '.join(slow)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
