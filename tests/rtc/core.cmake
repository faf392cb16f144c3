# Peer-connection integration tests: two in-process peers on loopback.
set(TL_PC_PAIR ${CMAKE_CURRENT_LIST_DIR}/pc_pair.c)
tl_add_test(test_pc_basic ${CMAKE_CURRENT_LIST_DIR}/test_pc_basic.c ${TL_PC_PAIR}
            TIMEOUT 120 LABELS rtc)
