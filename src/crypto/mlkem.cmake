# ML-KEM-768 (FIPS 203) and the Keccak/SHA-3/SHAKE it is built on.
# These files are the hot path of every handshake: always -O3, also in Debug
# builds (the ASan build then still runs the 1,000-seed cross-check quickly).
set(TL_MLKEM_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/keccak.c
    ${CMAKE_CURRENT_LIST_DIR}/mlkem_poly.c
    ${CMAKE_CURRENT_LIST_DIR}/mlkem.c)
target_sources(tallow PRIVATE ${TL_MLKEM_SOURCES})
# Source properties are per directory: TARGET_DIRECTORY puts them where the
# tallow target is defined (the top level), or they would be ignored.
set_source_files_properties(${TL_MLKEM_SOURCES} TARGET_DIRECTORY tallow
                            PROPERTIES COMPILE_OPTIONS "-O3")

# Routing to OpenSSL's own ML-KEM (3.5+) is designed but not implemented in
# this version: see docs/MLKEM.md, "Using OpenSSL's ML-KEM". The option exists
# so the switch has a name; turning it on stops the configure step with the
# reason instead of silently building the portable code.
option(TALLOW_OPENSSL_MLKEM "Use OpenSSL's ML-KEM-768 (OpenSSL >= 3.5) behind tallow/mlkem.h" OFF)
if(TALLOW_OPENSSL_MLKEM)
  if(OPENSSL_VERSION VERSION_LESS 3.5)
    message(FATAL_ERROR "TALLOW_OPENSSL_MLKEM needs OpenSSL >= 3.5 (found ${OPENSSL_VERSION})")
  endif()
  message(FATAL_ERROR "TALLOW_OPENSSL_MLKEM: the OpenSSL backend is not implemented yet "
                      "(docs/MLKEM.md describes it); configure without it")
endif()
