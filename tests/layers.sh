#!/bin/sh
# `make lint`, part two: the layers hold in the linked code, not only in the
# headers. From the objects' symbols (nm), for every call or reference from
# one .c file to another:
#  - it goes to the file's own folder or to one its layer may include (the
#    Makefile's LAYERS table, "folder:folder,folder,..."), so the simulator
#    cannot reach the store even with a hand-written declaration;
#    (what symbols cannot show, it cannot see: a call through a function
#    pointer handed down, or a static inline function in a header)
#  - no two files call each other, directly or around a circle (tsort).
#
#   sh tests/layers.sh BUILD      (make lint builds the objects first)
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
[ -n "${LAYERS:-}" ] || { echo "layers: LAYERS is not set (run it through make lint)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every object of a layer folder (not the generated pages: data, no calls).
for l in $LAYERS; do
    d=${l%%:*}
    [ -d "$BUILD/obj/$d" ] || continue
    # Only objects whose source is still there (a moved or deleted file's old object is not).
    for o in "$BUILD/obj/$d"/*.o; do
        s=${o#"$BUILD/obj/"}
        [ -f "${s%.o}.c" ] && echo "$o"
    done
done >"$tmp/objs"
[ -s "$tmp/objs" ] || { echo "layers: no objects under $BUILD/obj (build first)"; exit 2; }

# "D symbol file" for each definition, "U symbol file" for each use; file = source path.
while read -r o; do
    src=${o#"$BUILD/obj/"}
    src=${src%.o}.c
    nm -g --defined-only "$o" | awk -v f="$src" 'NF == 3 && $2 ~ /^[TDBRCVWiu]$/ {print "D", $3, f}'
    nm -u "$o" | awk -v f="$src" '{print "U", $NF, f}'
done <"$tmp/objs" >"$tmp/syms"

# "user definer symbol", one line per file-to-file reference (definitions sort first).
sort "$tmp/syms" | awk '$1 == "D" {def[$2] = $3; next}
     $1 == "U" && ($2 in def) && def[$2] != $3 {print $3, def[$2], $2}' | sort -u >"$tmp/edges"

status=0
# Up-layer references: the user's folder must list the definer's folder.
echo "$LAYERS" | tr ' ' '\n' | awk -F: 'NF == 2 {print $1, $2}' >"$tmp/allowed"
awk 'FNR == NR {ok[$1] = "," $2 ","; next}
     {
         u = $1; sub(/\/[^\/]*$/, "", u)
         d = $2; sub(/\/[^\/]*$/, "", d)
         if (index(ok[u], "," d ",") == 0)
             printf "layers: %s uses %s from %s, but %s may not reach %s\n", $1, $3, $2, u, d
     }' "$tmp/allowed" "$tmp/edges" >"$tmp/up"
if [ -s "$tmp/up" ]; then
    cat "$tmp/up"
    status=1
fi

# Circles between files: tsort names the files of each loop it finds.
cut -d' ' -f1,2 "$tmp/edges" | sort -u >"$tmp/pairs"
if ! tsort "$tmp/pairs" >/dev/null 2>"$tmp/loops"; then
    # The files tsort found in loops, and each call between two of them.
    sed -n 's/^tsort: \([^ ]*\.c\)$/\1/p' "$tmp/loops" | sort -u >"$tmp/inloop"
    echo "layers: files that call each other in a circle (move the shared part down a layer):"
    awk 'FNR == NR {in_loop[$1] = 1; next}
         ($1 in in_loop) && ($2 in in_loop) {
             k = $1 " -> " $2
             if (!(k in calls)) order[n++] = k
             calls[k] = calls[k] " " $3
         }
         END {for (i = 0; i < n; i++) print "    " order[i] ":" calls[order[i]]}' \
        "$tmp/inloop" "$tmp/edges"
    status=1
fi
[ $status -eq 0 ] && echo "layers: $(wc -l <"$tmp/objs") files in $(echo "$LAYERS" | wc -w) layers, no call up a layer, no circle"
exit $status
