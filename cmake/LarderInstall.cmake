# `cmake --install <build> --prefix P` (or `make install PREFIX=P`) puts in place:
#   P/include/larder/**            the public headers and the generated larder/version.h
#   P/lib/liblarder_*.a            the product libraries (one per layer; see src/CMakeLists.txt)
#   P/bin/larder                   the CLI
#   P/lib/cmake/larder/            the CMake package: find_package(larder) -> larder::larder
#   P/lib/pkgconfig/larder.pc      pkg-config --cflags --libs larder
# Both the CMake package and larder.pc are relocatable (paths relative to where they sit).
# Internal headers (src/) and the test-only library are not installed.
include(CMakePackageConfigHelpers)

set(LARDER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/larder)
get_property(LARDER_PRODUCT_LIBRARIES GLOBAL PROPERTY LARDER_PRODUCT_LIBRARIES)

# A sanitized build's libraries need the sanitizer runtime wherever they are linked.
if(LARDER_SANITIZE)
  target_link_options(larder INTERFACE $<INSTALL_INTERFACE:-fsanitize=${_san}>)
  set(LARDER_PC_LINK_FLAGS " -fsanitize=${_san}")
endif()

install(DIRECTORY include/larder DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/larder/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/larder)
install(TARGETS larder ${LARDER_PRODUCT_LIBRARIES} EXPORT larderTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS larder_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT larderTargets NAMESPACE larder:: DESTINATION ${LARDER_CMAKE_DIR})

configure_package_config_file(cmake/larderConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/larderConfig.cmake
                              INSTALL_DESTINATION ${LARDER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/larderConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/larderConfig.cmake
              ${PROJECT_BINARY_DIR}/larderConfigVersion.cmake
        DESTINATION ${LARDER_CMAKE_DIR})

# larder.pc: the libraries in link order (users before what they use), then their dependencies.
set(LARDER_PC_LIBS "")
list(REVERSE LARDER_PRODUCT_LIBRARIES)
foreach(lib IN LISTS LARDER_PRODUCT_LIBRARIES)
  string(APPEND LARDER_PC_LIBS " -l${lib}")
endforeach()
file(RELATIVE_PATH LARDER_PC_PREFIX_FROM_PCFILEDIR /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" LARDER_PC_PREFIX_FROM_PCFILEDIR ${LARDER_PC_PREFIX_FROM_PCFILEDIR})
configure_file(cmake/larder.pc.in ${PROJECT_BINARY_DIR}/larder.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/larder.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
