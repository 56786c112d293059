#!/usr/bin/env python3
"""cycles.py — import cycles between the source files of convscope.

Default (the include graph): a module is a file stem (x.c with x.h); module X imports module Y when x.c or x.h
has #include "y.h". With --calls (the link graph, from a build): file X depends on file Y when X's object uses a
symbol Y's object defines (nm), i.e. X calls into Y whatever headers it went through. A cycle is a strongly
connected set of two or more modules; each is printed with the edges that close it, then the count.
Usage: tools/cycles.py [--calls [BUILD_DIR]]. Always exits 0: a measuring tool (docs/ARCHITECTURE.md)."""
import os
import re
import subprocess
import sys


def include_graph(root="src"):
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith((".c", ".h"))]
    edges = {}
    for f in files:
        m = f[:-2]
        edges.setdefault(m, {})
        for line in open(f, errors="replace"):
            r = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not r:
                continue
            for c in (os.path.normpath(os.path.join(os.path.dirname(f), r.group(1))),
                      os.path.normpath(os.path.join(root, r.group(1)))):
                if os.path.exists(c):
                    if c[:-2] != m:
                        edges[m].setdefault(c[:-2], []).append(os.path.basename(f) + " includes " + r.group(1))
                    break
    return edges


def call_graph(build):
    top = os.path.join(build, "obj")
    objs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(top, "src")) for f in fs if f.endswith(".o")]
    defined, used = {}, {}
    for o in sorted(objs):
        name = os.path.relpath(o, top)[:-2] + ".c"
        used[name] = set()
        for line in subprocess.run(["nm", o], capture_output=True, text=True).stdout.splitlines():
            p = line.split()
            if len(p) == 2 and p[0] == "U":
                used[name].add(p[1])
            elif len(p) == 3 and p[1] in "TDBR":
                defined[p[2]] = name
    edges = {f: {} for f in used}
    for f, syms in used.items():
        for s in sorted(syms):
            g = defined.get(s)
            if g and g != f:
                edges[f].setdefault(g, []).append(s)
    return edges


def cycles(edges):
    """Tarjan's strongly connected components of two or more nodes (iterative)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], 0
    for start in sorted(edges):
        if start in index:
            continue
        index[start] = low[start] = n; n += 1
        stack.append(start); on.add(start)
        work = [(start, iter(sorted(edges[start])))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n; n += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out, key=len, reverse=True)


def main():
    calls = len(sys.argv) > 1 and sys.argv[1] == "--calls"
    edges = call_graph(sys.argv[2] if len(sys.argv) > 2 else "build") if calls else include_graph()
    found = cycles(edges)
    for i, comp in enumerate(found, 1):
        print(f"cycle {i}: {len(comp)} {'files' if calls else 'modules'}")
        for f in comp:
            for g in sorted(edges[f]):
                if g in comp:
                    print(f"  {f} -> {g}: {', '.join(edges[f][g][:4])}")
    print(f"{len(found)} {'call' if calls else 'include'} cycles")


main()
