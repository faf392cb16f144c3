# The misbehaving peer (docs/SECURITY.md): `tallow-hostile` is the CLI built
# again with TALLOW_HOSTILE defined, so the hooks of src/common/hostile.h are
# compiled in and the TALLOW_HOSTILE environment variable selects them. Only
# the files that carry hooks are compiled a second time; given on the link
# line before libtallow.a, their objects take the place of the library's
# copies (same file, same symbols, so the archive never adds its own: a
# mistake would be a duplicate-symbol link error, not a silent mix). The
# shipped `tallow` never contains any of it.
set(TL_HOSTILE_HOOKED
    ${PROJECT_SOURCE_DIR}/src/rtc/sctp.c
    ${PROJECT_SOURCE_DIR}/src/transfer/session.c
    ${PROJECT_SOURCE_DIR}/src/transfer/sender.c
    ${PROJECT_SOURCE_DIR}/src/transfer/receiver.c
    ${PROJECT_SOURCE_DIR}/src/signal/router.c
    ${PROJECT_SOURCE_DIR}/src/group/gsend.c)
get_target_property(TL_CLI_SOURCES tallow_cli SOURCES)
get_target_property(TL_CLI_DIR tallow_cli SOURCE_DIR)
list(TRANSFORM TL_CLI_SOURCES PREPEND ${TL_CLI_DIR}/)
add_executable(tallow_hostile ${TL_CLI_SOURCES} ${TL_HOSTILE_HOOKED}
               ${PROJECT_SOURCE_DIR}/src/common/hostile.c)
set_target_properties(tallow_hostile PROPERTIES OUTPUT_NAME tallow-hostile
                      RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
target_include_directories(tallow_hostile PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(tallow_hostile PRIVATE TALLOW_HOSTILE=1)
target_link_libraries(tallow_hostile PRIVATE tallow)
tl_apply_warnings(tallow_hostile)

# The attacks of docs/SECURITY.md, each against the unmodified tallow.
if(TALLOW_E2E)
  foreach(v sigerr errtext-send errtext-recv noeor-send noeor-recv pingflood-send
            pingflood-recv stall silent fakeresult)
    tl_add_e2e(hostile_${v} hostile_peer.sh ${v})
  endforeach()
endif()

# Privacy by packet capture: relay-only talks to the TURN server alone, no
# link-local candidate is signalled (needs root, tcpdump, coturn).
if(TALLOW_E2E)
  tl_add_e2e(relay_privacy relay_privacy.sh 4)
endif()

# An insider posing as the sender (tests/e2e/poser.sh, docs/CRYPTO.md §3).
if(TALLOW_E2E)
  foreach(v honest nocheck link wrongfp glance)
    tl_add_e2e(poser_${v} poser.sh ${v})
  endforeach()
endif()
