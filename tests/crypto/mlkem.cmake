# ML-KEM-768 and Keccak tests (see docs/MLKEM.md).
set(TL_MLKEM_TEST_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_util.c)

# acvp_mlkem PROMPT EXPECTED: checks any ACVP ML-KEM file pair (build/acvp_mlkem).
add_executable(acvp_mlkem ${CMAKE_CURRENT_LIST_DIR}/acvp_mlkem.c ${TL_MLKEM_TEST_UTIL})
target_include_directories(acvp_mlkem PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(acvp_mlkem PRIVATE tallow)
set_target_properties(acvp_mlkem PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
tl_apply_warnings(acvp_mlkem)

set(TL_ACVP_DIR ${TL_VECTORS_DIR}/acvp)
foreach(set keyGen encapDecap)
  add_test(NAME acvp_mlkem_${set}
           COMMAND acvp_mlkem ${TL_ACVP_DIR}/ML-KEM-${set}-FIPS203/prompt.json
                   ${TL_ACVP_DIR}/ML-KEM-${set}-FIPS203/expectedResults.json)
  set_tests_properties(acvp_mlkem_${set} PROPERTIES TIMEOUT 60)
endforeach()

tl_add_test(test_mlkem_acvp ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_acvp.c ${TL_MLKEM_TEST_UTIL}
            TIMEOUT 60)
