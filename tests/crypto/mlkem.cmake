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

# mlkem_speed: a timing tool (not a test), build/mlkem_speed [ITERATIONS].
add_executable(mlkem_speed ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_speed.c)
target_include_directories(mlkem_speed PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mlkem_speed PRIVATE tallow)
set_target_properties(mlkem_speed PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
tl_apply_warnings(mlkem_speed)

tl_add_test(test_mlkem ${CMAKE_CURRENT_LIST_DIR}/test_mlkem.c TIMEOUT 60)
tl_add_test(test_mlkem_keccak ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_keccak.c ${TL_MLKEM_TEST_UTIL}
            TIMEOUT 60)
tl_add_test(test_mlkem_wycheproof ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_wycheproof.c
            ${TL_MLKEM_TEST_UTIL} TIMEOUT 60)

# Negative: a corrupted copy of the expected results (made at test time) must
# make acvp_mlkem exit 1, and an unreadable file exit 2.
add_test(NAME acvp_mlkem_detects_corruption
         COMMAND sh -c "set -u; bad=\"$0.bad.json\"; \
sed 's/\"testPassed\": *true/\"testPassed\": false/' \"$2\" > \"$bad\" || exit 90; \
cmp -s \"$2\" \"$bad\" && exit 91; \
\"$0\" \"$1\" \"$bad\"; rc=$?; rm -f \"$bad\"; [ $rc -eq 1 ] || exit 92; \
\"$0\" \"$1\" /nonexistent.json; [ $? -eq 2 ] || exit 93; exit 0"
                 $<TARGET_FILE:acvp_mlkem>
                 ${TL_ACVP_DIR}/ML-KEM-encapDecap-FIPS203/prompt.json
                 ${TL_ACVP_DIR}/ML-KEM-encapDecap-FIPS203/expectedResults.json)
set_tests_properties(acvp_mlkem_detects_corruption PROPERTIES TIMEOUT 60)

# Cross-check against @noble/post-quantum in Node, 1,000 random seeds each way.
add_executable(mlkem_xcheck ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_xcheck.c ${TL_MLKEM_TEST_UTIL})
target_include_directories(mlkem_xcheck PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(mlkem_xcheck PRIVATE tallow)
tl_apply_warnings(mlkem_xcheck)
find_program(TL_NODE node)
if(TL_NODE)
  add_test(NAME mlkem_noble_crosscheck
           COMMAND ${TL_NODE} ${CMAKE_CURRENT_LIST_DIR}/noble/crosscheck.mjs
                   $<TARGET_FILE:mlkem_xcheck> 1000)
  set_tests_properties(mlkem_noble_crosscheck PROPERTIES TIMEOUT 180
                       ENVIRONMENT "TL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
else()
  message(WARNING "node not found: the ML-KEM cross-check with @noble/post-quantum is not registered")
endif()

# Constant-time check under valgrind memcheck (ctgrind). Not with ASan: the
# two cannot run together. ctgrind_mlkem_selftest has deliberate secret
# branches (in the harness and inside decapsulation) and must be reported
# (exit 99, the decapsulation one by name), proving the check can fail.
find_program(TL_VALGRIND valgrind)
if(TL_VALGRIND AND NOT TALLOW_SANITIZE AND EXISTS /usr/include/valgrind/memcheck.h)
  # The ML-KEM sources are compiled into the checker itself, with the same
  # -O3, plus TL_CTGRIND so that TL_CT_DECLASSIFY marks rho public.
  foreach(v ctgrind_mlkem ctgrind_mlkem_selftest)
    add_executable(${v} ${CMAKE_CURRENT_LIST_DIR}/ctgrind_mlkem.c
                   ${PROJECT_SOURCE_DIR}/src/crypto/keccak.c ${PROJECT_SOURCE_DIR}/src/crypto/mlkem_poly.c
                   ${PROJECT_SOURCE_DIR}/src/crypto/mlkem.c
                   ${PROJECT_SOURCE_DIR}/src/crypto/primitives.c)
    target_include_directories(${v} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
    target_compile_definitions(${v} PRIVATE TL_CTGRIND)
    # -gdwarf-4: valgrind 3.19 cannot read clang 14's default DWARF 5.
    target_compile_options(${v} PRIVATE -O3 -gdwarf-4)
    target_link_libraries(${v} PRIVATE OpenSSL::Crypto)
    tl_apply_warnings(${v})
  endforeach()
  target_compile_definitions(ctgrind_mlkem_selftest PRIVATE CTGRIND_SELFTEST)
  add_test(NAME ctgrind_mlkem
           COMMAND ${TL_VALGRIND} -q --error-exitcode=1 --track-origins=yes
                   $<TARGET_FILE:ctgrind_mlkem>)
  add_test(NAME ctgrind_mlkem_selftest
           COMMAND sh -c "out=$(\"$0\" -q --error-exitcode=99 --track-origins=yes \"$1\" 2>&1); \
rc=$?; echo \"$out\"; [ $rc -eq 99 ] && echo \"$out\" | grep -q 'at 0x.*: main ' && \
echo \"$out\" | grep -q 'at 0x.*: tl_mlkem768_decaps_internal'"
                   ${TL_VALGRIND} $<TARGET_FILE:ctgrind_mlkem_selftest>)
  set_tests_properties(ctgrind_mlkem ctgrind_mlkem_selftest PROPERTIES TIMEOUT 120)
endif()
