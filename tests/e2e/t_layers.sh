#!/usr/bin/env bash
# The layers hold (docs/design.md, "Modules, layers and owners"): LMDB is
# used only in the store and libmicrohttpd only in http.c; only the handlers
# and the endpoint table include api.h; the modules' include graph has no
# cycle; a database is named only by its owners (the table in
# include/store.h); the TMF error shape is a flag of the endpoint rows, and
# the broker answers each face's errors in its shape.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

# The project's own code: the daemon, seamctl, the partner tools, the headers.
files_but() { # the sources except the named ones
    local f x skip
    for f in broker/*.c include/*.h include/seam/*.h partners/*.c; do
        skip=0
        for x in "$@"; do [ "$f" = "$x" ] && skip=1; done
        [ $skip = 1 ] || echo "$f"
    done
}

refute "no mdb_, MDB_ or lmdb.h outside broker/store.c and include/store.h" \
    grep -nE '\bmdb_|\bMDB_[A-Za-z]|lmdb\.h' $(files_but broker/store.c include/store.h)
# (The partner simulator, partners/seam-sim.c, and the witness that
# seam-partner runs, partners/witness_serve.c, are web servers of their own.)
refute "no MHD_ or microhttpd.h in the broker outside broker/http.c" \
    grep -nE 'MHD_|microhttpd\.h' $(files_but broker/http.c partners/seam-sim.c partners/witness_serve.c)
refute "http.c picks no error shape by matching a path" grep -n '"/tmf-api' broker/http.c
handlers=$(ls broker/api_*.c)
refute "only the handlers (api_*.c) and the endpoint table include api.h" \
    grep -ln '#include "api.h"' $(files_but $handlers broker/endpoints.c)

# The modules and their includes. A module is a header's name and the .c of
# that name (api.h's module is api_*.c and endpoints.c; a public header,
# include/seam/X.h, is a module of its own; common and log are the one base module: an allocation that
# fails is logged, and a log line carries the clock); an edge runs from the module of a file to the module of each
# header it includes. A cycle is printed, one module per line.
cat >"$TMP/graph.py" <<'PY'
import glob, os, re, sys

def module(path):
    base = os.path.basename(path).rsplit(".", 1)[0]
    if "seam/" in path:  # a public header is a module of its own
        return "seam/" + base
    if path.endswith(".c") and (base.startswith("api_") or base == "endpoints"):
        return "api"
    return "common" if base == "log" else base

edges = {}
for f in sorted(glob.glob("broker/*.c") + glob.glob("include/*.h") + glob.glob("include/seam/*.h") + glob.glob("partners/*.c")):
    m = module(f)
    edges.setdefault(m, set())
    for inc in re.findall(r'^#include "([^"]+)"', open(f).read(), re.M):
        n = module(inc)
        if n != m:
            edges[m].add(n)
            edges.setdefault(n, set())

if len(edges) < 20:
    print("only %d modules found: the graph was not read" % len(edges))
    sys.exit(1)
# Depth-first search; a grey node met again closes a cycle.
WHITE, GREY, BLACK = 0, 1, 2
colour = {m: WHITE for m in edges}
stack = []
def visit(m):
    colour[m] = GREY
    stack.append(m)
    for n in sorted(edges[m]):
        if colour[n] == GREY:
            cyc = stack[stack.index(n):] + [n]
            print("cycle: " + " -> ".join(cyc))
            sys.exit(1)
        if colour[n] == WHITE:
            visit(n)
    stack.pop()
    colour[m] = BLACK
sys.setrecursionlimit(10000)
for m in sorted(edges):
    if colour[m] == WHITE:
        visit(m)
print("%d modules, %d edges, no cycle" % (len(edges), sum(len(v) for v in edges.values())))
PY
check "the modules' include graph has no cycle" python3 "$TMP/graph.py"
# The check can fail: the graph with one more include that closes a cycle
# (sla.h including ticket.h, while ticket.h includes sla.h) is refused.
mkdir -p "$TMP/cyc"
cp -r broker include partners "$TMP/cyc/"
sed -i 's|#include "store.h"|#include "store.h"\n#include "ticket.h"|' "$TMP/cyc/include/sla.h"
refute "the check sees a cycle when one is made" sh -c "cd '$TMP/cyc' && python3 '$TMP/graph.py'"

# Owners of the databases: the table in include/store.h, held to the enum
# and to the code. Each line: ok|not ok, a description, a detail.
cat >"$TMP/owners.py" <<'PY'
import glob, os, re, sys

store_h = open("include/store.h").read()
enum = re.search(r"enum store_db \{(.*?)\};", store_h, re.S).group(1)
dbs = [d for d in re.findall(r"\b(DB_[A-Z_]+)\b", re.sub(r"/\*.*?\*/", "", enum, flags=re.S)) if d != "DB_COUNT"]
block = re.search(r"Owners of the databases:(.*?)\*/", store_h, re.S).group(1)
owners = {}
for line in block.splitlines():
    m = re.match(r"\s*\*\s+((?:DB_[A-Z_]+\s*)+):\s*([a-z_ ]+)", line)
    if m:
        for d in m.group(1).split():
            owners[d] = m.group(2).split()
def row(good, desc, detail=""):
    print("%s\t%s\t%s" % ("ok" if good else "not ok", desc, detail))
row(len(dbs) >= 10, "the databases of include/store.h are read", "%d" % len(dbs))
row(set(dbs) == set(owners), "every database has owners in include/store.h's table, and only those",
    " ".join(sorted(set(dbs) ^ set(owners))))
named = {}
for f in sorted(glob.glob("broker/*.c") + glob.glob("include/*.h") + glob.glob("partners/*.c")):
    if f in ("broker/store.c", "include/store.h"):
        continue
    for d in set(re.findall(r"\b(DB_[A-Z_]+)\b", open(f).read())):
        named.setdefault(d, []).append(f)
for d in dbs:
    mods = owners.get(d, [])
    bad = [f for f in named.get(d, []) if os.path.basename(f).rsplit(".", 1)[0] not in mods]
    row(not bad, "%s is named only by %s" % (d, ", ".join(mods) or "(no owner)"), " ".join(bad))
unknown = sorted(set(named) - set(dbs))
row(not unknown, "no file names a database the store does not have", " ".join(unknown))
PY
owner_rows() {
    python3 "$TMP/owners.py" >"$TMP/owners.out" 2>&1 || { echo "not ok	the owners check ran	$(cat "$TMP/owners.out")"; return; }
    cat "$TMP/owners.out"
}
n_rows=0
while IFS=$'\t' read -r st desc detail; do
    n_rows=$((n_rows + 1))
    if [ "$st" = ok ]; then ok 0 "$desc"; else ok 1 "$desc"; echo "# $detail"; fi
done < <(owner_rows)
check "the owners check gave a row per database" [ "$n_rows" -ge 12 ]
# It can fail: a handler that names the tickets database is caught.
mkdir -p "$TMP/own"
cp -r broker include partners "$TMP/own/"
echo '/* store_get(t, DB_TICKETS, ...) */' >>"$TMP/own/broker/api_tickets.c"
check "the owners check catches a handler naming DB_TICKETS" \
    sh -c "cd '$TMP/own' && python3 '$TMP/owners.py' | grep -q '^not ok	DB_TICKETS'"

# The error shape is a flag of the rows: every /tmf-api/ row has TMF, no other.
rows=$(tr -d '\n' <broker/endpoints.c | grep -oE '\{"[A-Z]+", "/[^"]*", [a-z_]+, [^,]+, [^,]+,' |
    sed -E 's/^\{"[A-Z]+", "([^"]*)", [a-z_]+, [^,]+, ([^,]+),$/\1 \2/; s/ +/ /g')
check "the endpoint table is readable" [ "$(echo "$rows" | wc -l)" -ge 30 ]
bad=$(echo "$rows" | awk '{ tmf = ($0 ~ /(^| )TMF( |$)/) } ($1 ~ /^\/tmf-api\//) != tmf { print }')
check "every /tmf-api/ row answers errors in TMF's shape, and no other row does" [ -z "$bad" ]
[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'

# At run time: each face's errors in its shape, also where no row matched.
init_store
start_broker
tmf_shape() { # status
    [ "$STATUS" = "$1" ] && [ "$(jbody '."@type" + "|" + .status')" = "Error|$1" ] &&
        [ -n "$(jbody '.code // empty')" ] && [ "$(jbody 'has("error")')" = false ]
}
v1_shape() { # status
    [ "$STATUS" = "$1" ] && [ -n "$(jbody '.error.code // empty')" ] && [ "$(jbody 'has("@type")')" = false ]
}
req GET /tmf-api/troubleTicket/v4/troubleTicket ""
check "a TMF row without a token: 401 in TMF's shape" tmf_shape 401
req GET /tmf-api/troubleTicket/v4/nothing ""
check "no row under /tmf-api/: 404 in TMF's shape" tmf_shape 404
req PUT /tmf-api/troubleTicket/v4/hub ""
check "a TMF path with another method: 405 in TMF's shape" tmf_shape 405
req GET /v1/nothing ""
check "no row under /v1/: 404 in the error shape" v1_shape 404
req GET /v1/tickets ""
check "a /v1 row without a token: 401 in the error shape" v1_shape 401
req GET /tmf-api ""
check "/tmf-api (no directory of a TMF row): 404 in the error shape" v1_shape 404
finish
