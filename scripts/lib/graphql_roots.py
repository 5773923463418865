"""Root fields of a GraphQL document, in order, by a token scan that owes
nothing to scopegate's parser (for crates/inspect/tests/fixtures/railway-cli
/roots.tsv). Fragments spread at the root are expanded; aliases name their
field. Usage: graphql_roots.py FILE... prints "FILE<TAB>root root ...".
"""
import re
import sys

TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:\\.|[^"\\])*"|#[^\n]*|\.\.\.|[A-Za-z_][A-Za-z0-9_]*|[{}():@$!=\[\],]|\S')


def tokens(text):
    return [t for t in TOKEN.findall(text) if not t.startswith("#") and t != ","]


def selection(toks, i):
    """Names at the top level of the selection set opening at toks[i]."""
    assert toks[i] == "{"
    out, depth, j = [], 0, i
    while j < len(toks):
        t = toks[j]
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0:
                return out, j
        elif t == "(":
            # skip arguments, balanced
            d = 0
            while True:
                if toks[j] == "(":
                    d += 1
                elif toks[j] == ")":
                    d -= 1
                    if d == 0:
                        break
                j += 1
        elif depth == 1:
            if t == "...":
                out.append(("spread", toks[j + 1]))
                j += 1
            elif re.match(r"[A-Za-z_]", t) and (j + 1 < len(toks) and toks[j + 1] == ":"):
                out.append(("field", toks[j + 2]))  # alias: field
                j += 2
            elif re.match(r"[A-Za-z_]", t) and toks[j - 1] != "@":
                out.append(("field", t))
        j += 1
    raise ValueError("unbalanced")


def roots(text):
    toks = tokens(text)
    fragments, ops = {}, []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "fragment":
            name = toks[i + 1]
            k = toks.index("{", i)
            sel, end = selection(toks, k)
            fragments[name] = sel
            i = end + 1
        elif t in ("query", "mutation", "subscription") or t == "{":
            k = i if t == "{" else toks.index("{", i)
            sel, end = selection(toks, k)
            ops.append(sel)
            i = end + 1
        else:
            i += 1

    def expand(sel):
        for kind, name in sel:
            if kind == "spread":
                yield from expand(fragments[name])
            else:
                yield name

    return [n for op in ops for n in expand(op)]


if __name__ == "__main__":
    for f in sys.argv[1:]:
        print(f"{f}\t{' '.join(roots(open(f).read()))}")
