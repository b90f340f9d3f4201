#!/usr/bin/env python3
"""Fails when two packages of the workspace depend on each other, directly or through others.

Reads `bazel query --output=graph` of every target's direct dependencies, folds targets into their
packages (//stages/dense:index_folder -> stages/dense) and looks for strongly connected components
of more than one package: each is a cycle, printed with the target edges that make it. Targets
listed in the file given as the first argument (one label a line: tools/checks/package_cycles.sh
passes the tests and testonly targets) are left out as the sources of edges.

  bazel query 'deps(//..., 1)' --output=graph | tools/checks/package_cycles.py [EXCLUDED_LABELS]
"""
import collections
import re
import sys


def package_of(label):
    match = re.match(r'^//([^:]*):', label)
    return match.group(1) if match else None  # external repositories and source files of them


def main():
    excluded = set()
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            excluded = {line.strip() for line in f if line.strip()}
    edges = collections.defaultdict(set)  # package -> packages
    why = collections.defaultdict(list)   # (package, package) -> target edges
    for line in sys.stdin:
        match = re.match(r'\s*"([^"]+)"\s*->\s*"([^"]+)"', line)
        if not match:
            continue
        for source in match.group(1).split("\\n"):
            if source in excluded:
                continue
            for target in match.group(2).split("\\n"):
                a, b = package_of(source), package_of(target)
                if a is None or b is None or a == b:
                    continue
                edges[a].add(b)
                if len(why[(a, b)]) < 3:
                    why[(a, b)].append("%s -> %s" % (source, target))
    # Tarjan's strongly connected components.
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(set(edges) | {b for bs in edges.values() for b in bs}):
        if node not in index:
            visit(node)
    if not components:
        print("package graph: %d packages, no cycle" % len(index))
        return 0
    for component in components:
        print("package cycle: " + " <-> ".join(component))
        members = set(component)
        for a in component:
            for b in sorted(edges.get(a, ())):
                if b in members:
                    for edge in why[(a, b)]:
                        print("  " + edge)
    return 1


if __name__ == "__main__":
    sys.exit(main())
