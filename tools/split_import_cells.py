"""Move top-level imports out of mixed cells into their own cell just above (nbdev convention).

nbdev's doc processor executes every cell that contains an import; a cell that also uses earlier
state then fails during `nbdev_proc_nbs`. Usage: python tools/split_import_cells.py nbs/*.ipynb
"""
import ast
import sys

import nbformat


def split(nb) -> int:
    out, n = [], 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            out.append(cell); continue
        lines = cell.source.splitlines()
        directives = [l for l in lines if l.lstrip().startswith("#|")]
        if any(d.split("|", 1)[1].strip().split()[0:1] and d.split("|", 1)[1].strip().split()[0] in
               ("export", "exports", "exporti", "exec_doc", "default_exp") for d in directives):
            out.append(cell); continue
        try: tree = ast.parse(cell.source)
        except SyntaxError:
            out.append(cell); continue
        imps = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        others = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
        if not imps or not others:
            out.append(cell); continue
        imp_lines = set()
        for s in imps: imp_lines.update(range(s.lineno, s.end_lineno + 1))
        imp_src = "\n".join(lines[i - 1] for i in sorted(imp_lines))
        rest = "\n".join(l for i, l in enumerate(lines, 1) if i not in imp_lines)
        keep = [d for d in directives if d.split("|", 1)[1].strip().startswith("hide")]
        new = nbformat.v4.new_code_cell("\n".join(keep + [imp_src]))
        new.metadata = {}
        cell.source = rest.strip("\n")
        out += [new, cell]; n += 1
    nb.cells = out
    return n


if __name__ == "__main__":
    for p in sys.argv[1:]:
        nb = nbformat.read(p, as_version=4)
        k = split(nb)
        if k:
            nbformat.write(nb, p)
            print(f"{p}: split {k} cells")
