# Hybrid handshake messages and chunk frames (seed corpora in fuzz/corpus/).
tl_add_fuzzer(fuzz_handshake fuzz_handshake.c)
tl_add_fuzzer(fuzz_chunk fuzz_chunk.c)
