#!/usr/bin/env bash
# Footprint report (issue 15 item 12; figures and how to read them in
# tests/bench/README.md).
#
#   tests/bench/size_report.sh BUILD_DIR
#
# BUILD_DIR is a firmware-style build, e.g. `cmake --preset gsm-operator`
# (MinSizeRel: -Os, PDM_SIZE_OPT, plugins linked in) after
# `cmake --build build/gsm-operator --target polydm`.
#
# 1. The library: `size` of libpolydm.so, and its read-only part ("text"
#    of `size`) split into code, constant data (strings, tables) and what
#    dynamic linking needs (symbols, PLT, relocations).
# 2. Per object, what it puts into the library after section GC, read
#    from the link map PDM_SIZE_OPT makes (core/libpolydm.link.map):
#    code (.text), constants (.rodata: strings counted before the linker
#    merges duplicates, so the column adds up to a little more than the
#    library's .rodata) and pointer tables (.data.rel.ro + .data, in the
#    data column of `size`).  Then the same per component (core/src/<dir>,
#    each plugin).
# 3. Without a link map (a build without PDM_SIZE_OPT): `size` of each
#    object file (functions the linker would drop included).
set -euo pipefail
B=$(cd "$1" && pwd)
LIB=$B/core/libpolydm.so
MAP=$B/core/libpolydm.link.map

echo "== library"
size "$LIB"
size -A "$LIB" | awk '
  $1 ~ /^\.(text|init|fini|plt|plt\.got|plt\.sec)$/ { code += $2; next }
  $1 ~ /^\.(rodata|eh_frame|eh_frame_hdr)$/ { ro += $2; next }
  $1 ~ /^\.(dynsym|dynstr|gnu\.hash|hash|gnu\.version.*|rela\..*|relr\.dyn|note\..*)$/ { dyn += $2; next }
  END {
    printf "%8d  code (.text, .plt, .init/.fini)\n", code
    printf "%8d  constants (.rodata: strings, tables)\n", ro
    printf "%8d  dynamic linking (symbols, versions, relocations)\n", dyn
    printf "%8d  = text of size (%.1f KB)\n", code + ro + dyn, (code + ro + dyn) / 1024
  }'

# name: an object path shortened to what a reader knows it by.
short() {
  sed -e "s|^$B/||" -e 's|CMakeFiles/[^/]*\.dir/||' -e 's|\.o$||' \
      -e 's|^core/__/sdk/|sdk/|'
}

if [ -f "$MAP" ]; then
  # Input sections of the output sections that hold code and constants:
  # " .text.fn  0xADDR 0xSIZE file" or the name alone on its line and the
  # numbers on the next.
  per_object=$(awk '
    function hex2dec(h,   i, v) {
      h = tolower(substr(h, 3)); v = 0
      for (i = 1; i <= length(h); i++)
        v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
      return v
    }
    function add(hex, file,   n) {
      n = hex2dec(hex)
      # a plugin archive member: dir/name.a(file.o) -> dir/file.o
      if (file ~ /\.a\([^)]*\.o\)$/) {
        sub(/[^\/]*\.a\(/, "", file); sub(/\)$/, "", file)
      }
      if (n == 0 || file !~ /\.o$/ || file ~ /^\/usr\//) return
      if (sec == ".text") t[file] += n
      else if (sec == ".rodata") r[file] += n
      else d[file] += n
      seen[file] = 1
    }
    /^[^ ]/ { sec = $1; pending = 0; next }
    sec != ".text" && sec != ".rodata" && sec != ".data.rel.ro" &&
      sec != ".data" { next }
    /^ \.[^ ]+$/ { pending = 1; next }
    /^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { add($3, $4); next }
    pending && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / { add($2, $3); pending = 0 }
    END { for (f in seen) printf "%d %d %d %s\n", t[f], r[f], d[f], f }
  ' "$MAP" | while read -r t r d f; do
    echo "$t $r $d $(echo "$f" | short)"
  done)
  echo
  echo "== per object, in the library (link map; bytes)"
  echo "    code  consts  ptrtab  object"
  echo "$per_object" | sort -n -r | awk '
    { printf "%8d %7d %7d  %s\n", $1, $2, $3, $4; t += $1; r += $2; d += $3 }
    END { printf "%8d %7d %7d  total (%.1f KB code + constants)\n", t, r, d,
                 (t + r) / 1024 }'
  echo
  echo "== per component (code + constants, KB)"
  echo "$per_object" | awk '
    { c = $4
      if (c ~ /^core\/src\//) { sub(/^core\/src\//, "", c); sub(/\/.*/, "", c); c = "core/" c }
      else if (c ~ /^plugins\//) { sub(/^plugins\//, "", c); sub(/\/.*/, "", c); c = "plugin " c }
      else if (c ~ /^sdk\//) c = "core/sdk strerror"
      else c = "core/other"
      k[c] += $1 + $2; code[c] += $1; ro[c] += $2 }
    END { for (c in k) printf "%7.1f  %6.1f code %6.1f consts  %s\n",
                             k[c] / 1024, code[c] / 1024, ro[c] / 1024, c }' |
    sort -n -r
else
  echo
  echo "== per object file (no link map: not a PDM_SIZE_OPT build)"
  echo "    text    data     bss  object"
  objs=$(find "$B/core/CMakeFiles/polydm_core_obj.dir" "$B/plugins" \
              -name '*.o' 2>/dev/null | sort)
  # shellcheck disable=SC2086
  size $objs | awk 'NR > 1 { printf "%8d %7d %7d  %s\n", $1, $2, $3, $6 }' |
    short | sort -n -r
fi
