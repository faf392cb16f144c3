# Signaling: wire protocol, join codes, state, server (libwebsockets + GLib
# loop), Redis bus, client.
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/proto.c
  ${CMAKE_CURRENT_LIST_DIR}/joincode.c
  ${CMAKE_CURRENT_LIST_DIR}/sender_id.c
  ${CMAKE_CURRENT_LIST_DIR}/wordlist.c
  ${CMAKE_CURRENT_LIST_DIR}/groups.c
  ${CMAKE_CURRENT_LIST_DIR}/snapshot.c
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/router.c
  ${CMAKE_CURRENT_LIST_DIR}/bus.c
  ${CMAKE_CURRENT_LIST_DIR}/client.c)

# Benchmark load generator (bench/signal/run uses it); Linux epoll, no deps.
add_executable(tl_sig_loadgen ${PROJECT_SOURCE_DIR}/bench/signal/loadgen.c)
set_target_properties(tl_sig_loadgen PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
target_compile_options(tl_sig_loadgen PRIVATE -Wall -Wextra)

# The server's epoll backend: lws' libuv event library driven from the
# tl_loop (libuv1-dev comes with libwebsockets-dev).
pkg_check_modules(TL_UV REQUIRED IMPORTED_TARGET libuv)
target_link_libraries(tallow PUBLIC PkgConfig::TL_UV)
