"""Document rendering: .docx forms per second, measured by the documents module's own benchmark function."""

from __future__ import annotations

from pathlib import Path

from .common import Figure, Sizes, Unavailable, median


def run(sizes: Sizes, templates_dir: Path) -> list[Figure]:
    try:
        from ..bench_docs import bench_docx
    except ImportError:
        try:
            from ..documents import bench_docx  # type: ignore[attr-defined,no-redef]
        except ImportError as exc:
            raise Unavailable(f"no bench_docx in workflows.bench_docs or workflows.documents ({exc})") from exc
    bench_docx(templates_dir, 1)  # warm-up: template loading, imports
    rates = [bench_docx(templates_dir, sizes.docx) for _ in range(sizes.repeats)]
    return [Figure("docx_per_s", median(rates), "docs/s", "att1 (work-group application form)")]
