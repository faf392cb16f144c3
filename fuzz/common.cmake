# The one URL / HOST:PORT parser (ws, redis, stun/turn, --listen).
tl_add_fuzzer(fuzz_uri ${CMAKE_CURRENT_LIST_DIR}/fuzz_uri.c)
