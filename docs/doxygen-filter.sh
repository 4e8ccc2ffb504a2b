#!/bin/sh
# Doxygen INPUT_FILTER for the public headers (docs/Doxyfile.in).  Their
# comments are kernel-doc style, where "@name" refers to a parameter or
# member; doxygen would read it as an (unknown) command.  For the doxygen
# run only (the headers stay as they are) it becomes doxygen's "\p name".
exec sed -E 's/(^|[^A-Za-z0-9_\\])@([a-z_][A-Za-z0-9_]*)/\1\\p \2/g' "$1"
