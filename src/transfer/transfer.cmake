# Transfer protocol: frame codec, manifest, sans-I/O sender/receiver, file
# edges (source, sink), names, and policy modules (docs/PROTOCOL.md).
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/frames.c
  ${CMAKE_CURRENT_LIST_DIR}/manifest.c
  ${CMAKE_CURRENT_LIST_DIR}/names.c
  ${CMAKE_CURRENT_LIST_DIR}/session.c
  ${CMAKE_CURRENT_LIST_DIR}/sender.c
  ${CMAKE_CURRENT_LIST_DIR}/receiver.c
  ${CMAKE_CURRENT_LIST_DIR}/bucket.c
  ${CMAKE_CURRENT_LIST_DIR}/quality.c
  ${CMAKE_CURRENT_LIST_DIR}/sink.c
  ${CMAKE_CURRENT_LIST_DIR}/source.c
  ${CMAKE_CURRENT_LIST_DIR}/crypto_glue.c)
