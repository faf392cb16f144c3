# Bounded SCTP message reassembly (sans-I/O; sctp.c drives it).
target_sources(tallow PRIVATE ${CMAKE_CURRENT_LIST_DIR}/reasm.c)
