# RFC 9380 hash-to-curve25519 (the join-code PAKE's generator) against the
# RFC's own vectors in tests/vectors/rfc9380/.
tl_add_test(test_h2c25519 ${CMAKE_CURRENT_LIST_DIR}/test_h2c25519.c
            ${CMAKE_CURRENT_LIST_DIR}/test_mlkem_util.c LABELS crypto)
