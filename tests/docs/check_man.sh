#!/bin/sh
# check_man.sh: the generated man pages (docs/man/gen-manpages.py) render
# with `man -l` without a single warning, as lintian renders them (80
# columns, UTF-8), and polydm(1) describes every command `polydm --help`
# lists.
# usage: check_man.sh POLYDM PAGE...
set -eu
polydm=$1
shift
if ! command -v man >/dev/null; then
    echo "SKIP: man not installed (package man-db)"
    exit 77
fi
for page in "$@"; do
    [ -s "$page" ] || { echo "FAIL: $page missing or empty" >&2; exit 1; }
    warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
        man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) ||
        { echo "FAIL: man -l $page: $warn" >&2; exit 1; }
    [ -z "$warn" ] || { echo "FAIL: man -l $page warns:" >&2; echo "$warn" >&2; exit 1; }
    lines=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
    echo "ok    $(basename "$page"): $lines lines, no warning"
done
man1=''
for page in "$@"; do case $page in *.1) man1=$page ;; esac; done
[ -n "$man1" ] || exit 0
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man1" 2>/dev/null)
HOME=${TMPDIR:-/tmp} "$polydm" --help | sed -n '/^Commands:/,/^$/p' | sed '1d;/^$/d' |
    awk -F '  +' '{print $2}' |
    while read -r cmd; do
        # a subsection per command starts with its name
        echo "$text" | grep -q "^   $cmd\( \|$\)" ||
            { echo "FAIL: polydm(1) has no section for '$cmd'" >&2; exit 1; }
    done
echo "ok    polydm(1) describes every command of polydm --help"
