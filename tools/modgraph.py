#!/usr/bin/env python3
"""Module graph of the photo3d library: who imports whom, cycles, and imports
against the pipeline order. Usage: tools/modgraph.py [SRC_DIR]. Test modules
(`#[cfg(test)]` onwards) are left out: they may reach anywhere."""
import os, re, sys
from collections import defaultdict

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
# Pipeline order of top-level modules; a module may import only lower ranks
# (or its own). Leaf utilities sit at rank 0.
RANK = {
    "error_leaf": 0, "grid": 0, "map": 0, "filter": 0, "progress": 0, "interrupt": 0, "message": 0,
    "io": 1, "depth": 2, "models": 2, "prepare": 3, "edges": 4, "ldi": 5, "inpaint": 6,
    "mesh": 7, "render": 8, "scene": 9, "output": 10, "config": 10.2, "error": 10.5, "pipeline": 11,
    "eval": 13, "bench": 13,
}

def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return rel

files = {}
for root, dirs, names in os.walk(SRC):
    if os.path.relpath(root, SRC).startswith("bin"):
        continue
    for n in names:
        if n.endswith(".rs") and not (root == SRC and n == "main.rs"):
            p = os.path.join(root, n)
            files[tuple(module_of(p))] = p
modules = set(files)

def resolve(parts):
    """Longest prefix of `parts` that is a module file."""
    for k in range(len(parts), 0, -1):
        if tuple(parts[:k]) in modules:
            return tuple(parts[:k])
    return None

def expand(tree):
    """`a::{b,c::{d,e}}` -> [a::b, a::c::d, a::c::e]."""
    if "{" not in tree:
        return [tree.split(" as ")[0]]
    i = tree.index("{")
    prefix, inner = tree[:i], tree[i + 1 : tree.rindex("}")]
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(cur); cur = ""
            continue
        depth += (ch == "{") - (ch == "}")
        cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it and it != "self":
            out.extend(prefix + e for e in expand(it))
        elif it == "self":
            out.append(prefix.rstrip(":"))
    return out

edges = defaultdict(set)
for mod, path in sorted(files.items()):
    text = open(path).read()
    text = text.split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)
    is_dir_mod = path.endswith(("mod.rs", "lib.rs"))
    here = list(mod) if is_dir_mod else list(mod[:-1])  # where `super`/`self` start
    paths = []
    # `use` trees, with nested groups expanded
    for m in re.finditer(r"\buse\s+((?:crate|super|self)::[^;]*);", text, re.S):
        paths.extend(expand(re.sub(r"\s+", "", m.group(1))))
    # paths written inline (`crate::io::photo::PhotoError`)
    for m in re.finditer(r"(?<![:\w])((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        paths.append(m.group(1))
    for p in paths:
        parts = p.split("::")
        if parts[0] == "crate":
            base, rest = [], parts[1:]
        elif parts[0] == "self":
            base, rest = list(here) if is_dir_mod else list(mod), parts[1:]
        else:
            base = list(here)
            rest = parts
            while rest and rest[0] == "super":
                base = base[:-1] if rest is not parts or not is_dir_mod else base[:-1]
                rest = rest[1:]
            # `super` from a file module names its parent: here already is the parent
            if not is_dir_mod:
                base = list(mod[:-1])
                n = parts.count("super")
                base = base[: len(base) - (n - 1)] if n > 1 else base
        target = resolve(base + rest)
        if target and target != mod and target != ():
            edges[mod].add(target)

def name(m):
    return "::".join(m) or "lib"

print("# imports per module file (library only, tests left out)")
for mod in sorted(files):
    print(f"{name(mod)} -> {', '.join(sorted(name(t) for t in edges[mod])) or '-'}")

def cycles(graph):
    """Strongly connected components with more than one node."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index: visit(v)
    return out

top = defaultdict(set)
for a, ts in edges.items():
    for b in ts:
        if a and b and a[0] != b[0]:
            top[a[0]].add(b[0])
print("\n# top-level imports")
for a in sorted(top):
    print(f"{a} -> {', '.join(sorted(top[a]))}")
print("\n# cycles between module files")
fc = cycles({k: set(v) for k, v in edges.items()})
for c in fc: print("  " + " <-> ".join(name(m) for m in c))
if not fc: print("  none")
print("\n# cycles between top-level modules")
tc = cycles({k: set(v) for k, v in top.items()})
for c in tc: print("  " + " <-> ".join(c))
if not tc: print("  none")
print("\n# imports against the pipeline order")
bad = 0
for a in sorted(edges):
    for b in sorted(edges[a]):
        if a and b and a[0] != b[0]:
            ra, rb = RANK.get(a[0]), RANK.get(b[0])
            if ra is None or rb is None:
                print(f"  {name(a)} -> {name(b)} (unranked)"); bad += 1
            elif rb > ra:
                print(f"  {name(a)} -> {name(b)}"); bad += 1
if not bad: print("  none")
