# SDP parser/emitter, candidate lines, fingerprints, DCEP (sans-I/O).
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sdp.c
  ${CMAKE_CURRENT_LIST_DIR}/fingerprint.c
  ${CMAKE_CURRENT_LIST_DIR}/dcep.c)
