# polydm_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...] [STATIC])
#
# Builds a polydm plugin from <src>.  <name> is the plugin id of its
# descriptor ([a-z0-9-]+); the C identifier used in PDM_PLUGIN_DEFINE() is
# <name> with '-' replaced by '_'.
#
# By default the plugin is a MODULE "<name>.so" that exports exactly one
# symbol, pdm_plugin_entry (hidden visibility, a one-symbol version script
# and --no-undefined: a plugin never links against the core).  With STATIC,
# or when PDM_STATIC_PLUGINS is ON in the polydm build itself, it becomes a
# static archive whose hidden pdm_plugin_<id>_entry() a generated registry
# references.  Shipped with the installed SDK (find_package(polydm)), so
# third-party plugins are built exactly like the shipped ones.
#
# The module is only built; installing it is the caller's choice, e.g.
#   install(TARGETS my-plugin LIBRARY DESTINATION ${POLYDM_PLUGIN_DIR})
if(CMAKE_VERSION VERSION_LESS 3.17) # CMAKE_CURRENT_FUNCTION_LIST_DIR
  message(FATAL_ERROR "polydm_add_plugin() needs CMake 3.17 or newer")
endif()

function(polydm_add_plugin name)
  cmake_parse_arguments(P "STATIC" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT name MATCHES "^[a-z0-9][a-z0-9-]*$")
    message(FATAL_ERROR "polydm_add_plugin: bad plugin name '${name}'")
  endif()
  if(TARGET polydm_sdk)
    set(_sdk polydm_sdk)            # inside the polydm source tree
  else()
    set(_sdk polydm::sdk)           # an installed SDK
  endif()
  if(NOT P_SOURCES)
    message(FATAL_ERROR "polydm_add_plugin(${name}): SOURCES is required")
  endif()
  # The version script next to this file (found from the function's own
  # location, so it works in any directory scope that calls it).
  set(_map "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/pdm_plugin.map")
  if(P_STATIC OR PDM_STATIC_PLUGINS)
    add_library(${name} STATIC ${P_SOURCES})
    set_property(GLOBAL APPEND PROPERTY PDM_STATIC_PLUGIN_TARGETS ${name})
  else()
    add_library(${name} MODULE ${P_SOURCES})
    target_compile_definitions(${name} PRIVATE PDM_PLUGIN_BUILD_MODULE)
    if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
      # --no-undefined proves the module needs nothing from the core.  With
      # Clang's sanitizers the runtime lives in the executable, so a module
      # has undefined __asan_*/__ubsan_* references by design: skip it there
      # (the normal build still proves the point).
      set(_sanitized FALSE)
      if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND (PDM_SANITIZE OR
         "${CMAKE_C_FLAGS} ${CMAKE_MODULE_LINKER_FLAGS}" MATCHES "-fsanitize="))
        set(_sanitized TRUE)
      endif()
      if(NOT _sanitized)
        target_link_options(${name} PRIVATE LINKER:--no-undefined)
      endif()
      target_link_options(${name} PRIVATE "LINKER:--version-script=${_map}")
      set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${_map}")
    endif()
  endif()
  set_target_properties(${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET hidden
    POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${name} PRIVATE ${_sdk} ${P_LIBRARIES})
endfunction()

# polydm_add_plugin_test(<test> PLUGIN <target> PROFILE <file>
#                        SCENARIO <scn>... [TREE <tnds>] [SCAN]
#                        [URL_FILES <file>...])
#
# Adds the CTest test <test>: the plugin <target> (a polydm_add_plugin()
# module) loaded into a real polydm context with the profile <file>, and
# polydm-testserver driving one real DM session over 127.0.0.1 per
# scenario file, in order (the store is kept between them).  The test
# passes when every session ends and the test server's assertions of every
# scenario hold.  SCAN runs `polydm bootstrap --scan` before each session
# (it must apply every offered document).  TREE replaces the default factory tree (one account,
# ServerID plugin.test, MD5 both ways; see `polydm-plugin-test --help`).
# URL_FILES: files the profile names that hold the server address as
# %URL% (polydm-plugin-test --with-url): the profile copy names copies
# with the test server's address in them, and a profile value that is
# exactly such a file's directory (a source reading a directory) names
# the copies' directory.  Each session is with its scenario's server-id;
# a scenario's `#@` lines run polydm commands on the same device before
# and after it, check their output (`expect`, `expect-not`) and remove a
# copy before the scan (`remove FILE`: a medium pulled out; see
# `polydm-plugin-test --help`).
# Runs the installed polydm-plugin-test script, which is also the
# pkg-config (make) way of running the same test.
function(polydm_add_plugin_test name)
  cmake_parse_arguments(T "SCAN" "PLUGIN;PROFILE;TREE" "SCENARIO;URL_FILES"
    ${ARGN})
  if(NOT T_PLUGIN OR NOT T_PROFILE OR NOT T_SCENARIO)
    message(FATAL_ERROR
      "polydm_add_plugin_test(${name}): PLUGIN, PROFILE and SCENARIO are required")
  endif()
  if(POLYDM_PLUGIN_TEST)
    set(_runner "${POLYDM_PLUGIN_TEST}")          # an installed SDK
  elseif(TARGET polydm_cli)
    set(_runner "${PROJECT_BINARY_DIR}/bin/polydm-plugin-test") # in-tree
  else()
    message(FATAL_ERROR "polydm_add_plugin_test: no polydm-plugin-test")
  endif()
  # Relative files are relative to the calling CMakeLists.txt.
  get_filename_component(T_PROFILE "${T_PROFILE}" ABSOLUTE)
  set(_args --plugin "$<TARGET_FILE:${T_PLUGIN}>"
            --profile "${T_PROFILE}"
            --work "${CMAKE_CURRENT_BINARY_DIR}/${name}.work")
  foreach(_s IN LISTS T_SCENARIO)
    get_filename_component(_s "${_s}" ABSOLUTE)
    list(APPEND _args --scenario "${_s}")
  endforeach()
  if(T_TREE)
    get_filename_component(T_TREE "${T_TREE}" ABSOLUTE)
    list(APPEND _args --tree "${T_TREE}")
  endif()
  if(T_SCAN)
    list(APPEND _args --scan)
  endif()
  foreach(_f IN LISTS T_URL_FILES)
    get_filename_component(_f "${_f}" ABSOLUTE)
    list(APPEND _args --with-url "${_f}")
  endforeach()
  add_test(NAME ${name} COMMAND sh "${_runner}" ${_args})
  set_tests_properties(${name} PROPERTIES LABELS plugin-session)
endfunction()
