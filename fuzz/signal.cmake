# Signaling message parser/validator (and join-code parser).
tl_add_fuzzer(fuzz_signal_msg ${CMAKE_CURRENT_LIST_DIR}/fuzz_signal_msg.c)
# Scale-out state snapshot loader (Redis content written by another server).
tl_add_fuzzer(fuzz_signal_snapshot ${CMAKE_CURRENT_LIST_DIR}/fuzz_signal_snapshot.c)
# The ICE servers (STUN/TURN credentials) a server hands a client.
tl_add_fuzzer(fuzz_signal_ice ${CMAKE_CURRENT_LIST_DIR}/fuzz_signal_ice.c)
