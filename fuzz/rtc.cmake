# SDP, ICE candidate lines and DCEP: outside input from the signaling channel
# and the SCTP association. Seed corpora in fuzz/corpus/<name>/.
tl_add_fuzzer(fuzz_sdp ${CMAKE_CURRENT_LIST_DIR}/fuzz_sdp.c)
tl_add_fuzzer(fuzz_candidate ${CMAKE_CURRENT_LIST_DIR}/fuzz_candidate.c)
tl_add_fuzzer(fuzz_dcep ${CMAKE_CURRENT_LIST_DIR}/fuzz_dcep.c)

# The modules under test are compiled into the fuzzers themselves so that
# libFuzzer's coverage instrumentation sees them (libtallow is built without
# -fsanitize=fuzzer-no-link); the linker then takes no copy from libtallow.a.
target_sources(fuzz_sdp PRIVATE ${PROJECT_SOURCE_DIR}/src/rtc/sdp.c
               ${PROJECT_SOURCE_DIR}/src/rtc/fingerprint.c)
target_sources(fuzz_candidate PRIVATE ${PROJECT_SOURCE_DIR}/src/rtc/sdp.c
               ${PROJECT_SOURCE_DIR}/src/rtc/fingerprint.c)
target_sources(fuzz_dcep PRIVATE ${PROJECT_SOURCE_DIR}/src/rtc/dcep.c)
# Bounded reassembly of SCTP messages (an endless message must cost max + 1).
tl_add_fuzzer(fuzz_sctp_reasm ${CMAKE_CURRENT_LIST_DIR}/fuzz_sctp_reasm.c)
target_sources(fuzz_sctp_reasm PRIVATE ${PROJECT_SOURCE_DIR}/src/rtc/reasm.c)
