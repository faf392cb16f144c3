# Signaling: wire protocol, join codes, state, server (libwebsockets + GLib
# loop), Redis bus, client.
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/proto.c
  ${CMAKE_CURRENT_LIST_DIR}/joincode.c
  ${CMAKE_CURRENT_LIST_DIR}/wordlist.c
  ${CMAKE_CURRENT_LIST_DIR}/groups.c
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/router.c
  ${CMAKE_CURRENT_LIST_DIR}/bus.c
  ${CMAKE_CURRENT_LIST_DIR}/client.c)
