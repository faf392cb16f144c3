# Browser interop: libtallow <-> headless Chromium (see docs/INTEROP.md).
#
# interop_peer is the libtallow side, driven over stdin/stdout by
# chromium_dc.js; the tests run both inside a fresh network namespace made by
# netns_run.sh (needs root; exit code 77 = skipped otherwise).
add_library(interop_peer_obj OBJECT interop_peer.c interop_script.c)
target_include_directories(interop_peer_obj PRIVATE ${PROJECT_SOURCE_DIR}/src
                           ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(interop_peer_obj PRIVATE tallow)
tl_apply_warnings(interop_peer_obj)

# Cross-check of the C and JavaScript script generators (no browser needed).
add_executable(interop_script_digest script_digest.c interop_script.c)
target_include_directories(interop_script_digest PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(interop_script_digest PRIVATE OpenSSL::Crypto)
tl_apply_warnings(interop_script_digest)
find_program(TL_NODE node)
if(TL_NODE)
  add_test(NAME interop_script_digest
           COMMAND ${TL_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/check_script.js
                   $<TARGET_FILE:interop_script_digest>)
  set_tests_properties(interop_script_digest PROPERTIES TIMEOUT 60 LABELS "interop")
endif()

# The peer needs the WebRTC layer (src/rtc); until it has sources the objects
# are still compiled (to keep them in step with include/tallow/rtc.h) but not
# linked, and the tests are not registered.
get_target_property(_tl_interop_srcs tallow SOURCES)
list(FILTER _tl_interop_srcs INCLUDE REGEX "/src/rtc/[^/]*\\.c$")

if(NOT _tl_interop_srcs)
  message(STATUS "interop: src/rtc has no sources yet; interop tests not registered")
elseif(NOT TL_NODE)
  message(STATUS "interop: node not found; interop tests not registered")
else()
  add_executable(interop_peer $<TARGET_OBJECTS:interop_peer_obj>)
  target_link_libraries(interop_peer PRIVATE tallow)

  set(_tl_interop_dir ${CMAKE_CURRENT_SOURCE_DIR})

  # interop_chromium_<offerer>_offers: the exchange, close both ways.
  # interop_chromium_<offerer>_ice_restart: the same plus an ICE restart by the
  # offerer on the live connection and a second verified exchange.
  foreach(_offerer chromium tallow)
    foreach(_variant offers ice_restart)
      set(_name interop_chromium_${_offerer}_${_variant})
      set(_extra)
      if(_variant STREQUAL "ice_restart")
        set(_extra --ice-restart)
      endif()
      add_test(NAME ${_name}
               COMMAND ${_tl_interop_dir}/netns_run.sh ${TL_NODE} ${_tl_interop_dir}/chromium_dc.js
                       --offerer ${_offerer} ${_extra} --peer $<TARGET_FILE:interop_peer>)
      set_tests_properties(${_name} PROPERTIES
                           TIMEOUT 120 LABELS "interop" SKIP_RETURN_CODE 77
                           RESOURCE_LOCK tl_chromium)
    endforeach()
  endforeach()
endif()
