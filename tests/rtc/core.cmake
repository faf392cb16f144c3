# Peer-connection integration tests: two in-process peers on loopback.
set(TL_PC_PAIR ${CMAKE_CURRENT_LIST_DIR}/pc_pair.c)
tl_add_test(test_pc_basic ${CMAKE_CURRENT_LIST_DIR}/test_pc_basic.c ${TL_PC_PAIR}
            TIMEOUT 120 LABELS rtc)
tl_add_test(test_pc_bulk ${CMAKE_CURRENT_LIST_DIR}/test_pc_stream.c ${TL_PC_PAIR}
            TIMEOUT 900 LABELS rtc)
tl_add_test(test_pc_restart ${CMAKE_CURRENT_LIST_DIR}/test_pc_stream.c ${TL_PC_PAIR}
            TIMEOUT 600 LABELS rtc)
target_compile_definitions(test_pc_restart PRIVATE TL_STREAM_RESTART=1)
tl_add_test(test_pc_relay ${CMAKE_CURRENT_LIST_DIR}/test_pc_relay.c
            ${CMAKE_CURRENT_LIST_DIR}/coturn.c ${TL_PC_PAIR} TIMEOUT 120 LABELS rtc)
