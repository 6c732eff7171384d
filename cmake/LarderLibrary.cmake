# add_larder_library(): one static library per folder of src/, with the layering stated by
# its dependencies.
#
#   add_larder_library(larder_bolt
#     DEPENDS larder_io larder_base         # other layers this folder may include and call
#     LIBS fmt::fmt                         # third-party libraries (linked PRIVATE)
#     HEADER_ONLY_LIBS nlohmann_json::...   # header-only third-party (kept out of the install)
#     [TEST_ONLY])                          # not installed, not part of the umbrella
#
# Sources: every *.cc of the calling folder except *_test.cc (non-recursive), so adding a file
# needs no list edit. Unit tests (*_test.cc) are built into larder_tests (tests/CMakeLists.txt).
#
# Layering is enforced by include paths: a folder's internal headers ("bolt/page.h") are found
# only through <build>/layers/<folder>/<folder>, a link to the folder, which is an include
# directory of the folder's own target only. A target sees the headers of the layers it lists in
# DEPENDS and no others, so an include across a forbidden arrow fails to compile. DEPENDS is
# PRIVATE: a layer's users must state their own dependencies. The public headers
# (include/larder/) are visible to every layer and, once installed, are the only headers a user
# sees.
include_guard(GLOBAL)

function(add_larder_library name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "TEST_ONLY" "" "DEPENDS;LIBS;HEADER_ONLY_LIBS")
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER sources EXCLUDE REGEX "_test\\.cc$")
  add_library(${name} STATIC ${sources})

  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(layer_dir ${PROJECT_BINARY_DIR}/layers/${folder})
  file(MAKE_DIRECTORY ${layer_dir})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${layer_dir}/${folder} SYMBOLIC)

  target_include_directories(${name}
    PUBLIC $<BUILD_INTERFACE:${layer_dir}>
           $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
           $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name}
    PUBLIC Threads::Threads $<BUILD_INTERFACE:larder_sanitizers>
    PRIVATE ${ARG_DEPENDS} ${ARG_LIBS} $<BUILD_INTERFACE:larder_warnings>)
  foreach(lib IN LISTS ARG_HEADER_ONLY_LIBS)
    target_link_libraries(${name} PRIVATE $<BUILD_INTERFACE:${lib}>)
  endforeach()
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${name})
  if(NOT ARG_TEST_ONLY)
    set_property(GLOBAL APPEND PROPERTY LARDER_PRODUCT_LIBRARIES ${name})
  endif()
endfunction()
