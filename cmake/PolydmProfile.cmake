# polydm_profile_plugins(<profile-file> <out-var>)
#
# Reads the `[plugin <name>]` section headers of a profile file (the single
# truth of which plugins a market build contains) into <out-var>, and makes
# CMake re-run when the file changes.
function(polydm_profile_plugins file out)
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "PDM_PROFILE: no such file: ${file}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
  file(STRINGS "${file}" lines REGEX "^[ \t]*\\[[ \t]*plugin[ \t]+[^]]+\\]")
  set(names)
  foreach(l IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*\\[[ \t]*plugin[ \t]+([^] \t]+)[ \t]*\\].*" "\\1" n "${l}")
    list(APPEND names ${n})
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()
