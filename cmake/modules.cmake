# One static library per module: src/<module>/*.cpp with public headers in include/coproxy/<module>/.
# Sources are globbed so adding a file never needs a CMake edit; dependencies are declared explicitly
# so the direction protocol/sharding -> config -> runtime -> upstream -> frontend -> main stays visible.
function(coproxy_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)
    message(STATUS "module ${name}: no sources yet, skipped")
    return()
  endif()
  add_library(coproxy_${name} STATIC ${sources})
  target_include_directories(coproxy_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(coproxy_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  coproxy_warnings(coproxy_${name})
endfunction()

# The warning gate (COPROXY_WARNING_FLAGS, set in the top CMakeLists.txt) on one of our targets.
function(coproxy_warnings target)
  target_compile_options(${target} PRIVATE ${COPROXY_WARNING_FLAGS})
endfunction()

# One GoogleTest binary per module: test/<module>/*_test.cpp. Each TEST becomes a ctest case.
function(coproxy_module_tests name)
  cmake_parse_arguments(ARG "" "" "DEPS;LABELS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/test/${name}/*_test.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${name}_tests ${sources})
  target_include_directories(${name}_tests PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(${name}_tests PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  coproxy_warnings(${name}_tests)
  target_compile_definitions(${name}_tests PRIVATE
    COPROXY_SOURCE_DIR="${PROJECT_SOURCE_DIR}" COPROXY_TEST_DIR="${PROJECT_SOURCE_DIR}/test/${name}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name}_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# libFuzzer targets live next to their tests: test/<module>/*_fuzz.cpp, seed corpus in
# test/<module>/<target>_corpus/. Built only with -DCOPROXY_FUZZ=ON and clang.
function(coproxy_module_fuzzers name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  if(NOT COPROXY_FUZZ)
    return()
  endif()
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/test/${name}/*_fuzz.cpp)
  foreach(src ${sources})
    get_filename_component(target ${src} NAME_WE)
    add_executable(${target} ${src})
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/test)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${target} PRIVATE ${ARG_DEPS})
    coproxy_warnings(${target})
  endforeach()
endfunction()
