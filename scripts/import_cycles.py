#!/usr/bin/env python3
"""Fail on file-level import cycles among the crate's modules.

Every `.rs` file under the source root (default `src`) is a module. An edge a -> b means
file a names module b: a `use` tree or an inline path starting with `crate::`, `super::`,
`self::` or the bare name of a child module. Test-only items
(`#[cfg(test)]`) and comments are ignored. Each strongly connected component with more
than one module is a cycle: they are printed with one concrete loop each, and the exit
status is 1. No cycle: exit 0.

Usage: scripts/import_cycles.py [SRC_DIR]
"""

import os
import re
import sys


def module_name(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return "::".join(rel)


def without_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


def item_end(text, start):
    """Index just past the item that begins at `start` (a `;` or a balanced `{…}`)."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == ";" and depth == 0:
            return i + 1
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def without_tests(text):
    out, pos = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        if m.start() < pos:
            continue
        out.append(text[pos:m.start()])
        pos = item_end(text, m.end())
    out.append(text[pos:])
    return "".join(out)


def use_paths(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (aliases dropped)."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))
    brace = tree.find("{")
    if brace < 0:
        return [tree]
    prefix, body = tree[:brace], tree[brace + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += (ch == "{") - (ch == "}")
        cur += ch
    parts.append(cur)
    return [p for part in parts if part for p in use_paths(prefix + part)]


def referenced(text):
    paths = []
    for tree in re.findall(r"\buse\s+([^;]+);", text):
        paths += use_paths(tree)
    paths += re.findall(r"\b(?:crate|super|self)(?:::\w+)+", text)
    # inline paths through a child module (`config::LocalDliConfig`); other bare paths
    # (`std::…`, external crates) resolve to nothing
    paths += re.findall(r"(?<![:\w])\w+(?:::\w+)+", text)
    return paths


def resolve(path, here, modules):
    """The module a path names, seen from module `here`, or None."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        segs = segs[1:]
    elif segs[0] in ("super", "self"):
        base = here.split("::") if here else []
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super" and base:
                base = base[:-1]
            segs = segs[1:]
        segs = base + segs
    else:
        child = (here + "::" if here else "") + segs[0]
        if child not in modules:
            return None
        segs = child.split("::") + segs[1:]
    for k in range(len(segs), 0, -1):
        cand = "::".join(segs[:k])
        if cand in modules:
            return cand
    return None


def components(edges):
    """Strongly connected components (iterative Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def loop_through(start, members, edges):
    """One shortest loop start -> … -> start inside the component."""
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v] & members):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(d, n)
                files[module_name(root, p)] = p
    modules = set(files)
    edges = {m: set() for m in files}
    for m, p in files.items():
        with open(p, encoding="utf-8", errors="replace") as f:
            text = without_tests(without_comments(f.read()))
        for path in referenced(text):
            target = resolve(path, m, modules)
            if target and target != m:
                edges[m].add(target)
    cycles = components(edges)
    if not cycles:
        print(f"import cycles: none among {len(files)} files under {root}")
        return 0
    print(f"import cycles: {len(cycles)} (files on a cycle: {sum(map(len, cycles))})")
    for comp in cycles:
        print("  cycle:", " -> ".join(loop_through(comp[0], set(comp), edges)))
        if len(comp) > 2:
            print("    component:", " ".join(comp))
    return 1


if __name__ == "__main__":
    sys.exit(main())
