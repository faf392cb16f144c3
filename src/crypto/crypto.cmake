# Primitives over OpenSSL 3, the hybrid handshake and chunk sealing.
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/primitives.c
  ${CMAKE_CURRENT_LIST_DIR}/handshake.c
  ${CMAKE_CURRENT_LIST_DIR}/chunk.c)
