# Debian packages with CPack (packaging/README.md):
#
#   libpolydm<ABI major>  the library, the shipped plugins, the profiles
#   libpolydm-dev         headers, pkg-config files, the CMake package and
#                         the SDK's fake host (polydm::sdk_testing)
#   polydm                the CLI and reference agent, polydm-agent.service,
#                         the man pages
#
# Made from the install components lib, dev and cli.  Build them with the
# `deb` preset (prefix /usr, so the compiled-in plugin and profile paths are
# the ones the packages install to):
#
#   cmake --preset deb && cmake --build --preset deb --target package
#
# The .debs land in build/deb.  tests/package checks them (label package).

set(PDM_DEB_MAINTAINER "polydm developers <polydm-dev@lists.polydm.org>"
    CACHE STRING "Maintainer field of the Debian packages")
set(PDM_DEB_RELEASE 1 CACHE STRING
    "Debian revision of the packages (version: <project version>-<this>)")
set(PDM_DEB_SOURCE polydm)
set(PDM_DEB_VERSION "${PROJECT_VERSION}-${PDM_DEB_RELEASE}")
set(PDM_DEB_LIB "libpolydm${PDM_ABI_MAJOR}")
# Package name -> install component (packaging/CMakeLists.txt installs each
# package's copyright and changelog into that component).
set(PDM_DEB_PACKAGES ${PDM_DEB_LIB} libpolydm-dev polydm)
set(PDM_DEB_COMPONENT_${PDM_DEB_LIB} lib)
set(PDM_DEB_COMPONENT_libpolydm-dev dev)
set(PDM_DEB_COMPONENT_polydm cli)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME polydm)
set(CPACK_PACKAGE_VENDOR "The polydm authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${PDM_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL lib dev cli)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${PDM_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PDM_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://polydm.org/")
set(CPACK_DEBIAN_PACKAGE_SOURCE ${PDM_DEB_SOURCE})
# dpkg-shlibdeps computes the library dependencies of every ELF file; the
# shlibs file of the library package lets others depend on it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
# Binaries of one package that link libpolydm of another: dpkg-shlibdeps
# finds it in the build tree (the dependency itself is declared below).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/core")

set(_exact "(= ${PDM_DEB_VERSION})")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${PDM_DEB_LIB})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# ldconfig runs from a dpkg trigger (packaging/deb/lib/triggers), as
# debhelper does today; the postinst and postrm given here keep CPack from
# generating ones that call ldconfig themselves (lintian:
# maintscript-calls-ldconfig).
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/lib/triggers
  ${PROJECT_SOURCE_DIR}/packaging/deb/lib/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/lib/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_LIB_DESCRIPTION
"multi-authority OMA DM 1.2 client framework (library)
polydm is a plugin-based OMA DM 1.2 (SyncML DM) client framework: a device
links libpolydm, picks the plugins its market needs with a profile file
and decides who controls the device (operator, enterprise or user)
without market-specific code in the core.
.
This package contains the shared library, the shipped plugins (spec
authority, operator root, 3GPP2 takeover, OMA CP and SIM bootstrap,
enterprise whitelist, terminal policy, lost-device lock) and the market
profiles.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libpolydm-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${PDM_DEB_LIB} ${_exact}")
# polydm-plugin-test (a plugin's session test) runs the polydm CLI of the
# same version; the headers and libraries are usable without it.
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "polydm ${_exact}")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"multi-authority OMA DM 1.2 client framework (development files)
polydm is a plugin-based OMA DM 1.2 (SyncML DM) client framework.
.
This package contains the integrator API and the plugin SDK headers,
the pkg-config files polydm and polydm-sdk, the CMake package
(find_package(polydm), polydm_add_plugin(), polydm_add_plugin_test()),
the SDK's fake host library for plugin unit tests, the templates of
`polydm plugin new`, and polydm-testserver with polydm-plugin-test for
testing a plugin in real DM sessions over loopback.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME polydm)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION admin)
# The CLI loads the plugins and the default profile of the library package
# (and, once it links libpolydm, its library: then shlibdeps adds it too).
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "${PDM_DEB_LIB} ${_exact}")
set(CPACK_COMPONENT_CLI_DESCRIPTION
"multi-authority OMA DM 1.2 client framework (command line and agent)
polydm is a plugin-based OMA DM 1.2 (SyncML DM) client framework.
.
This package contains the polydm command (profiles, management tree,
sessions, bootstrap, local user's operations, audit) and its reference
device agent with the systemd unit polydm-agent.service.")

include(CPack)
