#!/bin/sh
# extract_examples.sh: writes the worked examples of a document (the
# plugin guide) into a directory, so that CI builds and runs exactly what
# the document shows.  In the document:
#
#   <!-- example: NAME kind=KIND [same-as=DIR] -->
#                                       an example: `polydm plugin new NAME
#                                       --kind KIND`, then its files; with
#                                       same-as, its C files must equal
#                                       those of the source tree's DIR
#   <!-- file: NAME/FILE -->            the fenced block right after it is
#                                       NAME/FILE (a *.profile block holds
#                                       the lines to merge into the
#                                       scaffolded profile)
#
# Writes OUT/NAME/FILE for each file, OUT/examples ("NAME KIND LINE
# [DIR]" lines, LINE the marker's) and
# OUT/lines ("NAME/FILE LINE": the document line of the block's first
# line, to report a failure at the document's line).  Exit 1, naming the
# document's line, on a marker without a block or an unterminated block.
#
# usage: extract_examples.sh DOC OUT
set -eu
[ $# -eq 2 ] || { echo "usage: extract_examples.sh DOC OUT" >&2; exit 2; }
doc=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
: >"$out/examples"
: >"$out/lines"
awk -v out="$out" -v doc="$doc" '
function fail(msg) { printf "%s:%d: %s\n", doc, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
infile {
    if ($0 ~ /^```/) { close(path); infile = 0; next }
    print > path
    next
}
want {
    if ($0 == "") next
    if ($0 !~ /^```/) fail("<!-- file: " name " --> is not followed by a fenced block")
    want = 0; infile = 1
    path = out "/" name
    printf "" > path
    print name, NR + 1 >> (out "/lines")
    next
}
/^<!-- example: / {
    if ($0 !~ /^<!-- example: [a-z][a-z0-9-]* kind=[a-z]+( same-as=[A-Za-z0-9_\/.-]+)? -->$/)
        fail("bad example marker: " $0)
    sub(/^<!-- example: /, ""); sub(/ -->$/, ""); sub(/kind=/, ""); sub(/same-as=/, "")
    print $1, $2, NR, $3 >> (out "/examples")
    ex = $1
    exs[ex] = 1
    system("mkdir -p \"" out "/" ex "\"")
    next
}
/^<!-- file: / {
    name = $0
    sub(/^<!-- file: /, "", name); sub(/ -->$/, "", name)
    if (name !~ /^[a-z][a-z0-9-]*\/[A-Za-z0-9_.-]+$/) fail("bad file marker: " $0)
    split(name, part, "/")
    if (!(part[1] in exs)) fail("file " name " of no <!-- example: " part[1] " ... --> above it")
    want = 1
    next
}
END {
    if (bad) exit 1
    if (want) fail("<!-- file: " name " --> at the end of the document")
    if (infile) fail("the block of " name " is not closed")
}' "$doc"
[ -s "$out/examples" ] || { echo "$doc: no <!-- example: ... --> marker" >&2; exit 1; }
