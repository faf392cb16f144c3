# Signaling tests: unit (sans-I/O), embedded server, real processes with
# redis-server, wss, and a Node `ws` client.
tl_add_test(test_sig_proto ${CMAKE_CURRENT_LIST_DIR}/test_sig_proto.c TIMEOUT 30)
tl_add_test(test_sig_joincode ${CMAKE_CURRENT_LIST_DIR}/test_sig_joincode.c TIMEOUT 30)
tl_add_test(test_sig_server ${CMAKE_CURRENT_LIST_DIR}/test_sig_server.c
            ${CMAKE_CURRENT_LIST_DIR}/sig_helpers.c TIMEOUT 90)
tl_add_test(test_sig_cluster ${CMAKE_CURRENT_LIST_DIR}/test_sig_cluster.c
            ${CMAKE_CURRENT_LIST_DIR}/sig_helpers.c TIMEOUT 120)
add_dependencies(test_sig_cluster tallow_cli)
find_program(TL_NODE node)
if(TL_NODE)
  add_test(NAME test_sig_node_ws
           COMMAND ${TL_NODE} ${CMAKE_CURRENT_LIST_DIR}/node_ws_client.js
                   ${PROJECT_BINARY_DIR}/tallow ${PROJECT_SOURCE_DIR}/src/signal/wordlist.c)
  set_tests_properties(test_sig_node_ws PROPERTIES TIMEOUT 60)
  # A hostile server against a real `tallow receive` (docs/SECURITY.md).
  add_test(NAME test_sig_hostile_server
           COMMAND ${TL_NODE} ${CMAKE_CURRENT_LIST_DIR}/node_hostile_server.js
                   ${PROJECT_BINARY_DIR}/tallow ${PROJECT_SOURCE_DIR}/src/signal/wordlist.c)
  set_tests_properties(test_sig_hostile_server PROPERTIES TIMEOUT 60)
endif()
