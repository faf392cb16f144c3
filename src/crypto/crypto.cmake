# Primitives over OpenSSL 3, the hybrid handshake (with its RFC 9380
# hash-to-curve25519 for the join-code PAKE) and chunk sealing.
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/primitives.c
  ${CMAKE_CURRENT_LIST_DIR}/h2c25519.c
  ${CMAKE_CURRENT_LIST_DIR}/handshake.c
  ${CMAKE_CURRENT_LIST_DIR}/chunk.c)
