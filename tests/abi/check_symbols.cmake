# check_symbols.cmake: compare the dynamic symbols a shared object exports
# with an expected list.  Run with `cmake -P`:
#
#   cmake -DNM=<nm> -DLIB=<file.so> -DEXPECTED=<list.txt> [-DUPDATE=ON]
#         -P check_symbols.cmake       # libpolydm against symbols-core.txt
#   cmake -DNM=<nm> -DLIB=<plugin.so> -DEXACT=pdm_plugin_entry
#         -P check_symbols.cmake       # a plugin module: exactly this symbol
#
# The list is `nm -D --defined-only` without addresses, types and symbol
# versions (pdm_x@@POLYDM_1 -> pdm_x), and without the version-definition
# symbols themselves (type A, e.g. POLYDM_1), sorted and unique.  The
# expected file holds one name per line; '#' starts a comment.
#
# UPDATE=ON rewrites EXPECTED from LIB.  It is never run by the build or by
# ctest; only deliberately (`ninja abi_update`, see sdk/abi/README.md).

foreach(v NM LIB)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "check_symbols.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "check_symbols.cmake: no such file: ${LIB}")
endif()

execute_process(COMMAND "${NM}" -D --defined-only "${LIB}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "'${NM} -D --defined-only ${LIB}' failed (${rc}): ${err}")
endif()

string(REPLACE "\n" ";" lines "${out}")
set(actual)
foreach(l IN LISTS lines)
  # "<address> <type> <name>[@[@]<version>]"; the address may be blank.
  if(l MATCHES "^[0-9a-fA-F]*[ \t]+([A-Za-z?])[ \t]+([^ \t@]+)")
    if(CMAKE_MATCH_1 STREQUAL "A")
      continue()   # a version definition such as POLYDM_1, not a symbol
    endif()
    list(APPEND actual "${CMAKE_MATCH_2}")
  endif()
endforeach()
list(REMOVE_DUPLICATES actual)
list(SORT actual)

get_filename_component(libname "${LIB}" NAME)
string(REGEX REPLACE "\\.so\\..*$" ".so" libname "${libname}")  # drop .so.X.Y.Z

# ---- plugin mode: exactly one expected symbol --------------------------
if(DEFINED EXACT)
  if(NOT actual STREQUAL EXACT)
    string(REPLACE ";" " " got "${actual}")
    message(FATAL_ERROR
      "${libname} exports [${got}] but a polydm plugin module must export "
      "exactly [${EXACT}].\n"
      "Build it with polydm_add_plugin() (hidden visibility, "
      "cmake/pdm_plugin.map version script) and end the source with "
      "PDM_PLUGIN_DEFINE(); make every other function static.")
  endif()
  message(STATUS "${libname}: exports exactly ${EXACT}")
  return()
endif()

if(NOT DEFINED EXPECTED)
  message(FATAL_ERROR "check_symbols.cmake: -DEXPECTED=... or -DEXACT=... is required")
endif()

# ---- update mode: rewrite the expected list ----------------------------
if(UPDATE)
  string(CONCAT text "# Dynamic symbols exported by ${libname} (nm -D --defined-only,\n"
           "# without versions).  Checked by tests/abi/check_symbols.cmake\n"
           "# (ctest -L abi).  Regenerate only deliberately, after reading\n"
           "# sdk/abi/README.md:  ninja -C <build> abi_update\n")
  foreach(s IN LISTS actual)
    string(APPEND text "${s}\n")
  endforeach()
  file(WRITE "${EXPECTED}" "${text}")
  list(LENGTH actual n)
  message(STATUS "wrote ${n} symbols of ${libname} to ${EXPECTED}")
  return()
endif()

# ---- check mode ----------------------------------------------------------
if(NOT EXISTS "${EXPECTED}")
  message(FATAL_ERROR "check_symbols.cmake: no such file: ${EXPECTED}")
endif()
file(STRINGS "${EXPECTED}" raw)
set(expected)
foreach(l IN LISTS raw)
  string(STRIP "${l}" l)
  if(l STREQUAL "" OR l MATCHES "^#")
    continue()
  endif()
  list(APPEND expected "${l}")
endforeach()
list(REMOVE_DUPLICATES expected)
list(SORT expected)

set(added ${actual})
if(expected)
  list(REMOVE_ITEM added ${expected})
endif()
set(removed ${expected})
if(actual)
  list(REMOVE_ITEM removed ${actual})
endif()

if(added OR removed)
  set(msg "${libname} does not export the symbols listed in ${EXPECTED}:\n")
  foreach(s IN LISTS added)
    string(APPEND msg "  + ${s}   (exported, not in the list)\n")
  endforeach()
  foreach(s IN LISTS removed)
    string(APPEND msg "  - ${s}   (in the list, no longer exported)\n")
  endforeach()
  string(APPEND msg
    "What to do (sdk/abi/README.md):\n"
    "  * '+' only, and the new functions are deliberate public API "
    "(documented, PDM_API, 'since' tag): update the list with\n"
    "      ninja -C <build> abi_update      (or: cmake -DNM=${NM} "
    "-DLIB=${LIB} -DEXPECTED=${EXPECTED} -DUPDATE=ON -P ${CMAKE_CURRENT_LIST_FILE})\n"
    "    review `git diff sdk/abi/symbols-core.txt` and commit it with the "
    "API change.\n"
    "  * '+' for an internal function: give it hidden visibility (pdm__ "
    "prefix, no PDM_API) instead.\n"
    "  * '-': removing or renaming an exported symbol breaks every program "
    "linked against the library: bump the SONAME/major, or restore it.")
  message(FATAL_ERROR "${msg}")
endif()
list(LENGTH actual n)
message(STATUS "${libname}: the ${n} exported symbols match ${EXPECTED}")
