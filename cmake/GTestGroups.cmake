# larder_add_gtest_groups(TARGET [GROUP_SIZE n] [TIMEOUT seconds] [PROCESSORS n]
#                         [COST_FILE file]): registers the GoogleTest binary TARGET with ctest as
# one entry per test suite, a suite of more than GROUP_SIZE tests (default 16) split into entries
# of at most that many ("Suite.1of3", ...), each running its tests in one process with
# --gtest_filter. PROCESSORS (default 1) is each entry's ctest PROCESSORS, the slots of `ctest -j`
# it takes. COST_FILE ("entry seconds" lines, see larder_read_test_costs) gives entries their
# ctest COST.
#
# Why not gtest_discover_tests (one process per test): a sanitizer build of this binary spends
# about 0.45 s of CPU starting and exiting (registering its globals with ASan, LeakSanitizer's
# scan at exit), whatever the test does. Over 1,400 tests that was almost a third of `make test`'s
# summed test time on two cores. Grouped, the start-ups are a fifth as many, while ctest still spreads
# the work over the cores and a long suite is split so that it does not hold one core to the end.
#
# The list is read after each build of TARGET (--gtest_list_tests), as gtest_discover_tests does,
# and included by ctest; disabled tests (DISABLED_ prefix) are not registered.
set(LARDER_GTEST_GROUPS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/gtest_groups_add.cmake)

function(larder_add_gtest_groups target)
  cmake_parse_arguments(ARG "" "GROUP_SIZE;TIMEOUT;PROCESSORS;COST_FILE" "" ${ARGN})
  if(NOT ARG_GROUP_SIZE)
    set(ARG_GROUP_SIZE 16)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  if(NOT ARG_PROCESSORS)
    set(ARG_PROCESSORS 1)
  endif()
  set(ctest_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_groups.cmake)
  add_custom_command(
    TARGET ${target} POST_BUILD
    BYPRODUCTS ${ctest_file}
    COMMAND ${CMAKE_COMMAND} -D TEST_EXECUTABLE=$<TARGET_FILE:${target}>
            -D CTEST_FILE=${ctest_file} -D GROUP_SIZE=${ARG_GROUP_SIZE} -D TIMEOUT=${ARG_TIMEOUT}
            -D PROCESSORS=${ARG_PROCESSORS}
            -D WORKING_DIRECTORY=${CMAKE_CURRENT_BINARY_DIR} -D COST_FILE=${ARG_COST_FILE}
            -P ${LARDER_GTEST_GROUPS_SCRIPT}
    VERBATIM)
  if(ARG_COST_FILE)
    # Relinked (and so the list rewritten) when the costs change.
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${ARG_COST_FILE})
  endif()
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${ctest_file})
endfunction()

# larder_read_test_costs(FILE PREFIX): for each "entry seconds" line of FILE (# comments), sets
# ${PREFIX}${entry} to its seconds: ctest COST hints. ctest starts the costliest entries first so
# that a long one does not start last and hold one core alone at the end; it uses them until it
# has its own record of a run (Testing/Temporary/CTestCostData.txt), so they matter for a fresh
# build such as CI's.
function(larder_read_test_costs file prefix)
  file(STRINGS ${file} lines REGEX "^[^# ]")
  foreach(line IN LISTS lines)
    separate_arguments(line)
    list(GET line 0 entry)
    list(GET line 1 seconds)
    set(${prefix}${entry} ${seconds} PARENT_SCOPE)
  endforeach()
endfunction()
