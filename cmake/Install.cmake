# cmake --install: the CLI, libtallow (shared + static), the public headers,
# tallow.pc, the CMake package (find_package(tallow CONFIG) -> tallow::tallow),
# shell completions, the systemd unit and default configuration of
# `tallow signal`, and the documentation. Man pages: docs/man/CMakeLists.txt.
include(CMakePackageConfigHelpers)

install(TARGETS tallow_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tallow ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tallow ${PROJECT_BINARY_DIR}/include/tallow
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

if(TARGET tallow_shared)
  install(TARGETS tallow_shared EXPORT tallowTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT tallowTargets NAMESPACE tallow::
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tallow)
  configure_package_config_file(cmake/tallowConfig.cmake.in
    ${PROJECT_BINARY_DIR}/tallowConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tallow)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/tallowConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/tallowConfig.cmake
                ${PROJECT_BINARY_DIR}/tallowConfigVersion.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tallow)
endif()

# pkg-config: prefix relative to the .pc file, so a staged install
# (cmake --install build --prefix DIR, DESTDIR) works without edits.
file(RELATIVE_PATH TL_PC_UP "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" TL_PC_UP "${TL_PC_UP}")
configure_file(cmake/tallow.pc.in ${PROJECT_BINARY_DIR}/tallow.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tallow.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES dist/completion/tallow.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME tallow)
install(FILES dist/completion/_tallow DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES dist/completion/tallow.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

if(TALLOW_SYSTEMD_UNITDIR)
  set(TL_UNITDIR ${TALLOW_SYSTEMD_UNITDIR})
else()
  set(TL_UNITDIR lib/systemd/system) # relative: follows --prefix
endif()
configure_file(dist/systemd/tallow-signal.service.in ${PROJECT_BINARY_DIR}/tallow-signal.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tallow-signal.service DESTINATION ${TL_UNITDIR})
# CMAKE_INSTALL_SYSCONFDIR is relative ("etc", under the prefix) unless set
# absolute (Debian: /etc), so that cmake --install --prefix DIR stays in DIR.
install(FILES dist/signal.conf DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/tallow)

install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md"
        PATTERN man EXCLUDE)
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
