"""Generate README.md from nbs/index.ipynb without Quarto (nbdev 2's `nbdev_readme` needs Quarto).

Deterministic: the README depends only on the notebook's stored sources and outputs, so a test can
regenerate it and compare. Cells flagged `#| hide` are left out; nbdev directives are stripped.
Usage: python tools/make_readme.py [--check]
"""
from __future__ import annotations
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^\s*#\s*\|")


def _directives(src: str) -> list[str]:
    return [l.split("|", 1)[1].strip() for l in src.splitlines() if DIRECTIVE.match(l)]


def _output_text(out) -> str | None:
    if out.output_type == "stream": return "".join(out.text)
    if out.output_type in ("execute_result", "display_data"):
        data = out.get("data", {})
        if "text/markdown" in data: return None
        if "text/plain" in data: return "".join(data["text/plain"])
    return None


def render(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts: list[str] = ["<!-- WARNING: generated from nbs/index.ipynb by tools/make_readme.py; do not edit -->"]
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown":
            parts.append(src.strip())
        elif cell.cell_type == "code":
            dirs = _directives(src)
            if any(d.startswith(("hide", "exporti")) for d in dirs): continue
            code = "\n".join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip()
            if code and not any(d.startswith("hide_input") for d in dirs): parts.append(f"```python\n{code}\n```")
            for out in cell.get("outputs", []):
                txt = _output_text(out)
                if txt and txt.strip(): parts.append("    " + txt.rstrip().replace("\n", "\n    "))
    return "\n\n".join(p for p in parts if p) + "\n"


def main(argv: list[str]) -> int:
    text = render(ROOT / "nbs" / "index.ipynb")
    readme = ROOT / "README.md"
    if "--check" in argv:
        if not readme.exists() or readme.read_text(encoding="utf-8") != text:
            print("README.md is out of date with nbs/index.ipynb: run `make readme`", file=sys.stderr)
            return 1
        return 0
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {readme.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
