#!/usr/bin/env python3
"""check-layers: the call graph between the source files of a built module,
read from its objects' symbols (which file uses what another defines), and
whether it has a loop: two files that depend on each other, directly or
through others. Prints the layers (each file after everything it uses).

  tools/check-layers.py [--nm NM] OBJECT...
                                     (make check-layers: iphlpapi's x86_64 objects)
Exit 1 with the loop when there is one."""
import os
import subprocess
import sys


def symbols(nm, path):
    defined, used = set(), set()
    out = subprocess.run([nm, path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defined.add(parts[2])
    return defined, used


def main():
    args = sys.argv[1:]
    nm = "x86_64-w64-mingw32-nm"
    if args[:1] == ["--nm"]:
        nm, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    defs, uses = {}, {}
    for o in sorted(args):
        name = os.path.basename(o)[:-2] + ".c"
        defs[name], uses[name] = symbols(nm, o)
    owner = {}
    for name, ds in defs.items():
        for s in ds:
            owner.setdefault(s, name)
    deps = {name: sorted({owner[s] for s in us if s in owner and owner[s] != name}) for name, us in uses.items()}

    # layers: repeatedly take the files whose dependencies are all placed
    placed, layers = set(), []
    while len(placed) < len(deps):
        layer = sorted(n for n in deps if n not in placed and all(d in placed for d in deps[n]))
        if not layer:
            break
        layers.append(layer)
        placed.update(layer)
    for i, layer in enumerate(layers):
        print("layer %d: %s" % (i, " ".join(layer)))
    rest = [n for n in deps if n not in placed]
    if not rest:
        print("check-layers: %d files, no loop" % len(deps))
        return 0
    # show one loop among the rest
    start = rest[0]
    path, seen = [start], {start: 0}
    while True:
        nxt = next(d for d in deps[path[-1]] if d in rest)
        if nxt in seen:
            loop = path[seen[nxt]:] + [nxt]
            break
        seen[nxt] = len(path)
        path.append(nxt)
    print("check-layers: a loop: %s" % " -> ".join(loop))
    for a, b in zip(loop, loop[1:]):
        used = sorted(s for s in uses[a] if owner.get(s) == b)
        print("  %s uses %s's %s" % (a, b, ", ".join(used)))
    return 1


sys.exit(main())
