#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Apply one mutant of tests/mutants/mutants.txt to a source tree.

    apply.py <mutants.txt> list                 names, files and suites
    apply.py <mutants.txt> check <repo>         every mutant applies once
    apply.py <mutants.txt> apply <name> <tree>  write the mutated file

A mutant whose lines do not occur exactly once is an error: the list must
stay true to the code it mutates.
"""
import sys


def parse(path):
    mutants, cur = [], None
    for line in open(path).read().split('\n'):
        if line.startswith('@ '):
            name, file, suite = line[2:].split()
            cur = {'name': name, 'file': file, 'suite': suite,
                   'find': [], 'repl': []}
            mutants.append(cur)
        elif cur and (line.startswith('- ') or line == '-'):
            cur['find'].append(line[2:])
        elif cur and (line.startswith('+ ') or line == '+'):
            cur['repl'].append(line[2:])
    return mutants


def mutate(m, root):
    path = f"{root}/{m['file']}"
    text = open(path).read()
    find = '\n'.join(m['find']) + '\n'
    repl = '\n'.join(m['repl']) + '\n' if m['repl'] else ''
    n = text.count(find)
    if n != 1:
        sys.exit(f"mutant {m['name']}: its lines occur {n} times in {m['file']}")
    return path, text.replace(find, repl)


def main():
    mutants = parse(sys.argv[1])
    cmd = sys.argv[2]
    if cmd == 'list':
        for m in mutants:
            print(m['name'], m['file'], m['suite'])
    elif cmd == 'check':
        for m in mutants:
            mutate(m, sys.argv[3])
        print(f"{len(mutants)} mutants apply")
    elif cmd == 'apply':
        m = next(m for m in mutants if m['name'] == sys.argv[3])
        path, text = mutate(m, sys.argv[4])
        with open(path, 'w') as f:
            f.write(text)


main()
