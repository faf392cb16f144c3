# Primitives (with the Wycheproof vectors), the hybrid handshake and chunk
# sealing; plus the valgrind constant-time check of the key-handling code.
tl_add_test(test_primitives ${CMAKE_CURRENT_LIST_DIR}/test_primitives.c LABELS crypto)
tl_add_test(test_wycheproof ${CMAKE_CURRENT_LIST_DIR}/test_wycheproof.c
            ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_util.c LABELS crypto)
tl_add_test(test_handshake ${CMAKE_CURRENT_LIST_DIR}/test_handshake.c LABELS crypto)
tl_add_test(test_chunk ${CMAKE_CURRENT_LIST_DIR}/test_chunk.c LABELS crypto)

# ctgrind: secrets are marked undefined and memcheck reports any branch or
# table index that depends on them. Not under ASan (valgrind cannot run it).
add_executable(ctgrind_keys ${CMAKE_CURRENT_LIST_DIR}/ctgrind_keys.c)
target_include_directories(ctgrind_keys PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(ctgrind_keys PRIVATE tallow)
tl_apply_warnings(ctgrind_keys)
find_program(TL_VALGRIND valgrind)
if(TL_VALGRIND AND NOT TALLOW_SANITIZE)
  add_test(NAME ctgrind_keys
           COMMAND ${TL_VALGRIND} --tool=memcheck --error-exitcode=1 --track-origins=yes
                   --leak-check=no --suppressions=${CMAKE_CURRENT_LIST_DIR}/ctgrind.supp
                   $<TARGET_FILE:ctgrind_keys>)
  set_tests_properties(ctgrind_keys PROPERTIES TIMEOUT 120 LABELS crypto)
  # The same harness branching on a secret on purpose: memcheck must catch it.
  add_test(NAME ctgrind_negative_control
           COMMAND ${TL_VALGRIND} --tool=memcheck --error-exitcode=1 --leak-check=no
                   $<TARGET_FILE:ctgrind_keys> --negative-control)
  set_tests_properties(ctgrind_negative_control PROPERTIES
    PASS_REGULAR_EXPRESSION "Conditional jump or move depends on uninitialised value.*leaky_compare"
    TIMEOUT 60 LABELS crypto)
endif()

# The handshake and chunk framing re-implemented with WebCrypto + noble in
# Node (what a browser has) must reproduce libtallow's bytes exactly.
add_executable(hs_transcript ${CMAKE_CURRENT_LIST_DIR}/hs_transcript.c)
target_link_libraries(hs_transcript PRIVATE tallow)
target_include_directories(hs_transcript PRIVATE ${PROJECT_SOURCE_DIR}/tests)
tl_apply_warnings(hs_transcript)
find_program(TL_NODE_HYBRID node)
if(TL_NODE_HYBRID)
  add_test(NAME hybrid_webcrypto
           COMMAND ${TL_NODE_HYBRID} ${CMAKE_CURRENT_LIST_DIR}/browser/hybrid_webcrypto.mjs
                   $<TARGET_FILE:hs_transcript> 20)
  set_tests_properties(hybrid_webcrypto PROPERTIES TIMEOUT 60 LABELS crypto
                       ENVIRONMENT "TL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endif()
