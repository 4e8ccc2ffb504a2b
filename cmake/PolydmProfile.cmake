# polydm_profile_plugins(<profile-file> <out-var> [OPTIONAL <opt-var>])
#
# Reads the `[plugin <name>]` section headers of a profile file (the single
# truth of which plugins a market build contains) into <out-var>, and makes
# CMake re-run when the file changes.  With OPTIONAL, <opt-var> gets the
# names of the sections that say `optional = true` (or yes/on/1): the build
# may leave those out when it cannot make them (see the top-level
# CMakeLists.txt), as the loader leaves them out when they are not
# installed.  The profile parser (core/src/profile/profile.c) validates the
# file; this only picks out headers and the optional key.
function(polydm_profile_plugins file out)
  cmake_parse_arguments(PP "" "OPTIONAL" "" ${ARGN})
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "PDM_PROFILE: no such file: ${file}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
  # Only section headers and optional keys: comment lines never match.
  file(STRINGS "${file}" lines
       REGEX "^[ \t]*(\\[|optional[ \t]*=)")
  set(names)
  set(optional)
  set(current "")
  foreach(l IN LISTS lines)
    if(l MATCHES "^[ \t]*\\[[ \t]*plugin[ \t]+([^] \t]+)[ \t]*\\]")
      set(current "${CMAKE_MATCH_1}")
      list(APPEND names ${current})
    elseif(l MATCHES "^[ \t]*\\[")
      set(current "")
    elseif(current AND l MATCHES "^[ \t]*optional[ \t]*=[ \t]*\"?([A-Za-z0-9]+)")
      string(TOLOWER "${CMAKE_MATCH_1}" v)
      if(v MATCHES "^(true|yes|on|1)$")
        list(APPEND optional ${current})
      endif()
    endif()
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
  if(PP_OPTIONAL)
    set(${PP_OPTIONAL} ${optional} PARENT_SCOPE)
  endif()
endfunction()
