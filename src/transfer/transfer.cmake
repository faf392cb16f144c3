# Transfer protocol: frame codec, manifest, sans-I/O sender/receiver, file
# edges (source, sink), names, and policy modules (docs/PROTOCOL.md).
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/frames.c
  ${CMAKE_CURRENT_LIST_DIR}/manifest.c
  ${CMAKE_CURRENT_LIST_DIR}/names.c)
