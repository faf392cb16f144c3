# SDP, candidates, fingerprints and DCEP: sans-I/O unit tests.
tl_add_test(test_sdp ${CMAKE_CURRENT_LIST_DIR}/test_sdp.c TIMEOUT 60 LABELS unit rtc)
tl_add_test(test_dcep ${CMAKE_CURRENT_LIST_DIR}/test_dcep.c TIMEOUT 60 LABELS unit rtc)
tl_add_test(test_fingerprint ${CMAKE_CURRENT_LIST_DIR}/test_fingerprint.c TIMEOUT 60
            LABELS unit rtc)
