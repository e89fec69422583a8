#!/usr/bin/env bash
# The README's walk-through runs (issue 21, item 8). Its shell blocks run in
# order, in one shell, against a broker started as `make run` starts it
# (scripts/run.sh with SEAM_PORT, which `make run PORT=N` sets), in a scratch
# directory laid out as the repository is (the commands, conf/, scripts/);
# the only change to the text is the port (8480 becomes this test's). Every
# answer the README shows is checked against what the block printed:
#   - a ```json block after a shell block: one JSON answer of that block
#     holds every member shown, with the same value ("..." members are left
#     out; ids and times shown match by their shape: T/A + 20 hex digits,
#     RFC 3339 with milliseconds);
#   - a "# TEXT" line after a block's commands: the block printed TEXT on a
#     line ("…" stands for any text; a JSON TEXT is matched as above).
# No other answer may be an error, and the walk-through writes nothing in
# the directory it runs in but var/ (the data, the partner's state and
# token, the evidence, the backup).
. "$(dirname "$0")/lib.sh"
README=$ROOT/README.md

W=$TMP/repo
mkdir -p "$W"
for b in seam-broker seamctl seam-partner; do ln -s "$ROOT/$BUILD/$b" "$W/$b"; done
ln -s "$ROOT/conf" "$W/conf"
ln -s "$ROOT/scripts" "$W/scripts"
before=$(cd "$W" && ls -A | sort | tr '\n' ' ')

# The walk-through: from its heading to the next section.
awk '/^## A walk-through with curl/ { on = 1; next } on && /^## / { exit } on' "$README" >"$TMP/walk.md"
check "the README has a walk-through" [ -s "$TMP/walk.md" ]
# Its blocks, in order: B.N.sh or B.N.json (N counts every block).
awk -v dir="$TMP" '
    /^```/ && !inb { inb = 1; n++; kind = substr($0, 4); f = sprintf("%s/B.%03d.%s", dir, n, kind); printf "" >f; next }
    /^```/ && inb { inb = 0; close(f); next }
    inb { print >>f }' "$TMP/walk.md"
mapfile -t BLOCKS < <(cd "$TMP" && ls B.*.sh B.*.json 2>/dev/null | sort)
check "the walk-through has shell blocks and answers (${#BLOCKS[@]} blocks)" [ "${#BLOCKS[@]}" -ge 8 ]
check "its first block starts the broker with make run" [ "$(cat "$TMP/B.001.sh")" = "make run" ]
check "the README says how make run takes another port" grep -q 'make run PORT=' "$README"

# The broker, as make run starts it, on a free port.
for try in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    (cd "$W" && SEAM_PORT=$PORT exec scripts/run.sh) >"$TMP/run.log" 2>&1 &
    BPID=$!
    for _ in $(seq 1 200); do
        grep -q "listening on" "$TMP/run.log" && break
        kill -0 $BPID 2>/dev/null || break
        sleep 0.05
    done
    kill -0 $BPID 2>/dev/null && grep -q "listening on 127.0.0.1:$PORT" "$TMP/run.log" && break
    wait $BPID 2>/dev/null
done
check "make run's script serves on the port it was given" grep -q "listening on 127.0.0.1:$PORT" "$TMP/run.log"

# One shell runs every block but make run, each block's output in its own file.
{
    echo 'cd "$W" || exit 1'
    for b in "${BLOCKS[@]}"; do
        case $b in
        *.sh)
            [ "$b" = B.001.sh ] && continue
            echo "exec >'$TMP/${b%.sh}.out' 2>&1"
            sed "s/127\.0\.0\.1:8480/127.0.0.1:$PORT/g" "$TMP/$b"
            ;;
        esac
    done
} >"$TMP/walk.sh"
W=$W timeout 180 bash "$TMP/walk.sh"
check "the walk-through ran to its end" [ $? = 0 ]

# shown SHOWN-JSON: one answer (a JSON line) of the previous output matches it.
MATCH='def m($s; $a):
    if ($s | type) == "object" then ($a | type) == "object" and
        all($s | to_entries[]; .key == "..." or (.key as $k | .value as $v | ($a | has($k)) and m($v; $a[$k])))
    elif ($s | type) == "array" then ($a | type) == "array" and ($a | length) >= ($s | length) and
        all(range(0; $s | length); . as $i | m($s[$i]; $a[$i]))
    elif ($s | type) == "string" and ($s | test("^[TA][0-9a-f]{20}$")) then
        ($a | type) == "string" and ($a | test("^[TA][0-9a-f]{20}$"))
    elif ($s | type) == "string" and ($s | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[.][0-9]{3}Z$")) then
        ($a | type) == "string" and ($a | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[.][0-9]{3}Z$"))
    else $s == $a end;'
json_shown() { # SHOWN OUTFILE
    jq -c --argjson s "$1" -R "$MATCH"' fromjson? | select(m($s; .))' "$2" | grep -q .
}
text_shown() { # TEXT OUTFILE: a line equal to TEXT, "…" any text
    local re
    re=$(printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g' -e 's/…/.*/g')
    grep -qE "^$re\$" "$2"
}

last=
for b in "${BLOCKS[@]}"; do
    n=${b#B.}
    n=${n%%.*}
    case $b in
    *.sh)
        [ "$b" = B.001.sh ] && continue
        last=$TMP/B.$n.out
        # Expected lines: the "# " comments after the block's last command.
        awk '/^# / { c[++k] = substr($0, 3); next } /^[^#]/ && NF { k = 0 } END { for (i = 1; i <= k; i++) print c[i] }' \
            "$TMP/$b" >"$TMP/B.$n.expect"
        while IFS= read -r want; do
            want=${want//127.0.0.1:8480/127.0.0.1:$PORT}
            if printf '%s' "$want" | jq -e . >/dev/null 2>&1; then
                check "block $n shows an answer it gets: $want" json_shown "$want" "$last"
            else
                check "block $n prints what it shows: $want" text_shown "$want" "$last"
            fi
        done <"$TMP/B.$n.expect"
        # An error is an answer only where the README shows one.
        if ! grep -q '"error"' "$TMP/$b"; then
            refute "block $n gets no error answer" grep -E '"error": ?\{' "$last"
        fi
        ;;
    *.json)
        shown=$(jq -c . "$TMP/$b" 2>/dev/null)
        check "answer block $n is JSON" [ -n "$shown" ]
        check "the answer shown in block $n is the one block $(basename "$last" .out | sed 's/B.//') gets" \
            json_shown "$shown" "$last"
        ;;
    esac
done

kill -TERM $BPID
wait $BPID
check "make run's broker stopped cleanly" [ $? = 0 ]
BPID=
after=$(cd "$W" && ls -A | sort | tr '\n' ' ')
check "the walk-through wrote nothing in its directory but var/ (before: $before; after: $after)" \
    [ "$after" = "$(printf '%s\n' $before var | sort | tr '\n' ' ')" ]
check "var/ holds the partner agent's state and token" [ -f "$W/var/fibernet.state" -a -f "$W/var/fibernet.token" ]
finish
