# ML-KEM-768 (FIPS 203) and the Keccak/SHA-3/SHAKE it is built on.
# These files are the hot path of every handshake: always -O3, also in Debug
# builds (the ASan build then still runs the 1,000-seed cross-check quickly).
set(TL_MLKEM_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/keccak.c
    ${CMAKE_CURRENT_LIST_DIR}/mlkem_poly.c
    ${CMAKE_CURRENT_LIST_DIR}/mlkem.c)
target_sources(tallow PRIVATE ${TL_MLKEM_SOURCES})
set_source_files_properties(${TL_MLKEM_SOURCES} PROPERTIES COMPILE_OPTIONS "-O3")
