"""List the public callables of medfair whose parameters are not documented.

A parameter counts as documented when nbdev's `docments` finds text for it: an inline `# ...` comment after the
parameter, or a numpydoc `Parameters` section in the docstring (the form to use for dataclasses). Run: python tools/check_docs.py [module ...]
"""
import importlib, inspect, pkgutil, sys
from fastcore.docments import docments

import medfair

SKIP_PARAMS = {"self", "cls"}


def public_callables(modname):
    mod = importlib.import_module(modname)
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name, None)
        if inspect.isfunction(obj) and obj.__module__ == modname: yield name, obj
        elif inspect.isclass(obj) and obj.__module__ == modname:
            init = obj.__dict__.get("__init__")
            if "__dataclass_fields__" in obj.__dict__: yield name, obj     # its generated __init__ has no source
            elif inspect.isfunction(init): yield name, init
            for m, f in obj.__dict__.items():
                if inspect.isfunction(f) and not m.startswith("_"): yield f"{name}.{m}", f


def undocumented(f):
    try: sig = inspect.signature(f)
    except (TypeError, ValueError): return []
    params = [p for p in sig.parameters.values() if p.name not in SKIP_PARAMS
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not params: return []
    try: d = docments(f, full=False)
    except Exception: d = {}
    return [p.name for p in params if not d.get(p.name)]


def main(argv):
    mods = argv or sorted(m.name for m in pkgutil.iter_modules(medfair.__path__, "medfair.") if not m.name.split(".")[-1].startswith("_"))
    total = bad = 0
    for m in mods:
        for name, f in public_callables(m):
            miss = undocumented(f); total += 1
            if miss:
                bad += 1; print(f"{m}.{name}: {', '.join(miss)}")
    print(f"{bad} of {total} public callables have undocumented parameters", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
